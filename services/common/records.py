"""Records the stores keep. Plain data: every amount is an integer (see markets.py for units)."""

from __future__ import annotations

import operator
from dataclasses import dataclass, field, fields
from enum import IntEnum

from engine_ext.codes import OrderStatus, OrderType, SelfTradePrevention, Side, TimeInForce


class OrderPhase(IntEnum):
    """Where an order is in its life, beyond the engine's statuses.

    PENDING: funds reserved and the record written, not yet confirmed by the matching journal.
    An order stuck in PENDING after a crash is re-driven to matching (which dedupes by id).
    """

    PENDING = 0
    LIVE = 1  # in the book or a pending stop
    DONE = 2  # terminal: filled, canceled, expired or rejected; nothing reserved any more


@dataclass(slots=True)
class Balance:
    asset: str
    available: int  # minor units
    locked: int  # minor units, reserved by open orders
    # when this balance last changed (Binance's account updateTime is the latest of an
    # account's): a transfer's time, an order's placement, a settlement's time; 0 if never
    # recorded. Not part of a balance's value: equality ignores it.
    updated_ms: int = field(default=0, compare=False)


@dataclass(slots=True)
class OrderRecord:
    order_id: int
    symbol: str
    user_id: int
    client_order_id: str
    side: Side
    order_type: OrderType
    tif: TimeInForce
    stp: SelfTradePrevention
    price: int  # ticks; 0 for market types
    qty: int  # lots; 0 for orders by quote amount
    quote_qty: int  # notional units; 0 unless a market order by quote amount
    stop_price: int  # ticks; 0 unless a stop type
    cap: int  # engine funds cap of market orders (docs/engine.md)
    reserved_asset: str
    reserved: int  # minor units of reserved_asset still locked for this order
    created_ms: int
    updated_ms: int = 0
    status: OrderStatus = OrderStatus.NEW
    phase: OrderPhase = OrderPhase.PENDING
    filled: int = 0  # lots
    cum_quote: int = 0  # quote minor units traded
    working_ms: int = 0  # when it entered the book (stops: when triggered)


_ORDER_FIELDS = operator.attrgetter(*(f.name for f in fields(OrderRecord)))


def copy_order(order: OrderRecord) -> OrderRecord:
    """A shallow copy. Settlement copies every order it touches; dataclasses.replace costs five
    times as much."""
    return OrderRecord(*_ORDER_FIELDS(order))


@dataclass(frozen=True, slots=True)
class TradeRecord:
    """One fill, stored once per side (the buyer's view and the seller's view)."""

    symbol: str
    trade_id: int  # the engine's trade id (docs/engine.md): consecutive and unique per symbol
    order_id: int
    user_id: int
    counter_order_id: int
    price: int  # ticks
    qty: int  # lots
    quote_qty: int  # quote minor units
    commission: int  # minor units of commission_asset
    commission_asset: str
    is_buyer: bool
    is_maker: bool
    time_ms: int


@dataclass(slots=True)
class BalanceDelta:
    available: int = 0
    locked: int = 0


@dataclass(slots=True)
class Settlement:
    """Everything one batch of engine events does to the ledger, applied atomically.

    `symbol`/`from_seq`/`to_seq` make it idempotent: a ledger applies it only if its stored
    watermark for the symbol is `from_seq - 1`, and moves the watermark to `to_seq`.
    """

    symbol: str
    from_seq: int
    to_seq: int
    balances: dict[tuple[int, str], BalanceDelta] = field(default_factory=dict)  # (user, asset)
    orders: dict[int, OrderRecord] = field(default_factory=dict)  # new state of touched orders
    trades: list[TradeRecord] = field(default_factory=list)

    @property
    def time_ms(self) -> int:
        """When its changes happened: the latest time of the orders it updates (every balance
        delta comes from one of them). Derived, so a redelivered settlement has the same."""
        return max((order.updated_ms for order in self.orders.values()), default=0)

    def credit(self, user_id: int, asset: str, available: int = 0, locked: int = 0) -> None:
        delta = self.balances.setdefault((user_id, asset), BalanceDelta())
        delta.available += available
        delta.locked += locked


FEE_ACCOUNT_USER_ID = 0  # the exchange's own account, which collects trading fees
