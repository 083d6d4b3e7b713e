"""Follows the engine's events and settles each batch exactly once.

For every batch of one symbol's events (in seq order): load the orders it names, let the pure
domain compute the Settlement, and apply it to the ledger in one atomic write together with
the symbol's watermark. Starting from the ledger's watermarks means a restart resumes right
after the last applied batch; a redelivered batch is refused by the watermark check, so
nothing is ever settled twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from services.common.markets import Symbol
from services.common.ports import EventBatch, EventSource, Ledger
from services.common.records import OrderRecord, Settlement
from services.tradeproc.domain import order_ids_in, settle
from services.tradeproc.fees import FeeSchedule

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Applied:
    batch: EventBatch
    orders_before: Mapping[int, OrderRecord]
    settlement: Settlement


class SettlementLoop:
    def __init__(self, symbols: Mapping[str, Symbol], ledger: Ledger, source: EventSource, fees: FeeSchedule):
        self._symbols = symbols
        self._ledger = ledger
        self._source = source
        self._fees = fees
        self.settled: dict[str, int] = {}
        self._watchers: set[asyncio.Queue[dict[str, int]]] = set()
        self._settlement_listeners: set[asyncio.Queue[Applied]] = set()
        self._ready = asyncio.Event()

    async def run(self) -> None:
        for name in self._symbols:
            self.settled[name] = await self._ledger.settled_seq(name)
        self._ready.set()
        async for batch in self._source.batches(dict(self.settled)):
            await self._settle(batch)

    async def _settle(self, batch: EventBatch) -> None:
        symbol = self._symbols[batch.symbol]
        ids = order_ids_in(batch.events)
        orders = await self._ledger.get_orders(batch.symbol, sorted(ids))
        settlement = settle(symbol, batch.events, orders, batch.time_ms, self._fees)
        if await self._ledger.apply_settlement(settlement):
            for listener in self._settlement_listeners:
                try:
                    listener.put_nowait(Applied(batch, orders, settlement))
                except asyncio.QueueFull:  # the user data stream is at most once, like Binance's
                    log.warning("user event listener is behind; dropping a batch for it")
        self.settled[batch.symbol] = settlement.to_seq
        self._notify({batch.symbol: settlement.to_seq})

    # -- who wants to know ----------------------------------------------------------------------
    async def watch(self) -> asyncio.Queue[dict[str, int]]:
        """A queue that first gets every symbol's watermark, then each advance."""
        await self._ready.wait()
        queue: asyncio.Queue[dict[str, int]] = asyncio.Queue()
        queue.put_nowait(dict(self.settled))
        self._watchers.add(queue)
        return queue

    def unwatch(self, queue: asyncio.Queue[dict[str, int]]) -> None:
        self._watchers.discard(queue)

    def listen(self) -> asyncio.Queue[Applied]:
        """Every applied settlement with its events and the orders as they were before it
        (the user data stream builds on them)."""
        queue: asyncio.Queue[Applied] = asyncio.Queue(maxsize=10_000)
        self._settlement_listeners.add(queue)
        return queue

    def unlisten(self, queue: asyncio.Queue[Applied]) -> None:
        self._settlement_listeners.discard(queue)

    def _notify(self, progress: dict[str, int]) -> None:
        for queue in self._watchers:
            queue.put_nowait(progress)
