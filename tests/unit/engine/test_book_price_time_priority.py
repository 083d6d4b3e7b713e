"""Price-time priority: best price first, then arrival order within a price."""

from __future__ import annotations

from typing import Any

from engine_ext.codes import OrderStatus
from tests.unit.engine.book_spec import BUY, IOC, SELL, accepted, level, limit, order, resting_ids, trade, trades


def test_a_limit_order_that_does_not_cross_rests_and_reports_only_acceptance_and_its_level(book: Any) -> None:
    events = limit(book, 1, BUY, 100, 5, user=7)

    assert events == [
        accepted(1, 1, 7, BUY, 0, price=100, qty=5),
        level(2, BUY, 100, qty=5, count=1),
    ]
    assert book.seq == 2


def test_a_buy_taker_fills_against_the_lowest_ask_first(book: Any) -> None:
    limit(book, 1, SELL, 102, 5)
    limit(book, 2, SELL, 101, 5)
    limit(book, 3, SELL, 103, 5)

    events = limit(book, 4, BUY, 103, 7, user=2)

    assert trades(events) == [(2, 101, 5), (1, 102, 2)]


def test_a_sell_taker_fills_against_the_highest_bid_first(book: Any) -> None:
    limit(book, 1, BUY, 99, 5)
    limit(book, 2, BUY, 101, 5)
    limit(book, 3, BUY, 100, 5)

    events = limit(book, 4, SELL, 99, 12, user=2)

    assert trades(events) == [(2, 101, 5), (3, 100, 5), (1, 99, 2)]


def test_orders_at_the_same_price_fill_in_arrival_order(book: Any) -> None:
    limit(book, 1, SELL, 100, 3)
    limit(book, 2, SELL, 100, 3)
    limit(book, 3, SELL, 100, 3)

    events = limit(book, 4, BUY, 100, 5, user=2)

    assert trades(events) == [(1, 100, 3), (2, 100, 2)]
    assert resting_ids(book) == [2, 3]


def test_a_trade_happens_at_the_makers_price_not_the_takers(book: Any) -> None:
    limit(book, 1, SELL, 100, 5, user=1)

    events = limit(book, 2, BUY, 105, 5, user=2)

    assert events[1] == trade(4, trade_id=1, taker=2, taker_user=2, maker=1, maker_user=1,
                              side=BUY, price=100, qty=5)
    assert book.last_price == 100


def test_a_taker_stops_at_its_limit_price_and_rests_the_rest_there(book: Any) -> None:
    limit(book, 1, SELL, 100, 2, user=1)
    limit(book, 2, SELL, 101, 2, user=1)

    events = limit(book, 4, BUY, 100, 5, user=2)

    assert events == [
        accepted(5, 4, 2, BUY, 0, price=100, qty=5),
        trade(6, trade_id=1, taker=4, taker_user=2, maker=1, maker_user=1, side=BUY, price=100, qty=2),
        order(7, 1, 1, SELL, OrderStatus.FILLED, price=100, leaves=0, filled=2),
        level(8, SELL, 100, qty=0, count=0),
        order(9, 4, 2, BUY, OrderStatus.PARTIALLY_FILLED, price=100, leaves=3, filled=2),
        level(10, BUY, 100, qty=3, count=1),
    ]
    assert resting_ids(book) == [4, 2]


def test_a_new_order_joins_the_back_of_an_existing_level(book: Any) -> None:
    limit(book, 1, BUY, 100, 1)
    limit(book, 2, BUY, 100, 2)

    events = limit(book, 3, BUY, 100, 3)

    assert events[-1] == level(6, BUY, 100, qty=6, count=3)
    assert resting_ids(book) == [1, 2, 3]


def test_a_maker_that_is_partly_filled_keeps_its_place_at_the_front(book: Any) -> None:
    limit(book, 1, SELL, 100, 5)
    limit(book, 2, SELL, 100, 5)

    limit(book, 3, BUY, 100, 2, user=2, tif=IOC)
    events = limit(book, 4, BUY, 100, 4, user=2, tif=IOC)

    assert trades(events) == [(1, 100, 3), (2, 100, 1)]


def test_a_sweep_emits_trade_maker_order_and_level_for_each_maker_in_turn(book: Any) -> None:
    limit(book, 1, BUY, 100, 2, user=1)
    limit(book, 2, BUY, 99, 2, user=1)

    events = limit(book, 3, SELL, 99, 3, user=2)

    assert events == [
        accepted(5, 3, 2, SELL, 0, price=99, qty=3),
        trade(6, trade_id=1, taker=3, taker_user=2, maker=1, maker_user=1, side=SELL, price=100, qty=2),
        order(7, 1, 1, BUY, OrderStatus.FILLED, price=100, leaves=0, filled=2),
        level(8, BUY, 100, qty=0, count=0),
        trade(9, trade_id=2, taker=3, taker_user=2, maker=2, maker_user=1, side=SELL, price=99, qty=1),
        order(10, 2, 1, BUY, OrderStatus.PARTIALLY_FILLED, price=99, leaves=1, filled=1),
        level(11, BUY, 99, qty=1, count=1),
        order(12, 3, 2, SELL, OrderStatus.FILLED, price=99, leaves=0, filled=3),
    ]
