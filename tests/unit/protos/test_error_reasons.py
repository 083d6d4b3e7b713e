"""The error table: every ErrorReason maps to a gRPC code and a Binance error, and
docs/protos.md documents every one of them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from google.rpc import code_pb2

from exchange.v1 import errors_pb2

ROOT = Path(__file__).resolve().parents[3]
REASONS = [v for v in errors_pb2.ErrorReason.DESCRIPTOR.values if v.number != 0]


def mapping(reason: str) -> errors_pb2.ErrorMapping:
    value = errors_pb2.ErrorReason.DESCRIPTOR.values_by_name[reason]
    result: errors_pb2.ErrorMapping = value.GetOptions().Extensions[errors_pb2.error]
    return result


@pytest.mark.parametrize("reason", [v.name for v in REASONS])
def test_every_reason_maps_to_a_failing_grpc_code_and_a_binance_error(reason: str) -> None:
    error = mapping(reason)

    assert error.grpc_code not in (code_pb2.OK, code_pb2.UNKNOWN)
    assert error.binance_code < 0
    assert error.binance_msg


def test_the_examples_of_the_convention_hold() -> None:
    assert (mapping("INSUFFICIENT_BALANCE").grpc_code, mapping("INSUFFICIENT_BALANCE").binance_code) == (
        code_pb2.FAILED_PRECONDITION,
        -2010,
    )
    assert mapping("FILTER_LOT_SIZE").binance_msg == "Filter failure: LOT_SIZE"
    assert mapping("UNKNOWN_ORDER").binance_code == -2011
    assert mapping("NO_SUCH_ORDER").binance_code == -2013
    assert mapping("DUPLICATE_CLIENT_ORDER_ID").grpc_code == code_pb2.ALREADY_EXISTS


def test_docs_table_lists_every_reason_with_its_binance_code() -> None:
    docs = (ROOT / "docs" / "protos.md").read_text(encoding="utf-8")
    rows = {
        m.group(1): int(m.group(2))
        for m in re.finditer(r"^\| `([A-Z_]+)` \| `[A-Z_]+` \| (-\d+) \|", docs, flags=re.MULTILINE)
    }

    assert rows == {v.name: mapping(v.name).binance_code for v in REASONS}
