from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import grpc
import pytest

from exchange.v1 import common_pb2, order_pb2, order_pb2_grpc, tradeproc_pb2, tradeproc_pb2_grpc
from services.common import backends
from services.common.caller import caller_metadata
from services.common.catalog import ASSETS
from tests.e2e.platform import Platform

_deposits = itertools.count(1)


@pytest.fixture(params=["embedded", "real"])
def platform(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Platform]:
    """The same exchange on each backend set: every end-to-end test runs on both. The order path's
    three services run unless the test names others with `@pytest.mark.services(...)`."""
    marker = request.node.get_closest_marker("services")
    services = marker.args if marker else ("matching", "tradeproc", "order")
    running = Platform(tmp_path / "exchange", services=services, backend=request.param)
    running.start_all()
    try:
        yield running
    finally:
        running.stop_all()


@dataclass
class Trader:
    """One user of the exchange, talking to the services as the edge does."""

    user_id: int
    platform: Platform
    orders: order_pb2_grpc.OrderServiceStub
    accounts: tradeproc_pb2_grpc.TradeProcessingServiceStub

    @property
    def _metadata(self) -> Any:
        return caller_metadata(self.user_id)

    async def deposit(self, asset: str, amount: str) -> None:
        ledger = backends.open_ledger(self.platform.config)
        try:
            minor = ASSETS[asset].to_minor(Decimal(amount))
            await ledger.deposit(f"test-{next(_deposits)}", self.user_id, asset, minor)
        finally:
            await ledger.close()

    async def place(self, symbol: str, side: str, quantity: str, price: str | None = None, **extra: Any) -> Any:
        request = order_pb2.PlaceOrderRequest(
            symbol=symbol,
            side=common_pb2.Side.Value(side),
            type=common_pb2.LIMIT if price else common_pb2.MARKET,
            time_in_force=common_pb2.GTC if price else 0,
            quantity=quantity,
            price=price or "",
            **extra,
        )
        return await self.orders.PlaceOrder(request, metadata=self._metadata)

    async def cancel(self, symbol: str, order_id: int) -> Any:
        return await self.orders.CancelOrder(
            order_pb2.CancelOrderRequest(symbol=symbol, order_id=order_id), metadata=self._metadata
        )

    async def balances(self) -> dict[str, tuple[Decimal, Decimal]]:
        account = await self.accounts.GetAccount(
            tradeproc_pb2.GetAccountRequest(omit_zero_balances=True), metadata=self._metadata
        )
        return {b.asset: (Decimal(b.free), Decimal(b.locked)) for b in account.balances}


@pytest.fixture
async def channels(platform: Platform) -> AsyncIterator[tuple[Any, Any]]:
    async with grpc.aio.insecure_channel(platform.address("order")) as orders, grpc.aio.insecure_channel(
        platform.address("tradeproc")
    ) as accounts:
        yield order_pb2_grpc.OrderServiceStub(orders), tradeproc_pb2_grpc.TradeProcessingServiceStub(accounts)


@pytest.fixture
def traders(platform: Platform, channels: tuple[Any, Any]) -> Any:
    def make(user_id: int) -> Trader:
        return Trader(user_id, platform, *channels)

    return make
