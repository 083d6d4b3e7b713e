"""Contract messages rendered in Binance's shapes (unit tests)."""

from __future__ import annotations

import grpc
import pytest

from edge.errors import from_rpc_error
from edge.rest import render_orders
from edge.rest.exchange_info import symbol_entry
from exchange.v1 import common_pb2, order_pb2
from services.common.catalog import DEMO_SYMBOLS
from services.common.grpcutil.errors import ServiceError
from services.common.symbol_info import symbol_info

PLACED = order_pb2.PlaceOrderResponse(
    order=common_pb2.Order(symbol="BTCUSDT", order_id=5, order_list_id=-1, client_order_id="c", type=common_pb2.MARKET),
    transact_time=123,
    fills=[common_pb2.Fill(price="1", qty="2", commission="0.002", commission_asset="BTC", trade_id=9)],
)


@pytest.mark.parametrize(
    ("order_type", "resp_type", "has_status", "has_fills"),
    [
        (common_pb2.MARKET, 0, True, True),  # default FULL
        (common_pb2.LIMIT, 0, True, True),
        (common_pb2.LIMIT_MAKER, 0, False, False),  # default ACK
        (common_pb2.MARKET, common_pb2.ACK, False, False),
        (common_pb2.MARKET, common_pb2.RESULT, True, False),
        (common_pb2.STOP_LOSS, common_pb2.FULL, True, True),
    ],
)
def test_new_order_responses_are_trimmed_to_ack_result_or_full(
    order_type: int, resp_type: int, has_status: bool, has_fills: bool
) -> None:
    request = order_pb2.PlaceOrderRequest(type=order_type, new_order_resp_type=resp_type)  # type: ignore[arg-type]
    body = render_orders.placed(PLACED, request)
    assert (body["orderId"], body["transactTime"], body["clientOrderId"]) == (5, 123, "c")
    assert ("status" in body, "fills" in body) == (has_status, has_fills)
    if has_fills:
        assert body["fills"] == [
            {"price": "1", "qty": "2", "commission": "0.002", "commissionAsset": "BTC", "tradeId": 9}
        ]


@pytest.mark.parametrize(
    ("order_type", "stop_price", "shown"),
    [(common_pb2.STOP_LOSS_LIMIT, "90000.00", True), (common_pb2.TAKE_PROFIT, "99000.00", True),
     (common_pb2.LIMIT, "90000.00", False), (common_pb2.MARKET, "", False)],
)  # fmt: skip
def test_placed_and_canceled_stop_orders_show_their_stop_price(order_type: int, stop_price: str, shown: bool) -> None:
    order = common_pb2.Order(symbol="BTCUSDT", order_id=7, type=order_type, stop_price=stop_price)  # type: ignore[arg-type]
    canceled = render_orders.canceled(order_pb2.CancelOrderResponse(order=order, client_order_id="k"))
    request = order_pb2.PlaceOrderRequest(type=order_type, new_order_resp_type=common_pb2.RESULT)  # type: ignore[arg-type]
    placed = render_orders.placed(order_pb2.PlaceOrderResponse(order=order), request)
    for body in (canceled, placed):
        assert body.get("stopPrice") == (stop_price if shown else None)


def test_exchange_info_renders_binance_filter_list() -> None:
    entry = symbol_entry(symbol_info(DEMO_SYMBOLS[0]))
    filters = {f["filterType"]: f for f in entry["filters"]}
    assert filters["PRICE_FILTER"] == {
        "filterType": "PRICE_FILTER", "minPrice": "0.01000000", "maxPrice": "1000000.00000000", "tickSize": "0.01000000"
    }  # fmt: skip
    assert filters["NOTIONAL"]["minNotional"] == filters["MIN_NOTIONAL"]["minNotional"] == "5.00000000"
    assert entry["permissionSets"] == [["SPOT"]] and entry["orderTypes"][:2] == ["LIMIT", "MARKET"]
    # every flag of Binance's symbol model, also for what spotex does not offer (the SDKs read them)
    assert {k: entry[k] for k in ("icebergAllowed", "ocoAllowed", "otoAllowed", "opoAllowed", "allowTrailingStop",
                                  "pegInstructionsAllowed", "isMarginTradingAllowed")} == dict.fromkeys(
        ("icebergAllowed", "ocoAllowed", "otoAllowed", "opoAllowed", "allowTrailingStop", "pegInstructionsAllowed",
         "isMarginTradingAllowed"), False)


class _Failed(grpc.RpcError):  # type: ignore[misc]
    def __init__(self, code: grpc.StatusCode, trailers: tuple[tuple[str, bytes], ...] = ()) -> None:
        self._code, self._trailers = code, trailers

    def code(self) -> grpc.StatusCode:
        return self._code

    def details(self) -> str:
        return "details"

    def trailing_metadata(self) -> tuple[tuple[str, bytes], ...]:
        return self._trailers


def _refusal(reason: str, *args: str) -> _Failed:
    status = ServiceError(reason, *args).status()
    return _Failed(grpc.StatusCode(next(c for c in grpc.StatusCode if c.value[0] == status.code)),
                   (("grpc-status-details-bin", status.SerializeToString()),))  # fmt: skip


def test_service_refusals_keep_their_binance_code_and_get_binance_http_statuses() -> None:
    assert from_rpc_error(_refusal("INSUFFICIENT_BALANCE")).status == 400
    assert (from_rpc_error(_refusal("INVALID_API_KEY")).status, from_rpc_error(_refusal("INVALID_API_KEY")).code) == (
        401, -2015
    )  # fmt: skip
    assert from_rpc_error(_refusal("TIMEOUT")).status == 503


def test_a_transport_failure_is_an_unknown_outcome_never_a_4xx() -> None:
    down = from_rpc_error(_Failed(grpc.StatusCode.UNAVAILABLE))
    assert (down.status, down.code) == (503, -1001)
    late = from_rpc_error(_Failed(grpc.StatusCode.DEADLINE_EXCEEDED))
    assert (late.status, late.code) == (503, -1007)
