"""Order entry: a Binance new-order request becomes an engine-ready order and its reservation.

Pure rules (no I/O). The order desk (`desk.py`) calls, in this order:

1. ``order = parse_new_order(params, symbols)`` -- the request's parameters exactly as Binance
   receives them (strings; a Mapping, or (name, value) pairs so duplicates can be refused;
   empty values count as not sent; ``timestamp``/``recvWindow``/``signature`` are tolerated and
   ignored). Checks presence, enums, decimal syntax and precision. -> `NewOrder` (decimals)
2. ``intent = apply_filters(order, OrderContext(reference_price=..., open_orders=...))`` --
   the symbol's filters; turns decimals into ticks, lots and notional units. -> `OrderIntent`
3. ``reservation = reserve_funds(intent, available)`` where ``available`` is the user's
   available balance of ``spend_asset(intent)`` (minor units). -> `Reservation`
4. ``record = new_order_record(intent, reservation, order_id=..., user_id=...,
   client_order_id=..., created_ms=...)`` -> `OrderRecord` for ``Ledger.place_order``; its
   fields are the engine SUBMIT's arguments (``cap`` included).

Every refusal raises `services.order.errors.OrderRejected` (Binance code and message).
Responses to the trader are built by `services.order.responses`.

How funds are reserved (``reserve_funds``), so that the engine can never spend more than was
locked (docs/engine.md, "The funds cap of market orders"):

| order | locks | engine cap |
| --- | --- | --- |
| BUY LIMIT, LIMIT_MAKER, STOP_LOSS_LIMIT, TAKE_PROFIT_LIMIT | price * qty of quote | 0 |
| SELL with a quantity (every type) | qty of base | 0 |
| MARKET BUY by quantity | all available quote, in whole notional units | that, in notional units |
| MARKET BUY by quoteOrderQty | quoteOrderQty (whole notional units) | the same |
| MARKET SELL by quoteOrderQty | all available base, in whole lots | that, in lots |
| STOP_LOSS / TAKE_PROFIT BUY | qty * stopPrice * 110 % of quote | that, in notional units |

A MARKET BUY by quantity (or SELL by quoteOrderQty) that the balance cannot pay for, at the
book's prices, is refused whole by the engine (INSUFFICIENT_FUNDS -> -2010, as Binance), not
partly filled.
A stop-market BUY fires as a market order at an unknown price; the 10 % headroom
(`STOP_MARKET_BUY_HEADROOM_PERCENT`) is what it may pay above its stop price. If the book is
dearer than that when it fires, it fills what the cap affords and expires -- the exchange
never lends. Whatever a finished order did not spend is released by settlement
(services.tradeproc.domain).
"""

from __future__ import annotations

import hashlib
import re
import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, TypeVar

from engine_ext.codes import STOP_TYPES, OrderType, SelfTradePrevention, Side, TimeInForce
from services.common.markets import DECIMAL_RANGE, Asset, Symbol, is_decimal
from services.common.records import OrderRecord
from services.order import errors
from services.order.errors import CLIENT_ORDER_ID_RANGE
from services.order.filters import (
    LotSize,
    check_lot_size,
    check_market_lot_size,
    check_max_num_algo_orders,
    check_max_num_orders,
    check_notional,
    check_percent_price_by_side,
    check_price_filter,
    exact_product,
)

ResponseType = Literal["ACK", "RESULT", "FULL"]
_E = TypeVar("_E", Side, OrderType, TimeInForce)

NEW_ORDER_PARAMETERS = frozenset({
    "symbol", "side", "type", "timeInForce", "quantity", "quoteOrderQty", "price",
    "newClientOrderId", "stopPrice", "newOrderRespType", "selfTradePreventionMode",
    "icebergQty", "trailingDelta",  # read only to be refused: spotex has neither
})
AUTH_PARAMETERS = frozenset({"timestamp", "recvWindow", "signature"})  # the edge's business

LIMIT_PRICED_TYPES = frozenset({
    OrderType.LIMIT, OrderType.LIMIT_MAKER, OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT_LIMIT,
})
"""Types with a limit price; every other type executes as a market order."""
TIF_TYPES = frozenset({OrderType.LIMIT, OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT_LIMIT})
"""Types that take timeInForce (LIMIT_MAKER is GTC by nature and refuses the parameter)."""

# Binance's default for most spot symbols since 2023; markets.Symbol has no per-symbol value yet.
DEFAULT_SELF_TRADE_PREVENTION = SelfTradePrevention.EXPIRE_MAKER
STOP_MARKET_BUY_HEADROOM_PERCENT = 10
# Binance -1127: an account's history (allOrders, myTrades) is asked for at most 24 hours at a time
MAX_LOOKUP_INTERVAL_MS = 24 * 3_600_000
ENGINE_MAX_VALUE = 2**62  # docs/engine.md: 1 <= price, qty, quote_qty, stop_price, cap <= 2**62
INT64_MAX = 2**63 - 1

_CLIENT_ORDER_ID = re.compile(CLIENT_ORDER_ID_RANGE)
_STP_MODES = ("NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH")
_RESPONSE_TYPES: tuple[ResponseType, ...] = ("ACK", "RESULT", "FULL")

# What each type must have and must not have (rest-api.md, "New order"). MARKET is special:
# exactly one of quantity and quoteOrderQty.
_REQUIRED: dict[OrderType, tuple[str, ...]] = {
    OrderType.LIMIT: ("timeInForce", "quantity", "price"),
    OrderType.MARKET: (),
    OrderType.LIMIT_MAKER: ("quantity", "price"),
    OrderType.STOP_LOSS: ("quantity", "stopPrice"),
    OrderType.STOP_LOSS_LIMIT: ("timeInForce", "quantity", "price", "stopPrice"),
    OrderType.TAKE_PROFIT: ("quantity", "stopPrice"),
    OrderType.TAKE_PROFIT_LIMIT: ("timeInForce", "quantity", "price", "stopPrice"),
}
_NOT_TAKEN: dict[OrderType, tuple[str, ...]] = {
    OrderType.LIMIT: ("quoteOrderQty", "stopPrice"),
    OrderType.MARKET: ("timeInForce", "price", "stopPrice"),
    OrderType.LIMIT_MAKER: ("timeInForce", "quoteOrderQty", "stopPrice"),
    OrderType.STOP_LOSS: ("timeInForce", "price", "quoteOrderQty"),
    OrderType.STOP_LOSS_LIMIT: ("quoteOrderQty",),
    OrderType.TAKE_PROFIT: ("timeInForce", "price", "quoteOrderQty"),
    OrderType.TAKE_PROFIT_LIMIT: ("quoteOrderQty",),
}


@dataclass(frozen=True, slots=True)
class NewOrder:
    """A syntactically valid new-order request, still in the trader's decimals."""

    symbol: Symbol
    side: Side
    order_type: OrderType
    tif: TimeInForce  # GTC for the types that take none (Binance reports them as GTC)
    quantity: Decimal | None
    quote_order_qty: Decimal | None
    price: Decimal | None
    stop_price: Decimal | None
    client_order_id: str | None  # None: the service assigns one
    stp: SelfTradePrevention
    response_type: ResponseType


@dataclass(frozen=True, slots=True)
class OrderContext:
    """What the filters need to know beyond the request; the order desk looks it up."""

    reference_price: int | None = None  # ticks: Binance's average price (spotex: last trade); None = no trade yet
    open_orders: int = 0  # the user's open orders on the symbol, pending stops included
    open_algo_orders: int = 0  # of which stop orders
    market_lot_size: LotSize | None = None  # MARKET_LOT_SIZE, until markets.Filters carries it


@dataclass(frozen=True, slots=True)
class OrderIntent:
    """A valid order in engine units, ready for its funds to be reserved."""

    symbol: Symbol
    side: Side
    order_type: OrderType
    tif: TimeInForce
    price: int  # ticks; 0 unless limit-priced
    qty: int  # lots; 0 for an order by quoteOrderQty
    quote_qty: int  # notional units; 0 unless MARKET by quoteOrderQty
    stop_price: int  # ticks; 0 unless a stop type
    stp: SelfTradePrevention
    client_order_id: str | None
    response_type: ResponseType


@dataclass(frozen=True, slots=True)
class Reservation:
    asset: str  # what is locked
    amount: int  # minor units of `asset` to move from available to locked
    cap: int  # the engine SUBMIT's `cap` (0 = none)


# -- 1. parsing ------------------------------------------------------------------------------


def parse_new_order(
    params: Mapping[str, str] | Sequence[tuple[str, str]], symbols: Mapping[str, Symbol]
) -> NewOrder:
    """Read a POST /api/v3/order request as Binance does; raise `OrderRejected` on the first fault."""
    sent = _collect(params)
    for name in ("symbol", "side", "type"):
        if name not in sent:
            raise errors.mandatory_missing(name)
    symbol = symbols.get(sent["symbol"])
    if symbol is None:
        raise errors.invalid_symbol()
    side = _enum(Side, sent["side"], errors.invalid_side)
    order_type = _enum(OrderType, sent["type"], errors.invalid_order_type)
    if symbol.status != "TRADING":
        raise errors.market_closed()
    if order_type not in symbol.order_types:
        raise errors.order_type_not_supported(order_type)
    if "icebergQty" in sent:
        raise errors.iceberg_not_supported()
    if "trailingDelta" in sent:
        raise errors.trailing_stop_not_supported()
    _check_parameters_of_type(order_type, sent)

    tif = TimeInForce.GTC  # what Binance reports for the types that take no timeInForce
    if "timeInForce" in sent:
        tif = _enum(TimeInForce, sent["timeInForce"], errors.invalid_time_in_force)
    base, quote = symbol.base, symbol.quote
    return NewOrder(
        symbol=symbol,
        side=side,
        order_type=order_type,
        tif=tif,
        quantity=_amount(sent, "quantity", base),
        quote_order_qty=_amount(sent, "quoteOrderQty", quote),
        price=_amount(sent, "price", quote),
        stop_price=_amount(sent, "stopPrice", quote),
        client_order_id=check_client_order_id(sent.get("newClientOrderId")),
        stp=_stp(sent.get("selfTradePreventionMode")),
        response_type=_response_type(sent.get("newOrderRespType"), order_type),
    )


def default_response_type(order_type: OrderType) -> ResponseType:
    """Binance: "MARKET and LIMIT order types default to FULL, all other orders default to ACK"."""
    return "FULL" if order_type in (OrderType.MARKET, OrderType.LIMIT) else "ACK"


def _collect(params: Mapping[str, str] | Sequence[tuple[str, str]]) -> dict[str, str]:
    pairs = list(params.items()) if isinstance(params, Mapping) else list(params)
    seen: set[str] = set()
    for name, _ in pairs:
        if name in seen:
            raise errors.duplicate_parameter(name)
        seen.add(name)
    unknown = seen - NEW_ORDER_PARAMETERS - AUTH_PARAMETERS
    if unknown:
        raise errors.unread_parameters(read=len(seen) - len(unknown), sent=len(seen))
    # Binance treats an empty value as not sent ("was not sent, was empty/null").
    return {name: value for name, value in pairs if value != "" and name not in AUTH_PARAMETERS}


def _enum(kind: type[_E], text: str, error: Callable[[], errors.OrderRejected]) -> _E:
    try:
        return kind[text]
    except KeyError:
        raise error() from None


def _check_parameters_of_type(order_type: OrderType, sent: Mapping[str, str]) -> None:
    for name in _REQUIRED[order_type]:
        if name not in sent:
            raise errors.mandatory_missing(name)
    if order_type == OrderType.MARKET:
        if "quantity" not in sent and "quoteOrderQty" not in sent:
            raise errors.one_of_missing("quantity", "quoteOrderQty")
        if "quantity" in sent and "quoteOrderQty" in sent:
            raise errors.not_required("quoteOrderQty")
    for name in _NOT_TAKEN[order_type]:
        if name in sent:
            raise errors.not_required(name)


def _amount(sent: Mapping[str, str], name: str, asset: Asset) -> Decimal | None:
    """A positive decimal of at most the asset's precision (Binance: -1100, -1111, -1013)."""
    text = sent.get(name)
    if text is None:
        return None
    if not is_decimal(text):
        raise errors.illegal_characters(name, DECIMAL_RANGE)
    value = Decimal(text)
    if value == 0:
        raise errors.invalid_value(name)
    # Trailing zeros are not precision: "0.100000000" is 0.1.
    exponent = value.normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    if exponent < -asset.precision:
        raise errors.too_much_precision(name)
    return value


_ID_CHARACTERS = string.ascii_letters + string.digits
_ID_TABLE = bytes(ord(_ID_CHARACTERS[b % len(_ID_CHARACTERS)]) for b in range(256))


def cancel_client_order_id(symbol: str, order_id: int) -> str:
    """The client id of a cancel whose sender named none (Binance makes one up): derived from
    the order, so that trade processing, which reports the cancel in the user data stream
    (executionReport `c`; `C` is the order's own), gives the one the cancel's answer gave. One
    cancel of an order can succeed, so one id per order is enough."""
    digest = hashlib.blake2b(f"cancel:{symbol}:{order_id}".encode(), digest_size=22).digest()
    return digest.translate(_ID_TABLE).decode("ascii")


def check_client_order_id(text: str | None, name: str = "newClientOrderId") -> str | None:
    """A client order id a trader chose (of an order or of a cancel), in Binance's grammar."""
    if text is not None and not _CLIENT_ORDER_ID.fullmatch(text):
        raise errors.illegal_characters(name, CLIENT_ORDER_ID_RANGE)
    return text


def _stp(text: str | None) -> SelfTradePrevention:
    if text is None:
        return DEFAULT_SELF_TRADE_PREVENTION
    if text not in _STP_MODES:  # DECREMENT and TRANSFER are Binance modes spotex does not offer
        raise errors.illegal_characters("selfTradePreventionMode", ", ".join(_STP_MODES))
    return SelfTradePrevention[text]


def _response_type(text: str | None, order_type: OrderType) -> ResponseType:
    if text is None:
        return default_response_type(order_type)
    for candidate in _RESPONSE_TYPES:
        if text == candidate:
            return candidate
    raise errors.illegal_characters("newOrderRespType", ", ".join(_RESPONSE_TYPES))


# -- 2. filters ------------------------------------------------------------------------------


def apply_filters(order: NewOrder, context: OrderContext) -> OrderIntent:
    """The symbol's filters, in exchangeInfo's order (PRICE_FILTER, LOT_SIZE, MARKET_LOT_SIZE,
    PERCENT_PRICE_BY_SIDE, NOTIONAL, MAX_NUM_ORDERS, MAX_NUM_ALGO_ORDERS); the first failure wins.

    NOTIONAL of an order without a limit price: a MARKET order by quantity is valued at the
    reference price (unchecked before the first trade), one by quoteOrderQty at that amount,
    and a stop-market order at its stop price (the price it is expected to fire at).
    """
    symbol = order.symbol
    is_market = order.order_type not in LIMIT_PRICED_TYPES
    price = check_price_filter(symbol, order.price) if order.price is not None else 0
    stop_price = check_price_filter(symbol, order.stop_price) if order.stop_price is not None else 0
    qty = check_lot_size(symbol, order.quantity) if order.quantity is not None else 0
    if order.order_type == OrderType.MARKET and order.quantity is not None:
        check_market_lot_size(context.market_lot_size, order.quantity)
    reference = symbol.ticks_to_price(context.reference_price) if context.reference_price else None
    if order.price is not None:
        check_percent_price_by_side(symbol, order.side, order.price, reference)
    check_notional(symbol, _notional(order, reference), is_market=is_market)
    check_max_num_orders(symbol, context.open_orders)
    if order.order_type in STOP_TYPES:
        check_max_num_algo_orders(symbol, context.open_algo_orders)

    quote_qty = 0
    if order.quote_order_qty is not None:
        quote_qty = symbol.quote_to_notional_units(order.quote_order_qty)
        if quote_qty == 0:  # less than one notional unit: nothing could ever trade
            raise errors.invalid_value("quoteOrderQty")
    if max(price, stop_price, qty, quote_qty) > ENGINE_MAX_VALUE or price * qty > INT64_MAX:
        raise errors.amount_too_large()
    return OrderIntent(
        symbol=symbol,
        side=order.side,
        order_type=order.order_type,
        tif=order.tif,
        price=price,
        qty=qty,
        quote_qty=quote_qty,
        stop_price=stop_price,
        stp=order.stp,
        client_order_id=order.client_order_id,
        response_type=order.response_type,
    )


def _notional(order: NewOrder, reference: Decimal | None) -> Decimal | None:
    if order.quote_order_qty is not None:
        return order.quote_order_qty
    assert order.quantity is not None
    unit_price = order.price or order.stop_price or reference
    return exact_product(unit_price, order.quantity) if unit_price is not None else None


# -- 3. funds --------------------------------------------------------------------------------


def spend_asset(intent: OrderIntent) -> str:
    """The asset an order locks: quote for a BUY, base for a SELL."""
    return intent.symbol.quote.name if intent.side == Side.BUY else intent.symbol.base.name


def reserve_funds(intent: OrderIntent, available: int) -> Reservation:
    """What to lock for `intent` given the user's `available` balance of `spend_asset(intent)`
    (minor units), and the engine cap that keeps every fill within it (table in the module
    docstring). Raises INSUFFICIENT_BALANCE when the order cannot be covered.

    The ledger re-checks atomically in `place_order` (the balance may move in between), so a
    reservation computed from a stale balance can fail there but never overdraw.
    """
    symbol = intent.symbol
    qmpn, bmpl = symbol.quote_minor_per_notional, symbol.base_minor_per_lot
    asset = spend_asset(intent)
    if intent.order_type in LIMIT_PRICED_TYPES:
        amount = resting_reservation(symbol, intent.side, intent.order_type, intent.price, intent.qty)
        cap = 0
    elif intent.side == Side.SELL and intent.qty:  # MARKET, STOP_LOSS, TAKE_PROFIT SELL
        amount = symbol.lots_to_base_minor(intent.qty)
        cap = 0  # the quantity bounds what it sells
    elif intent.side == Side.SELL:  # MARKET SELL by quoteOrderQty: every whole lot the user has
        cap = min(available // bmpl, ENGINE_MAX_VALUE)
        amount = cap * bmpl
    elif intent.quote_qty:  # MARKET BUY by quoteOrderQty
        cap = intent.quote_qty
        amount = cap * qmpn
    elif intent.order_type == OrderType.MARKET:  # MARKET BUY by quantity: the whole balance
        cap = min(available // qmpn, ENGINE_MAX_VALUE)
        amount = cap * qmpn
    else:  # STOP_LOSS / TAKE_PROFIT BUY: the stop price plus headroom, rounded up
        at_stop = intent.stop_price * intent.qty
        cap = min(-(-at_stop * (100 + STOP_MARKET_BUY_HEADROOM_PERCENT) // 100), ENGINE_MAX_VALUE)
        amount = cap * qmpn
    if amount == 0 or amount > available:
        raise errors.insufficient_balance()
    return Reservation(asset, amount, cap)


def resting_reservation(symbol: Symbol, side: Side, order_type: OrderType, price: int, leaves: int) -> int:
    """What a limit-priced order with `leaves` lots left must keep locked (minor units):
    price * leaves of quote for a BUY, leaves of base for a SELL.

    Settlement keeps every open limit order at exactly this (it releases a BUY's price
    improvement at each fill), so amending or finishing an order releases the difference.
    """
    if order_type not in LIMIT_PRICED_TYPES:
        raise ValueError(f"{order_type!r} has no limit price; its reservation is not a function of its leaves")
    if side == Side.BUY:
        return symbol.notional_to_quote_minor(price, leaves)
    return symbol.lots_to_base_minor(leaves)


# -- 4. the record -----------------------------------------------------------------------------


def new_order_record(
    intent: OrderIntent,
    reservation: Reservation,
    *,
    order_id: int,
    user_id: int,
    client_order_id: str,
    created_ms: int,
) -> OrderRecord:
    """The order as `Ledger.place_order` stores it (phase PENDING, status NEW)."""
    return OrderRecord(
        order_id=order_id,
        symbol=intent.symbol.name,
        user_id=user_id,
        client_order_id=client_order_id,
        side=intent.side,
        order_type=intent.order_type,
        tif=intent.tif,
        stp=intent.stp,
        price=intent.price,
        qty=intent.qty,
        quote_qty=intent.quote_qty,
        stop_price=intent.stop_price,
        cap=reservation.cap,
        reserved_asset=reservation.asset,
        reserved=reservation.amount,
        created_ms=created_ms,
        updated_ms=created_ms,
    )
