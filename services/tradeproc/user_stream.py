"""Binance's user data stream events, built from the same inputs as the settlement.

- `execution_reports(symbol, events, orders, time_ms, fees)` -> [(user_id, executionReport)]
  in event order: one report per order change, as Binance sends them.
- `changed_balances(settlement, events, orders)` -> {user_id: {asset, ...}}: who needs an
  account update.
- `account_position(balances, assets, time_ms)` -> outboundAccountPosition for one user, from
  the balances as they are AFTER the ledger applied the settlement (the ledger's to read).

Execution types (`x`) per engine event:
| event | x | X |
| --- | --- | --- |
| ACCEPTED | NEW | NEW |
| TRADE (once per side) | TRADE | FILLED on the order's last fill, else PARTIALLY_FILLED |
| ORDER CANCELED / EXPIRED | CANCELED / EXPIRED | the same |
| ORDER EXPIRED_IN_MATCH | TRADE_PREVENTION | EXPIRED_IN_MATCH |
| AMENDED | REPLACED (Binance's keepPriority amend) | unchanged |
| TRIGGERED | NEW, now with `w` true | NEW |
ORDER events with FILLED/PARTIALLY_FILLED repeat what the TRADE report said, so send nothing.
A submit the engine refuses (LIMIT_MAKER that would take, a stop that would trigger at once) is
not reported: Binance answers it as a -2010 refusal and "REJECTED ... is never pushed into the
User Data Stream"; nor is the lock and release of its funds.

Binance's fields that spotex has no value for are constant: `F` (iceberg) "0.00000000",
`g` (order list) -1, `M` false. On a CANCELED report `C` is the order's client id and `c` the
cancel's id derived from the order (`services.order.domain.cancel_client_order_id`), which the
cancel's answer gives too; a cancel sent with its own `newClientOrderId` is still reported
under the derived id (the request's id is not in the engine events). `C` is "" otherwise; `I` carries
the event's seq as the execution id; `W` is present once the order is working, as on Binance.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from engine_ext.codes import EventKind, OrderStatus
from engine_ext.events import Event
from services.common.markets import Asset, Symbol
from services.common.records import Balance, OrderPhase, OrderRecord, Settlement, TradeRecord
from services.order.domain import cancel_client_order_id
from services.order.responses import (
    format_amount,
    format_price,
    format_qty,
    format_quote_qty,
    is_working,
    shown_orig_qty,
)
from services.tradeproc.domain import Settler, is_submit_rejection
from services.tradeproc.fees import FeeSchedule

UserEvent = tuple[int, dict[str, Any]]  # (user id, Binance event payload)

_EXECUTION_TYPE_OF_END = {
    OrderStatus.CANCELED: "CANCELED",
    OrderStatus.EXPIRED: "EXPIRED",
    OrderStatus.EXPIRED_IN_MATCH: "TRADE_PREVENTION",
}


def execution_reports(
    symbol: Symbol,
    events: Sequence[Sequence[int]],
    orders: Mapping[int, OrderRecord],
    time_ms: int,
    fees: FeeSchedule,
) -> list[UserEvent]:
    """Every executionReport the batch causes, in order (see the module doc)."""
    batch = [Event(*raw) for raw in events]
    fill_status = _status_after_each_fill(batch)
    settler = Settler(symbol, orders, time_ms, fees)
    reports: list[UserEvent] = []

    def report(order: OrderRecord, execution_type: str, event: Event, **extra: Any) -> None:
        reports.append((order.user_id, _report(symbol, order, execution_type, event, time_ms, **extra)))

    for event in batch:
        settler.apply(event)
        match event.kind:
            case EventKind.ACCEPTED | EventKind.TRIGGERED:
                report(settler.order(event.order_id), "NEW", event)
            case EventKind.TRADE:
                for trade in settler.settlement.trades[-2:]:
                    order = settler.order(trade.order_id)
                    report(order, "TRADE", event, status=fill_status[event.seq, order.order_id], fill=trade)
            case EventKind.ORDER if OrderStatus(event.code) in _EXECUTION_TYPE_OF_END:
                report(settler.order(event.order_id), _EXECUTION_TYPE_OF_END[OrderStatus(event.code)], event)
            case EventKind.AMENDED:
                report(settler.order(event.order_id), "REPLACED", event)
            case _:
                pass
    return reports


def _status_after_each_fill(batch: Sequence[Event]) -> dict[tuple[int, int], OrderStatus]:
    """For each (trade seq, order id): FILLED if that fill completed the order, else
    PARTIALLY_FILLED. The engine says FILLED in the order's next ORDER event, which may come
    after more fills of other orders (a taker's comes at the end of its walk)."""
    statuses: dict[tuple[int, int], OrderStatus] = {}
    next_status: dict[int, int] = {}
    for event in reversed(batch):
        if event.kind == EventKind.ORDER:
            next_status[event.order_id] = event.code
        elif event.kind == EventKind.TRADE:
            for order_id in (event.order_id, event.maker_order_id):
                last = next_status.get(order_id) == OrderStatus.FILLED
                statuses[event.seq, order_id] = OrderStatus.FILLED if last else OrderStatus.PARTIALLY_FILLED
                next_status[order_id] = OrderStatus.PARTIALLY_FILLED  # an earlier fill did not complete it
    return statuses


def _report(
    symbol: Symbol,
    order: OrderRecord,
    execution_type: str,
    event: Event,
    time_ms: int,
    *,
    status: OrderStatus | None = None,
    fill: TradeRecord | None = None,
) -> dict[str, Any]:
    status = order.status if status is None else status
    canceled = execution_type == "CANCELED"
    # `w`, "is the order on the book": a taker mid-match is not (Binance's own sample shows a
    # MARKET order NEW with w true, then its TRADEs with w false); a partly filled maker is.
    if execution_type in ("NEW", "REPLACED"):
        working = is_working(order)
    elif fill is not None:
        working = fill.is_maker and status == OrderStatus.PARTIALLY_FILLED
    else:
        working = False
    if fill is not None:
        commission_asset = symbol.base if fill.commission_asset == symbol.base.name else symbol.quote
        commission = format_amount(commission_asset, fill.commission)
    payload: dict[str, Any] = {
        "e": "executionReport",
        "E": time_ms,
        "s": symbol.name,
        # the cancel's own client id as its answer gave it when its sender named none (one the
        # sender named never reaches trade processing: docs/protos.md); the order's is in `C`
        "c": cancel_client_order_id(symbol.name, order.order_id) if canceled else order.client_order_id,
        "S": order.side.name,
        "o": order.order_type.name,
        "f": order.tif.name,
        "q": format_qty(symbol, shown_orig_qty(order, order.filled)),
        "p": format_price(symbol, order.price),
        "P": format_price(symbol, order.stop_price),
        "F": format_qty(symbol, 0),
        "g": -1,
        "C": order.client_order_id if canceled else "",
        "x": execution_type,
        "X": status.name,
        "r": "NONE",  # a refused submit is not reported (module doc)
        "i": order.order_id,
        "l": format_qty(symbol, fill.qty if fill else 0),
        "z": format_qty(symbol, order.filled),
        "L": format_price(symbol, fill.price if fill else 0),
        "n": commission if fill else "0",
        "N": fill.commission_asset if fill else None,
        "T": order.created_ms if event.kind == EventKind.ACCEPTED else time_ms,  # NEW: as transactTime
        "t": fill.trade_id if fill else -1,
        "I": event.seq,
        "w": working,
        "m": fill.is_maker if fill else False,
        "M": fill is not None,  # Binance's "ignore" field: true on trades in its samples
        "O": order.created_ms,
        "Z": format_amount(symbol.quote, order.cum_quote),
        "Y": format_amount(symbol.quote, fill.quote_qty if fill else 0),
        "Q": format_quote_qty(symbol, order.quote_qty),
    }
    if is_working(order):
        payload["W"] = order.working_ms
    payload["V"] = order.stp.name
    return payload


def changed_balances(
    settlement: Settlement, events: Sequence[Sequence[int]], orders: Mapping[int, OrderRecord]
) -> dict[int, set[str]]:
    """The assets whose balance changed, per user (fee account included), as Binance announces
    them: what the settlement moves, and, with an order's NEW, the funds its placement locked
    (the order service reserved them, so the settlement shows no delta). A user whose only
    events are refused submits gets nothing: the lock and release were never announced."""
    changed: dict[int, set[str]] = {}
    for (user_id, asset), delta in settlement.balances.items():
        if delta.available or delta.locked:
            changed.setdefault(user_id, set()).add(asset)
    refused: set[int] = set()
    involved: set[int] = set()
    for raw in events:
        event = Event(*raw)
        order = orders.get(event.order_id)
        submitted = order is not None and order.phase == OrderPhase.PENDING
        if event.kind == EventKind.REJECTED and submitted and is_submit_rejection(event.code):
            refused.add(event.user_id)
            continue
        if event.kind == EventKind.ACCEPTED and submitted and order is not None and order.reserved:
            changed.setdefault(order.user_id, set()).add(order.reserved_asset)
        involved.update(u for u in (event.user_id, event.maker_user_id) if u)
    for user_id in refused - involved:
        changed.pop(user_id, None)
    return changed


def account_position(balances: Iterable[Balance], assets: Mapping[str, Asset], time_ms: int) -> dict[str, Any]:
    """Binance's outboundAccountPosition for one user: `balances` as they are now (only the
    changed assets, as Binance sends)."""
    return {
        "e": "outboundAccountPosition",
        "E": time_ms,
        "u": time_ms,
        "B": [
            {"a": b.asset, "f": assets[b.asset].format(b.available), "l": assets[b.asset].format(b.locked)}
            for b in balances
        ],
    }
