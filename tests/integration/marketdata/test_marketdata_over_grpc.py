from __future__ import annotations

import asyncio
from collections.abc import Callable
from decimal import Decimal

import grpc
import pytest

from engine_ext.codes import Side
from exchange.v1 import marketdata_pb2, marketdata_pb2_grpc
from services.common.grpcutil.errors import status_of
from services.marketdata.trades import PublicTradeView
from services.marketdata.views import StreamEvent, TradePayload
from tests.integration.marketdata.conftest import QUEUE_SIZE, Exchange
from tests.unit.marketdata.market_feed import lots, ticks

Stub = marketdata_pb2_grpc.MarketDataServiceStub


async def _trade(market: Exchange, price: str, qty: str) -> None:
    book = market.book()
    book.limit(Side.SELL, ticks(price), lots(qty))
    book.market(Side.BUY, lots(qty))
    await market.flush()


async def test_depth_is_served_with_its_update_id_and_decimal_levels(market: Exchange, stub: Stub) -> None:
    market.book().limit(Side.BUY, ticks("99.5"), lots("1.25"))
    market.book().limit(Side.SELL, ticks("100.5"), lots("0.5"))
    await market.flush()

    reply = await stub.GetDepth(marketdata_pb2.GetDepthRequest(symbol="BTCUSDT", limit=5))

    assert reply.last_update_id == market.book().book.seq
    assert [(lv.price, lv.qty) for lv in reply.bids] == [("99.50000000", "1.25000000")]
    assert [(lv.price, lv.qty) for lv in reply.asks] == [("100.50000000", "0.50000000")]


async def test_trades_agg_trades_klines_and_tickers_agree(market: Exchange, stub: Stub) -> None:
    await _trade(market, "100", "1")
    await _trade(market, "102", "1")

    trades = (await stub.GetTrades(marketdata_pb2.GetTradesRequest(symbol="BTCUSDT"))).trades
    aggs = (await stub.GetAggTrades(marketdata_pb2.GetAggTradesRequest(symbol="BTCUSDT"))).agg_trades
    klines = (await stub.GetKlines(marketdata_pb2.GetKlinesRequest(symbol="BTCUSDT", interval="1d"))).klines
    (ticker,) = (await stub.GetTicker24h(marketdata_pb2.GetTickerRequest(symbol="BTCUSDT"))).tickers
    (price,) = (await stub.GetPrice(marketdata_pb2.GetTickerRequest(symbol="BTCUSDT"))).prices
    avg = await stub.GetAvgPrice(marketdata_pb2.GetAvgPriceRequest(symbol="BTCUSDT"))

    assert [t.price for t in trades] == ["100.00000000", "102.00000000"]
    assert [a.first_trade_id for a in aggs] == [t.id for t in trades]
    assert [(k.open, k.close, k.volume, k.trade_count) for k in klines] == [
        ("100.00000000", "102.00000000", "2.00000000", 2)]
    assert (ticker.open_price, ticker.last_price, ticker.count, ticker.first_id, ticker.last_id) == (
        "100.00000000", "102.00000000", 2, trades[0].id, trades[1].id)
    assert (price.symbol, price.price) == ("BTCUSDT", "102.00000000")
    assert (avg.mins, avg.price) == (5, "101.00000000")


async def test_every_symbol_is_listed_when_none_is_named(stub: Stub) -> None:
    tickers = (await stub.GetTicker24h(marketdata_pb2.GetTickerRequest())).tickers
    books = (await stub.GetBookTicker(marketdata_pb2.GetTickerRequest(symbols=["ETHUSDT", "BTCUSDT"]))).book_tickers
    info = await stub.GetExchangeInfo(marketdata_pb2.GetExchangeInfoRequest())
    assert [t.symbol for t in tickers] == ["BTCUSDT", "ETHUSDT", "ETHBTC", "SOLUSDT", "BNBUSDT"]
    assert [b.symbol for b in books] == ["ETHUSDT", "BTCUSDT"]
    assert [s.symbol for s in info.symbols] == [t.symbol for t in tickers]
    assert info.timezone == "UTC" and info.rate_limits


@pytest.mark.parametrize(
    ("call", "request_", "reason", "binance_code"),
    [
        ("GetDepth", marketdata_pb2.GetDepthRequest(symbol="DOGEUSDT"), "INVALID_SYMBOL", -1121),
        ("GetDepth", marketdata_pb2.GetDepthRequest(), "MANDATORY_PARAMETER_MISSING", -1102),
        ("GetTrades", marketdata_pb2.GetTradesRequest(symbol="BTCUSDT", limit=0), "ILLEGAL_PARAMETER", -1100),
        ("GetKlines", marketdata_pb2.GetKlinesRequest(symbol="BTCUSDT", interval="7m"), "INVALID_INTERVAL", -1120),
        ("GetAggTrades", marketdata_pb2.GetAggTradesRequest(symbol="BTCUSDT", from_id=1, start_time=1),
         "INVALID_PARAMETER_COMBINATION", -1128),
        ("GetTicker24h", marketdata_pb2.GetTickerRequest(symbol="BTCUSDT", symbols=["ETHUSDT"]),
         "INVALID_PARAMETER_COMBINATION", -1128),
    ],
)
async def test_refusals_carry_the_binance_error(
    stub: Stub, call: str, request_: object, reason: str, binance_code: int
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as failed:
        await getattr(stub, call)(request_)
    error = status_of(failed.value)
    assert (failed.value.code(), error.reason, error.binance_code) == (
        grpc.StatusCode.INVALID_ARGUMENT, reason, binance_code)


async def test_an_unknown_stream_fails_the_subscription(stub: Stub) -> None:
    call = stub.Subscribe(marketdata_pb2.SubscribeRequest(streams=["btcusdt@trade", "btcusdt@bogus"]))
    with pytest.raises(grpc.aio.AioRpcError) as failed:
        async for _ in call:
            pass
    assert status_of(failed.value).reason == "INVALID_STREAM"


async def _next(call: object, kind: str, timeout: float = 5.0) -> marketdata_pb2.MarketEvent:
    """The next event whose payload is `kind`."""

    async def wait() -> marketdata_pb2.MarketEvent:
        while True:
            event = await call.read()  # type: ignore[attr-defined]
            assert event is not grpc.aio.EOF
            assert isinstance(event, marketdata_pb2.MarketEvent)
            if event.WhichOneof("payload") == kind:
                return event

    return await asyncio.wait_for(wait(), timeout)


async def test_trade_and_book_ticker_streams_arrive_tagged_with_their_stream_name(
    market: Exchange, stub: Stub
) -> None:
    call = stub.Subscribe(marketdata_pb2.SubscribeRequest(streams=["btcusdt@trade", "btcusdt@bookTicker"]))
    first = await _next(call, "book_ticker")  # the current state, sent at once
    assert first.stream == "btcusdt@bookTicker"

    await _trade(market, "101", "0.5")

    event = await _next(call, "trade")
    assert event.stream == "btcusdt@trade"
    assert (event.trade.symbol, event.trade.price, event.trade.qty, event.trade.is_buyer_maker) == (
        "BTCUSDT", "101.00000000", "0.50000000", False)
    call.cancel()


async def test_a_client_following_binances_procedure_over_grpc_mirrors_the_book(
    market: Exchange, stub: Stub
) -> None:
    book = market.book()
    book.limit(Side.BUY, ticks("99"), lots("1"))
    await market.flush()
    call = stub.Subscribe(marketdata_pb2.SubscribeRequest(streams=["btcusdt@depth@100ms"]))
    await asyncio.sleep(0.05)  # let the subscription open before the book moves
    book.limit(Side.BUY, ticks("98"), lots("2"))
    book.limit(Side.SELL, ticks("101"), lots("3"))
    await market.flush()

    snapshot = await stub.GetDepth(marketdata_pb2.GetDepthRequest(symbol="BTCUSDT", limit=1000))
    local = {("b", lv.price): Decimal(lv.qty) for lv in snapshot.bids}
    local |= {("a", lv.price): Decimal(lv.qty) for lv in snapshot.asks}
    last_u = snapshot.last_update_id

    book.market(Side.SELL, lots("1.5"))  # takes the 99 level and half of the 98 one
    book.limit(Side.SELL, ticks("100"), lots("1"))
    await market.flush()

    while last_u < book.book.seq:
        diff = (await _next(call, "depth")).depth
        if diff.final_update_id <= snapshot.last_update_id:
            continue
        assert diff.first_update_id <= last_u + 1 <= diff.final_update_id
        for side, levels in (("b", diff.bids), ("a", diff.asks)):
            for lv in levels:
                if Decimal(lv.qty) == 0:
                    local.pop((side, lv.price), None)
                else:
                    local[(side, lv.price)] = Decimal(lv.qty)
        last_u = diff.final_update_id
    call.cancel()

    assert local == {("b", "98.00000000"): Decimal("1.5"), ("a", "100.00000000"): Decimal("1"),
                     ("a", "101.00000000"): Decimal("3")}


async def test_missed_events_are_recovered_from_the_book_snapshot(market: Exchange, stub: Stub) -> None:
    book = market.book()
    book.limit(Side.BUY, ticks("99"), lots("1"))
    book.batches.clear()  # these events never reach market data
    book.limit(Side.BUY, ticks("98"), lots("2"))
    await market.flush()

    reply = await stub.GetDepth(marketdata_pb2.GetDepthRequest(symbol="BTCUSDT"))

    assert market.snapshots.served == 1
    assert reply.last_update_id == book.book.seq
    assert [(lv.price, lv.qty) for lv in reply.bids] == [("99.00000000", "1.00000000"), ("98.00000000", "2.00000000")]


async def test_a_subscriber_that_falls_behind_is_disconnected_resource_exhausted(
    market: Exchange, stub: Stub
) -> None:
    call = stub.Subscribe(marketdata_pb2.SubscribeRequest(streams=["btcusdt@trade"]))
    await _wait_for(lambda: market.hub.subscriber_count == 1)
    trade = PublicTradeView(1, "1.00000000", "1.00000000", "1.00000000", 0, False)
    # More than its queue holds, in one go: the server cannot have drained any of it.
    market.hub.publish([StreamEvent("btcusdt@trade", 0, TradePayload("BTCUSDT", trade))] * (QUEUE_SIZE + 1))

    with pytest.raises(grpc.aio.AioRpcError) as failed:
        async for _ in call:
            pass
    assert failed.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert market.hub.subscriber_count == 0


async def test_initial_metadata_arrives_once_the_streams_are_registered(market: Exchange, stub: Stub) -> None:
    call = stub.Subscribe(marketdata_pb2.SubscribeRequest(streams=["btcusdt@depth@100ms"]))
    await asyncio.wait_for(call.initial_metadata(), 5)
    assert market.hub.has_subscribers("btcusdt@depth@100ms")  # so a depth snapshot now is safe
    book = market.book()
    book.limit(Side.BUY, ticks("99"), lots("1"))
    await market.flush()
    snapshot = await stub.GetDepth(marketdata_pb2.GetDepthRequest(symbol="BTCUSDT"))
    book.limit(Side.BUY, ticks("98"), lots("1"))
    await market.flush()

    diff = (await _next(call, "depth")).depth
    while diff.final_update_id <= snapshot.last_update_id:  # Binance step 3: drop what it holds
        diff = (await _next(call, "depth")).depth
    # The first diff after the snapshot joins it: no gap, so no refetch.
    assert diff.first_update_id <= snapshot.last_update_id + 1 <= diff.final_update_id
    call.cancel()


async def test_a_client_that_cancels_is_unsubscribed(market: Exchange, stub: Stub) -> None:
    call = stub.Subscribe(marketdata_pb2.SubscribeRequest(streams=["btcusdt@depth", "btcusdt@trade"]))
    await _wait_for(lambda: market.hub.subscriber_count == 1)
    call.cancel()
    await _wait_for(lambda: market.hub.subscriber_count == 0)


async def _wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), timeout)
