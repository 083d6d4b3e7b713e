"""Where the edge's market streams come from: one upstream subscription per stream name.

`MarketDataUpstreams` opens them on the market data service: `Subscribe` for every stream its
contract carries, and a poll of `GetAvgPrice` for `@avgPrice`, which `Subscribe` cannot carry
yet (MarketEvent has no avgPrice payload). An upstream reports `ready()` once the service has
registered the stream: only then may the edge ack a SUBSCRIBE, because a client (ccxt pro)
fetches its REST depth snapshot on the ack, and that snapshot must not predate the diffs it
will receive.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import Any, Protocol

import grpc

from exchange.v1 import marketdata_pb2, marketdata_pb2_grpc

from .render import Payload, avg_price_payload, market_payload
from .streams import ARRAY_KINDS, Stream, StreamKind, UnknownStream

log = logging.getLogger(__name__)

# Market data cuts the !ticker@arr streams as one burst of per-symbol events sharing an event
# time; Binance sends each burst as one array. A burst is complete when the event time changes
# or when nothing more arrived for this long.
ARRAY_GATHER_S = 0.02
AVG_PRICE_POLL_S = 1.0  # Binance pushes @avgPrice every second


class UpstreamUnavailable(Exception):
    """The market data service could not be reached or ended the stream."""


class Upstream(Protocol):
    async def ready(self) -> None:
        """Returns once the stream is registered upstream. Raises UnknownStream or
        UpstreamUnavailable."""
        ...

    def events(self) -> AsyncIterator[Payload | list[Payload] | bytes]:
        """The stream's events as Binance payloads (a list for the !...@arr streams), or as
        their JSON already serialised. Ends, or raises UpstreamUnavailable, when the upstream
        is lost."""
        ...

    def close(self) -> None: ...


class UpstreamSource(Protocol):
    def open(self, stream: Stream) -> Upstream: ...


class MarketDataUpstreams:
    def __init__(self, stub: marketdata_pb2_grpc.MarketDataServiceStub) -> None:
        self._stub = stub

    def open(self, stream: Stream) -> Upstream:
        if stream.kind is StreamKind.AVG_PRICE:
            assert stream.symbol is not None
            return _AvgPricePoll(self._stub, stream.symbol)
        return _Subscription(self._stub, stream)


def _refusal(code: grpc.StatusCode, details: str | None) -> Exception:
    if code is grpc.StatusCode.INVALID_ARGUMENT:  # INVALID_STREAM
        return UnknownStream(details or "")
    return UpstreamUnavailable(f"{code.name}: {details}")


def _unavailable(exc: grpc.aio.AioRpcError) -> Exception:
    return _refusal(exc.code(), exc.details())


class _Subscription:
    """MarketDataService.Subscribe for one stream name."""

    def __init__(self, stub: marketdata_pb2_grpc.MarketDataServiceStub, stream: Stream) -> None:
        self._stream = stream
        self._call: Any = stub.Subscribe(marketdata_pb2.SubscribeRequest(streams=[stream.source]))

    async def ready(self) -> None:
        # The service sends its initial metadata once the stream is registered (servicer.py);
        # a refusal ends the call instead, with no metadata.
        try:
            await self._call.initial_metadata()
            if self._call.done():
                code = await self._call.code()
                if code is not grpc.StatusCode.OK:
                    raise _refusal(code, await self._call.details())
        except grpc.aio.AioRpcError as exc:
            raise _unavailable(exc) from None

    async def events(self) -> AsyncIterator[Payload | list[Payload] | bytes]:
        try:
            if self._stream.kind in ARRAY_KINDS:
                async for burst in self._bursts():
                    yield burst
                return
            async for message in self._call:
                payload = market_payload(message)
                if payload is not None:
                    yield payload
        except grpc.aio.AioRpcError as exc:
            raise _unavailable(exc) from None

    async def _bursts(self) -> AsyncIterator[list[Payload]]:
        queue: asyncio.Queue[marketdata_pb2.MarketEvent | None] = asyncio.Queue()

        async def read() -> None:
            try:
                async for message in self._call:
                    queue.put_nowait(message)
            finally:
                queue.put_nowait(None)

        reader = asyncio.create_task(read())
        try:
            burst: list[Payload] = []
            burst_time = -1
            while True:
                try:
                    message = await asyncio.wait_for(queue.get(), ARRAY_GATHER_S) if burst else await queue.get()
                except TimeoutError:
                    yield burst
                    burst = []
                    continue
                if message is None:
                    break
                if burst and message.event_time != burst_time:
                    yield burst
                    burst = []
                payload = market_payload(message)
                if payload is not None:
                    burst.append(payload)
                    burst_time = message.event_time
            if burst:
                yield burst
            await reader  # surfaces the call's failure
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, grpc.aio.AioRpcError):
                await reader

    def close(self) -> None:
        self._call.cancel()


class _AvgPricePoll:
    """@avgPrice from GetAvgPrice once a second, pushed when it changes."""

    def __init__(self, stub: marketdata_pb2_grpc.MarketDataServiceStub, symbol: str) -> None:
        self._stub = stub
        self._symbol = symbol
        self._first: marketdata_pb2.GetAvgPriceResponse | None = None

    async def _poll(self) -> marketdata_pb2.GetAvgPriceResponse:
        try:
            reply: marketdata_pb2.GetAvgPriceResponse = await self._stub.GetAvgPrice(
                marketdata_pb2.GetAvgPriceRequest(symbol=self._symbol), timeout=5
            )
        except grpc.aio.AioRpcError as exc:
            raise _unavailable(exc) from None
        return reply

    async def ready(self) -> None:
        self._first = await self._poll()

    async def events(self) -> AsyncIterator[Payload | list[Payload] | bytes]:
        reply = self._first or await self._poll()
        last = None
        while True:
            key = (reply.price, reply.close_time)
            if key != last:
                last = key
                yield avg_price_payload(self._symbol, reply, time.time_ns() // 1_000_000)
            await asyncio.sleep(AVG_PRICE_POLL_S)
            reply = await self._poll()

    def close(self) -> None:
        pass
