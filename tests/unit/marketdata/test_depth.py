from __future__ import annotations

import pytest

from engine_ext.codes import Side
from services.common.ports import EventBatch
from services.marketdata.depth import DiffDepthStream
from services.marketdata.domain import MarketData, MarketDataError
from services.marketdata.formatting import SymbolFormat
from tests.unit.marketdata.market_feed import BTCUSDT, T0, Feed, lots, ticks


@pytest.fixture
def feed() -> Feed:
    return Feed(MarketData([BTCUSDT]))


def test_depth_lists_bids_high_to_low_and_asks_low_to_high_as_decimal_strings(feed: Feed) -> None:
    for price in ("99.98", "100.00", "99.99"):
        feed.limit(Side.BUY, ticks(price), lots("0.5"))
    for price in ("100.03", "100.01", "100.02"):
        feed.limit(Side.SELL, ticks(price), lots("0.25"))

    depth = feed.data.depth("BTCUSDT").binance()

    assert depth["bids"] == [["100.00000000", "0.50000000"], ["99.99000000", "0.50000000"],
                             ["99.98000000", "0.50000000"]]
    assert depth["asks"] == [["100.01000000", "0.25000000"], ["100.02000000", "0.25000000"],
                             ["100.03000000", "0.25000000"]]


def test_a_level_shows_the_total_of_its_orders_and_disappears_when_emptied(feed: Feed) -> None:
    first = feed.limit(Side.BUY, ticks("100"), lots("1"))
    second = feed.limit(Side.BUY, ticks("100"), lots("2"))
    assert feed.data.depth("BTCUSDT").bids == [("100.00000000", "3.00000000")]

    feed.cancel(first)
    assert feed.data.depth("BTCUSDT").bids == [("100.00000000", "2.00000000")]
    feed.cancel(second)
    assert feed.data.depth("BTCUSDT").bids == []


def test_last_update_id_is_the_seq_of_the_last_event_of_any_kind(feed: Feed) -> None:
    feed.limit(Side.BUY, ticks("100"), lots("1"))
    feed.cancel(999)  # rejected: one REJECTED event, no level change
    assert feed.book.last_events()[0].kind == 1
    assert feed.data.depth("BTCUSDT").last_update_id == feed.book.seq == 3


def test_depth_limit_returns_the_best_levels_only(feed: Feed) -> None:
    for i in range(30):
        feed.limit(Side.SELL, ticks("100") + i, lots("1"))
    depth = feed.data.depth("BTCUSDT", limit=5)
    assert [p for p, _ in depth.asks] == [f"{100 + i / 100:.8f}" for i in range(5)]
    assert len(feed.data.depth("BTCUSDT").asks) == 30  # default limit 100


@pytest.mark.parametrize("limit", [0, -5])
def test_a_non_positive_depth_limit_is_refused(feed: Feed, limit: int) -> None:
    with pytest.raises(MarketDataError) as refused:
        feed.data.depth("BTCUSDT", limit=limit)
    assert refused.value.reason == "ILLEGAL_PARAMETER"


def test_a_depth_limit_above_5000_is_served_as_5000(feed: Feed) -> None:
    feed.limit(Side.SELL, ticks("100"), lots("1"))
    assert len(feed.data.depth("BTCUSDT", limit=1_000_000).asks) == 1


def test_an_unknown_symbol_is_refused_invalid_symbol(feed: Feed) -> None:
    with pytest.raises(MarketDataError) as refused:
        feed.data.depth("DOGEUSDT")
    assert refused.value.reason == "INVALID_SYMBOL"


def test_depth_can_start_from_a_book_snapshot_and_continue_with_later_events(feed: Feed) -> None:
    feed.limit(Side.BUY, ticks("99"), lots("1"), apply=False)
    feed.limit(Side.SELL, ticks("101"), lots("2"), apply=False)
    bids, asks = feed.book.depth(100)
    data = feed.data
    data.load_book("BTCUSDT", feed.book.seq, [(p, q) for p, q, _ in bids], [(p, q) for p, q, _ in asks], T0)

    feed.limit(Side.SELL, ticks("101"), lots("1"))

    depth = data.depth("BTCUSDT")
    assert depth.last_update_id == feed.book.seq
    assert depth.bids == [("99.00000000", "1.00000000")]
    assert depth.asks == [("101.00000000", "3.00000000")]


def test_the_depth_time_is_the_time_of_the_last_applied_batch(feed: Feed) -> None:
    feed.at(T0 + 5).limit(Side.BUY, ticks("99"), lots("1"))
    assert feed.data.depth("BTCUSDT").time == T0 + 5


# -- the diff stream state on its own ---------------------------------------------------------


def test_a_diff_carries_every_changed_level_with_its_current_quantity_and_zero_for_gone() -> None:
    data = MarketData([BTCUSDT])
    market = data.market("BTCUSDT")
    diff = DiffDepthStream("BTCUSDT", after_update_id=0)
    fmt = SymbolFormat(BTCUSDT)
    events = [
        (1, 4, 0, 0, 0, 0, 0, 0, 100, 5, 1),  # LEVEL bid 100 -> 5
        (2, 4, 0, 0, 0, 0, 0, 0, 100, 7, 2),  # LEVEL bid 100 -> 7
        (3, 4, 1, 0, 0, 0, 0, 0, 105, 2, 1),  # LEVEL ask 105 -> 2
        (4, 4, 1, 0, 0, 0, 0, 0, 105, 0, 0),  # LEVEL ask 105 gone
    ]
    market.apply(EventBatch("BTCUSDT", T0, events))
    for e in events:
        diff.level_changed(e[2], e[8])

    update = diff.cut(market.depth, fmt, market.last_update_id, T0 + 1000)

    assert update is not None
    assert update.binance() == {
        "e": "depthUpdate", "E": T0 + 1000, "s": "BTCUSDT", "U": 1, "u": 4,
        "b": [["1.00000000", "0.00007000"]], "a": [["1.05000000", "0.00000000"]],
    }


def test_seqs_without_level_changes_are_folded_into_the_next_diff_so_ids_stay_contiguous() -> None:
    feed = Feed(MarketData([BTCUSDT]))
    market = feed.data.market("BTCUSDT")
    diff = market.open_diff(1000)
    fmt = market.fmt
    feed.limit(Side.BUY, ticks("99"), lots("1"))  # seq 1-2
    first = diff.cut(market.depth, fmt, market.last_update_id, T0)
    feed.cancel(12345)  # seq 3: REJECTED, no level
    assert diff.cut(market.depth, fmt, market.last_update_id, T0) is None
    feed.limit(Side.BUY, ticks("98"), lots("1"))  # seq 4-5
    second = diff.cut(market.depth, fmt, market.last_update_id, T0)

    assert first is not None and second is not None
    assert (first.first_update_id, first.final_update_id) == (1, 2)
    assert (second.first_update_id, second.final_update_id) == (3, 5)


def test_a_new_diff_stream_starts_right_after_the_current_update_id() -> None:
    feed = Feed(MarketData([BTCUSDT]))
    feed.limit(Side.BUY, ticks("99"), lots("1"))
    market = feed.data.market("BTCUSDT")
    diff = market.open_diff(100)
    feed.limit(Side.BUY, ticks("98"), lots("1"))
    update = diff.cut(market.depth, market.fmt, market.last_update_id, T0)
    assert update is not None
    assert update.first_update_id == 3
    assert update.bids == [("98.00000000", "1.00000000")]  # only what changed since it opened


def test_after_a_resync_from_a_snapshot_the_next_diff_starts_after_it_so_clients_refetch() -> None:
    feed = Feed(MarketData([BTCUSDT]))
    market = feed.data.market("BTCUSDT")
    diff = market.open_diff(1000)
    feed.limit(Side.BUY, ticks("99"), lots("1"))
    first = diff.cut(market.depth, market.fmt, market.last_update_id, T0)
    feed.limit(Side.BUY, ticks("98"), lots("1"), apply=False)  # missed by market data
    bids, _ = feed.book.depth(100)
    market.load_book(feed.book.seq, [(p, q) for p, q, _ in bids], [], T0)
    feed.limit(Side.BUY, ticks("97"), lots("1"))

    after = diff.cut(market.depth, market.fmt, market.last_update_id, T0)

    assert first is not None and after is not None
    # U jumps past the previous u + 1: a Binance client (and ccxt) drops its book and refetches.
    assert after.first_update_id == 5 > first.final_update_id + 1
    assert after.bids == [("97.00000000", "1.00000000")]


def test_a_snapshot_older_than_what_was_applied_is_refused() -> None:
    feed = Feed(MarketData([BTCUSDT]))
    feed.limit(Side.BUY, ticks("99"), lots("1"))
    with pytest.raises(ValueError, match="older"):
        feed.data.load_book("BTCUSDT", 1, [], [], T0)
