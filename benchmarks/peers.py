"""Thin adapters that replay a workload on the two PyPI peer books.

Both peers know price-time limit orders, market orders and cancels, but no users, no STP, no
tick/lot grids, no events and no order ids of ours. What each adapter maps, and how:

`liquibook` 2.0.1 (SWIG wrapper of C++ LiquiBook; `liquibook_book_OrderBook` of shared_ptr
`SimpleOrder`, the plain book: the `DepthOrderBook` variant also maintains 5 depth levels and
was ~12% slower in a quick check):
- LIMIT GTC: `SimpleOrder(is_buy, price, qty)` then `book.add(order)`. LiquiBook numbers its
  orders itself, and cancels by order object, so the adapter keeps `our id -> SimpleOrder`
  for GTC limits (IOC and MARKET orders never rest and are not kept).
- LIMIT IOC: the same with `oc_immediate_or_cancel`.
- MARKET by qty: price 0 (LiquiBook's MARKET_ORDER_PRICE) with `oc_immediate_or_cancel`
  (a LiquiBook market order without IOC would rest).
- CANCEL: `book.cancel(order)` (LiquiBook scans the order's price level to find it); an id we
  never kept is a no-op, as our engine's REJECTED(UNKNOWN_ORDER) changes nothing.
- Cannot express: MARKET by quote amount, FOK with our semantics (its AON differs), STP,
  LIMIT_MAKER, stop types as ours, AMEND/REPLACE with keep-priority rules; no event stream
  (callbacks exist, but this adapter installs no listener, so the peer does less work than
  our engine, which always emits events).

`limit-order-book` 2.0.0 (Kautenja's C++ book through ctypes; the adapter calls the ctypes
functions `Library.functions.*` directly, skipping the package's one-line Python wrappers):
- LIMIT GTC: `limit(book, is_buy, id, qty, price)`.
- LIMIT IOC: no such order type: `limit` then, if the remainder rests (`has(id)`), `cancel(id)`
  in the same step. The final book is the same; the cost is up to two extra ctypes calls.
- MARKET by qty: `market(book, is_buy, id, qty)`.
- CANCEL: `cancel` on an id the book does not hold aborts the process (std::out_of_range
  through ctypes), so the adapter asks `has(id)` first.
- Cannot express: quote orders, FOK, STP, LIMIT_MAKER, stops, amend/replace; quantities and
  volumes are uint32 (the workloads stay far below 2**32); no fills are reported at all.
  State is observable only as counts, best prices and volumes per price (no order iteration),
  so its check is: the same set of resting ids and the same aggregated quantity per level.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from benchmarks.engines import Engine, Unsupported, assert_same_resting
from benchmarks.expected import RESTING_DTYPE, Expected
from engine_ext.codes import CommandOp, OrderType, Side, TimeInForce
from engine_ext.workload import Workload

_SUBMIT, _CANCEL = int(CommandOp.SUBMIT), int(CommandOp.CANCEL)
_LIMIT, _MARKET = int(OrderType.LIMIT), int(OrderType.MARKET)
_GTC, _IOC = int(TimeInForce.GTC), int(TimeInForce.IOC)
_BUY = int(Side.BUY)

# the adapters' own opcodes
GTC, IOC, MARKET, CANCEL = 0, 1, 2, 3


def peer_commands(commands: np.ndarray) -> list[tuple[int, int, bool, int, int]]:
    """`(kind, order_id, is_buy, price, qty)` per command, or Unsupported."""
    op = commands["op"]
    submit = op == _SUBMIT
    if not np.all(submit | (op == _CANCEL)):
        raise Unsupported("only SUBMIT and CANCEL")
    if np.any(commands["stp"][submit] != 0) or np.any(commands["quote_qty"] != 0) or np.any(
        commands["stop_price"] != 0
    ):
        raise Unsupported("STP, quote quantities and stops")
    otype, tif = commands["order_type"], commands["tif"]
    kind = np.full(len(commands), -1, dtype=np.int64)
    kind[submit & (otype == _LIMIT) & (tif == _GTC)] = GTC
    kind[submit & (otype == _LIMIT) & (tif == _IOC)] = IOC
    kind[submit & (otype == _MARKET)] = MARKET
    kind[op == _CANCEL] = CANCEL
    if np.any(kind < 0):
        raise Unsupported("only LIMIT GTC/IOC and MARKET by quantity")
    if np.any(commands["qty"] >= 2**32):
        raise Unsupported("quantities must fit uint32")
    return list(zip(kind.tolist(), commands["order_id"].tolist(), (commands["side"] == _BUY).tolist(),
                    commands["price"].tolist(), commands["qty"].tolist(), strict=True))


class LiquibookReplay(Engine):
    name = "liquibook"
    label = "liquibook 2.0.1 (C++, SWIG)"

    @classmethod
    def unavailable(cls) -> str | None:
        try:
            import liquibook  # noqa: F401
        except ImportError as exc:
            return f"liquibook not installed ({exc})"
        return None

    def prepare(self, commands: np.ndarray) -> Any:
        return peer_commands(commands)

    def new_book(self, workload: Workload, setup: Any) -> Any:
        import liquibook

        book = _LiquibookState(liquibook.liquibook_book_OrderBook(), {})
        self.run(book, setup)
        return book

    def run(self, book: Any, prepared: Any) -> Any:
        import liquibook

        order_type = liquibook.SimpleOrder
        ioc = liquibook.oc_immediate_or_cancel
        add, cancel, kept = book.book.add, book.book.cancel, book.orders
        for kind, order_id, is_buy, price, qty in prepared:
            if kind == GTC:
                order = order_type(is_buy, price, qty)
                kept[order_id] = order
                add(order)
            elif kind == CANCEL:
                order = kept.pop(order_id, None)
                if order is not None:
                    cancel(order)
            else:  # IOC limit, or MARKET at LiquiBook's market price 0
                add(order_type(is_buy, price if kind == IOC else 0, qty, 0, ioc), ioc)

    def check(self, book: Any, result: Any, workload: Workload, expected: Expected) -> None:
        ours = {order.order_id_: order_id for order_id, order in book.orders.items()}
        rows = []
        for side, trackers in ((int(Side.BUY), book.book.bids()), (int(Side.SELL), book.book.asks())):
            for price, tracker in trackers.items():
                rows.append((ours[tracker.ptr().order_id_], side, price.price(), tracker.open_qty()))
        assert_same_resting(np.array(rows, dtype=RESTING_DTYPE), expected, self.name)


class _LiquibookState:
    __slots__ = ("book", "orders")

    def __init__(self, book: Any, orders: dict[int, Any]) -> None:
        self.book = book
        self.orders = orders


class LimitOrderBookReplay(Engine):
    name = "limit-order-book"
    label = "limit-order-book 2.0.0 (C++, ctypes)"

    @classmethod
    def unavailable(cls) -> str | None:
        try:
            import limit_order_book  # noqa: F401
        except ImportError as exc:
            return f"limit-order-book not installed ({exc})"
        return None

    def prepare(self, commands: np.ndarray) -> Any:
        return peer_commands(commands)

    def new_book(self, workload: Workload, setup: Any) -> Any:
        from limit_order_book import LimitOrderBook

        book = LimitOrderBook()
        self.run(book, setup)
        return book

    def run(self, book: Any, prepared: Any) -> Any:
        from limit_order_book.library import Library

        lib = Library.functions
        limit, market, cancel, has, handle = lib.limit, lib.market, lib.cancel, lib.has, book._book
        for kind, order_id, is_buy, price, qty in prepared:
            if kind == GTC:
                limit(handle, is_buy, order_id, qty, price)
            elif kind == CANCEL:
                if has(handle, order_id):
                    cancel(handle, order_id)
            elif kind == MARKET:
                market(handle, is_buy, order_id, qty)
            else:  # IOC: rest, then cancel what is left
                limit(handle, is_buy, order_id, qty, price)
                if has(handle, order_id):
                    cancel(handle, order_id)

    def check(self, book: Any, result: Any, workload: Workload, expected: Expected) -> None:
        name = self.name
        assert book.count() == len(expected.resting), f"{name}: {book.count()} resting != {len(expected.resting)}"
        missing = [oid for oid in expected.resting["order_id"].tolist() if not book.has(oid)]
        assert not missing, f"{name}: {len(missing)} expected resting orders missing, e.g. {missing[:3]}"
        for side, count, best, volume_at in (
            (Side.BUY, book.count_buy(), book.best_buy(), book.volume_buy),
            (Side.SELL, book.count_sell(), book.best_sell(), book.volume_sell),
        ):
            rows = expected.side(side)
            assert count == len(rows), f"{name}: {count} {side.name} orders != {len(rows)}"
            want_best = expected.best(side)
            assert best == (want_best[0] if want_best else 0), f"{name}: best {side.name} {best} != {want_best}"
            assert volume_at() == int(rows["leaves"].sum()), f"{name}: {side.name} volume"
            prices, totals = expected.levels(side)
            got = [volume_at(p) for p in prices.tolist()]
            bad = np.flatnonzero(np.array(got, dtype=np.int64) != totals)
            assert not len(bad), f"{name}: {side.name} level {prices[bad[0]]} holds {got[bad[0]]} != {totals[bad[0]]}"
