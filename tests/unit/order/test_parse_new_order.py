"""Reading POST /api/v3/order as Binance does: presence, enums, decimals, and their errors."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine_ext.codes import OrderType, SelfTradePrevention, Side, TimeInForce
from services.common.markets import Symbol
from services.order.domain import parse_new_order
from services.order.errors import OrderRejected

LIMIT_BUY = {
    "symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
    "quantity": "0.5", "price": "95000.01",
}
DECIMAL_RANGE = r"^([0-9]{1,20})(\.[0-9]{1,20})?$"


def refused(symbols: dict[str, Symbol], params: object) -> OrderRejected:
    with pytest.raises(OrderRejected) as caught:
        parse_new_order(params, symbols)  # type: ignore[arg-type]
    return caught.value


def without(params: dict[str, str], *names: str) -> dict[str, str]:
    return {k: v for k, v in params.items() if k not in names}


# -- what a valid request becomes ------------------------------------------------------------


def test_limit_order_keeps_the_traders_decimals_and_enums(symbols: dict[str, Symbol]) -> None:
    order = parse_new_order(LIMIT_BUY, symbols)
    assert order.symbol.name == "BTCUSDT"
    assert (order.side, order.order_type, order.tif) == (Side.BUY, OrderType.LIMIT, TimeInForce.GTC)
    assert (order.quantity, order.price) == (Decimal("0.5"), Decimal("95000.01"))
    assert order.quote_order_qty is None and order.stop_price is None
    assert order.client_order_id is None


def test_parameters_may_come_as_pairs(symbols: dict[str, Symbol]) -> None:
    assert parse_new_order(list(LIMIT_BUY.items()), symbols).price == Decimal("95000.01")


def test_empty_values_count_as_not_sent(symbols: dict[str, Symbol]) -> None:
    order = parse_new_order(LIMIT_BUY | {"stopPrice": "", "quoteOrderQty": "", "newClientOrderId": ""}, symbols)
    assert order.stop_price is None and order.client_order_id is None


def test_authentication_parameters_are_left_to_the_edge(symbols: dict[str, Symbol]) -> None:
    parse_new_order(LIMIT_BUY | {"timestamp": "1", "recvWindow": "5000", "signature": "ab"}, symbols)


def test_market_order_without_time_in_force_is_reported_as_gtc(symbols: dict[str, Symbol]) -> None:
    order = parse_new_order({"symbol": "BTCUSDT", "side": "SELL", "type": "MARKET", "quantity": "1"}, symbols)
    assert order.tif == TimeInForce.GTC


def test_market_order_may_be_sized_in_quote(symbols: dict[str, Symbol]) -> None:
    order = parse_new_order({"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quoteOrderQty": "50"}, symbols)
    assert order.quote_order_qty == Decimal("50") and order.quantity is None


def test_client_order_id_of_ccxt_is_accepted(symbols: dict[str, Symbol]) -> None:
    order = parse_new_order(LIMIT_BUY | {"newClientOrderId": "x-TKT5PX2F.a:b/c_d-0123456789abcd"}, symbols)
    assert order.client_order_id == "x-TKT5PX2F.a:b/c_d-0123456789abcd"


def test_trailing_zeros_beyond_the_asset_precision_are_not_precision(symbols: dict[str, Symbol]) -> None:
    assert parse_new_order(LIMIT_BUY | {"quantity": "0.5000000000000"}, symbols).quantity == Decimal("0.5")


@pytest.mark.parametrize(
    ("order_type", "expected"),
    [("LIMIT", "FULL"), ("MARKET", "FULL"), ("LIMIT_MAKER", "ACK"), ("STOP_LOSS", "ACK"),
     ("STOP_LOSS_LIMIT", "ACK"), ("TAKE_PROFIT", "ACK"), ("TAKE_PROFIT_LIMIT", "ACK")],
)
def test_response_type_defaults_to_full_for_market_and_limit_else_ack(
    symbols: dict[str, Symbol], order_type: str, expected: str
) -> None:
    params = {
        "LIMIT": LIMIT_BUY,
        "MARKET": {"quantity": "1"},
        "LIMIT_MAKER": {"quantity": "1", "price": "1"},
        "STOP_LOSS": {"quantity": "1", "stopPrice": "1"},
        "STOP_LOSS_LIMIT": {"quantity": "1", "stopPrice": "1", "price": "1", "timeInForce": "GTC"},
        "TAKE_PROFIT": {"quantity": "1", "stopPrice": "1"},
        "TAKE_PROFIT_LIMIT": {"quantity": "1", "stopPrice": "1", "price": "1", "timeInForce": "GTC"},
    }[order_type] | {"symbol": "BTCUSDT", "side": "BUY", "type": order_type}
    assert parse_new_order(params, symbols).response_type == expected


def test_response_type_sent_is_respected(symbols: dict[str, Symbol]) -> None:
    assert parse_new_order(LIMIT_BUY | {"newOrderRespType": "RESULT"}, symbols).response_type == "RESULT"


def test_self_trade_prevention_defaults_to_binances_expire_maker(symbols: dict[str, Symbol]) -> None:
    assert parse_new_order(LIMIT_BUY, symbols).stp == SelfTradePrevention.EXPIRE_MAKER
    sent = parse_new_order(LIMIT_BUY | {"selfTradePreventionMode": "NONE"}, symbols)
    assert sent.stp == SelfTradePrevention.NONE


# -- -1102 / -1106: which parameters each type takes ---------------------------------------------


@pytest.mark.parametrize("name", ["symbol", "side", "type"])
def test_every_order_needs_symbol_side_and_type(symbols: dict[str, Symbol], name: str) -> None:
    error = refused(symbols, without(LIMIT_BUY, name))
    assert error.to_binance() == {
        "code": -1102, "msg": f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed."
    }


@pytest.mark.parametrize(
    ("order_type", "params", "missing"),
    [
        ("LIMIT", {"quantity": "1", "price": "1"}, "timeInForce"),
        ("LIMIT", {"timeInForce": "GTC", "price": "1"}, "quantity"),
        ("LIMIT", {"timeInForce": "GTC", "quantity": "1"}, "price"),
        ("LIMIT_MAKER", {"price": "1"}, "quantity"),
        ("LIMIT_MAKER", {"quantity": "1"}, "price"),
        ("STOP_LOSS", {"quantity": "1"}, "stopPrice"),
        ("STOP_LOSS", {"stopPrice": "1"}, "quantity"),
        ("TAKE_PROFIT", {"quantity": "1"}, "stopPrice"),
        ("STOP_LOSS_LIMIT", {"timeInForce": "GTC", "quantity": "1", "price": "1"}, "stopPrice"),
        ("STOP_LOSS_LIMIT", {"quantity": "1", "price": "1", "stopPrice": "1"}, "timeInForce"),
        ("TAKE_PROFIT_LIMIT", {"timeInForce": "GTC", "quantity": "1", "stopPrice": "1"}, "price"),
    ],
)
def test_each_type_requires_its_parameters(
    symbols: dict[str, Symbol], order_type: str, params: dict[str, str], missing: str
) -> None:
    error = refused(symbols, params | {"symbol": "BTCUSDT", "side": "BUY", "type": order_type})
    assert (error.code, error.param) == (-1102, missing)


def test_market_order_needs_quantity_or_quote_order_qty(symbols: dict[str, Symbol]) -> None:
    error = refused(symbols, {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET"})
    assert error.to_binance() == {
        "code": -1102, "msg": "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!"
    }


def test_market_order_with_both_sizes_refuses_quote_order_qty(symbols: dict[str, Symbol]) -> None:
    error = refused(
        symbols, {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "1", "quoteOrderQty": "5"}
    )
    assert error.to_binance() == {"code": -1106, "msg": "Parameter 'quoteOrderQty' sent when not required."}


@pytest.mark.parametrize(
    ("order_type", "params", "extra"),
    [
        ("MARKET", {"quantity": "1"}, "price"),
        ("MARKET", {"quantity": "1"}, "timeInForce"),
        ("MARKET", {"quantity": "1"}, "stopPrice"),
        ("LIMIT", {"timeInForce": "GTC", "quantity": "1", "price": "1"}, "stopPrice"),
        ("LIMIT", {"timeInForce": "GTC", "quantity": "1", "price": "1"}, "quoteOrderQty"),
        ("LIMIT_MAKER", {"quantity": "1", "price": "1"}, "timeInForce"),
        ("STOP_LOSS", {"quantity": "1", "stopPrice": "1"}, "price"),
        ("TAKE_PROFIT", {"quantity": "1", "stopPrice": "1"}, "timeInForce"),
    ],
)
def test_a_parameter_the_type_does_not_take_is_refused(
    symbols: dict[str, Symbol], order_type: str, params: dict[str, str], extra: str
) -> None:
    value = "GTC" if extra == "timeInForce" else "1"
    sent = params | {"symbol": "BTCUSDT", "side": "BUY", "type": order_type, extra: value}
    assert refused(symbols, sent).to_binance() == {
        "code": -1106, "msg": f"Parameter '{extra}' sent when not required."
    }


# -- enums ---------------------------------------------------------------------------------------


def test_unknown_symbol(symbols: dict[str, Symbol]) -> None:
    assert refused(symbols, LIMIT_BUY | {"symbol": "BTCEUR"}).to_binance() == {"code": -1121, "msg": "Invalid symbol."}


def test_symbols_are_case_sensitive(symbols: dict[str, Symbol]) -> None:
    assert refused(symbols, LIMIT_BUY | {"symbol": "btcusdt"}).code == -1121


def test_unknown_side(symbols: dict[str, Symbol]) -> None:
    assert refused(symbols, LIMIT_BUY | {"side": "buy"}).to_binance() == {"code": -1117, "msg": "Invalid side."}


def test_unknown_order_type(symbols: dict[str, Symbol]) -> None:
    error = refused(symbols, LIMIT_BUY | {"type": "STOP_MARKET"})
    assert error.to_binance() == {"code": -1116, "msg": "Invalid orderType."}


def test_unknown_time_in_force(symbols: dict[str, Symbol]) -> None:
    error = refused(symbols, LIMIT_BUY | {"timeInForce": "GTX"})
    assert error.to_binance() == {"code": -1115, "msg": "Invalid timeInForce."}


def test_unknown_response_type(symbols: dict[str, Symbol]) -> None:
    error = refused(symbols, LIMIT_BUY | {"newOrderRespType": "FAST"})
    assert error.to_binance() == {
        "code": -1100,
        "msg": "Illegal characters found in parameter 'newOrderRespType'; legal range is 'ACK, RESULT, FULL'.",
    }


@pytest.mark.parametrize("mode", ["DECREMENT", "TRANSFER", "none"])
def test_self_trade_prevention_modes_spotex_lacks_are_refused(symbols: dict[str, Symbol], mode: str) -> None:
    error = refused(symbols, LIMIT_BUY | {"selfTradePreventionMode": mode})
    assert error.to_binance() == {
        "code": -1100,
        "msg": "Illegal characters found in parameter 'selfTradePreventionMode'; "
        "legal range is 'NONE, EXPIRE_TAKER, EXPIRE_MAKER, EXPIRE_BOTH'.",
    }


# -- decimals ----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["-1", "1e-3", "1,5", ".5", "5.", "0x10", " 1", "NaN", "1" * 21])
def test_a_decimal_outside_binances_syntax_is_illegal(symbols: dict[str, Symbol], text: str) -> None:
    error = refused(symbols, LIMIT_BUY | {"quantity": text})
    assert error.to_binance() == {
        "code": -1100, "msg": f"Illegal characters found in parameter 'quantity'; legal range is '{DECIMAL_RANGE}'."
    }


@pytest.mark.parametrize(("name", "value"), [("quantity", "0.000000001"), ("price", "95000.000000001")])
def test_more_decimals_than_the_asset_has_is_a_precision_error(
    symbols: dict[str, Symbol], name: str, value: str
) -> None:
    error = refused(symbols, LIMIT_BUY | {name: value})
    assert error.to_binance() == {"code": -1111, "msg": "Precision is over the maximum defined for this asset."}
    assert error.param == name


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (LIMIT_BUY | {"quantity": "0"}, "Invalid quantity."),
        (LIMIT_BUY | {"price": "0.000"}, "Invalid price."),
        ({"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quoteOrderQty": "0"}, "Invalid quote order qty."),
        ({"symbol": "BTCUSDT", "side": "BUY", "type": "STOP_LOSS", "quantity": "1", "stopPrice": "0"},
         "Invalid stop price."),
    ],
)
def test_a_zero_amount_is_invalid(symbols: dict[str, Symbol], params: dict[str, str], message: str) -> None:
    assert refused(symbols, params).to_binance() == {"code": -1013, "msg": message}


def test_client_order_id_with_illegal_characters(symbols: dict[str, Symbol]) -> None:
    error = refused(symbols, LIMIT_BUY | {"newClientOrderId": "my order"})
    assert error.to_binance() == {
        "code": -1100,
        "msg": "Illegal characters found in parameter 'newClientOrderId'; "
        "legal range is '^[\\.A-Z\\:/a-z0-9_-]{1,36}$'.",
    }


def test_client_order_id_longer_than_36_characters(symbols: dict[str, Symbol]) -> None:
    assert refused(symbols, LIMIT_BUY | {"newClientOrderId": "a" * 37}).code == -1100


# -- the request as a whole ------------------------------------------------------------------------


def test_a_parameter_sent_twice(symbols: dict[str, Symbol]) -> None:
    error = refused(symbols, [*LIMIT_BUY.items(), ("price", "1")])
    assert error.to_binance() == {"code": -1101, "msg": "Duplicate values for a parameter detected."}


def test_an_unknown_parameter_is_not_read(symbols: dict[str, Symbol]) -> None:
    error = refused(symbols, LIMIT_BUY | {"timestamp": "1", "leverage": "10"})
    assert error.to_binance() == {
        "code": -1104, "msg": "Not all sent parameters were read; read '7' parameter(s) but was sent '8'."
    }


def test_iceberg_orders_are_not_supported(symbols: dict[str, Symbol]) -> None:
    error = refused(symbols, LIMIT_BUY | {"icebergQty": "0.1"})
    assert error.to_binance() == {"code": -2010, "msg": "Iceberg orders are not supported for this symbol."}


def test_trailing_stops_are_not_supported(symbols: dict[str, Symbol]) -> None:
    error = refused(symbols, {"symbol": "BTCUSDT", "side": "SELL", "type": "STOP_LOSS", "quantity": "1",
                              "trailingDelta": "100"})
    assert error.to_binance() == {"code": -2010, "msg": "Trailing stop orders are not supported for this symbol."}


def test_a_symbol_that_is_not_trading_refuses_orders(symbols: dict[str, Symbol]) -> None:
    from dataclasses import replace

    halted = {"BTCUSDT": replace(symbols["BTCUSDT"], status="HALT")}
    assert refused(halted, LIMIT_BUY).to_binance() == {"code": -2010, "msg": "Market is closed."}


def test_an_order_type_the_symbol_does_not_list(symbols: dict[str, Symbol]) -> None:
    from dataclasses import replace

    limit_only = {"BTCUSDT": replace(symbols["BTCUSDT"], order_types=(OrderType.LIMIT,))}
    error = refused(limit_only, {"symbol": "BTCUSDT", "side": "BUY", "type": "STOP_LOSS", "quantity": "1",
                                 "stopPrice": "1"})
    assert error.to_binance() == {"code": -2010, "msg": "Stop loss orders are not supported for this symbol."}
