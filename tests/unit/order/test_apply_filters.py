"""The symbol filters (Binance filters.md) and what a valid order becomes in engine units.

BTCUSDT: tick 0.01, minPrice 0.01, maxPrice 1000000; step 0.00001, minQty 0.00001, maxQty 9000;
NOTIONAL 5..9000000; PERCENT_PRICE_BY_SIDE 0.2..5 on both sides; 200 orders, 5 stops.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from engine_ext.codes import OrderType
from services.common.markets import Symbol
from services.order.domain import OrderContext, OrderIntent, apply_filters, parse_new_order
from services.order.errors import OrderRejected
from services.order.filters import LotSize


def limit(side: str = "BUY", price: str = "95000", quantity: str = "0.001", **extra: str) -> dict[str, str]:
    return {"symbol": "BTCUSDT", "side": side, "type": "LIMIT", "timeInForce": "GTC", "price": price,
            "quantity": quantity, **extra}


def market(side: str = "BUY", **size: str) -> dict[str, str]:
    return {"symbol": "BTCUSDT", "side": side, "type": "MARKET", **size}


def stop_market(side: str = "SELL", stop: str = "90000", quantity: str = "0.001") -> dict[str, str]:
    return {"symbol": "BTCUSDT", "side": side, "type": "STOP_LOSS", "stopPrice": stop, "quantity": quantity}


def accept(symbols: dict[str, Symbol], params: dict[str, str], context: OrderContext | None = None) -> OrderIntent:
    return apply_filters(parse_new_order(params, symbols), context or OrderContext())


def failure(symbols: dict[str, Symbol], params: dict[str, str], context: OrderContext | None = None) -> str:
    with pytest.raises(OrderRejected) as caught:
        accept(symbols, params, context)
    assert caught.value.code == -1013
    return caught.value.msg


# -- engine units ------------------------------------------------------------------------------


def test_limit_order_becomes_ticks_and_lots(symbols: dict[str, Symbol]) -> None:
    intent = accept(symbols, limit(price="95000.01", quantity="0.5"))
    assert (intent.price, intent.qty, intent.quote_qty, intent.stop_price) == (9_500_001, 50_000, 0, 0)


def test_quote_order_qty_becomes_notional_units(symbols: dict[str, Symbol]) -> None:
    # one notional unit = 0.01 USDT * 0.00001 BTC = 0.0000001 USDT
    assert accept(symbols, market(quoteOrderQty="50.5")).quote_qty == 505_000_000


def test_stop_price_becomes_ticks(symbols: dict[str, Symbol]) -> None:
    assert accept(symbols, stop_market(stop="90000.5")).stop_price == 9_000_050


# -- PRICE_FILTER --------------------------------------------------------------------------------


@pytest.mark.parametrize("price", ["0.001", "1000000.01", "95000.005"])
def test_price_below_min_above_max_or_off_tick_fails_price_filter(symbols: dict[str, Symbol], price: str) -> None:
    assert failure(symbols, limit(price=price, quantity="1")) == "Filter failure: PRICE_FILTER"


def test_stop_price_is_held_to_the_price_filter_too(symbols: dict[str, Symbol]) -> None:
    assert failure(symbols, stop_market(stop="90000.001")) == "Filter failure: PRICE_FILTER"


def test_price_bounds_of_zero_are_disabled(symbols: dict[str, Symbol]) -> None:
    btc = symbols["BTCUSDT"]
    unbounded = {"BTCUSDT": replace(btc, filters=replace(btc.filters, max_price=Decimal(0)))}
    assert accept(unbounded, limit(price="2000000", quantity="0.001")).price == 200_000_000


# -- LOT_SIZE and MARKET_LOT_SIZE -----------------------------------------------------------------


@pytest.mark.parametrize("quantity", ["0.000001", "9000.00001", "0.000015"])
def test_quantity_below_min_above_max_or_off_step_fails_lot_size(symbols: dict[str, Symbol], quantity: str) -> None:
    assert failure(symbols, limit(price="1", quantity=quantity)) == "Filter failure: LOT_SIZE"


def test_market_quantity_also_meets_lot_size(symbols: dict[str, Symbol]) -> None:
    assert failure(symbols, market(quantity="0.000015")) == "Filter failure: LOT_SIZE"


def test_market_quantity_meets_market_lot_size(symbols: dict[str, Symbol]) -> None:
    rule = OrderContext(market_lot_size=LotSize(Decimal("0.001"), Decimal("100"), Decimal("0.001")))
    assert failure(symbols, market(quantity="100.001"), rule) == "Filter failure: MARKET_LOT_SIZE"
    assert failure(symbols, market(quantity="0.0015"), rule) == "Filter failure: MARKET_LOT_SIZE"
    assert accept(symbols, market(quantity="1"), rule).qty == 100_000


def test_market_lot_size_does_not_apply_to_limit_orders(symbols: dict[str, Symbol]) -> None:
    rule = OrderContext(market_lot_size=LotSize(Decimal("1"), Decimal("2"), Decimal("1")))
    assert accept(symbols, limit(quantity="0.001"), rule).qty == 100


def test_price_filter_is_checked_before_lot_size(symbols: dict[str, Symbol]) -> None:
    assert failure(symbols, limit(price="0.001", quantity="0.000001")) == "Filter failure: PRICE_FILTER"


# -- PERCENT_PRICE_BY_SIDE --------------------------------------------------------------------------

REFERENCE_95000 = OrderContext(reference_price=9_500_000)


@pytest.mark.parametrize(("side", "price"), [("BUY", "475000.01"), ("BUY", "18999.99"),
                                             ("SELL", "475000.01"), ("SELL", "18999.99")])
def test_limit_price_outside_the_sides_multipliers_fails(symbols: dict[str, Symbol], side: str, price: str) -> None:
    failed = failure(symbols, limit(side=side, price=price), REFERENCE_95000)
    assert failed == "Filter failure: PERCENT_PRICE_BY_SIDE"


@pytest.mark.parametrize("price", ["475000", "19000"])
def test_limit_price_exactly_at_a_multiplier_passes(symbols: dict[str, Symbol], price: str) -> None:
    accept(symbols, limit(price=price), REFERENCE_95000)


def test_each_side_has_its_own_multipliers(symbols: dict[str, Symbol]) -> None:
    btc = symbols["BTCUSDT"]
    tight_bids = {"BTCUSDT": replace(btc, filters=replace(btc.filters, bid_multiplier_up=Decimal("1.05")))}
    assert failure(tight_bids, limit(side="BUY", price="100000"), REFERENCE_95000).endswith("PERCENT_PRICE_BY_SIDE")
    accept(tight_bids, limit(side="SELL", price="100000"), REFERENCE_95000)


def test_without_a_reference_price_the_percent_filter_has_nothing_to_check(symbols: dict[str, Symbol]) -> None:
    accept(symbols, limit(price="999999"))


# -- NOTIONAL --------------------------------------------------------------------------------------


def test_limit_notional_below_min_fails(symbols: dict[str, Symbol]) -> None:
    assert failure(symbols, limit(price="4.99", quantity="1")) == "Filter failure: NOTIONAL"


def test_limit_notional_at_min_passes(symbols: dict[str, Symbol]) -> None:
    accept(symbols, limit(price="5", quantity="1"))


def test_limit_notional_above_max_fails(symbols: dict[str, Symbol]) -> None:
    assert failure(symbols, limit(price="1000.01", quantity="9000")) == "Filter failure: NOTIONAL"


def test_market_order_by_quantity_is_valued_at_the_reference_price(symbols: dict[str, Symbol]) -> None:
    assert failure(symbols, market(quantity="0.00005"), REFERENCE_95000) == "Filter failure: NOTIONAL"
    accept(symbols, market(quantity="0.0001"), REFERENCE_95000)


def test_market_order_is_not_held_to_max_notional(symbols: dict[str, Symbol]) -> None:
    accept(symbols, market(quantity="9000"), REFERENCE_95000)  # 855,000,000 USDT > maxNotional


def test_market_order_before_any_trade_is_not_valued(symbols: dict[str, Symbol]) -> None:
    accept(symbols, market(quantity="0.00001"))


def test_quote_order_qty_is_its_own_notional(symbols: dict[str, Symbol]) -> None:
    assert failure(symbols, market(quoteOrderQty="4.9999999")) == "Filter failure: NOTIONAL"
    accept(symbols, market(quoteOrderQty="5"))


def test_stop_market_order_is_valued_at_its_stop_price(symbols: dict[str, Symbol]) -> None:
    assert failure(symbols, stop_market(stop="4000", quantity="0.001")) == "Filter failure: NOTIONAL"
    accept(symbols, stop_market(stop="5000", quantity="0.001"))


# -- MAX_NUM_ORDERS, MAX_NUM_ALGO_ORDERS ---------------------------------------------------------------


def test_the_two_hundred_and_first_open_order_fails(symbols: dict[str, Symbol]) -> None:
    assert failure(symbols, limit(), OrderContext(open_orders=200)) == "Filter failure: MAX_NUM_ORDERS"
    accept(symbols, limit(), OrderContext(open_orders=199))


def test_the_sixth_open_stop_order_fails(symbols: dict[str, Symbol]) -> None:
    context = OrderContext(open_orders=5, open_algo_orders=5)
    assert failure(symbols, stop_market(), context) == "Filter failure: MAX_NUM_ALGO_ORDERS"


def test_the_stop_limit_is_not_a_plain_order(symbols: dict[str, Symbol]) -> None:
    assert accept(symbols, limit(), OrderContext(open_algo_orders=5)).order_type == OrderType.LIMIT


# -- what the engine could not hold ----------------------------------------------------------------------


def test_amounts_beyond_the_engines_range_are_refused(symbols: dict[str, Symbol]) -> None:
    btc = symbols["BTCUSDT"]
    limitless = replace(btc.filters, max_price=Decimal(0), max_qty=Decimal("1" + "0" * 19),
                        max_notional=Decimal(0))
    with pytest.raises(OrderRejected) as caught:
        accept({"BTCUSDT": replace(btc, filters=limitless)}, limit(price="99999999999999", quantity="99999999"))
    assert caught.value.to_binance() == {"code": -1013, "msg": "Price * QTY is too large."}
