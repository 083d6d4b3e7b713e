"""What a book answers: best prices, depth, orders, seq and last price."""

from __future__ import annotations

from typing import Any

import pytest

from engine_ext.events import OrderState
from tests.unit.engine.book_spec import (
    BUY,
    GTC,
    LIMIT,
    NO_STP,
    SELL,
    STOP_LOSS_LIMIT,
    cancel,
    limit,
    market,
    submit,
    trade_at,
)


def test_a_new_book_is_empty(book_class: Any) -> None:
    book = book_class(tick_size=5, lot_size=10)

    assert (book.tick_size, book.lot_size, book.seq, book.last_price) == (5, 10, 0, 0)
    assert book.best_bid() is None and book.best_ask() is None
    assert book.depth(5) == ([], [])
    assert book.orders() == [] and book.last_events() == []


@pytest.mark.parametrize(("tick_size", "lot_size"), [(0, 1), (1, 0), (-5, 1), (1, 2**62 + 1)])
def test_a_book_needs_positive_tick_and_lot_sizes(book_class: Any, tick_size: int, lot_size: int) -> None:
    with pytest.raises(ValueError):
        book_class(tick_size=tick_size, lot_size=lot_size)


def test_best_bid_and_ask_are_the_best_prices_with_their_aggregated_quantity(book: Any) -> None:
    limit(book, 1, BUY, 99, 2)
    limit(book, 2, BUY, 100, 3)
    limit(book, 3, BUY, 100, 4)
    limit(book, 4, SELL, 102, 5)
    limit(book, 5, SELL, 101, 1)

    assert book.best_bid() == (100, 7)
    assert book.best_ask() == (101, 1)


def test_depth_aggregates_each_level_best_first_with_its_order_count(book: Any) -> None:
    limit(book, 1, BUY, 99, 2)
    limit(book, 2, BUY, 100, 3)
    limit(book, 3, BUY, 100, 4)
    limit(book, 4, BUY, 98, 1)
    limit(book, 5, SELL, 102, 5)
    limit(book, 6, SELL, 101, 1)
    limit(book, 7, SELL, 102, 2)

    assert book.depth(10) == ([(100, 7, 2), (99, 2, 1), (98, 1, 1)], [(101, 1, 1), (102, 7, 2)])
    assert book.depth(2) == ([(100, 7, 2), (99, 2, 1)], [(101, 1, 1), (102, 7, 2)])
    assert book.depth(1) == ([(100, 7, 2)], [(101, 1, 1)])
    assert book.depth(0) == ([], [])


def test_depth_shows_leaves_not_original_quantities(book: Any) -> None:
    limit(book, 1, SELL, 100, 5, user=1)
    market(book, 2, BUY, qty=2, user=2)

    assert book.depth(1) == ([], [(100, 3, 1)])


def test_orders_lists_bids_best_first_then_asks_best_first_fifo_inside_a_level_then_stops(book: Any) -> None:
    trade_at(book, 50)
    submit(book, 30, SELL, STOP_LOSS_LIMIT, price=40, qty=1, stop_price=45)
    limit(book, 1, SELL, 102, 1)
    limit(book, 2, BUY, 99, 1)
    limit(book, 3, SELL, 101, 1)
    limit(book, 4, BUY, 100, 1)
    limit(book, 5, BUY, 100, 1)
    submit(book, 20, SELL, STOP_LOSS_LIMIT, price=40, qty=1, stop_price=44)
    limit(book, 6, SELL, 101, 1)

    assert [o.order_id for o in book.orders()] == [4, 5, 2, 3, 6, 1, 30, 20]


def test_get_order_returns_the_full_state_of_a_live_order_and_none_otherwise(book: Any) -> None:
    limit(book, 1, SELL, 100, 5, user=7)
    market(book, 2, BUY, qty=2, user=8)

    assert book.get_order(1) == OrderState(1, 7, SELL, LIMIT, GTC, NO_STP, 100, 0, 5, 2, 0)
    assert book.get_order(2) is None  # the market order is gone
    cancel(book, 1)
    assert book.get_order(1) is None


def test_seq_counts_every_event_and_last_price_is_the_last_trades_price(book: Any) -> None:
    limit(book, 1, SELL, 100, 1, user=1)
    limit(book, 2, SELL, 101, 1, user=1)
    market(book, 3, BUY, qty=2, user=2)

    assert book.seq == 4 + 8
    assert book.last_price == 101
    assert [e.seq for e in book.last_events()] == list(range(5, 13))
