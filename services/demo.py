"""A demo market for `make run`: a market maker quoting every symbol that has a reference
price in the catalog (all of the demo catalog's) around a random walk, and a few takers trading
against it, so prices, depth and candles move.

It is an ordinary client of the services (user service for accounts and the faucet, order
service for orders), as a trading bot would be.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Mapping
from decimal import ROUND_DOWN, Decimal
from typing import Any

import grpc

from exchange.v1 import common_pb2, order_pb2, order_pb2_grpc, user_pb2, user_pb2_grpc
from services.common.caller import caller_metadata
from services.common.catalog import load_catalog
from services.common.config import Config
from services.common.markets import Symbol

log = logging.getLogger("spotex.demo")

DEMO_PASSWORD = "demo-password-not-secret"
LEVELS = 5
MAKER_FUNDS = {"USDT": "50000000", "BTC": "500", "ETH": "5000", "SOL": "50000", "BNB": "20000"}
TAKER_FUNDS = {"USDT": "1000000", "BTC": "10", "ETH": "100", "SOL": "1000", "BNB": "500"}
OTHER_FUNDS = 10**6  # of an asset a markets file adds (capped to fit the asset's minor units)


def _funds(symbols: list[Symbol], known: dict[str, str]) -> dict[str, str]:
    assets = {a.name: a for s in symbols for a in (s.base, s.quote)}
    return {name: known.get(name, str(min(OTHER_FUNDS, 10 ** max(0, 15 - a.precision)))) for name, a in assets.items()}


async def run_demo(config: Config, stop: asyncio.Event, *, seed: int = 7) -> None:
    rng = random.Random(seed)
    admin = (("authorization", f"Bearer {config.secrets().admin_token}"),)
    async with (
        grpc.aio.insecure_channel(config.address("user")) as users_channel,
        grpc.aio.insecure_channel(config.address("order")) as orders_channel,
    ):
        users = user_pb2_grpc.UserServiceStub(users_channel)
        orders = order_pb2_grpc.OrderServiceStub(orders_channel)
        catalog = load_catalog(config)
        quoted = [s for s in catalog.symbols if s.name in catalog.reference_prices and s.status == "TRADING"]
        if not quoted:
            log.info("demo market: no symbol has a demo_price; nothing to quote")
            return
        maker = await _account(users, admin, "maker@demo.spotex", _funds(quoted, MAKER_FUNDS))
        taker_funds = _funds(quoted, TAKER_FUNDS)
        takers = [await _account(users, admin, f"taker{i}@demo.spotex", taker_funds) for i in range(2)]
        log.info("demo market: maker %s, takers %s", maker, takers)
        prices = catalog.reference_prices
        tasks = [asyncio.create_task(_make_market(orders, maker, s, prices[s.name], rng, stop)) for s in quoted]
        tasks += [asyncio.create_task(_take(orders, t, quoted, prices, rng, stop)) for t in takers]
        try:
            await stop.wait()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


async def _account(users: Any, admin: Any, email: str, funds: dict[str, str]) -> int:
    try:
        user_id = (await users.Register(user_pb2.RegisterRequest(email=email, password=DEMO_PASSWORD))).user_id
    except grpc.aio.AioRpcError as exc:
        if exc.code() != grpc.StatusCode.ALREADY_EXISTS:
            raise
        return int((await users.Login(user_pb2.LoginRequest(email=email, password=DEMO_PASSWORD))).user_id)
    for asset, amount in funds.items():  # only on first registration: the faucet is idempotent per tx id
        await users.Deposit(
            user_pb2.DepositRequest(
                user_id=user_id, asset=asset, amount=amount, transaction_id=f"demo-{email}-{asset}"
            ),
            metadata=admin,
        )
    return int(user_id)


async def _make_market(
    orders: Any, maker: int, symbol: Symbol, mid: Decimal, rng: random.Random, stop: asyncio.Event
) -> None:
    tick, step = symbol.filters.tick_size, symbol.filters.step_size
    min_qty = max(step, (symbol.filters.min_notional / mid * 2).quantize(step, rounding=ROUND_DOWN))
    metadata = caller_metadata(maker)
    while not stop.is_set():
        mid = (mid * Decimal(1 + rng.gauss(0, 0.0008))).quantize(tick)
        with contextlib.suppress(grpc.aio.AioRpcError):
            await orders.CancelAllOpenOrders(
                order_pb2.CancelAllOpenOrdersRequest(symbol=symbol.name), metadata=metadata
            )
        quotes = []
        for level in range(1, LEVELS + 1):
            spread = (mid * Decimal("0.0005") * level).quantize(tick)
            qty = (min_qty * rng.randint(1, 20)).quantize(step)
            for side, price in ((common_pb2.BUY, mid - spread), (common_pb2.SELL, mid + spread)):
                quotes.append(_limit(orders, metadata, symbol.name, side, qty, price))
        await asyncio.gather(*quotes, return_exceptions=True)
        await asyncio.sleep(rng.uniform(0.5, 1.5))


def _limit(orders: Any, metadata: Any, symbol: str, side: Any, qty: Decimal, price: Decimal) -> Any:
    return orders.PlaceOrder(
        order_pb2.PlaceOrderRequest(
            symbol=symbol,
            side=side,
            type=common_pb2.LIMIT,
            time_in_force=common_pb2.GTC,
            quantity=str(qty),
            price=str(price),
        ),
        metadata=metadata,
    )


async def _take(
    orders: Any, taker: int, symbols: list[Symbol], prices: Mapping[str, Decimal], rng: random.Random,
    stop: asyncio.Event,
) -> None:  # fmt: skip
    metadata = caller_metadata(taker)
    while not stop.is_set():
        await asyncio.sleep(rng.uniform(0.2, 1.0))
        symbol = rng.choice(symbols)
        mid = prices[symbol.name]
        qty = (symbol.filters.min_notional / mid * rng.randint(2, 6)).quantize(
            symbol.filters.step_size, rounding=ROUND_DOWN
        )
        side = rng.choice((common_pb2.BUY, common_pb2.SELL))
        with contextlib.suppress(grpc.aio.AioRpcError):
            await orders.PlaceOrder(
                order_pb2.PlaceOrderRequest(symbol=symbol.name, side=side, type=common_pb2.MARKET, quantity=str(qty)),
                metadata=metadata,
            )
