"""The obviously-correct order book: the contract of docs/engine.md in plain Python.

Tests use it as the oracle the compiled book (`engine_ext.book`) is compared against, event for
event. Clarity wins over speed everywhere: levels are deques scanned in full, aggregates are
recomputed by summing, and every rule of the contract is one visible `if`.

The finer points of the contract (decided while the two books were written, now in
docs/engine.md) are cited next to the code that implements them.
"""

from __future__ import annotations

import bisect
import hashlib
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from engine_ext.codes import (
    CommandOp,
    EventKind,
    OrderStatus,
    OrderType,
    RejectReason,
    SelfTradePrevention,
    Side,
    TimeInForce,
)
from engine_ext.events import COMMAND_DTYPE, EVENT_DTYPE, Event, OrderState
from engine_ext.snapshot import read_header, read_snapshot, write_snapshot

MAX_VALUE = 2**62
INT64_MAX = 2**63 - 1

_SIDES = frozenset(int(v) for v in Side)
_TYPES = frozenset(int(v) for v in OrderType)
_TIFS = frozenset(int(v) for v in TimeInForce)
_STPS = frozenset(int(v) for v in SelfTradePrevention)

BUY, SELL = int(Side.BUY), int(Side.SELL)
LIMIT = int(OrderType.LIMIT)
MARKET = int(OrderType.MARKET)
LIMIT_MAKER = int(OrderType.LIMIT_MAKER)
STOP_LOSS = int(OrderType.STOP_LOSS)
STOP_LOSS_LIMIT = int(OrderType.STOP_LOSS_LIMIT)
TAKE_PROFIT = int(OrderType.TAKE_PROFIT)
TAKE_PROFIT_LIMIT = int(OrderType.TAKE_PROFIT_LIMIT)
GTC, IOC, FOK = int(TimeInForce.GTC), int(TimeInForce.IOC), int(TimeInForce.FOK)
STP_NONE = int(SelfTradePrevention.NONE)
EXPIRE_TAKER = int(SelfTradePrevention.EXPIRE_TAKER)
EXPIRE_MAKER = int(SelfTradePrevention.EXPIRE_MAKER)
EXPIRE_BOTH = int(SelfTradePrevention.EXPIRE_BOTH)

LIMIT_PRICED_TYPES = frozenset({LIMIT, LIMIT_MAKER, STOP_LOSS_LIMIT, TAKE_PROFIT_LIMIT})
"""Types that carry a limit price."""
MARKET_PRICED_TYPES = frozenset({MARKET, STOP_LOSS, TAKE_PROFIT})
"""Types with no limit price; the only ones that take a funds `cap`."""
STOP_TYPES = frozenset({STOP_LOSS, STOP_LOSS_LIMIT, TAKE_PROFIT, TAKE_PROFIT_LIMIT})
TIF_READING_TYPES = frozenset({LIMIT, STOP_LOSS_LIMIT, TAKE_PROFIT_LIMIT})

# Why a taker's walk over the opposite side ended (steps 5 and 6 of SUBMIT).
_BOOK_RAN_OUT = "book ran out"  # no maker left at an acceptable price
_SIZE = "stopped by size"
_CAP = "stopped by cap"
_STP = "stopped by self-trade prevention"


@dataclass(slots=True)
class _Order:
    order_id: int
    user_id: int
    side: int
    order_type: int
    tif: int
    stp: int
    price: int
    stop_price: int
    orig_qty: int
    filled_qty: int
    cap: int

    @property
    def leaves(self) -> int:
        return self.orig_qty - self.filled_qty

    def state(self) -> OrderState:
        return OrderState(
            self.order_id, self.user_id, self.side, self.order_type, self.tif, self.stp,
            self.price, self.stop_price, self.orig_qty, self.filled_qty, self.cap,
        )


class _BookSide:
    """One side of the book: price -> FIFO of orders, plus the prices kept sorted ascending."""

    def __init__(self, side: int) -> None:
        self.side = side
        self.levels: dict[int, deque[_Order]] = {}
        self.prices: list[int] = []

    def prices_best_first(self) -> list[int]:
        return list(reversed(self.prices)) if self.side == BUY else list(self.prices)

    def best_price(self) -> int | None:
        if not self.prices:
            return None
        return self.prices[-1] if self.side == BUY else self.prices[0]

    def orders_in_priority(self) -> Iterator[_Order]:
        for price in self.prices_best_first():
            yield from self.levels[price]

    def best_order(self) -> _Order | None:
        price = self.best_price()
        return None if price is None else self.levels[price][0]

    def level_qty(self, price: int) -> int:
        return sum(order.leaves for order in self.levels.get(price, ()))

    def level_count(self, price: int) -> int:
        return len(self.levels.get(price, ()))

    def append(self, order: _Order) -> None:
        if order.price not in self.levels:
            self.levels[order.price] = deque()
            bisect.insort(self.prices, order.price)
        self.levels[order.price].append(order)

    def remove(self, order: _Order) -> None:
        level = self.levels[order.price]
        level.remove(order)
        if not level:
            del self.levels[order.price]
            self.prices.remove(order.price)


def _in_range(value: int) -> bool:
    return 1 <= value <= MAX_VALUE


class OrderBook:
    """One symbol's book: single-threaded, deterministic, integers only (docs/engine.md)."""

    def __init__(self, tick_size: int = 1, lot_size: int = 1) -> None:
        if not (_in_range(tick_size) and _in_range(lot_size)):
            raise ValueError(f"tick_size and lot_size must be in 1..2**62, not {tick_size}, {lot_size}")
        self._tick_size = int(tick_size)
        self._lot_size = int(lot_size)
        self._seq = 0
        self._last_price = 0
        self._trade_id = 0
        self._seq_trade_ids = False  # restored from OBK1: trades take the old rule (id = seq)
        self._sides = (_BookSide(BUY), _BookSide(SELL))
        self._live: dict[int, _Order] = {}  # every resting order and pending stop, by id
        self._pending: dict[int, _Order] = {}  # pending stops, in placement order
        self._events: list[Event] = []

    # -- PROPERTIES --

    @property
    def tick_size(self) -> int:
        return self._tick_size

    @property
    def lot_size(self) -> int:
        return self._lot_size

    @property
    def seq(self) -> int:
        return self._seq

    @property
    def last_price(self) -> int:
        return self._last_price

    @property
    def trade_id(self) -> int:
        return self._trade_id

    @property
    def seq_trade_ids(self) -> bool:
        return self._seq_trade_ids

    def continue_trade_ids(self) -> None:
        if self._seq_trade_ids:
            self._trade_id, self._seq_trade_ids = self._seq, False

    # -- COMMANDS --

    def submit(self, order_id: int, user_id: int, side: int, order_type: int, tif: int, price: int,
               qty: int, quote_qty: int = 0, stop_price: int = 0, stp: int = STP_NONE,
               cap: int = 0) -> int:
        self._events = []
        self._submit(int(order_id), int(user_id), int(side), int(order_type), int(tif), int(price),
                     int(qty), int(quote_qty), int(stop_price), int(stp), int(cap))
        self._run_stop_cascade()
        return len(self._events)

    def cancel(self, order_id: int) -> int:
        self._events = []
        order = self._live.get(int(order_id))
        if order is None:
            self._emit_reject(int(order_id), 0, 0, RejectReason.UNKNOWN_ORDER)
        else:
            self._cancel(order)
        self._run_stop_cascade()
        return len(self._events)

    def amend(self, order_id: int, new_price: int, new_qty: int) -> int:
        self._events = []
        self._amend(int(order_id), int(new_price), int(new_qty))
        self._run_stop_cascade()
        return len(self._events)

    def reduce(self, order_id: int, new_qty: int) -> int:
        self._events = []
        order_id, new_qty = int(order_id), int(new_qty)
        order = self._live.get(order_id)
        price = order.price if order is not None else 0
        reason = self._amend_reject_reason(order, price, new_qty)
        if reason is None and order is not None and new_qty >= order.orig_qty:
            reason = RejectReason.INVALID_QUANTITY
        if reason is not None:
            self._emit_reject(order_id, 0, 0, reason)
        else:
            self._amend(order_id, price, new_qty)
        self._run_stop_cascade()
        return len(self._events)

    def replace(self, target_id: int, order_id: int, user_id: int, side: int, order_type: int,
                tif: int, price: int, qty: int, quote_qty: int = 0, stop_price: int = 0,
                stp: int = STP_NONE, cap: int = 0) -> int:
        self._events = []
        target = self._live.get(int(target_id))
        if target is None:
            # The table's "0 for cancel/amend" does not cover replace: user and side are the
            # replace command's own (docs/engine.md).
            self._emit_reject(int(target_id), int(user_id), int(side), RejectReason.UNKNOWN_ORDER)
        else:
            self._cancel(target)
            self._submit(int(order_id), int(user_id), int(side), int(order_type), int(tif),
                         int(price), int(qty), int(quote_qty), int(stop_price), int(stp), int(cap))
        self._run_stop_cascade()
        return len(self._events)

    def apply_batch(self, commands: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if commands.dtype != COMMAND_DTYPE:
            raise TypeError(f"commands must be a COMMAND_DTYPE array, not {commands.dtype}")
        rows = commands.tolist()
        names = COMMAND_DTYPE.names
        assert names is not None
        ops = {int(op) for op in CommandOp}
        for i, row in enumerate(rows):
            if row[0] not in ops:  # refused before anything is applied
                raise ValueError(f"commands[{i}].op is {row[0]}, not a CommandOp")
        all_events: list[Event] = []
        ends: list[int] = []
        self._events = []
        for row in rows:
            c = dict(zip(names, row, strict=True))
            op = c["op"]
            order_fields = (c["order_id"], c["user_id"], c["side"], c["order_type"], c["tif"],
                            c["price"], c["qty"], c["quote_qty"], c["stop_price"], c["stp"], c["cap"])
            if op == CommandOp.SUBMIT:
                self.submit(*order_fields)
            elif op == CommandOp.CANCEL:
                self.cancel(c["order_id"])
            elif op == CommandOp.AMEND:
                self.amend(c["order_id"], c["price"], c["qty"])
            elif op == CommandOp.REDUCE:
                self.reduce(c["order_id"], c["qty"])
            else:
                self.replace(c["target_id"], *order_fields)
            all_events.extend(self._events)
            ends.append(len(all_events))
        events = np.zeros(len(all_events), dtype=EVENT_DTYPE)
        for name in Event._fields:
            events[name] = [getattr(e, name) for e in all_events]
        return events, np.array(ends, dtype=np.int64)

    # -- QUERIES --

    def last_events(self) -> list[Event]:
        return list(self._events)

    def best_bid(self) -> tuple[int, int] | None:
        return self._best(self._sides[BUY])

    def best_ask(self) -> tuple[int, int] | None:
        return self._best(self._sides[SELL])

    def depth(self, n: int) -> tuple[list[tuple[int, int, int]], list[tuple[int, int, int]]]:
        if n < 0:
            raise ValueError(f"depth needs n >= 0, not {n}")

        def levels(book_side: _BookSide) -> list[tuple[int, int, int]]:
            prices = book_side.prices_best_first()[:n]
            return [(p, book_side.level_qty(p), book_side.level_count(p)) for p in prices]

        return levels(self._sides[BUY]), levels(self._sides[SELL])

    def get_order(self, order_id: int) -> OrderState | None:
        order = self._live.get(int(order_id))
        return None if order is None else order.state()

    def orders(self) -> list[OrderState]:
        return [order.state() for order in self._orders_in_snapshot_order()]

    def snapshot(self) -> bytes:
        resting = [o.state() for side in (BUY, SELL) for o in self._sides[side].orders_in_priority()]
        stops = [o.state() for o in self._pending.values()]
        trade_id = self._seq if self._seq_trade_ids else self._trade_id
        return write_snapshot(self._tick_size, self._lot_size, self._seq, self._last_price, trade_id, resting, stops)

    @classmethod
    def restore(cls, data: bytes) -> OrderBook:
        contents = read_snapshot(data)
        book = cls(contents.tick_size, contents.lot_size)
        book._seq = contents.seq
        book._last_price = contents.last_price
        book._trade_id = contents.trade_id
        # An OBK1 book's trades keep the old rule (id = seq) until continue_trade_ids(), then
        # count on from seq, above every id already published.
        book._seq_trade_ids = read_header(data).old_trade_ids
        for state, resting in [(o, True) for o in contents.resting] + [(o, False) for o in contents.stops]:
            order = _Order(*state)
            book._live[order.order_id] = order
            if resting:
                book._sides[order.side].append(order)
            else:
                book._pending[order.order_id] = order
        return book

    def state_hash(self) -> bytes:
        return hashlib.blake2b(self.snapshot(), digest_size=16).digest()

    # -- SUBMIT --

    def _submit(self, order_id: int, user_id: int, side: int, order_type: int, tif: int, price: int,
                qty: int, quote_qty: int, stop_price: int, stp: int, cap: int) -> None:
        reason = self._submit_reject_reason(order_id, user_id, side, order_type, tif, price, qty,
                                            quote_qty, stop_price, stp, cap)
        if reason is not None:
            self._emit_reject(order_id, user_id, side, reason)
            return
        order = _Order(order_id, user_id, side, order_type, tif, stp, price, stop_price, qty, 0, cap)
        self._emit(EventKind.ACCEPTED, order_id=order_id, user_id=user_id, side=side,
                   code=order_type, price=price, qty=qty)
        self._live[order_id] = order
        if order_type in STOP_TYPES:
            self._pending[order_id] = order
            return
        if order_type == MARKET:
            self._take(order, quote_qty=quote_qty, is_market=True, tif=IOC)
        elif order_type == LIMIT_MAKER:
            self._take(order, quote_qty=0, is_market=False, tif=GTC)  # its TIF is ignored
        else:
            self._take(order, quote_qty=0, is_market=False, tif=tif)

    def _submit_reject_reason(self, order_id: int, user_id: int, side: int, order_type: int,
                              tif: int, price: int, qty: int, quote_qty: int, stop_price: int,
                              stp: int, cap: int) -> RejectReason | None:
        if side not in _SIDES or order_type not in _TYPES or tif not in _TIFS or stp not in _STPS:
            return RejectReason.INVALID_ORDER
        if order_id <= 0 or user_id < 0:
            return RejectReason.INVALID_ORDER
        if order_type == MARKET:
            if (qty != 0) == (quote_qty != 0):
                return RejectReason.INVALID_ORDER
        elif quote_qty != 0:
            return RejectReason.INVALID_ORDER
        if order_type not in MARKET_PRICED_TYPES and cap != 0:
            return RejectReason.INVALID_ORDER

        if quote_qty != 0:
            # quote_qty is notional, so it is not on the lot grid (docs/engine.md).
            if not _in_range(quote_qty):
                return RejectReason.INVALID_QUANTITY
        elif not (_in_range(qty) and qty % self._lot_size == 0):
            return RejectReason.INVALID_QUANTITY
        if cap != 0 and not (_in_range(cap) and (side == BUY or cap % self._lot_size == 0)):
            return RejectReason.INVALID_QUANTITY

        if order_type in LIMIT_PRICED_TYPES:
            if not self._on_tick_grid(price):
                return RejectReason.INVALID_PRICE
        elif price != 0:
            return RejectReason.INVALID_PRICE

        if order_type in STOP_TYPES:
            if not self._on_tick_grid(stop_price):
                return RejectReason.INVALID_STOP_PRICE
        elif stop_price != 0:
            return RejectReason.INVALID_STOP_PRICE

        if order_id in self._live:
            return RejectReason.DUPLICATE_ORDER_ID

        if order_type in LIMIT_PRICED_TYPES and price * qty > INT64_MAX:
            return RejectReason.OVERFLOW
        # Only the orders that can rest straight away (docs/engine.md).
        may_rest_now = order_type == LIMIT_MAKER or (order_type == LIMIT and tif == GTC)
        if may_rest_now and self._sides[side].level_qty(price) + qty > INT64_MAX:
            return RejectReason.OVERFLOW

        if order_type == LIMIT_MAKER and self._would_take(side, price):
            return RejectReason.WOULD_TAKE
        if order_type in STOP_TYPES and self._stop_condition_holds(order_type, side, stop_price):
            return RejectReason.WOULD_TRIGGER_IMMEDIATELY
        if order_type == MARKET and cap != 0 and not self._cap_pays_the_walk(side, user_id, stp, qty, quote_qty, cap):
            return RejectReason.INSUFFICIENT_FUNDS
        return None

    def _cap_pays_the_walk(self, side: int, user_id: int, stp: int, qty: int, quote_qty: int, cap: int) -> bool:
        """A MARKET order is all or nothing on its funds: False when _match would stop because
        the cap is spent while the book still offers what the order asks for (size before cap,
        cap before self-trade prevention, rooms in whole lots, as _match walks)."""
        need, quote_left, cap_left, lot = qty, quote_qty, cap, self._lot_size
        for maker in self._sides[1 - side].orders_in_priority():
            if (quote_left == 0) if quote_qty != 0 else (need == 0):
                return True
            if cap_left == 0:
                return False
            if stp != STP_NONE and maker.user_id == user_id:
                if stp == EXPIRE_MAKER:
                    continue
                return True
            size_room = quote_left // maker.price // lot * lot if quote_qty != 0 else need
            if size_room == 0:
                return True
            q = min(maker.leaves, size_room)
            cap_room = cap_left // maker.price // lot * lot if side == BUY else cap_left
            if cap_room < q:
                return False
            cap_left -= maker.price * q if side == BUY else q
            if quote_qty != 0:
                quote_left -= maker.price * q
            else:
                need -= q
        return True

    def _on_tick_grid(self, price: int) -> bool:
        return _in_range(price) and price % self._tick_size == 0

    def _would_take(self, side: int, price: int) -> bool:
        best_opposite = self._sides[1 - side].best_price()
        if best_opposite is None:
            return False
        return price >= best_opposite if side == BUY else price <= best_opposite

    def _stop_condition_holds(self, order_type: int, side: int, stop_price: int) -> bool:
        last = self._last_price
        if last == 0:
            return False
        if order_type in (STOP_LOSS, STOP_LOSS_LIMIT):
            return last >= stop_price if side == BUY else last <= stop_price
        return last <= stop_price if side == BUY else last >= stop_price

    # -- MATCHING (steps 4 to 6 of SUBMIT) --

    def _take(self, taker: _Order, *, quote_qty: int, is_market: bool, tif: int,
              check_fok: bool = True) -> None:
        """Runs `taker` (already in `_live`, not resting) against the opposite side."""
        if check_fok and tif == FOK and not self._can_fill_completely(taker, is_market):
            self._emit_order(taker, OrderStatus.EXPIRED)
            del self._live[taker.order_id]
            return
        filled_before = taker.filled_qty
        ended_by = self._match(taker, quote_qty=quote_qty, is_market=is_market)
        status = self._final_status(taker, ended_by, quote_qty=quote_qty, is_market=is_market, tif=tif)
        if status is None:
            if taker.filled_qty > filled_before:
                self._emit_order(taker, OrderStatus.PARTIALLY_FILLED)
            self._sides[taker.side].append(taker)
            self._emit_level(taker.side, taker.price)
        else:
            self._emit_order(taker, status, leaves=0 if quote_qty != 0 else None)
            del self._live[taker.order_id]

    def _final_status(self, taker: _Order, ended_by: str, *, quote_qty: int, is_market: bool,
                      tif: int) -> OrderStatus | None:
        """Step 6: how the taker ends, or None when it rests."""
        if quote_qty != 0:
            if ended_by == _STP:
                return OrderStatus.EXPIRED_IN_MATCH
            if ended_by == _SIZE and taker.filled_qty > 0:
                return OrderStatus.FILLED
            return OrderStatus.EXPIRED  # the book ran out, the cap stopped it, or nothing filled
        if taker.leaves == 0:
            return OrderStatus.FILLED
        if ended_by == _STP:
            return OrderStatus.EXPIRED_IN_MATCH
        if is_market or tif != GTC:
            return OrderStatus.EXPIRED
        if self._sides[taker.side].level_qty(taker.price) + taker.leaves > INT64_MAX:
            # Only a triggered *_LIMIT can get here: every other order that may rest had its
            # level checked before it was accepted (docs/engine.md).
            return OrderStatus.EXPIRED
        return None

    def _is_self_trade(self, taker: _Order, maker: _Order) -> bool:
        return taker.stp != STP_NONE and taker.user_id == maker.user_id

    def _acceptable(self, taker: _Order, is_market: bool, maker_price: int) -> bool:
        if is_market:
            return True
        return maker_price <= taker.price if taker.side == BUY else maker_price >= taker.price

    def _can_fill_completely(self, taker: _Order, is_market: bool) -> bool:
        needed = taker.leaves
        for maker in self._sides[1 - taker.side].orders_in_priority():
            if not self._acceptable(taker, is_market, maker.price):
                return False
            if self._is_self_trade(taker, maker):
                if taker.stp == EXPIRE_MAKER:
                    continue
                return False
            needed -= maker.leaves
            if needed <= 0:
                return True
        return False

    def _match(self, taker: _Order, *, quote_qty: int, is_market: bool) -> str:
        """Step 5: walks the opposite side; returns why the walk ended."""
        lot = self._lot_size
        opposite = self._sides[1 - taker.side]
        quote_left = quote_qty
        cap_left = taker.cap
        while True:
            # A taker with nothing left stops before looking at the next maker, so STP never
            # acts on a maker it could not trade with anyway; size wins over cap when both are
            # used up (docs/engine.md).
            if (quote_left == 0) if quote_qty != 0 else (taker.leaves == 0):
                return _SIZE
            if taker.cap != 0 and cap_left == 0:
                return _CAP
            maker = opposite.best_order()
            if maker is None or not self._acceptable(taker, is_market, maker.price):
                return _BOOK_RAN_OUT

            if self._is_self_trade(taker, maker):
                if taker.stp in (EXPIRE_MAKER, EXPIRE_BOTH):
                    self._expire_maker(maker)
                if taker.stp == EXPIRE_MAKER:
                    continue
                return _STP

            size_room = quote_left // maker.price // lot * lot if quote_qty != 0 else taker.leaves
            if taker.cap == 0:
                cap_room = size_room
            elif taker.side == BUY:
                cap_room = cap_left // maker.price // lot * lot
            else:
                cap_room = cap_left
            if size_room == 0:
                return _SIZE
            if cap_room == 0:
                return _CAP

            q = min(maker.leaves, size_room, cap_room)
            notional = q * maker.price
            maker.filled_qty += q
            taker.filled_qty += q
            quote_left -= notional if quote_qty != 0 else 0
            if taker.cap != 0:
                cap_left -= notional if taker.side == BUY else q
            self._last_price = maker.price
            if not self._seq_trade_ids:
                self._trade_id += 1
            self._emit(EventKind.TRADE, order_id=taker.order_id, user_id=taker.user_id,
                       maker_order_id=maker.order_id, maker_user_id=maker.user_id,
                       price=maker.price, qty=q, filled=0 if self._seq_trade_ids else self._trade_id,
                       side=taker.side)
            if maker.leaves == 0:
                opposite.remove(maker)
                del self._live[maker.order_id]
                self._emit_order(maker, OrderStatus.FILLED)
            else:
                self._emit_order(maker, OrderStatus.PARTIALLY_FILLED)
            self._emit_level(maker.side, maker.price)

    def _expire_maker(self, maker: _Order) -> None:
        self._sides[maker.side].remove(maker)
        del self._live[maker.order_id]
        self._emit_order(maker, OrderStatus.EXPIRED_IN_MATCH)
        self._emit_level(maker.side, maker.price)

    # -- STOP CASCADE (step 7 of SUBMIT) --

    def _run_stop_cascade(self) -> None:
        while True:
            triggered = next(
                (stop for stop in self._pending.values()
                 if self._stop_condition_holds(stop.order_type, stop.side, stop.stop_price)),
                None,
            )
            if triggered is None:
                return
            del self._pending[triggered.order_id]
            self._emit(EventKind.TRIGGERED, order_id=triggered.order_id, user_id=triggered.user_id,
                       side=triggered.side, code=triggered.order_type, price=triggered.price,
                       qty=triggered.leaves)
            if triggered.order_type in MARKET_PRICED_TYPES:
                self._take(triggered, quote_qty=0, is_market=True, tif=IOC)
            else:
                self._take(triggered, quote_qty=0, is_market=False, tif=triggered.tif)

    # -- CANCEL AND AMEND --

    def _cancel(self, order: _Order) -> None:
        del self._live[order.order_id]
        if order.order_id in self._pending:
            del self._pending[order.order_id]
            self._emit_order(order, OrderStatus.CANCELED)
        else:
            self._sides[order.side].remove(order)
            self._emit_order(order, OrderStatus.CANCELED)
            self._emit_level(order.side, order.price)

    def _amend(self, order_id: int, new_price: int, new_qty: int) -> None:
        order = self._live.get(order_id)
        reason = self._amend_reject_reason(order, new_price, new_qty)
        if reason is not None:
            self._emit_reject(order_id, 0, 0, reason)
            return
        assert order is not None
        keeps_priority = new_price == order.price and new_qty < order.orig_qty
        order.orig_qty = new_qty
        if keeps_priority:
            self._emit_amended(order)
            self._emit_level(order.side, order.price)
            return
        old_price = order.price
        self._sides[order.side].remove(order)
        order.price = new_price
        self._emit_amended(order)
        self._emit_level(order.side, old_price)
        self._take(order, quote_qty=0, is_market=False, tif=GTC, check_fok=False)

    def _amend_reject_reason(self, order: _Order | None, new_price: int,
                             new_qty: int) -> RejectReason | None:
        if order is None:
            return RejectReason.UNKNOWN_ORDER
        if order.order_id in self._pending:
            return RejectReason.NOT_AMENDABLE
        if not (_in_range(new_qty) and new_qty % self._lot_size == 0) or new_qty <= order.filled_qty:
            return RejectReason.INVALID_QUANTITY
        if not self._on_tick_grid(new_price):
            return RejectReason.INVALID_PRICE
        if new_price * new_qty > INT64_MAX:
            return RejectReason.OVERFLOW
        # The level it would rest in, without itself (docs/engine.md).
        level_without_it = self._sides[order.side].level_qty(new_price)
        if new_price == order.price:
            level_without_it -= order.leaves
        if level_without_it + (new_qty - order.filled_qty) > INT64_MAX:
            return RejectReason.OVERFLOW
        if order.order_type == LIMIT_MAKER and self._would_take(order.side, new_price):
            return RejectReason.WOULD_TAKE
        return None

    # -- EVENTS --

    def _emit(self, kind: int, *, order_id: int = 0, user_id: int = 0, maker_order_id: int = 0,
              maker_user_id: int = 0, price: int = 0, qty: int = 0, filled: int = 0, side: int = 0,
              code: int = 0) -> None:
        self._seq += 1
        self._events.append(Event(self._seq, int(kind), side, int(code), order_id, user_id,
                                  maker_order_id, maker_user_id, price, qty, filled))

    def _emit_reject(self, order_id: int, user_id: int, side: int, reason: RejectReason) -> None:
        self._emit(EventKind.REJECTED, order_id=order_id, user_id=user_id, side=side, code=reason)

    def _emit_order(self, order: _Order, status: OrderStatus, leaves: int | None = None) -> None:
        self._emit(EventKind.ORDER, order_id=order.order_id, user_id=order.user_id,
                   price=order.price, qty=order.leaves if leaves is None else leaves,
                   filled=order.filled_qty, side=order.side, code=status)

    def _emit_level(self, side: int, price: int) -> None:
        book_side = self._sides[side]
        self._emit(EventKind.LEVEL, price=price, qty=book_side.level_qty(price),
                   filled=book_side.level_count(price), side=side)

    def _emit_amended(self, order: _Order) -> None:
        self._emit(EventKind.AMENDED, order_id=order.order_id, user_id=order.user_id,
                   price=order.price, qty=order.leaves, filled=order.filled_qty, side=order.side)

    # -- HELPERS --

    def _best(self, book_side: _BookSide) -> tuple[int, int] | None:
        price = book_side.best_price()
        return None if price is None else (price, book_side.level_qty(price))

    def _orders_in_snapshot_order(self) -> list[_Order]:
        return (list(self._sides[BUY].orders_in_priority())
                + list(self._sides[SELL].orders_in_priority())
                + list(self._pending.values()))
