"""The order path in miniature, for settlement specifications and the money-safety property.

    reserve_funds (order domain) -> engine SUBMIT/CANCEL/AMEND -> settle (tradeproc domain)
    -> an in-memory balance table that refuses to go negative

The table applies a Settlement the way `Ledger.apply_settlement` must: every (user, asset)
delta added to available and locked. It checks after every command what the exchange promises:
no balance is ever negative, every asset is conserved (deposits == sum of available + locked,
the fee account included), a finished order has nothing reserved, an open limit order has
exactly price * leaves (BUY) or leaves (SELL) reserved, and each user's locked balance is
exactly what their open orders reserve.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from engine_ext.codes import OrderType, SelfTradePrevention, Side, TimeInForce
from engine_ext.events import Event
from services.common.markets import Symbol
from services.common.records import OrderPhase, OrderRecord, Settlement
from services.order.domain import (
    LIMIT_PRICED_TYPES,
    OrderIntent,
    new_order_record,
    reserve_funds,
    resting_reservation,
    spend_asset,
)
from services.order.errors import OrderRejected
from services.tradeproc.domain import order_ids_in, settle
from services.tradeproc.fees import FeeSchedule


class SimulatedExchange:
    def __init__(self, symbol: Symbol, book_class: Any, fees: FeeSchedule) -> None:
        self.symbol = symbol
        self.book = book_class(tick_size=1, lot_size=1)
        self.fees = fees
        self.available: Counter[tuple[int, str]] = Counter()
        self.locked: Counter[tuple[int, str]] = Counter()
        self.deposits: Counter[str] = Counter()
        self.orders: dict[int, OrderRecord] = {}
        self.settlements: list[Settlement] = []
        self.batches: list[tuple[list[Event], dict[int, OrderRecord], int]] = []  # events, records before, time
        self.events: list[Event] = []
        self.time_ms = 1_700_000_000_000
        self._next_order_id = 1

    # -- commands ---------------------------------------------------------------------------

    def deposit(self, user_id: int, asset: str, amount: int) -> None:
        self.available[user_id, asset] += amount
        self.deposits[asset] += amount

    def submit(
        self, user_id: int, side: Side, order_type: OrderType, *, price: int = 0, qty: int = 0,
        quote_qty: int = 0, stop_price: int = 0, tif: TimeInForce = TimeInForce.GTC,
        stp: SelfTradePrevention = SelfTradePrevention.NONE,
    ) -> OrderRecord | None:
        """Reserve and submit; None if the funds do not cover it (nothing happens then)."""
        intent = OrderIntent(self.symbol, side, order_type, tif, price, qty, quote_qty, stop_price, stp, None, "FULL")
        try:
            reservation = reserve_funds(intent, self.available[user_id, spend_asset(intent)])
        except OrderRejected:
            return None
        order_id = self._next_order_id
        self._next_order_id += 1
        record = new_order_record(intent, reservation, order_id=order_id, user_id=user_id,
                                  client_order_id=f"c{order_id}", created_ms=self.time_ms)
        # Ledger.place_order: available -> locked, the record stored PENDING
        self.available[user_id, reservation.asset] -= reservation.amount
        self.locked[user_id, reservation.asset] += reservation.amount
        self.orders[order_id] = record
        self.book.submit(order_id, user_id, side, order_type, tif, price, qty, quote_qty, stop_price, stp,
                         reservation.cap)
        self._settle()
        return self.orders[order_id]

    def cancel(self, order_id: int) -> None:
        self.book.cancel(order_id)
        self._settle()

    def amend(self, order_id: int, new_qty: int) -> None:
        """Binance keepPriority: same price, new (lower) original quantity."""
        self.book.amend(order_id, self.orders[order_id].price, new_qty)
        self._settle()

    def _settle(self) -> None:
        self.time_ms += 1
        events = self.book.last_events()
        self.events.extend(events)
        records = {i: self.orders[i] for i in order_ids_in(events) if i in self.orders}
        settlement = settle(self.symbol, events, records, self.time_ms, self.fees)
        self.batches.append((events, records, self.time_ms))
        for (user_id, asset), delta in settlement.balances.items():
            self.available[user_id, asset] += delta.available
            self.locked[user_id, asset] += delta.locked
        self.orders.update(settlement.orders)
        self.settlements.append(settlement)
        self.check_invariants()

    # -- what is promised ----------------------------------------------------------------------

    def check_invariants(self) -> None:
        negative = {k: v for k, v in (self.available + self.locked).items() if v < 0}
        negative |= {k: v for k, v in self.available.items() if v < 0}
        negative |= {k: v for k, v in self.locked.items() if v < 0}
        assert not negative, f"negative balances: {negative}"
        for asset in (self.symbol.base.name, self.symbol.quote.name):
            held = sum(v for (_, a), v in self.available.items() if a == asset)
            held += sum(v for (_, a), v in self.locked.items() if a == asset)
            assert held == self.deposits[asset], f"{asset}: deposited {self.deposits[asset]}, held {held}"
        reserved: Counter[tuple[int, str]] = Counter()
        for order in self.orders.values():
            if order.phase == OrderPhase.DONE:
                assert order.reserved == 0, f"finished order {order.order_id} still reserves {order.reserved}"
            elif order.order_type in LIMIT_PRICED_TYPES:
                leaves = order.qty - order.filled
                needed = resting_reservation(self.symbol, order.side, order.order_type, order.price, leaves)
                assert order.reserved == needed, f"order {order.order_id} reserves {order.reserved}, needs {needed}"
            reserved[order.user_id, order.reserved_asset] += order.reserved
        locked = {k: v for k, v in self.locked.items() if v}
        assert locked == {k: v for k, v in reserved.items() if v}, "locked balances != reservations of open orders"

    def balance(self, user_id: int, asset: str) -> tuple[int, int]:
        """(available, locked)"""
        return self.available[user_id, asset], self.locked[user_id, asset]
