"""Every reject reason of SUBMIT, in the contract's order: one REJECTED event and nothing else.

A REJECTED event consumes a seq; nothing else about the book changes.
"""

from __future__ import annotations

from typing import Any

import pytest

from engine_ext.codes import OrderStatus, RejectReason
from tests.unit.engine.book_spec import (
    BUY,
    FOK,
    GTC,
    INT64_MAX,
    IOC,
    LIMIT,
    LIMIT_MAKER,
    MARKET,
    MAX_VALUE,
    SELL,
    STOP_LOSS,
    STOP_LOSS_LIMIT,
    TAKE_PROFIT_LIMIT,
    final_status,
    limit,
    observable_state,
    rejected,
    submit,
)

TICK, LOT = 5, 10
TOP_PRICE = MAX_VALUE - MAX_VALUE % TICK  # the highest price on the tick grid
TOP_QTY = MAX_VALUE - MAX_VALUE % LOT

R = RejectReason
CASES: list[tuple[str, dict[str, Any], RejectReason]] = [
    # INVALID_ORDER: enums out of range and field combinations the type does not take
    ("side out of range", dict(side=2), R.INVALID_ORDER),
    ("order type out of range", dict(order_type=7), R.INVALID_ORDER),
    ("tif out of range", dict(tif=3), R.INVALID_ORDER),
    ("tif out of range even where ignored", dict(order_type=MARKET, price=0, tif=3), R.INVALID_ORDER),
    ("stp out of range", dict(stp=4), R.INVALID_ORDER),
    ("order id zero", dict(order_id=0), R.INVALID_ORDER),
    ("order id negative", dict(order_id=-3), R.INVALID_ORDER),
    ("user id negative", dict(user=-1), R.INVALID_ORDER),
    ("limit with quote qty", dict(quote_qty=1_000), R.INVALID_ORDER),
    ("limit maker with quote qty", dict(order_type=LIMIT_MAKER, price=90, quote_qty=1_000), R.INVALID_ORDER),
    ("stop with quote qty", dict(order_type=STOP_LOSS, price=0, stop_price=90, quote_qty=1_000),
     R.INVALID_ORDER),
    ("market with qty and quote qty", dict(order_type=MARKET, price=0, quote_qty=1_000), R.INVALID_ORDER),
    ("market with neither qty nor quote qty", dict(order_type=MARKET, price=0, qty=0), R.INVALID_ORDER),
    ("cap on a limit order", dict(cap=10), R.INVALID_ORDER),
    ("invalid order wins over a bad quantity", dict(side=2, qty=0), R.INVALID_ORDER),
    # INVALID_QUANTITY
    ("qty zero", dict(qty=0), R.INVALID_QUANTITY),
    ("qty negative", dict(qty=-10), R.INVALID_QUANTITY),
    ("qty off the lot grid", dict(qty=15), R.INVALID_QUANTITY),
    ("qty above the maximum", dict(qty=TOP_QTY + LOT), R.INVALID_QUANTITY),
    ("stop qty zero", dict(order_type=STOP_LOSS, price=0, stop_price=90, qty=0), R.INVALID_QUANTITY),
    ("quote qty negative", dict(order_type=MARKET, price=0, qty=0, quote_qty=-5), R.INVALID_QUANTITY),
    ("quote qty above the maximum", dict(order_type=MARKET, price=0, qty=0, quote_qty=MAX_VALUE + 1),
     R.INVALID_QUANTITY),
    ("bad quantity wins over a bad price", dict(qty=15, price=7), R.INVALID_QUANTITY),
    # INVALID_PRICE
    ("limit price zero", dict(price=0), R.INVALID_PRICE),
    ("limit price negative", dict(price=-5), R.INVALID_PRICE),
    ("limit price off the tick grid", dict(price=92), R.INVALID_PRICE),
    ("limit price above the maximum", dict(price=TOP_PRICE + TICK), R.INVALID_PRICE),
    ("stop limit price off the tick grid", dict(order_type=TAKE_PROFIT_LIMIT, price=92, stop_price=90),
     R.INVALID_PRICE),
    ("market with a price", dict(order_type=MARKET, price=90), R.INVALID_PRICE),
    ("stop market with a price", dict(order_type=STOP_LOSS, price=90, stop_price=90), R.INVALID_PRICE),
    ("bad price wins over a bad stop price", dict(order_type=STOP_LOSS_LIMIT, price=92, stop_price=92),
     R.INVALID_PRICE),
    # INVALID_STOP_PRICE
    ("stop price zero", dict(order_type=STOP_LOSS, price=0, stop_price=0), R.INVALID_STOP_PRICE),
    ("stop price off the tick grid", dict(order_type=STOP_LOSS, price=0, stop_price=92),
     R.INVALID_STOP_PRICE),
    ("stop price negative", dict(order_type=STOP_LOSS_LIMIT, stop_price=-5), R.INVALID_STOP_PRICE),
    ("stop price above the maximum", dict(order_type=STOP_LOSS_LIMIT, stop_price=TOP_PRICE + TICK),
     R.INVALID_STOP_PRICE),
    ("limit with a stop price", dict(stop_price=90), R.INVALID_STOP_PRICE),
    ("market with a stop price", dict(order_type=MARKET, price=0, stop_price=90), R.INVALID_STOP_PRICE),
    # DUPLICATE_ORDER_ID
    ("id of a resting order", dict(order_id=1), R.DUPLICATE_ORDER_ID),
    ("id of a pending stop", dict(order_id=5), R.DUPLICATE_ORDER_ID),
    ("duplicate wins over would-take", dict(order_id=1, order_type=LIMIT_MAKER, price=105),
     R.DUPLICATE_ORDER_ID),
    # OVERFLOW
    ("price times qty above int64", dict(price=TOP_PRICE, qty=LOT), R.OVERFLOW),
    ("stop limit price times qty above int64",
     dict(order_type=STOP_LOSS_LIMIT, price=TOP_PRICE, stop_price=TOP_PRICE, qty=LOT), R.OVERFLOW),
    ("overflow wins over would-take", dict(order_type=LIMIT_MAKER, price=TOP_PRICE), R.OVERFLOW),
    # WOULD_TAKE, WOULD_TRIGGER_IMMEDIATELY (more in their own modules)
    ("limit maker at the best ask", dict(order_type=LIMIT_MAKER, price=105), R.WOULD_TAKE),
    ("stop loss sell at the last price", dict(order_type=STOP_LOSS, price=0, stop_price=100, side=SELL),
     R.WOULD_TRIGGER_IMMEDIATELY),
]


@pytest.fixture
def busy_book(book_class: Any) -> Any:
    """tick 5, lot 10, last price 100, a bid at 95, an ask at 105 and a pending stop (id 5)."""
    book = book_class(tick_size=TICK, lot_size=LOT)
    limit(book, 1, SELL, 105, 10, user=1)
    limit(book, 2, BUY, 95, 10, user=1)
    limit(book, 3, SELL, 100, 10, user=1)
    limit(book, 4, BUY, 100, 10, user=2, tif=IOC)
    submit(book, 5, BUY, STOP_LOSS, qty=10, stop_price=200)
    assert book.last_price == 100
    return book


@pytest.mark.parametrize(("case", "fields", "reason"), CASES, ids=[c[0] for c in CASES])
def test_a_submit_that_breaks_a_rule_is_rejected_with_its_first_reason_and_changes_nothing(
    busy_book: Any, case: str, fields: dict[str, Any], reason: RejectReason
) -> None:
    command: dict[str, Any] = dict(order_id=9, side=BUY, order_type=LIMIT, price=90, qty=10, user=3)
    command.update(fields)
    before, seq = observable_state(busy_book), busy_book.seq

    events = submit(busy_book, command.pop("order_id"), command.pop("side"), command.pop("order_type"),
                    **command)

    assert events == [rejected(seq + 1, fields.get("order_id", 9), reason, user=fields.get("user", 3),
                               side=fields.get("side", BUY))]
    assert busy_book.seq == seq + 1
    assert observable_state(busy_book) == before


# -- LEVEL OVERFLOW --


def test_a_resting_order_that_would_overflow_its_levels_total_is_rejected(book: Any) -> None:
    limit(book, 1, BUY, 1, MAX_VALUE)
    before = observable_state(book)

    gtc = limit(book, 2, BUY, 1, MAX_VALUE)
    maker = submit(book, 3, BUY, LIMIT_MAKER, price=1, qty=MAX_VALUE, tif=IOC)

    assert gtc == [rejected(3, 2, RejectReason.OVERFLOW, user=1, side=BUY)]
    assert maker == [rejected(4, 3, RejectReason.OVERFLOW, user=1, side=BUY)]
    assert observable_state(book) == before


def test_a_level_may_hold_exactly_the_largest_int64(book: Any) -> None:
    limit(book, 1, BUY, 1, MAX_VALUE)

    limit(book, 2, BUY, 1, INT64_MAX - MAX_VALUE)

    assert book.best_bid() == (1, INT64_MAX)


@pytest.mark.parametrize("tif", [IOC, FOK])
def test_an_order_that_cannot_rest_skips_the_level_check(book: Any, tif: int) -> None:
    limit(book, 1, BUY, 1, MAX_VALUE)

    events = limit(book, 2, BUY, 1, MAX_VALUE, tif=tif)

    assert final_status(events, 2) == OrderStatus.EXPIRED


def test_a_stop_limit_gets_no_level_check_at_submit(book: Any) -> None:
    limit(book, 1, SELL, 2, 1, user=1)
    limit(book, 2, BUY, 2, 1, user=2)
    limit(book, 3, BUY, 1, MAX_VALUE, user=1)

    events = submit(book, 4, BUY, TAKE_PROFIT_LIMIT, price=1, qty=MAX_VALUE, stop_price=1, tif=GTC)

    assert len(events) == 1 and events[0].kind == 0


def test_a_triggered_stop_limit_that_would_overflow_its_level_expires_instead_of_resting(book: Any) -> None:
    # lead's ruling (08:36)
    limit(book, 1, SELL, 3, 1, user=1)
    limit(book, 2, BUY, 3, 1, user=2)
    limit(book, 3, BUY, 1, MAX_VALUE, user=1)
    submit(book, 4, BUY, TAKE_PROFIT_LIMIT, price=1, qty=MAX_VALUE, stop_price=2, user=5)
    limit(book, 5, SELL, 2, 1, user=1)

    events = limit(book, 6, BUY, 2, 1, user=2)

    assert final_status(events, 4) == OrderStatus.EXPIRED
    assert [o.order_id for o in book.orders()] == [3]
