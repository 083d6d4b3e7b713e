"""Hypothesis strategies for realistic command streams, and the two ways of applying them.

A stream is what one symbol's book sees: prices clustered a few ticks around a mid so that
orders cross often, a handful of users so that self-trade prevention fires, every order type,
TIF and STP mode, cancels/amends/replaces of live and unknown ids, and bad input sprinkled in
(out-of-range enums and values, off-grid prices and quantities, duplicate ids, overflowing
sizes). Hypothesis shrinks a failing stream to a short one, so every draw is arranged to
shrink toward the plainest command: a small GTC limit order at the mid.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from hypothesis import strategies as st

from engine_ext.codes import CommandOp, OrderType, SelfTradePrevention, Side, TimeInForce
from engine_ext.events import COMMAND_DTYPE, Event
from engine_ext.reference import OrderBook as ReferenceBook

MAX_VALUE = 2**62
INT64_MAX = 2**63 - 1
STOP_TYPES = (OrderType.STOP_LOSS, OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT,
              OrderType.TAKE_PROFIT_LIMIT)
PRICED_TYPES = (OrderType.LIMIT, OrderType.LIMIT_MAKER, OrderType.STOP_LOSS_LIMIT,
                OrderType.TAKE_PROFIT_LIMIT)


class Command(NamedTuple):
    """One COMMAND_DTYPE record as a tuple (the same fields, the same meaning)."""

    op: int
    order_id: int = 0
    user_id: int = 0
    side: int = 0
    order_type: int = 0
    tif: int = 0
    stp: int = 0
    price: int = 0
    qty: int = 0
    quote_qty: int = 0
    stop_price: int = 0
    target_id: int = 0
    cap: int = 0

    def __repr__(self) -> str:  # compact, for failure reports
        fields = ", ".join(f"{k}={v}" for k, v in self._asdict().items() if v and k != "op")
        return f"{CommandOp(self.op).name}({fields})"


@dataclass(frozen=True)
class Stream:
    tick_size: int
    lot_size: int
    commands: list[Command]
    snapshot_at: int  # 0..len(commands): where the restore test cuts the stream

    def __repr__(self) -> str:
        lines = "\n  ".join(repr(c) for c in self.commands)
        return (f"Stream(tick={self.tick_size}, lot={self.lot_size}, snapshot_at={self.snapshot_at},"
                f" {len(self.commands)} commands:\n  {lines})")


# -- APPLYING A STREAM --

def apply(book: Any, c: Command) -> list[Event]:
    """Runs one command through the per-call API; returns its events."""
    order = (c.order_id, c.user_id, c.side, c.order_type, c.tif, c.price, c.qty, c.quote_qty,
             c.stop_price, c.stp, c.cap)
    if c.op == CommandOp.SUBMIT:
        n = book.submit(*order)
    elif c.op == CommandOp.CANCEL:
        n = book.cancel(c.order_id)
    elif c.op == CommandOp.AMEND:
        n = book.amend(c.order_id, c.price, c.qty)
    elif c.op == CommandOp.REDUCE:
        n = book.reduce(c.order_id, c.qty)
    else:
        n = book.replace(c.target_id, *order)
    events: list[Event] = book.last_events()
    assert n == len(events), f"{c!r} returned {n} but last_events() has {len(events)}"
    return events


def to_array(commands: list[Command]) -> np.ndarray:
    array = np.zeros(len(commands), dtype=COMMAND_DTYPE)
    for name in Command._fields:
        array[name] = [getattr(c, name) for c in commands]
    return array


# -- GENERATING A STREAM --
# Strategies are built once, here: building them inside a draw costs more than drawing.

_PERCENT = st.integers(0, 99)
_OFFSET = st.integers(-6, 6)  # ticks from the mid; shrinks to the mid itself
_LOTS = st.integers(1, 10)
_ANY = st.integers(0, 1 << 16)  # an index taken modulo a length; shrinks to the first
_SIDE = st.sampled_from([Side.BUY, Side.SELL])
_TIF = st.sampled_from([TimeInForce.GTC, TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK])
_STP = st.sampled_from([SelfTradePrevention.NONE, SelfTradePrevention.NONE, SelfTradePrevention.EXPIRE_TAKER,
                        SelfTradePrevention.EXPIRE_MAKER, SelfTradePrevention.EXPIRE_BOTH])
_TICKS = st.sampled_from([1, 5, 1, 100])
_LOT_SIZES = st.sampled_from([1, 10, 1, 3])
_MIDS = st.integers(20, 60)
_USERS = st.integers(1, 4)


@st.composite
def streams(draw: st.DrawFn, max_commands: int = 60) -> Stream:
    tick, lot = draw(_TICKS), draw(_LOT_SIZES)
    g = _Generator(draw, tick, lot, mid=draw(_MIDS) * tick, n_users=draw(_USERS))
    g.huge_percent = 30 if draw(_PERCENT) < 10 else 3  # one stream in ten is full of whales
    n = draw(st.integers(1, max_commands))
    commands = [g.command() for _ in range(n)]
    snapshot_at = draw(_ANY) % (n + 1)
    return Stream(tick, lot, commands, snapshot_at)


class _Generator:
    """Draws one command at a time, remembering the ids it handed out."""

    def __init__(self, draw: st.DrawFn, tick: int, lot: int, mid: int, n_users: int) -> None:
        self.draw, self.tick, self.lot, self.mid, self.n_users = draw, tick, lot, mid, n_users
        self.ids: list[int] = []  # every id used so far, live or not
        self.huge_percent = 3  # share of submits with sizes near the int64 limits
        # A shadow book (the reference) tells which orders are live, so that most cancels,
        # amends and replaces hit one, as they do in real order flow.
        self.shadow = ReferenceBook(tick_size=tick, lot_size=lot)

    def command(self) -> Command:
        command = self._next_command()
        apply(self.shadow, command)
        return command

    def _next_command(self) -> Command:
        roll = self.draw(_PERCENT)
        if roll < 72 or not self.ids:
            return self.submit(CommandOp.SUBMIT)
        if roll < 84:
            return Command(CommandOp.CANCEL, order_id=self.existing_id())
        if roll < 94:
            return self.amend()
        target = self.existing_id()
        return self.submit(CommandOp.REPLACE)._replace(target_id=target)

    def existing_id(self) -> int:
        # mostly a live order (resting or a pending stop), sometimes any used id, sometimes one
        # never used
        k, roll = self.draw(_ANY), self.draw(_PERCENT)
        live = [o.order_id for o in self.shadow.orders()]
        if roll < 75 and live:
            return live[k % len(live)]
        if roll < 90:
            return self.ids[k % len(self.ids)]
        return 10_000 + k

    def price(self) -> int:
        return self.mid + self.draw(_OFFSET) * self.tick

    def qty(self) -> int:
        return self.draw(_LOTS) * self.lot

    def amend(self) -> Command:
        order_id, price, qty = self.existing_id(), self.price(), self.qty()
        target = self.shadow.get_order(order_id)
        roll = self.draw(_PERCENT)
        if self.draw(_PERCENT) < self.huge_percent:  # onto the whales' level, as a whale
            price, qty = self.tick, MAX_VALUE - MAX_VALUE % self.lot
        elif target is not None and roll < 50:
            # at its own price: down keeps priority; equal or up loses it; below filled rejects
            price = target.price
            qty = target.orig_qty + (self.draw(_ANY) % 4 - 2) * self.lot
        elif roll < 57:
            tick, lot = self.tick, self.lot
            bad = [(0, qty), (price + 1 if tick > 1 else -1, qty), (price, 0),
                   (price, qty + 1 if lot > 1 else -1), (tick, MAX_VALUE - MAX_VALUE % lot),
                   (MAX_VALUE - MAX_VALUE % tick, lot)]
            price, qty = bad[self.draw(_ANY) % len(bad)]
        if self.draw(_PERCENT) < 40:  # keepPriority: the price is not the command's
            return Command(CommandOp.REDUCE, order_id=order_id, qty=qty)
        return Command(CommandOp.AMEND, order_id=order_id, price=price, qty=qty)

    def submit(self, op: CommandOp) -> Command:
        draw = self.draw
        roll = draw(_PERCENT)
        if roll < 50:
            order_type = OrderType.LIMIT
        elif roll < 64:
            order_type = OrderType.MARKET
        elif roll < 72:
            order_type = OrderType.LIMIT_MAKER
        else:
            order_type = STOP_TYPES[roll % 4]
        side, tif, stp = draw(_SIDE), draw(_TIF), draw(_STP)
        user = 1 + draw(_ANY) % self.n_users

        if self.ids and draw(_PERCENT) < 5:
            order_id = self.ids[draw(_ANY) % len(self.ids)]  # a duplicate if still live
        else:
            order_id = len(self.ids) + 1
            self.ids.append(order_id)

        price = self.price() if order_type in PRICED_TYPES else 0
        qty = self.qty()
        quote_qty = stop_price = cap = 0
        if order_type == OrderType.MARKET and draw(_PERCENT) < 50:
            qty, quote_qty = 0, self.qty() * self.mid // 2 + draw(_ANY) % self.mid
        if order_type in STOP_TYPES:
            stop_price = self.price()
        if order_type in (OrderType.MARKET, OrderType.STOP_LOSS, OrderType.TAKE_PROFIT) and draw(_PERCENT) < 25:
            cap = self.qty() * (self.mid if side == Side.BUY else 1) // 2
            if side == Side.SELL:
                cap = cap // self.lot * self.lot or self.lot

        command = Command(op, order_id=order_id, user_id=user, side=side, order_type=order_type, tif=tif,
                          stp=stp, price=price, qty=qty, quote_qty=quote_qty, stop_price=stop_price, cap=cap)
        if draw(_PERCENT) < 4:
            return self.spoiled(command)
        if draw(_PERCENT) < self.huge_percent:
            return self.huge(command)
        return command

    def spoiled(self, c: Command) -> Command:
        """One field made invalid (or a combination the order type does not take)."""
        tick, lot = self.tick, self.lot
        choices: list[tuple[str, int]] = [
            ("side", 2), ("side", 255), ("order_type", 7), ("tif", 3), ("stp", 4), ("stp", 200),
            ("order_id", 0), ("order_id", -5), ("user_id", -1), ("qty", 0), ("qty", -lot),
            ("qty", lot + 1 if lot > 1 else MAX_VALUE + 1), ("qty", MAX_VALUE + lot),
            ("price", 0), ("price", -tick), ("price", tick + 1 if tick > 1 else MAX_VALUE + 1),
            ("stop_price", 0), ("stop_price", tick + 1 if tick > 1 else -1), ("stop_price", 50 * tick),
            ("quote_qty", 100), ("quote_qty", -1), ("cap", 7), ("cap", -1), ("cap", MAX_VALUE + 1),
            ("user_id", 0), ("price", INT64_MAX), ("qty", INT64_MAX),
        ]
        field, value = choices[self.draw(_ANY) % len(choices)]
        return c._replace(**{field: value})

    def huge(self, c: Command) -> Command:
        """Sizes near the int64 limits: price*qty and level-total overflow, on the grids."""
        k = self.draw(_ANY)
        qty = MAX_VALUE - MAX_VALUE % self.lot - (k % 3) * self.lot
        price = [self.tick, self.tick, 2 * self.tick, MAX_VALUE - MAX_VALUE % self.tick][k % 4]
        if c.order_type in PRICED_TYPES:
            return c._replace(price=price, qty=qty)
        if c.quote_qty:
            return c._replace(quote_qty=MAX_VALUE - k % 5)
        return c._replace(qty=qty)
