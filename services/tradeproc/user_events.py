"""Binance user-data-stream payloads <-> the contract's UserEvent messages.

The payloads are built in Binance's one-letter keys (user_stream.py); the contract carries
them typed. This table is the one place the two names meet: the trade-processing servicer
packs with it, the edge unpacks with it.
"""

from __future__ import annotations

from typing import Any

from exchange.v1 import common_pb2, tradeproc_pb2

# Binance key -> (ExecutionReport field, enum type or None)
EXECUTION_REPORT_FIELDS: dict[str, tuple[str, Any]] = {
    "s": ("symbol", None),
    "c": ("client_order_id", None),
    "S": ("side", common_pb2.Side),
    "o": ("order_type", common_pb2.OrderType),
    "f": ("time_in_force", common_pb2.TimeInForce),
    "q": ("quantity", None),
    "p": ("price", None),
    "P": ("stop_price", None),
    "C": ("orig_client_order_id", None),
    "x": ("execution_type", tradeproc_pb2.ExecutionReport.ExecutionType),
    "X": ("order_status", common_pb2.OrderStatus),
    "r": ("reject_reason", None),
    "i": ("order_id", None),
    "l": ("last_executed_qty", None),
    "z": ("cumulative_filled_qty", None),
    "L": ("last_executed_price", None),
    "n": ("commission", None),
    "N": ("commission_asset", None),
    "T": ("transaction_time", None),
    "t": ("trade_id", None),
    "I": ("execution_id", None),
    "w": ("is_working", None),
    "m": ("is_maker", None),
    "O": ("order_creation_time", None),
    "Z": ("cumulative_quote_qty", None),
    "Y": ("last_quote_qty", None),
    "Q": ("quote_order_qty", None),
    "W": ("working_time", None),
    "V": ("self_trade_prevention_mode", common_pb2.SelfTradePrevention),
}


def user_event(user_id: int, payload: dict[str, Any]) -> tradeproc_pb2.UserEvent:
    event = tradeproc_pb2.UserEvent(user_id=user_id, event_time=payload["E"])
    if payload["e"] == "executionReport":
        report = event.execution_report
        for key, (field, enum) in EXECUTION_REPORT_FIELDS.items():
            value = payload.get(key)
            if value is None:
                continue
            setattr(report, field, enum.Value(value) if enum is not None else value)
    elif payload["e"] == "outboundAccountPosition":
        event.account_position.last_update_time = payload["u"]
        for line in payload["B"]:
            event.account_position.balances.add(asset=line["a"], free=line["f"], locked=line["l"])
    elif payload["e"] == "balanceUpdate":
        event.balance_update.asset = payload["a"]
        event.balance_update.balance_delta = payload["d"]
        event.balance_update.clear_time = payload["T"]
    else:
        raise ValueError(f"not a user data stream event: {payload['e']!r}")
    return event


def binance_payload(event: tradeproc_pb2.UserEvent) -> dict[str, Any]:
    """The inverse: the JSON object Binance sends on the user data stream."""
    kind = event.WhichOneof("payload")
    if kind == "execution_report":
        report = event.execution_report
        payload: dict[str, Any] = {"e": "executionReport", "E": event.event_time}
        for key, (field, enum) in EXECUTION_REPORT_FIELDS.items():
            value = getattr(report, field)
            if key == "W" and not report.is_working:
                continue  # Binance sends W only once the order is working
            if key == "N" and not value:
                payload[key] = None
                continue
            payload[key] = enum.Name(value) if enum is not None else value
        payload.update(F="0.00000000", g=-1, M=payload.get("t", -1) != -1)
        return payload
    if kind == "account_position":
        position = event.account_position
        return {
            "e": "outboundAccountPosition",
            "E": event.event_time,
            "u": position.last_update_time,
            "B": [{"a": b.asset, "f": b.free, "l": b.locked} for b in position.balances],
        }
    update = event.balance_update
    return {
        "e": "balanceUpdate",
        "E": event.event_time,
        "a": update.asset,
        "d": update.balance_delta,
        "T": update.clear_time,
    }
