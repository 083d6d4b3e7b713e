"""Invariants every book must keep after every command, checked through the public API only.

`check_command` is given the book's orders before the command and the command's events, and
checks what must hold of any correct book: gapless seqs, trade ids counting the book's trades
with no gap (Binance's are consecutive per symbol), an uncrossed book, level aggregates
equal to the sum of their orders, filled + leaves = original quantity, fills conserved between
TRADE and ORDER events, and price-time priority (a maker is only filled once every order ahead
of it has left the book, and orders that stay at a level keep their relative order).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from engine_ext.codes import EventKind, OrderStatus, OrderType, Side
from engine_ext.events import Event, OrderState

TERMINAL = {OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.EXPIRED, OrderStatus.EXPIRED_IN_MATCH}
BIG = 1 << 30


def resting_orders(book: Any) -> list[OrderState]:
    """The resting part of orders(): the first (sum of level counts) entries."""
    bids, asks = book.depth(BIG)
    n_resting = sum(count for _, _, count in bids) + sum(count for _, _, count in asks)
    orders: list[OrderState] = book.orders()
    return orders[:n_resting]


def check_book(book: Any) -> None:
    bids, asks = book.depth(BIG)
    orders = book.orders()
    resting = orders[: sum(c for _, _, c in bids) + sum(c for _, _, c in asks)]
    pending = orders[len(resting):]

    assert book.best_bid() == (bids[0][:2] if bids else None)
    assert book.best_ask() == (asks[0][:2] if asks else None)
    if bids and asks:
        assert bids[0][0] < asks[0][0], f"crossed book: bid {bids[0]} ask {asks[0]}"
    assert [p for p, _, _ in bids] == sorted({p for p, _, _ in bids}, reverse=True)
    assert [p for p, _, _ in asks] == sorted({p for p, _, _ in asks})

    # level aggregates equal the sum of their orders, and orders() walks the levels in order
    expected: dict[int, list[tuple[int, int, int]]] = {Side.BUY: [], Side.SELL: []}
    for o in resting:
        levels = expected[o.side]
        leaves = o.orig_qty - o.filled_qty
        if levels and levels[-1][0] == o.price:
            p, q, n = levels[-1]
            levels[-1] = (p, q + leaves, n + 1)
        else:
            levels.append((o.price, leaves, 1))
    assert (expected[Side.BUY], expected[Side.SELL]) == (bids, asks)
    assert [o.side for o in resting] == sorted(o.side for o in resting)

    for o in resting:
        assert 0 <= o.filled_qty < o.orig_qty, o
        assert o.price % book.tick_size == 0 and (o.orig_qty - o.filled_qty) % book.lot_size == 0, o
        assert o.order_type in (OrderType.LIMIT, OrderType.LIMIT_MAKER, OrderType.STOP_LOSS_LIMIT,
                                OrderType.TAKE_PROFIT_LIMIT), o
        assert o.cap == 0, o
    for o in pending:
        assert o.filled_qty == 0 and o.order_type in (OrderType.STOP_LOSS, OrderType.STOP_LOSS_LIMIT,
                                                      OrderType.TAKE_PROFIT, OrderType.TAKE_PROFIT_LIMIT), o
    ids = [o.order_id for o in orders]
    assert len(ids) == len(set(ids)), "an order id appears twice"
    for o in orders:
        assert book.get_order(o.order_id) == o


class Before:
    """What check_command needs to know of the book before the command."""

    def __init__(self, book: Any) -> None:
        self.seq: int = book.seq
        self.trade_id: int = book.trade_id
        self.orders: list[OrderState] = book.orders()
        self.resting: list[OrderState] = resting_orders(book)


def check_command(book: Any, before: Before, events: list[Event]) -> None:
    """Checks one command's events against the book before it and the book after it."""
    assert events, "every command emits at least one event"
    assert [e.seq for e in events] == list(range(before.seq + 1, before.seq + 1 + len(events)))
    assert book.seq == before.seq + len(events)
    trade_ids = [e.filled for e in events if e.kind == EventKind.TRADE]
    assert trade_ids == list(range(before.trade_id + 1, before.trade_id + 1 + len(trade_ids)))
    assert book.trade_id == before.trade_id + len(trade_ids)
    _check_fills(before.orders, events)
    _check_price_time_priority(before.resting, events)
    _check_fifo_kept(before.resting, resting_orders(book), events)
    check_book(book)


def _check_fills(before: list[OrderState], events: list[Event]) -> None:
    orig = {o.order_id: o.orig_qty for o in before}
    filled = {o.order_id: o.filled_qty for o in before}
    for e in events:
        if e.kind == EventKind.ACCEPTED:
            orig[e.order_id], filled[e.order_id] = e.qty, 0  # qty 0 for a quote order
        elif e.kind == EventKind.AMENDED:
            assert e.filled == filled[e.order_id], e
            orig[e.order_id] = e.qty + e.filled
        elif e.kind == EventKind.TRADE:
            assert e.qty > 0 and e.price > 0, e
            filled[e.order_id] += e.qty
            filled[e.maker_order_id] += e.qty
        elif e.kind == EventKind.ORDER:
            assert e.filled == filled[e.order_id], f"filled of {e} != sum of its trades"
            if orig[e.order_id] != 0:
                assert e.qty + e.filled == orig[e.order_id], f"leaves + filled != orig in {e}"
        elif e.kind == EventKind.TRIGGERED:
            assert e.qty == orig[e.order_id] - filled[e.order_id], e


def _priority_key(o: OrderState, position: int) -> tuple[int, int]:
    return (-o.price if o.side == Side.BUY else o.price, position)


def _check_price_time_priority(before: list[OrderState], events: list[Event]) -> None:
    """A maker that was resting before the command trades only after everything ahead of it left."""
    resting = {o.order_id: (o, i) for i, o in enumerate(before)}
    gone: set[int] = set()
    taker_limit: dict[int, int] = {}
    for e in events:
        if e.kind in (EventKind.ACCEPTED, EventKind.TRIGGERED, EventKind.AMENDED):
            taker_limit[e.order_id] = e.price  # 0 = market
            # it (re)enters the book as a new order: no longer one of the orders resting before
            resting.pop(e.order_id, None)
            gone.discard(e.order_id)
        elif e.kind == EventKind.ORDER and e.code in TERMINAL:
            gone.add(e.order_id)
        elif e.kind == EventKind.TRADE:
            limit = taker_limit.get(e.order_id, 0)
            if limit:
                assert (e.price <= limit) if e.side == Side.BUY else (e.price >= limit), f"{e} beyond limit {limit}"
            assert e.maker_order_id not in gone, f"{e}: maker already left the book"
            if e.maker_order_id in resting:
                maker, position = resting[e.maker_order_id]
                ahead = [oid for oid, (o, i) in resting.items()
                         if o.side == maker.side and oid not in gone
                         and _priority_key(o, i) < _priority_key(maker, position)]
                assert not ahead, f"{e} filled maker {maker.order_id} ahead of {ahead}"


def _check_fifo_kept(before: list[OrderState], after: list[OrderState], events: list[Event]) -> None:
    """Orders that stayed at their level keep their order and stay ahead of newcomers."""
    requeued = set()
    old = {o.order_id: o for o in before}
    for e in events:
        if e.kind == EventKind.AMENDED:
            o = old.get(e.order_id)
            keeps = o is not None and e.price == o.price and e.qty + e.filled < o.orig_qty
            if not keeps:
                requeued.add(e.order_id)
        elif e.kind == EventKind.ACCEPTED:  # an id reused by a replace is a new order
            requeued.add(e.order_id)
    level_before: dict[tuple[int, int], list[int]] = defaultdict(list)
    for o in before:
        level_before[(o.side, o.price)].append(o.order_id)
    level_after: dict[tuple[int, int], list[int]] = defaultdict(list)
    for o in after:
        level_after[(o.side, o.price)].append(o.order_id)
    for key, ids in level_after.items():
        stayed = [i for i in level_before.get(key, []) if i in ids and i not in requeued]
        assert ids[: len(stayed)] == stayed, f"level {key}: {ids} does not start with {stayed}"
