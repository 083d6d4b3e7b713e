"""The whole exchange for the edge's tests: the five services as real processes and the edge
as `python -m edge`, all on free ports of 127.0.0.1, started once per session (they take
~15 s) and stopped at the end. Each test opens its own accounts, so tests do not share money.

Accounts are opened the way a newcomer would: /api/v1/register, /api/v1/login, an API key
from /api/v1/apiKey and test funds from the dev faucet. What a test then checks, it checks
against the services themselves over gRPC (balances, orders), not against the edge.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import grpc
import httpx
import pytest

from exchange.v1 import common_pb2, order_pb2, order_pb2_grpc, tradeproc_pb2, tradeproc_pb2_grpc
from services.common.caller import caller_metadata
from tests.e2e.platform import REPO, Platform

PASSWORD = "correct horse battery staple"
_accounts = itertools.count(1)


@dataclass
class Exchange:
    platform: Platform
    url: str  # http://127.0.0.1:<edge port>
    edge: subprocess.Popen[bytes]

    @property
    def api(self) -> str:
        return self.url + "/api"


def _start_edge(platform: Platform) -> subprocess.Popen[bytes]:
    with open(platform.data_dir / "edge.log", "ab") as log:
        process = subprocess.Popen([sys.executable, "-m", "edge"], env=platform.env, cwd=REPO, stdout=log, stderr=log)
    _wait_serving(Exchange(platform, f"http://127.0.0.1:{platform.ports['edge']}", process))
    return process


def _wait_serving(exchange: Exchange, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if exchange.edge.poll() is not None:
            log = exchange.platform.log_of("edge")[-3000:]
            raise RuntimeError(f"edge exited with {exchange.edge.returncode}:\n{log}")
        try:
            if httpx.get(exchange.url + "/api/v3/ping", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    exchange.edge.kill()
    raise TimeoutError(f"edge not serving after {timeout_s} s:\n{exchange.platform.log_of('edge')[-3000:]}")


@pytest.fixture(scope="session")
def exchange(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Exchange]:
    platform = Platform(tmp_path_factory.mktemp("edge") / "exchange")
    # Every test of the session talks to this edge from 127.0.0.1: Binance's 6,000 weight a
    # minute per IP is a budget for one trader, which the whole suite exceeds on a fast host.
    # The limits themselves are tested on edges of their own (test_rate_limits, test_ratelimit).
    platform.overrides["SPOTEX_EDGE_WEIGHT_PER_MINUTE"] = "10000000"
    platform.start_all()
    try:
        edge = _start_edge(platform)
        try:
            yield Exchange(platform, f"http://127.0.0.1:{platform.ports['edge']}", edge)
        finally:
            edge.terminate()
            edge.wait(timeout=15)
    finally:
        platform.stop_all()


# -- accounts -----------------------------------------------------------------------------------


@dataclass
class Account:
    user_id: int
    email: str
    token: str  # session JWT
    api_key: str
    secret: str


def session_headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def open_account(exchange: Exchange, funds: dict[str, str] | None = None) -> Account:
    email = f"trader{next(_accounts)}.{time.time_ns()}@example.com"
    with httpx.Client(base_url=exchange.url, timeout=10) as http:
        registered = http.post("/api/v1/register", json={"email": email, "password": PASSWORD})
        assert registered.status_code == 200, registered.text
        login = http.post("/api/v1/login", json={"email": email, "password": PASSWORD}).json()
        headers = session_headers(login["accessToken"])
        created = http.post("/api/v1/apiKey", json={"label": "tests"}, headers=headers)
        assert created.status_code == 200, created.text
        for asset, amount in (funds or {}).items():
            deposit = http.post("/api/v1/faucet", data={"asset": asset, "amount": amount}, headers=headers)
            assert deposit.status_code == 200, deposit.text
    key = created.json()
    return Account(registered.json()["userId"], email, login["accessToken"], key["key"]["apiKey"], key["secretKey"])


@pytest.fixture
def new_account(exchange: Exchange) -> Callable[..., Account]:
    def make(**funds: str) -> Account:
        return open_account(exchange, funds)

    return make


# -- the exchange's own state, read from the services -------------------------------------------


class Ledger:
    """Balances and orders as the services hold them (gRPC, not the edge)."""

    def __init__(self, platform: Platform) -> None:
        self._orders_channel = grpc.insecure_channel(platform.address("order"))
        self._accounts_channel = grpc.insecure_channel(platform.address("tradeproc"))
        # the generated stubs are typed for grpc.aio; these are the blocking ones
        self._orders: Any = order_pb2_grpc.OrderServiceStub(self._orders_channel)
        self._accounts: Any = tradeproc_pb2_grpc.TradeProcessingServiceStub(self._accounts_channel)

    def balances(self, account: Account) -> dict[str, tuple[Decimal, Decimal]]:
        reply = self._accounts.GetAccount(
            tradeproc_pb2.GetAccountRequest(omit_zero_balances=True), metadata=caller_metadata(account.user_id)
        )
        return {b.asset: (Decimal(b.free), Decimal(b.locked)) for b in reply.balances}

    def order(self, account: Account, symbol: str, order_id: int) -> common_pb2.Order:
        request = order_pb2.GetOrderRequest(symbol=symbol, order_id=order_id)
        reply: common_pb2.Order = self._orders.GetOrder(request, metadata=caller_metadata(account.user_id))
        return reply

    def open_orders(self, account: Account) -> list[common_pb2.Order]:
        request = order_pb2.ListOpenOrdersRequest()
        reply = self._orders.ListOpenOrders(request, metadata=caller_metadata(account.user_id))
        return list(reply.orders)

    def close(self) -> None:
        self._orders_channel.close()
        self._accounts_channel.close()


@pytest.fixture
def ledger(exchange: Exchange) -> Iterator[Ledger]:
    state = Ledger(exchange.platform)
    try:
        yield state
    finally:
        state.close()


# -- the two client libraries, configured exactly as issue 4 shows ------------------------------


def ccxt_client(exchange: Exchange, account: Account | None = None) -> Any:
    import ccxt

    config: dict[str, Any] = {
        "urls": {
            "api": {
                "public": exchange.url + "/api/v3",
                "private": exchange.url + "/api/v3",
                "ws": {"spot": exchange.url.replace("http", "ws") + "/ws"},
            }
        },
        "options": {"fetchMarkets": {"types": ["spot"]}, "fetchCurrencies": False, "fetchMargins": False},
    }
    if account is not None:
        config.update(apiKey=account.api_key, secret=account.secret)
    return ccxt.binance(config)


def binance_client(exchange: Exchange, account: Account) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # python-binance imports a deprecated websockets name
        from binance.client import Client

    class LocalClient(Client):  # type: ignore[misc]
        API_URL = exchange.api

    return LocalClient(account.api_key, account.secret)


@pytest.fixture
def binance(exchange: Exchange) -> Iterator[Callable[[Account], Any]]:
    """python-binance clients, closed afterwards with the event loop python-binance creates
    for its thread (it would otherwise leak, with its sockets, until garbage collection)."""
    made: list[Any] = []

    def make(account: Account) -> Any:
        made.append(binance_client(exchange, account))
        return made[-1]

    yield make
    for client in made:
        client.close_connection()
    loops = {id(c.loop): c.loop for c in made if not c.loop.is_running()}
    for loop in loops.values():
        loop.close()
    if loops:
        asyncio.set_event_loop(None)


# -- hand-made requests, for what no client library would send -----------------------------------


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def sign(secret: str, payload: str) -> str:
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


class RawClient:
    """Binance requests built by hand: `signed` puts `timestamp` first (as ccxt does), signs
    query string + body exactly as sent, and sends the parameters where it is told."""

    def __init__(self, exchange: Exchange, account: Account | None = None) -> None:
        self.http = httpx.Client(base_url=exchange.url, timeout=10)
        self.account = account

    def signed(
        self,
        method: str,
        path: str,
        params: dict[str, str] | None = None,
        *,
        in_body: bool = False,
        timestamp: int | None = None,
        secret: str | None = None,
        api_key: str | None = None,
        extra: str = "",
    ) -> httpx.Response:
        assert self.account is not None
        fields = {"timestamp": str(now_ms() if timestamp is None else timestamp), **(params or {})}
        encoded = urlencode(fields) + extra
        signature = sign(secret or self.account.secret, encoded)
        query, body = ("", f"{encoded}&signature={signature}") if in_body else (f"{encoded}&signature={signature}", "")
        headers = {"X-MBX-APIKEY": self.account.api_key if api_key is None else api_key}
        if body:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        return self.http.request(method, f"{path}?{query}" if query else path, content=body, headers=headers)

    def close(self) -> None:
        self.http.close()


@pytest.fixture
def raw(exchange: Exchange) -> Iterator[Callable[..., RawClient]]:
    made: list[RawClient] = []

    def make(account: Account | None = None) -> RawClient:
        made.append(RawClient(exchange, account))
        return made[-1]

    yield make
    for client in made:
        client.close()
