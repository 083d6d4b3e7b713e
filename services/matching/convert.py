"""The matching hop's protobuf messages <-> the engine's packed records.

Proto enums are the engine's codes + 1 (0 = UNSPECIFIED): an UNSPECIFIED value becomes 255
in the engine record, which the engine rejects as INVALID_ORDER, so no extra check is needed.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np

from engine_ext.codes import CommandOp, EventKind
from engine_ext.events import COMMAND_DTYPE, Event
from exchange.v1 import matching_pb2

_SUBMIT_FIELDS = ("order_id", "user_id", "price", "qty", "quote_qty", "stop_price", "cap")


def _engine_code(proto_value: int) -> int:
    return (proto_value - 1) & 0xFF


def command_record(command: matching_pb2.Command) -> np.void:
    record: np.void = np.zeros(1, dtype=COMMAND_DTYPE)[0]
    op = command.WhichOneof("op")
    if op == "submit":
        record["op"] = CommandOp.SUBMIT
        _fill_submit(record, command.submit)
    elif op == "cancel":
        record["op"] = CommandOp.CANCEL
        record["order_id"] = command.cancel.order_id
    elif op == "amend":
        record["op"] = CommandOp.AMEND
        record["order_id"] = command.amend.order_id
        record["price"] = command.amend.new_price
        record["qty"] = command.amend.new_qty
    elif op == "replace":
        record["op"] = CommandOp.REPLACE
        record["target_id"] = command.replace.target_id
        _fill_submit(record, command.replace.submit)
    else:
        raise ValueError("a command needs one of submit, cancel, amend or replace")
    return record


def _fill_submit(record: np.void, submit: matching_pb2.SubmitCommand) -> None:
    record["side"] = _engine_code(submit.side)
    record["order_type"] = _engine_code(submit.order_type)
    record["tif"] = _engine_code(submit.time_in_force)
    record["stp"] = _engine_code(submit.self_trade_prevention)
    for name in _SUBMIT_FIELDS:
        record[name] = getattr(submit, name)


def engine_event(symbol: str, time_ms: int, event: Event, *, sided: bool = True) -> matching_pb2.EngineEvent:
    """One engine event as the proto. `sided=False` for a REJECTED cancel/amend, whose engine
    side is a meaningless 0."""
    message = matching_pb2.EngineEvent(
        symbol=symbol,
        seq=event.seq,
        kind=cast(Any, event.kind + 1),
        side=cast(Any, event.side + 1 if sided else 0),
        order_id=event.order_id,
        user_id=event.user_id,
        maker_order_id=event.maker_order_id,
        maker_user_id=event.maker_user_id,
        price=event.price,
        qty=event.qty,
        filled=event.filled,
        time=time_ms,
    )
    # proto enum fields take plain ints at run time; the casts only quiet the generated stubs
    if event.kind in (EventKind.ACCEPTED, EventKind.TRIGGERED):
        message.order_type = cast(Any, event.code + 1)
    elif event.kind == EventKind.ORDER:
        message.status = cast(Any, event.code + 1)
    elif event.kind == EventKind.REJECTED:
        message.reject_reason = cast(Any, event.code)
    return message


def event_tuple(message: matching_pb2.EngineEvent) -> Event:
    """The inverse of `engine_event`: back to the engine's own record."""
    if message.kind - 1 in (EventKind.ACCEPTED, EventKind.TRIGGERED):
        code = message.order_type - 1
    elif message.kind - 1 == EventKind.ORDER:
        code = message.status - 1
    elif message.kind - 1 == EventKind.REJECTED:
        code = message.reject_reason
    else:
        code = 0
    return Event(
        message.seq,
        message.kind - 1,
        max(message.side - 1, 0),
        code,
        message.order_id,
        message.user_id,
        message.maker_order_id,
        message.maker_user_id,
        message.price,
        message.qty,
        message.filled,
    )
