"""Binance's WebSocket API (`/ws-api/v3`): the REST API's requests over one WebSocket, and the
user data stream subscription.

Binance retired listenKeys for spot in favour of subscribing here, and the clients followed:
ccxt pro's watch_balance / watch_orders / watch_my_trades and python-binance's user socket send
`userDataStream.subscribe.signature`; ccxt pro's create_order_ws, cancel_order_ws,
fetch_balance_ws, ... and python-binance's `ws_*` methods trade and query here. A request is
`{"id": .., "method": .., "params": {..}}`, answered `{"id": .., "status": 200, "result": ..}` or
`{"id": .., "status": <HTTP status>, "error": {"code": .., "msg": ..}}`, with a `rateLimits` list
unless `returnRateLimits` is false (per request, or for the connection in its URL's query); a
subscription's events arrive as `{"subscriptionId": n, "event": <what /ws/<listenKey> sends>}`,
until `eventStreamTerminated` says the subscription ended: unsubscribed, or the key that signed
it revoked (checked every KEY_RECHECK_S).

Every method in `METHODS` is the REST operation of the same name, run by the REST pipeline
(edge/rest/handler.py, `RestApi.perform`): the same weights, limits, signature and timestamp
checks, decoding, errors and answers. What differs is the carrier: params are a JSON object
(arrays such as `symbols` are passed on as REST's JSON text), the key is the `apiKey` param,
and a signature covers every other param sorted by name as `key=value&...` (Binance's rule,
which ccxt follows; python-binance URL-encodes the values, also accepted). Requests of one
connection are answered in the order they came, so an order placed and then canceled on the
same connection is found by the cancel. `session.status` and `session.subscriptions` answer
from the connection itself. Not served: `session.logon` (Binance's own takes only Ed25519
keys) and SOR; order lists are refused or listed empty, as on REST.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import orjson
from starlette.websockets import WebSocket, WebSocketDisconnect

from edge.auth import Caller
from edge.errors import ApiError
from edge.errors import refused as refused_as
from edge.rest.handler import RestApi
from edge.rest.operations import Operation, rate_limits
from edge.rest.params import object_params
from edge.rest.policy import Security

from .connection import CLOSE_POLICY, CLOSE_WAIT_S, Outbox
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
    # order lists are not offered: the same refusals and empty lists as on REST
    "orderList.place": ("POST", "/api/v3/order/oco"),
    "orderList.place.oco": ("POST", "/api/v3/orderList/oco"),
    "orderList.place.oto": ("POST", "/api/v3/orderList/oto"),
    "orderList.place.otoco": ("POST", "/api/v3/orderList/otoco"),
    "orderList.status": ("GET", "/api/v3/orderList"),
    "orderList.cancel": ("DELETE", "/api/v3/orderList"),
    "openOrderLists.status": ("GET", "/api/v3/openOrderList"),
    "allOrderLists": ("GET", "/api/v3/allOrderList"),
}
_log = logging.getLogger("spotex.edge")

_SUBSCRIBE_WEIGHT = 2  # Binance's, for userDataStream.subscribe(.signature)
_SESSION_WEIGHT = 2  # Binance's, for session.status and session.subscriptions
_CONNECT_WEIGHT = 2  # "Connecting to WebSocket API costs 2 weight."
_BAD_SIGNATURE = -1022
_CARRIER_PARAMS = frozenset({"apiKey", "returnRateLimits"})  # signed, but no REST operation's params
_ANSWER_WAIT_S = 30.0  # a client that takes no answer for this long is dropped
KEY_RECHECK_S = 1.0  # how often a subscription asks whether its key was revoked (cached: edge/api_keys.py)
_USAGE_HEADERS = (
    ("REQUEST_WEIGHT", "MINUTE", b"x-mbx-used-weight-1m"),
    ("ORDERS", "SECOND", b"x-mbx-order-count-10s"),
    ("ORDERS", "DAY", b"x-mbx-order-count-1d"),
)


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
        # Pushed events are bounded as on the stream connections (a client whose backlog passes
        # backlog_bytes is dropped); answers are always queued, but the next request waits
        # until the client has taken the backlog down, so answers cannot pile up either.
        self._backlog_bytes = backlog_bytes
        self._outbox = Outbox(backlog_bytes)
        self._dropping: asyncio.Task[None] | None = None
        self._subscriptions: dict[int, _Subscribed] = {}
        self._next_id = 0
        self._connected_ms = time.time_ns() // 1_000_000

    async def serve(self) -> None:
        await self._ws.accept()
        try:
            await self._rest.charge(self._ip, _CONNECT_WEIGHT, [])
        except ApiError as refused:
            if refused.status == 418:  # a banned IP is not served
                await self._close("banned")
                return
        writer = asyncio.create_task(self._write())
        try:
            await self._read()  # until the client leaves, or is closed on (_close)
        finally:
            for subscribed in self._subscriptions.values():
                subscribed.key_watch.cancel()
                self._user_events.detach(subscribed.user_id, subscribed.sink)
            self._subscriptions.clear()
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await writer

    def send(self, text: str) -> None:
        """A pushed event (a subscription's): dropped with the connection past the backlog."""
        if self._dropping is None and not self._outbox.put(text):
            self._dropping = asyncio.get_running_loop().create_task(self._close("slow consumer"))

    def server_shutdown(self, frame: Frame) -> None:
        """The edge is about to stop: Binance's WebSocket API sends the event as
        {"event": {"e": "serverShutdown", "E": ..}}."""
        self.send(f'{{"event":{frame.text(combined=False)}}}')

    async def flushed(self) -> None:
        await self._outbox.drained(0, timeout_s=CLOSE_WAIT_S)

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
            self._outbox.put(answer, bounded=False)
            if status == 418:  # Binance disconnects a banned IP, once it has said why
                await self._outbox.drained(0, timeout_s=1.0)
                await self._close("banned")
                return
            if not await self._outbox.drained(self._backlog_bytes, timeout_s=_ANSWER_WAIT_S):
                await self._close("slow consumer")
                return

    async def _answer(self, data: str | bytes) -> tuple[str, int]:
        """The answer to one request, and its status. Every request costs weight, malformed
        ones included (as on REST: garbage is not a free flood)."""
        usage: list[tuple[bytes, bytes]] = []
        rid: Any = None
        with_limits = self._rate_limits_by_default
        settings = self._rest.settings
        try:
            if len(data) > (len_limit := settings.max_body_bytes):
                raise ApiError(400, -1101, f"Too many parameters sent. A request may not exceed {len_limit} bytes.")
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
            if params and len(params) > settings.max_params:
                raise ApiError(400, -1101, "Too many parameters sent for this endpoint.")
            texts = object_params(params or {})
            with_limits = texts.get("returnRateLimits", "true" if with_limits else "false") != "false"
            result = await self._call(method.removeprefix("v3/"), texts, usage)
        except ApiError as refused:
            refusal = refused
            if not usage:  # refused before it was charged: unreadable
                try:
                    await self._rest.charge(self._ip, 1, usage)
                except ApiError as limited:  # a 429 or 418 is the answer that matters now
                    refusal = limited
            return self._refusal(rid, refusal, usage, with_limits), refusal.status
        except Exception:
            _log.exception("unexpected failure", extra={"path": "/ws-api/v3"})
            return self._refusal(rid, refused_as("INTERNAL_ERROR"), usage, with_limits), 500
        answer: dict[str, Any] = {"id": rid, "status": 200, "result": result}
        if with_limits:
            answer["rateLimits"] = self._rate_limits(usage)
        return orjson.dumps(answer).decode(), 200

    def _refusal(self, rid: Any, refused: ApiError, usage: list[tuple[bytes, bytes]], with_limits: bool) -> str:
        body = refused.body()
        retry_after = refused.headers.get("Retry-After")
        if retry_after is not None and refused.data is None:  # Binance's 429/418 say until when
            now = time.time_ns() // 1_000_000
            body["data"] = {"serverTime": now, "retryAfter": now + int(retry_after) * 1000}
        error: dict[str, Any] = {"id": rid, "status": refused.status, "error": body}
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
        if method == "session.status":
            await self._rest.charge(self._ip, _SESSION_WEIGHT, usage)
            return self._session_status()
        if method == "session.subscriptions":
            await self._rest.charge(self._ip, _SESSION_WEIGHT, usage)
            return [{"subscriptionId": sid} for sid in self._subscriptions]
        await self._rest.charge(self._ip, 1, usage)
        raise ApiError(400, -1000, f"Unknown method '{method[:64]}'.")

    async def _authenticate(self, security: Security, texts: dict[str, str]) -> Caller:
        """The key is the apiKey param; the signature covers the other params sorted by name,
        as `key=value&...` (Binance's rule, ccxt's way) or URL-encoded (python-binance's). Where
        a name or value holds `&`, `=` or `%`, the plain join could be read as other params,
        so only the URL-encoded form is accepted."""
        headers = {b"x-mbx-apikey": texts.get("apiKey", "").encode()}
        pairs = sorted((name, value) for name, value in texts.items() if name != "signature")
        quoted = urlencode(pairs).encode()
        plain = "&".join(f"{name}={value}" for name, value in pairs).encode()
        ambiguous = any(mark in text for pair in pairs for text in pair for mark in "&=%")
        auth = self._rest.authenticator
        if not ambiguous and plain != quoted:
            try:
                return await auth.caller(security, headers, texts, plain, b"")
            except ApiError as refused:
                if refused.code != _BAD_SIGNATURE:
                    raise
        return await auth.caller(security, headers, texts, quoted, b"")  # the same bytes as plain, where they agree

    def _session_status(self) -> dict[str, Any]:
        """Binance's session.status. No session here is ever logged on (session.logon is not
        served), so no key is authorized; a signed subscription still counts as a user data
        stream."""
        return {
            "apiKey": None,
            "authorizedSince": None,
            "connectedSince": self._connected_ms,
            "returnRateLimits": self._rate_limits_by_default,
            "serverTime": time.time_ns() // 1_000_000,
            "userDataStream": bool(self._subscriptions),
        }

    def _rate_limits(self, usage: list[tuple[bytes, bytes]]) -> list[dict[str, Any]]:
        """Binance's `rateLimits`: the counters this request moved, as REST's headers show them."""
        headers = dict(usage)
        counts = {
            (kind, interval): int(headers[header])
            for kind, interval, header in _USAGE_HEADERS
            if header in headers
        }
        return [
            {**limit, "count": counts[key]}
            for limit in rate_limits(self._rest.settings)
            if (key := (limit["rateLimitType"], limit["interval"])) in counts
        ]

    async def _subscribe(self, texts: dict[str, str]) -> int:
        """Verified as a signed USER_DATA request: the same key, timestamp and recvWindow rules."""
        caller = await self._authenticate(Security.USER_DATA, texts)
        subscription_id = self._next_id
        self._next_id += 1
        sink = _Subscription(self, subscription_id)
        key_watch = asyncio.create_task(self._watch_key(subscription_id, texts.get("apiKey", "")))
        self._subscriptions[subscription_id] = _Subscribed(caller.user_id, sink, key_watch)
        await self._user_events.attach(caller.user_id, sink)
        return subscription_id

    async def _watch_key(self, subscription_id: int, api_key: str) -> None:
        """A subscription lasts as long as the key that signed it: a revoked key's events stop
        (the account's other keys, and its listenKeys, are not this subscription's business)."""
        while True:
            await asyncio.sleep(KEY_RECHECK_S)
            if await self._rest.authenticator.key_revoked(api_key):
                self._end_subscription(subscription_id, from_watch=True)
                return

    def _end_subscription(self, subscription_id: int, from_watch: bool = False) -> None:
        """Detach it and tell the client, as Binance does, with eventStreamTerminated."""
        subscribed = self._subscriptions.pop(subscription_id, None)
        if subscribed is None:
            return
        if not from_watch:
            subscribed.key_watch.cancel()
        self._user_events.detach(subscribed.user_id, subscribed.sink)
        subscribed.sink.deliver(Frame.of("", {"e": "eventStreamTerminated", "E": time.time_ns() // 1_000_000}))

    def _unsubscribe(self, subscription_id: str | None) -> None:
        """One subscription, or (no id) all of them, as Binance: it "attempts to close the
        subscription with that id, if it exists", so an id with none is no error (python-binance's
        ThreadedWebsocketManager.stop sends one for a subscription already gone)."""
        if subscription_id is not None and not (subscription_id.isascii() and subscription_id.isdigit()):
            raise ApiError(
                400, -1100, "Illegal characters found in parameter 'subscriptionId'; legal range is '^[0-9]{1,20}$'."
            )
        ids = list(self._subscriptions) if subscription_id is None else [int(subscription_id)]
        loop = asyncio.get_running_loop()
        for sid in ids:
            subscribed = self._subscriptions.get(sid)
            if subscribed is not None:
                self._user_events.detach(subscribed.user_id, subscribed.sink)  # no event after the answer
                loop.call_soon(self._end_subscription, sid)  # eventStreamTerminated after the answer


@dataclass(slots=True)
class _Subscribed:
    user_id: int
    sink: _Subscription
    key_watch: asyncio.Task[None]


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
