"""One client's WebSocket: its subscriptions, its live requests and its outgoing frames.

Stream frames enter through `deliver`, which never waits: it writes the event's ready-made
frame to the transport (direct.py) or, where the server does not allow that, appends the text
to a bounded outbox that a writer task sends through ASGI. Either way, when the client does not
read fast enough its backlog passes `backlog_bytes`, the connection leaves every stream at once
and is dropped, and the broadcast to everyone else never waited for it.

Beside that run the reader (live requests, one at a time, replies in order with the events)
and, for a listenKey, the key's expiry watch.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import grpc
from starlette.websockets import WebSocket, WebSocketDisconnect

from .catalog import SymbolCatalog
from .direct import DirectWriter
from .hub import Frame, MarketHub
from .limits import MessageRate, WsLimits
from .requests import COMBINED, Method, Request, RequestRefused, invalid, parse_request, result_reply
from .streams import Stream, UnknownStream
from .upstream import UpstreamUnavailable
from .user_data import ListenKeyOwner, ListenKeys, UserEvents, expired_frame, is_listen_key, watch_expiry

log = logging.getLogger(__name__)

CLOSE_NORMAL = 1000
CLOSE_POLICY = 1008  # slow consumer, too many messages
CLOSE_UNAVAILABLE = 1011
CLOSE_WAIT_S = 1.0  # a client that does not read cannot take part in the closing handshake
_UNAVAILABLE = "Internal error; unable to process your request. Please try again."  # Binance -1001


@dataclass(frozen=True)
class WsContext:
    """What every connection of one edge process shares."""

    hub: MarketHub
    catalog: SymbolCatalog
    user_events: UserEvents
    listen_keys: ListenKeys
    limits: WsLimits


@dataclass(frozen=True, slots=True)
class UserStream:
    listen_key: str
    owner: ListenKeyOwner


class Outbox:
    """Texts waiting for the ASGI writer, bounded in bytes. A text put unbounded (a WebSocket
    API answer, whose sender bounds them itself) is always taken, and does not count against
    the bound of the others."""

    __slots__ = ("_bytes", "_capacity", "_ready", "_texts", "_unbounded")

    def __init__(self, capacity_bytes: int) -> None:
        self._capacity = capacity_bytes
        self._bytes = 0
        self._unbounded = 0  # of _bytes
        self._texts: deque[tuple[str, bool]] = deque()
        self._ready = asyncio.Event()

    def put(self, text: str, *, bounded: bool = True) -> bool:
        if bounded and self._bytes - self._unbounded + len(text) > self._capacity:
            return False
        self._texts.append((text, bounded))
        self._bytes += len(text)
        if not bounded:
            self._unbounded += len(text)
        self._ready.set()
        return True

    async def get(self) -> str:
        while not self._texts:
            self._ready.clear()
            await self._ready.wait()
        text, bounded = self._texts.popleft()
        self._bytes -= len(text)
        if not bounded:
            self._unbounded -= len(text)
        return text

    @property
    def backlog(self) -> int:
        return self._bytes

    async def drained(self, to_bytes: int, timeout_s: float) -> bool:
        """Whether the writer took the backlog down to `to_bytes` within timeout_s."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout_s):
                while self._bytes > to_bytes:
                    await asyncio.sleep(0.005)
        return self._bytes <= to_bytes


class ClientConnection:
    def __init__(self, websocket: WebSocket, context: WsContext, combined: bool) -> None:
        self._ws = websocket
        self._ctx = context
        self._combined = combined
        self._subscriptions: dict[str, Stream] = {}  # in subscription order (LIST_SUBSCRIPTIONS)
        self._outbox = Outbox(context.limits.backlog_bytes)
        self._direct: DirectWriter | None = None
        self._rate = MessageRate(context.limits.messages_per_second)
        self._user: UserStream | None = None
        self._user_sink = _UserSink(self)
        self._user_watch: asyncio.Task[None] | None = None  # of a listenKey SUBSCRIBEd to
        self._ended = asyncio.Event()
        self._close_code = CLOSE_NORMAL
        self._close_reason = ""
        self._flush_before_close = True
        # frames delivered while a request is answered, each with how to send it (None: as the
        # connection's streams are sent when it goes out)
        self._held: list[tuple[Frame, bool | None]] | None = None

    # -- the hub's side: never waits ------------------------------------------------------------

    def deliver(self, frame: Frame) -> None:
        if self._held is not None:  # a request is being answered: its reply goes out first
            self._held.append((frame, None))
            return
        self._put(frame, self._combined)

    def _put(self, frame: Frame, combined: bool) -> None:
        if self._ended.is_set():
            return
        direct = self._direct
        if direct is not None:
            if direct.backlog > self._ctx.limits.backlog_bytes:
                self._end(CLOSE_POLICY, "slow consumer", flush=False)
            else:
                direct.write(frame.wire(combined))
        elif not self._outbox.put(frame.text(combined)):
            self._end(CLOSE_POLICY, "slow consumer", flush=False)

    def server_shutdown(self, frame: Frame) -> None:
        """The edge is about to stop: the event goes out like the connection's streams."""
        self.deliver(frame)

    def _reply(self, text: str) -> None:
        self._put(Frame("", text.encode()), combined=False)

    def _end(self, code: int, reason: str, flush: bool = True) -> None:
        if self._ended.is_set():
            return
        self._close_code, self._close_reason, self._flush_before_close = code, reason, flush
        self._ended.set()
        self._leave_streams()  # at once: a dropped client must not cost the next broadcast

    def _leave_streams(self) -> None:
        for name in self._subscriptions:
            self._ctx.hub.unsubscribe(name, self)
        self._detach_user()

    # -- lifecycle -------------------------------------------------------------------------------

    async def serve(
        self, streams: Sequence[Stream] = (), user: UserStream | None = None, user_listed: bool = False
    ) -> None:
        """After the handshake: runs until the client leaves or is dropped. `user`: a listenKey's
        stream, the connection's whole purpose (/ws/<listenKey>: it ends with the key) or, with
        `user_listed`, one stream among others (a combined URL naming it: listed, unsubscribable,
        and its expiry leaves the others running, as after SUBSCRIBE)."""
        loop = asyncio.get_running_loop()
        lifetime = loop.call_later(self._ctx.limits.max_lifetime_s, self._end, CLOSE_NORMAL, "24 hours")
        if self._ctx.limits.direct_writes:
            self._direct = DirectWriter.attach()
        writer = asyncio.create_task(self._write())
        tasks = [writer]
        try:
            try:
                await self._subscribe(streams)
            except (UnknownStream, UpstreamUnavailable) as exc:
                self._end(CLOSE_UNAVAILABLE, str(exc)[:100])
            if user is not None and user_listed:
                await self._subscribe_user(user)
            elif user is not None:
                await self._attach_user(user)
                tasks.append(asyncio.create_task(self._watch_key(user, end_connection=True)))
            tasks.append(asyncio.create_task(self._read()))
            for task in tasks:  # whichever stops first, for whatever reason, ends the connection
                task.add_done_callback(self._task_done)
            await self._ended.wait()
        finally:
            lifetime.cancel()
            self._end(CLOSE_NORMAL, "")  # no-op unless cancelled from outside
            self._leave_streams()  # again: a SUBSCRIBE may have been completing
            for task in tasks[1:]:
                task.cancel()
            await self._finish(writer)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("websocket task failed", exc_info=task.exception())
            self._end(CLOSE_UNAVAILABLE, "internal error", flush=False)
        self._end(CLOSE_NORMAL, "")

    async def _finish(self, writer: asyncio.Task[None]) -> None:
        if self._flush_before_close:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.flushed(), CLOSE_WAIT_S)
        writer.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await writer
        try:
            await asyncio.wait_for(self._ws.close(self._close_code, self._close_reason), CLOSE_WAIT_S)
        except (TimeoutError, RuntimeError, OSError, WebSocketDisconnect):
            # A client that does not read cannot take its close frame. ASGI has no way to drop
            # it (the server's close waits for the unsent bytes); with the transport at hand:
            if self._direct is not None:
                self._direct.abort()

    async def flushed(self) -> None:
        """Returns once the client has taken everything queued for it."""
        backlog = self._direct or self._outbox
        while backlog.backlog:
            await asyncio.sleep(0.01)

    async def _write(self) -> None:
        send = self._ws.send_text
        try:
            while True:
                await send(await self._outbox.get())
        except (WebSocketDisconnect, RuntimeError, OSError):
            self._end(CLOSE_NORMAL, "", flush=False)

    async def _read(self) -> None:
        while True:
            message: Any = await self._ws.receive()
            if message["type"] == "websocket.disconnect":
                self._end(CLOSE_NORMAL, "", flush=False)
                return
            if not self._rate.allow():
                self._end(CLOSE_POLICY, "too many messages")
                return
            data = message.get("text")
            if data is None:
                data = message.get("bytes") or b""
            # Binance answers a SUBSCRIBE before the stream's first event; the hub hands a new
            # subscriber the stream's current state at once, so events wait for the reply
            self._held = []
            try:
                request = parse_request(data)
                reply = await self._answer(request)
            except RequestRefused as refused:
                reply = refused.reply()
            finally:
                held, self._held = self._held, None
            self._reply(reply)
            for frame, combined in held:
                self._put(frame, self._combined if combined is None else combined)

    async def _watch_key(self, user: UserStream, end_connection: bool) -> None:
        """When the key goes (listenKeyExpired first, if it expired), the connection ends, if it
        was opened on the key, or the key's stream leaves it."""
        keys, recheck_s = self._ctx.listen_keys, self._ctx.limits.listen_key_recheck_s
        if not await watch_expiry(keys, user.listen_key, user.owner, recheck_s):  # expired, not closed
            self._put(expired_frame(user.listen_key), combined=self._combined)
        if end_connection:
            self._end(CLOSE_NORMAL, "listenKey expired")
        else:
            self._detach_user(watching=False)

    def _key_watch_done(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("listenKey watch failed; the key's stream leaves the connection", exc_info=task.exception())
            self._detach_user(watching=False)

    async def _attach_user(self, user: UserStream) -> None:
        self._user = user
        await self._ctx.user_events.attach(user.owner.user_id, self._user_sink)

    def _detach_user(self, watching: bool = True) -> None:
        if self._user is not None:
            self._ctx.user_events.detach(self._user.owner.user_id, self._user_sink)
            self._user = None
        if self._user_watch is not None:
            if watching:
                self._user_watch.cancel()
            self._user_watch = None

    async def _subscribable_user(self, listen_key: str, rid: Any) -> UserStream | None:
        """The user stream a SUBSCRIBE to a listenKey adds (as Binance's own Python connector
        subscribes: the account's events join the connection's market streams); None if the
        connection carries it already. Raises the request's refusal, having changed nothing."""
        if self._user is not None:
            if self._user.listen_key == listen_key:
                return None
            raise invalid("a connection carries one listenKey", rid)
        try:
            owner = await self._ctx.listen_keys.resolve(listen_key)
        except grpc.aio.AioRpcError:
            raise RequestRefused(-1001, _UNAVAILABLE, rid) from None
        if owner is None:
            raise invalid(f"unknown stream `{listen_key}`", rid)
        return UserStream(listen_key, owner)

    async def _subscribe_user(self, user: UserStream) -> None:
        await self._attach_user(user)
        self._user_watch = asyncio.create_task(self._watch_key(user, end_connection=False))
        self._user_watch.add_done_callback(self._key_watch_done)

    # -- live requests ---------------------------------------------------------------------------

    async def _answer(self, request: Request) -> str:
        method, params, rid = request.method, request.params, request.id
        if method is Method.SUBSCRIBE:
            streams = []
            keys = [name for name in dict.fromkeys(params) if is_listen_key(name)]
            if len(keys) > 1:
                raise invalid("a connection carries one listenKey", rid)
            user = await self._subscribable_user(keys[0], rid) if keys else None
            for name in dict.fromkeys(params):
                if name in keys:
                    continue
                try:
                    streams.append(await self._ctx.catalog.parse(name))
                except UnknownStream:
                    raise invalid(f"unknown stream `{name}`", rid) from None
            limit = self._ctx.limits.streams_per_connection
            if len(set(self._subscriptions) | {s.name for s in streams}) > limit:
                raise invalid(f"a connection may subscribe to at most {limit} streams", rid)
            try:
                await self._subscribe(streams)
            except UnknownStream as exc:
                raise invalid(f"unknown stream `{exc}`", rid) from None
            except UpstreamUnavailable:
                raise RequestRefused(-1001, _UNAVAILABLE, rid) from None
            if user is not None:
                await self._subscribe_user(user)
            return result_reply(None, rid)
        if method is Method.UNSUBSCRIBE:
            for name in params:
                if self._subscriptions.pop(name, None) is not None:
                    self._ctx.hub.unsubscribe(name, self)
                elif self._user_watch is not None and self._user is not None and name == self._user.listen_key:
                    self._detach_user()
            return result_reply(None, rid)
        if method is Method.LIST_SUBSCRIPTIONS:
            subscribed_key = [self._user.listen_key] if self._user_watch is not None and self._user else []
            return result_reply([*self._subscriptions, *subscribed_key], rid)
        if method is Method.SET_PROPERTY:
            self._combined = bool(params[1])  # the only property, checked by parse_request
            return result_reply(None, rid)
        assert method is Method.GET_PROPERTY and params[0] == COMBINED
        return result_reply(self._combined, rid)

    async def _subscribe(self, streams: Sequence[Stream]) -> None:
        """All or nothing: raises UnknownStream or UpstreamUnavailable, leaving the
        subscriptions as they were."""
        new = [s for s in streams if s.name not in self._subscriptions]
        for stream in new:
            self._subscriptions[stream.name] = stream
        outcomes = await asyncio.gather(*(self._ctx.hub.subscribe(s, self) for s in new), return_exceptions=True)
        failure = next((o for o in outcomes if isinstance(o, BaseException)), None)
        if failure is None:
            return
        for stream in new:
            self._subscriptions.pop(stream.name, None)
            self._ctx.hub.unsubscribe(stream.name, self)
        raise failure


class _UserSink:
    """The connection as a subscriber of its account's events: raw, or on a combined
    connection wrapped as the listenKey's stream (Binance's `{"stream": <listenKey>, ..}`)."""

    __slots__ = ("_connection",)

    def __init__(self, connection: ClientConnection) -> None:
        self._connection = connection

    def deliver(self, frame: Frame) -> None:
        connection, user = self._connection, self._connection._user
        combined = connection._combined and user is not None
        if combined:
            assert user is not None
            frame = Frame(user.listen_key, frame.payload(False))
        if connection._held is not None:  # after the reply of the request being answered
            connection._held.append((frame, combined))
        else:
            connection._put(frame, combined)
