"""Each service offers the methods the architecture names, and the REST mapping is declared
once, in the protos: every method the edge exposes carries Binance's path and verb, internal
methods carry none."""

from __future__ import annotations

from enum import IntEnum
from typing import Any

import pytest
from google.api import annotations_pb2
from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor

from engine_ext import codes
from exchange.v1 import common_pb2, marketdata_pb2, matching_pb2, order_pb2, tradeproc_pb2, user_pb2

SERVICES: dict[str, ServiceDescriptor] = {
    "UserService": user_pb2.DESCRIPTOR.services_by_name["UserService"],
    "OrderService": order_pb2.DESCRIPTOR.services_by_name["OrderService"],
    "MatchingService": matching_pb2.DESCRIPTOR.services_by_name["MatchingService"],
    "MarketDataService": marketdata_pb2.DESCRIPTOR.services_by_name["MarketDataService"],
    "TradeProcessingService": tradeproc_pb2.DESCRIPTOR.services_by_name["TradeProcessingService"],
}


def http_rule(method: MethodDescriptor) -> tuple[str, str] | None:
    """(verb, path) of the method's google.api.http option, or None."""
    options = method.GetOptions()
    if not options.HasExtension(annotations_pb2.http):
        return None
    rule = options.Extensions[annotations_pb2.http]
    verb = rule.WhichOneof("pattern")
    assert verb is not None
    return verb, str(getattr(rule, verb))


# method -> (verb, path), None = internal (no REST mapping; called only by other services or
# served by the edge as a WebSocket stream).
EXPECTED: dict[str, dict[str, tuple[str, str] | None]] = {
    "UserService": {
        "Register": ("post", "/api/v1/register"),
        "Login": ("post", "/api/v1/login"),
        "CreateApiKey": ("post", "/api/v1/apiKey"),
        "ListApiKeys": ("get", "/api/v1/apiKeys"),
        "RevokeApiKey": ("delete", "/api/v1/apiKey"),
        "Authenticate": None,
        "VerifySession": None,
        "ResolveListenKey": None,
        "GetApiKeyCredentials": None,
        "CreateListenKey": ("post", "/api/v3/userDataStream"),
        "KeepAliveListenKey": ("put", "/api/v3/userDataStream"),
        "CloseListenKey": ("delete", "/api/v3/userDataStream"),
        "Deposit": ("post", "/api/v1/admin/deposit"),
        "Withdraw": ("post", "/api/v1/admin/withdraw"),
        "GetBalances": ("get", "/api/v1/balances"),
    },
    "OrderService": {
        "PlaceOrder": ("post", "/api/v3/order"),
        "TestOrder": ("post", "/api/v3/order/test"),
        "CancelOrder": ("delete", "/api/v3/order"),
        "CancelAllOpenOrders": ("delete", "/api/v3/openOrders"),
        "CancelReplace": ("post", "/api/v3/order/cancelReplace"),
        "AmendOrderKeepPriority": ("put", "/api/v3/order/amend/keepPriority"),
        "GetOrder": ("get", "/api/v3/order"),
        "ListOpenOrders": ("get", "/api/v3/openOrders"),
        "ListOrders": ("get", "/api/v3/allOrders"),
        "PlaceOrders": None,
        "CancelOrders": None,
        "PlaceOrderStream": None,
    },
    "MatchingService": {
        "Execute": None,
        "ExecuteStream": None,
        "StreamEvents": None,
        "Snapshot": None,
        "ListSymbols": None,
        "ConfigureSymbol": None,
    },
    "MarketDataService": {
        "Ping": ("get", "/api/v3/ping"),
        "GetServerTime": ("get", "/api/v3/time"),
        "GetExchangeInfo": ("get", "/api/v3/exchangeInfo"),
        "GetDepth": ("get", "/api/v3/depth"),
        "GetTrades": ("get", "/api/v3/trades"),
        "GetAggTrades": ("get", "/api/v3/aggTrades"),
        "GetKlines": ("get", "/api/v3/klines"),
        "GetAvgPrice": ("get", "/api/v3/avgPrice"),
        "GetTicker24h": ("get", "/api/v3/ticker/24hr"),
        "GetRollingTicker": ("get", "/api/v3/ticker"),
        "GetTradingDayTicker": ("get", "/api/v3/ticker/tradingDay"),
        "GetPrice": ("get", "/api/v3/ticker/price"),
        "GetBookTicker": ("get", "/api/v3/ticker/bookTicker"),
        "Subscribe": None,
    },
    "TradeProcessingService": {
        "GetAccount": ("get", "/api/v3/account"),
        "ListTrades": ("get", "/api/v3/myTrades"),
        "GetCommission": ("get", "/api/v3/account/commission"),
        "GetTradeFees": ("get", "/sapi/v1/asset/tradeFee"),
        "GetOrderHistory": None,
        "StreamUserEvents": None,
        "PublishUserEvents": None,
        "WatchSettlement": None,
    },
}

# (service, method) -> (client_streaming, server_streaming)
STREAMING = {
    ("OrderService", "PlaceOrderStream"): (True, True),
    ("MatchingService", "ExecuteStream"): (True, True),
    ("MatchingService", "StreamEvents"): (False, True),
    ("MarketDataService", "Subscribe"): (False, True),
    ("TradeProcessingService", "StreamUserEvents"): (False, True),
    ("TradeProcessingService", "WatchSettlement"): (False, True),
}


@pytest.mark.parametrize("service", sorted(EXPECTED))
def test_service_offers_exactly_the_expected_methods(service: str) -> None:
    assert sorted(m.name for m in SERVICES[service].methods) == sorted(EXPECTED[service])


@pytest.mark.parametrize(
    ("service", "method"), [(s, m) for s, methods in sorted(EXPECTED.items()) for m in sorted(methods)]
)
def test_method_carries_binance_rest_mapping_when_public_and_none_when_internal(service: str, method: str) -> None:
    descriptor = SERVICES[service].methods_by_name[method]

    assert http_rule(descriptor) == EXPECTED[service][method]


def test_public_methods_with_a_request_body_take_the_whole_message() -> None:
    for service in SERVICES.values():
        for method in service.methods:
            rule = http_rule(method)
            if rule is None:
                continue
            body = method.GetOptions().Extensions[annotations_pb2.http].body
            assert body == ("*" if rule[0] in {"post", "put"} else ""), method.full_name


def test_no_two_methods_share_a_verb_and_path() -> None:
    seen: dict[tuple[str, str], str] = {}
    for service in SERVICES.values():
        for method in service.methods:
            if (rule := http_rule(method)) is None:
                continue
            extra = method.GetOptions().Extensions[annotations_pb2.http].additional_bindings
            bindings = [rule, *((verb, getattr(b, verb)) for b in extra if (verb := b.WhichOneof("pattern")))]
            for binding in bindings:
                assert binding not in seen, f"{binding} on {seen.get(binding)} and {method.full_name}"
                seen[binding] = method.full_name


def test_streaming_shapes() -> None:
    for service in SERVICES.values():
        for method in service.methods:
            expected = STREAMING.get((service.name, method.name), (False, False))
            assert (method.client_streaming, method.server_streaming) == expected, method.full_name


@pytest.mark.parametrize(
    ("proto_enum", "engine_enum"),
    [
        (common_pb2.Side, codes.Side),
        (common_pb2.OrderType, codes.OrderType),
        (common_pb2.TimeInForce, codes.TimeInForce),
        (common_pb2.SelfTradePrevention, codes.SelfTradePrevention),
        (common_pb2.OrderStatus, codes.OrderStatus),
        (matching_pb2.EngineEvent.Kind, codes.EventKind),
    ],
)
def test_binance_enums_are_the_engine_codes_plus_one(proto_enum: Any, engine_enum: type[IntEnum]) -> None:
    for member in engine_enum:
        assert proto_enum.Value(member.name) == member.value + 1
    assert proto_enum.Name(0).endswith("UNSPECIFIED")


def test_reject_reasons_keep_the_engine_numbers() -> None:
    for member in codes.RejectReason:
        assert matching_pb2.EngineEvent.RejectReason.Value(member.name) == member.value


def test_submit_command_has_every_engine_command_field() -> None:
    from engine_ext.events import COMMAND_DTYPE

    submit = {f.name for f in matching_pb2.SubmitCommand.DESCRIPTOR.fields}
    renamed = {"tif": "time_in_force", "stp": "self_trade_prevention"}
    engine_fields = {renamed.get(n, n) for n in COMMAND_DTYPE.names or () if not n.startswith("_")}
    # op is the Command oneof; target_id lives on ReplaceCommand
    assert engine_fields - {"op", "target_id"} <= submit


def test_engine_event_has_every_engine_event_field() -> None:
    from engine_ext.events import EVENT_FIELDS

    fields = {f.name for f in matching_pb2.EngineEvent.DESCRIPTOR.fields}
    # Event.code is split by kind into order_type / status / reject_reason
    assert set(EVENT_FIELDS) - {"code"} <= fields
    assert {"symbol", "time", "order_type", "status", "reject_reason"} <= fields
