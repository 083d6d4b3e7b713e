"""Every market stream type, through the edge, against the real services: the SUBSCRIBE ack,
then events in Binance's shapes that carry what was traded."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.edge_ws.conftest import Edge, Traders
from tests.edge_ws.wsclient import connect

SYMBOL = "SOLUSDT"
STREAM_SYMBOL = "solusdt"


async def _cross(traders: Traders, price: str, qty: str = "1.000") -> None:
    """A resting sell and a buy that takes it: one trade at `price`."""
    seller = await traders.funded(SOL="100")
    buyer = await traders.funded(USDT="100000")
    await seller.place(SYMBOL, "SELL", qty, price)
    await buyer.place(SYMBOL, "BUY", qty, price)


def _is(kind: str) -> Any:
    return lambda m: isinstance(m, dict) and m.get("e") == kind


async def test_subscribe_is_acked_with_null_result_and_the_same_id(edge: Edge) -> None:
    async with connect(edge.ws + "/ws/0") as client:
        await client.send({"method": "SUBSCRIBE", "params": [f"{STREAM_SYMBOL}@depth@100ms"], "id": 71})
        assert await client.reply_to(71) == {"result": None, "id": 71}
        assert await client.request("SUBSCRIBE", [f"{STREAM_SYMBOL}@depth@100ms"]) == {"result": None, "id": 1}
        assert await client.request("LIST_SUBSCRIPTIONS") == {"result": [f"{STREAM_SYMBOL}@depth@100ms"], "id": 2}
        assert await client.request("UNSUBSCRIBE", [f"{STREAM_SYMBOL}@depth@100ms"]) == {"result": None, "id": 3}
        assert await client.request("LIST_SUBSCRIPTIONS") == {"result": [], "id": 4}


async def test_trade_streams_carry_the_trade(edge: Edge, traders: Traders) -> None:
    async with connect(edge.ws + "/ws") as client:
        ack = await client.request("SUBSCRIBE", [f"{STREAM_SYMBOL}@trade", f"{STREAM_SYMBOL}@aggTrade"])
        assert ack == {"result": None, "id": 1}
        await _cross(traders, "151.25", "2.000")
        # in either order: each stream name has its own upstream, so the two may be reordered
        # (the aggTrade once arrived first, was skipped while waiting for the trade, and the
        # wait for it timed out)
        found = await client.first_of_each(trade=_is("trade"), agg=_is("aggTrade"))
        trade, agg = found["trade"], found["agg"]
    assert trade["s"] == SYMBOL and Decimal(trade["p"]) == Decimal("151.25") and Decimal(trade["q"]) == 2
    assert set(trade) == {"e", "E", "s", "t", "p", "q", "T", "m", "M"}
    assert trade["m"] is False  # the buyer took the resting sell
    assert agg["s"] == SYMBOL and Decimal(agg["p"]) == Decimal("151.25")
    assert set(agg) == {"e", "E", "s", "a", "p", "q", "f", "l", "T", "m", "M"}


async def test_raw_stream_url_sends_bare_events_without_subscribing(edge: Edge, traders: Traders) -> None:
    async with connect(edge.ws + f"/ws/{STREAM_SYMBOL}@trade") as client:
        await _cross(traders, "152.00")
        trade = await client.event(_is("trade"))
        assert Decimal(trade["p"]) == Decimal("152")
        assert await client.request("LIST_SUBSCRIPTIONS") == {"result": [f"{STREAM_SYMBOL}@trade"], "id": 1}


async def test_combined_stream_wraps_each_event_with_its_stream_name(edge: Edge, traders: Traders) -> None:
    streams = [f"{STREAM_SYMBOL}@trade", f"{STREAM_SYMBOL}@bookTicker"]
    async with connect(edge.ws + "/stream?streams=" + "/".join(streams)) as client:
        await _cross(traders, "153.00")
        found = await client.first_of_each(  # in either order: two upstreams
            trade=lambda m: m["stream"] == f"{STREAM_SYMBOL}@trade",
            book=lambda m: m["stream"] == f"{STREAM_SYMBOL}@bookTicker",
        )
        wrapped, book = found["trade"], found["book"]
    assert set(wrapped) == {"stream", "data"} and wrapped["data"]["e"] == "trade"
    assert set(book["data"]) == {"u", "s", "b", "B", "a", "A"}


async def test_set_property_combined_wraps_events_on_a_plain_connection(edge: Edge, traders: Traders) -> None:
    async with connect(edge.ws + "/ws") as client:
        assert await client.request("GET_PROPERTY", ["combined"]) == {"result": False, "id": 1}
        assert await client.request("SET_PROPERTY", ["combined", True]) == {"result": None, "id": 2}
        assert await client.request("GET_PROPERTY", ["combined"]) == {"result": True, "id": 3}
        await client.request("SUBSCRIBE", [f"{STREAM_SYMBOL}@trade"])
        await _cross(traders, "154.00")
        wrapped = await client.event(lambda m: "stream" in m)
    assert wrapped["stream"] == f"{STREAM_SYMBOL}@trade" and wrapped["data"]["e"] == "trade"


async def test_depth_streams_diff_and_partial(edge: Edge, traders: Traders) -> None:
    async with connect(edge.ws + "/ws") as client:
        names = [f"{STREAM_SYMBOL}@depth", f"{STREAM_SYMBOL}@depth@100ms", f"{STREAM_SYMBOL}@depth5",
                 f"{STREAM_SYMBOL}@depth10@100ms", f"{STREAM_SYMBOL}@depth20"]
        assert await client.request("SUBSCRIBE", names) == {"result": None, "id": 1}
        seller = await traders.funded(SOL="10")
        await seller.place(SYMBOL, "SELL", "1.000", "160.50")
        diff = await client.event(lambda m: m.get("e") == "depthUpdate" and ["160.50000000", "1.00000000"] in m["a"])
        partial = await client.event(lambda m: "lastUpdateId" in m and ["160.50000000", "1.00000000"] in m["asks"])
    assert set(diff) == {"e", "E", "s", "U", "u", "b", "a"} and diff["s"] == SYMBOL and diff["U"] <= diff["u"]
    assert set(partial) == {"lastUpdateId", "bids", "asks"}


async def test_ticker_streams(edge: Edge, traders: Traders) -> None:
    async with connect(edge.ws + "/ws") as client:
        names = [f"{STREAM_SYMBOL}@ticker", f"{STREAM_SYMBOL}@miniTicker", "!ticker@arr", "!miniTicker@arr",
                 f"{STREAM_SYMBOL}@avgPrice"]
        assert await client.request("SUBSCRIBE", names) == {"result": None, "id": 1}
        await _cross(traders, "155.55")
        last = Decimal("155.55")
        seen = await client.first_of_each(
            ticker=lambda m: m["e"] == "24hrTicker" and Decimal(m["c"]) == last,
            mini=lambda m: m["e"] == "24hrMiniTicker" and Decimal(m["c"]) == last,
            everything=lambda m: any(t["e"] == "24hrTicker" and Decimal(t["c"]) == last for t in m),
            minis=lambda m: any(t["e"] == "24hrMiniTicker" and Decimal(t["c"]) == last for t in m),
            avg=lambda m: m["e"] == "avgPrice",
        )
    ticker, mini, everything, minis, avg = (seen[k] for k in ("ticker", "mini", "everything", "minis", "avg"))
    assert len(ticker) == 23 and ticker["s"] == SYMBOL
    assert set(mini) == {"e", "E", "s", "c", "o", "h", "l", "v", "q"}
    assert {t["s"] for t in everything} >= {SYMBOL} and all(len(t) == 23 for t in everything)
    assert all(t["e"] == "24hrMiniTicker" for t in minis)
    assert avg["s"] == SYMBOL and avg["i"] == "5m" and Decimal(avg["w"]) > 0


async def test_rolling_window_ticker_streams(edge: Edge, traders: Traders) -> None:
    async with (
        connect(edge.ws + f"/ws/{STREAM_SYMBOL}@ticker_1h") as raw,
        connect(edge.ws + "/stream?streams=!ticker_4h@arr") as wrapped,
    ):
        await _cross(traders, "156.25")
        last = Decimal("156.25")
        hour = await raw.event(lambda m: m["e"] == "1hTicker" and Decimal(m["c"]) == last)
        every = await wrapped.event(lambda m: any(t["s"] == SYMBOL and Decimal(t["c"]) == last for t in m["data"]))
    assert set(hour) == {"e", "E", "s", "p", "P", "o", "h", "l", "c", "w", "v", "q", "O", "C", "F", "L", "n"}
    assert hour["s"] == SYMBOL and hour["n"] >= 1
    assert hour["C"] - hour["O"] < 3_600_000 + 60_000  # Binance: within 59,999 ms of the window
    assert every["stream"] == "!ticker_4h@arr" and all(t["e"] == "4hTicker" for t in every["data"])


async def test_a_subscribe_is_answered_before_the_streams_current_state(edge: Edge, traders: Traders) -> None:
    ticker = f"{STREAM_SYMBOL}@ticker"
    async with connect(edge.ws + "/ws/" + ticker) as first:
        await _cross(traders, "157.00")
        await first.event(lambda m: m.get("e") == "24hrTicker")  # the stream has a state to hand out
        async with connect(edge.ws + "/ws") as second:
            await second.send({"method": "SUBSCRIBE", "params": [ticker], "id": 5})
            assert await second.recv() == {"result": None, "id": 5}
            assert (await second.recv())["e"] == "24hrTicker"


async def test_depth_streams_at_the_default_speed_spelled_out(edge: Edge, traders: Traders) -> None:
    # ccxt pro's watch_order_book with watchOrderBookRate=1000 subscribes to <symbol>@depth@1000ms
    names = [f"{STREAM_SYMBOL}@depth@1000ms", f"{STREAM_SYMBOL}@depth5@1000ms"]
    async with connect(edge.ws + "/stream?streams=" + "/".join(names)) as client:
        seller = await traders.funded(SOL="10")
        await seller.place(SYMBOL, "SELL", "1.000", "161.25")  # above every cross of this module
        level = ["161.25000000", "1.00000000"]
        diff = await client.event(lambda m: m["stream"] == names[0] and level in m["data"]["a"])
        partial = await client.event(lambda m: m["stream"] == names[1] and level in m["data"]["asks"])
    assert diff["data"]["e"] == "depthUpdate" and diff["data"]["U"] <= diff["data"]["u"]
    assert set(partial["data"]) == {"lastUpdateId", "bids", "asks"}


async def test_the_older_spellings_of_the_all_market_mini_tickers_are_served(edge: Edge, traders: Traders) -> None:
    # python-binance's miniticker_socket opens /ws/!miniTicker@arr@1000ms
    streams = ["!miniTicker@arr@1000ms", "!miniTicker@arr@3000ms"]
    async with (
        connect(edge.ws + "/ws/" + streams[0]) as raw,
        connect(edge.ws + "/stream?streams=" + streams[1]) as wrapped,
    ):
        await _cross(traders, "155.75")
        last = Decimal("155.75")
        minis = await raw.event(lambda m: any(t["s"] == SYMBOL and Decimal(t["c"]) == last for t in m))
        combined = await wrapped.event(lambda m: any(t["s"] == SYMBOL and Decimal(t["c"]) == last for t in m["data"]))
        assert await raw.request("LIST_SUBSCRIPTIONS") == {"result": [streams[0]], "id": 1}
    assert all(t["e"] == "24hrMiniTicker" for t in minis)
    assert combined["stream"] == streams[1]


async def test_kline_stream_carries_the_open_candle(edge: Edge, traders: Traders) -> None:
    async with connect(edge.ws + "/ws") as client:
        assert await client.request("SUBSCRIBE", [f"{STREAM_SYMBOL}@kline_1m"]) == {"result": None, "id": 1}
        await _cross(traders, "156.00")
        kline = await client.event(lambda m: m.get("e") == "kline" and Decimal(m["k"]["c"]) == Decimal("156"))
    assert kline["s"] == SYMBOL and kline["k"]["i"] == "1m" and kline["k"]["x"] is False
    assert set(kline["k"]) == {"t", "T", "s", "i", "f", "L", "o", "c", "h", "l", "v", "n", "x", "q", "V", "Q", "B"}
