"""A small vocabulary for writing engine tests as specifications.

Commands take keywords and call the book positionally (the same call shape for both books);
event builders spell each event kind with the fields docs/engine.md gives it, so an expected
event sequence reads like the contract's table.
"""

from __future__ import annotations

import struct
from typing import Any

from engine_ext.codes import (
    EventKind,
    OrderStatus,
    OrderType,
    RejectReason,
    SelfTradePrevention,
    Side,
    TimeInForce,
)
from engine_ext.events import Event

BUY, SELL = Side.BUY, Side.SELL
GTC, IOC, FOK = TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK
LIMIT, MARKET, LIMIT_MAKER = OrderType.LIMIT, OrderType.MARKET, OrderType.LIMIT_MAKER
STOP_LOSS, STOP_LOSS_LIMIT = OrderType.STOP_LOSS, OrderType.STOP_LOSS_LIMIT
TAKE_PROFIT, TAKE_PROFIT_LIMIT = OrderType.TAKE_PROFIT, OrderType.TAKE_PROFIT_LIMIT
NO_STP = SelfTradePrevention.NONE

IMPLEMENTATIONS = {"reference": "engine_ext.reference", "compiled": "engine_ext.book"}
"""Every OrderBook implementation under test: the oracle and the compiled book."""
MAX_VALUE = 2**62
INT64_MAX = 2**63 - 1


# -- COMMANDS --

def submit(book: Any, order_id: int, side: int, order_type: int = LIMIT, *, price: int = 0,
           qty: int = 0, user: int = 1, tif: int = GTC, quote_qty: int = 0, stop_price: int = 0,
           stp: int = NO_STP, cap: int = 0) -> list[Event]:
    """Submits one order and returns the events of that command."""
    n = book.submit(order_id, user, side, order_type, tif, price, qty, quote_qty, stop_price, stp, cap)
    events: list[Event] = book.last_events()
    assert n == len(events)
    return events


def limit(book: Any, order_id: int, side: int, price: int, qty: int, *, user: int = 1,
          tif: int = GTC, stp: int = NO_STP) -> list[Event]:
    return submit(book, order_id, side, LIMIT, price=price, qty=qty, user=user, tif=tif, stp=stp)


def market(book: Any, order_id: int, side: int, *, qty: int = 0, quote_qty: int = 0,
           user: int = 1, stp: int = NO_STP, cap: int = 0) -> list[Event]:
    return submit(book, order_id, side, MARKET, qty=qty, quote_qty=quote_qty, user=user, stp=stp,
                  cap=cap)


def cancel(book: Any, order_id: int) -> list[Event]:
    n = book.cancel(order_id)
    events: list[Event] = book.last_events()
    assert n == len(events)
    return events


def amend(book: Any, order_id: int, new_price: int, new_qty: int) -> list[Event]:
    n = book.amend(order_id, new_price, new_qty)
    events: list[Event] = book.last_events()
    assert n == len(events)
    return events


def reduce(book: Any, order_id: int, new_qty: int) -> list[Event]:
    n = book.reduce(order_id, new_qty)
    events: list[Event] = book.last_events()
    assert n == len(events)
    return events


def replace(book: Any, target_id: int, order_id: int, side: int, order_type: int = LIMIT, *,
            price: int = 0, qty: int = 0, user: int = 1, tif: int = GTC, quote_qty: int = 0,
            stop_price: int = 0, stp: int = NO_STP, cap: int = 0) -> list[Event]:
    n = book.replace(target_id, order_id, user, side, order_type, tif, price, qty, quote_qty,
                     stop_price, stp, cap)
    events: list[Event] = book.last_events()
    assert n == len(events)
    return events


def trade_at(book: Any, price: int, *, maker_id: int = 9_001, taker_id: int = 9_002,
             qty: int = 1) -> None:
    """Makes `price` the book's last trade price with a one-lot trade between two fresh users."""
    limit(book, maker_id, SELL, price, qty, user=901)
    limit(book, taker_id, BUY, price, qty, user=902, tif=IOC)
    assert book.last_price == price


# -- EVENTS --

def _event(seq: int, kind: EventKind, *, side: int = 0, code: int = 0, order_id: int = 0,
           user_id: int = 0, maker_order_id: int = 0, maker_user_id: int = 0, price: int = 0,
           qty: int = 0, filled: int = 0) -> Event:
    return Event(seq, int(kind), int(side), int(code), order_id, user_id, maker_order_id,
                 maker_user_id, price, qty, filled)


def accepted(seq: int, order_id: int, user: int, side: int, order_type: int, *, price: int,
             qty: int) -> Event:
    return _event(seq, EventKind.ACCEPTED, order_id=order_id, user_id=user, side=side,
                  code=order_type, price=price, qty=qty)


def rejected(seq: int, order_id: int, reason: RejectReason, *, user: int = 0,
             side: int = 0) -> Event:
    return _event(seq, EventKind.REJECTED, order_id=order_id, user_id=user, side=side, code=reason)


def trade(seq: int, *, trade_id: int, taker: int, taker_user: int, maker: int, maker_user: int,
          side: int, price: int, qty: int) -> Event:
    return _event(seq, EventKind.TRADE, order_id=taker, user_id=taker_user, maker_order_id=maker,
                  maker_user_id=maker_user, side=side, price=price, qty=qty, filled=trade_id)


def order(seq: int, order_id: int, user: int, side: int, status: OrderStatus, *, price: int,
          leaves: int, filled: int) -> Event:
    return _event(seq, EventKind.ORDER, order_id=order_id, user_id=user, side=side, code=status,
                  price=price, qty=leaves, filled=filled)


def level(seq: int, side: int, price: int, *, qty: int, count: int) -> Event:
    return _event(seq, EventKind.LEVEL, side=side, price=price, qty=qty, filled=count)


def amended(seq: int, order_id: int, user: int, side: int, *, price: int, leaves: int,
            filled: int) -> Event:
    return _event(seq, EventKind.AMENDED, order_id=order_id, user_id=user, side=side, price=price,
                  qty=leaves, filled=filled)


def triggered(seq: int, order_id: int, user: int, side: int, order_type: int, *, price: int,
              leaves: int) -> Event:
    return _event(seq, EventKind.TRIGGERED, order_id=order_id, user_id=user, side=side,
                  code=order_type, price=price, qty=leaves)


# -- SNAPSHOTS --

def as_obk1(snapshot: bytes) -> bytes:
    """The same book as a snapshot written before trade ids: an OBK1 header, without trade_id."""
    tick, lot, seq, last_price, _trade_id, n_resting, n_stops = struct.unpack_from("<7q", snapshot, 4)
    return struct.pack("<4s6q", b"OBK1", tick, lot, seq, last_price, n_resting, n_stops) + snapshot[60:]


# -- READING EVENTS AND STATE --

def kinds(events: list[Event]) -> list[EventKind]:
    return [EventKind(e.kind) for e in events]


def trades(events: list[Event]) -> list[tuple[int, int, int]]:
    """(maker order id, price, qty) of every TRADE, in order."""
    return [(e.maker_order_id, e.price, e.qty) for e in events if e.kind == EventKind.TRADE]


def final_status(events: list[Event], order_id: int) -> OrderStatus | None:
    statuses = [e.code for e in events if e.kind == EventKind.ORDER and e.order_id == order_id]
    return OrderStatus(statuses[-1]) if statuses else None


def resting_ids(book: Any) -> list[int]:
    return [o.order_id for o in book.orders()]


def observable_state(book: Any) -> tuple[Any, ...]:
    """Everything a command could change, except seq."""
    return (book.orders(), book.depth(1_000), book.best_bid(), book.best_ask(), book.last_price)
