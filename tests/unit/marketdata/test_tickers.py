from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine_ext.codes import Side
from services.marketdata.domain import MarketData, MarketDataError
from services.marketdata.tickers import DAY_MS, HOUR_MS, MINUTE_MS, RollingStats, parse_window_size
from services.marketdata.trades import Trade
from tests.unit.marketdata.market_feed import BTCUSDT, T0, Feed, lots, ticks


@pytest.fixture
def feed() -> Feed:
    return Feed(MarketData([BTCUSDT]))


def _sell_then_buy(feed: Feed, t: int, price: str, qty: str) -> int:
    """One trade at `price` (a resting sell taken by a market buy) at time t; its trade id."""
    feed.at(t).limit(Side.SELL, ticks(price), lots(qty))
    feed.market(Side.BUY, lots(qty))
    return next(e.filled for e in feed.book.last_events() if e.kind == 2)


def test_the_24h_ticker_summarises_the_trades_of_the_window_exactly(feed: Feed) -> None:
    first = _sell_then_buy(feed, T0, "100", "1")
    _sell_then_buy(feed, T0 + 1000, "110", "2")
    last = _sell_then_buy(feed, T0 + 2000, "90", "0.5")
    feed.limit(Side.BUY, ticks("89"), lots("3"))
    feed.limit(Side.SELL, ticks("91"), lots("4"))

    ticker = feed.data.tickers_24h(["BTCUSDT"], now_ms=T0 + 3000)[0].binance()

    assert ticker == {
        "symbol": "BTCUSDT",
        "priceChange": "-10.00000000",
        "priceChangePercent": "-10.000",
        "weightedAvgPrice": "104.28571429",  # 365 / 3.5, rounded half-even to 8 places
        "prevClosePrice": "0.00000000",
        "lastPrice": "90.00000000",
        "lastQty": "0.50000000",
        "bidPrice": "89.00000000",
        "bidQty": "3.00000000",
        "askPrice": "91.00000000",
        "askQty": "4.00000000",
        "openPrice": "100.00000000",
        "highPrice": "110.00000000",
        "lowPrice": "90.00000000",
        "volume": "3.50000000",
        "quoteVolume": "365.00000000",
        "openTime": T0 + 3000 - DAY_MS - 3000,  # rounded down to the minute, as Binance
        "closeTime": T0 + 3000,
        "firstId": first,
        "lastId": last,
        "count": 3,
    }


def test_trades_older_than_the_window_leave_it_and_the_last_of_them_is_the_prev_close(feed: Feed) -> None:
    _sell_then_buy(feed, T0, "100", "1")
    _sell_then_buy(feed, T0 + HOUR_MS, "105", "1")
    inside = _sell_then_buy(feed, T0 + 2 * HOUR_MS, "120", "1")
    now = T0 + DAY_MS + HOUR_MS + 30_000  # the window starts at T0 + 1h: the 105 trade is in

    ticker = feed.data.tickers_24h(["BTCUSDT"], now_ms=now)[0]

    assert (ticker.open_price, ticker.prev_close_price, ticker.count) == ("105.00000000", "100.00000000", 2)
    assert ticker.last_id == inside
    later = feed.data.tickers_24h(["BTCUSDT"], now_ms=T0 + DAY_MS + 3 * HOUR_MS)[0]
    assert (later.count, later.first_id, later.last_id, later.volume) == (0, -1, -1, "0.00000000")
    assert (later.last_price, later.open_price, later.prev_close_price) == ("120.00000000",) * 3


def test_a_symbol_that_never_traded_has_an_empty_ticker(feed: Feed) -> None:
    ticker = feed.data.tickers_24h(now_ms=T0)[0]
    assert (ticker.last_price, ticker.count, ticker.first_id, ticker.weighted_avg_price) == (
        "0.00000000", 0, -1, "0.00000000")


def test_the_rolling_ticker_uses_the_requested_window(feed: Feed) -> None:
    _sell_then_buy(feed, T0, "100", "1")
    _sell_then_buy(feed, T0 + 2 * HOUR_MS, "110", "1")
    now = T0 + 2 * HOUR_MS + 1000

    (hour,) = feed.data.rolling_tickers(["BTCUSDT"], "1h", now_ms=now)
    (week,) = feed.data.rolling_tickers(["BTCUSDT"], "7d", now_ms=now)

    assert (hour.count, hour.open_price) == (1, "110.00000000")
    assert (week.count, week.open_price) == (2, "100.00000000")
    assert "prevClosePrice" not in hour.binance_rolling() and "bidPrice" not in hour.binance_rolling()
    assert set(hour.binance_mini()) == {"symbol", "openPrice", "highPrice", "lowPrice", "lastPrice", "volume",
                                        "quoteVolume", "openTime", "closeTime", "firstId", "lastId", "count"}


def test_the_trading_day_ticker_covers_the_current_day_of_the_time_zone(feed: Feed) -> None:
    # T0 is midnight UTC: one trade the evening before, two on the day
    _sell_then_buy(feed, T0 - 2 * HOUR_MS, "90", "1")
    _sell_then_buy(feed, T0 + 1 * HOUR_MS, "100", "1")
    _sell_then_buy(feed, T0 + 5 * HOUR_MS, "110", "1")
    now = T0 + 6 * HOUR_MS

    (utc,) = feed.data.trading_day_tickers(["BTCUSDT"], "0", now_ms=now)
    assert (utc.count, utc.open_price, utc.last_price) == (2, "100.00000000", "110.00000000")
    assert (utc.open_time, utc.close_time) == (T0, T0 + DAY_MS - 1)
    # at UTC+8 the day began at 16:00 UTC the day before: all three trades are in it
    (east,) = feed.data.trading_day_tickers(["BTCUSDT"], "+08:00", now_ms=now)
    assert (east.count, east.open_price) == (3, "90.00000000")
    assert (east.open_time, east.close_time) == (T0 - 8 * HOUR_MS, T0 + 16 * HOUR_MS - 1)
    # at UTC-4:30 it is 01:30: the day began at 04:30 UTC, after the second trade
    (west,) = feed.data.trading_day_tickers(["BTCUSDT"], "-4:30", now_ms=now)
    assert (west.open_time, west.count) == (T0 + 4 * HOUR_MS + 30 * MINUTE_MS, 1)


@pytest.mark.parametrize(("symbols", "zone", "reason"), [([], "0", "MANDATORY_PARAMETER_MISSING"),
                                                         (["BTCUSDT"], "15", "ILLEGAL_PARAMETER"),
                                                         (["BTCUSDT"], "UTC", "ILLEGAL_PARAMETER"),
                                                         (["BTCUSDT"], "8\n", "ILLEGAL_PARAMETER")])
def test_the_trading_day_ticker_refuses_what_binance_refuses(
    feed: Feed, symbols: list[str], zone: str, reason: str
) -> None:
    with pytest.raises(MarketDataError) as refused:
        feed.data.trading_day_tickers(symbols, zone, now_ms=T0)
    assert refused.value.reason == reason


@pytest.mark.parametrize("text", ["0m", "60m", "24h", "8d", "1w", "1M", "m", "01m"])
def test_window_sizes_outside_binances_ranges_are_refused(feed: Feed, text: str) -> None:
    with pytest.raises(MarketDataError) as refused:
        feed.data.rolling_tickers(["BTCUSDT"], text, now_ms=T0)
    assert refused.value.reason == "ILLEGAL_PARAMETER"


@pytest.mark.parametrize(("text", "ms"), [("1m", MINUTE_MS), ("59m", 59 * MINUTE_MS), ("23h", 23 * HOUR_MS),
                                          ("7d", 7 * DAY_MS)])
def test_window_sizes_in_binances_ranges_are_accepted(text: str, ms: int) -> None:
    assert parse_window_size(text) == ms


def test_price_and_book_ticker_show_the_last_trade_and_the_best_levels(feed: Feed) -> None:
    _sell_then_buy(feed, T0, "100.25", "1")
    feed.limit(Side.BUY, ticks("100"), lots("2"))
    feed.limit(Side.SELL, ticks("100.5"), lots("3"))

    assert [p.binance() for p in feed.data.prices()] == [{"symbol": "BTCUSDT", "price": "100.25000000"}]
    assert [b.binance() for b in feed.data.book_tickers(["BTCUSDT"])] == [{
        "symbol": "BTCUSDT", "bidPrice": "100.00000000", "bidQty": "2.00000000",
        "askPrice": "100.50000000", "askQty": "3.00000000",
    }]


def test_avg_price_is_the_volume_weighted_price_of_the_last_5_minutes(feed: Feed) -> None:
    _sell_then_buy(feed, T0, "50", "1")
    _sell_then_buy(feed, T0 + 4 * MINUTE_MS, "100", "1")
    _sell_then_buy(feed, T0 + 6 * MINUTE_MS, "130", "2")

    assert feed.data.avg_price("BTCUSDT", now_ms=T0 + 6 * MINUTE_MS).binance() == {
        "mins": 5, "price": "120.00000000", "closeTime": T0 + 6 * MINUTE_MS,
    }


def test_avg_price_with_no_recent_trade_is_the_last_trade_price(feed: Feed) -> None:
    _sell_then_buy(feed, T0, "50", "1")
    assert feed.data.avg_price("BTCUSDT", now_ms=T0 + HOUR_MS).price == "50.00000000"
    assert Feed(MarketData([BTCUSDT])).data.avg_price("BTCUSDT", now_ms=T0).price == "0.00000000"


# -- the buckets agree with a rescan of every trade ------------------------------------------

trade_steps = st.lists(
    st.tuples(st.integers(0, 3 * HOUR_MS), st.integers(1, 1000), st.integers(1, 50)), min_size=1, max_size=60
)


@settings(max_examples=200, deadline=None)
@given(trade_steps, st.sampled_from(["1m", "5m", "59m", "1h", "2h", "1d", "7d"]), st.integers(0, 30 * HOUR_MS))
def test_window_stats_equal_a_rescan_of_the_trades_in_the_window(
    steps: list[tuple[int, int, int]], window: str, later: int
) -> None:
    stats = RollingStats()
    trades, t = [], T0
    for i, (gap, price, qty) in enumerate(steps):
        t += gap
        trade = Trade(i + 1, i + 1, Side.BUY, price, qty, t)
        trades.append(trade)
        stats.add(trade)
    now = t + later
    window_ms = parse_window_size(window)

    result = stats.window(window_ms, now)

    start = (now - window_ms) // MINUTE_MS * MINUTE_MS
    inside = [x for x in trades if x.time >= start]
    before = [x for x in trades if x.time < start]
    assert result.open_time == start
    assert result.prev_close == (before[-1].price if before else 0)
    if not inside:
        assert result.stats is None
        return
    s = result.stats
    assert s is not None
    assert (s.first_id, s.last_id, s.count) == (inside[0].trade_id, inside[-1].trade_id, len(inside))
    assert (s.open, s.close, s.close_qty) == (inside[0].price, inside[-1].price, inside[-1].qty)
    assert (s.high, s.low) == (max(x.price for x in inside), min(x.price for x in inside))
    assert (s.volume, s.quote_volume) == (sum(x.qty for x in inside), sum(x.notional for x in inside))
