"""Self-trade prevention: the taker's mode decides what happens when it meets its own user's order."""

from __future__ import annotations

from typing import Any

from engine_ext.codes import OrderStatus, SelfTradePrevention
from tests.unit.engine.book_spec import (
    BUY,
    FOK,
    LIMIT,
    SELL,
    accepted,
    final_status,
    level,
    limit,
    market,
    observable_state,
    order,
    resting_ids,
    trade,
    trades,
)

EXPIRE_TAKER = SelfTradePrevention.EXPIRE_TAKER
EXPIRE_MAKER = SelfTradePrevention.EXPIRE_MAKER
EXPIRE_BOTH = SelfTradePrevention.EXPIRE_BOTH


def _asks_with_user_7_in_the_middle(book: Any) -> None:
    limit(book, 1, SELL, 100, 2, user=1)
    limit(book, 2, SELL, 100, 2, user=7)
    limit(book, 3, SELL, 100, 2, user=1)


def test_stp_none_lets_a_user_trade_with_itself(book: Any) -> None:
    limit(book, 1, SELL, 100, 2, user=7)

    events = limit(book, 2, BUY, 100, 2, user=7)

    assert trades(events) == [(1, 100, 2)]


def test_expire_taker_stops_the_taker_at_its_users_maker_and_leaves_the_maker(book: Any) -> None:
    _asks_with_user_7_in_the_middle(book)

    events = limit(book, 4, BUY, 100, 5, user=7, stp=EXPIRE_TAKER)

    assert events == [
        accepted(7, 4, 7, BUY, LIMIT, price=100, qty=5),
        trade(8, trade_id=1, taker=4, taker_user=7, maker=1, maker_user=1, side=BUY, price=100, qty=2),
        order(9, 1, 1, SELL, OrderStatus.FILLED, price=100, leaves=0, filled=2),
        level(10, SELL, 100, qty=4, count=2),
        order(11, 4, 7, BUY, OrderStatus.EXPIRED_IN_MATCH, price=100, leaves=3, filled=2),
    ]
    assert resting_ids(book) == [2, 3]


def test_expire_maker_expires_its_users_makers_and_keeps_matching(book: Any) -> None:
    _asks_with_user_7_in_the_middle(book)

    events = limit(book, 4, BUY, 100, 5, user=7, stp=EXPIRE_MAKER)

    assert events == [
        accepted(7, 4, 7, BUY, LIMIT, price=100, qty=5),
        trade(8, trade_id=1, taker=4, taker_user=7, maker=1, maker_user=1, side=BUY, price=100, qty=2),
        order(9, 1, 1, SELL, OrderStatus.FILLED, price=100, leaves=0, filled=2),
        level(10, SELL, 100, qty=4, count=2),
        order(11, 2, 7, SELL, OrderStatus.EXPIRED_IN_MATCH, price=100, leaves=2, filled=0),
        level(12, SELL, 100, qty=2, count=1),
        trade(13, trade_id=2, taker=4, taker_user=7, maker=3, maker_user=1, side=BUY, price=100, qty=2),
        order(14, 3, 1, SELL, OrderStatus.FILLED, price=100, leaves=0, filled=2),
        level(15, SELL, 100, qty=0, count=0),
        order(16, 4, 7, BUY, OrderStatus.PARTIALLY_FILLED, price=100, leaves=1, filled=4),
        level(17, BUY, 100, qty=1, count=1),
    ]


def test_expire_both_expires_the_maker_and_then_the_taker(book: Any) -> None:
    _asks_with_user_7_in_the_middle(book)

    events = limit(book, 4, BUY, 100, 5, user=7, stp=EXPIRE_BOTH)

    assert events == [
        accepted(7, 4, 7, BUY, LIMIT, price=100, qty=5),
        trade(8, trade_id=1, taker=4, taker_user=7, maker=1, maker_user=1, side=BUY, price=100, qty=2),
        order(9, 1, 1, SELL, OrderStatus.FILLED, price=100, leaves=0, filled=2),
        level(10, SELL, 100, qty=4, count=2),
        order(11, 2, 7, SELL, OrderStatus.EXPIRED_IN_MATCH, price=100, leaves=2, filled=0),
        level(12, SELL, 100, qty=2, count=1),
        order(13, 4, 7, BUY, OrderStatus.EXPIRED_IN_MATCH, price=100, leaves=3, filled=2),
    ]
    assert resting_ids(book) == [3]


def test_the_takers_mode_decides_not_the_makers(book: Any) -> None:
    limit(book, 1, SELL, 100, 2, user=7, stp=EXPIRE_BOTH)

    events = limit(book, 2, BUY, 100, 2, user=7)

    assert trades(events) == [(1, 100, 2)]


def test_stp_never_fires_between_different_users(book: Any) -> None:
    limit(book, 1, SELL, 100, 2, user=8)

    events = limit(book, 2, BUY, 100, 2, user=7, stp=EXPIRE_BOTH)

    assert trades(events) == [(1, 100, 2)]


def test_a_market_order_stopped_by_stp_before_any_fill_expires_in_match(book: Any) -> None:
    limit(book, 1, BUY, 100, 2, user=7)

    events = market(book, 2, SELL, qty=3, user=7, stp=EXPIRE_TAKER)

    assert events == [
        accepted(3, 2, 7, SELL, 1, price=0, qty=3),
        order(4, 2, 7, SELL, OrderStatus.EXPIRED_IN_MATCH, price=0, leaves=3, filled=0),
    ]


def test_a_filled_taker_never_expires_the_next_maker_of_its_user(book: Any) -> None:
    limit(book, 1, SELL, 100, 2, user=1)
    limit(book, 2, SELL, 100, 2, user=7)

    events = limit(book, 3, BUY, 100, 2, user=7, stp=EXPIRE_MAKER)

    assert final_status(events, 3) == OrderStatus.FILLED
    assert resting_ids(book) == [2]


def test_a_quote_order_that_used_its_quote_exactly_never_expires_the_next_maker_of_its_user(book: Any) -> None:
    limit(book, 1, SELL, 10, 10, user=1)
    limit(book, 2, SELL, 10, 10, user=7)

    events = market(book, 3, BUY, quote_qty=100, user=7, stp=EXPIRE_TAKER)

    assert final_status(events, 3) == OrderStatus.FILLED
    assert resting_ids(book) == [2]


def test_stp_is_checked_before_affordability_when_the_taker_has_quote_left(book: Any) -> None:
    # Lead's ruling (08:36): with something left but q == 0, the STP check comes first.
    limit(book, 1, SELL, 100, 5, user=7)

    events = market(book, 2, BUY, quote_qty=50, user=7, stp=EXPIRE_MAKER)

    assert final_status(events, 1) == OrderStatus.EXPIRED_IN_MATCH
    assert final_status(events, 2) == OrderStatus.EXPIRED
    assert book.orders() == []


def test_fok_with_expire_taker_stops_counting_at_the_first_maker_of_its_user(book: Any) -> None:
    limit(book, 1, SELL, 100, 2, user=1)
    limit(book, 2, SELL, 100, 5, user=7)
    limit(book, 3, SELL, 101, 5, user=1)
    before = observable_state(book)

    events = limit(book, 4, BUY, 101, 5, user=7, tif=FOK, stp=EXPIRE_TAKER)

    assert events == [
        accepted(7, 4, 7, BUY, LIMIT, price=101, qty=5),
        order(8, 4, 7, BUY, OrderStatus.EXPIRED, price=101, leaves=5, filled=0),
    ]
    assert observable_state(book) == before


def test_fok_with_expire_both_also_stops_counting_at_the_first_maker_of_its_user(book: Any) -> None:
    limit(book, 1, SELL, 100, 2, user=1)
    limit(book, 2, SELL, 100, 5, user=7)
    limit(book, 3, SELL, 101, 5, user=1)

    events = limit(book, 4, BUY, 101, 5, user=7, tif=FOK, stp=EXPIRE_BOTH)

    assert final_status(events, 4) == OrderStatus.EXPIRED
    assert resting_ids(book) == [1, 2, 3]


def test_fok_with_expire_maker_skips_makers_of_its_user_when_counting(book: Any) -> None:
    limit(book, 1, SELL, 100, 2, user=1)
    limit(book, 2, SELL, 100, 5, user=7)
    limit(book, 3, SELL, 101, 5, user=1)

    events = limit(book, 4, BUY, 101, 5, user=7, tif=FOK, stp=EXPIRE_MAKER)

    assert trades(events) == [(1, 100, 2), (3, 101, 3)]
    assert final_status(events, 2) == OrderStatus.EXPIRED_IN_MATCH
    assert final_status(events, 4) == OrderStatus.FILLED


def test_fok_with_expire_maker_does_not_count_its_users_makers_as_liquidity(book: Any) -> None:
    limit(book, 1, SELL, 100, 2, user=1)
    limit(book, 2, SELL, 100, 5, user=7)

    events = limit(book, 3, BUY, 100, 5, user=7, tif=FOK, stp=EXPIRE_MAKER)

    assert final_status(events, 3) == OrderStatus.EXPIRED
    assert resting_ids(book) == [1, 2]


def test_fok_with_stp_none_counts_its_users_makers(book: Any) -> None:
    limit(book, 1, SELL, 100, 2, user=1)
    limit(book, 2, SELL, 100, 5, user=7)

    events = limit(book, 3, BUY, 100, 5, user=7, tif=FOK)

    assert trades(events) == [(1, 100, 2), (2, 100, 3)]
