"""What each order locks, and the engine cap that keeps its fills inside the lock.

BTCUSDT units: 1 lot = 0.00001 BTC = 1,000 sat; 1 tick = 0.01 USDT; 1 notional unit (tick * lot)
= 0.0000001 USDT = 10 minor units of USDT (8 decimals).
"""

from __future__ import annotations

import pytest

from engine_ext.codes import OrderType, SelfTradePrevention, Side, TimeInForce
from services.common.markets import Symbol
from services.common.records import OrderPhase
from services.order.domain import (
    OrderIntent,
    Reservation,
    new_order_record,
    reserve_funds,
    resting_reservation,
    spend_asset,
)
from services.order.errors import OrderRejected

USDT = 100_000_000  # minor units per USDT
BTC = 100_000_000  # satoshi per BTC


def intent(
    symbol: Symbol, side: Side, order_type: OrderType, *, price: int = 0, qty: int = 0, quote_qty: int = 0,
    stop_price: int = 0,
) -> OrderIntent:
    return OrderIntent(symbol, side, order_type, TimeInForce.GTC, price, qty, quote_qty, stop_price,
                       SelfTradePrevention.NONE, None, "FULL")


def test_buy_limit_locks_price_times_quantity_of_quote(btcusdt: Symbol) -> None:
    buy = intent(btcusdt, Side.BUY, OrderType.LIMIT, price=9_500_000, qty=50_000)  # 95000 * 0.5
    assert reserve_funds(buy, 50_000 * USDT) == Reservation("USDT", 47_500 * USDT, cap=0)


def test_sell_limit_locks_its_quantity_of_base(btcusdt: Symbol) -> None:
    sell = intent(btcusdt, Side.SELL, OrderType.LIMIT, price=9_500_000, qty=50_000)
    assert reserve_funds(sell, BTC) == Reservation("BTC", BTC // 2, cap=0)


def test_limit_maker_and_stop_limit_buys_lock_their_limit_price(btcusdt: Symbol) -> None:
    for order_type in (OrderType.LIMIT_MAKER, OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT_LIMIT):
        buy = intent(btcusdt, Side.BUY, order_type, price=100, qty=3, stop_price=90)
        assert reserve_funds(buy, USDT) == Reservation("USDT", 100 * 3 * 10, cap=0)


def test_market_sell_by_quantity_locks_that_quantity(btcusdt: Symbol) -> None:
    sell = intent(btcusdt, Side.SELL, OrderType.MARKET, qty=7)
    assert reserve_funds(sell, BTC) == Reservation("BTC", 7_000, cap=0)


def test_market_buy_by_quantity_locks_every_whole_notional_unit_available(btcusdt: Symbol) -> None:
    buy = intent(btcusdt, Side.BUY, OrderType.MARKET, qty=1)
    # 1,234.56789 USDT available: 12,345,678,9|05 minor units -> 12,345,678,90 whole notional units
    assert reserve_funds(buy, 123_456_789_05) == Reservation("USDT", 123_456_789_00, cap=12_345_678_90)


def test_market_buy_by_quote_order_qty_locks_exactly_that(btcusdt: Symbol) -> None:
    buy = intent(btcusdt, Side.BUY, OrderType.MARKET, quote_qty=500_000_000)  # 50 USDT
    assert reserve_funds(buy, 1_000 * USDT) == Reservation("USDT", 50 * USDT, cap=500_000_000)


def test_market_sell_by_quote_order_qty_locks_every_whole_lot_available(btcusdt: Symbol) -> None:
    sell = intent(btcusdt, Side.SELL, OrderType.MARKET, quote_qty=500_000_000)
    assert reserve_funds(sell, 12_345) == Reservation("BTC", 12_000, cap=12)


def test_stop_market_buy_locks_its_stop_price_with_ten_percent_headroom(btcusdt: Symbol) -> None:
    for order_type in (OrderType.STOP_LOSS, OrderType.TAKE_PROFIT):
        buy = intent(btcusdt, Side.BUY, order_type, stop_price=9_000_000, qty=100)  # 0.001 BTC at 90000
        # 90 USDT * 1.1 = 99 USDT = 990,000,000 notional units
        assert reserve_funds(buy, 1_000 * USDT) == Reservation("USDT", 99 * USDT, cap=990_000_000)


def test_stop_market_buy_headroom_rounds_up_to_a_whole_notional_unit(btcusdt: Symbol) -> None:
    buy = intent(btcusdt, Side.BUY, OrderType.STOP_LOSS, stop_price=3, qty=3)  # 9 units * 1.1 = 9.9
    assert reserve_funds(buy, USDT).cap == 10


def test_stop_market_sell_locks_its_quantity(btcusdt: Symbol) -> None:
    sell = intent(btcusdt, Side.SELL, OrderType.STOP_LOSS, stop_price=9_000_000, qty=100)
    assert reserve_funds(sell, BTC) == Reservation("BTC", 100_000, cap=0)


def test_an_order_costing_more_than_the_available_balance_is_refused(btcusdt: Symbol) -> None:
    buy = intent(btcusdt, Side.BUY, OrderType.LIMIT, price=100, qty=10)
    with pytest.raises(OrderRejected) as caught:
        reserve_funds(buy, 100 * 10 * 10 - 1)
    assert caught.value.to_binance() == {"code": -2010, "msg": "Account has insufficient balance for requested action."}


def test_an_order_costing_exactly_the_available_balance_is_accepted(btcusdt: Symbol) -> None:
    assert reserve_funds(intent(btcusdt, Side.BUY, OrderType.LIMIT, price=100, qty=10), 10_000).amount == 10_000


def test_a_market_buy_with_less_than_one_notional_unit_available_is_refused(btcusdt: Symbol) -> None:
    with pytest.raises(OrderRejected):
        reserve_funds(intent(btcusdt, Side.BUY, OrderType.MARKET, qty=1), 9)


def test_a_market_sell_by_quote_with_less_than_one_lot_is_refused(btcusdt: Symbol) -> None:
    with pytest.raises(OrderRejected):
        reserve_funds(intent(btcusdt, Side.SELL, OrderType.MARKET, quote_qty=10), 999)


def test_buys_spend_quote_and_sells_spend_base(btcusdt: Symbol) -> None:
    assert spend_asset(intent(btcusdt, Side.BUY, OrderType.MARKET, qty=1)) == "USDT"
    assert spend_asset(intent(btcusdt, Side.SELL, OrderType.MARKET, qty=1)) == "BTC"


def test_a_resting_order_keeps_its_price_times_leaves_locked(btcusdt: Symbol) -> None:
    assert resting_reservation(btcusdt, Side.BUY, OrderType.LIMIT, 100, 4) == 4_000
    assert resting_reservation(btcusdt, Side.SELL, OrderType.LIMIT_MAKER, 100, 4) == 4_000
    with pytest.raises(ValueError):
        resting_reservation(btcusdt, Side.BUY, OrderType.MARKET, 0, 4)


def test_the_record_is_pending_and_carries_the_reservation_and_cap(btcusdt: Symbol) -> None:
    buy = intent(btcusdt, Side.BUY, OrderType.MARKET, quote_qty=500_000_000)
    record = new_order_record(buy, reserve_funds(buy, 100 * USDT), order_id=7, user_id=3,
                              client_order_id="abc", created_ms=1_700_000_000_000)
    assert (record.order_id, record.user_id, record.client_order_id, record.symbol) == (7, 3, "abc", "BTCUSDT")
    assert (record.reserved_asset, record.reserved, record.cap) == ("USDT", 50 * USDT, 500_000_000)
    assert (record.quote_qty, record.qty, record.price) == (500_000_000, 0, 0)
    assert record.phase == OrderPhase.PENDING and record.filled == 0
    assert record.created_ms == record.updated_ms == 1_700_000_000_000 and record.working_ms == 0
