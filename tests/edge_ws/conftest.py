"""The exchange for the WebSocket tests: the five services as real processes on free ports
(started once per session), and per test the edge app (edge.app.build_app, which mounts
edge/ws) served by uvicorn in the test's own event loop, so a test can also look at the hub.

Money and orders go through the services' gRPC contracts as the edge would send them: deposits
by the admin (UserService.Deposit with the operator's bearer token), orders with the caller's
metadata (OrderService.PlaceOrder).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute

from edge.ws import WsLimits, server_options
from edge.ws.endpoints import WsEndpoints
from exchange.v1 import common_pb2, order_pb2, order_pb2_grpc, user_pb2, user_pb2_grpc
from services.common.caller import caller_metadata
from tests.e2e.platform import Platform

PASSWORD = "correct horse battery staple"
_users = itertools.count(1)
_transfers = itertools.count(1)


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    running = Platform(tmp_path_factory.mktemp("edge_ws") / "exchange")
    running.start_all()
    try:
        yield running
    finally:
        running.stop_all()


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:  # the test owns the loop and its signals
        yield


@dataclass
class Edge:
    port: int
    endpoints: WsEndpoints  # the WebSocket side, to look at its hub

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}"


def _build_app(platform: Platform) -> Starlette:
    """The REST engineer's app (with edge/ws mounted), or, if it cannot be built, an app of the
    WebSocket routes alone."""
    config = platform.config
    try:
        from edge.app import build_app
        from edge.clients import Clients

        return build_app(Clients.from_config(config), config)
    except Exception:  # the REST half is being written alongside: the streams need none of it
        logging.getLogger(__name__).exception("edge.app.build_app failed; serving edge.ws alone")
        from edge.ws import routes

        return Starlette(routes=routes(None, config))


def _ws_endpoints(app: Starlette) -> WsEndpoints:
    for route in app.routes:
        if isinstance(route, WebSocketRoute) and route.path == "/ws":
            owner = getattr(route.endpoint, "__self__", None)
            assert isinstance(owner, WsEndpoints)
            return owner
    raise AssertionError("edge.ws routes are not mounted")


@contextlib.asynccontextmanager
async def serve_edge(
    platform: Platform,
    limits: WsLimits | None = None,
    send_buffer: int | None = None,
    server: dict[str, object] | None = None,
) -> AsyncIterator[Edge]:
    """The edge on a free port. `send_buffer` caps the kernel's send buffer of every accepted
    socket (inherited from the listening one), as a slow network path would: the edge's own
    queues then fill after kilobytes rather than the megabytes loopback allows. `server`
    overrides edge.ws.server_options() (uvicorn's WebSocket settings)."""
    env = {f"SPOTEX_EDGE_WS_{k.upper()}": str(v) for k, v in (limits or WsLimits()).__dict__.items()}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)  # read by edge.ws.routes inside build_app
    try:
        app = _build_app(platform)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if send_buffer is not None:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer)
    listener.bind(("127.0.0.1", 0))
    port = int(listener.getsockname()[1])
    options = {**server_options(), **(server or {})}
    config = uvicorn.Config(app, lifespan="off", log_config=None, **options)  # type: ignore[arg-type]
    uvicorn_server = _Server(config)
    task = asyncio.create_task(uvicorn_server.serve(sockets=[listener]))
    while not uvicorn_server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    endpoints = _ws_endpoints(app)
    try:
        yield Edge(port, endpoints)
    finally:
        uvicorn_server.should_exit = True
        await task
        if endpoints._context is not None:
            await endpoints._context.hub.close()
            await endpoints._context.user_events.close()


@pytest.fixture
async def edge(platform: Platform) -> AsyncIterator[Edge]:
    async with serve_edge(platform) as running:
        yield running


# -- traders ----------------------------------------------------------------------------------


@dataclass
class Trader:
    user_id: int
    orders: Any  # OrderServiceStub
    users: Any  # UserServiceStub
    admin_token: str

    async def deposit(self, asset: str, amount: str, transaction_id: str | None = None) -> None:
        tx_id = transaction_id or f"ws-test-{os.getpid()}-{next(_transfers)}"
        request = user_pb2.DepositRequest(user_id=self.user_id, asset=asset, amount=amount, transaction_id=tx_id)
        await self.users.Deposit(request, metadata=self._operator())

    async def withdraw(self, asset: str, amount: str) -> None:
        tx_id = f"ws-test-{os.getpid()}-{next(_transfers)}"
        request = user_pb2.WithdrawRequest(user_id=self.user_id, asset=asset, amount=amount, transaction_id=tx_id)
        await self.users.Withdraw(request, metadata=self._operator())

    def _operator(self) -> tuple[tuple[str, str], ...]:
        return (("authorization", "Bearer " + self.admin_token),)

    async def place(
        self, symbol: str, side: str, quantity: str, price: str | None = None
    ) -> order_pb2.PlaceOrderResponse:
        request = order_pb2.PlaceOrderRequest(
            symbol=symbol,
            side=common_pb2.Side.Value(side),
            type=common_pb2.LIMIT if price else common_pb2.MARKET,
            time_in_force=common_pb2.GTC if price else None,
            quantity=quantity,
            price=price or "",
        )
        reply: order_pb2.PlaceOrderResponse = await self.orders.PlaceOrder(
            request, metadata=caller_metadata(self.user_id), timeout=10
        )
        return reply

    async def cancel(self, symbol: str, order_id: int) -> order_pb2.CancelOrderResponse:
        request = order_pb2.CancelOrderRequest(symbol=symbol, order_id=order_id)
        reply: order_pb2.CancelOrderResponse = await self.orders.CancelOrder(
            request, metadata=caller_metadata(self.user_id), timeout=10
        )
        return reply

    async def listen_key(self) -> str:
        request = user_pb2.CreateListenKeyRequest()
        reply = await self.users.CreateListenKey(request, metadata=caller_metadata(self.user_id))
        return str(reply.listen_key)

    async def close_listen_key(self, key: str) -> None:
        request = user_pb2.CloseListenKeyRequest(listen_key=key)
        await self.users.CloseListenKey(request, metadata=caller_metadata(self.user_id))


@dataclass
class Traders:
    platform: Platform
    orders: Any
    users: Any

    async def funded(self, **funds: str) -> Trader:
        email = f"ws-trader-{os.getpid()}-{next(_users)}@example.com"
        registered = await self.users.Register(user_pb2.RegisterRequest(email=email, password=PASSWORD))
        trader = Trader(registered.user_id, self.orders, self.users, self.platform.config.secrets().admin_token)
        for asset, amount in funds.items():
            await trader.deposit(asset, amount)
        return trader


@pytest.fixture
async def traders(platform: Platform) -> AsyncIterator[Traders]:
    async with grpc.aio.insecure_channel(platform.address("order")) as orders, grpc.aio.insecure_channel(
        platform.address("user")
    ) as users:
        yield Traders(platform, order_pb2_grpc.OrderServiceStub(orders), user_pb2_grpc.UserServiceStub(users))
