"""Rate limits through the whole request pipeline: the edge app in-process (so the clock is
the test's) in front of the real services, with limits small enough to reach."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from edge.app import build_app
from edge.clients import Clients
from edge.ratelimit import InMemoryRateLimiter
from edge.settings import EdgeSettings
from tests.edge.conftest import Account, Exchange, Ledger, now_ms, sign

SETTINGS = EdgeSettings(weight_per_minute=45, orders_per_10s=2, orders_per_day=1000, strikes_before_ban=2)
START_MS = 1_800_000_000_000  # on a minute boundary


class Clock:
    def __init__(self) -> None:
        self.ms = START_MS

    def __call__(self) -> int:
        return self.ms


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def edge(exchange: Exchange, clock: Clock) -> AsyncIterator[Callable[[str], httpx.AsyncClient]]:
    clients = Clients.from_config(exchange.platform.config)
    app = build_app(clients, exchange.platform.config, SETTINGS, InMemoryRateLimiter(SETTINGS, clock))
    opened: list[httpx.AsyncClient] = []

    def from_ip(ip: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(ip, 40000))
        opened.append(httpx.AsyncClient(transport=transport, base_url="http://edge"))
        return opened[-1]

    yield from_ip
    for client in opened:
        await client.aclose()
    await clients.close()


async def test_weight_past_the_limit_is_429_then_418_for_an_ip_that_keeps_going(
    edge: Callable[[str], httpx.AsyncClient], clock: Clock
) -> None:
    hammering, other = edge("203.0.113.1"), edge("203.0.113.2")
    for used in ("20", "40"):  # exchangeInfo weighs 20
        answered = await hammering.get("/api/v3/exchangeInfo")
        assert (answered.status_code, answered.headers["X-MBX-USED-WEIGHT-1M"]) == (200, used)
        assert answered.headers["X-MBX-USED-WEIGHT"] == used  # Binance sends the bare name too

    clock.ms += 30_000
    limited = await hammering.get("/api/v3/exchangeInfo")
    assert limited.status_code == 429 and limited.json()["code"] == -1003
    assert limited.headers["Retry-After"] == "30" and limited.headers["X-MBX-USED-WEIGHT-1M"] == "60"
    assert (await other.get("/api/v3/exchangeInfo")).status_code == 200  # per IP

    assert (await hammering.get("/api/v3/ping")).status_code == 429
    banned = await hammering.get("/api/v3/ping")
    assert banned.status_code == 418 and "banned until" in banned.json()["msg"]

    clock.ms += 60_000  # a new minute, but the ban (120 s) still holds
    assert (await hammering.get("/api/v3/ping")).status_code == 418
    clock.ms += 90_000
    recovered = await hammering.get("/api/v3/ping")
    assert (recovered.status_code, recovered.headers["X-MBX-USED-WEIGHT-1M"]) == (200, "1")


async def signed(client: httpx.AsyncClient, account: Account, method: str, path: str, params: dict[str, str]) -> Any:
    encoded = urlencode({"timestamp": str(now_ms()), **params})
    body = f"{encoded}&signature={sign(account.secret, encoded)}"
    headers = {"X-MBX-APIKEY": account.api_key, "Content-Type": "application/x-www-form-urlencoded"}
    if method == "GET":
        return await client.get(f"{path}?{body}", headers=headers)
    return await client.request(method, path, content=body, headers=headers)


async def test_orders_past_the_account_limit_are_refused_and_not_placed(
    edge: Callable[[str], httpx.AsyncClient], clock: Clock, new_account: Callable[..., Account], ledger: Ledger
) -> None:
    account = new_account(USDT="1000")
    client = edge("203.0.113.3")
    order = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.1"}
    placed = [await signed(client, account, "POST", "/api/v3/order", {**order, "price": p}) for p in ("100", "101")]
    assert [r.headers["X-MBX-ORDER-COUNT-10S"] for r in placed] == ["1", "2"]
    assert [r.status_code for r in placed] == [200, 200], placed[0].text

    refused = await signed(client, account, "POST", "/api/v3/order", {**order, "price": "102"})
    assert (refused.status_code, refused.json()) == (
        429, {"code": -1015, "msg": "Too many new orders; current limit is 2 orders per 10 SECOND."}
    )  # fmt: skip
    assert len(ledger.open_orders(account)) == 2
    usage = (await signed(client, account, "GET", "/api/v3/rateLimit/order", {})).json()
    assert [(u["interval"], u["limit"], u["count"]) for u in usage] == [("SECOND", 2, 2), ("DAY", 1000, 2)]

    clock.ms += 10_000
    assert (await signed(client, account, "POST", "/api/v3/order", {**order, "price": "102"})).status_code == 200
    canceled = await signed(client, account, "DELETE", "/api/v3/openOrders", {"symbol": "BTCUSDT"})
    assert len(canceled.json()) == 3
