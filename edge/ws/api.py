"""Binance's WebSocket API (`/ws-api/v3`): the REST API's requests over one WebSocket, and the
user data stream subscription.

Binance retired listenKeys for spot in favour of subscribing here, and the clients followed:
ccxt pro's watch_balance / watch_orders / watch_my_trades and python-binance's user socket send
`userDataStream.subscribe.signature`; ccxt pro's create_order_ws, cancel_order_ws,
fetch_balance_ws, ... and python-binance's `ws_*` methods trade and query here. A request is
`{"id": .., "method": .., "params": {..}}`, answered `{"id": .., "status": 200, "result": ..}` or
`{"id": .., "status": <HTTP status>, "error": {"code": .., "msg": ..}}`, with a `rateLimits` list
unless `returnRateLimits` is false (per request, or for the connection in its URL's query); a
subscription's events arrive as `{"subscriptionId": n, "event": <what /ws/<listenKey> sends>}`.

Every method in `METHODS` is the REST operation of the same name, run by the REST pipeline
(edge/rest/handler.py, `RestApi.perform`): the same weights, limits, signature and timestamp
checks, decoding, errors and answers. What differs is the carrier: params are a JSON object
(arrays such as `symbols` are passed on as REST's JSON text), the key is the `apiKey` param,
and a signature covers every other param sorted by name as `key=value&...` (Binance's rule,
which ccxt follows; python-binance URL-encodes the values, also accepted). Requests of one
connection are answered in the order they came, so an order placed and then canceled on the
same connection is found by the cancel. Not served: `session.logon` (Binance's own takes only
Ed25519 keys), order lists, SOR.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import orjson
from starlette.websockets import WebSocket, WebSocketDisconnect

from edge.auth import Caller
from edge.errors import ApiError
from edge.errors import refused as refused_as
from edge.rest.handler import RestApi
from edge.rest.operations import Operation
from edge.rest.policy import Security

from .connection import CLOSE_POLICY, Outbox
from .hub import Frame
from .user_data import UserEvents

# method -> (HTTP method, path) of the REST operation it runs
METHODS: Mapping[str, tuple[str, str]] = {
    "ping": ("GET", "/api/v3/ping"),
    "time": ("GET", "/api/v3/time"),
    "exchangeInfo": ("GET", "/api/v3/exchangeInfo"),
    "depth": ("GET", "/api/v3/depth"),
    "trades.recent": ("GET", "/api/v3/trades"),
    "trades.historical": ("GET", "/api/v3/historicalTrades"),
    "trades.aggregate": ("GET", "/api/v3/aggTrades"),
    "klines": ("GET", "/api/v3/klines"),
    "uiKlines": ("GET", "/api/v3/uiKlines"),
    "avgPrice": ("GET", "/api/v3/avgPrice"),
    "ticker.24hr": ("GET", "/api/v3/ticker/24hr"),
    "ticker.tradingDay": ("GET", "/api/v3/ticker/tradingDay"),
    "ticker": ("GET", "/api/v3/ticker"),
    "ticker.price": ("GET", "/api/v3/ticker/price"),
    "ticker.book": ("GET", "/api/v3/ticker/bookTicker"),
    "order.place": ("POST", "/api/v3/order"),
    "order.test": ("POST", "/api/v3/order/test"),
    "order.status": ("GET", "/api/v3/order"),
    "order.cancel": ("DELETE", "/api/v3/order"),
    "order.cancelReplace": ("POST", "/api/v3/order/cancelReplace"),
    "order.amend.keepPriority": ("PUT", "/api/v3/order/amend/keepPriority"),
    "openOrders.status": ("GET", "/api/v3/openOrders"),
    "openOrders.cancelAll": ("DELETE", "/api/v3/openOrders"),
    "allOrders": ("GET", "/api/v3/allOrders"),
    "myTrades": ("GET", "/api/v3/myTrades"),
    "account.status": ("GET", "/api/v3/account"),
    "account.commission": ("GET", "/api/v3/account/commission"),
    "account.rateLimits.orders": ("GET", "/api/v3/rateLimit/order"),
    "userDataStream.start": ("POST", "/api/v3/userDataStream"),
    "userDataStream.ping": ("PUT", "/api/v3/userDataStream"),
    "userDataStream.stop": ("DELETE", "/api/v3/userDataStream"),
}
_log = logging.getLogger("spotex.edge")

_SUBSCRIBE_WEIGHT = 2  # Binance's, for userDataStream.subscribe(.signature)
_CONNECT_WEIGHT = 2  # "Connecting to WebSocket API costs 2 weight."
_BAD_SIGNATURE = -1022
_CARRIER_PARAMS = frozenset({"apiKey", "returnRateLimits"})  # signed, but no REST operation's params


class WsApiConnection:
    def __init__(
        self, websocket: WebSocket, user_events: UserEvents, rest: RestApi, operations: Mapping[str, Operation],
        backlog_bytes: int,
    ) -> None:  # fmt: skip
        self._ws = websocket
        self._user_events = user_events
        self._rest = rest
        self._operations = operations
        self._ip = websocket.client.host if websocket.client else "unknown"
        self._rate_limits_by_default = websocket.query_params.get("returnRateLimits", "true") != "false"
        # as the stream connections: a client whose backlog passes backlog_bytes is dropped
        self._outbox = Outbox(backlog_bytes)
        self._dropping: asyncio.Task[None] | None = None
        self._subscriptions: dict[int, tuple[int, _Subscription]] = {}  # id -> (user id, sink)
        self._next_id = 0

    async def serve(self) -> None:
        await self._ws.accept()
        with contextlib.suppress(ApiError):  # a banned IP's requests are refused one by one
            await self._rest.charge(self._ip, _CONNECT_WEIGHT, [])
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
            answer, status = await self._answer(message.get("text") or message.get("bytes") or b"")
            self.send(answer)
            if status == 418:  # Binance disconnects a banned IP, once it has said why
                await self._flushed(timeout_s=1.0)
                await self._close("banned")
                return

    async def _flushed(self, timeout_s: float) -> None:
        """Until the writer has taken every queued answer (or timeout_s): a close sent before
        them would overtake them."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout_s):
                while self._outbox.backlog:
                    await asyncio.sleep(0.005)

    async def _answer(self, data: str | bytes) -> tuple[str, int]:
        """The answer to one request, and its status. Every request costs weight, malformed
        ones included (as on REST: garbage is not a free flood)."""
        usage: list[tuple[bytes, bytes]] = []
        rid: Any = None
        with_limits = self._rate_limits_by_default
        try:
            request = _request(data)
            rid = request.get("id")
            if not isinstance(rid, (int, str, type(None))) or isinstance(rid, bool):
                rid = None
                raise ApiError(400, -1102, "Mandatory parameter 'id' was not sent, was empty/null, or malformed.")
            method, params = request.get("method"), request.get("params", {})
            if not isinstance(method, str):
                raise ApiError(400, -1102, "Mandatory parameter 'method' was not sent, was empty/null, or malformed.")
            if not isinstance(params, (dict, type(None))):
                raise ApiError(400, -1102, "Mandatory parameter 'params' was not sent, was empty/null, or malformed.")
            params = params or {}
            texts = {name: _text(value) for name, value in params.items() if value is not None}
            with_limits = texts.get("returnRateLimits", "true" if with_limits else "false") != "false"
            result = await self._call(method.removeprefix("v3/"), texts, usage)
        except ApiError as refused:
            if not usage:  # refused before it was charged: unreadable
                with contextlib.suppress(ApiError):
                    await self._rest.charge(self._ip, 1, usage)
            return self._refusal(rid, refused, usage, with_limits), refused.status
        except Exception:
            _log.exception("unexpected failure", extra={"path": "/ws-api/v3"})
            return self._refusal(rid, refused_as("INTERNAL_ERROR"), usage, with_limits), 500
        answer: dict[str, Any] = {"id": rid, "status": 200, "result": result}
        if with_limits:
            answer["rateLimits"] = self._rate_limits(usage)
        return orjson.dumps(answer).decode(), 200

    def _refusal(self, rid: Any, refused: ApiError, usage: list[tuple[bytes, bytes]], with_limits: bool) -> str:
        error: dict[str, Any] = {"id": rid, "status": refused.status, "error": refused.body()}
        if with_limits:
            error["rateLimits"] = self._rate_limits(usage)
        return orjson.dumps(error).decode()

    async def _call(self, method: str, texts: dict[str, str], usage: list[tuple[bytes, bytes]]) -> Any:
        operation = self._operations.get(method)
        if operation is not None:
            security = operation.binding.policy.security
            params = {name: value for name, value in texts.items() if name not in _CARRIER_PARAMS}
            return await self._rest.perform(
                operation, self._ip, params, lambda: self._authenticate(security, texts), usage
            )
        if method == "userDataStream.subscribe.signature":
            await self._rest.charge(self._ip, _SUBSCRIBE_WEIGHT, usage)
            return {"subscriptionId": await self._subscribe(texts)}
        if method == "userDataStream.unsubscribe":
            await self._rest.charge(self._ip, _SUBSCRIBE_WEIGHT, usage)
            self._unsubscribe(texts.get("subscriptionId"))
            return {}
        await self._rest.charge(self._ip, 1, usage)
        raise ApiError(400, -1000, f"Unknown method '{method[:64]}'.")

    async def _authenticate(self, security: Security, texts: dict[str, str]) -> Caller:
        """The key is the apiKey param; the signature covers the other params sorted by name,
        as `key=value&...` or, as python-binance sends it, URL-encoded."""
        headers = {b"x-mbx-apikey": texts.get("apiKey", "").encode()}
        pairs = sorted((name, value) for name, value in texts.items() if name != "signature")
        raw = "&".join(f"{name}={value}" for name, value in pairs).encode()
        auth = self._rest.authenticator
        try:
            return await auth.caller(security, headers, texts, raw, b"")
        except ApiError as refused:
            quoted = urlencode(pairs).encode()
            if refused.code != _BAD_SIGNATURE or quoted == raw:
                raise
        return await auth.caller(security, headers, texts, quoted, b"")

    def _rate_limits(self, usage: list[tuple[bytes, bytes]]) -> list[dict[str, Any]]:
        """Binance's `rateLimits`: the counters this request moved, as REST's headers show them."""
        counts = dict(usage)
        settings = self._rest.settings
        limits = []
        if b"x-mbx-order-count-10s" in counts:
            limits.append(_limit("ORDERS", "SECOND", 10, settings.orders_per_10s, counts[b"x-mbx-order-count-10s"]))
            limits.append(_limit("ORDERS", "DAY", 1, settings.orders_per_day, counts[b"x-mbx-order-count-1d"]))
        if b"x-mbx-used-weight-1m" in counts:
            limits.append(
                _limit("REQUEST_WEIGHT", "MINUTE", 1, settings.weight_per_minute, counts[b"x-mbx-used-weight-1m"])
            )
        return limits

    async def _subscribe(self, texts: dict[str, str]) -> int:
        """Verified as a signed USER_DATA request: the same key, timestamp and recvWindow rules."""
        caller = await self._authenticate(Security.USER_DATA, texts)
        subscription_id = self._next_id
        self._next_id += 1
        sink = _Subscription(self, subscription_id)
        self._subscriptions[subscription_id] = (caller.user_id, sink)
        await self._user_events.attach(caller.user_id, sink)
        return subscription_id

    def _unsubscribe(self, subscription_id: str | None) -> None:
        """One subscription, or (no id) all of them, as Binance."""
        ids = [str(sid) for sid in self._subscriptions] if subscription_id is None else [subscription_id]
        for sid in ids:
            found = self._subscriptions.pop(int(sid), None) if sid.isascii() and sid.isdigit() else None
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


def operations_by_method(rest: RestApi) -> dict[str, Operation]:
    """The REST operation behind each method of METHODS that this edge serves."""
    found = {method: rest.paths.get(path, {}).get(verb) for method, (verb, path) in METHODS.items()}
    return {method: operation for method, operation in found.items() if operation is not None}


def _request(data: str | bytes) -> dict[str, Any]:
    try:
        request = orjson.loads(data)
    except orjson.JSONDecodeError:
        raise ApiError(400, -1000, "Malformed request.") from None
    if not isinstance(request, dict):
        raise ApiError(400, -1000, "Malformed request.")
    return request


def _text(value: Any) -> str:
    """A JSON param as REST would carry it: booleans as Binance spells them, arrays (`symbols`,
    `permissions`) as the JSON text REST takes."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, (list, dict)):
        return orjson.dumps(value).decode()
    return str(value)


def _limit(kind: str, interval: str, num: int, limit: int, count: bytes) -> dict[str, Any]:
    return {"rateLimitType": kind, "interval": interval, "intervalNum": num, "limit": limit, "count": int(count)}
