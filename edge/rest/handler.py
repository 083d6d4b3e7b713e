"""One REST request, start to finish:

1. read the body (bounded) and the parameters of query string and body (-1101 on duplicates);
2. charge the IP its request weight (429 / 418 past the limit);
3. authenticate as the endpoint's security type demands (signatures checked here against the
   key's credentials, cached at most 2 s: edge/auth.py);
4. type the parameters into the request message (-1100, -1104, -1117, ...);
5. count a new order against the account's ORDERS limits (429 / -1015);
6. call the RPC with the caller in metadata, render Binance's JSON with orjson.

Every answer of a known endpoint, error or not, carries X-MBX-USED-WEIGHT-1M; order answers carry the order counts.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import orjson
from starlette.types import Receive, Scope, Send

from edge.auth import Authenticator, Caller
from edge.errors import ApiError, method_not_allowed, refused
from edge.ratelimit import OrderUsage, RateLimiter
from edge.rest.operations import Operation, Paths
from edge.rest.params import parse_json_params, parse_params
from edge.settings import EdgeSettings

_log = logging.getLogger("spotex.edge")

_JSON = (b"content-type", b"application/json;charset=UTF-8")


class RestApi:
    """The request pipeline in front of every operation."""

    def __init__(
        self, paths: Paths, authenticator: Authenticator, limiter: RateLimiter, settings: EdgeSettings
    ) -> None:
        self.paths = paths
        self._auth = authenticator
        self._limiter = limiter
        self._settings = settings

    @property
    def authenticator(self) -> Authenticator:
        return self._auth

    @property
    def settings(self) -> EdgeSettings:
        return self._settings

    def endpoint(self, path: str) -> PathEndpoint:
        return PathEndpoint(self, path, self.paths[path])

    async def serve(self, operation: Operation, scope: Scope, receive: Receive, send: Send) -> None:
        headers: list[tuple[bytes, bytes]] = [_JSON]
        status = 200
        try:
            payload = await self._handle(operation, scope, receive, headers)
        except ApiError as error:
            status, payload = error.status, orjson.dumps(error.body())
            headers.extend((k.lower().encode(), v.encode()) for k, v in error.headers.items())
            if status >= 500:
                _log.warning("answered %s %s", status, error.msg, extra={"path": scope["path"]})
        except Exception:
            _log.exception("unexpected failure", extra={"path": scope["path"]})
            status, payload = 500, orjson.dumps(refused("INTERNAL_ERROR").body())
        headers.append((b"content-length", str(len(payload)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})

    async def _handle(
        self, operation: Operation, scope: Scope, receive: Receive, out: list[tuple[bytes, bytes]]
    ) -> bytes:
        request_headers = dict(scope["headers"])
        query: bytes = scope["query_string"]
        policy = operation.binding.policy
        client = scope.get("client")
        ip = client[0] if client else "unknown"
        try:
            body = await _read_body(request_headers, receive, self._settings.max_body_bytes)
            params = _params(request_headers, query, body, self._settings.max_params)
        except ApiError:
            # Unreadable requests cost their sender too, or garbage would be a free flood.
            await self.charge(ip, policy.weight({}), out)
            raise

        def authenticate() -> Awaitable[Caller]:
            return self._auth.caller(policy.security, request_headers, params, query, body)

        return orjson.dumps(await self.perform(operation, ip, params, authenticate, out))

    async def perform(
        self,
        operation: Operation,
        ip: str,
        params: dict[str, str],
        authenticate: Callable[[], Awaitable[Caller]],
        out: list[tuple[bytes, bytes]],
    ) -> Any:
        """Steps 2 to 6 for parameters already read, whatever carried them (HTTP here, the
        WebSocket API in edge/ws/api.py): the answer as a JSON value, or ApiError. `out`
        collects the usage headers as they are known, refusals included."""
        policy = operation.binding.policy
        await self.charge(ip, policy.weight(params), out)
        caller = await authenticate()
        message = operation.decoder.decode(params, operation.refused_params)
        if policy.counts_order:
            orders = await self._limiter.count_order(caller.user_id)
            out.append((b"x-mbx-order-count-10s", str(orders.count_10s).encode()))
            out.append((b"x-mbx-order-count-1d", str(orders.count_1d).encode()))
            if orders.retry_after_s:
                raise _too_many_orders(orders, self._settings)
        return await operation.call(message, caller, params)

    async def charge(self, ip: str, weight: int, out: list[tuple[bytes, bytes]]) -> None:
        usage = await self._limiter.charge_request(ip, weight)
        used = str(usage.used).encode()
        out.append((b"x-mbx-used-weight", used))  # Binance sends both names
        out.append((b"x-mbx-used-weight-1m", used))
        if usage.banned_until_ms:
            raise _banned(ip, usage.banned_until_ms)
        if usage.retry_after_s:
            raise _too_many_requests(ip, self._settings.weight_per_minute, usage.retry_after_s)


class PathEndpoint:
    """The ASGI app of one path: dispatches on the HTTP method (Starlette routes by path)."""

    def __init__(self, api: RestApi, path: str, operations: dict[str, Operation]) -> None:
        self._api = api
        self._path = path
        self._operations = operations

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        operation = self._operations.get(scope["method"])
        if operation is None:
            error = method_not_allowed(scope["method"], self._path)
            payload = orjson.dumps(error.body())
            allow = ", ".join(sorted(self._operations)).encode()
            await send({
                "type": "http.response.start",
                "status": error.status,
                "headers": [_JSON, (b"allow", allow), (b"content-length", str(len(payload)).encode())],
            })
            await send({"type": "http.response.body", "body": payload})
            return
        await self._api.serve(operation, scope, receive, send)


async def _read_body(headers: Mapping[bytes, bytes], receive: Receive, limit: int) -> bytes:
    declared = headers.get(b"content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise _body_too_large(limit)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:  # chunked uploads have no Content-Length to refuse up front
            raise _body_too_large(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _params(headers: Mapping[bytes, bytes], query: bytes, body: bytes, max_params: int) -> dict[str, str]:
    # python-binance labels its form bodies application/json, so the body itself decides.
    if body[:1] == b"{" and headers.get(b"content-type", b"").startswith(b"application/json"):
        params = parse_params(query, b"", max_params)
        for key, value in parse_json_params(body).items():
            if key in params:
                raise ApiError(400, -1101, "Duplicate values for a parameter detected.")
            params[key] = value
        return params
    return parse_params(query, body, max_params)


def _body_too_large(limit: int) -> ApiError:
    return ApiError(413, -1101, f"Too many parameters sent for this endpoint. The body may not exceed {limit} bytes.")


def _too_many_requests(ip: str, limit: int, retry_after_s: int) -> ApiError:
    msg = (
        f"Too many requests; current limit of IP({ip}) is {limit} requests per minute. "
        "Please use the websocket for live updates to avoid bans."
    )
    return ApiError(429, -1003, msg, headers={"Retry-After": str(retry_after_s)})


def _banned(ip: str, until_ms: int) -> ApiError:
    msg = (
        f"Way too many requests; IP({ip}) banned until {until_ms}. "
        "Please use the websocket for live updates to avoid bans."
    )
    retry = max(1, -(-(until_ms - time.time_ns() // 1_000_000) // 1000))
    return ApiError(418, -1003, msg, headers={"Retry-After": str(retry)})


def _too_many_orders(usage: OrderUsage, settings: EdgeSettings) -> ApiError:
    limit = settings.orders_per_10s if usage.interval == "10 SECOND" else settings.orders_per_day
    return ApiError(
        429,
        -1015,
        f"Too many new orders; current limit is {limit} orders per {usage.interval}.",
        headers={"Retry-After": str(usage.retry_after_s)},
    )
