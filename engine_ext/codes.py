"""The numeric vocabulary shared by every book implementation and by the events they emit.

The values are part of the journal and snapshot formats: never renumber, only append.
"""

from __future__ import annotations

from enum import IntEnum


class Side(IntEnum):
    BUY = 0
    SELL = 1


class OrderType(IntEnum):
    LIMIT = 0
    MARKET = 1
    LIMIT_MAKER = 2
    STOP_LOSS = 3
    STOP_LOSS_LIMIT = 4
    TAKE_PROFIT = 5
    TAKE_PROFIT_LIMIT = 6


class TimeInForce(IntEnum):
    GTC = 0
    IOC = 1
    FOK = 2


class SelfTradePrevention(IntEnum):
    NONE = 0
    EXPIRE_TAKER = 1
    EXPIRE_MAKER = 2
    EXPIRE_BOTH = 3


class EventKind(IntEnum):
    ACCEPTED = 0  # a new order entered the book (status NEW), or a pending stop was stored
    REJECTED = 1  # the command changed nothing; `code` holds a RejectReason
    TRADE = 2  # one fill between the taker (order_id) and a maker (maker_order_id)
    ORDER = 3  # an order's status changed; `code` holds an OrderStatus
    LEVEL = 4  # a price level's aggregated quantity changed (0 = level gone)
    AMENDED = 5  # an order's price and/or quantity was amended
    TRIGGERED = 6  # a pending stop order became active and is about to match


class OrderStatus(IntEnum):
    NEW = 0
    PARTIALLY_FILLED = 1
    FILLED = 2
    CANCELED = 3
    EXPIRED = 4
    EXPIRED_IN_MATCH = 5  # expired by self-trade prevention (Binance's name)
    REJECTED = 6  # never emitted by a book: the status of an order the engine refused


class RejectReason(IntEnum):
    INVALID_QUANTITY = 1
    INVALID_PRICE = 2
    DUPLICATE_ORDER_ID = 3
    UNKNOWN_ORDER = 4
    WOULD_TAKE = 5  # LIMIT_MAKER that would cross the spread
    WOULD_TRIGGER_IMMEDIATELY = 6  # stop order whose condition already holds
    OVERFLOW = 7  # an integer result would not fit in int64
    INVALID_ORDER = 8  # an enum out of range or a field combination the type does not take
    INVALID_STOP_PRICE = 9
    NOT_AMENDABLE = 10  # pending stop orders cannot be amended
    INSUFFICIENT_FUNDS = 11  # a MARKET order whose cap cannot pay for what the book offers


class CommandOp(IntEnum):
    SUBMIT = 0
    CANCEL = 1
    AMEND = 2
    REPLACE = 3  # cancel `target_id`, then submit the order described by the other fields
    REDUCE = 4  # Binance's keepPriority amend: a lower `qty` at the same price, nothing else


STOP_TYPES = frozenset(
    {OrderType.STOP_LOSS, OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT, OrderType.TAKE_PROFIT_LIMIT}
)
