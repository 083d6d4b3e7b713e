"""The avgPrice stream, the ticker arrays and the rolling-window ticker over real gRPC."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import grpc
import pytest

from engine_ext.codes import Side
from exchange.v1 import marketdata_pb2, marketdata_pb2_grpc
from services.common.catalog import DEMO_SYMBOLS
from services.common.grpcutil.errors import status_of
from services.marketdata.trades import PublicTradeView
from services.marketdata.views import StreamEvent, TradePayload
from tests.integration.marketdata.conftest import QUEUE_SIZE, Exchange

Stub = marketdata_pb2_grpc.MarketDataServiceStub


SYMBOLS = {s.name: s for s in DEMO_SYMBOLS}


async def _trade(market: Exchange, symbol: str, price: str, qty: str) -> None:
    spec, book = SYMBOLS[symbol], market.book(symbol)
    book.limit(Side.SELL, spec.price_to_ticks(Decimal(price)), spec.qty_to_lots(Decimal(qty)))
    book.market(Side.BUY, spec.qty_to_lots(Decimal(qty)))
    await market.flush()


async def _first(call: object, field: str) -> marketdata_pb2.MarketEvent:
    async def wait() -> marketdata_pb2.MarketEvent:
        async for event in call:  # type: ignore[attr-defined]
            if event.WhichOneof("payload") == field:
                return event
        raise AssertionError("stream ended")

    return await asyncio.wait_for(wait(), 5)


async def test_the_avg_price_stream_carries_binances_five_minute_average(market: Exchange, stub: Stub) -> None:
    await _trade(market, "BTCUSDT", "100", "1")
    call = stub.Subscribe(marketdata_pb2.SubscribeRequest(streams=["btcusdt@avgPrice"]))
    event = await _first(call, "avg_price")
    assert (event.avg_price.symbol, event.avg_price.interval, event.avg_price.price) == (
        "BTCUSDT", "5m", "100.00000000")
    call.cancel()


async def test_an_all_tickers_push_marks_its_last_symbol(market: Exchange, stub: Stub) -> None:
    await _trade(market, "BTCUSDT", "100", "1")
    await _trade(market, "ETHUSDT", "10", "1")
    call = stub.Subscribe(marketdata_pb2.SubscribeRequest(streams=["!miniTicker@arr"]))
    push: list[marketdata_pb2.MarketEvent] = []

    async def one_array() -> None:
        async for event in call:
            push.append(event)
            if event.last_in_array:
                return

    await asyncio.wait_for(one_array(), 5)
    assert {e.mini_ticker.symbol for e in push} >= {"BTCUSDT", "ETHUSDT"}
    assert len({e.event_time for e in push}) == 1
    assert [e.last_in_array for e in push] == [False] * (len(push) - 1) + [True]
    call.cancel()


async def test_the_rolling_ticker_covers_the_window_asked_for(market: Exchange, stub: Stub) -> None:
    await _trade(market, "BTCUSDT", "100", "1")
    await _trade(market, "BTCUSDT", "104", "1")
    (ticker,) = (
        await stub.GetRollingTicker(marketdata_pb2.GetRollingTickerRequest(symbol="BTCUSDT", window_size="1h"))
    ).tickers
    assert (ticker.open_price, ticker.last_price, ticker.count) == ("100.00000000", "104.00000000", 2)


async def test_a_subscriber_that_falls_behind_gets_the_slow_subscriber_error(market: Exchange, stub: Stub) -> None:
    call = stub.Subscribe(marketdata_pb2.SubscribeRequest(streams=["btcusdt@trade"]))
    await call.initial_metadata()
    trade = PublicTradeView(1, "1.00000000", "1.00000000", "1.00000000", 0, False)
    market.hub.publish([StreamEvent("btcusdt@trade", 0, TradePayload("BTCUSDT", trade))] * (QUEUE_SIZE + 1))
    with pytest.raises(grpc.aio.AioRpcError) as failed:
        async for _ in call:
            pass
    assert status_of(failed.value).reason == "SUBSCRIBER_TOO_SLOW"
