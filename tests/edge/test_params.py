"""Parameters typed into request messages by their JSON names (unit tests)."""

from __future__ import annotations

import pytest

from edge.errors import ApiError
from edge.rest.params import REFUSED_ORDER_PARAMS, MessageDecoder, parse_json_params, parse_params
from exchange.v1 import common_pb2, marketdata_pb2, order_pb2, user_pb2

ORDER = MessageDecoder(order_pb2.PlaceOrderRequest)


def refusal(call: object) -> tuple[int, int, str]:
    with pytest.raises(ApiError) as caught:
        call()  # type: ignore[operator]
    return caught.value.status, caught.value.code, caught.value.msg


def test_binance_names_become_typed_fields() -> None:
    params = parse_params(b"symbol=BTCUSDT&side=SELL&type=LIMIT", b"quantity=0.5&price=1%2E5&timestamp=1", 64)
    message = ORDER.decode(params)
    assert (message.symbol, message.side, message.type) == ("BTCUSDT", common_pb2.SELL, common_pb2.LIMIT)
    assert (message.quantity, message.price) == ("0.5", "1.5")


def test_empty_values_count_as_not_sent() -> None:
    message = MessageDecoder(order_pb2.GetOrderRequest).decode({"symbol": "BTCUSDT", "orderId": ""})
    assert not message.HasField("order_id")


def test_duplicates_unknown_parameters_and_bad_enums_get_binance_errors() -> None:
    assert refusal(lambda: parse_params(b"a=1", b"a=2", 64))[1] == -1101
    assert refusal(lambda: parse_params(b"&".join([b"a%d=1" % i for i in range(65)]), b"", 64))[1] == -1101
    assert refusal(lambda: ORDER.decode({"symbol": "X", "colour": "red"})) == (
        400, -1104, "Not all sent parameters were read; read '1' parameter(s) but was sent '2'."
    )  # fmt: skip
    assert refusal(lambda: ORDER.decode({"side": "buy"}))[1:] == (-1117, "Invalid side.")
    assert refusal(lambda: ORDER.decode({"icebergQty": "1"}, REFUSED_ORDER_PARAMS))[1] == -2010
    assert refusal(lambda: MessageDecoder(marketdata_pb2.GetDepthRequest).decode({"limit": "99999999999"}))[1] == -1100


def test_lists_are_json_arrays_or_comma_separated() -> None:
    tickers = MessageDecoder(marketdata_pb2.GetTickerRequest)
    assert list(tickers.decode({"symbols": '["BTCUSDT","ETHUSDT"]'}).symbols) == ["BTCUSDT", "ETHUSDT"]
    assert refusal(lambda: tickers.decode({"symbols": '["BTCUSDT",'}))[1] == -1100
    keys = MessageDecoder(user_pb2.CreateApiKeyRequest)
    assert list(keys.decode({"permissions": "READ,PERMISSION_TRADE"}).permissions) == [
        common_pb2.PERMISSION_READ, common_pb2.PERMISSION_TRADE
    ]  # fmt: skip


def test_json_bodies_become_parameters() -> None:
    assert parse_json_params(b'{"email": "a@b.c", "n": 3, "ok": true, "l": ["X"]}') == {
        "email": "a@b.c", "n": "3", "ok": "true", "l": '["X"]'
    }  # fmt: skip
    assert refusal(lambda: parse_json_params(b"[1]"))[1] == -1100
