from __future__ import annotations

import calendar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine_ext.codes import Side
from services.marketdata.candles import INTERVALS, CandleBook, Interval, parse_time_zone
from services.marketdata.domain import MarketData, MarketDataError
from services.marketdata.trades import Trade
from tests.unit.marketdata.market_feed import BTCUSDT, T0, Feed, lots, ticks

MIN = 60_000


def _utc(*ymd_hms: int) -> int:
    return calendar.timegm((*ymd_hms, 0, 0, 0)[:6]) * 1000


@pytest.fixture
def feed() -> Feed:
    return Feed(MarketData([BTCUSDT]))


def _trade(feed: Feed, t: int, price: str, qty: str, taker: Side = Side.BUY) -> None:
    maker = Side.SELL if taker == Side.BUY else Side.BUY
    feed.at(t).limit(maker, ticks(price), lots(qty))
    feed.market(taker, lots(qty))


def test_binance_lists_sixteen_intervals() -> None:
    assert INTERVALS == ("1s", "1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d", "3d",
                         "1w", "1M")


@pytest.mark.parametrize(
    ("interval", "t", "opens", "closes"),
    [
        ("1s", _utc(2025, 11, 26, 10, 0, 0) + 999, _utc(2025, 11, 26, 10, 0, 0), _utc(2025, 11, 26, 10, 0, 1) - 1),
        ("15m", _utc(2025, 11, 26, 10, 14, 59), _utc(2025, 11, 26, 10, 0, 0), _utc(2025, 11, 26, 10, 15, 0) - 1),
        ("1d", _utc(2025, 11, 26, 23, 59, 59), _utc(2025, 11, 26), _utc(2025, 11, 27) - 1),
        ("1w", _utc(2025, 11, 26, 12), _utc(2025, 11, 24), _utc(2025, 12, 1) - 1),  # weeks open on Monday
        ("1w", _utc(2025, 11, 24), _utc(2025, 11, 24), _utc(2025, 12, 1) - 1),
        ("1M", _utc(2025, 12, 31, 23), _utc(2025, 12, 1), _utc(2026, 1, 1) - 1),  # months: calendar
        ("1M", _utc(2024, 2, 10), _utc(2024, 2, 1), _utc(2024, 3, 1) - 1),
        ("3d", 3 * 86_400_000 * 7 + 5, 3 * 86_400_000 * 7, 3 * 86_400_000 * 8 - 1),  # aligned on the epoch
    ],
)
def test_candles_open_and_close_on_binances_boundaries(interval: str, t: int, opens: int, closes: int) -> None:
    i = Interval(interval)
    assert i.open_time(t) == opens
    assert i.close_time(opens) == closes


def test_a_kline_is_binances_twelve_field_array(feed: Feed) -> None:
    _trade(feed, T0 + 1000, "100", "1", taker=Side.BUY)
    _trade(feed, T0 + 2000, "104", "2", taker=Side.SELL)
    _trade(feed, T0 + 3000, "98", "1", taker=Side.BUY)
    _trade(feed, T0 + 4000, "101", "0.5", taker=Side.BUY)

    (kline,) = feed.data.klines("BTCUSDT", "1m", now_ms=T0 + 5000)

    assert kline.binance() == [
        T0, "100.00000000", "104.00000000", "98.00000000", "101.00000000", "4.50000000", T0 + MIN - 1,
        "456.50000000", 4, "2.50000000", "248.50000000", "0",
    ]


def test_minutes_without_trades_are_flat_candles_at_the_previous_close(feed: Feed) -> None:
    _trade(feed, T0, "100", "1")
    _trade(feed, T0 + 3 * MIN, "103", "1")

    klines = feed.data.klines("BTCUSDT", "1m", now_ms=T0 + 4 * MIN + 1)

    assert [(k.open_time, k.open, k.close, k.volume, k.trade_count) for k in klines] == [
        (T0, "100.00000000", "100.00000000", "1.00000000", 1),
        (T0 + MIN, "100.00000000", "100.00000000", "0.00000000", 0),
        (T0 + 2 * MIN, "100.00000000", "100.00000000", "0.00000000", 0),
        (T0 + 3 * MIN, "103.00000000", "103.00000000", "1.00000000", 1),
        (T0 + 4 * MIN, "103.00000000", "103.00000000", "0.00000000", 0),  # the open one, up to now
    ]


def test_klines_select_by_start_end_and_limit_as_binance(feed: Feed) -> None:
    for i in range(10):
        _trade(feed, T0 + i * MIN, str(100 + i), "1")
    now = T0 + 9 * MIN + 1

    def opens(start_time: int | None = None, end_time: int | None = None, limit: int | None = None) -> list[int]:
        klines = feed.data.klines("BTCUSDT", "1m", start_time, end_time, limit, now_ms=now)
        return [(k.open_time - T0) // MIN for k in klines]

    assert opens() == list(range(10))
    assert opens(limit=3) == [7, 8, 9]  # without startTime: the newest
    assert opens(start_time=T0 + 2 * MIN, limit=3) == [2, 3, 4]  # with startTime: from it
    assert opens(start_time=T0 + 2 * MIN + 1, limit=2) == [3, 4]  # openTime >= startTime
    assert opens(end_time=T0 + 5 * MIN, limit=2) == [4, 5]
    assert opens(start_time=T0 + 2 * MIN, end_time=T0 + 4 * MIN) == [2, 3, 4]
    assert opens(start_time=T0 - 100 * MIN, limit=2) == [0, 1]  # nothing before the first trade


def test_klines_default_to_500_and_cap_at_1000(feed: Feed) -> None:
    _trade(feed, T0, "100", "1")
    now = T0 + 2000 * 1000
    assert len(feed.data.klines("BTCUSDT", "1s", now_ms=now)) == 500
    assert len(feed.data.klines("BTCUSDT", "1s", limit=5000, now_ms=now)) == 1000


def test_an_unknown_interval_is_refused(feed: Feed) -> None:
    with pytest.raises(MarketDataError) as refused:
        feed.data.klines("BTCUSDT", "2m", now_ms=T0)
    assert refused.value.reason == "INVALID_INTERVAL"


def test_a_time_zone_moves_the_candle_boundaries_to_local_time(feed: Feed) -> None:
    _trade(feed, _utc(2025, 11, 26, 15, 59), "100", "1")  # 23:59 in UTC+8
    _trade(feed, _utc(2025, 11, 26, 16, 1), "101", "2")  # 00:01 the next day in UTC+8
    now = _utc(2025, 11, 26, 17)

    utc = feed.data.klines("BTCUSDT", "1d", now_ms=now)
    local = feed.data.klines("BTCUSDT", "1d", now_ms=now, time_zone="+08:00")

    assert [(k.open_time, k.volume) for k in utc] == [(_utc(2025, 11, 26), "3.00000000")]
    assert [(k.open_time, k.close_time, k.volume) for k in local] == [
        (_utc(2025, 11, 25, 16), _utc(2025, 11, 26, 16) - 1, "1.00000000"),
        (_utc(2025, 11, 26, 16), _utc(2025, 11, 27, 16) - 1, "2.00000000"),
    ]


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("", 0), ("0", 0), ("8", 480), ("-5", -300), ("+08:00", 480), ("05:45", 345), ("-1:00", -60),
     ("14", 840), ("-12:00", -720)],
)
def test_binance_time_zone_forms_are_understood(text: str, minutes: int) -> None:
    assert parse_time_zone(text) == minutes * MIN


@pytest.mark.parametrize("text", ["15", "-12:30", "+8:60", "UTC", "8h", "+08:00:00"])
def test_time_zones_outside_binances_range_or_form_are_refused(feed: Feed, text: str) -> None:
    with pytest.raises(MarketDataError) as refused:
        feed.data.klines("BTCUSDT", "1d", now_ms=T0, time_zone=text)
    assert refused.value.reason == "ILLEGAL_PARAMETER"


def test_a_symbol_that_never_traded_has_no_klines(feed: Feed) -> None:
    assert feed.data.klines("BTCUSDT", "1m", now_ms=T0) == []


def test_every_interval_sees_every_trade(feed: Feed) -> None:
    _trade(feed, T0 + 1500, "100", "2")
    for interval in INTERVALS:
        (kline,) = feed.data.klines("BTCUSDT", interval, limit=1, now_ms=T0 + 1500)
        assert (kline.volume, kline.trade_count) == ("2.00000000", 1), interval


# -- candles agree with a rescan of the trades, however often they are read ------------------

gaps = st.one_of(st.integers(0, 90_000), st.integers(0, 4 * 86_400_000))  # within a minute or across days
kline_flows = st.lists(
    st.tuples(gaps, st.integers(1, 500), st.integers(1, 20), st.booleans(), st.booleans()),
    min_size=1,
    max_size=60,
)


ZONES = [0, 8 * 60 * MIN, -5 * 60 * MIN, 330 * MIN, 345 * MIN, 14 * 60 * MIN, -12 * 60 * MIN]


@settings(max_examples=200, deadline=None)
@given(kline_flows, st.sampled_from(["1s", "1m", "3m", "1h", "4h", "1d", "3d", "1w", "1M"]), st.sampled_from(ZONES))
def test_candles_equal_a_rescan_of_the_trades_whenever_they_are_read(
    flow: list[tuple[int, int, int, bool, bool]], interval: str, zone: int
) -> None:
    book = CandleBook()
    trades, t = [], T0 - 40_000  # 40 s before a UTC midnight
    for i, (gap, price, qty, taker_buys, read_now) in enumerate(flow):
        t += gap
        trade = Trade(i + 1, i + 1, Side.BUY if taker_buys else Side.SELL, price, qty, t)
        trades.append(trade)
        book.add(trade)
        if read_now:  # a query in the middle of a second merges the partial candle early
            book.series(interval)

    series = book.zoned_series(interval, zone)
    assert series is not None
    spans = Interval(interval, zone)
    expected: dict[int, list[Trade]] = {}
    for trade in trades:
        expected.setdefault(spans.open_time(trade.time), []).append(trade)
    traded = series.stored()
    assert [c.open_time for c in traded] == sorted(expected)
    # a kline stream's candle (@+08:00), looked up one at a time, is the series' candle
    assert [book.zoned_candle(spans, c.open_time) for c in traded] == traded
    for candle in traded:
        inside = expected[candle.open_time]
        assert (candle.open, candle.close) == (inside[0].price, inside[-1].price)
        assert (candle.high, candle.low) == (max(x.price for x in inside), min(x.price for x in inside))
        assert (candle.volume, candle.quote_volume, candle.count) == (
            sum(x.qty for x in inside), sum(x.notional for x in inside), len(inside))
        buys = [x for x in inside if x.taker_side == Side.BUY]
        assert (candle.taker_buy_volume, candle.taker_buy_quote_volume) == (
            sum(x.qty for x in buys), sum(x.notional for x in buys))
        assert (candle.first_trade_id, candle.last_trade_id) == (inside[0].trade_id, inside[-1].trade_id)


def test_a_zoned_candle_without_trades_is_flat_at_the_previous_close(feed: Feed) -> None:
    _trade(feed, T0 - 1_000, "100", "1")  # the last second of a UTC day: inside a +08:00 day
    day = Interval("1d", 8 * 60 * MIN)
    book = feed.data.market("BTCUSDT").candles
    opened = day.open_time(T0 - 1_000)
    assert opened == T0 - 8 * 60 * MIN  # the local day began at 16:00 UTC the day before
    traded = book.zoned_candle(day, opened)
    assert traded is not None and (traded.open, traded.count) == (ticks("100"), 1)
    later = book.zoned_candle(day, day.next_open(opened))
    assert later is not None and (later.open, later.close, later.count) == (ticks("100"), ticks("100"), 0)
    assert book.zoned_candle(day, day.previous_open(opened)) is None  # before the first trade
