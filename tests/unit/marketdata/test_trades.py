from __future__ import annotations

import pytest

from engine_ext.codes import EventKind, Side
from engine_ext.reference import OrderBook
from services.common.ports import EventBatch
from services.marketdata.domain import Capacities, MarketData, MarketDataError
from tests.unit.engine.book_spec import as_obk1
from tests.unit.marketdata.market_feed import BTCUSDT, T0, Feed, lots, ticks


@pytest.fixture
def feed() -> Feed:
    return Feed(MarketData([BTCUSDT]))


def test_a_trade_is_listed_with_its_engine_trade_id_and_the_maker_price(feed: Feed) -> None:
    feed.limit(Side.SELL, ticks("100.5"), lots("0.4"))
    feed.at(T0 + 7).market(Side.BUY, lots("0.1"))

    assert [t.binance() for t in feed.data.trades("BTCUSDT")] == [{
        "id": 1, "price": "100.50000000", "qty": "0.10000000", "quoteQty": "10.05000000",
        "time": T0 + 7, "isBuyerMaker": False, "isBestMatch": True,
    }]


def test_a_trade_from_before_trade_ids_keeps_its_seq_as_id_and_later_ids_follow(feed: Feed) -> None:
    # An event log written before trade ids: its TRADE events carry filled 0 and their ids were
    # their seqs; the engine restored from that time's (OBK1) snapshot counts on from its seq
    # once its journal is replayed (the shard then calls continue_trade_ids).
    feed.limit(Side.SELL, ticks("100"), lots("2"))
    feed.market(Side.BUY, lots("1"), apply=False)
    old = feed.batches[-1]
    old_events = [e._replace(filled=0) if e.kind == EventKind.TRADE else e for e in old.events]
    feed.data.apply(EventBatch(old.symbol, old.time_ms, old_events))
    (old_id,) = [e.seq for e in old_events if e.kind == EventKind.TRADE]
    upgraded_at = feed.book.seq
    feed.book = OrderBook.restore(as_obk1(feed.book.snapshot()))
    feed.book.continue_trade_ids()
    feed.market(Side.BUY, lots("1"))

    assert [t.id for t in feed.data.trades("BTCUSDT")] == [old_id, upgraded_at + 1]


def test_is_buyer_maker_is_true_when_the_taker_sold(feed: Feed) -> None:
    feed.limit(Side.BUY, ticks("100"), lots("1"))
    feed.market(Side.SELL, lots("1"))
    (trade,) = feed.data.trades("BTCUSDT")
    assert trade.is_buyer_maker is True


def test_recent_trades_are_the_newest_oldest_first_and_historical_trades_start_at_from_id(feed: Feed) -> None:
    feed.limit(Side.SELL, ticks("100"), lots("10"))
    for _ in range(5):
        feed.market(Side.BUY, lots("1"))
    ids = [t.id for t in feed.data.trades("BTCUSDT")]
    assert ids == [1, 2, 3, 4, 5]  # consecutive, as Binance's

    assert [t.id for t in feed.data.trades("BTCUSDT", limit=2)] == ids[-2:]
    assert [t.id for t in feed.data.trades("BTCUSDT", limit=2, from_id=ids[1])] == ids[1:3]
    assert [t.id for t in feed.data.trades("BTCUSDT", from_id=0)] == ids


def test_the_recent_trades_ring_keeps_only_its_capacity() -> None:
    feed = Feed(MarketData([BTCUSDT], Capacities(trades=3)))
    feed.limit(Side.SELL, ticks("100"), lots("10"))
    for _ in range(5):
        feed.market(Side.BUY, lots("1"))
    trades = feed.data.trades("BTCUSDT", limit=1000)
    assert len(trades) == 3
    assert feed.data.trades("BTCUSDT", from_id=0)[0].id == trades[0].id


def test_consecutive_fills_of_one_taker_at_one_price_are_one_aggregate_trade(feed: Feed) -> None:
    feed.limit(Side.SELL, ticks("100"), lots("1"), user=1)
    feed.limit(Side.SELL, ticks("100"), lots("2"), user=3)
    feed.limit(Side.SELL, ticks("101"), lots("1"), user=4)
    feed.at(T0 + 9).market(Side.BUY, lots("4"))

    assert [a.binance() for a in feed.data.agg_trades("BTCUSDT")] == [
        {"a": 1, "p": "100.00000000", "q": "3.00000000", "f": 1, "l": 2, "T": T0 + 9, "m": False, "M": True},
        {"a": 3, "p": "101.00000000", "q": "1.00000000", "f": 3, "l": 3, "T": T0 + 9, "m": False, "M": True},
    ]


def test_fills_of_different_takers_at_one_price_are_separate_aggregates(feed: Feed) -> None:
    feed.limit(Side.SELL, ticks("100"), lots("5"))
    feed.market(Side.BUY, lots("1"))
    feed.market(Side.BUY, lots("1"))
    assert [a.qty for a in feed.data.agg_trades("BTCUSDT")] == ["1.00000000", "1.00000000"]


def test_agg_trades_are_selected_by_from_id_or_by_time(feed: Feed) -> None:
    feed.limit(Side.SELL, ticks("100"), lots("10"))
    for i in range(4):
        feed.at(T0 + i * 1000).market(Side.BUY, lots("1"))
    ids = [a.agg_trade_id for a in feed.data.agg_trades("BTCUSDT")]

    assert [a.agg_trade_id for a in feed.data.agg_trades("BTCUSDT", from_id=ids[2])] == ids[2:]
    assert [a.time for a in feed.data.agg_trades("BTCUSDT", start_time=T0 + 1000)] == [T0 + 1000, T0 + 2000,
                                                                                       T0 + 3000]
    assert [a.time for a in feed.data.agg_trades("BTCUSDT", start_time=T0 + 1, end_time=T0 + 2000)] == [
        T0 + 1000, T0 + 2000]
    assert [a.time for a in feed.data.agg_trades("BTCUSDT", end_time=T0 + 2000, limit=2)] == [T0 + 1000, T0 + 2000]
    assert [a.agg_trade_id for a in feed.data.agg_trades("BTCUSDT", limit=1)] == ids[-1:]


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"from_id": 1, "start_time": T0}, "INVALID_PARAMETER_COMBINATION"),
        ({"start_time": T0, "end_time": T0 + 3_600_001}, "LOOKUP_INTERVAL_TOO_BIG"),
        ({"start_time": T0, "end_time": T0 - 1}, "INVALID_PARAMETER_COMBINATION"),
        ({"limit": 0}, "ILLEGAL_PARAMETER"),
    ],
)
def test_agg_trades_refuse_what_binance_refuses(feed: Feed, kwargs: dict[str, int], reason: str) -> None:
    with pytest.raises(MarketDataError) as refused:
        feed.data.agg_trades("BTCUSDT", **kwargs)
    assert refused.value.reason == reason


def test_trade_limits_default_to_500_and_are_capped_at_1000() -> None:
    feed = Feed(MarketData([BTCUSDT], Capacities(trades=2000)))
    feed.limit(Side.SELL, ticks("100"), lots("2000"))
    for _ in range(1200):
        feed.market(Side.BUY, lots("1"))
    assert len(feed.data.trades("BTCUSDT")) == 500
    assert len(feed.data.trades("BTCUSDT", limit=5000)) == 1000
    assert len(feed.data.agg_trades("BTCUSDT")) == 500
