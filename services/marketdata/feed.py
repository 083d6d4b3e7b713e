"""The loop that keeps market data current: engine events in, stream events out.

    EventSource --batches--> MarketData.apply --real-time events--> StreamHub.publish

Market data holds no money, so it can always start over: by default it replays the symbols'
whole event history (rebuilding trades, candles and tickers as well as depth). When events are
missing (a journal that no longer holds the start of history, or a gap after a reconnect) the
depth of that symbol is resynchronised from matching's book snapshot: what the snapshot holds is
the book itself, so the depth is exact again; only trade history older than the gap is lost.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from services.common.ports import EventBatch, EventSource

from .domain import MarketData, SequenceGap
from .hub import StreamHub
from .saved_views import ViewRecorder

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BookLevels:
    """A book's aggregated levels at `seq` (every event up to and including it)."""

    seq: int
    time_ms: int
    bids: Sequence[tuple[int, int]]  # (price, qty), any order
    asks: Sequence[tuple[int, int]]


class BookSnapshots(Protocol):
    async def book(self, symbol: str) -> BookLevels: ...


class MarketDataFeed:
    def __init__(
        self,
        data: MarketData,
        hub: StreamHub,
        source: EventSource,
        snapshots: BookSnapshots | None = None,
        views: ViewRecorder | None = None,
    ) -> None:
        self._data = data
        self._hub = hub
        self._source = source
        self._snapshots = snapshots
        self._views = views  # the stored views that follow these (real backends), if any
        self._progress = asyncio.Condition()

    async def start_from_snapshots(self, symbols: Sequence[str] | None = None) -> None:
        """Start depth from matching's current books instead of replaying history."""
        for symbol in symbols if symbols is not None else self._data.symbols:
            await self._resync(symbol)

    async def run(self) -> None:
        """Follow the source until cancelled (the source reconnects on its own)."""
        async for batch in self._source.batches(self._data.positions()):
            await self.apply(batch)

    async def apply(self, batch: EventBatch) -> None:
        try:
            events = self._data.apply(batch, self._hub.has_subscribers)
        except SequenceGap as gap:
            log.warning("event gap, resynchronising from the book snapshot", extra={"symbol": gap.symbol,
                        "expected": gap.expected, "got": gap.got})
            await self._resync(batch.symbol)
            # The snapshot is at least as new as anything already published, so the batch is
            # now either behind it (ignored) or right after it.
            events = self._data.apply(batch, self._hub.has_subscribers)
        if self._views is not None:
            self._views.applied(batch)
        self._hub.publish(events)
        async with self._progress:
            self._progress.notify_all()

    async def _resync(self, symbol: str) -> None:
        if self._snapshots is None:
            raise RuntimeError(f"{symbol}: events are missing and no book snapshot source is configured")
        levels = await self._snapshots.book(symbol)
        self._data.load_book(symbol, levels.seq, levels.bids, levels.asks, levels.time_ms)
        if self._views is not None:
            self._views.replaced(symbol)

    async def wait_applied(self, symbol: str, seq: int) -> None:
        """Until the symbol's views include seq (tests and readiness checks)."""
        market = self._data.market(symbol)
        async with self._progress:
            await self._progress.wait_for(lambda: market.last_update_id >= seq)
