"""A matching shard: the single writer of its symbols' books.

Commands from every caller queue up here; one task takes them in batches (group commit):
1. drop re-submitted order ids (a crashed order service re-drives its pending orders),
2. append the batch to the journal and wait until it is durable — write-ahead,
3. apply it to the books (the engine is deterministic, so the journal alone rebuilds them),
4. append the events to the event log, publish them to live subscribers, reply to callers.
Nothing a caller or subscriber sees exists before step 2 completed, so a crash at any point
loses nothing that was acknowledged; recovery (`_recover`) replays the journal after each
book's newest snapshot and appends whatever events the event log is missing.

Fencing: one writer per journal partition, even when two processes run the same shard (a
deployment mistake, or an old process that was only paused). Every journal record carries its
writer's epoch. A shard that starts takes the journal over: after replaying it, it appends an
epoch claim (a number higher than every claim in the journal, and its random writer id), then
replays up to its claim. The journal's meaning is fixed by one rule, applied by replay: a claim
counts only if its epoch is higher than the last counting claim before it, and a command batch
counts only if its epoch is not lower than the last counting claim before it. So once a newer
claim is in the journal, whatever the old writer appends after it is void. The old writer finds
out on its next append: the offset it gets back is not the one it expected (the cheap check on
the common path; nothing is read when the offset is the expected one), so it reads the gap,
finds the newer claim and is fenced: it does not apply or acknowledge that batch (callers get
ShardFenced, an Unavailable: the command did not happen), fails everything queued, writes
nothing more (no events, no snapshots) and stays unhealthy. A batch appended before the newer
claim was valid, acknowledged by the old writer and is replayed by the new one, so every
acknowledged command is in the new writer's books. A shard recovering from an outage replays
first and, if another writer claimed the journal meanwhile, fences itself instead of claiming
it back; only a start claims unconditionally (the last process started wins).
Snapshots record the epoch in force at their journal offset, so a replay that starts after a
snapshot knows which writer's records count.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
import math
import secrets
import struct
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from engine_ext.codes import CommandOp
from engine_ext.events import COMMAND_DTYPE, EVENT_DTYPE
from services.common.aio import reraise_if_cancelled
from services.common.ports import Log, SnapshotStore, Unavailable
from services.matching.codec import (
    CommandBatch,
    EpochClaim,
    EventRecord,
    decode_events,
    decode_journal,
    encode_claim,
    encode_commands,
    encode_events,
)

log = logging.getLogger(__name__)

JOURNAL_TOPIC = "engine.commands"
EVENTS_TOPIC = "engine.events"
RECOVERY_WAIT_S = 1.0  # how long a command waits for a recovering shard before UNAVAILABLE
SEEN_IDS_KEPT = 1_000_000  # submits re-driven after a crash are recent; older ids cannot recur
# b"SNP2", the epoch in force at the snapshot's journal offset and the writer whose claim set it,
# the number of recently submitted order ids that follow. Snapshots written before epochs start
# with that number itself (epoch 0, writer unknown).
_SNAPSHOT_HEADER = struct.Struct("<4sqqq")
_SNAPSHOT_HEADER_V1 = struct.Struct("<q")


class Book(Protocol):
    """What the shard needs of an order book (engine_ext.book.OrderBook)."""

    @property
    def seq(self) -> int: ...

    def apply_batch(self, commands: np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...

    def snapshot(self) -> bytes: ...

    def continue_trade_ids(self) -> None: ...


BookFactory = Callable[[bytes | None], Book]  # None: a new empty book; bytes: restore a snapshot


def compiled_book(snapshot: bytes | None) -> Book:
    from engine_ext.book import OrderBook

    return OrderBook.restore(snapshot) if snapshot is not None else OrderBook(tick_size=1, lot_size=1)


class AlreadyJournaled(Exception):
    """A submit whose order id the journal already has: its outcome comes from the event stream."""


class ShardFenced(Unavailable):
    """Another process took this shard's journal over: this one no longer executes anything.
    The command did not happen; a retry reaches the new owner once routing points to it."""


class ShardRecovering(Unavailable):
    """The shard is rebuilding its books after a failed journal append; the command was not
    journaled (safe to retry)."""


class _JournalConflict(Exception):
    """The journal holds records of this writer's epoch that it did not write: rebuild from it."""


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
    journal_epoch: int = 0  # the epoch in force at journal_offset
    journal_writer: int = 0  # the writer whose claim set that epoch (0: unknown)
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
        self._unpublished = False  # a batch is applied to the books, its events not yet durable
        self._subscribers: set[asyncio.Queue[EventRecord | None]] = set()
        self._runner: asyncio.Task[None] | None = None
        self._healthy = False
        self._event_index: dict[str, list[tuple[int, int]]] = {}  # symbol -> [(first_seq, offset)]
        self.last_time_ms = 0  # journal time of the last applied batch
        self.writer_id = secrets.randbits(63)
        self._epoch = 0  # the epoch in force at _journal_end; this shard's own once it claimed
        self._epoch_writer = 0  # the writer of the claim that set _epoch (0: none seen)
        self._epoch_offset = -1  # the offset of that claim
        self._journal_end = 0  # the offset the next journal append should get
        self._claimed = False  # this instance has held the journal (its claim counted) before
        self._fenced = False
        self._fenced_event = asyncio.Event()
        self._replayed: dict[str, list[tuple[np.ndarray, int]]] = {}  # recovery: events per symbol

    # -- COMMANDS ---------------------------------------------------------------------------
    async def start(self) -> None:
        await self._recover()
        self._runner = asyncio.create_task(self._run(), name=f"matching-shard-{self.shard}")

    async def stop(self) -> None:
        if self._runner is not None:
            self._runner.cancel()
            await asyncio.gather(self._runner, return_exceptions=True)
            self._runner = None
        # Books holding a batch whose events are not durable (its publication failed, a recovery
        # that replayed it could not re-publish them, or the stop cut the publication short):
        # a snapshot of them would hide that batch from the replay that re-publishes its events.
        if self._healthy and not self._unpublished:
            for state_symbol in self._books:
                await self._save_snapshot(state_symbol)
        self._end_subscriptions()

    async def execute(self, symbol: str, command: np.void) -> Executed:
        """Journal and apply one command; return its events and where its time went.

        Raises AlreadyJournaled for a submit whose order id was journaled before.
        """
        return await self.submit(symbol, command)

    def submit(self, symbol: str, command: np.void) -> Awaitable[Executed]:
        """`execute` without waiting: the command is queued now, so commands submitted together
        are journaled together, and no task is made per command. A shard that is recovering
        queues it only once recovered, when it is awaited (or refuses it, as `execute`): a
        batch's commands then go one by one."""
        if self._fenced:
            raise ShardFenced(f"matching shard {self.shard}: another process owns its journal")
        if symbol not in self._books:
            raise KeyError(symbol)
        if not self._healthy:
            return self._submit_after_recovery(symbol, command)
        reply: asyncio.Future[Executed] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Pending(symbol, command, reply, time.perf_counter_ns()))
        return reply

    async def _submit_after_recovery(self, symbol: str, command: np.void) -> Executed:
        await self._await_recovery()
        return await self.submit(symbol, command)

    async def _await_recovery(self) -> None:
        """Rebuilding after a failed append (a journal outage): a brief blip is waited out, a
        longer one answered at once rather than at the caller's deadline. The command was not
        journaled, so the caller may retry it."""
        deadline = time.monotonic() + RECOVERY_WAIT_S
        while not self._healthy and not self._fenced and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        if self._fenced:
            raise ShardFenced(f"matching shard {self.shard}: another process owns its journal")
        if not self._healthy:
            raise ShardRecovering(f"matching shard {self.shard}: journal unavailable, recovering")

    # -- QUERIES ----------------------------------------------------------------------------
    def book(self, symbol: str) -> Any:
        return self._books[symbol].book

    def last_seq(self, symbol: str) -> int:
        return self._books[symbol].book.seq

    @property
    def healthy(self) -> bool:
        return self._healthy

    @property
    def fenced(self) -> bool:
        """Another process took the journal over; this shard has stopped for good."""
        return self._fenced

    async def wait_fenced(self) -> None:
        """Return once this shard is fenced (the composition root turns health NOT_SERVING)."""
        await self._fenced_event.wait()

    @property
    def epoch(self) -> int:
        return self._epoch

    async def subscribe(self, after_seq: dict[str, int]) -> AsyncIterator[EventRecord]:
        """Events of the requested symbols after the given seqs: history from the log, then live.

        A subscriber that falls too far behind is dropped (the iterator ends); it reconnects
        with its own last seq, so nothing is skipped and nothing stalls the shard.
        """
        if self._fenced:
            return  # its books stopped; the subscriber reconnects to the new owner
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
            except ShardFenced as exc:
                self._fence(exc, batch)
                return
            except Exception as exc:  # a failed append leaves the outcome unknown: rebuild
                log.exception("matching shard %s: batch failed, recovering", self.shard)
                self._healthy = False
                for item in batch:
                    if not item.reply.done():
                        item.reply.set_exception(exc)
                recovering = ShardRecovering(f"matching shard {self.shard}: journal unavailable, recovering")
                while not self._queue.empty():  # queued behind the failed batch, never appended
                    queued = self._queue.get_nowait()
                    if not queued.reply.done():
                        queued.reply.set_exception(recovering)
                await self._recover_until_healthy()
                if self._fenced:
                    self._fence(ShardFenced(f"matching shard {self.shard}: journal taken over"), [])
                    return

    def _fence(self, exc: ShardFenced, batch: list[_Pending]) -> None:
        log.error("matching shard %s: fenced, executing nothing more: %s", self.shard, exc)
        self._fenced = True
        self._fenced_event.set()
        self._healthy = False
        while not self._queue.empty():
            batch.append(self._queue.get_nowait())
        for item in batch:
            if not item.reply.done():
                item.reply.set_exception(exc)
        self._end_subscriptions()

    def _end_subscriptions(self) -> None:
        for queue in list(self._subscribers):
            try:
                queue.put_nowait(None)
            except asyncio.QueueFull:
                queue.get_nowait()
                queue.put_nowait(None)

    async def _commit(self, batch: list[_Pending]) -> None:
        accepted: list[_Pending] = []
        fresh: dict[str, set[int]] = {}
        for item in batch:
            new_id = _submitted_order_id(item.command)
            if new_id:
                state = self._books[item.symbol]
                batch_ids = fresh.setdefault(item.symbol, set())
                if new_id in state.seen or new_id in batch_ids:
                    if not item.reply.done():  # its caller may have gone (a canceled call)
                        item.reply.set_exception(AlreadyJournaled(f"order {new_id} is already journaled"))
                    continue
                batch_ids.add(new_id)
            accepted.append(item)
        if not accepted:
            return

        started = time.perf_counter_ns()
        time_ms = self._clock()
        commands = np.array([item.command for item in accepted], dtype=COMMAND_DTYPE)
        record = encode_commands(CommandBatch(time_ms, [item.symbol for item in accepted], commands, self._epoch))
        offset = await self._log.append(JOURNAL_TOPIC, self.shard, [record])  # durable from here
        if offset != self._journal_end:
            await self._check_gap(offset)  # someone else appended: are we still the writer?
        self._journal_end = offset + 1
        journaled = time.perf_counter_ns()

        self.last_time_ms = time_ms
        self._unpublished = True
        results = self._apply(offset, [item.symbol for item in accepted], commands)
        matched = time.perf_counter_ns()
        event_records = [_record(sym, time_ms, events) for sym, events in results.per_symbol.items() if len(events)]
        await self._append_events(event_records)
        self._unpublished = False
        published = time.perf_counter_ns()
        for item, events in zip(accepted, results.per_command, strict=True):
            if not item.reply.done():
                waited = started - item.enqueued_ns
                timings = Timings(waited, journaled - started, matched - journaled, published - matched)
                item.reply.set_result(Executed(events, timings))
        await self._maybe_snapshot()

    async def _check_gap(self, offset: int) -> None:
        """Read the records between the expected offset and `offset` (ours): raise ShardFenced
        if one is a counting claim of another writer (our record is then void)."""
        position = self._journal_end
        while position < offset:
            entries = await self._log.read(JOURNAL_TOPIC, self.shard, position, min(256, offset - position))
            if not entries:
                raise _JournalConflict(f"journal {self.shard}: records {position}..{offset - 1} unreadable")
            for entry in entries:
                if entry.offset >= offset:
                    return
                record = decode_journal(entry.payload)
                if isinstance(record, EpochClaim):
                    if record.epoch > self._epoch:
                        raise ShardFenced(
                            f"matching shard {self.shard}: writer {record.writer} claimed epoch {record.epoch} "
                            f"at offset {entry.offset}, ours is {self._epoch}"
                        )
                elif record.epoch >= self._epoch:
                    raise _JournalConflict(f"journal {self.shard}: offset {entry.offset} has epoch {record.epoch}")
                position = entry.offset + 1

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
            state.journal_epoch = self._epoch
            state.journal_writer = self._epoch_writer
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
        header = _SNAPSHOT_HEADER.pack(b"SNP2", state.journal_epoch, state.journal_writer, len(seen))
        data = header + seen.tobytes() + state.book.snapshot()
        await self._snapshots.save(symbol, state.journal_offset, data)
        state.commands_since_snapshot = 0

    async def _recover_until_healthy(self) -> None:
        delay = 0.05
        while not self._healthy and not self._fenced:
            try:
                await self._recover()
            except Exception as exc:
                reraise_if_cancelled()
                log.warning("matching shard %s: backend unavailable, retrying in %.2fs: %r", self.shard, delay, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)

    async def _recover(self) -> None:
        """Restore the snapshots, replay the journal after them, claim it (unless another
        writer took it over since this shard last held it: then fence), publish lost events."""
        self._healthy = False
        self._unpublished = False  # the books are rebuilt; what replay brings back is published below
        self._books = {symbol: await self._restore(symbol) for symbol in self.symbols}
        oldest = min(self._books.values(), key=lambda state: state.journal_offset)
        self._epoch, self._epoch_writer, self._epoch_offset = oldest.journal_epoch, oldest.journal_writer, -1
        self._journal_end = oldest.journal_offset + 1
        self._replayed = {symbol: [] for symbol in self.symbols}
        await self._replay(await self._log.end_offset(JOURNAL_TOPIC, self.shard))
        if self._claimed and self._epoch_writer != self.writer_id:
            log.error(
                "matching shard %s: writer %s claimed the journal (epoch %s) while we were away",
                self.shard,
                self._epoch_writer,
                self._epoch,
            )
            self._fenced = True
            return
        await self._claim()

        published = await self._scan_event_log()
        missing: list[EventRecord] = []
        for symbol in self.symbols:
            for events, time_ms in self._replayed[symbol]:
                fresh = events[events["seq"] > published.get(symbol, 0)]
                if len(fresh):
                    missing.append(_record(symbol, time_ms, fresh))
        self._replayed = {}
        await self._append_events(missing)
        if missing:
            log.info("matching shard %s: re-published %d event records", self.shard, len(missing))
        for state in self._books.values():
            state.book.continue_trade_ids()  # the replay is over: new trades take new ids
        self._healthy = True

    async def _restore(self, symbol: str) -> _SymbolState:
        saved = await self._snapshots.load(symbol)
        if saved is None:
            return _SymbolState(self._book_factory(None))
        journal_offset, data = saved
        if data[:4] == b"SNP2":
            _magic, epoch, writer, n_seen = _SNAPSHOT_HEADER.unpack_from(data)
            position = _SNAPSHOT_HEADER.size
        else:
            ((n_seen,), epoch, writer) = _SNAPSHOT_HEADER_V1.unpack_from(data), 0, 0
            position = _SNAPSHOT_HEADER_V1.size
        seen_ids = np.frombuffer(data, dtype="<i8", count=n_seen, offset=position).tolist()
        book = self._book_factory(data[position + 8 * n_seen :])
        state = _SymbolState(book, journal_offset=journal_offset, journal_epoch=epoch, journal_writer=writer)
        for order_id in seen_ids:
            state.remember(order_id)
        return state

    async def _claim(self) -> None:
        """Append a claim of the next epoch and replay up to it; again if another claim got in first."""
        while True:
            claim = EpochClaim(self._clock(), self._epoch + 1, self.writer_id)
            offset = await self._log.append(JOURNAL_TOPIC, self.shard, [encode_claim(claim)])
            await self._replay(offset + 1)
            if self._epoch_offset == offset:
                self._claimed = True
                log.info(
                    "matching shard %s: writer %s holds the journal from offset %s (epoch %s)",
                    self.shard,
                    self.writer_id,
                    offset,
                    claim.epoch,
                )
                return
            log.warning(
                "matching shard %s: epoch %s was claimed first by writer %s; claiming again",
                self.shard,
                claim.epoch,
                self._epoch_writer,
            )

    async def _replay(self, until: int) -> None:
        """Apply the journal from _journal_end up to `until` (exclusive) under the fencing rule."""
        while self._journal_end < until:
            position = self._journal_end
            entries = await self._log.read(JOURNAL_TOPIC, self.shard, position, min(256, until - position))
            if not entries:
                # the log counts these offsets but holds no record there (a gap the adapter
                # waited out, see KafkaLog.read): nothing was journaled, so nothing to apply
                log.warning("matching shard %s: journal offsets %s..%s hold no record", self.shard, position, until - 1)
                self._journal_end = until
                return
            for entry in entries:
                if entry.offset >= until:
                    break
                self._replay_record(entry.offset, decode_journal(entry.payload))
                self._journal_end = entry.offset + 1

    def _replay_record(self, offset: int, record: CommandBatch | EpochClaim) -> None:
        if isinstance(record, EpochClaim):
            if record.epoch > self._epoch:  # a claim of a number already claimed does not count
                self._epoch, self._epoch_writer, self._epoch_offset = record.epoch, record.writer, offset
            return
        if record.epoch < self._epoch:
            return  # appended by a writer after a newer claim: void, never acknowledged
        if record.epoch > self._epoch:
            # its claim precedes where this replay started (a snapshot from before epochs)
            self._epoch, self._epoch_writer = record.epoch, 0
        self.last_time_ms = record.time_ms
        applied = self._apply(offset, record.symbols, record.commands)
        for symbol, events in applied.per_symbol.items():
            if len(events):
                self._replayed[symbol].append((events, record.time_ms))

    async def _scan_event_log(self) -> dict[str, int]:
        """Index the whole event log (subscribers may ask for any history) and return the
        last published seq per symbol.

        The log may repeat events (a fenced writer and its successor can both publish one
        batch's events; consumers drop seqs they have): the index keeps, in seq order, only
        records that bring new seqs, keyed by the first new one."""
        last: dict[str, int] = {}
        self._event_index = {}
        offset = 0
        end = await self._log.end_offset(EVENTS_TOPIC, self.shard)
        while offset < end:
            entries = await self._log.read(EVENTS_TOPIC, self.shard, offset, 1024)
            if not entries:
                break
            for entry in entries:
                header = decode_events(entry.payload, header_only=True)
                before = last.get(header.symbol, 0)
                if header.last_seq > before:
                    first_new = max(header.first_seq, before + 1)
                    self._event_index.setdefault(header.symbol, []).append((first_new, entry.offset))
                    last[header.symbol] = header.last_seq
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
