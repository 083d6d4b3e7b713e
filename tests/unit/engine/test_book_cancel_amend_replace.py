"""Cancel, amend (Binance keepPriority semantics) and replace (cancelReplace, STOP_ON_FAILURE)."""

from __future__ import annotations

from typing import Any

from engine_ext.codes import EventKind, OrderStatus, RejectReason, SelfTradePrevention
from tests.unit.engine.book_spec import (
    BUY,
    LIMIT,
    LIMIT_MAKER,
    SELL,
    STOP_LOSS,
    accepted,
    amend,
    amended,
    cancel,
    final_status,
    level,
    limit,
    observable_state,
    order,
    reduce,
    rejected,
    replace,
    resting_ids,
    submit,
    trade,
    trade_at,
)

# -- CANCEL --


def test_cancel_removes_a_resting_order_and_reports_its_level(book: Any) -> None:
    limit(book, 1, BUY, 100, 5)
    limit(book, 2, BUY, 100, 3)

    events = cancel(book, 1)

    assert events == [
        order(5, 1, 1, BUY, OrderStatus.CANCELED, price=100, leaves=5, filled=0),
        level(6, BUY, 100, qty=3, count=1),
    ]
    assert resting_ids(book) == [2]


def test_cancel_of_a_partly_filled_order_reports_its_leaves_and_filled(book: Any) -> None:
    limit(book, 1, SELL, 100, 5, user=1)
    limit(book, 2, BUY, 100, 2, user=2)

    events = cancel(book, 1)

    assert events == [
        order(8, 1, 1, SELL, OrderStatus.CANCELED, price=100, leaves=3, filled=2),
        level(9, SELL, 100, qty=0, count=0),
    ]
    assert book.best_ask() is None


def test_cancel_of_an_unknown_order_is_rejected_and_changes_nothing(book: Any) -> None:
    limit(book, 1, BUY, 100, 5)
    before = observable_state(book)

    events = cancel(book, 42)

    assert events == [rejected(3, 42, RejectReason.UNKNOWN_ORDER)]
    assert observable_state(book) == before
    assert book.seq == 3


def test_an_order_can_be_canceled_only_once(book: Any) -> None:
    limit(book, 1, BUY, 100, 5)
    cancel(book, 1)

    assert cancel(book, 1) == [rejected(5, 1, RejectReason.UNKNOWN_ORDER)]


def test_the_id_of_a_canceled_order_can_be_used_again(book: Any) -> None:
    limit(book, 1, BUY, 100, 5)
    cancel(book, 1)

    events = limit(book, 1, SELL, 105, 1)

    assert events[0] == accepted(5, 1, 1, SELL, LIMIT, price=105, qty=1)


# -- AMEND --


def test_amending_down_the_quantity_at_the_same_price_keeps_priority(book: Any) -> None:
    limit(book, 1, BUY, 100, 5, user=1)
    limit(book, 2, BUY, 100, 5, user=2)

    events = amend(book, 1, 100, 3)

    assert events == [
        amended(5, 1, 1, BUY, price=100, leaves=3, filled=0),
        level(6, BUY, 100, qty=8, count=2),
    ]
    assert resting_ids(book) == [1, 2]


def test_amending_up_the_quantity_loses_priority(book: Any) -> None:
    limit(book, 1, BUY, 100, 5, user=1)
    limit(book, 2, BUY, 100, 5, user=2)

    events = amend(book, 1, 100, 7)

    assert events == [
        amended(5, 1, 1, BUY, price=100, leaves=7, filled=0),
        level(6, BUY, 100, qty=5, count=1),
        level(7, BUY, 100, qty=12, count=2),
    ]
    assert resting_ids(book) == [2, 1]


def test_amending_to_the_same_quantity_and_price_loses_priority(book: Any) -> None:
    limit(book, 1, BUY, 100, 5, user=1)
    limit(book, 2, BUY, 100, 5, user=2)

    amend(book, 1, 100, 5)

    assert resting_ids(book) == [2, 1]


def test_amending_the_price_moves_the_order_to_the_back_of_its_new_level(book: Any) -> None:
    limit(book, 1, BUY, 100, 5, user=1)
    limit(book, 2, BUY, 101, 1, user=2)

    events = amend(book, 1, 101, 5)

    assert events == [
        amended(5, 1, 1, BUY, price=101, leaves=5, filled=0),
        level(6, BUY, 100, qty=0, count=0),
        level(7, BUY, 101, qty=6, count=2),
    ]
    assert resting_ids(book) == [2, 1]


def test_the_new_quantity_is_the_new_original_quantity_and_filled_is_kept(book: Any) -> None:
    limit(book, 1, BUY, 100, 10, user=1)
    limit(book, 2, SELL, 100, 4, user=2)

    events = amend(book, 1, 100, 7)

    assert events == [
        amended(8, 1, 1, BUY, price=100, leaves=3, filled=4),
        level(9, BUY, 100, qty=3, count=1),
    ]
    state = book.get_order(1)
    assert (state.orig_qty, state.filled_qty) == (7, 4)


def test_an_amend_to_a_quantity_not_above_filled_is_rejected(book: Any) -> None:
    limit(book, 1, BUY, 100, 10, user=1)
    limit(book, 2, SELL, 100, 4, user=2)
    before = observable_state(book)

    events = amend(book, 1, 100, 4)

    assert events == [rejected(8, 1, RejectReason.INVALID_QUANTITY)]
    assert observable_state(book) == before


def test_reduce_lowers_the_quantity_in_place(book: Any) -> None:
    limit(book, 1, BUY, 100, 5, user=1)
    limit(book, 2, BUY, 100, 5, user=2)

    events = reduce(book, 1, 3)

    assert events == [
        amended(5, 1, 1, BUY, price=100, leaves=3, filled=0),
        level(6, BUY, 100, qty=8, count=2),
    ]
    assert resting_ids(book) == [1, 2]


def test_reduce_refuses_what_would_not_lower_the_order_as_it_now_is(book: Any) -> None:
    # Two keepPriority amends of one order checked against the same reading (5 -> 2, 5 -> 4):
    # the second must not raise the order the first lowered.
    limit(book, 1, BUY, 100, 5, user=1)
    limit(book, 2, SELL, 100, 1, user=2)  # fills 1 of order 1
    reduce(book, 1, 2)
    before = observable_state(book)

    raised, same, at_filled = reduce(book, 1, 4), reduce(book, 1, 2), reduce(book, 1, 1)

    refused = [(EventKind.REJECTED, 1, RejectReason.INVALID_QUANTITY)]
    for events in (raised, same, at_filled):
        assert [(e.kind, e.order_id, e.code) for e in events] == refused
    assert observable_state(book) == before
    assert (book.get_order(1).orig_qty, book.get_order(1).filled_qty) == (2, 1)


def test_reduce_of_an_unknown_order_or_a_pending_stop_is_rejected(book: Any) -> None:
    submit(book, 1, BUY, STOP_LOSS, qty=5, stop_price=200)

    assert [(e.kind, e.code) for e in reduce(book, 1, 2)] == [(EventKind.REJECTED, RejectReason.NOT_AMENDABLE)]
    assert [(e.kind, e.code) for e in reduce(book, 9, 2)] == [(EventKind.REJECTED, RejectReason.UNKNOWN_ORDER)]


def test_an_amend_across_the_spread_trades_as_a_gtc_taker_and_rests_the_rest(book: Any) -> None:
    limit(book, 1, BUY, 100, 5, user=1)
    limit(book, 2, SELL, 101, 2, user=2)

    events = amend(book, 1, 101, 5)

    assert events == [
        amended(5, 1, 1, BUY, price=101, leaves=5, filled=0),
        level(6, BUY, 100, qty=0, count=0),
        trade(7, trade_id=1, taker=1, taker_user=1, maker=2, maker_user=2, side=BUY, price=101, qty=2),
        order(8, 2, 2, SELL, OrderStatus.FILLED, price=101, leaves=0, filled=2),
        level(9, SELL, 101, qty=0, count=0),
        order(10, 1, 1, BUY, OrderStatus.PARTIALLY_FILLED, price=101, leaves=3, filled=2),
        level(11, BUY, 101, qty=3, count=1),
    ]


def test_an_amend_that_fills_the_order_completely_removes_it(book: Any) -> None:
    limit(book, 1, BUY, 100, 2, user=1)
    limit(book, 2, SELL, 101, 5, user=2)

    events = amend(book, 1, 101, 2)

    assert final_status(events, 1) == OrderStatus.FILLED
    assert resting_ids(book) == [2]


def test_an_amended_order_that_meets_its_own_user_applies_its_own_stp(book: Any) -> None:
    limit(book, 1, BUY, 100, 2, user=1, stp=SelfTradePrevention.EXPIRE_TAKER)
    limit(book, 2, SELL, 101, 5, user=1)

    events = amend(book, 1, 101, 2)

    assert events[-1] == order(7, 1, 1, BUY, OrderStatus.EXPIRED_IN_MATCH, price=101, leaves=2, filled=0)
    assert resting_ids(book) == [2]


def test_a_limit_maker_amended_to_a_price_that_would_take_is_rejected(book: Any) -> None:
    submit(book, 1, BUY, LIMIT_MAKER, price=100, qty=2)
    limit(book, 2, SELL, 101, 5, user=2)
    before = observable_state(book)

    events = amend(book, 1, 101, 2)

    assert events == [rejected(5, 1, RejectReason.WOULD_TAKE)]
    assert observable_state(book) == before


def test_amends_of_unknown_orders_or_to_bad_values_are_rejected_in_the_contracts_order(book_class: Any) -> None:
    book = book_class(tick_size=5, lot_size=10)
    limit(book, 1, BUY, 100, 50)
    before = observable_state(book)

    assert amend(book, 2, 100, 50) == [rejected(3, 2, RejectReason.UNKNOWN_ORDER)]
    assert amend(book, 1, 101, 55) == [rejected(4, 1, RejectReason.INVALID_QUANTITY)]
    assert amend(book, 1, 101, 0) == [rejected(5, 1, RejectReason.INVALID_QUANTITY)]
    assert amend(book, 1, 101, 60) == [rejected(6, 1, RejectReason.INVALID_PRICE)]
    assert amend(book, 1, 0, 60) == [rejected(7, 1, RejectReason.INVALID_PRICE)]
    assert amend(book, 1, 2**62 - 2**62 % 5, 20) == [rejected(8, 1, RejectReason.OVERFLOW)]
    assert observable_state(book) == before


# -- REPLACE --


def test_replace_cancels_the_target_then_submits_the_new_order(book: Any) -> None:
    limit(book, 1, BUY, 100, 5)

    events = replace(book, 1, 2, BUY, LIMIT, price=99, qty=3)

    assert events == [
        order(3, 1, 1, BUY, OrderStatus.CANCELED, price=100, leaves=5, filled=0),
        level(4, BUY, 100, qty=0, count=0),
        accepted(5, 2, 1, BUY, LIMIT, price=99, qty=3),
        level(6, BUY, 99, qty=3, count=1),
    ]


def test_replace_of_an_unknown_target_is_rejected_with_the_target_id_and_changes_nothing(book: Any) -> None:
    limit(book, 1, BUY, 100, 5)
    before = observable_state(book)

    events = replace(book, 7, 2, SELL, LIMIT, price=99, qty=3, user=4)

    # lead's ruling (08:36): the user and side are the replace command's own
    assert events == [rejected(3, 7, RejectReason.UNKNOWN_ORDER, user=4, side=SELL)]
    assert observable_state(book) == before


def test_when_the_new_order_of_a_replace_is_rejected_the_cancel_stands(book: Any) -> None:
    limit(book, 1, BUY, 100, 5)

    events = replace(book, 1, 2, BUY, LIMIT, price=0, qty=3)

    assert events == [
        order(3, 1, 1, BUY, OrderStatus.CANCELED, price=100, leaves=5, filled=0),
        level(4, BUY, 100, qty=0, count=0),
        rejected(5, 2, RejectReason.INVALID_PRICE, user=1, side=BUY),
    ]
    assert book.orders() == []


def test_a_replace_may_reuse_the_targets_id(book: Any) -> None:
    limit(book, 1, BUY, 100, 5)

    events = replace(book, 1, 1, BUY, LIMIT, price=100, qty=2)

    assert events[2] == accepted(5, 1, 1, BUY, LIMIT, price=100, qty=2)
    assert book.get_order(1).orig_qty == 2


def test_a_replace_can_target_a_pending_stop(book: Any) -> None:
    trade_at(book, 100)
    submit(book, 1, BUY, STOP_LOSS, qty=2, stop_price=110)

    events = replace(book, 1, 2, BUY, LIMIT, price=90, qty=2)

    assert events == [
        order(9, 1, 1, BUY, OrderStatus.CANCELED, price=0, leaves=2, filled=0),
        accepted(10, 2, 1, BUY, LIMIT, price=90, qty=2),
        level(11, BUY, 90, qty=2, count=1),
    ]


def test_a_replace_whose_new_id_is_live_elsewhere_is_a_duplicate_and_the_cancel_stands(book: Any) -> None:
    limit(book, 1, BUY, 100, 5)
    limit(book, 2, BUY, 99, 5)

    events = replace(book, 1, 2, BUY, LIMIT, price=98, qty=1)

    assert events[-1] == rejected(7, 2, RejectReason.DUPLICATE_ORDER_ID, user=1, side=BUY)
    assert resting_ids(book) == [2]
