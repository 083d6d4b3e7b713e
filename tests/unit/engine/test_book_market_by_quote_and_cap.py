"""Market orders by quote amount (Binance's quoteOrderQty) and the funds cap of market orders."""

from __future__ import annotations

from typing import Any

import pytest

from engine_ext.codes import OrderStatus, RejectReason, SelfTradePrevention
from tests.unit.engine.book_spec import (
    BUY,
    LIMIT,
    LIMIT_MAKER,
    MARKET,
    MAX_VALUE,
    SELL,
    STOP_LOSS,
    STOP_LOSS_LIMIT,
    TAKE_PROFIT,
    accepted,
    final_status,
    level,
    limit,
    market,
    observable_state,
    order,
    rejected,
    submit,
    trade,
    trade_at,
    trades,
)

EXPIRE_MAKER, EXPIRE_TAKER = SelfTradePrevention.EXPIRE_MAKER, SelfTradePrevention.EXPIRE_TAKER

# -- BY QUOTE --


def test_a_market_buy_by_quote_spends_at_most_its_quote_and_is_filled_when_it_is_used_up(book: Any) -> None:
    limit(book, 1, SELL, 100, 3, user=1)
    limit(book, 2, SELL, 110, 5, user=1)

    events = market(book, 3, BUY, quote_qty=520, user=2)

    assert events == [
        accepted(5, 3, 2, BUY, MARKET, price=0, qty=0),
        trade(6, trade_id=1, taker=3, taker_user=2, maker=1, maker_user=1, side=BUY, price=100, qty=3),
        order(7, 1, 1, SELL, OrderStatus.FILLED, price=100, leaves=0, filled=3),
        level(8, SELL, 100, qty=0, count=0),
        trade(9, trade_id=2, taker=3, taker_user=2, maker=2, maker_user=1, side=BUY, price=110, qty=2),
        order(10, 2, 1, SELL, OrderStatus.PARTIALLY_FILLED, price=110, leaves=3, filled=2),
        level(11, SELL, 110, qty=3, count=1),
        order(12, 3, 2, BUY, OrderStatus.FILLED, price=0, leaves=0, filled=5),
    ]


def test_a_market_sell_by_quote_never_trades_more_notional_than_its_quote(book: Any) -> None:
    limit(book, 1, BUY, 100, 3)
    limit(book, 2, BUY, 90, 10)

    events = market(book, 3, SELL, quote_qty=500, user=2)

    assert trades(events) == [(1, 100, 3), (2, 90, 2)]  # 480 spent; one more lot would be 570
    assert final_status(events, 3) == OrderStatus.FILLED


def test_a_quote_order_rounds_each_fill_down_to_the_lot(book_class: Any) -> None:
    book = book_class(tick_size=1, lot_size=10)
    limit(book, 1, SELL, 7, 100)

    events = market(book, 2, BUY, quote_qty=500, user=2)

    assert trades(events) == [(1, 7, 70)]  # 500 // 7 = 71 -> 70 on the lot grid
    assert events[-1] == order(7, 2, 2, BUY, OrderStatus.FILLED, price=0, leaves=0, filled=70)


def test_a_quote_order_whose_quote_is_used_up_exactly_is_filled_even_if_the_book_is_then_empty(
    book: Any,
) -> None:
    limit(book, 1, SELL, 100, 5)

    events = market(book, 2, BUY, quote_qty=500, user=2)

    assert final_status(events, 2) == OrderStatus.FILLED
    assert book.orders() == []


def test_a_quote_order_that_empties_the_book_before_its_quote_is_used_expires(book: Any) -> None:
    limit(book, 1, SELL, 100, 2)

    events = market(book, 2, BUY, quote_qty=500, user=2)

    assert events[-1] == order(7, 2, 2, BUY, OrderStatus.EXPIRED, price=0, leaves=0, filled=2)


def test_a_quote_order_that_cannot_afford_one_lot_expires_without_touching_the_book(book: Any) -> None:
    limit(book, 1, SELL, 100, 2)
    before = observable_state(book)

    events = market(book, 2, BUY, quote_qty=99, user=2)

    assert events == [
        accepted(3, 2, 2, BUY, MARKET, price=0, qty=0),
        order(4, 2, 2, BUY, OrderStatus.EXPIRED, price=0, leaves=0, filled=0),
    ]
    assert observable_state(book) == before


def test_a_quote_qty_need_not_be_on_the_lot_grid(book_class: Any) -> None:
    book = book_class(tick_size=1, lot_size=10)
    limit(book, 1, SELL, 1, 100)

    events = market(book, 2, BUY, quote_qty=25, user=2)

    assert trades(events) == [(1, 1, 20)]


# -- THE FUNDS CAP --


def test_a_market_buy_whose_cap_cannot_pay_for_what_the_book_offers_is_rejected_whole(book: Any) -> None:
    # Binance refuses an unaffordable market buy (-2010) rather than filling part of it
    limit(book, 1, SELL, 100, 2)
    limit(book, 2, SELL, 120, 5)
    before = observable_state(book)

    events = market(book, 3, BUY, qty=10, cap=250, user=2)  # 2 at 100, then 50 cannot buy a lot at 120

    assert events == [rejected(5, 3, RejectReason.INSUFFICIENT_FUNDS, user=2, side=BUY)]
    assert observable_state(book) == before


def test_a_market_buy_whose_cap_pays_for_all_the_book_offers_takes_it_and_expires(book: Any) -> None:
    # short of liquidity, not of funds: filled as far as the book goes, as Binance's
    limit(book, 1, SELL, 100, 2)
    limit(book, 2, SELL, 120, 1)

    events = market(book, 3, BUY, qty=10, cap=320, user=2)

    assert trades(events) == [(1, 100, 2), (2, 120, 1)]
    assert final_status(events, 3) == OrderStatus.EXPIRED


def test_the_cap_is_judged_on_the_walk_that_would_happen_with_self_trade_prevention(book: Any) -> None:
    limit(book, 1, SELL, 100, 2, user=2)  # the taker's own, first in line
    limit(book, 2, SELL, 100, 2, user=1)
    limit(book, 3, SELL, 200, 5, user=1)
    limit(book, 4, SELL, 300, 5, user=1)
    before = observable_state(book)

    # EXPIRE_MAKER: its own order would be expired, at no cost; 2 at 100 and 5 at 200 would
    # fill, then 50 cannot pay for a lot at 300
    refused = submit(book, 5, BUY, MARKET, qty=10, stp=EXPIRE_MAKER, cap=1_250, user=2)
    assert refused == [rejected(9, 5, RejectReason.INSUFFICIENT_FUNDS, user=2, side=BUY)]
    assert observable_state(book) == before
    # EXPIRE_TAKER: the walk would end at its own order, before the cap runs out
    events = submit(book, 6, BUY, MARKET, qty=10, stp=EXPIRE_TAKER, cap=1_250, user=2)
    assert trades(events) == []
    assert final_status(events, 6) == OrderStatus.EXPIRED_IN_MATCH


def test_a_market_sell_whose_cap_is_short_of_what_the_book_would_take_is_rejected_whole(book: Any) -> None:
    limit(book, 1, BUY, 100, 2)
    limit(book, 2, BUY, 90, 5)
    before = observable_state(book)

    events = market(book, 3, SELL, qty=10, cap=3, user=2)

    assert events == [rejected(5, 3, RejectReason.INSUFFICIENT_FUNDS, user=2, side=SELL)]
    assert observable_state(book) == before


def test_a_capped_order_whose_quantity_fits_the_cap_is_filled(book: Any) -> None:
    limit(book, 1, SELL, 100, 2)

    events = market(book, 2, BUY, qty=2, cap=200, user=2)

    assert final_status(events, 2) == OrderStatus.FILLED


def test_a_quote_order_its_cap_cannot_pay_for_is_rejected_whole(book: Any) -> None:
    limit(book, 1, SELL, 100, 10)

    events = market(book, 2, BUY, quote_qty=1_000, cap=500, user=2)

    assert events == [rejected(3, 2, RejectReason.INSUFFICIENT_FUNDS, user=2, side=BUY)]


def test_a_market_sell_by_quote_is_rejected_whole_when_its_base_cannot_pay_for_the_quote(book: Any) -> None:
    # Binance's quoteOrderQty SELL: receive 1,000; 5 lots (the cap: all the base there is) bring 500
    limit(book, 1, BUY, 100, 10)

    events = market(book, 2, SELL, quote_qty=1_000, cap=5, user=2)
    assert events == [rejected(3, 2, RejectReason.INSUFFICIENT_FUNDS, user=2, side=SELL)]
    # enough base for the quote: sold exactly what the quote buys
    events = market(book, 3, SELL, quote_qty=1_000, cap=20, user=2)
    assert trades(events) == [(1, 100, 10)]
    assert final_status(events, 3) == OrderStatus.FILLED


def test_a_stop_market_orders_cap_applies_when_it_triggers(book: Any) -> None:
    trade_at(book, 100)
    limit(book, 1, SELL, 105, 1, user=5)
    limit(book, 2, SELL, 110, 5, user=5)
    submit(book, 3, BUY, STOP_LOSS, stop_price=105, qty=10, cap=330, user=3)

    events = limit(book, 4, BUY, 105, 1, user=4)

    assert trades(events) == [(1, 105, 1), (2, 110, 3)]
    assert final_status(events, 3) == OrderStatus.EXPIRED


@pytest.mark.parametrize("order_type", [LIMIT, LIMIT_MAKER, STOP_LOSS_LIMIT])
def test_a_cap_on_an_order_type_that_has_a_price_is_an_invalid_order(book: Any, order_type: int) -> None:
    stop_price = 90 if order_type == STOP_LOSS_LIMIT else 0

    events = submit(book, 1, SELL, order_type, price=100, qty=1, stop_price=stop_price, cap=5)

    assert events == [rejected(1, 1, RejectReason.INVALID_ORDER, user=1, side=SELL)]


@pytest.mark.parametrize(("side", "cap"), [(BUY, -1), (SELL, -10), (BUY, MAX_VALUE + 1), (SELL, 15)])
def test_a_cap_out_of_range_or_off_the_lot_grid_for_a_sell_is_an_invalid_quantity(
    book_class: Any, side: int, cap: int
) -> None:
    book = book_class(tick_size=1, lot_size=10)

    events = market(book, 1, side, qty=10, cap=cap)

    assert events == [rejected(1, 1, RejectReason.INVALID_QUANTITY, user=1, side=side)]


@pytest.mark.parametrize("order_type", [MARKET, TAKE_PROFIT])
def test_a_buy_cap_is_notional_so_it_need_not_be_on_the_lot_grid(book_class: Any, order_type: int) -> None:
    book = book_class(tick_size=1, lot_size=10)
    stop_price = 50 if order_type == TAKE_PROFIT else 0

    events = submit(book, 1, BUY, order_type, qty=10, stop_price=stop_price, cap=15)

    assert events[0] == accepted(1, 1, 1, BUY, order_type, price=0, qty=10)
