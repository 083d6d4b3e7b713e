"""Binance's WebSocket API (`/ws-api/v3`), the part trading clients need for the user data stream.

Binance retired listenKeys for spot in favour of subscribing over the WebSocket API, and the
clients followed: ccxt pro's watch_balance / watch_orders / watch_my_trades and python-binance's
user socket send `userDataStream.subscribe.signature` there. A request is
`{"id": .., "method": .., "params": {..}}`, answered `{"id": .., "status": 200, "result": ..}` or
`{"id": .., "status": <HTTP status>, "error": {"code": .., "msg": ..}}`; a subscription's events
arrive as `{"subscriptionId": n, "event": <the same payload /ws/<listenKey> sends>}`.

Methods served: `ping`, `time`, `userDataStream.subscribe.signature` (HMAC-SHA256 over the
other params sorted by name, `key=value&...`, as Binance and both clients sign them; checked as
a signed USER_DATA request) and `userDataStream.unsubscribe`. Binance's session logon, its
trading and market-data methods are not: they are answered with an error, and the connection
stays open.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any
from urllib.parse import urlencode

import orjson
from starlette.websockets import WebSocket, WebSocketDisconnect

from edge.auth import Authenticator
from edge.errors import ApiError
from edge.rest.policy import Security

from .connection import CLOSE_POLICY, Outbox
from .hub import Frame
from .limits import MessageRate, WsLimits
from .user_data import UserEvents


class WsApiConnection:
    def __init__(self, websocket: WebSocket, user_events: UserEvents, auth: Authenticator, limits: WsLimits) -> None:
        self._ws = websocket
        self._user_events = user_events
        self._auth = auth
        self._rate = MessageRate(limits.messages_per_second)
        # as the stream connections: a client whose backlog passes backlog_bytes is dropped
        self._outbox = Outbox(limits.backlog_bytes)
        self._dropping: asyncio.Task[None] | None = None
        self._subscriptions: dict[int, tuple[int, _Subscription]] = {}  # id -> (user id, sink)
        self._next_id = 0

    async def serve(self) -> None:
        await self._ws.accept()
        writer = asyncio.create_task(self._write())
        try:
            await self._read()  # until the client leaves, or is closed on (_close)
        finally:
            for user_id, sink in self._subscriptions.values():
                self._user_events.detach(user_id, sink)
            self._subscriptions.clear()
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await writer

    def send(self, text: str) -> None:
        if self._dropping is None and not self._outbox.put(text):
            self._dropping = asyncio.get_running_loop().create_task(self._close("slow consumer"))

    async def _close(self, reason: str) -> None:
        with contextlib.suppress(RuntimeError, OSError, WebSocketDisconnect):
            await self._ws.close(CLOSE_POLICY, reason)

    async def _write(self) -> None:
        try:
            while True:
                await self._ws.send_text(await self._outbox.get())
        except (WebSocketDisconnect, RuntimeError, OSError):
            return

    async def _read(self) -> None:
        while True:
            message: Any = await self._ws.receive()
            if message["type"] == "websocket.disconnect":
                return
            if not self._rate.allow():
                await self._close("too many messages")
                return
            self.send(await self._answer(message.get("text") or message.get("bytes") or b""))

    async def _answer(self, data: str | bytes) -> str:
        try:
            request = orjson.loads(data)
        except orjson.JSONDecodeError:
            return _error(None, 400, -1000, "Malformed request.")
        if not isinstance(request, dict):
            return _error(None, 400, -1000, "Malformed request.")
        rid = request.get("id")
        method, params = request.get("method"), request.get("params") or {}
        if not isinstance(method, str) or not isinstance(params, dict):
            return _error(rid, 400, -1102, "Mandatory parameter 'method' was not sent, was empty/null, or malformed.")
        try:
            if method == "ping":
                return _result(rid, {})
            if method == "time":
                return _result(rid, {"serverTime": time.time_ns() // 1_000_000})
            if method == "userDataStream.subscribe.signature":
                return _result(rid, {"subscriptionId": await self._subscribe(params)})
            if method == "userDataStream.unsubscribe":
                self._unsubscribe(params.get("subscriptionId"))
                return _result(rid, {})
        except ApiError as refused:
            return _error(rid, refused.status, refused.code, refused.msg)
        return _error(rid, 400, -1000, f"Unknown method '{method[:64]}'.")

    async def _subscribe(self, params: dict[str, Any]) -> int:
        """Verified as a signed USER_DATA request: the same key, timestamp and recvWindow rules."""
        text = {name: _text(value) for name, value in params.items()}
        payload = urlencode(sorted((n, v) for n, v in text.items() if n != "signature")).encode()
        caller = await self._auth.caller(
            Security.USER_DATA, {b"x-mbx-apikey": text.get("apiKey", "").encode()}, text, payload, b""
        )
        subscription_id = self._next_id
        self._next_id += 1
        sink = _Subscription(self, subscription_id)
        self._subscriptions[subscription_id] = (caller.user_id, sink)
        await self._user_events.attach(caller.user_id, sink)
        return subscription_id

    def _unsubscribe(self, subscription_id: Any) -> None:
        """One subscription, or (no id) all of them, as Binance."""
        ids = list(self._subscriptions) if subscription_id is None else [subscription_id]
        for sid in ids:
            found = self._subscriptions.pop(sid, None) if isinstance(sid, int) else None
            if found is None:
                raise ApiError(
                    400,
                    -1100,
                    f"Illegal characters found in parameter 'subscriptionId'; "
                    f"legal range is '{sorted(self._subscriptions)}'.",
                )
            self._user_events.detach(*found)


class _Subscription:
    """One subscription as a subscriber of its account's events."""

    __slots__ = ("_connection", "_prefix")

    def __init__(self, connection: WsApiConnection, subscription_id: int) -> None:
        self._connection = connection
        self._prefix = f'{{"subscriptionId":{subscription_id},"event":'

    def deliver(self, frame: Frame) -> None:
        self._connection.send(self._prefix + frame.text(False) + "}")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _result(rid: Any, result: Any) -> str:
    return orjson.dumps({"id": rid, "status": 200, "result": result}).decode()


def _error(rid: Any, status: int, code: int, msg: str) -> str:
    return orjson.dumps({"id": rid, "status": status, "error": {"code": code, "msg": msg}}).decode()
