"""Every refusal the order domain raises is a row of the one error table (errors.proto)."""

from __future__ import annotations

import pytest

from engine_ext.codes import OrderType, RejectReason
from exchange.v1 import errors_pb2
from services.common.markets import DECIMAL_RANGE
from services.order import errors
from services.order.errors import OrderRejected

REFUSALS = [
    errors.illegal_characters("quantity", DECIMAL_RANGE),
    errors.duplicate_parameter("price"),
    errors.mandatory_missing("symbol"),
    errors.one_of_missing("quantity", "quoteOrderQty"),
    errors.unread_parameters(read=6, sent=7),
    errors.not_required("price"),
    errors.too_much_precision("quantity"),
    errors.invalid_time_in_force(),
    errors.invalid_order_type(),
    errors.invalid_side(),
    errors.invalid_symbol(),
    *(errors.filter_failure(name) for name in ("PRICE_FILTER", "PERCENT_PRICE_BY_SIDE", "LOT_SIZE",
                                               "MARKET_LOT_SIZE", "NOTIONAL", "MAX_NUM_ORDERS",
                                               "MAX_NUM_ALGO_ORDERS")),
    errors.invalid_value("quantity"),
    errors.invalid_amend_quantity(),
    errors.amount_too_large(),
    errors.insufficient_balance(),
    errors.market_closed(),
    *(errors.order_type_not_supported(order_type) for order_type in OrderType),
    errors.iceberg_not_supported(),
    errors.trailing_stop_not_supported(),
    errors.would_match_and_take(),
    errors.would_trigger_immediately(),
    errors.unsupported_combination(),
    errors.duplicate_order(),
    errors.unknown_order(),
    *(errors.engine_rejection(reason) for reason in RejectReason),
]


@pytest.mark.parametrize("refusal", REFUSALS, ids=lambda r: f"{r.reason}:{r.msg}")
def test_every_refusal_names_a_reason_of_the_error_table_with_its_binance_code(refusal: OrderRejected) -> None:
    value = errors_pb2.ErrorReason.DESCRIPTOR.values_by_name[refusal.reason]
    assert value.GetOptions().Extensions[errors_pb2.error].binance_code == refusal.code


def test_a_refusal_renders_as_binances_error_body() -> None:
    assert errors.invalid_symbol().to_binance() == {"code": -1121, "msg": "Invalid symbol."}


@pytest.mark.parametrize(
    ("reason", "code", "msg"),
    [
        (RejectReason.WOULD_TAKE, -2010, "Order would immediately match and take."),
        (RejectReason.WOULD_TRIGGER_IMMEDIATELY, -2010, "Order would trigger immediately."),
        (RejectReason.INSUFFICIENT_FUNDS, -2010, "Account has insufficient balance for requested action."),
        (RejectReason.UNKNOWN_ORDER, -2011, "Unknown order sent."),
        (RejectReason.DUPLICATE_ORDER_ID, -2010, "Duplicate order sent."),
        (RejectReason.INVALID_QUANTITY, -1013, "Filter failure: LOT_SIZE"),
        (RejectReason.INVALID_PRICE, -1013, "Filter failure: PRICE_FILTER"),
        (RejectReason.OVERFLOW, -1013, "Price * QTY is too large."),
        (RejectReason.INVALID_ORDER, -2010, "Unsupported order combination"),
    ],
)
def test_an_engine_rejection_is_answered_as_binance_would(reason: RejectReason, code: int, msg: str) -> None:
    assert errors.engine_rejection(reason).to_binance() == {"code": code, "msg": msg}
