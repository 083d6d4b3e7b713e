"""The signed payload is the exact bytes each client signed, whatever its parameter order and
wherever it put them (unit tests: the clients build their requests offline)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import warnings
from urllib.parse import urlencode, urlsplit

import ccxt

from edge.auth import signed_payload
from edge.rest.params import parse_params

SECRET = "s" * 64


def verifies(query: bytes, body: bytes) -> bool:
    params = parse_params(query, body, 64)
    expected = hmac.new(SECRET.encode(), signed_payload(query, body), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, params["signature"])


def test_ccxt_signs_its_insertion_order_in_the_query_for_get_and_the_body_for_post() -> None:
    client = ccxt.binance({"apiKey": "k" * 64, "secret": SECRET, "options": {"fetchMarkets": {"types": ["spot"]}}})
    params = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "quantity": "1", "price": "2", "timeInForce": "GTC"}
    post = client.sign("order", ["private"], "POST", params)
    assert verifies(b"", post["body"].encode())
    assert post["body"].startswith("timestamp=")  # ccxt's order, not sorted
    get = client.sign("order", ["private"], "GET", {"symbol": "BTCUSDT", "orderId": 7})
    assert verifies(urlsplit(get["url"]).query.encode(), b"")


def test_python_binance_signs_sorted_parameters_and_puts_delete_in_the_body() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from binance.client import Client

    client = Client("k" * 64, SECRET, ping=False)
    try:
        kwargs = client._get_request_kwargs("delete", True, data={"symbol": "BTCUSDT", "orderId": 7})
        body = urlencode(kwargs["data"]).encode()  # what requests sends for data=[(k, v), ...]
        assert body.startswith(b"orderId=") and verifies(b"", body)
    finally:  # python-binance makes an event loop for this thread; leaked, it warns in a later test
        client.close_connection()
        client.loop.close()
        asyncio.set_event_loop(None)


def test_the_payload_is_query_then_body_with_only_the_signature_pair_removed() -> None:
    assert signed_payload(b"symbol=A&signature=ff", b"quantity=1&timestamp=2") == b"symbol=Aquantity=1&timestamp=2"
    assert signed_payload(b"", b"a=1&signature=ff&b=2") == b"a=1&b=2"
    assert signed_payload(b"mysignature=1", b"") == b"mysignature=1"
