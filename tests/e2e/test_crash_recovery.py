"""Kill a process for real (SIGKILL) while orders flow: nothing acknowledged may be lost,
nothing may be settled twice, and the audit must pass once the process is back."""

from __future__ import annotations

import asyncio
import random
from decimal import Decimal as D

import grpc
import pytest

from exchange.v1 import marketdata_pb2, marketdata_pb2_grpc, matching_pb2, matching_pb2_grpc, user_pb2, user_pb2_grpc
from services.common import backends
from services.common.caller import caller_metadata
from services.common.catalog import DEMO_CATALOG, DEMO_SYMBOLS
from services.common.records import OrderPhase
from services.matching.shard import MatchingShard
from services.order.responses import format_price, format_qty
from services.tradectl.gather import audit_exchange
from tests.e2e.platform import AUDIT_WAIT_S, eventually

ORDERS = 300
FLOW_LIMIT_S = 60  # the flows stop by themselves even if the exchange stops answering


async def _flow(trader, side: str, acknowledged: list[int], stop: asyncio.Event) -> None:
    """Place small crossing orders until told to stop; remember every acknowledged one."""
    rng = random.Random(side)
    while not stop.is_set() and len(acknowledged) < ORDERS:
        price = str(50000 + rng.randint(-5, 5))
        try:
            placed = await trader.place("BTCUSDT", side, "0.0001", price)
        except grpc.aio.AioRpcError:
            await asyncio.sleep(0.05)  # the service is down: a client retries later
            continue
        acknowledged.append(placed.order.order_id)


async def _kill_during_flow(platform, traders, victim: str) -> list[int]:
    buyer, seller = traders(1), traders(2)
    await buyer.deposit("USDT", "100000")
    await seller.deposit("BTC", "10")
    acknowledged: list[int] = []
    stop = asyncio.Event()
    flows = [
        asyncio.create_task(_flow(buyer, "BUY", acknowledged, stop)),
        asyncio.create_task(_flow(seller, "SELL", acknowledged, stop)),
    ]
    deadline = asyncio.get_running_loop().time() + FLOW_LIMIT_S
    while len(acknowledged) < ORDERS // 3 and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.01)
    platform.kill(victim)
    await asyncio.sleep(0.3)
    platform.start(victim)
    while len(acknowledged) < ORDERS and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.gather(*flows)
    platform.assert_alive()  # a crash other than the one we caused fails here, with its log
    return acknowledged


async def _acknowledged_orders_are_all_known(platform, acknowledged: list[int]) -> None:
    ledger = backends.open_ledger(platform.config)
    try:
        found = await ledger.get_orders("BTCUSDT", acknowledged)
    finally:
        await ledger.close()
    assert set(found) == set(acknowledged)
    assert all(order.phase is not OrderPhase.PENDING for order in found.values())


async def test_matching_killed_mid_stream_loses_no_acknowledged_order(platform, traders):
    acknowledged = await _kill_during_flow(platform, traders, "matching")
    assert len(acknowledged) >= ORDERS // 3
    assert await audit_exchange(platform.config, quiet_for_s=AUDIT_WAIT_S) == []
    await _acknowledged_orders_are_all_known(platform, acknowledged)
    # the book the restarted process rebuilt (newest snapshot + journal replay) is the book a
    # replay of the whole journal from an empty book gives
    async with grpc.aio.insecure_channel(platform.address("matching")) as channel:
        live = await matching_pb2_grpc.MatchingServiceStub(channel).Snapshot(
            matching_pb2.SnapshotRequest(symbol="BTCUSDT")
        )
    platform.stop("matching")  # a second writer would take the journal over from the live one
    assert await _replayed_from_scratch(platform, "BTCUSDT") == live.state_hash


class _NoSnapshots:
    async def save(self, symbol: str, journal_offset: int, data: bytes) -> None:
        pass

    async def load(self, symbol: str) -> tuple[int, bytes] | None:
        return None


async def _replayed_from_scratch(platform, symbol: str) -> bytes:
    shard_of = {s.name: s.shard for s in DEMO_SYMBOLS}
    names = [name for name, shard in shard_of.items() if shard == shard_of[symbol]]
    log = backends.open_log(platform.config)
    shard = MatchingShard(shard_of[symbol], names, log, _NoSnapshots())
    try:
        await shard.start()
        return bytes(shard.book(symbol).state_hash())
    finally:
        await shard.stop()
        await log.close()


async def test_trade_processing_killed_mid_stream_settles_every_trade_exactly_once(platform, traders):
    acknowledged = await _kill_during_flow(platform, traders, "tradeproc")
    assert await audit_exchange(platform.config, quiet_for_s=AUDIT_WAIT_S) == []
    await _acknowledged_orders_are_all_known(platform, acknowledged)
    # every trade was settled once: the buyer's base equals what its fills bought, less fees
    balances = await traders(1).balances()
    ledger = backends.open_ledger(platform.config)
    try:
        trades = await ledger.list_trades(1, "BTCUSDT", None, None, None, None, 100_000)
    finally:
        await ledger.close()
    bought = sum(D(t.qty) for t in trades) / D(100_000)  # lots of 0.00001 BTC
    fees = sum(D(t.commission) for t in trades) / D(10**8)
    assert balances.get("BTC", (D(0), D(0)))[0] == bought - fees


async def test_order_service_killed_mid_stream_leaves_no_funds_locked_without_an_order(platform, traders):
    acknowledged = await _kill_during_flow(platform, traders, "order")
    assert await audit_exchange(platform.config, quiet_for_s=AUDIT_WAIT_S) == []
    await _acknowledged_orders_are_all_known(platform, acknowledged)



@pytest.mark.services("matching", "tradeproc", "marketdata", "order")
async def test_market_data_killed_mid_stream_still_shows_every_trade(platform, traders):
    """Trades, candles and the 24h ticker are rebuilt from the engine's events: a trade made
    while market data was down is in them once it is back, and none is counted twice."""
    await _kill_during_flow(platform, traders, "marketdata")
    ledger = backends.open_ledger(platform.config)
    try:
        fills = await ledger.list_trades(1, "BTCUSDT", None, None, None, None, 100_000)  # every trade has user 1
    finally:
        await ledger.close()
    symbol = DEMO_CATALOG.by_name["BTCUSDT"]
    expected = [(t.trade_id, format_price(symbol, t.price), format_qty(symbol, t.qty)) for t in fills]
    volume = sum(D(qty) for _, _, qty in expected)
    assert len(expected) > 20  # trades were made before the kill and after it

    async with grpc.aio.insecure_channel(platform.address("marketdata")) as channel:
        market = marketdata_pb2_grpc.MarketDataServiceStub(channel)
        shown: dict[str, object] = {}

        async def caught_up() -> bool:
            trades = (await market.GetTrades(marketdata_pb2.GetTradesRequest(symbol="BTCUSDT", limit=1000))).trades
            shown["trades"] = [(t.id, t.price, t.qty) for t in trades]
            return len(trades) >= len(expected)

        await eventually(caught_up, timeout_s=AUDIT_WAIT_S)
        assert shown["trades"] == expected
        klines = (await market.GetKlines(marketdata_pb2.GetKlinesRequest(symbol="BTCUSDT", interval="1m"))).klines
        assert sum(k.trade_count for k in klines) == len(expected)
        assert sum(D(k.volume) for k in klines) == volume
        (ticker,) = (await market.GetTicker24h(marketdata_pb2.GetTickerRequest(symbol="BTCUSDT"))).tickers
        assert (ticker.count, D(ticker.volume), ticker.last_id) == (len(expected), volume, expected[-1][0])


DEPOSITS = 120


@pytest.mark.services("matching", "tradeproc", "user", "order")
async def test_user_service_killed_mid_stream_loses_no_acknowledged_deposit(platform):
    """Deposits are idempotent by transaction id: each acknowledged one is kept through a
    SIGKILL, and one whose answer the kill cut off, sent again, is credited exactly once. A
    listenKey made before the kill still resolves after it."""
    admin = (("authorization", f"Bearer {platform.config.secrets().admin_token}"),)
    async with grpc.aio.insecure_channel(platform.address("user")) as channel:
        users = user_pb2_grpc.UserServiceStub(channel)
        registered = await users.Register(user_pb2.RegisterRequest(email="kill@example.com", password="a-long-pass"))
        user_id = registered.user_id
        listen_key = (await users.CreateListenKey(user_pb2.CreateListenKeyRequest(),
                                                  metadata=caller_metadata(user_id))).listen_key
        acknowledged: set[int] = set()
        unanswered: set[int] = set()

        async def deposit(n: int) -> None:
            request = user_pb2.DepositRequest(user_id=user_id, asset="USDT", amount=f"{n}.01", transaction_id=f"tx-{n}")
            try:
                await users.Deposit(request, metadata=admin, timeout=5)
            except grpc.aio.AioRpcError:
                unanswered.add(n)  # outcome unknown: it may or may not have been credited
                await asyncio.sleep(0.1)  # the service is down: a client backs off
                return
            unanswered.discard(n)
            acknowledged.add(n)

        async def flow() -> None:
            for n in range(1, DEPOSITS + 1):
                await deposit(n)
                await asyncio.sleep(0.005)

        flowing = asyncio.create_task(flow())
        await eventually(lambda: _true_when(len(acknowledged) >= DEPOSITS // 3), timeout_s=60)
        platform.kill("user")
        await asyncio.sleep(0.3)
        platform.start("user")
        await asyncio.wait_for(flowing, timeout=120)
        assert unanswered, "no deposit failed while the user service was down"
        credited_before_retry = await _usdt(users, user_id, admin)
        assert credited_before_retry >= sum(D(f"{n}.01") for n in acknowledged)
        for n in sorted(unanswered):  # a client re-sends what got no answer
            await deposit(n)
        assert acknowledged == set(range(1, DEPOSITS + 1))
        assert await _usdt(users, user_id, admin) == sum(D(f"{n}.01") for n in acknowledged)
        # a listenKey is kept in the store, not in the process: the restarted service knows it
        resolved = await users.ResolveListenKey(user_pb2.ResolveListenKeyRequest(listen_key=listen_key))
        assert resolved.user_id == user_id
    platform.assert_alive()
    assert await audit_exchange(platform.config, quiet_for_s=AUDIT_WAIT_S) == []


async def _true_when(value: bool) -> bool:
    return value


async def _usdt(users, user_id: int, admin) -> D:
    reply = await users.GetBalances(user_pb2.GetBalancesRequest(user_id=user_id), metadata=admin)
    return sum((D(b.free) + D(b.locked) for b in reply.balances if b.asset == "USDT"), D(0))
