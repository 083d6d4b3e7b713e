from __future__ import annotations

import asyncio

import pytest

from engine_ext.codes import Side
from services.marketdata.domain import MarketData, MarketDataError
from services.marketdata.hub import StreamHub, Subscriber, SubscriberDropped
from services.marketdata.streams import StreamKind, parse_stream
from tests.unit.marketdata.market_feed import BTCUSDT, ETHUSDT, T0, Feed, lots, ticks

HOUR = 3_600_000

PREFIXES = {"btcusdt": "BTCUSDT", "ethusdt": "ETHUSDT"}


@pytest.mark.parametrize(
    ("name", "kind", "cadence", "extra"),
    [
        ("btcusdt@trade", StreamKind.TRADE, 0, None),
        ("btcusdt@aggTrade", StreamKind.AGG_TRADE, 0, None),
        ("btcusdt@bookTicker", StreamKind.BOOK_TICKER, 0, None),
        ("btcusdt@depth", StreamKind.DEPTH_DIFF, 1000, None),
        ("btcusdt@depth@100ms", StreamKind.DEPTH_DIFF, 100, None),
        ("btcusdt@depth5", StreamKind.PARTIAL_DEPTH, 1000, 5),
        ("btcusdt@depth20@100ms", StreamKind.PARTIAL_DEPTH, 100, 20),
        ("btcusdt@kline_1M", StreamKind.KLINE, 1000, "1M"),
        ("btcusdt@kline_1d@+08:00", StreamKind.KLINE, 1000, "1d"),
        ("btcusdt@ticker", StreamKind.TICKER, 1000, None),
        ("btcusdt@miniTicker", StreamKind.MINI_TICKER, 1000, None),
        ("btcusdt@avgPrice", StreamKind.AVG_PRICE, 1000, None),
        ("!ticker@arr", StreamKind.ALL_TICKERS, 1000, None),
        ("!miniTicker@arr", StreamKind.ALL_MINI_TICKERS, 1000, None),
        ("btcusdt@ticker_1h", StreamKind.WINDOW_TICKER, 1000, "1h"),
        ("ethusdt@ticker_4h", StreamKind.WINDOW_TICKER, 1000, "4h"),
        ("!ticker_1d@arr", StreamKind.ALL_WINDOW_TICKERS, 1000, "1d"),
    ],
)
def test_binance_stream_names_are_understood(name: str, kind: StreamKind, cadence: int, extra: object) -> None:
    spec = parse_stream(name, PREFIXES)
    assert (spec.kind, spec.cadence_ms) == (kind, cadence)
    if kind is StreamKind.PARTIAL_DEPTH:
        assert spec.levels == extra
    if kind is StreamKind.KLINE:
        assert spec.interval == extra
    if kind in (StreamKind.WINDOW_TICKER, StreamKind.ALL_WINDOW_TICKERS):
        assert spec.window == extra


@pytest.mark.parametrize(
    "name",
    ["BTCUSDT@trade", "dogeusdt@trade", "btcusdt@depth7", "btcusdt@kline_2m", "btcusdt@trades", "btcusdt",
     "btcusdt@kline_1d@+09:00", "btcusdt@kline_7d@+08:00", "btcusdt@trade@+08:00", "btcusdt@+08:00",
     "btcusdt@depth@250ms", "!bookTicker", "btcusdt@ticker_2h", "btcusdt@ticker_1H", "!ticker_30m@arr",
     "!ticker_1h@arr@1000ms", "btcusdt@miniTicker_1h"],
)
def test_names_binance_would_not_accept_are_refused(name: str) -> None:
    with pytest.raises(ValueError):
        parse_stream(name, PREFIXES)


class Market:
    """Market data, its hub and a hand-driven clock."""

    def __init__(self) -> None:
        self.data = MarketData([BTCUSDT, ETHUSDT])
        self.now = T0
        self.hub = StreamHub(self.data, lambda: self.now, queue_size=8)
        self.feed = Feed(self.data)

    def trade(self, price: str, qty: str = "1") -> None:
        self.feed.at(self.now).limit(Side.SELL, ticks(price), lots(qty))
        self.feed.market(Side.BUY, lots(qty))
        self.publish()

    def publish(self) -> None:
        self.hub.publish(self.feed.stream_events)
        self.feed.stream_events.clear()

    def tick(self, ms: int = 1000) -> None:
        self.now += ms
        self.hub.tick(100)
        if ms >= 1000:
            self.hub.tick(1000)


@pytest.fixture
def market() -> Market:
    return Market()


def _payloads(subscriber: Subscriber) -> list[dict[str, object]]:
    return [e.binance() for e in subscriber.drain()]


def test_every_subscriber_of_a_stream_gets_every_event(market: Market) -> None:
    one = market.hub.subscribe(["btcusdt@trade"])
    two = market.hub.subscribe(["btcusdt@trade", "btcusdt@aggTrade"])
    market.trade("100")
    assert [p["e"] for p in _payloads(one)] == ["trade"]
    assert [p["e"] for p in _payloads(two)] == ["trade", "aggTrade"]


def test_an_unknown_stream_name_subscribes_to_nothing(market: Market) -> None:
    with pytest.raises(MarketDataError) as refused:
        market.hub.subscribe(["btcusdt@trade", "btcusdt@nope"])
    assert refused.value.reason == "INVALID_STREAM"
    assert market.hub.subscriber_count == 0


def test_state_streams_send_their_current_state_at_once(market: Market) -> None:
    market.trade("100")
    market.feed.limit(Side.BUY, ticks("99"), lots("2"))
    subscriber = market.hub.subscribe(["btcusdt@miniTicker", "btcusdt@bookTicker", "btcusdt@depth5",
                                       "btcusdt@kline_1m"])
    first = _payloads(subscriber)
    assert first[0] == {"e": "24hrMiniTicker", "E": T0, "s": "BTCUSDT", "c": "100.00000000",
                        "o": "100.00000000", "h": "100.00000000", "l": "100.00000000", "v": "1.00000000",
                        "q": "100.00000000"}
    assert first[1]["b"] == "99.00000000"
    assert first[2] == {"lastUpdateId": market.feed.book.seq, "bids": [["99.00000000", "2.00000000"]],
                        "asks": []}
    assert first[3]["e"] == "kline"


def test_periodic_streams_push_only_when_their_content_changed(market: Market) -> None:
    subscriber = market.hub.subscribe(["btcusdt@ticker"])
    _payloads(subscriber)
    market.tick()
    assert _payloads(subscriber) == []
    market.trade("100")
    market.tick()
    (ticker,) = _payloads(subscriber)
    assert (ticker["e"], ticker["c"], ticker["n"]) == ("24hrTicker", "100.00000000", 1)
    assert set(ticker) == {"e", "E", "s", "p", "P", "w", "x", "c", "Q", "b", "B", "a", "A", "o", "h", "l", "v",
                           "q", "O", "C", "F", "L", "n"}


def test_partial_depth_is_pushed_on_its_cadence_even_when_the_book_did_not_change(market: Market) -> None:
    # Binance: "pushed every second"; a client watching a quiet book must not think it dead
    market.feed.limit(Side.BUY, ticks("99"), lots("2"))
    subscriber = market.hub.subscribe(["btcusdt@depth5", "btcusdt@depth10@100ms"])
    _payloads(subscriber)
    market.tick(100)
    market.tick(100)
    assert [len(p["bids"]) for p in _payloads(subscriber)] == [1, 1]  # 100 ms: twice, unchanged
    market.tick(1000)
    pushed = _payloads(subscriber)
    assert len(pushed) == 2 and pushed[0] == pushed[1]  # one of each, the same book


def test_the_all_market_ticker_stream_carries_only_the_symbols_that_changed(market: Market) -> None:
    subscriber = market.hub.subscribe(["!miniTicker@arr"])
    assert [p["s"] for p in _payloads(subscriber)] == ["BTCUSDT", "ETHUSDT"]
    market.trade("100")
    market.tick()
    assert [p["s"] for p in _payloads(subscriber)] == ["BTCUSDT"]


def test_rolling_window_tickers_cover_their_window_only(market: Market) -> None:
    market.trade("90")
    market.now += 2 * 3_600_000  # two hours later: out of a 1h window, inside 4h
    market.trade("100")
    hour = market.hub.subscribe(["btcusdt@ticker_1h"])
    four = market.hub.subscribe(["!ticker_4h@arr"])
    (h,) = _payloads(hour)
    # Binance's rolling window event: a 24h ticker's fields but prev close, last qty and the book
    assert set(h) == {"e", "E", "s", "p", "P", "o", "h", "l", "c", "w", "v", "q", "O", "C", "F", "L", "n"}
    assert (h["e"], h["s"], h["o"], h["c"], h["n"]) == ("1hTicker", "BTCUSDT", "100.00000000", "100.00000000", 1)
    both = {p["s"]: p for p in _payloads(four)}
    assert set(both) == {"BTCUSDT", "ETHUSDT"}
    assert (both["BTCUSDT"]["e"], both["BTCUSDT"]["o"], both["BTCUSDT"]["n"]) == ("4hTicker", "90.00000000", 2)
    market.trade("110")
    market.tick()
    assert [(p["s"], p["c"]) for p in _payloads(four)] == [("BTCUSDT", "110.00000000")]  # only what changed
    assert [p["n"] for p in _payloads(hour)] == [2]


def test_a_candle_is_pushed_while_open_and_once_more_closed_when_the_next_one_opens(market: Market) -> None:
    subscriber = market.hub.subscribe(["btcusdt@kline_1s"])
    market.trade("100")
    market.hub.tick(1000, T0 + 500)
    market.now = T0 + 1000
    market.trade("101")
    market.hub.tick(1000, T0 + 1500)

    klines = [p["k"] for p in _payloads(subscriber)]
    assert isinstance(klines[0], dict)
    assert [(k["t"], k["c"], k["x"]) for k in klines if isinstance(k, dict)] == [
        (T0, "100.00000000", False),
        (T0, "100.00000000", True),
        (T0 + 1000, "101.00000000", False),
    ]
    assert set(klines[0]) == {"t", "T", "s", "i", "f", "L", "o", "c", "h", "l", "v", "n", "x", "q", "V", "Q", "B"}


def test_a_kline_stream_at_utc_plus_8_opens_its_candles_in_that_zone(market: Market) -> None:
    utc, local = market.hub.subscribe(["btcusdt@kline_1d"]), market.hub.subscribe(["btcusdt@kline_1d@+08:00"])
    market.now = T0 - 1_000  # 23:59:59 UTC: 07:59:59 the next day at UTC+8
    market.trade("100")
    market.now = T0 + 1_000  # a new UTC day; the same UTC+8 day
    market.trade("102")
    market.hub.tick(1000, T0 + 1_500)
    (utc_then,) = [p["k"] for p in _payloads(utc)]
    (local_then,) = [p["k"] for p in _payloads(local)]
    assert isinstance(utc_then, dict) and isinstance(local_then, dict)
    assert (utc_then["t"], utc_then["o"], utc_then["n"]) == (T0, "102.00000000", 1)
    assert (local_then["t"], local_then["T"], local_then["i"]) == (T0 - 8 * HOUR, T0 + 16 * HOUR - 1, "1d")
    assert (local_then["o"], local_then["c"], local_then["n"]) == ("100.00000000", "102.00000000", 2)


def test_the_diff_stream_has_no_snapshot_and_cuts_on_its_cadence(market: Market) -> None:
    subscriber = market.hub.subscribe(["btcusdt@depth@100ms"])
    assert _payloads(subscriber) == []
    market.feed.limit(Side.BUY, ticks("99"), lots("1"))
    market.tick(100)
    (diff,) = _payloads(subscriber)
    assert (diff["U"], diff["u"], diff["b"]) == (1, 2, [["99.00000000", "1.00000000"]])


def test_a_slow_subscriber_is_dropped_and_the_others_still_get_everything(market: Market) -> None:
    slow = market.hub.subscribe(["btcusdt@trade"])
    fast = market.hub.subscribe(["btcusdt@trade"])
    received = []
    for i in range(12):  # the queue holds 8
        market.trade(str(100 + i))
        received += _payloads(fast)

    assert len(received) == 12
    assert slow.dropped and slow.drain() == []
    assert market.hub.subscriber_count == 1


async def test_a_dropped_subscriber_learns_it_fell_behind(market: Market) -> None:
    slow = market.hub.subscribe(["btcusdt@trade"])
    for i in range(9):
        market.trade(str(100 + i))
    with pytest.raises(SubscriberDropped):
        async for _ in slow.events():
            pass


async def test_events_arrive_in_order_to_a_waiting_subscriber(market: Market) -> None:
    subscriber = market.hub.subscribe(["btcusdt@trade"])

    async def first_two() -> list[str]:
        out = []
        async for event in subscriber.events():
            out.append(str(event.binance()["p"]))
            if len(out) == 2:
                break
        return out

    waiting = asyncio.create_task(first_two())
    await asyncio.sleep(0)
    market.trade("100")
    market.trade("101")
    assert await waiting == ["100.00000000", "101.00000000"]


def test_the_last_unsubscribe_closes_the_shared_diff_state(market: Market) -> None:
    a = market.hub.subscribe(["btcusdt@depth"])
    b = market.hub.subscribe(["btcusdt@depth"])
    btc = market.data.market("BTCUSDT")
    market.hub.unsubscribe(a)
    assert btc._diffs
    market.hub.unsubscribe(b)
    assert not btc._diffs and market.hub.subscriber_count == 0
