"""Market streams from market data to every edge replica over Redis pub/sub.

Channels: `<prefix>ws:<stream name>` carries the stream's Binance payloads (JSON, exactly what
the edge sends its clients); `<prefix>ws:demands` carries "<token> <stream>" from a replica that
has just subscribed to a stream. Market data answers a demand on the stream's own channel with
a confirmation, b"\\0+<token>\\0" followed by the stream's current state (payloads separated by
\\x1e), or b"\\0-<token>\\0" for a stream it does not have. JSON never holds a raw \\0 or \\x1e.

Why pub/sub rather than Streams: the fan-out is live data. Pub/sub costs one PUBLISH per
event whatever the number of replicas, stores nothing, and Redis knows who listens (PUBSUB
NUMSUB), so market data keeps a stream open exactly while some replica uses it. What pub/sub
does not do is keep messages for a subscriber that was away: a replica that reconnects has lost
what was published meanwhile. For the streams that are states (tickers, partial depth,
bookTicker, klines) the next push or the confirmation's current state repairs that at once; a
diff depth stream shows it the way Binance's does, `U` past the previous `u + 1`, and clients
then refetch the REST snapshot (Binance's documented resync); trades missed while away are
missed, as on Binance across a reconnect. Streams (XADD/XREAD) would replay them, at the price
of a stored, trimmed log per stream and a read cursor per replica.

The subscriber side sees a lost connection as a failure of every subscription (it never
resubscribes silently: redis-py's automatic reconnect is off), so the edge reopens each stream
and asks for its current state again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator, Sequence
from typing import Any

import redis.asyncio as aredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from services.common.adapters.redis import UNAVAILABLE_ERRORS, open_client, unavailable_on_outage
from services.common.aio import cancel_and_wait
from services.common.ports import StreamDemand, Unavailable

log = logging.getLogger(__name__)

CONFIRMED, REFUSED = b"\x00+", b"\x00-"
SEPARATOR = b"\x1e"
DEMAND_RETRY_S = 0.5  # a demand nobody answered is sent again (market data restarting)
READY_TIMEOUT_S = 10.0


def _listening_client(url: str, name: str) -> aredis.Redis:
    """For SUBSCRIBE: reads block until a message comes, and a lost connection is reported,
    never silently re-established (messages published meanwhile would be lost unnoticed).
    Named, so that an operator sees in CLIENT LIST which connection is which."""
    return aredis.Redis.from_url(
        url, socket_connect_timeout=2.0, socket_timeout=None, socket_keepalive=True, retry=Retry(NoBackoff(), 0),
        client_name=name,
    )


def _confirmation(token: bytes, current: Sequence[bytes] | None) -> bytes:
    if current is None:
        return REFUSED + token + b"\x00"
    return CONFIRMED + token + b"\x00" + SEPARATOR.join(current)


class RedisStreamPublisher:
    """Market data's side (services/marketdata/relay.py drives it)."""

    def __init__(self, url: str, prefix: str) -> None:
        self._url = url
        self._redis = open_client(url, socket_timeout=5.0)
        self._channel = prefix + "ws:"
        self._demands = prefix + "ws:demands"

    async def demands(self) -> AsyncIterator[StreamDemand]:
        listener = _listening_client(self._url, self._demands.replace(":", "-") + "-marketdata")
        pubsub = listener.pubsub(ignore_subscribe_messages=True)
        try:
            with unavailable_on_outage("listen for stream demands"):
                await pubsub.subscribe(self._demands)
                async for message in pubsub.listen():
                    if message["type"] != "message":
                        continue
                    token, _, stream = bytes(message["data"]).partition(b" ")
                    yield StreamDemand(stream.decode(), token.decode())
        finally:
            with contextlib.suppress(Exception):
                await pubsub.aclose()  # type: ignore[no-untyped-call]
            await listener.aclose()

    async def confirm(self, demand: StreamDemand, current: Sequence[bytes] | None) -> None:
        with unavailable_on_outage("confirm a stream"):
            await self._redis.publish(self._channel + demand.stream, _confirmation(demand.token.encode(), current))

    async def publish(self, messages: Sequence[tuple[str, bytes]]) -> None:
        channel = self._channel
        with unavailable_on_outage("publish stream events"):
            async with self._redis.pipeline(transaction=False) as pipe:
                for stream, payload in messages:
                    pipe.publish(channel + stream, payload)
                await pipe.execute()

    async def listeners(self, streams: Sequence[str]) -> dict[str, int]:
        if not streams:
            return {}
        channel = self._channel
        with unavailable_on_outage("count stream listeners"):
            counts = await self._redis.pubsub_numsub(*(channel + s for s in streams))
        return {(name.decode() if isinstance(name, bytes) else name)[len(channel) :]: n for name, n in counts}

    async def in_use(self) -> list[str]:
        channel = self._channel
        with unavailable_on_outage("list streams in use"):
            channels = await self._redis.pubsub_channels(channel + "*")
        names = [(c.decode() if isinstance(c, bytes) else c)[len(channel) :] for c in channels]
        return [n for n in names if "@" in n]  # not the demands channel

    async def close(self) -> None:
        await self._redis.aclose()


class _Subscription:
    def __init__(self, owner: RedisStreamSubscriber, stream: str) -> None:
        self._owner = owner
        self.stream = stream
        self.channel = owner.channel_of(stream)
        self.token = secrets.token_hex(8).encode()
        self._confirmed: asyncio.Future[list[bytes]] = asyncio.get_running_loop().create_future()
        self._queue: asyncio.Queue[bytes | Exception] = asyncio.Queue()
        self._closed = False

    # -- the owner's reader calls these ------------------------------------------------------
    def received(self, data: bytes) -> None:
        if data[:1] != b"\x00":
            if self._confirmed.done():  # before the confirmation, the stream is not ours yet
                self._queue.put_nowait(data)
            return
        head, _, body = data.partition(b"\x00")[2].partition(b"\x00")
        if self._confirmed.done() or head[1:] != self.token:
            return  # another replica's confirmation
        if data[:2] == REFUSED:
            self._confirmed.set_exception(LookupError(self.stream))
        else:
            self._confirmed.set_result(body.split(SEPARATOR) if body else [])

    def lost(self, error: Exception) -> None:
        if not self._confirmed.done():
            self._confirmed.set_exception(error)
            self._confirmed.exception()  # ready() re-raises it if anyone waits
        self._queue.put_nowait(error)

    # -- StreamSubscription ----------------------------------------------------------------------
    async def ready(self) -> list[bytes]:
        await self._owner.attach(self)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + READY_TIMEOUT_S
        while True:
            await self._owner.demand(self)
            try:
                return await asyncio.wait_for(asyncio.shield(self._confirmed), DEMAND_RETRY_S)
            except TimeoutError:
                if loop.time() > deadline:
                    raise Unavailable(f"market data did not confirm {self.stream}") from None

    async def messages(self) -> AsyncIterator[bytes]:
        while True:
            item = await self._queue.get()
            if isinstance(item, Exception):
                raise item
            yield item

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._owner.detach(self)
            if not self._confirmed.done():
                self._confirmed.cancel()


class RedisStreamSubscriber:
    """An edge replica's side: one pub/sub connection for every stream the replica uses, one
    SUBSCRIBE per stream."""

    def __init__(self, url: str, prefix: str) -> None:
        self._url = url
        self._redis = open_client(url, socket_timeout=5.0)
        self._prefix = prefix + "ws:"
        self._demands = prefix + "ws:demands"
        self.client_name = (prefix + "ws-edge-" + secrets.token_hex(4)).replace(":", "-")
        self._by_channel: dict[bytes, set[_Subscription]] = {}
        self._pubsub: Any = None
        self._listener: aredis.Redis | None = None
        self._reader: asyncio.Task[None] | None = None
        self._subscribed: dict[bytes, asyncio.Future[None]] = {}
        self._lock = asyncio.Lock()
        self._background: set[asyncio.Task[None]] = set()

    def channel_of(self, stream: str) -> bytes:
        return (self._prefix + stream).encode()

    def open(self, stream: str) -> _Subscription:
        return _Subscription(self, stream)

    async def attach(self, sub: _Subscription) -> None:
        """Returns once Redis has the channel's SUBSCRIBE: what is published afterwards reaches us."""
        async with self._lock:
            if self._pubsub is None:
                self._listener = _listening_client(self._url, self.client_name)
                self._pubsub = self._listener.pubsub()
            subs = self._by_channel.setdefault(sub.channel, set())
            subs.add(sub)
            waiting = self._subscribed.get(sub.channel)
            if waiting is None:
                waiting = self._subscribed[sub.channel] = asyncio.get_running_loop().create_future()
                try:
                    with unavailable_on_outage("subscribe to a stream"):
                        await self._pubsub.subscribe(sub.channel)
                except Unavailable as exc:
                    self._fail(self._pubsub, exc)  # the connection is gone: start afresh next time
                    raise
                if self._reader is None:
                    self._reader = asyncio.create_task(self._read(self._pubsub), name="redis-stream-reader")
        await asyncio.shield(waiting)

    async def demand(self, sub: _Subscription) -> None:
        with unavailable_on_outage("demand a stream"):
            await self._redis.publish(self._demands, sub.token + b" " + sub.stream.encode())

    def detach(self, sub: _Subscription) -> None:
        subs = self._by_channel.get(sub.channel)
        if subs is None:
            return
        subs.discard(sub)
        if not subs:
            del self._by_channel[sub.channel]
            self._subscribed.pop(sub.channel, None)
            if self._pubsub is not None and self._reader is not None and not self._reader.done():
                self._reader_unsubscribe(sub.channel)

    def _reader_unsubscribe(self, channel: bytes) -> None:
        pubsub = self._pubsub

        async def unsubscribe() -> None:
            with contextlib.suppress(*UNAVAILABLE_ERRORS):
                async with self._lock:
                    if channel not in self._by_channel and pubsub is self._pubsub:
                        await pubsub.unsubscribe(channel)

        task = asyncio.create_task(unsubscribe())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _read(self, pubsub: Any) -> None:
        try:
            while True:
                # get_message, not listen(): listen() ends whenever no channel is subscribed
                message = await pubsub.get_message(timeout=None)
                if message is None:
                    continue
                kind, channel = message["type"], message["channel"]
                if kind == "message":
                    for sub in tuple(self._by_channel.get(channel, ())):
                        sub.received(message["data"])
                elif kind == "subscribe":
                    waiting = self._subscribed.get(channel)
                    if waiting is not None and not waiting.done():
                        waiting.set_result(None)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._fail(pubsub, Unavailable(f"redis pub/sub lost: {exc}"))

    def _fail(self, pubsub: Any, error: Unavailable) -> None:
        """Every subscription is lost with the connection; the next one opens a new one."""
        if pubsub is not self._pubsub:
            return
        log.warning("stream subscriptions lost", extra={"error": str(error)})
        subs = [s for group in self._by_channel.values() for s in group]
        for waiting in self._subscribed.values():
            if not waiting.done():
                waiting.set_exception(error)
                waiting.exception()
        self._by_channel.clear()
        self._subscribed.clear()
        self._pubsub, self._reader = None, None
        listener, self._listener = self._listener, None
        if listener is not None:
            task = asyncio.create_task(_close_quietly(pubsub, listener))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
        for sub in subs:
            sub.lost(error)

    async def close(self) -> None:
        reader, self._reader = self._reader, None
        await cancel_and_wait(reader)
        if self._pubsub is not None and self._listener is not None:
            await _close_quietly(self._pubsub, self._listener)
        self._pubsub = self._listener = None
        await self._redis.aclose()


async def _close_quietly(pubsub: Any, listener: aredis.Redis) -> None:
    with contextlib.suppress(Exception):
        await pubsub.aclose()
    with contextlib.suppress(Exception):
        await listener.aclose()
