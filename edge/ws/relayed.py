"""Upstreams from the market stream fan-out (Redis pub/sub with the real backends): one
subscription per stream per edge replica, whatever the number of replicas, instead of a gRPC
Subscribe per stream per replica on the market data service.

Payloads arrive as the Binance JSON that clients get, so a frame is built from the bytes as
they are; only the array streams are parsed (the hub keeps their last entry per symbol for late
joiners).

Diff depth streams are checked the way Binance clients check them: each diff's `U` must be the
previous `u + 1`. Pub/sub loses what is published while a replica reconnects, so after a lost
connection the first diff jumps; the edge forwards it as it is, which is Binance's documented
signal for a client to refetch the REST snapshot, and counts it (`depth_gaps`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import orjson

from services.common.ports import StreamSubscriber, StreamSubscription, Unavailable

from .render import Payload
from .streams import ARRAY_KINDS, Stream, StreamKind, UnknownStream
from .upstream import Upstream, UpstreamUnavailable

log = logging.getLogger(__name__)


class RelayedUpstreams:
    def __init__(self, subscriber: StreamSubscriber) -> None:
        self._subscriber = subscriber
        self._last_u: dict[str, int] = {}  # diff depth streams: the last u forwarded
        self.depth_gaps = 0

    def open(self, stream: Stream) -> Upstream:
        return _Relayed(self, stream, self._subscriber.open(stream.source))

    def check_diff(self, stream: str, raw: bytes) -> None:
        diff = orjson.loads(raw)
        last = self._last_u.get(stream)
        if last is not None and diff["U"] > last + 1:
            self.depth_gaps += 1
            log.warning("depth diff gap; clients resync from the REST snapshot",
                        extra={"stream": stream, "after_u": last, "U": diff["U"]})
        self._last_u[stream] = diff["u"]

    async def close(self) -> None:
        await self._subscriber.close()


class _Relayed:
    def __init__(self, owner: RelayedUpstreams, stream: Stream, subscription: StreamSubscription) -> None:
        self._owner = owner
        self._stream = stream
        self._subscription = subscription
        self._current: list[bytes] = []

    async def ready(self) -> None:
        try:
            self._current = await self._subscription.ready()
        except LookupError:
            raise UnknownStream(self._stream.name) from None
        except Unavailable as exc:
            raise UpstreamUnavailable(str(exc)) from None

    async def events(self) -> AsyncIterator[Payload | list[Payload] | bytes]:
        is_array = self._stream.kind in ARRAY_KINDS
        is_diff = self._stream.kind is StreamKind.DEPTH_DIFF
        name = self._stream.name
        current, self._current = self._current, []
        try:
            for raw in current:
                yield orjson.loads(raw) if is_array else raw
            async for raw in self._subscription.messages():
                if is_diff:
                    self._owner.check_diff(name, raw)
                yield orjson.loads(raw) if is_array else raw
        except Unavailable as exc:
            raise UpstreamUnavailable(str(exc)) from None

    def close(self) -> None:
        self._subscription.close()
