"""Binance's user data stream: the events of one account on the WebSocket of its listenKey.

One `StreamUserEvents` call (every user) per edge process, opened with the first listenKey
connection and kept for the process's life (listenKey sockets come and go; the call need not),
routed to sockets by user id. Events are at most once, as on Binance: after a
reconnect of the upstream, clients re-read their state over REST.

Once a key no longer resolves, a connection opened on the key (/ws/<listenKey>) is closed, and
one that carries it among other streams (a combined URL naming it, or SUBSCRIBE) keeps those.
A key that expired is announced first with `listenKeyExpired`; one closed by DELETE
/api/v3/userDataStream just ends, as on Binance, at once when the DELETE came through this edge
process (within the recheck interval through another).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import grpc

from exchange.v1 import tradeproc_pb2, tradeproc_pb2_grpc, user_pb2, user_pb2_grpc
from services.tradeproc.user_events import binance_payload

from .hub import Frame, Subscriber

log = logging.getLogger(__name__)

RETRY_S = (0.05, 0.25, 1.0, 2.0, 5.0)
# StreamUserEvents sends its initial metadata only with its first event, so "registered" cannot
# be observed; the first listenKey socket of an edge process waits this long for it at most.
CONNECT_WAIT_S = 1.0


def now_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(frozen=True, slots=True)
class ListenKeyOwner:
    user_id: int
    expires_at: int  # ms


class ListenKeys:
    def __init__(self, stub: user_pb2_grpc.UserServiceStub) -> None:
        self._stub = stub
        self._closing: dict[str, asyncio.Event] = {}  # keys being watched -> set when closed here
        self._watchers: dict[str, int] = {}

    def closed(self, listen_key: str) -> None:
        """The key was closed through this edge (DELETE userDataStream): its watchers end now."""
        event = self._closing.get(listen_key)
        if event is not None:
            event.set()

    @contextlib.contextmanager
    def watching(self, listen_key: str) -> Iterator[asyncio.Event]:
        """While a connection watches the key: set once the key is closed through this edge."""
        event = self._closing.setdefault(listen_key, asyncio.Event())
        self._watchers[listen_key] = self._watchers.get(listen_key, 0) + 1
        try:
            yield event
        finally:
            self._watchers[listen_key] -= 1
            if not self._watchers[listen_key]:
                del self._watchers[listen_key], self._closing[listen_key]

    async def resolve(self, listen_key: str) -> ListenKeyOwner | None:
        """None for a key that is unknown or expired; raises AioRpcError if the user service
        cannot answer."""
        try:
            request = user_pb2.ResolveListenKeyRequest(listen_key=listen_key)
            reply = await self._stub.ResolveListenKey(request, timeout=5)
        except grpc.aio.AioRpcError as exc:
            if exc.code() is grpc.StatusCode.NOT_FOUND:  # INVALID_LISTEN_KEY
                return None
            raise
        return ListenKeyOwner(reply.user_id, reply.expires_at)


# Binance listen keys are 60 alphanumerics (so are the user service's); stream names are not.
_LISTEN_KEY = re.compile(r"[A-Za-z0-9]{60}")


def is_listen_key(name: str) -> bool:
    return _LISTEN_KEY.fullmatch(name) is not None


def expired_frame(listen_key: str) -> Frame:
    return Frame.of(listen_key, {"e": "listenKeyExpired", "E": now_ms(), "listenKey": listen_key})


async def watch_expiry(keys: ListenKeys, listen_key: str, owner: ListenKeyOwner, recheck_s: float) -> bool:
    """Returns when the key no longer resolves: True at once when it was closed through this
    edge (a DELETE: the stream just ends, as Binance's), False when it expired (or was closed
    through another edge process: seen within recheck_s). Re-resolved when it would expire (a
    PUT may have extended it) and every recheck_s in between."""
    expires_at = owner.expires_at
    with keys.watching(listen_key) as closed_here:
        while True:
            with contextlib.suppress(TimeoutError):
                wait_s = min(recheck_s, max(0.0, (expires_at - now_ms()) / 1000))
                await asyncio.wait_for(closed_here.wait(), wait_s)
            if closed_here.is_set():
                return True
            try:
                current = await keys.resolve(listen_key)
            except grpc.aio.AioRpcError as exc:
                log.warning("cannot re-check a listenKey", extra={"code": exc.code().name})
                continue
            if current is None:
                return False
            expires_at = current.expires_at


class UserEvents:
    """Routes the edge's one StreamUserEvents to the sockets of each user."""

    def __init__(self, stub: tradeproc_pb2_grpc.TradeProcessingServiceStub) -> None:
        self._stub = stub
        self._by_user: dict[int, set[Subscriber]] = {}
        self._task: asyncio.Task[None] | None = None
        self._connected = asyncio.Event()

    async def attach(self, user_id: int, subscriber: Subscriber) -> None:
        """Returns once the upstream is known to be registered, so the user's next events reach
        the subscriber, or after CONNECT_WAIT_S (see there)."""
        self._by_user.setdefault(user_id, set()).add(subscriber)
        if self._task is None or self._task.done():
            self._connected.clear()
            self._task = asyncio.create_task(self._pump(), name="ws-user-events")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._connected.wait(), CONNECT_WAIT_S)

    def detach(self, user_id: int, subscriber: Subscriber) -> None:
        subscribers = self._by_user.get(user_id)
        if subscribers is None:
            return
        subscribers.discard(subscriber)
        if not subscribers:
            del self._by_user[user_id]

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _pump(self) -> None:
        failures = 0
        while True:
            call: Any = self._stub.StreamUserEvents(tradeproc_pb2.StreamUserEventsRequest())
            # Registered = the service's initial metadata (sent with the first event today).
            registered = asyncio.ensure_future(call.initial_metadata())
            registered.add_done_callback(self._registered)
            try:
                async for event in call:
                    failures = 0
                    self._route(event)
            except grpc.aio.AioRpcError as exc:
                failures += 1
                log.warning("user events lost, reopening", extra={"code": exc.code().name})
            finally:
                call.cancel()
                registered.cancel()
            await asyncio.sleep(RETRY_S[min(failures, len(RETRY_S) - 1)])

    def _registered(self, metadata: asyncio.Future[Any]) -> None:
        if not metadata.cancelled():
            metadata.exception()  # a failure is the call's to report, in _pump
        self._connected.set()

    def _route(self, event: tradeproc_pb2.UserEvent) -> None:
        subscribers = self._by_user.get(event.user_id)
        if not subscribers:
            return
        frame = Frame.of("", binance_payload(event))  # sent raw: one account per connection
        for subscriber in tuple(subscribers):
            subscriber.deliver(frame)
