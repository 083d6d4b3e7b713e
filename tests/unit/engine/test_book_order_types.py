"""Every order type and time in force: what rests, what expires, what is never touched."""

from __future__ import annotations

from typing import Any

import pytest

from engine_ext.codes import OrderStatus, RejectReason
from tests.unit.engine.book_spec import (
    BUY,
    FOK,
    GTC,
    IOC,
    LIMIT,
    LIMIT_MAKER,
    MARKET,
    SELL,
    accepted,
    final_status,
    level,
    limit,
    market,
    observable_state,
    order,
    rejected,
    resting_ids,
    submit,
    trade,
    trades,
)


def test_a_gtc_limit_order_rests_its_unfilled_part(book: Any) -> None:
    limit(book, 1, SELL, 100, 2)

    events = limit(book, 2, BUY, 100, 5, user=2, tif=GTC)

    assert final_status(events, 2) == OrderStatus.PARTIALLY_FILLED
    assert book.get_order(2).filled_qty == 2
    assert book.best_bid() == (100, 3)


def test_an_ioc_order_expires_its_unfilled_part(book: Any) -> None:
    limit(book, 1, SELL, 100, 2, user=1)

    events = limit(book, 2, BUY, 101, 5, user=2, tif=IOC)

    assert events == [
        accepted(3, 2, 2, BUY, LIMIT, price=101, qty=5),
        trade(4, trade_id=1, taker=2, taker_user=2, maker=1, maker_user=1, side=BUY, price=100, qty=2),
        order(5, 1, 1, SELL, OrderStatus.FILLED, price=100, leaves=0, filled=2),
        level(6, SELL, 100, qty=0, count=0),
        order(7, 2, 2, BUY, OrderStatus.EXPIRED, price=101, leaves=3, filled=2),
    ]
    assert book.orders() == []


def test_an_ioc_order_that_cannot_trade_expires_with_nothing_filled(book: Any) -> None:
    limit(book, 1, SELL, 101, 2)

    events = limit(book, 2, BUY, 100, 5, user=2, tif=IOC)

    assert events == [
        accepted(3, 2, 2, BUY, LIMIT, price=100, qty=5),
        order(4, 2, 2, BUY, OrderStatus.EXPIRED, price=100, leaves=5, filled=0),
    ]
    assert resting_ids(book) == [1]


def test_an_ioc_order_that_fills_completely_is_filled(book: Any) -> None:
    limit(book, 1, SELL, 100, 5)

    events = limit(book, 2, BUY, 100, 5, user=2, tif=IOC)

    assert final_status(events, 2) == OrderStatus.FILLED


def test_fok_order_expires_without_touching_the_book_when_it_cannot_fill(book: Any) -> None:
    limit(book, 1, SELL, 100, 2)
    limit(book, 2, SELL, 101, 2)
    limit(book, 3, SELL, 102, 9)
    before = observable_state(book)

    events = limit(book, 4, BUY, 101, 5, user=2, tif=FOK)

    assert events == [
        accepted(7, 4, 2, BUY, LIMIT, price=101, qty=5),
        order(8, 4, 2, BUY, OrderStatus.EXPIRED, price=101, leaves=5, filled=0),
    ]
    assert observable_state(book) == before


def test_fok_order_fills_completely_across_levels_when_it_can(book: Any) -> None:
    limit(book, 1, SELL, 100, 2)
    limit(book, 2, SELL, 101, 3)
    limit(book, 3, SELL, 102, 9)

    events = limit(book, 4, BUY, 101, 5, user=2, tif=FOK)

    assert trades(events) == [(1, 100, 2), (2, 101, 3)]
    assert final_status(events, 4) == OrderStatus.FILLED
    assert resting_ids(book) == [3]


def test_fok_sell_counts_only_bids_at_or_above_its_price(book: Any) -> None:
    limit(book, 1, BUY, 100, 4)
    limit(book, 2, BUY, 99, 4)

    events = limit(book, 3, SELL, 100, 5, user=2, tif=FOK)

    assert final_status(events, 3) == OrderStatus.EXPIRED
    assert trades(events) == []


def test_a_market_order_by_quantity_sweeps_every_level_and_expires_the_rest(book: Any) -> None:
    limit(book, 1, BUY, 100, 2, user=1)
    limit(book, 2, BUY, 50, 2, user=1)

    events = market(book, 3, SELL, qty=5, user=2)

    assert events == [
        accepted(5, 3, 2, SELL, MARKET, price=0, qty=5),
        trade(6, trade_id=1, taker=3, taker_user=2, maker=1, maker_user=1, side=SELL, price=100, qty=2),
        order(7, 1, 1, BUY, OrderStatus.FILLED, price=100, leaves=0, filled=2),
        level(8, BUY, 100, qty=0, count=0),
        trade(9, trade_id=2, taker=3, taker_user=2, maker=2, maker_user=1, side=SELL, price=50, qty=2),
        order(10, 2, 1, BUY, OrderStatus.FILLED, price=50, leaves=0, filled=2),
        level(11, BUY, 50, qty=0, count=0),
        order(12, 3, 2, SELL, OrderStatus.EXPIRED, price=0, leaves=1, filled=4),
    ]


def test_a_market_order_that_fills_completely_is_filled(book: Any) -> None:
    limit(book, 1, SELL, 100, 5)

    events = market(book, 2, BUY, qty=5, user=2)

    assert final_status(events, 2) == OrderStatus.FILLED
    assert book.orders() == []


def test_a_market_order_on_an_empty_book_expires(book: Any) -> None:
    events = market(book, 1, BUY, qty=5)

    assert events == [
        accepted(1, 1, 1, BUY, MARKET, price=0, qty=5),
        order(2, 1, 1, BUY, OrderStatus.EXPIRED, price=0, leaves=5, filled=0),
    ]


@pytest.mark.parametrize("tif", [GTC, IOC, FOK])
def test_a_market_order_ignores_its_time_in_force(book: Any, tif: int) -> None:
    limit(book, 1, SELL, 100, 2)

    events = submit(book, 2, BUY, MARKET, qty=5, user=2, tif=tif)

    assert trades(events) == [(1, 100, 2)]
    assert final_status(events, 2) == OrderStatus.EXPIRED
    assert book.orders() == []


def test_a_limit_maker_that_would_not_take_rests(book: Any) -> None:
    limit(book, 1, SELL, 101, 2)

    events = submit(book, 2, BUY, LIMIT_MAKER, price=100, qty=3, user=2)

    assert events == [
        accepted(3, 2, 2, BUY, LIMIT_MAKER, price=100, qty=3),
        level(4, BUY, 100, qty=3, count=1),
    ]


@pytest.mark.parametrize(("side", "price"), [(BUY, 101), (BUY, 102), (SELL, 100), (SELL, 99)])
def test_a_limit_maker_that_would_take_is_rejected(book: Any, side: int, price: int) -> None:
    limit(book, 1, SELL, 101, 2)
    limit(book, 2, BUY, 100, 2)
    before = observable_state(book)

    events = submit(book, 3, side, LIMIT_MAKER, price=price, qty=1, user=2)

    assert events == [rejected(5, 3, RejectReason.WOULD_TAKE, user=2, side=side)]
    assert observable_state(book) == before


@pytest.mark.parametrize("tif", [IOC, FOK])
def test_a_limit_maker_ignores_its_time_in_force_and_rests(book: Any, tif: int) -> None:
    events = submit(book, 1, SELL, LIMIT_MAKER, price=100, qty=3, tif=tif)

    assert events[-1] == level(2, SELL, 100, qty=3, count=1)
    assert book.get_order(1).tif == tif
