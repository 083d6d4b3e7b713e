"""Stream names and live requests, parsed without a server."""

from __future__ import annotations

import pytest

from edge.ws.requests import Method, RequestRefused, parse_request
from edge.ws.streams import KLINE_INTERVALS, StreamKind, UnknownStream, parse_stream

SYMBOLS = frozenset({"BTCUSDT", "ETHBTC"})


@pytest.mark.parametrize(
    ("name", "kind", "symbol"),
    [
        ("btcusdt@trade", StreamKind.TRADE, "BTCUSDT"),
        ("btcusdt@aggTrade", StreamKind.AGG_TRADE, "BTCUSDT"),
        ("btcusdt@depth", StreamKind.DEPTH_DIFF, "BTCUSDT"),
        ("btcusdt@depth@100ms", StreamKind.DEPTH_DIFF, "BTCUSDT"),
        ("btcusdt@depth5", StreamKind.PARTIAL_DEPTH, "BTCUSDT"),
        ("ethbtc@depth10@100ms", StreamKind.PARTIAL_DEPTH, "ETHBTC"),
        ("btcusdt@depth20", StreamKind.PARTIAL_DEPTH, "BTCUSDT"),
        ("btcusdt@kline_1M", StreamKind.KLINE, "BTCUSDT"),
        ("btcusdt@kline_1d@+08:00", StreamKind.KLINE, "BTCUSDT"),
        ("btcusdt@ticker", StreamKind.TICKER, "BTCUSDT"),
        ("btcusdt@miniTicker", StreamKind.MINI_TICKER, "BTCUSDT"),
        ("btcusdt@bookTicker", StreamKind.BOOK_TICKER, "BTCUSDT"),
        ("btcusdt@avgPrice", StreamKind.AVG_PRICE, "BTCUSDT"),
        ("!ticker@arr", StreamKind.ALL_TICKERS, None),
        ("!miniTicker@arr", StreamKind.ALL_MINI_TICKERS, None),
        ("btcusdt@ticker_1h", StreamKind.WINDOW_TICKER, "BTCUSDT"),
        ("ethbtc@ticker_4h", StreamKind.WINDOW_TICKER, "ETHBTC"),
        ("!ticker_1d@arr", StreamKind.ALL_WINDOW_TICKERS, None),
    ],
)
def test_binance_stream_names_parse(name: str, kind: StreamKind, symbol: str | None) -> None:
    stream = parse_stream(name, SYMBOLS)
    assert (stream.name, stream.kind, stream.symbol) == (name, kind, symbol)


@pytest.mark.parametrize("name", ["btcusdt@depth@1000ms", "ethbtc@depth5@1000ms", "btcusdt@depth20@1000ms"])
def test_the_default_speed_spelled_out_is_the_stream_without_it(name: str) -> None:
    """ccxt pro subscribes to <symbol>@depth@1000ms when watchOrderBookRate is 1000."""
    stream = parse_stream(name, SYMBOLS)
    assert stream.name == name and stream.source == name.removesuffix("@1000ms")
    assert stream.kind is parse_stream(stream.source, SYMBOLS).kind


def test_every_binance_kline_interval_is_a_stream() -> None:
    assert len(KLINE_INTERVALS) == 16
    for interval in KLINE_INTERVALS:
        assert parse_stream(f"btcusdt@kline_{interval}", SYMBOLS).kind is StreamKind.KLINE


@pytest.mark.parametrize(
    "name",
    [
        "BTCUSDT@trade", "btcusdt", "btcusdt@", "@trade", "dogeusdt@trade", "btcusdt@depth15", "btcusdt@depth@500ms",
        "btcusdt@depth@100ms@1000ms", "btcusdt@trade@1000ms", "btcusdt@kline_1d@+09:00", "btcusdt@kline_1d@+8",
        "btcusdt@trade@+08:00",
        "btcusdt@kline_2m", "btcusdt@kline_1H", "btcusdt@trade@100ms", "!bookTicker", "!ticker@arr@100ms",
        "btc usdt@trade", "btcusdt@depth5@500ms", "", "btcusdt@ticker_2h", "btcusdt@ticker_", "!ticker_1w@arr",
        "!ticker_1h@arr@3000ms",
    ],
)
def test_names_binance_does_not_serve_are_unknown(name: str) -> None:
    with pytest.raises(UnknownStream):
        parse_stream(name, SYMBOLS)


def test_a_subscribe_request_parses() -> None:
    request = parse_request('{"method":"SUBSCRIBE","params":["btcusdt@trade"],"id":1}')
    assert (request.method, request.params, request.id) == (Method.SUBSCRIBE, ("btcusdt@trade",), 1)


def test_list_subscriptions_needs_no_params() -> None:
    assert parse_request(b'{"method":"LIST_SUBSCRIPTIONS","id":"a1"}').id == "a1"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", 3),
        ("{", 3),
        ("null", 2),
        ('"SUBSCRIBE"', 2),
        ('{"method":"subscribe","params":["btcusdt@trade"],"id":1}', 2),
        ('{"method":"SUBSCRIBE","params":{"a":1},"id":1}', 2),
        ('{"method":"SUBSCRIBE","params":["btcusdt@trade"],"id":true}', 2),
        ('{"method":"SUBSCRIBE","params":["btcusdt@trade"],"id":18446744073709551616}', 2),
        ('{"method":"SUBSCRIBE","params":["btcusdt@trade"],"id":"' + "x" * 37 + '"}', 2),
        ('{"method":"SET_PROPERTY","params":["combined"],"id":1}', 2),
        ('{"method":"SET_PROPERTY","params":["combined", 1],"id":1}', 1),
        ('{"method":"GET_PROPERTY","params":["speed"],"id":1}', 0),
    ],
)
def test_bad_requests_are_refused_with_binance_codes(raw: str, code: int) -> None:
    with pytest.raises(RequestRefused) as refused:
        parse_request(raw)
    assert refused.value.code == code
