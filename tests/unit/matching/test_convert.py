"""The matching hop's conversions: proto commands to engine records, and the StreamEvents
message built once per published record."""

from __future__ import annotations

import numpy as np
import pytest

from engine_ext.codes import CommandOp, OrderType, Side, TimeInForce
from engine_ext.events import EVENT_DTYPE
from exchange.v1 import matching_pb2
from services.matching import servicer as servicer_module
from services.matching.codec import EventRecord
from services.matching.convert import command_record
from services.matching.servicer import MatchingServicer

SUBMIT = matching_pb2.SubmitCommand(
    order_id=7,
    user_id=3,
    side=Side.SELL + 1,
    order_type=OrderType.LIMIT + 1,
    time_in_force=TimeInForce.IOC + 1,
    price=101,
    qty=5,
    quote_qty=9,
    stop_price=4,
    cap=8,
)


def test_a_submit_carries_every_field_in_engine_codes() -> None:
    record = command_record(matching_pb2.Command(symbol="BTCUSDT", submit=SUBMIT))
    assert record["op"] == CommandOp.SUBMIT
    assert (record["side"], record["order_type"], record["tif"]) == (Side.SELL, OrderType.LIMIT, TimeInForce.IOC)
    amounts = ("order_id", "user_id", "price", "qty", "quote_qty", "stop_price", "cap")
    assert [int(record[f]) for f in amounts] == [7, 3, 101, 5, 9, 4, 8]
    assert record["target_id"] == 0


def test_replace_cancel_and_amend() -> None:
    replace = command_record(matching_pb2.Command(replace=matching_pb2.ReplaceCommand(target_id=2, submit=SUBMIT)))
    assert (replace["op"], replace["target_id"], replace["order_id"]) == (CommandOp.REPLACE, 2, 7)
    cancel = command_record(matching_pb2.Command(cancel=matching_pb2.CancelCommand(order_id=9)))
    assert (cancel["op"], cancel["order_id"], cancel["qty"]) == (CommandOp.CANCEL, 9, 0)
    amend = command_record(matching_pb2.Command(amend=matching_pb2.AmendCommand(order_id=9, new_price=5, new_qty=2)))
    assert (amend["op"], amend["order_id"], amend["price"], amend["qty"]) == (CommandOp.AMEND, 9, 5, 2)


def test_an_unspecified_enum_is_one_the_engine_rejects() -> None:
    record = command_record(matching_pb2.Command(submit=matching_pb2.SubmitCommand(order_id=1)))
    assert record["side"] == 255 and record["order_type"] == 255


def test_a_command_without_an_op_is_refused() -> None:
    with pytest.raises(ValueError):
        command_record(matching_pb2.Command(symbol="BTCUSDT"))


def _record(seq: int) -> EventRecord:
    events = np.zeros(2, dtype=EVENT_DTYPE)
    events["seq"] = [seq, seq + 1]
    events["order_id"] = [seq * 10, seq * 10 + 1]
    return EventRecord("BTCUSDT", 1_000, seq, seq + 1, events)


def test_each_published_record_is_converted_once_for_every_subscriber(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(servicer_module, "PUBLISHED_CACHE", 2)
    servicer = MatchingServicer([], [])
    first = _record(1)
    message = servicer._published(first)
    assert [e.order_id for e in message.results[0].events] == [10, 11]
    assert servicer._published(first) is message  # the second subscriber's
    same_content = _record(1)
    assert servicer._published(same_content) is not message  # another record: its own message
    servicer._published(_record(3))
    again = servicer._published(first)  # evicted (the cache holds 2): converted anew, the same events
    assert again is not message and again == message
