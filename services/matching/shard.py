"""A matching shard: the single writer of its symbols' books.

Commands from every caller queue up here; one task takes them in batches (group commit):
1. drop re-submitted order ids (a crashed order service re-drives its pending orders),
2. append the batch to the journal and wait until it is durable — write-ahead,
3. apply it to the books (the engine is deterministic, so the journal alone rebuilds them),
4. append the events to the event log, publish them to live subscribers, reply to callers.
Nothing a caller or subscriber sees exists before step 2 completed, so a crash at any point
loses nothing that was acknowledged; recovery (`_recover`) replays the journal after each
book's newest snapshot and appends whatever events the event log is missing.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
import math
import struct
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from engine_ext.codes import CommandOp
from engine_ext.events import COMMAND_DTYPE, EVENT_DTYPE
from services.common.ports import Log, SnapshotStore
from services.matching.codec import (
    CommandBatch,
    EventRecord,
    decode_commands,
    decode_events,
    encode_commands,
    encode_events,
)

log = logging.getLogger(__name__)

JOURNAL_TOPIC = "engine.commands"
EVENTS_TOPIC = "engine.events"
SEEN_IDS_KEPT = 1_000_000  # submits re-driven after a crash are recent; older ids cannot recur
_SNAPSHOT_HEADER = struct.Struct("<q")  # number of recently submitted order ids that follow


class Book(Protocol):
    """What the shard needs of an order book (engine_ext.book.OrderBook)."""

    @property
    def seq(self) -> int: ...

    def apply_batch(self, commands: np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...

    def snapshot(self) -> bytes: ...


BookFactory = Callable[[bytes | None], Book]  # None: a new empty book; bytes: restore a snapshot


def compiled_book(snapshot: bytes | None) -> Book:
    from engine_ext.book import OrderBook

    return OrderBook.restore(snapshot) if snapshot is not None else OrderBook(tick_size=1, lot_size=1)


class AlreadyJournaled(Exception):
    """A submit whose order id the journal already has: its outcome comes from the event stream."""


@dataclass(frozen=True, slots=True)
class Timings:
    """Nanoseconds one command spent in each stage of the shard."""

    queued: int
    journal: int
    match: int
    publish: int


@dataclass(frozen=True, slots=True)
class Executed:
    events: np.ndarray  # EVENT_DTYPE
    timings: Timings


@dataclass(slots=True)
class _Pending:
    symbol: str
    command: np.void
    reply: asyncio.Future[Executed]
    enqueued_ns: int


@dataclass(slots=True)
class _SymbolState:
    book: Book
    journal_offset: int = -1  # last journal offset applied to the book
    seen: set[int] = field(default_factory=set)
    seen_order: deque[int] = field(default_factory=deque)
    commands_since_snapshot: int = 0

    def remember(self, order_id: int) -> None:
        self.seen.add(order_id)
        self.seen_order.append(order_id)
        if len(self.seen_order) > SEEN_IDS_KEPT:
            self.seen.discard(self.seen_order.popleft())


class MatchingShard:
    def __init__(
        self,
        shard: int,
        symbols: Sequence[str],
        log: Log,
        snapshots: SnapshotStore,
        book_factory: BookFactory = compiled_book,
        *,
        max_batch: int = 2048,
        snapshot_every: int = 50_000,
        clock: Callable[[], int] = lambda: time.time_ns() // 1_000_000,
    ) -> None:
        self.shard = shard
        self.symbols = list(symbols)
        self._log = log
        self._snapshots = snapshots
        self._book_factory = book_factory
        self._max_batch = max_batch
        self._snapshot_every = snapshot_every
        self._clock = clock
        self._books: dict[str, _SymbolState] = {}
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self._subscribers: set[asyncio.Queue[EventRecord | None]] = set()
        self._runner: asyncio.Task[None] | None = None
        self._healthy = False
        self._event_index: dict[str, list[tuple[int, int]]] = {}  # symbol -> [(first_seq, offset)]
        self.last_time_ms = 0  # journal time of the last applied batch

    # -- COMMANDS ---------------------------------------------------------------------------
    async def start(self) -> None:
        await self._recover()
        self._runner = asyncio.create_task(self._run(), name=f"matching-shard-{self.shard}")

    async def stop(self) -> None:
        if self._runner is not None:
            self._runner.cancel()
            await asyncio.gather(self._runner, return_exceptions=True)
            self._runner = None
        for state_symbol in self._books:
            await self._save_snapshot(state_symbol)
        for queue in self._subscribers:
            queue.put_nowait(None)

    async def execute(self, symbol: str, command: np.void) -> Executed:
        """Journal and apply one command; return its events and where its time went.

        Raises AlreadyJournaled for a submit whose order id was journaled before.
        """
        if symbol not in self._books:
            raise KeyError(symbol)
        reply: asyncio.Future[Executed] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Pending(symbol, command, reply, time.perf_counter_ns()))
        return await reply

    # -- QUERIES ----------------------------------------------------------------------------
    def book(self, symbol: str) -> Any:
        return self._books[symbol].book

    def last_seq(self, symbol: str) -> int:
        return self._books[symbol].book.seq

    @property
    def healthy(self) -> bool:
        return self._healthy

    async def subscribe(self, after_seq: dict[str, int]) -> AsyncIterator[EventRecord]:
        """Events of the requested symbols after the given seqs: history from the log, then live.

        A subscriber that falls too far behind is dropped (the iterator ends); it reconnects
        with its own last seq, so nothing is skipped and nothing stalls the shard.
        """
        wanted = {s: after_seq.get(s, 0) for s in self.symbols if s in after_seq}
        live: asyncio.Queue[EventRecord | None] = asyncio.Queue(maxsize=10_000)
        self._subscribers.add(live)
        try:
            async for record in self._history(wanted):
                yield record
            while True:
                pushed = await live.get()
                if pushed is None:
                    return
                trimmed = _after(pushed, wanted)
                if trimmed is not None:
                    wanted[pushed.symbol] = pushed.last_seq
                    yield trimmed
        finally:
            self._subscribers.discard(live)

    # -- the group-commit loop ----------------------------------------------------------------
    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._commit(batch)
            except Exception as exc:  # a failed append leaves the outcome unknown: rebuild
                log.exception("matching shard %s: batch failed, recovering", self.shard)
                self._healthy = False
                for item in batch:
                    if not item.reply.done():
                        item.reply.set_exception(exc)
                await self._recover_until_healthy()

    async def _commit(self, batch: list[_Pending]) -> None:
        accepted: list[_Pending] = []
        fresh: dict[str, set[int]] = {}
        for item in batch:
            new_id = _submitted_order_id(item.command)
            if new_id:
                state = self._books[item.symbol]
                batch_ids = fresh.setdefault(item.symbol, set())
                if new_id in state.seen or new_id in batch_ids:
                    item.reply.set_exception(AlreadyJournaled(f"order {new_id} is already journaled"))
                    continue
                batch_ids.add(new_id)
            accepted.append(item)
        if not accepted:
            return

        started = time.perf_counter_ns()
        time_ms = self._clock()
        commands = np.array([item.command for item in accepted], dtype=COMMAND_DTYPE)
        record = encode_commands(CommandBatch(time_ms, [item.symbol for item in accepted], commands))
        offset = await self._log.append(JOURNAL_TOPIC, self.shard, [record])  # durable from here
        journaled = time.perf_counter_ns()

        self.last_time_ms = time_ms
        results = self._apply(offset, [item.symbol for item in accepted], commands)
        matched = time.perf_counter_ns()
        event_records = [_record(sym, time_ms, events) for sym, events in results.per_symbol.items() if len(events)]
        await self._append_events(event_records)
        published = time.perf_counter_ns()
        for item, events in zip(accepted, results.per_command, strict=True):
            if not item.reply.done():
                waited = started - item.enqueued_ns
                timings = Timings(waited, journaled - started, matched - journaled, published - matched)
                item.reply.set_result(Executed(events, timings))
        await self._maybe_snapshot()

    def _apply(self, offset: int, symbols: list[str], commands: np.ndarray) -> _Applied:
        """Apply one journal record to the books, in journal order, each symbol's commands as
        one engine batch (the engine's batch API keeps Python out of the per-command path)."""
        by_symbol: dict[str, list[int]] = {}
        for i, symbol in enumerate(symbols):
            by_symbol.setdefault(symbol, []).append(i)
        per_command: list[np.ndarray] = [np.empty(0, dtype=EVENT_DTYPE)] * len(symbols)
        per_symbol: dict[str, np.ndarray] = {}
        for symbol, indexes in by_symbol.items():
            state = self._books[symbol]
            if offset <= state.journal_offset:
                continue  # replaying a record this book's snapshot already contains
            mine = commands[indexes]
            events, ends = state.book.apply_batch(mine)
            start = 0
            for i, end in zip(indexes, ends.tolist(), strict=True):
                per_command[i] = events[start:end]
                start = end
            for command in mine:
                new_id = _submitted_order_id(command)
                if new_id:
                    state.remember(new_id)
            state.journal_offset = offset
            state.commands_since_snapshot += len(indexes)
            per_symbol[symbol] = events
        return _Applied(per_command, per_symbol)

    async def _append_events(self, records: list[EventRecord]) -> None:
        if not records:
            return
        first = await self._log.append(EVENTS_TOPIC, self.shard, [encode_events(r) for r in records])
        for i, record in enumerate(records):
            self._event_index.setdefault(record.symbol, []).append((record.first_seq, first + i))
        self._publish(records)

    def _publish(self, records: list[EventRecord]) -> None:
        for queue in list(self._subscribers):
            for record in records:
                try:
                    queue.put_nowait(record)
                except asyncio.QueueFull:
                    log.warning("matching shard %s: dropping a slow event subscriber", self.shard)
                    self._subscribers.discard(queue)
                    queue.get_nowait()  # make room for the end-of-stream marker
                    queue.put_nowait(None)
                    break

    # -- snapshots and recovery -----------------------------------------------------------------
    async def _maybe_snapshot(self) -> None:
        for symbol, state in self._books.items():
            if state.commands_since_snapshot >= self._snapshot_every:
                await self._save_snapshot(symbol)

    async def _save_snapshot(self, symbol: str) -> None:
        state = self._books[symbol]
        if state.journal_offset < 0:
            return
        seen = np.fromiter(state.seen_order, dtype="<i8", count=len(state.seen_order))
        data = _SNAPSHOT_HEADER.pack(len(seen)) + seen.tobytes() + state.book.snapshot()
        await self._snapshots.save(symbol, state.journal_offset, data)
        state.commands_since_snapshot = 0

    async def _recover_until_healthy(self) -> None:
        delay = 0.05
        while not self._healthy:
            try:
                await self._recover()
            except Exception:
                log.warning("matching shard %s: backend unavailable, retrying in %.2fs", self.shard, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)

    async def _recover(self) -> None:
        self._healthy = False
        self._books = {}
        for symbol in self.symbols:
            saved = await self._snapshots.load(symbol)
            if saved is None:
                self._books[symbol] = _SymbolState(self._book_factory(None))
                continue
            journal_offset, data = saved
            (n_seen,) = _SNAPSHOT_HEADER.unpack_from(data)
            seen_ids = np.frombuffer(data, dtype="<i8", count=n_seen, offset=_SNAPSHOT_HEADER.size).tolist()
            book_bytes = data[_SNAPSHOT_HEADER.size + 8 * n_seen :]
            state = _SymbolState(self._book_factory(book_bytes), journal_offset=journal_offset)
            for order_id in seen_ids:
                state.remember(order_id)
            self._books[symbol] = state

        replayed: dict[str, list[np.ndarray]] = {s: [] for s in self.symbols}
        times: dict[str, list[int]] = {s: [] for s in self.symbols}
        start = min(state.journal_offset for state in self._books.values()) + 1
        end = await self._log.end_offset(JOURNAL_TOPIC, self.shard)
        while start < end:
            for entry in await self._log.read(JOURNAL_TOPIC, self.shard, start, 256):
                batch = decode_commands(entry.payload)
                self.last_time_ms = batch.time_ms
                applied = self._apply(entry.offset, batch.symbols, batch.commands)
                for symbol, events in applied.per_symbol.items():
                    if len(events):
                        replayed[symbol].append(events)
                        times[symbol].append(batch.time_ms)
                start = entry.offset + 1

        published = await self._scan_event_log()
        missing: list[EventRecord] = []
        for symbol in self.symbols:
            for events, time_ms in zip(replayed[symbol], times[symbol], strict=True):
                fresh = events[events["seq"] > published.get(symbol, 0)]
                if len(fresh):
                    missing.append(_record(symbol, time_ms, fresh))
        await self._append_events(missing)
        if missing:
            log.info("matching shard %s: re-published %d event records", self.shard, len(missing))
        self._healthy = True

    async def _scan_event_log(self) -> dict[str, int]:
        """Index the whole event log (subscribers may ask for any history) and return the
        last published seq per symbol."""
        last: dict[str, int] = {}
        self._event_index = {}
        offset = 0
        end = await self._log.end_offset(EVENTS_TOPIC, self.shard)
        while offset < end:
            for entry in await self._log.read(EVENTS_TOPIC, self.shard, offset, 1024):
                header = decode_events(entry.payload, header_only=True)
                self._event_index.setdefault(header.symbol, []).append((header.first_seq, entry.offset))
                last[header.symbol] = max(last.get(header.symbol, 0), header.last_seq)
                offset = entry.offset + 1
        return last

    async def _history(self, wanted: dict[str, int]) -> AsyncIterator[EventRecord]:
        starts = [_offset_of(self._event_index.get(symbol, []), after) for symbol, after in wanted.items()]
        if not starts:
            return
        offset = min(starts)
        end = await self._log.end_offset(EVENTS_TOPIC, self.shard)
        while offset < end:
            entries = await self._log.read(EVENTS_TOPIC, self.shard, offset, 512)
            if not entries:
                return
            for entry in entries:
                record = decode_events(entry.payload)
                trimmed = _after(record, wanted) if record.symbol in wanted else None
                if trimmed is not None:
                    wanted[record.symbol] = record.last_seq
                    yield trimmed
                offset = entry.offset + 1


@dataclass(slots=True)
class _Applied:
    per_command: list[np.ndarray]
    per_symbol: dict[str, np.ndarray]


def _record(symbol: str, time_ms: int, events: np.ndarray) -> EventRecord:
    return EventRecord(symbol, time_ms, int(events["seq"][0]), int(events["seq"][-1]), events)


def _submitted_order_id(command: np.void) -> int:
    """The id a SUBMIT or REPLACE would create (0 for commands that create no order)."""
    op = int(command["op"])
    if op in (CommandOp.SUBMIT, CommandOp.REPLACE):
        return int(command["order_id"])
    return 0


def _after(record: EventRecord, wanted: dict[str, int]) -> EventRecord | None:
    after = wanted.get(record.symbol)
    if after is None or record.last_seq <= after:
        return None
    if record.first_seq > after:
        return record
    events = record.events[record.events["seq"] > after]
    return EventRecord(record.symbol, record.time_ms, int(events["seq"][0]), record.last_seq, events)


def _offset_of(index: list[tuple[int, int]], after_seq: int) -> int:
    """Offset of the record holding seq `after_seq + 1`, or of the first record after it.

    `index` holds (first_seq, offset) per record, in seq order."""
    if not index:
        return 0
    position = bisect.bisect_right(index, (after_seq + 1, math.inf)) - 1
    return index[max(position, 0)][1]
