"""ccxt pro's binance class, unchanged but for its URLs, against the edge: it opens /ws/<n>,
subscribes, waits for the ack, fetches the REST snapshot and applies diffs with U == u + 1."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.edge_ws.conftest import Edge, Trader, Traders

SYMBOL, MARKET = "BNBUSDT", "BNB/USDT"


@contextlib.asynccontextmanager
async def pro_client(edge: Edge) -> AsyncIterator[Any]:
    import ccxt.pro

    exchange = ccxt.pro.binance(
        {
            "urls": {
                "api": {
                    "public": edge.http + "/api/v3",
                    "private": edge.http + "/api/v3",
                    "ws": {"spot": edge.ws + "/ws"},
                }
            },
            "options": {"fetchMarkets": {"types": ["spot"]}, "fetchCurrencies": False, "fetchMargins": False},
        }
    )
    try:
        await exchange.load_markets()
        yield exchange
    finally:
        await exchange.close()


async def _rest_depth(edge: Edge) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=edge.http) as http:
        reply = await http.get("/api/v3/depth", params={"symbol": SYMBOL, "limit": 1000})
    assert reply.status_code == 200, reply.text
    depth: dict[str, Any] = reply.json()
    return depth


def _levels(levels: Any) -> list[tuple[Decimal, Decimal]]:
    return [(Decimal(str(p)), Decimal(str(q))) for p, q, *_ in levels]


async def _trade_for_a_while(maker: Trader, taker: Trader, rounds: int, seed: int) -> None:
    """Makers rest on both sides around 640; takers hit them, so levels appear, shrink and go."""
    rng = random.Random(seed)
    for _ in range(rounds):
        side = rng.choice(("BUY", "SELL"))
        offset = Decimal(rng.randint(1, 40)) / 10
        price = Decimal("640") - offset if side == "BUY" else Decimal("640") + offset
        await maker.place(SYMBOL, side, f"{rng.randint(1, 20) / 100:.3f}", f"{price:.2f}")
        if rng.random() < 0.4:
            against = "SELL" if side == "BUY" else "BUY"
            await taker.place(SYMBOL, against, f"{rng.randint(1, 10) / 100:.3f}")
        await asyncio.sleep(0.01)


async def test_watch_order_book_converges_to_the_rest_depth_while_trades_happen(edge: Edge, traders: Traders) -> None:
    maker = await traders.funded(BNB="1000", USDT="1000000")
    taker = await traders.funded(BNB="1000", USDT="1000000")
    await maker.place(SYMBOL, "BUY", "0.100", "639.00")  # the book is never empty on either side
    await maker.place(SYMBOL, "SELL", "0.100", "641.00")
    async with pro_client(edge) as exchange:
        first = await exchange.watch_order_book(MARKET)
        trading = asyncio.create_task(_trade_for_a_while(maker, taker, rounds=150, seed=4))
        nonces = [first["nonce"]]
        while not trading.done():
            watching = asyncio.ensure_future(exchange.watch_order_book(MARKET))  # a gap would raise here
            # the trading may end while this waits, and then no further update need come
            await asyncio.wait({watching, trading}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
            if watching.done():
                nonces.append(watching.result()["nonce"])
            else:
                watching.cancel()
                await asyncio.gather(watching, return_exceptions=True)
                assert trading.done(), "no depth update within 10 s while trading"
        await trading
        assert nonces == sorted(nonces) and nonces[-1] > nonces[0]
        async with asyncio.timeout(10):
            while True:
                rest = await _rest_depth(edge)
                local = exchange.orderbooks[MARKET]
                if (_levels(local["bids"]), _levels(local["asks"])) == (_levels(rest["bids"]), _levels(rest["asks"])):
                    break
                await asyncio.sleep(0.1)
    assert rest["bids"] and rest["asks"]


async def test_watch_trades_and_watch_ticker_deliver_what_was_traded(edge: Edge, traders: Traders) -> None:
    # A market of its own: what the other test leaves resting would take part in the trade.
    market, symbol = "ETH/USDT", "ETHUSDT"
    seller = await traders.funded(ETH="10")
    buyer = await traders.funded(USDT="100000")
    async with pro_client(edge) as exchange:
        watching_trades = asyncio.create_task(exchange.watch_trades(market))
        watching_ticker = asyncio.create_task(exchange.watch_ticker(market))
        await asyncio.sleep(0.5)  # both subscriptions acked before the trade (ccxt has no hook)
        await seller.place(symbol, "SELL", "0.2500", "3412.50")
        await buyer.place(symbol, "BUY", "0.2500", "3412.50")
        trades = await asyncio.wait_for(watching_trades, 10)
        ticker = await asyncio.wait_for(watching_ticker, 10)
        while ticker["last"] != pytest.approx(3412.5):
            ticker = await asyncio.wait_for(exchange.watch_ticker(market), 10)
    trade = trades[-1]
    assert trade["symbol"] == market and trade["price"] == pytest.approx(3412.5) and trade["amount"] == 0.25
    assert trade["side"] == "buy"  # the taker bought
    assert ticker["symbol"] == market and ticker["close"] == pytest.approx(3412.5)


async def test_watch_ohlcv_in_utc_plus_8_gets_candles_that_open_at_its_midnight(edge: Edge, traders: Traders) -> None:
    # ccxt pro subscribes to <symbol>@kline_<interval>@+08:00 for params={"timezone": "+08:00"}
    market, symbol = "SOL/USDT", "SOLUSDT"
    seller, buyer = await traders.funded(SOL="5"), await traders.funded(USDT="10000")
    async with pro_client(edge) as exchange:
        watching = asyncio.create_task(exchange.watch_ohlcv(market, "1d", params={"timezone": "+08:00"}))
        await asyncio.sleep(0.5)  # subscribed before the trade (ccxt has no hook)
        await seller.place(symbol, "SELL", "0.500", "157.25")
        await buyer.place(symbol, "BUY", "0.500", "157.25")
        candles = await asyncio.wait_for(watching, 10)
        while candles[-1][4] != pytest.approx(157.25):
            candles = await asyncio.wait_for(exchange.watch_ohlcv(market, "1d", params={"timezone": "+08:00"}), 10)
    day_ms, eight_hours_ms = 86_400_000, 8 * 3_600_000
    opened = candles[-1][0]
    assert (opened + eight_hours_ms) % day_ms == 0  # 00:00 at UTC+8 is 16:00 UTC
    assert 0 <= exchange.milliseconds() - opened < day_ms
