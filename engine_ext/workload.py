"""Seeded random order flow: the one generator behind unit, differential and benchmark runs.

Every workload is a pair of `COMMAND_DTYPE` arrays: `setup` (applied untimed, e.g. to build a
deep book) and `commands` (what a benchmark times). The same seed and sizes always give
byte-identical arrays. Prices are raw ticks around `MID_PRICE` (tick_size = lot_size = 1), all
orders use `SelfTradePrevention.NONE` and quantities stay small, so that the peer books the
benchmarks compare against (uint32 quantities, no users) can replay the same flow.

Cancels always target an order that is live at that point of the stream: the generators that
mix takers with makers keep a `_ShadowBook` (price-time matching, nothing else) to know which
orders have been filled, so no generated cancel should be rejected.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine_ext.codes import CommandOp, OrderType, Side, TimeInForce
from engine_ext.events import COMMAND_DTYPE

GENERATOR_VERSION = 1
"""Bumped whenever a generator's output for a given seed changes (keys on-disk caches)."""

MID_PRICE = 1_000_000
"""Starting mid price in ticks; far enough from 0 that no generated price reaches it."""

_BUY = int(Side.BUY)
_SELL = int(Side.SELL)
_SUBMIT = int(CommandOp.SUBMIT)
_CANCEL = int(CommandOp.CANCEL)
_LIMIT = int(OrderType.LIMIT)
_MARKET = int(OrderType.MARKET)
_GTC = int(TimeInForce.GTC)
_IOC = int(TimeInForce.IOC)

Call = tuple[int, tuple[int, ...]]


@dataclass(frozen=True)
class Workload:
    name: str
    seed: int
    setup: np.ndarray
    commands: np.ndarray
    tick_size: int = 1
    lot_size: int = 1

    @property
    def key(self) -> str:
        """Names the exact arrays: generator, sizes, seed and generator version."""
        return f"{self.name}-s{len(self.setup)}-n{len(self.commands)}-seed{self.seed}-v{GENERATOR_VERSION}"


# -- COMMAND ARRAYS ---------------------------------------------------------------------------


class _Columns:
    """Appends commands column by column (Python lists), then packs one COMMAND_DTYPE array."""

    __slots__ = ("op", "order_id", "order_type", "price", "qty", "side", "tif", "user_id")

    def __init__(self) -> None:
        self.op: list[int] = []
        self.side: list[int] = []
        self.order_type: list[int] = []
        self.tif: list[int] = []
        self.order_id: list[int] = []
        self.user_id: list[int] = []
        self.price: list[int] = []
        self.qty: list[int] = []

    def submit(self, order_id: int, user_id: int, side: int, order_type: int, tif: int, price: int,
               qty: int) -> None:
        self.op.append(_SUBMIT)
        self.side.append(side)
        self.order_type.append(order_type)
        self.tif.append(tif)
        self.order_id.append(order_id)
        self.user_id.append(user_id)
        self.price.append(price)
        self.qty.append(qty)

    def cancel(self, order_id: int) -> None:
        self.submit(order_id, 0, 0, 0, 0, 0, 0)
        self.op[-1] = _CANCEL

    def to_array(self) -> np.ndarray:
        out = np.zeros(len(self.op), dtype=COMMAND_DTYPE)
        for name in self.__slots__:
            out[name] = getattr(self, name)
        return out


def _limits(order_id: np.ndarray, user_id: np.ndarray, side: np.ndarray, price: np.ndarray,
            qty: np.ndarray) -> np.ndarray:
    out = np.zeros(len(order_id), dtype=COMMAND_DTYPE)
    out["op"] = _SUBMIT
    out["order_type"] = _LIMIT
    out["tif"] = _GTC
    out["order_id"] = order_id
    out["user_id"] = user_id
    out["side"] = side
    out["price"] = price
    out["qty"] = qty
    return out


def book_calls(commands: np.ndarray) -> list[Call]:
    """The commands as `(op, args)` tuples for a per-call loop: `methods[op](*args)` with
    `methods = (book.submit, book.cancel, book.amend, book.replace)`.

    Trailing default arguments (quote_qty, stop_price, stp when 0) are left off, as a caller
    would write them.
    """
    cols = {name: commands[name].tolist() for name in COMMAND_DTYPE.names or ()}
    calls: list[Call] = []
    append = calls.append
    for op, oid, uid, side, otype, tif, price, qty, quote, stop, stp, target in zip(
        cols["op"], cols["order_id"], cols["user_id"], cols["side"], cols["order_type"], cols["tif"],
        cols["price"], cols["qty"], cols["quote_qty"], cols["stop_price"], cols["stp"], cols["target_id"],
        strict=True,
    ):
        if op == _CANCEL:
            append((op, (oid,)))
        elif op == _SUBMIT:
            if quote == stop == stp == 0:
                append((op, (oid, uid, side, otype, tif, price, qty)))
            else:
                append((op, (oid, uid, side, otype, tif, price, qty, quote, stop, stp)))
        elif op == CommandOp.AMEND:
            append((op, (oid, price, qty)))
        else:
            append((op, (target, oid, uid, side, otype, tif, price, qty, quote, stop, stp)))
    return calls


# -- SHADOW BOOK ------------------------------------------------------------------------------


class _ShadowBook:
    """Price-time matching for LIMIT/MARKET/IOC with STP NONE: only what the generator needs to
    know which orders are still live. Cancelled ids stay in their level's deque and are skipped."""

    def __init__(self) -> None:
        self.queues: tuple[dict[int, deque[int]], dict[int, deque[int]]] = ({}, {})
        self.counts: tuple[dict[int, int], dict[int, int]] = ({}, {})
        self.heaps: tuple[list[int], list[int]] = ([], [])  # bids hold -price
        self.orders: dict[int, list[int]] = {}  # order_id -> [side, price, leaves]
        self.live: list[int] = []  # the same ids, for a uniform random pick
        self.slot: dict[int, int] = {}

    def best(self, side: int) -> int | None:
        heap, counts = self.heaps[side], self.counts[side]
        while heap:
            price = -heap[0] if side == _BUY else heap[0]
            if price in counts:
                return price
            heapq.heappop(heap)
        return None

    def rest(self, order_id: int, side: int, price: int, qty: int) -> None:
        counts = self.counts[side]
        if price in counts:
            counts[price] += 1
            self.queues[side][price].append(order_id)
        else:
            counts[price] = 1
            self.queues[side][price] = deque((order_id,))
            heapq.heappush(self.heaps[side], -price if side == _BUY else price)
        self.orders[order_id] = [side, price, qty]
        self.slot[order_id] = len(self.live)
        self.live.append(order_id)

    def _forget(self, order_id: int) -> tuple[int, int]:
        side, price, _ = self.orders.pop(order_id)
        i = self.slot.pop(order_id)
        last = self.live.pop()
        if last != order_id:
            self.live[i] = last
            self.slot[last] = i
        counts = self.counts[side]
        counts[price] -= 1
        if counts[price] == 0:
            del counts[price]
            del self.queues[side][price]
        return side, price

    def cancel(self, order_id: int) -> None:
        self._forget(order_id)

    def take(self, side: int, limit: int | None, qty: int) -> int:
        """Match a taker; returns its unfilled quantity. `limit` None = market."""
        maker_side = _SELL if side == _BUY else _BUY
        orders = self.orders
        while qty > 0:
            price = self.best(maker_side)
            if price is None or (
                limit is not None and (price > limit if side == _BUY else price < limit)
            ):
                break
            queue = self.queues[maker_side][price]
            while qty > 0 and price in self.counts[maker_side]:
                maker = orders.get(queue[0])
                if maker is None:
                    queue.popleft()
                    continue
                fill = min(qty, maker[2])
                maker[2] -= fill
                qty -= fill
                if maker[2] == 0:
                    self._forget(queue.popleft())
        return qty


# -- GENERATORS -------------------------------------------------------------------------------


def _passive_offsets(rng: np.random.Generator, n: int, mean: float, cap: int) -> np.ndarray:
    """Distance in ticks from the mid, >= 0: geometric, most orders near the touch."""
    return np.minimum(rng.geometric(1.0 / (mean + 1.0), n) - 1, cap)


def _resting_orders(rng: np.random.Generator, n: int, first_id: int, mean_offset: float) -> np.ndarray:
    """`n` GTC limits that never cross: buys strictly below MID_PRICE, sells strictly above."""
    side = rng.integers(0, 2, n)
    offset = 1 + _passive_offsets(rng, n, mean_offset, MID_PRICE // 2)
    price = np.where(side == _BUY, MID_PRICE - offset, MID_PRICE + offset)
    return _limits(
        np.arange(first_id, first_id + n), rng.integers(1, 1001, n), side, price, rng.integers(1, 101, n)
    )


def _mixed_flow(rng: np.random.Generator, n: int, shadow: _ShadowBook, first_id: int, *,
                limit_share: float, cancel_share: float, cross_share: float) -> np.ndarray:
    """`n` commands: limits around a random-walk mid (some priced through the opposite best),
    cancels of random live orders, and MARKET or IOC takers (half each) for the rest."""
    u_kind = rng.random(n).tolist()
    u_sub = rng.random(n).tolist()
    u_pick = rng.random(n).tolist()
    sides = rng.integers(0, 2, n).tolist()
    users = rng.integers(1, 1001, n).tolist()
    qtys = rng.integers(1, 101, n).tolist()
    taker_qtys = rng.integers(1, 101, n).tolist()
    through = rng.integers(0, 5, n).tolist()
    offsets = _passive_offsets(rng, n, 20.0, 1000).tolist()
    steps = np.where(rng.random(n) < 0.05, rng.choice(np.array([-1, 1]), n), 0)  # 1 tick / 20 commands
    mids = (MID_PRICE + np.cumsum(steps)).tolist()
    cancel_edge = limit_share + cancel_share
    cols = _Columns()
    order_id = first_id
    for i in range(n):
        kind, side, mid = u_kind[i], sides[i], mids[i]
        if limit_share <= kind < cancel_edge and shadow.live:
            target = shadow.live[int(u_pick[i] * len(shadow.live))]
            shadow.cancel(target)
            cols.cancel(target)
            continue
        opposite = shadow.best(_SELL if side == _BUY else _BUY)
        if kind < cancel_edge:  # a limit (also when a cancel found no live order)
            if u_sub[i] < cross_share and opposite is not None:
                price = opposite + through[i] if side == _BUY else max(1, opposite - through[i])
            else:
                price = mid - 1 - offsets[i] if side == _BUY else mid + 1 + offsets[i]
            qty = qtys[i]
            left = shadow.take(side, price, qty)
            if left:
                shadow.rest(order_id, side, price, left)
            cols.submit(order_id, users[i], side, _LIMIT, _GTC, price, qty)
        elif u_sub[i] < 0.5:
            shadow.take(side, None, taker_qtys[i])
            cols.submit(order_id, users[i], side, _MARKET, _GTC, 0, taker_qtys[i])
        else:
            reference = mid if opposite is None else opposite
            price = reference + through[i] if side == _BUY else max(1, reference - through[i])
            shadow.take(side, price, taker_qtys[i])
            cols.submit(order_id, users[i], side, _LIMIT, _IOC, price, taker_qtys[i])
        order_id += 1
    return cols.to_array()


def mixed(n: int = 1_000_000, seed: int = 1, *, limit_share: float = 0.6, cancel_share: float = 0.3,
          cross_share: float = 0.1) -> Workload:
    """(a) One symbol: ~60% limits around a random-walk mid (`cross_share` of them priced through
    the opposite best), ~30% cancels of live orders, ~10% takers (MARKET or IOC limit)."""
    rng = np.random.default_rng([seed, 1])
    commands = _mixed_flow(rng, n, _ShadowBook(), 1, limit_share=limit_share,
                           cancel_share=cancel_share, cross_share=cross_share)
    return Workload("mixed", seed, np.zeros(0, COMMAND_DTYPE), commands)


def insert_only(n: int = 1_000_000, seed: int = 1) -> Workload:
    """(b) GTC limits that never cross (buys below a fixed mid, sells above): every one rests."""
    rng = np.random.default_rng([seed, 2])
    return Workload("insert_only", seed, np.zeros(0, COMMAND_DTYPE), _resting_orders(rng, n, 1, 2000.0))


def cancel_heavy(n: int = 1_000_000, seed: int = 1, *, cancel_share: float = 0.7) -> Workload:
    """(c) A book of n/2 resting orders (setup), then `cancel_share` of the commands cancel a
    random live order and the rest add non-crossing limits."""
    rng = np.random.default_rng([seed, 3])
    setup = _resting_orders(rng, n // 2, 1, 2000.0)
    fresh = _resting_orders(rng, n, len(setup) + 1, 2000.0)
    live = setup["order_id"].tolist()
    next_id = len(setup) + 1
    u_kind = rng.random(n).tolist()
    u_pick = rng.random(n).tolist()
    targets = [0] * n
    for i in range(n):
        if u_kind[i] < cancel_share and live:
            j = int(u_pick[i] * len(live))
            live[j], live[-1] = live[-1], live[j]
            targets[i] = live.pop()
        else:
            live.append(next_id)
            next_id += 1
    target = np.array(targets, dtype=np.int64)
    is_cancel = target != 0
    rows = np.zeros(n, dtype=COMMAND_DTYPE)
    rows[~is_cancel] = fresh[: n - int(is_cancel.sum())]
    rows["op"][is_cancel] = _CANCEL
    rows["order_id"][is_cancel] = target[is_cancel]
    return Workload("cancel_heavy", seed, setup, rows)


def market_sweep(n: int = 10_000, seed: int = 1, *, levels_per_sweep: int = 10,
                 orders_per_level: int = 4) -> Workload:
    """(d) A two-sided book, one tick per level and `orders_per_level` orders each (setup), then
    `n` MARKET orders that each sweep about `levels_per_sweep` levels. The setup holds enough
    on each side (+5%) that no market order finds its side empty."""
    rng = np.random.default_rng([seed, 4])
    mean_qty = 50.5  # qty is uniform in [1, 100]
    side = rng.integers(0, 2, n)
    qty = np.rint(levels_per_sweep * orders_per_level * mean_qty * rng.uniform(0.5, 1.5, n)).astype(np.int64)
    parts = []
    for maker_side in (_BUY, _SELL):
        needed = int(qty[side != maker_side].sum() * 1.05) + 1
        count = orders_per_level * (int(needed / mean_qty / orders_per_level * 1.2) + 2)
        maker_qty = rng.integers(1, 101, count)
        while int(maker_qty.sum()) < needed:
            maker_qty = np.concatenate([maker_qty, rng.integers(1, 101, count)])
        level = np.arange(len(maker_qty)) // orders_per_level + 1
        price = MID_PRICE - level if maker_side == _BUY else MID_PRICE + level
        parts.append((np.full(len(maker_qty), maker_side), price, maker_qty))
    makers = sum(len(p[0]) for p in parts)
    # interleave the two sides by ascending distance from the mid
    sides = np.concatenate([p[0] for p in parts])
    prices = np.concatenate([p[1] for p in parts])
    order = np.argsort(np.abs(prices - MID_PRICE), kind="stable")
    setup = _limits(np.arange(1, makers + 1), rng.integers(1, 1001, makers), sides[order], prices[order],
                    np.concatenate([p[2] for p in parts])[order])
    commands = np.zeros(n, dtype=COMMAND_DTYPE)
    commands["op"] = _SUBMIT
    commands["order_type"] = _MARKET
    commands["order_id"] = np.arange(makers + 1, makers + 1 + n)
    commands["user_id"] = rng.integers(1, 1001, n)
    commands["side"] = side
    commands["qty"] = qty
    return Workload("market_sweep", seed, setup, commands)


def deep_book_setup(resting: int = 1_000_000, seed: int = 1) -> np.ndarray:
    """The setup of `deep_book`: `resting` non-crossing GTC limits, ~10,000 ticks deep per side."""
    return _resting_orders(np.random.default_rng([seed, 5]), resting, 1, 10_000.0)


def deep_book(n: int = 50_000, seed: int = 1, *, resting: int = 1_000_000) -> Workload:
    """(e) `resting` non-crossing orders spread over thousands of levels (setup), then `n` commands
    of the mixed flow (a) on top of that deep book."""
    setup = deep_book_setup(resting, seed)
    shadow = _ShadowBook()
    for oid, side, price, qty in zip(setup["order_id"].tolist(), setup["side"].tolist(),
                                     setup["price"].tolist(), setup["qty"].tolist(), strict=True):
        shadow.rest(oid, side, price, qty)
    commands = _mixed_flow(np.random.default_rng([seed, 6]), n, shadow, resting + 1, limit_share=0.6,
                           cancel_share=0.3, cross_share=0.1)
    return Workload("deep_book", seed, setup, commands)


WORKLOADS: dict[str, Callable[..., Workload]] = {
    "mixed": mixed,
    "insert_only": insert_only,
    "cancel_heavy": cancel_heavy,
    "market_sweep": market_sweep,
    "deep_book": deep_book,
}


def generate(name: str, n: int | None = None, seed: int = 1, **options: Any) -> Workload:
    """One of WORKLOADS by name; `n` (the timed command count) defaults to the generator's own."""
    make = WORKLOADS[name]
    return make(seed=seed, **options) if n is None else make(n, seed, **options)
