"""The routing table bound to the services: one Operation (decoder + call + renderer) per
(path, HTTP method), built once at start-up."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf import message_factory
from grpc_health.v1 import health_pb2, health_pb2_grpc

from edge.auth import Authenticator, Caller
from edge.clients import Clients
from edge.errors import ApiError, from_rejection, from_rpc_error
from edge.ratelimit import RateLimiter
from edge.rest import render
from edge.rest.exchange_info import exchange_info_renderer
from edge.rest.order_entry import place_order
from edge.rest.params import REFUSED_ORDER_PARAMS, MessageDecoder
from edge.rest.renderers import RENDERERS
from edge.rest.routes import Binding
from edge.settings import EdgeSettings
from exchange.v1 import user_pb2
from services.order import errors as order_errors

Call = Callable[[Any, Caller, Mapping[str, str]], Awaitable[Any]]  # (message, caller, params) -> JSON value


class ClosedListenKeys:
    """Who hears that a listenKey was closed through this edge: the WebSocket side, whose
    streams of the key end at once instead of at their next re-check."""

    def __init__(self) -> None:
        self._listeners: list[Callable[[str], None]] = []

    def listen(self, listener: Callable[[str], None]) -> None:
        self._listeners.append(listener)

    def closed(self, listen_key: str) -> None:
        for listener in self._listeners:
            listener(listen_key)
Paths = dict[str, dict[str, "Operation"]]  # path -> HTTP method -> operation
# What a signed order passes through, of what the edge reaches (matching is behind the order service).
ORDER_PATH_SERVICES = ("user", "order", "tradeproc")

_ORDER_PARAMS_RPCS = frozenset({
    "exchange.v1.OrderService.PlaceOrder",
    "exchange.v1.OrderService.TestOrder",
    "exchange.v1.OrderService.CancelReplace",
})


@dataclass(frozen=True, slots=True)
class Operation:
    binding: Binding
    decoder: MessageDecoder
    call: Call
    refused_params: Mapping[str, Callable[[], Any]] | None = None


def rate_limits(settings: EdgeSettings) -> list[dict[str, Any]]:
    """Binance's rateLimits entries for what the edge enforces."""
    weight = settings.weight_per_minute
    return [
        {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": weight},
        {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": settings.orders_per_10s},
        {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": settings.orders_per_day},
    ]


class OperationBuilder:
    """Binds each binding of the table to the gRPC clients."""

    def __init__(
        self,
        table: list[Binding],
        clients: Clients,
        authenticator: Authenticator,
        limiter: RateLimiter,
        settings: EdgeSettings,
        dev_mode: bool,
        closed_keys: ClosedListenKeys | None = None,
    ) -> None:
        self._clients = clients
        self._closed_keys = closed_keys or ClosedListenKeys()
        self._auth = authenticator
        self._limiter = limiter
        self._settings = settings
        self._renderers: dict[str, render.Renderer] = {
            **RENDERERS,
            "exchange.v1.MarketDataService.GetExchangeInfo": exchange_info_renderer(rate_limits(settings)),
        }
        self.paths: Paths = {}
        for binding in table:
            if binding.edge_name == "faucet" and not dev_mode:
                continue
            self.paths.setdefault(binding.path, {})[binding.http_method] = self._operation(binding)

    def _operation(self, binding: Binding) -> Operation:
        edge_params = binding.policy.edge_params
        if binding.edge_name == "rateLimitOrder":
            return Operation(binding, MessageDecoder(user_pb2.ListApiKeysRequest), self._rate_limit_order)
        if binding.edge_name == "faucet":
            return Operation(binding, MessageDecoder(user_pb2.DepositRequest), self._faucet(binding))
        if binding.edge_name == "systemStatus":
            return Operation(binding, MessageDecoder(user_pb2.ListApiKeysRequest), self._system_status)
        if binding.edge_name in _ORDER_LIST_KINDS:
            return Operation(binding, _OrderListParams(), _refuse_order_list(_ORDER_LIST_KINDS[binding.edge_name]))
        if binding.edge_name in ("openOrderLists", "allOrderLists"):
            return Operation(binding, _OrderListParams(), _no_order_lists)
        if binding.edge_name == "orderListStatus":
            return Operation(binding, _OrderListParams(), _no_such_order_list)
        if binding.edge_name == "cancelOrderList":
            return Operation(binding, _OrderListParams(), _unknown_order_list)
        assert binding.rpc is not None
        decoder = MessageDecoder(message_factory.GetMessageClass(binding.rpc.input_type), edge_params)
        renderer = self._renderers.get(binding.rpc.full_name, render.generic)
        refused_params = REFUSED_ORDER_PARAMS if binding.rpc.full_name in _ORDER_PARAMS_RPCS else None
        return Operation(binding, decoder, self._rpc_call(binding, renderer), refused_params)

    def _rpc_call(self, binding: Binding, renderer: render.Renderer) -> Call:
        assert binding.rpc is not None
        timeout = self._settings.rpc_timeout_s
        if binding.rpc.full_name == "exchange.v1.OrderService.PlaceOrder":
            return self._place_order_call(renderer)
        rpc = self._clients.unary(binding.rpc)
        # This edge forgets a key it revoked at once; other edges within the cache's TTL.
        revokes_key = binding.rpc.full_name == "exchange.v1.UserService.RevokeApiKey"
        keys = self._auth.keys
        closes_listen_key = binding.rpc.full_name == "exchange.v1.UserService.CloseListenKey"
        closed_keys = self._closed_keys

        async def call(message: Any, caller: Caller, params: Mapping[str, str]) -> Any:
            try:
                response = await rpc(message, metadata=caller.metadata, timeout=timeout)
            except grpc.RpcError as exc:
                raise from_rpc_error(exc) from None
            if revokes_key:
                keys.forget(message.api_key)
            if closes_listen_key:
                closed_keys.closed(message.listen_key)
            return renderer(response, message, params)

        return call

    def _place_order_call(self, renderer: render.Renderer) -> Call:
        session, timeout = self._clients.order_session, self._settings.rpc_timeout_s

        async def call(message: Any, caller: Caller, params: Mapping[str, str]) -> Any:
            return renderer(await place_order(session, caller.user_id, message, timeout), message, params)

        return call

    async def _rate_limit_order(self, message: Any, caller: Caller, params: Mapping[str, str]) -> Any:
        usage = await self._limiter.order_usage(caller.user_id)
        s = self._settings
        return [
            {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": s.orders_per_10s,
             "count": usage.count_10s},
            {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": s.orders_per_day,
             "count": usage.count_1d},
        ]  # fmt: skip

    async def _system_status(self, message: Any, caller: Caller, params: Mapping[str, str]) -> Any:
        """Binance's 0 "normal" / 1 "system_maintenance": normal while every service an order
        passes through reports SERVING."""
        checks = [
            health_pb2_grpc.HealthStub(self._clients.channels[name]).Check(health_pb2.HealthCheckRequest(), timeout=1.0)
            for name in ORDER_PATH_SERVICES
        ]
        replies = await asyncio.gather(*checks, return_exceptions=True)
        serving = all(not isinstance(r, BaseException) and r.status == health_pb2.HealthCheckResponse.SERVING
                      for r in replies)
        return {"status": 0, "msg": "normal"} if serving else {"status": 1, "msg": "system_maintenance"}

    def _faucet(self, binding: Binding) -> Call:
        deposit = self._clients.user.Deposit
        timeout = self._settings.rpc_timeout_s

        async def call(message: Any, caller: Caller, params: Mapping[str, str]) -> Any:
            # Only to the session's own account, and a fresh transaction each time.
            message.user_id = caller.user_id
            message.transaction_id = f"faucet-{uuid.uuid4().hex}"
            try:
                reply = await deposit(message, metadata=self._auth.operator_caller().metadata, timeout=timeout)
            except grpc.RpcError as exc:
                raise from_rpc_error(exc) from None
            return render.render_message(reply)

        return call


_ORDER_LIST_KINDS = {"placeOco": "OCO", "placeOcoOldPath": "OCO", "placeOto": "OTO", "placeOtoco": "OTOCO"}


class _OrderListParams(MessageDecoder):
    """Order lists are refused, or listed empty, whatever their legs say: the parameters (the
    above*/below*/working*/pending* of each leg, fromId, limit...) are passed on unread."""

    def __init__(self) -> None:
        super().__init__(user_pb2.ListApiKeysRequest)

    def decode(self, params: Mapping[str, str], refused_params: Mapping[str, Callable[[], Any]] | None = None) -> Any:
        return params


def _refuse_order_list(kind: str) -> Call:
    async def call(message: Any, caller: Caller, params: Mapping[str, str]) -> Any:
        if not params.get("symbol"):
            raise from_rejection(order_errors.mandatory_missing("symbol"))
        raise ApiError(400, -2010, f"{kind} orders are not supported for this symbol.")  # Binance's text

    return call


async def _no_order_lists(message: Any, caller: Caller, params: Mapping[str, str]) -> Any:
    return []


def _one_list_named(params: Mapping[str, str], client_id_param: str) -> None:
    if not params.get("orderListId") and not params.get(client_id_param):
        raise from_rejection(order_errors.one_of_missing("orderListId", client_id_param))


async def _no_such_order_list(message: Any, caller: Caller, params: Mapping[str, str]) -> Any:
    """GET /api/v3/orderList: whichever list is named, there is none."""
    _one_list_named(params, "origClientOrderId")
    raise ApiError(400, -2018, "Order list does not exist.")


async def _unknown_order_list(message: Any, caller: Caller, params: Mapping[str, str]) -> Any:
    """DELETE /api/v3/orderList: Binance's answer for a list it does not hold."""
    if not params.get("symbol"):
        raise from_rejection(order_errors.mandatory_missing("symbol"))
    _one_list_named(params, "listClientOrderId")
    raise ApiError(400, -2011, "Unknown order list sent.")


def build_operations(
    table: list[Binding],
    clients: Clients,
    authenticator: Authenticator,
    limiter: RateLimiter,
    settings: EdgeSettings,
    dev_mode: bool,
    closed_keys: ClosedListenKeys | None = None,
) -> Paths:
    return OperationBuilder(table, clients, authenticator, limiter, settings, dev_mode, closed_keys).paths
