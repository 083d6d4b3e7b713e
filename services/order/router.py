"""Routing engine commands to the matching shard that owns each symbol, in batches.

One unary call per order cannot reach the target rate (docs/performance.md), so commands from
concurrent callers that arrive while a batch is in flight are coalesced into the next one and
pipelined over a single ExecuteStream per shard. Each caller still gets exactly its own
command's result.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import grpc

from exchange.v1 import matching_pb2, matching_pb2_grpc
from services.common.aio import cancel_and_wait

log = logging.getLogger(__name__)


class MatchingUnavailable(Exception):
    """The shard could not be reached; the command's outcome is unknown if it was sent."""


@dataclass(slots=True)
class _Waiting:
    command: matching_pb2.Command
    result: asyncio.Future[matching_pb2.CommandResult]


class ShardConnection:
    """A pipelined ExecuteStream to one matching shard, with at most `max_batch` commands per
    CommandBatch and any number of batches in flight."""

    def __init__(self, address: str, *, max_batch: int = 512) -> None:
        self._address = address
        self._max_batch = max_batch
        self._queue: asyncio.Queue[_Waiting] = asyncio.Queue()
        self._batch_ids = itertools.count(1)
        self._task: asyncio.Task[None] | None = None

    async def execute(
        self, command: matching_pb2.Command, timeout_s: float | None = None
    ) -> matching_pb2.CommandResult:
        """Raises TimeoutError after `timeout_s` (the command may still be executed)."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name=f"shard-connection-{self._address}")
        loop = asyncio.get_running_loop()
        waiting = _Waiting(command, loop.create_future())
        self._queue.put_nowait(waiting)
        if timeout_s is None:
            return await waiting.result
        # a timer on the reply's future, not asyncio.wait_for: no extra task per command
        timer = loop.call_later(timeout_s, _time_out, waiting.result)
        try:
            return await waiting.result
        finally:
            timer.cancel()

    async def close(self) -> None:
        await cancel_and_wait(self._task)

    async def _run(self) -> None:
        stream = _Stream()
        try:
            async with grpc.aio.insecure_channel(self._address) as channel:
                stub = matching_pb2_grpc.MatchingServiceStub(channel)
                call = stub.ExecuteStream(self._batches(stream))
                async for reply in call:
                    waiting = stream.in_flight.pop(reply.batch_id)
                    for item, result in zip(waiting, reply.results, strict=True):
                        if not item.result.done():
                            item.result.set_result(result)
        except grpc.aio.AioRpcError as exc:
            log.warning("matching %s: stream failed (%s)", self._address, exc.code().name)
            self._fail(stream, MatchingUnavailable(f"matching at {self._address}: {exc.code().name}"))
        except asyncio.CancelledError:
            self._fail(stream, MatchingUnavailable("the order service is shutting down"))
            raise
        else:
            self._fail(stream, MatchingUnavailable(f"matching at {self._address} closed the stream"))

    async def _batches(self, stream: _Stream) -> AsyncIterator[matching_pb2.CommandBatch]:
        while True:
            batch = [await self._queue.get()]
            # one event-loop turn: commands other orders send in this turn join the batch
            await asyncio.sleep(0)
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            if stream.closed:
                # gRPC may pull from a request iterator after the call ended: whatever it took
                # then was never sent, so it fails now instead of waiting for a reply forever
                for waiting in batch:
                    if not waiting.result.done():
                        waiting.result.set_exception(MatchingUnavailable("the stream to matching closed"))
                return
            batch_id = next(self._batch_ids)
            stream.in_flight[batch_id] = batch
            yield matching_pb2.CommandBatch(batch_id=batch_id, commands=[w.command for w in batch])

    def _fail(self, stream: _Stream, error: Exception) -> None:
        """Fail what this stream sent and what is still queued: their outcome is unknown."""
        stream.closed = True
        pending = [w for batch in stream.in_flight.values() for w in batch]
        stream.in_flight.clear()
        while not self._queue.empty():
            pending.append(self._queue.get_nowait())
        for waiting in pending:
            if not waiting.result.done():
                waiting.result.set_exception(error)


def _time_out(result: asyncio.Future[Any]) -> None:
    if not result.done():
        result.set_exception(TimeoutError())


@dataclass(slots=True)
class _Stream:
    """One ExecuteStream call: the batches it sent that await their reply."""

    in_flight: dict[int, list[_Waiting]] = field(default_factory=dict)
    closed: bool = False


class MatchingRouter:
    """symbol -> the connection of the shard that owns it."""

    def __init__(self, shard_of_symbol: dict[str, str]) -> None:
        self._connections = {address: ShardConnection(address) for address in set(shard_of_symbol.values())}
        self._route = {symbol: self._connections[address] for symbol, address in shard_of_symbol.items()}

    async def execute(
        self, command: matching_pb2.Command, timeout_s: float | None = None
    ) -> matching_pb2.CommandResult:
        return await self._route[command.symbol].execute(command, timeout_s)

    async def close(self) -> None:
        for connection in self._connections.values():
            await connection.close()
