from __future__ import annotations

import pytest

from engine_ext.codes import Side
from engine_ext.events import Event
from services.common.ports import EventBatch
from services.marketdata.domain import MarketData, SequenceGap
from services.marketdata.views import AggTradePayload, BookTickerPayload, TradePayload
from tests.unit.marketdata.market_feed import BTCUSDT, ETHUSDT, T0, Feed, lots, ticks


def test_a_redelivered_batch_changes_nothing_and_emits_nothing() -> None:
    feed = Feed(MarketData([BTCUSDT]))
    feed.limit(Side.SELL, ticks("100"), lots("1"))
    feed.market(Side.BUY, lots("1"))
    before = (feed.data.depth("BTCUSDT"), feed.data.trades("BTCUSDT"), feed.data.agg_trades("BTCUSDT"))

    for batch in feed.batches:
        assert feed.data.apply(batch) == []

    assert (feed.data.depth("BTCUSDT"), feed.data.trades("BTCUSDT"), feed.data.agg_trades("BTCUSDT")) == before


def test_a_batch_that_overlaps_what_was_applied_applies_only_its_new_events() -> None:
    source = Feed(MarketData([BTCUSDT]))
    source.limit(Side.BUY, ticks("99"), lots("1"))
    source.limit(Side.BUY, ticks("98"), lots("1"))
    merged = EventBatch("BTCUSDT", T0, [*source.batches[0].events, *source.batches[1].events])
    data = MarketData([BTCUSDT])

    data.apply(source.batches[0])
    data.apply(merged)

    assert data.depth("BTCUSDT") == source.data.depth("BTCUSDT")


def test_a_gap_in_seqs_raises_before_anything_changes() -> None:
    source = Feed(MarketData([BTCUSDT]))
    source.limit(Side.BUY, ticks("99"), lots("1"))
    source.limit(Side.BUY, ticks("98"), lots("1"))
    data = MarketData([BTCUSDT])

    with pytest.raises(SequenceGap) as gap:
        data.apply(source.batches[1])

    assert (gap.value.expected, gap.value.got) == (1, 3)
    assert data.depth("BTCUSDT").last_update_id == 0 and data.depth("BTCUSDT").bids == []


def test_a_gap_inside_a_batch_raises_too() -> None:
    source = Feed(MarketData([BTCUSDT]))
    source.limit(Side.BUY, ticks("99"), lots("1"))
    events = list(source.batches[0].events)
    with pytest.raises(SequenceGap):
        MarketData([BTCUSDT]).apply(EventBatch("BTCUSDT", T0, [events[0], Event(*events[0])._replace(seq=5)]))


def test_symbols_are_independent() -> None:
    data = MarketData([BTCUSDT, ETHUSDT])
    Feed(data, symbol="BTCUSDT").limit(Side.BUY, ticks("99"), lots("1"))
    eth = Feed(data, symbol="ETHUSDT")
    eth.limit(Side.SELL, 300_000, 10)
    assert data.positions() == {"BTCUSDT": 2, "ETHUSDT": 2}
    assert data.depth("ETHUSDT").asks == [("3000.00000000", "0.00100000")]


def test_events_of_a_symbol_not_listed_here_are_ignored() -> None:
    source = Feed(MarketData([BTCUSDT, ETHUSDT]), symbol="ETHUSDT")
    source.limit(Side.BUY, 100, 1)
    assert MarketData([BTCUSDT]).apply(source.batches[0]) == []


def test_time_never_goes_backwards_even_if_a_batch_is_stamped_earlier() -> None:
    feed = Feed(MarketData([BTCUSDT]))
    feed.at(T0 + 5000).limit(Side.SELL, ticks("100"), lots("2"))
    feed.at(T0).market(Side.BUY, lots("1"))  # e.g. after a failover to a node whose clock lags
    assert feed.data.trades("BTCUSDT")[0].time == T0 + 5000


def test_a_taker_order_emits_its_trades_then_its_aggregates_then_the_new_top_of_book() -> None:
    feed = Feed(MarketData([BTCUSDT]))
    feed.limit(Side.SELL, ticks("100"), lots("1"))
    feed.limit(Side.SELL, ticks("101"), lots("1"))
    feed.stream_events.clear()

    feed.market(Side.BUY, lots("2"))

    kinds = [(e.stream, type(e.payload)) for e in feed.stream_events]
    assert kinds == [
        ("btcusdt@trade", TradePayload),
        ("btcusdt@aggTrade", AggTradePayload),  # the 100 aggregate closes when the 101 fill starts
        ("btcusdt@trade", TradePayload),
        ("btcusdt@aggTrade", AggTradePayload),
        ("btcusdt@bookTicker", BookTickerPayload),
    ]


def test_no_book_ticker_event_when_the_top_of_book_did_not_change() -> None:
    feed = Feed(MarketData([BTCUSDT]))
    feed.limit(Side.BUY, ticks("100"), lots("1"))
    feed.stream_events.clear()
    feed.limit(Side.BUY, ticks("99"), lots("1"))
    assert feed.stream_events == []


def test_trade_and_book_ticker_payloads_are_binances_stream_shapes() -> None:
    feed = Feed(MarketData([BTCUSDT]))
    feed.limit(Side.BUY, ticks("100"), lots("1"))
    feed.at(T0 + 3).market(Side.SELL, lots("0.4"))
    by_stream = {e.stream: e.binance() for e in feed.stream_events}

    assert by_stream["btcusdt@trade"] == {
        "e": "trade", "E": T0 + 3, "s": "BTCUSDT", "t": 1, "p": "100.00000000", "q": "0.40000000",
        "T": T0 + 3, "m": True, "M": True,
    }
    assert by_stream["btcusdt@aggTrade"] == {
        "e": "aggTrade", "E": T0 + 3, "s": "BTCUSDT", "a": 1, "p": "100.00000000", "q": "0.40000000",
        "f": 1, "l": 1, "T": T0 + 3, "m": True, "M": True,
    }
    assert by_stream["btcusdt@bookTicker"] == {
        "u": feed.book.seq, "s": "BTCUSDT", "b": "100.00000000", "B": "0.60000000", "a": "0.00000000",
        "A": "0.00000000",
    }
