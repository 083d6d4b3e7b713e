"""Follows the engine's events and settles each batch exactly once.

For every batch of one symbol's events (in seq order): load the orders it names, let the pure
domain compute the Settlement, and apply it to the ledger in one atomic write together with
the symbol's watermark. Starting from the ledger's watermarks means a restart resumes right
after the last applied batch; a redelivered batch is refused by the watermark check, so
nothing is ever settled twice.

A source that can hand over every batch it already holds at once (`GroupedEventSource`) lets
a loop that fell behind catch up in one ledger write per symbol (one fsync for all of them)
instead of one per batch: the batches of a symbol merge into one Settlement, and the symbols'
settlements are written together. The source's contract is unchanged: the next group is
asked for only once the previous group's settlements are durable.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from services.common.markets import Symbol
from services.common.ports import EventBatch, EventSource, Ledger, Unavailable
from services.common.records import OrderRecord, Settlement
from services.tradeproc.domain import merge_settlements, order_ids_in, settle
from services.tradeproc.fees import FeeSchedule

log = logging.getLogger(__name__)

MIN_BACKOFF_S, MAX_BACKOFF_S = 0.05, 2.0  # between attempts while the ledger is unreachable


@dataclass(frozen=True, slots=True)
class Applied:
    batch: EventBatch
    orders_before: Mapping[int, OrderRecord]
    settlement: Settlement  # of this batch alone


class AppliedSink(Protocol):
    """Where listen() puts each Applied: an asyncio.Queue (bounded) of them or of more."""

    def put_nowait(self, item: Applied, /) -> None: ...


@runtime_checkable
class GroupedEventSource(Protocol):
    """An EventSource that can also yield everything it already received as one group
    (each symbol's batches in seq order). The next group is asked for only once the previous
    group's effects are durable."""

    def batch_groups(self, after_seq: dict[str, int]) -> AsyncIterator[list[EventBatch]]: ...


async def _one_by_one(batches: AsyncIterator[EventBatch]) -> AsyncIterator[list[EventBatch]]:
    async for batch in batches:
        yield [batch]


class SettlementLoop:
    def __init__(self, symbols: Mapping[str, Symbol], ledger: Ledger, source: EventSource, fees: FeeSchedule):
        self._symbols = symbols
        self._ledger = ledger
        self._source = source
        self._fees = fees
        self.settled: dict[str, int] = {}
        self._watchers: set[asyncio.Queue[dict[str, int]]] = set()
        self._settlement_listeners: set[AppliedSink] = set()
        self._ready = asyncio.Event()

    async def run(self) -> None:
        """Settle forever. A ledger or event-source outage (Unavailable) is waited out: the loop
        starts again from the ledger's own watermarks, so nothing is skipped or settled twice."""
        backoff = MIN_BACKOFF_S
        while True:
            try:
                await self._follow()
                return
            except Unavailable as exc:
                log.warning("settlement paused: %s; retrying in %.2f s", exc, backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_S)

    async def _follow(self) -> None:
        for name in self._symbols:
            self.settled[name] = await self._ledger.settled_seq(name)
        self._ready.set()
        after = dict(self.settled)
        if isinstance(self._source, GroupedEventSource):
            groups = self._source.batch_groups(after)
        else:
            groups = _one_by_one(self._source.batches(after))
        try:
            async for group in groups:
                await self._settle_group(group)
        finally:
            close = getattr(groups, "aclose", None)  # an outage ends the source's consumer too
            if close is not None:
                await close()

    async def _settle_group(self, group: Sequence[EventBatch]) -> None:
        by_symbol: dict[str, list[EventBatch]] = {}
        for batch in group:
            by_symbol.setdefault(batch.symbol, []).append(batch)
        # one write per symbol, all queued at once: the ledger commits them together
        settled = await asyncio.gather(*(self._settle(batches) for batches in by_symbol.values()))
        progress = dict(zip(by_symbol, settled, strict=True))
        self.settled.update(progress)
        self._notify(progress)

    async def _settle(self, batches: Sequence[EventBatch]) -> int:
        """Settle one symbol's consecutive batches in one atomic write; returns the new watermark."""
        symbol = self._symbols[batches[0].symbol]
        named = [order_ids_in(batch.events) for batch in batches]
        known = await self._ledger.get_orders(symbol.name, sorted(set().union(*named)))
        if len(batches) == 1:
            [batch] = batches
            parts = [Applied(batch, known, settle(symbol, batch.events, known, batch.time_ms, self._fees))]
        else:
            known = dict(known)
            parts = []
            for batch, ids in zip(batches, named, strict=True):
                # each batch with its own time, on the orders as the batches before it left them
                before = {order_id: known[order_id] for order_id in ids if order_id in known}
                settlement = settle(symbol, batch.events, before, batch.time_ms, self._fees)
                parts.append(Applied(batch, before, settlement))
                known.update(settlement.orders)  # new records: `before` keeps the old ones
        merged = parts[0].settlement if len(parts) == 1 else merge_settlements([p.settlement for p in parts])
        if await self._ledger.apply_settlement(merged):
            for applied in parts:
                for listener in self._settlement_listeners:
                    try:
                        listener.put_nowait(applied)
                    except asyncio.QueueFull:  # the user data stream is at most once, like Binance's
                        log.warning("user event listener is behind; dropping a batch for it")
        return merged.to_seq

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

    def listen(self, sink: AppliedSink) -> None:
        """Every applied settlement with its events and the orders as they were before it
        (the user data stream builds on them). A full sink (asyncio.QueueFull) misses it."""
        self._settlement_listeners.add(sink)

    def unlisten(self, sink: AppliedSink) -> None:
        self._settlement_listeners.discard(sink)

    def _notify(self, progress: dict[str, int]) -> None:
        for queue in self._watchers:
            queue.put_nowait(progress)
