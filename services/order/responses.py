"""What the order service answers, in Binance Spot's JSON shapes.

Pure builders returning dicts whose keys are Binance's, in Binance's order, and whose amounts
are decimal strings with Binance's fixed 8 decimals (more only if a symbol's grid needs them):

- `order_response(symbol, record, events, ...)`: POST /api/v3/order in the ACK, RESULT or FULL
  shape, from the engine events of the SUBMIT command. Raises `OrderRejected` if the engine
  rejected the order (`errors.engine_rejection`).
- `order_view(symbol, record)`: GET /api/v3/order, openOrders, allOrders.
- `cancel_response(symbol, record, ...)`: DELETE /api/v3/order, from the settled record.
- `format_price` / `format_qty` / `format_amount` / `format_quote_qty`: the number formats,
  shared with the user data stream (services.tradeproc.user_stream).

Commissions of `fills` come from services.tradeproc.fees, the rule settlement charges.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from engine_ext.codes import STOP_TYPES, EventKind, OrderStatus
from engine_ext.events import Event, trade_id
from services.common.markets import Asset, Symbol
from services.common.records import OrderRecord
from services.order.domain import ResponseType, default_response_type
from services.order.errors import engine_rejection
from services.tradeproc.fees import FeeSchedule, fill_commission

NO_ORDER_LIST = -1  # spotex has no OCO/OTO lists; Binance's orderListId of a plain order
NOT_WORKING = -1  # Binance's workingTime of a stop order that has not triggered
BINANCE_DECIMALS = 8


# -- number formats ---------------------------------------------------------------------------


def _places(step: Decimal) -> int:
    exponent = step.normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    return max(BINANCE_DECIMALS, -exponent)


def format_price(symbol: Symbol, ticks: int) -> str:
    return f"{symbol.ticks_to_price(ticks):.{_places(symbol.filters.tick_size)}f}"


def format_qty(symbol: Symbol, lots: int) -> str:
    return f"{symbol.lots_to_qty(lots):.{_places(symbol.filters.step_size)}f}"


def format_amount(asset: Asset, minor: int) -> str:
    """A balance-like amount (commission, cumulative quote) in `asset`'s minor units."""
    return asset.format(minor)


def format_quote_qty(symbol: Symbol, notional_units: int) -> str:
    """An engine `quote_qty` (notional units) as quote, e.g. origQuoteOrderQty."""
    return symbol.quote.format(notional_units * symbol.quote_minor_per_notional)


def shown_orig_qty(record: OrderRecord, filled: int) -> int:
    """origQty as Binance shows it: an order by quoteOrderQty has no quantity of its own, and
    Binance reports what it executed (so clients computing origQty - executedQty see 0 left)."""
    return filled if record.qty == 0 and record.quote_qty else record.qty


# -- what one command did to one order --------------------------------------------------------


@dataclass(slots=True)
class Fill:
    trade_id: int  # the TRADE event's trade id (docs/engine.md)
    price: int  # ticks (the maker's price)
    qty: int  # lots
    quote: int  # quote minor units
    commission: int  # minor units of commission_asset
    commission_asset: str
    is_maker: bool


@dataclass(slots=True)
class Execution:
    """The outcome of one command for one order, read from the command's events."""

    status: OrderStatus = OrderStatus.NEW
    accepted: bool = False
    triggered: bool = False
    fills: list[Fill] = field(default_factory=list)

    @property
    def executed_qty(self) -> int:
        return sum(fill.qty for fill in self.fills)

    @property
    def cum_quote(self) -> int:
        return sum(fill.quote for fill in self.fills)


def execution_of(symbol: Symbol, record: OrderRecord, events: Iterable[Event], fees: FeeSchedule) -> Execution:
    """Fold a command's events into what happened to `record`'s order (taker or maker fills
    alike: a resting order can be hit by a stop the same command triggered)."""
    done = Execution()
    order_id = record.order_id
    for event in events:
        kind = event.kind
        if kind == EventKind.REJECTED and event.order_id == order_id:
            raise engine_rejection(event.code)
        if kind == EventKind.ACCEPTED and event.order_id == order_id:
            done.accepted = True
        elif kind == EventKind.TRIGGERED and event.order_id == order_id:
            done.triggered = True
        elif kind == EventKind.ORDER and event.order_id == order_id:
            done.status = OrderStatus(event.code)
        elif kind == EventKind.TRADE and order_id in (event.order_id, event.maker_order_id):
            is_maker = event.maker_order_id == order_id
            commission, asset = fill_commission(
                symbol, record.side, event.price, event.qty, is_maker=is_maker, fees=fees
            )
            done.fills.append(Fill(
                trade_id=trade_id(event.seq, event.filled),
                price=event.price,
                qty=event.qty,
                quote=symbol.notional_to_quote_minor(event.price, event.qty),
                commission=commission,
                commission_asset=asset,
                is_maker=is_maker,
            ))
    return done


# -- POST /api/v3/order -----------------------------------------------------------------------


def order_response(
    symbol: Symbol,
    record: OrderRecord,
    events: Iterable[Event],
    *,
    transact_time_ms: int,
    fees: FeeSchedule,
    response_type: ResponseType | None = None,
) -> dict[str, Any]:
    """Binance's new-order response for the order `record` (as placed: only its static fields
    are read) from the `events` of the SUBMIT command that carried it.

    `response_type` None = Binance's default for the type (FULL for MARKET and LIMIT, else ACK).
    """
    done = execution_of(symbol, record, events, fees)
    shape = response_type or default_response_type(record.order_type)
    response: dict[str, Any] = {
        "symbol": symbol.name,
        "orderId": record.order_id,
        "orderListId": NO_ORDER_LIST,
        "clientOrderId": record.client_order_id,
        "transactTime": transact_time_ms,
    }
    if shape == "ACK":
        return response
    waiting_stop = record.order_type in STOP_TYPES and not done.triggered
    response |= {
        "price": format_price(symbol, record.price),
        "origQty": format_qty(symbol, shown_orig_qty(record, done.executed_qty)),
        "executedQty": format_qty(symbol, done.executed_qty),
        "origQuoteOrderQty": format_quote_qty(symbol, record.quote_qty),
        "cummulativeQuoteQty": format_amount(symbol.quote, done.cum_quote),  # sic: Binance's spelling
        "status": done.status.name,
        "timeInForce": record.tif.name,
        "type": record.order_type.name,
        "side": record.side.name,
        "workingTime": NOT_WORKING if waiting_stop else transact_time_ms,
        "selfTradePreventionMode": record.stp.name,
    }
    if record.order_type in STOP_TYPES:
        response["stopPrice"] = format_price(symbol, record.stop_price)
    if shape == "FULL":
        response["fills"] = [_fill_view(symbol, fill) for fill in done.fills]
    return response


def _fill_view(symbol: Symbol, fill: Fill) -> dict[str, Any]:
    asset = symbol.base if fill.commission_asset == symbol.base.name else symbol.quote
    return {
        "price": format_price(symbol, fill.price),
        "qty": format_qty(symbol, fill.qty),
        "commission": format_amount(asset, fill.commission),
        "commissionAsset": fill.commission_asset,
        "tradeId": fill.trade_id,
    }


# -- GET /api/v3/order, DELETE /api/v3/order --------------------------------------------------


def is_working(record: OrderRecord) -> bool:
    """Binance's isWorking: the order has been in the book (a stop: has triggered)."""
    return record.working_ms > 0


def order_view(symbol: Symbol, record: OrderRecord) -> dict[str, Any]:
    """Binance's query-order shape (GET /api/v3/order, openOrders, allOrders)."""
    working = is_working(record)
    return {
        "symbol": symbol.name,
        "orderId": record.order_id,
        "orderListId": NO_ORDER_LIST,
        "clientOrderId": record.client_order_id,
        "price": format_price(symbol, record.price),
        "origQty": format_qty(symbol, shown_orig_qty(record, record.filled)),
        "executedQty": format_qty(symbol, record.filled),
        "cummulativeQuoteQty": format_amount(symbol.quote, record.cum_quote),
        "status": record.status.name,
        "timeInForce": record.tif.name,
        "type": record.order_type.name,
        "side": record.side.name,
        "stopPrice": format_price(symbol, record.stop_price),
        "icebergQty": format_qty(symbol, 0),
        "time": record.created_ms,
        "updateTime": record.updated_ms,
        "isWorking": working,
        "workingTime": record.working_ms if working else NOT_WORKING,
        "origQuoteOrderQty": format_quote_qty(symbol, record.quote_qty),
        "selfTradePreventionMode": record.stp.name,
    }


def cancel_response(
    symbol: Symbol, record: OrderRecord, *, cancel_client_order_id: str, transact_time_ms: int
) -> dict[str, Any]:
    """Binance's DELETE /api/v3/order answer from the order as settled after the cancel.

    As on Binance, `origClientOrderId` is the order's client id and `clientOrderId` the cancel
    request's own id.
    """
    response: dict[str, Any] = {
        "symbol": symbol.name,
        "origClientOrderId": record.client_order_id,
        "orderId": record.order_id,
        "orderListId": NO_ORDER_LIST,
        "clientOrderId": cancel_client_order_id,
        "transactTime": transact_time_ms,
        "price": format_price(symbol, record.price),
        "origQty": format_qty(symbol, shown_orig_qty(record, record.filled)),
        "executedQty": format_qty(symbol, record.filled),
        "origQuoteOrderQty": format_quote_qty(symbol, record.quote_qty),
        "cummulativeQuoteQty": format_amount(symbol.quote, record.cum_quote),
        "status": record.status.name,
        "timeInForce": record.tif.name,
        "type": record.order_type.name,
        "side": record.side.name,
        "selfTradePreventionMode": record.stp.name,
    }
    if record.order_type in STOP_TYPES:
        response["stopPrice"] = format_price(symbol, record.stop_price)
    return response

