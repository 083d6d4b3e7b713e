"""MatchingService over gRPC: proto commands in, engine events out. Thin by design: the
shard (shard.py) does the journaling, matching and publishing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Iterable
from dataclasses import dataclass
from typing import Any

import grpc
import numpy as np
from google.rpc import status_pb2

from engine_ext.codes import CommandOp, EventKind
from engine_ext.events import events_from_array
from exchange.v1 import matching_pb2, matching_pb2_grpc
from services.common.grpcutil.errors import ServiceError, error_status
from services.common.markets import Symbol
from services.common.ports import Unavailable
from services.common.symbol_info import symbol_info
from services.matching.codec import EventRecord
from services.matching.convert import command_record, engine_event
from services.matching.shard import AlreadyJournaled, Executed, MatchingShard

PUBLISHED_CACHE = 1024  # event records whose StreamEvents message is kept for other subscribers


class MatchingServicer(matching_pb2_grpc.MatchingServiceServicer):
    def __init__(self, shards: Iterable[MatchingShard], symbols: Iterable[Symbol]) -> None:
        self._shards = list(shards)
        self._owner = {name: shard for shard in self._shards for name in shard.symbols}
        self._symbols = {s.name: s for s in symbols if s.name in self._owner}
        self._published_cache: dict[int, tuple[EventRecord, matching_pb2.EventBatch]] = {}

    async def Execute(
        self, request: matching_pb2.CommandBatch, context: grpc.aio.ServicerContext
    ) -> matching_pb2.EventBatch:
        return await self._execute(request)

    async def ExecuteStream(
        self, requests: AsyncIterator[matching_pb2.CommandBatch], context: grpc.aio.ServicerContext
    ) -> AsyncIterator[matching_pb2.EventBatch]:
        # Batches are started as they arrive (so they group-commit together) and answered in
        # request order.
        replies: asyncio.Queue[asyncio.Task[matching_pb2.EventBatch] | None] = asyncio.Queue()

        async def start_all() -> None:
            async for batch in requests:
                replies.put_nowait(asyncio.create_task(self._execute(batch)))
            replies.put_nowait(None)

        reader = asyncio.create_task(start_all())
        try:
            while (task := await replies.get()) is not None:
                yield await task
        finally:
            reader.cancel()
            # batches started but not answered (the caller went away, or one failed): they run
            # to their end (what is journaled stays journaled), with no one to read how it went
            while not replies.empty():
                if (started := replies.get_nowait()) is not None:
                    started.add_done_callback(_outcome_unread)

    async def _execute(self, batch: matching_pb2.CommandBatch) -> matching_pb2.EventBatch:
        # every command is queued on its shard before any is awaited, so they are journaled
        # together, without a task per command (gather's) on the hop's hottest path
        submitted: list[_Submitted] = []
        try:
            for command in batch.commands:
                submitted.append(self._submit(command))
        except BaseException:
            for queued in submitted:
                queued.abandon()
            raise
        results = []
        for index, one in enumerate(submitted):
            try:
                results.append(await self._result(one))
            except BaseException:
                for later in submitted[index + 1 :]:
                    later.abandon()
                raise
        return matching_pb2.EventBatch(batch_id=batch.batch_id, results=results)

    def _submit(self, command: matching_pb2.Command) -> _Submitted:
        shard = self._owner.get(command.symbol)
        if shard is None:
            return _Submitted(command, refused=error_status("SYMBOL_NOT_ON_SHARD", command.symbol))
        try:
            record = command_record(command)
        except ValueError:  # no op: refused alone, as a command for another shard is
            refused = error_status("ILLEGAL_PARAMETER", "command", "one of submit, cancel, amend, reduce or replace")
            return _Submitted(command, refused=refused)
        try:
            return _Submitted(command, record, shard.submit(command.symbol, record))
        except Unavailable as exc:
            return _Submitted(command, record, unavailable=exc)

    async def _result(self, submitted: _Submitted) -> matching_pb2.CommandResult:
        if submitted.refused is not None:
            return matching_pb2.CommandResult(error=submitted.refused)
        # The journal away is this command's answer, not the call's: failing the call ended the
        # order service's one stream to this process, and with it the answers of commands of
        # other shards already executed (their orders answered -1007 though placed).
        if submitted.unavailable is not None or submitted.pending is None or submitted.record is None:
            return _unavailable(submitted.unavailable)
        command, record = submitted.command, submitted.record
        try:
            executed = await submitted.pending
        except AlreadyJournaled:
            return matching_pb2.CommandResult(error=error_status("ORDER_ALREADY_JOURNALED"))
        except Unavailable as exc:
            return _unavailable(exc)
        # A rejected cancel, amend or reduce carries no side (the engine leaves a meaningless 0).
        sided = int(record["op"]) in (CommandOp.SUBMIT, CommandOp.REPLACE)
        time_ms = self._owner[command.symbol].last_time_ms
        t = executed.timings
        return matching_pb2.CommandResult(
            events=[
                engine_event(command.symbol, time_ms, e, sided=sided or e.kind != EventKind.REJECTED)
                for e in events_from_array(executed.events)
            ],
            timings=matching_pb2.StageTimings(
                queued_us=t.queued // 1000,
                journal_us=t.journal // 1000,
                match_us=t.match // 1000,
                publish_us=t.publish // 1000,
            ),
        )

    async def StreamEvents(
        self, request: matching_pb2.StreamEventsRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[matching_pb2.EventBatch]:
        symbols = list(request.symbols) or list(self._owner)
        unknown = [s for s in symbols if s not in self._owner]
        if unknown:
            raise ServiceError("SYMBOL_NOT_ON_SHARD", unknown[0])
        per_shard: dict[MatchingShard, dict[str, int]] = {}
        for name in symbols:
            shard = self._owner[name]
            first = request.from_sequences.get(name, request.from_sequence)
            # from_sequence 0 = live only: start after the book's current seq
            per_shard.setdefault(shard, {})[name] = first - 1 if first else shard.last_seq(name)

        merged: asyncio.Queue[EventRecord | None] = asyncio.Queue(maxsize=1024)

        async def follow(shard: MatchingShard, after: dict[str, int]) -> None:
            async for record in shard.subscribe(after):
                await merged.put(record)
            await merged.put(None)  # this shard dropped us: end the stream so we reconnect

        followers = [asyncio.create_task(follow(s, a)) for s, a in per_shard.items()]
        try:
            while (record := await merged.get()) is not None:
                yield self._published(record)
        finally:
            for task in followers:
                task.cancel()

    def _published(self, record: EventRecord) -> matching_pb2.EventBatch:
        """A published record as the message each StreamEvents subscriber sends, built once per
        record (a shard hands every live subscriber the same record object): trade processing and
        market data both follow every record, and converting events to protos was a fifth of
        this process's CPU. A subscriber further behind than the cache converts its own."""
        cached = self._published_cache.get(id(record))
        if cached is not None and cached[0] is record:
            return cached[1]
        events = [engine_event(record.symbol, record.time_ms, e) for e in events_from_array(record.events)]
        message = matching_pb2.EventBatch(results=[matching_pb2.CommandResult(events=events)])
        # the record is kept with its message, so its id cannot be reused while cached
        self._published_cache[id(record)] = (record, message)
        if len(self._published_cache) > PUBLISHED_CACHE:
            del self._published_cache[next(iter(self._published_cache))]  # the oldest
        return message

    async def Snapshot(
        self, request: matching_pb2.SnapshotRequest, context: grpc.aio.ServicerContext
    ) -> matching_pb2.SnapshotResponse:
        shard = self._owner.get(request.symbol)
        if shard is None:
            raise ServiceError("SYMBOL_NOT_ON_SHARD", request.symbol)
        book = shard.book(request.symbol)
        return matching_pb2.SnapshotResponse(
            symbol=request.symbol,
            seq=book.seq,
            last_price=book.last_price,
            snapshot=book.snapshot(),
            state_hash=book.state_hash(),
            time=shard.last_time_ms,
        )

    async def ListSymbols(
        self, request: matching_pb2.ListSymbolsRequest, context: grpc.aio.ServicerContext
    ) -> matching_pb2.ListSymbolsResponse:
        return matching_pb2.ListSymbolsResponse(symbols=[self._config(s) for s in self._symbols.values()])

    def _config(self, symbol: Symbol) -> matching_pb2.SymbolConfig:
        shard = self._owner[symbol.name]
        book = shard.book(symbol.name)
        return matching_pb2.SymbolConfig(
            info=symbol_info(symbol),
            tick_size=1,
            lot_size=1,
            seq=book.seq,
            last_price=book.last_price,
            shard=str(shard.shard),
        )


@dataclass(slots=True)
class _Submitted:
    """One command of a batch after `_submit`: queued on its shard (`pending`), or refused."""

    command: matching_pb2.Command
    record: np.void | None = None
    pending: Awaitable[Executed] | None = None
    refused: status_pb2.Status | None = None  # not this shard's symbol, or no op
    unavailable: Unavailable | None = None

    def abandon(self) -> None:
        """Its batch failed before its outcome was awaited: neither a coroutine nor a future
        may complain of that."""
        if asyncio.iscoroutine(self.pending):
            self.pending.close()
        elif isinstance(self.pending, asyncio.Future):
            self.pending.add_done_callback(lambda done: done.cancelled() or done.exception())


def _outcome_unread(task: asyncio.Task[Any]) -> None:
    if not task.cancelled():
        task.exception()  # read, so asyncio does not log it as never retrieved


def _unavailable(cause: BaseException | None) -> matching_pb2.CommandResult:
    """The journal was away: the command may or may not be journaled (a retried submit is
    deduplicated, ORDER_ALREADY_JOURNALED)."""
    return matching_pb2.CommandResult(error=error_status("BACKEND_UNAVAILABLE", metadata={"detail": str(cause)}))
