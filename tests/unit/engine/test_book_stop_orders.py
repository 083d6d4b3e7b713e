"""Stop orders: pending until `last_price` crosses their stop price (Binance's directions)."""

from __future__ import annotations

from typing import Any

import pytest

from engine_ext.codes import EventKind, OrderStatus, RejectReason
from tests.unit.engine.book_spec import (
    BUY,
    FOK,
    GTC,
    IOC,
    SELL,
    STOP_LOSS,
    STOP_LOSS_LIMIT,
    TAKE_PROFIT,
    TAKE_PROFIT_LIMIT,
    accepted,
    amend,
    cancel,
    final_status,
    level,
    limit,
    observable_state,
    order,
    rejected,
    submit,
    trade,
    trade_at,
    trades,
    triggered,
)

LIMIT_TYPES = {STOP_LOSS_LIMIT, TAKE_PROFIT_LIMIT}


def _stop(book: Any, order_id: int, side: int, order_type: int, stop_price: int, *, qty: int = 1,
          price: int | None = None, tif: int = GTC, user: int = 3) -> list[Any]:
    if price is None:
        price = (stop_price if order_type in LIMIT_TYPES else 0)
    return submit(book, order_id, side, order_type, price=price, qty=qty, stop_price=stop_price,
                  tif=tif, user=user)


def _triggered_ids(events: list[Any]) -> list[int]:
    return [e.order_id for e in events if e.kind == EventKind.TRIGGERED]


def test_a_stop_order_is_accepted_as_pending_and_leaves_the_book_alone(book: Any) -> None:
    trade_at(book, 100)
    before = observable_state(book)

    events = _stop(book, 1, SELL, STOP_LOSS_LIMIT, 95, price=94, qty=3)

    assert events == [accepted(8, 1, 3, SELL, STOP_LOSS_LIMIT, price=94, qty=3)]
    assert observable_state(book)[1:] == before[1:]  # depth, best prices, last price
    assert book.orders()[-1] == book.get_order(1)
    assert book.get_order(1).stop_price == 95


# (type, side, stop price) with last_price 100; then the trade price that does / does not trigger
TRIGGERS = [
    (STOP_LOSS, BUY, 105, 105, 104),
    (STOP_LOSS, SELL, 95, 95, 96),
    (TAKE_PROFIT, BUY, 95, 95, 96),
    (TAKE_PROFIT, SELL, 105, 105, 104),
    (STOP_LOSS_LIMIT, BUY, 105, 106, 104),
    (STOP_LOSS_LIMIT, SELL, 95, 94, 96),
    (TAKE_PROFIT_LIMIT, BUY, 95, 94, 96),
    (TAKE_PROFIT_LIMIT, SELL, 105, 106, 104),
]


@pytest.mark.parametrize(("order_type", "side", "stop_price", "fires_at", "holds_at"), TRIGGERS)
def test_a_stop_triggers_when_the_last_price_reaches_its_stop_price_in_binances_direction(
    book: Any, order_type: int, side: int, stop_price: int, fires_at: int, holds_at: int
) -> None:
    trade_at(book, 100)
    _stop(book, 1, side, order_type, stop_price, price=stop_price if order_type in LIMIT_TYPES else 0)

    trade_at(book, holds_at, maker_id=10, taker_id=11)
    assert _triggered_ids(book.last_events()) == []
    trade_at(book, fires_at, maker_id=12, taker_id=13)
    assert _triggered_ids(book.last_events()) == [1]


# (type, side, stop price) whose condition already holds at last_price 100
ALREADY_HOLDING = [
    (STOP_LOSS, BUY, 100), (STOP_LOSS, BUY, 99), (STOP_LOSS, SELL, 100), (STOP_LOSS, SELL, 101),
    (TAKE_PROFIT, BUY, 100), (TAKE_PROFIT, BUY, 101), (TAKE_PROFIT, SELL, 100),
    (TAKE_PROFIT, SELL, 99), (STOP_LOSS_LIMIT, BUY, 90), (TAKE_PROFIT_LIMIT, SELL, 90),
]


@pytest.mark.parametrize(("order_type", "side", "stop_price"), ALREADY_HOLDING)
def test_a_stop_whose_condition_already_holds_is_rejected(
    book: Any, order_type: int, side: int, stop_price: int
) -> None:
    trade_at(book, 100)
    before = observable_state(book)

    events = _stop(book, 1, side, order_type, stop_price)

    assert events == [rejected(8, 1, RejectReason.WOULD_TRIGGER_IMMEDIATELY, user=3, side=side)]
    assert observable_state(book) == before


@pytest.mark.parametrize(("order_type", "side"), [(STOP_LOSS, SELL), (TAKE_PROFIT, BUY)])
def test_no_stop_is_rejected_or_triggered_before_the_first_trade(book: Any, order_type: int, side: int) -> None:
    events = _stop(book, 1, side, order_type, 5)

    assert events == [accepted(1, 1, 3, side, order_type, price=0, qty=1)]
    limit(book, 2, BUY, 4, 1)
    assert book.get_order(1) is not None


def test_a_triggered_stop_market_emits_triggered_then_matches_as_a_market_order(book: Any) -> None:
    trade_at(book, 100)  # seq 1..7
    limit(book, 1, SELL, 101, 3, user=5)  # 8, 9
    _stop(book, 2, BUY, STOP_LOSS, 101, qty=2, user=3)  # 10
    limit(book, 3, SELL, 102, 5, user=5)  # 11, 12

    events = limit(book, 4, BUY, 101, 1, user=4, tif=IOC)

    assert events == [
        accepted(13, 4, 4, BUY, 0, price=101, qty=1),
        trade(14, trade_id=2, taker=4, taker_user=4, maker=1, maker_user=5, side=BUY, price=101, qty=1),
        order(15, 1, 5, SELL, OrderStatus.PARTIALLY_FILLED, price=101, leaves=2, filled=1),
        level(16, SELL, 101, qty=2, count=1),
        order(17, 4, 4, BUY, OrderStatus.FILLED, price=101, leaves=0, filled=1),
        triggered(18, 2, 3, BUY, STOP_LOSS, price=0, leaves=2),
        trade(19, trade_id=3, taker=2, taker_user=3, maker=1, maker_user=5, side=BUY, price=101, qty=2),
        order(20, 1, 5, SELL, OrderStatus.FILLED, price=101, leaves=0, filled=3),
        level(21, SELL, 101, qty=0, count=0),
        order(22, 2, 3, BUY, OrderStatus.FILLED, price=0, leaves=0, filled=2),
    ]


def test_a_triggered_gtc_stop_limit_rests_and_keeps_its_id_user_type_and_stop_price(book: Any) -> None:
    trade_at(book, 100)
    limit(book, 1, SELL, 101, 2, user=5)
    _stop(book, 2, BUY, STOP_LOSS_LIMIT, 101, price=101, qty=5, user=3)

    events = limit(book, 3, BUY, 101, 1, user=4, tif=IOC)

    assert events[5:] == [
        triggered(16, 2, 3, BUY, STOP_LOSS_LIMIT, price=101, leaves=5),
        trade(17, trade_id=3, taker=2, taker_user=3, maker=1, maker_user=5, side=BUY, price=101, qty=1),
        order(18, 1, 5, SELL, OrderStatus.FILLED, price=101, leaves=0, filled=2),
        level(19, SELL, 101, qty=0, count=0),
        order(20, 2, 3, BUY, OrderStatus.PARTIALLY_FILLED, price=101, leaves=4, filled=1),
        level(21, BUY, 101, qty=4, count=1),
    ]
    state = book.get_order(2)
    assert (state.user_id, state.order_type, state.stop_price, state.filled_qty) == (3, STOP_LOSS_LIMIT, 101, 1)
    assert book.orders() == [state]


def test_a_triggered_ioc_stop_limit_expires_its_unfilled_part(book: Any) -> None:
    trade_at(book, 100)
    limit(book, 1, SELL, 101, 2, user=5)
    _stop(book, 2, BUY, STOP_LOSS_LIMIT, 101, price=101, qty=5, tif=IOC)

    events = limit(book, 3, BUY, 101, 1, user=4, tif=IOC)

    assert final_status(events, 2) == OrderStatus.EXPIRED
    assert book.orders() == []


def test_a_triggered_fok_stop_limit_that_cannot_fill_expires_untouched(book: Any) -> None:
    trade_at(book, 100)
    limit(book, 1, SELL, 101, 2, user=5)
    _stop(book, 2, BUY, STOP_LOSS_LIMIT, 101, price=101, qty=5, tif=FOK)

    events = limit(book, 3, BUY, 101, 1, user=4, tif=IOC)

    assert events[5:] == [
        triggered(16, 2, 3, BUY, STOP_LOSS_LIMIT, price=101, leaves=5),
        order(17, 2, 3, BUY, OrderStatus.EXPIRED, price=101, leaves=5, filled=0),
    ]
    assert book.best_ask() == (101, 1)


def test_stops_that_trigger_together_run_in_placement_order_not_stop_price_order(book: Any) -> None:
    trade_at(book, 100)
    _stop(book, 1, SELL, STOP_LOSS, 98)
    _stop(book, 2, SELL, STOP_LOSS, 99)
    _stop(book, 3, SELL, TAKE_PROFIT, 150)
    _stop(book, 4, SELL, STOP_LOSS_LIMIT, 97, price=90)

    trade_at(book, 97, maker_id=10, taker_id=11)

    assert _triggered_ids(book.last_events()) == [1, 2, 4]
    assert [o.order_id for o in book.orders()] == [4, 3]  # 4 rests as a limit ask; 3 still pending


def test_the_cascade_re_checks_every_stop_after_each_triggered_orders_trades(book: Any) -> None:
    trade_at(book, 100)
    limit(book, 1, SELL, 101, 1, user=5)
    limit(book, 2, SELL, 103, 1, user=5)
    limit(book, 3, SELL, 104, 5, user=5)
    _stop(book, 10, BUY, STOP_LOSS, 103, qty=1, user=3)  # fires only once the first stop trades
    _stop(book, 11, BUY, STOP_LOSS, 101, qty=2, user=3)

    events = limit(book, 4, BUY, 101, 1, user=4)

    assert _triggered_ids(events) == [11, 10]
    assert trades(events) == [(1, 101, 1), (2, 103, 1), (3, 104, 1), (3, 104, 1)]
    assert book.last_price == 104


def test_canceling_a_pending_stop_reports_it_canceled_with_no_level(book: Any) -> None:
    trade_at(book, 100)
    _stop(book, 1, BUY, TAKE_PROFIT_LIMIT, 90, price=91, qty=4)

    events = cancel(book, 1)

    assert events == [order(9, 1, 3, BUY, OrderStatus.CANCELED, price=91, leaves=4, filled=0)]
    assert book.get_order(1) is None


def test_a_pending_stop_cannot_be_amended(book: Any) -> None:
    trade_at(book, 100)
    _stop(book, 1, BUY, STOP_LOSS, 110)
    before = observable_state(book)

    events = amend(book, 1, 100, 5)

    assert events == [rejected(9, 1, RejectReason.NOT_AMENDABLE)]
    assert observable_state(book) == before


def test_an_amend_that_trades_runs_the_stop_cascade(book: Any) -> None:
    trade_at(book, 100)
    limit(book, 1, BUY, 99, 1, user=2)
    limit(book, 2, SELL, 101, 1, user=5)
    limit(book, 4, SELL, 102, 5, user=5)
    _stop(book, 3, BUY, STOP_LOSS, 101, qty=1)

    events = amend(book, 1, 101, 1)

    assert trades(events) == [(2, 101, 1), (4, 102, 1)]
    assert _triggered_ids(events) == [3]
