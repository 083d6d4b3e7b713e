"""The client side of OrderService.PlaceOrderStream, for callers that place orders of many
users concurrently (the edge, `tradectl bench`).

Every caller awaits only its own order's result, while the orders share one long-lived stream:
no call setup per order, orders queued while a write is in progress leave together in the next
message, and results arrive as each order finishes (docs/protos.md). A broken stream fails the
orders in flight with its RpcError (their outcome is unknown, as with a failed unary call); the
next order opens a new stream on the same channel.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Sequence
from typing import Any

import grpc

from exchange.v1 import order_pb2
from services.common.aio import cancel_and_wait
from services.common.grpcutil.errors import status_of

log = logging.getLogger(__name__)

Result = tuple[order_pb2.PlaceOrderResult, str]  # the result and its stage timings ("" unless asked)


class OrderSession:
    def __init__(self, stub: Any, *, metadata: Sequence[tuple[str, str]] = (), max_batch: int = 256) -> None:
        self._stub = stub
        self._metadata = tuple(metadata)
        self._max_batch = max_batch
        self._tags = itertools.count(1)
        self._stream: _Stream | None = None

    async def place(self, item: order_pb2.PlaceOrderItem, timeout_s: float | None = None) -> Result:
        """The order's result. Raises TimeoutError after `timeout_s` and grpc.RpcError if the
        stream broke: in both cases the order may still have been placed."""
        stream = self._stream
        if stream is None or stream.closed:
            stream = self._stream = _Stream(self._stub.PlaceOrderStream(metadata=self._metadata), self._max_batch)
        loop = asyncio.get_running_loop()
        tag = next(self._tags)
        future: asyncio.Future[Result] = loop.create_future()
        stream.send(tag, item, future)
        if timeout_s is None:
            return await future
        timer = loop.call_later(timeout_s, _time_out, future)  # no task per order
        try:
            return await future
        finally:
            timer.cancel()
            stream.forget(tag)

    async def close(self) -> None:
        if self._stream is not None:
            await self._stream.close()
            self._stream = None


def _time_out(future: asyncio.Future[Any]) -> None:
    if not future.done():
        future.set_exception(TimeoutError())


def _ended(code: grpc.StatusCode, details: str) -> grpc.aio.AioRpcError:
    return grpc.aio.AioRpcError(code, grpc.aio.Metadata(), grpc.aio.Metadata(), details)


class _Stream:
    """One PlaceOrderStream call: a writer draining the queue into messages, a reader
    answering each tag's future."""

    def __init__(self, call: Any, max_batch: int) -> None:
        self._call = call
        self._max_batch = max_batch
        self._queue: list[order_pb2.TaggedPlaceOrder] = []
        self._waiting: dict[int, asyncio.Future[Result]] = {}
        self._ready = asyncio.Event()
        self.closed = False
        self._tasks = [asyncio.create_task(self._write()), asyncio.create_task(self._read())]

    def send(self, tag: int, item: order_pb2.PlaceOrderItem, future: asyncio.Future[Result]) -> None:
        self._waiting[tag] = future
        self._queue.append(order_pb2.TaggedPlaceOrder(tag=tag, item=item))
        self._ready.set()

    def forget(self, tag: int) -> None:
        self._waiting.pop(tag, None)

    async def _write(self) -> None:
        try:
            while True:
                await self._ready.wait()
                # One turn of the event loop before writing: orders that other requests of the
                # same turn are about to send join this message (a write costs the same CPU
                # whatever it carries), at the cost of no wall-clock time.
                await asyncio.sleep(0)
                self._ready.clear()
                while self._queue:
                    batch, self._queue = self._queue[: self._max_batch], self._queue[self._max_batch :]
                    await self._call.write(order_pb2.PlaceOrderStreamRequest(orders=batch))
        except (grpc.RpcError, asyncio.InvalidStateError) as exc:
            # the reader sees the call's status and fails what is waiting; InvalidStateError
            # is a write after the call already ended
            log.debug("order stream write failed: %r", exc)

    async def _read(self) -> None:
        try:
            while (reply := await self._call.read()) is not grpc.aio.EOF:
                for tagged in reply.results:
                    future = self._waiting.pop(tagged.tag, None)
                    if future is not None and not future.done():
                        future.set_result((tagged.result, tagged.timings))
        except asyncio.CancelledError:
            self._fail(_ended(grpc.StatusCode.CANCELLED, "the order session closed"))
            raise
        except grpc.aio.AioRpcError as exc:
            if status_of(exc).reason:  # the service refused the session itself (e.g. permissions)
                self._fail(exc)
                return
            # The connection broke, or the server ended the call as this side wrote (grpc then
            # reports a bare INTERNAL): either way the order service could not be reached.
            self._fail(
                _ended(grpc.StatusCode.UNAVAILABLE, f"the order stream broke: {exc.code().name} {exc.details()}")
            )
        except Exception as exc:  # a bug: nothing more will be answered
            self._fail(exc)
            raise
        else:  # the server ended the session (it is stopping)
            self._fail(_ended(grpc.StatusCode.UNAVAILABLE, "the order stream ended"))

    def _fail(self, error: BaseException) -> None:
        self.closed = True
        self._tasks[0].cancel()
        waiting, self._waiting = self._waiting, {}
        for future in waiting.values():
            if not future.done():
                future.set_exception(error)

    async def close(self) -> None:
        self._call.cancel()
        for task in self._tasks:
            await cancel_and_wait(task)
