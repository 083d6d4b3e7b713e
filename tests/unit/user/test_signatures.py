"""Binance's SIGNED endpoint rules, checked as pure functions."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from services.user.errors import InvalidRecvWindow, InvalidSignature, TimestampAhead, TimestampOutsideRecvWindow
from services.user.signatures import check_signature, check_timestamp, recv_window

SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"  # Binance's docs example
# Binance's documented example: the query string and its signature.
PAYLOAD = (
    b"symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559"
)
SIGNATURE = "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"


def test_binance_documented_example_signature_is_accepted() -> None:
    check_signature(SECRET, PAYLOAD, SIGNATURE)


def test_upper_case_hex_signature_is_the_same_signature() -> None:
    check_signature(SECRET, PAYLOAD, SIGNATURE.upper())


@pytest.mark.parametrize(
    "signature",
    [
        SIGNATURE[:-1] + "0",  # one character off
        SIGNATURE[:-2],  # truncated
        "",
        "zz" * 32,  # right length, not hex
        "é" * 64,  # non-ASCII must not crash compare_digest
    ],
)
def test_any_other_signature_is_rejected(signature: str) -> None:
    with pytest.raises(InvalidSignature):
        check_signature(SECRET, PAYLOAD, signature)


def test_signature_covers_the_exact_bytes_so_reordered_params_do_not_verify() -> None:
    reordered = b"side=BUY&symbol=LTCBTC" + PAYLOAD[len(b"symbol=LTCBTC&side=BUY") :]
    with pytest.raises(InvalidSignature):
        check_signature(SECRET, reordered, SIGNATURE)


def test_query_string_plus_body_is_signed_as_one_concatenation() -> None:
    query, body = b"symbol=LTCBTC&side=BUY", b"type=LIMIT&timestamp=1"
    signature = hmac.new(SECRET.encode(), query + body, hashlib.sha256).hexdigest()
    check_signature(SECRET, query + body, signature)


def test_recv_window_defaults_to_5000_and_allows_up_to_60000() -> None:
    assert recv_window(None) == 5000
    assert recv_window(60_000) == 60_000
    assert recv_window(1) == 1


@pytest.mark.parametrize("window", [60_001, 0, -1])
def test_recv_window_outside_its_range_is_refused(window: int) -> None:
    with pytest.raises(InvalidRecvWindow):
        recv_window(window)


@pytest.mark.parametrize("age_ms", [0, 1, 4_999, 5_000])
def test_timestamp_within_the_window_is_accepted(age_ms: int) -> None:
    check_timestamp(1_000_000 - age_ms, 5_000, server_ms=1_000_000)


def test_timestamp_older_than_the_window_is_refused() -> None:
    with pytest.raises(TimestampOutsideRecvWindow):
        check_timestamp(1_000_000 - 5_001, 5_000, server_ms=1_000_000)


def test_timestamp_up_to_999_ms_in_the_future_is_accepted_1000_is_not() -> None:
    check_timestamp(1_000_999, 5_000, server_ms=1_000_000)
    with pytest.raises(TimestampAhead) as refused:
        check_timestamp(1_001_000, 5_000, server_ms=1_000_000)
    assert refused.value.args == (1_000,)  # Binance: "... was 1000ms ahead of the server's time."
