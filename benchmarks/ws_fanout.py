"""WebSocket fan-out: N subscribers of one symbol's @depth@100ms and @trade while orders flow;
latency from the trade (its engine time `T`) to its delivery at each subscriber.

    .venv/bin/python benchmarks/ws_fanout.py [--subscribers 1000] [--trades-per-second 20] [--seconds 20]
                                             [--fanout grpc|redis] [--replicas 1]

Starts the five services and the edge (`python -m edge`) as processes on free ports of
127.0.0.1 in a temporary directory, opens the subscribers (ccxt's way: /ws/<n>, then
SUBSCRIBE), places crossing orders at a fixed rate over gRPC for the given time, prints the
percentiles, stops everything and exits. It talks to nothing but 127.0.0.1.

`--fanout redis` carries the streams from market data to the edge over Redis pub/sub (the real
backends' path, services/common/adapters/redis/fanout.py; SPOTEX_WS_FANOUT=redis with the rest
embedded) instead of a gRPC Subscribe per stream; `--replicas N` starts N edge processes and
spreads the subscribers over them. `--hop` measures the market data -> edge hop alone, both
ways in one process and interleaved (so machine noise hits both alike): from the market data
hub publishing a trade to the edge hub handing its frame to a subscriber.

The subscribers are deliberately cheap (a raw asyncio protocol that reads frame headers and
looks for `"e":"trade"`), so the client side costs the shared 2 cores as little as it can; the
figure still includes the client's own scheduling delay, so it is an upper bound.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import cast

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import grpc  # noqa: E402
import uvloop  # noqa: E402

from exchange.v1 import common_pb2, order_pb2, order_pb2_grpc, user_pb2, user_pb2_grpc  # noqa: E402
from services.common.caller import caller_metadata  # noqa: E402
from tests.e2e.platform import Platform, free_port  # noqa: E402

_TRADE_TIME = re.compile(rb'"e":"trade".*?"T":(\d+)')
_EVENT_TIME = re.compile(rb'"E":(\d+)')


def now_ms() -> float:
    return time.time_ns() / 1e6


class Subscriber(asyncio.Protocol):
    """A WebSocket client reduced to what the measurement needs."""

    def __init__(self, streams: list[str], trade_lags: list[float], depth_lags: list[float]) -> None:
        self._streams = streams
        self._trade_lags = trade_lags
        self._depth_lags = depth_lags
        self._buffer = b""
        self._handshaken = False
        self.acked = asyncio.get_running_loop().create_future()
        self.closed = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None
        self.trades = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not an asyncio subclass

    def handshake(self, transport: asyncio.Transport, host: str, path: str) -> None:
        key = base64.b64encode(os.urandom(16)).decode()
        self.transport = transport
        transport.write(
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
        )

    def _send(self, opcode: int, payload: bytes) -> None:
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        length = len(payload)
        header = bytes([0x80 | opcode])
        if length < 126:
            header += bytes([0x80 | length])
        else:
            header += bytes([0x80 | 126]) + length.to_bytes(2, "big")
        assert self.transport is not None
        self.transport.write(header + mask + masked)

    def data_received(self, data: bytes) -> None:
        arrived = now_ms()
        self._buffer += data
        if not self._handshaken:
            head, sep, rest = self._buffer.partition(b"\r\n\r\n")
            if not sep:
                return
            if b" 101 " not in head.split(b"\r\n", 1)[0]:
                self.acked.set_exception(RuntimeError(head.decode(errors="replace")))
                return
            self._handshaken = True
            self._buffer = rest
            streams = ",".join(f'"{s}"' for s in self._streams)
            self._send(0x1, f'{{"method":"SUBSCRIBE","params":[{streams}],"id":1}}'.encode())
        buffer = self._buffer
        while len(buffer) >= 2:
            opcode, length, start = buffer[0] & 0x0F, buffer[1] & 0x7F, 2
            if length == 126:
                if len(buffer) < 4:
                    break
                length, start = int.from_bytes(buffer[2:4], "big"), 4
            elif length == 127:
                if len(buffer) < 10:
                    break
                length, start = int.from_bytes(buffer[2:10], "big"), 10
            if len(buffer) < start + length:
                break
            payload = buffer[start : start + length]
            buffer = buffer[start + length :]
            self._frame(opcode, payload, arrived)
        self._buffer = buffer

    def _frame(self, opcode: int, payload: bytes, arrived: float) -> None:
        if opcode == 0x9:  # ping
            self._send(0xA, payload)
        elif opcode == 0x8:
            if self.transport is not None:
                self.transport.close()
        elif payload.startswith(b'{"e":"trade"'):
            match = _TRADE_TIME.search(payload)
            if match:
                self.trades += 1
                self._trade_lags.append(arrived - int(match[1]))
        elif payload.startswith(b'{"e":"depthUpdate"'):
            match = _EVENT_TIME.search(payload)
            if match:
                self._depth_lags.append(arrived - int(match[1]))
        elif payload == b'{"result":null,"id":1}' and not self.acked.done():
            self.acked.set_result(None)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)
        if not self.acked.done():
            self.acked.set_exception(ConnectionError("closed before the SUBSCRIBE ack"))


def serve_ws_edge() -> None:
    """The child process of start_edge: edge.ws's routes alone, as the edge serves them (uvicorn
    on uvloop with edge.ws.server_options()). The REST half plays no part in the fan-out."""
    import uvicorn
    from starlette.applications import Starlette

    from edge.ws import routes, server_options
    from services.common.config import Config

    config = Config.from_env()
    app = Starlette(routes=routes(None, config))
    uvicorn.run(app, host="127.0.0.1", port=config.ports["edge"], loop="uvloop", lifespan="off",
                access_log=False, log_level="warning", **server_options())  # type: ignore[arg-type]


def start_edge(platform: Platform, whole_edge: bool, direct_writes: bool, port: int) -> subprocess.Popen[bytes]:
    env = {
        **platform.env,
        "SPOTEX_EDGE_PORT": str(port),
        "SPOTEX_EDGE_WS_CONNECTIONS_PER_WINDOW": "1000000",
        "SPOTEX_EDGE_WS_DIRECT_WRITES": "1" if direct_writes else "0",
    }
    command = ["-m", "edge"] if whole_edge else [str(Path(__file__).resolve()), "--serve-edge"]
    log = open(platform.data_dir / "edge.log", "ab")  # noqa: SIM115 (the child keeps it)
    process = subprocess.Popen([sys.executable, *command], env=env, cwd=REPO, stdout=log, stderr=log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(platform.log_of("edge")[-2000:])
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return process
        time.sleep(0.1)
    process.kill()
    raise TimeoutError(platform.log_of("edge")[-2000:])


async def trader(users: user_pb2_grpc.UserServiceStub, admin: str, name: str, **funds: str) -> int:
    email = f"{name}-{time.time_ns()}@example.com"
    reply = await users.Register(user_pb2.RegisterRequest(email=email, password="correct horse battery staple"))
    for asset, amount in funds.items():
        await users.Deposit(
            user_pb2.DepositRequest(user_id=reply.user_id, asset=asset, amount=amount, transaction_id=f"{name}{asset}"),
            metadata=(("authorization", "Bearer " + admin),),
        )
    return int(reply.user_id)


async def place(
    orders: order_pb2_grpc.OrderServiceStub, user: int, symbol: str, side: str, qty: str, price: str
) -> None:
    request = order_pb2.PlaceOrderRequest(
        symbol=symbol, side=common_pb2.Side.Value(side), type=common_pb2.LIMIT, time_in_force=common_pb2.GTC,
        quantity=qty, price=price,
    )
    await orders.PlaceOrder(request, metadata=caller_metadata(user), timeout=10)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run(args: argparse.Namespace, platform: Platform, ports: list[int]) -> None:
    symbol = args.symbol
    streams = [f"{symbol.lower()}@depth@100ms", f"{symbol.lower()}@trade"]
    loop = asyncio.get_running_loop()
    trade_lags: list[float] = []
    depth_lags: list[float] = []
    subscribers: list[Subscriber] = []
    started = time.monotonic()
    for i in range(args.subscribers):
        port = ports[i % len(ports)]
        transport, protocol = await loop.create_connection(
            lambda: Subscriber(streams, trade_lags, depth_lags), "127.0.0.1", port
        )
        protocol.handshake(transport, f"127.0.0.1:{port}", f"/ws/{i}")
        subscribers.append(protocol)
    await asyncio.wait_for(asyncio.gather(*(s.acked for s in subscribers)), 60)
    print(f"{len(subscribers)} subscribers connected and acked in {time.monotonic() - started:.1f} s")

    async with grpc.aio.insecure_channel(platform.address("order")) as oc, grpc.aio.insecure_channel(
        platform.address("user")
    ) as uc:
        orders, users = order_pb2_grpc.OrderServiceStub(oc), user_pb2_grpc.UserServiceStub(uc)
        admin = platform.config.secrets().admin_token
        seller = await trader(users, admin, "seller", BTC="1000")
        buyer = await trader(users, admin, "buyer", USDT="1000000000")
        trade_lags.clear()
        depth_lags.clear()
        interval = 1 / args.trades_per_second
        trades = 0
        begin = loop.time()
        while loop.time() - begin < args.seconds:
            price = f"{95000 + (trades % 50):.2f}"
            await place(orders, seller, symbol, "SELL", "0.00100", price)
            await place(orders, buyer, symbol, "BUY", "0.00100", price)
            trades += 1
            await asyncio.sleep(max(0.0, begin + trades * interval - loop.time()))
    await asyncio.sleep(2)  # the last deliveries
    expected = trades * len(subscribers)
    alive = sum(1 for s in subscribers if not s.closed.done())
    print(f"{trades} trades in {args.seconds} s ({trades / args.seconds:.1f}/s), {len(subscribers)} subscribers, "
          f"{alive} still connected")
    print(f"trade deliveries: {len(trade_lags)} of {expected} expected")
    if trade_lags:
        print(f"trade -> delivery ms: p50 {percentile(trade_lags, 0.5):.1f}  p90 {percentile(trade_lags, 0.9):.1f}  "
              f"p99 {percentile(trade_lags, 0.99):.1f}  max {max(trade_lags):.1f}  "
              f"mean {statistics.fmean(trade_lags):.1f}")
    if depth_lags:
        print(f"depth diff cut (E) -> delivery ms: p50 {percentile(depth_lags, 0.5):.1f}  "
              f"p99 {percentile(depth_lags, 0.99):.1f}  ({len(depth_lags)} deliveries)")
    for s in subscribers:
        if s.transport is not None:
            s.transport.close()


async def hop(args: argparse.Namespace) -> None:
    """The market data -> edge hop, gRPC Subscribe vs Redis pub/sub, in one process."""
    import uuid

    import orjson

    from edge.ws.hub import Frame, MarketHub
    from edge.ws.relayed import RelayedUpstreams
    from edge.ws.streams import parse_stream
    from edge.ws.upstream import MarketDataUpstreams
    from engine_ext.codes import Side
    from exchange.v1 import marketdata_pb2_grpc
    from services.common.adapters.redis.fanout import RedisStreamPublisher, RedisStreamSubscriber
    from services.common.catalog import DEMO_SYMBOLS
    from services.common.grpcutil.server import start_server
    from services.marketdata.domain import MarketData
    from services.marketdata.hub import StreamHub
    from services.marketdata.main import marketdata_service
    from services.marketdata.relay import StreamRelay
    from services.marketdata.servicer import MarketDataServicer, wall_clock_ms
    from tests.unit.marketdata.market_feed import Feed, lots, ticks

    data = MarketData(DEMO_SYMBOLS)
    hub = StreamHub(data, wall_clock_ms)
    feed = Feed(data)
    server = await start_server([marketdata_service(MarketDataServicer(data, hub, DEMO_SYMBOLS))], 0)
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{server.port}")
    prefix = f"hop-{uuid.uuid4().hex[:8]}:"
    publisher = RedisStreamPublisher(args.redis, prefix)
    relay = asyncio.create_task(StreamRelay(hub, publisher).run())
    subscriber = RedisStreamSubscriber(args.redis, prefix)
    edges = {
        "grpc": MarketHub(MarketDataUpstreams(marketdata_pb2_grpc.MarketDataServiceStub(channel))),
        "redis": MarketHub(RelayedUpstreams(subscriber)),
    }
    sent: dict[int, float] = {}
    lags: dict[str, list[float]] = {name: [] for name in edges}

    class Taker:
        def __init__(self, name: str) -> None:
            self.name = name

        def deliver(self, frame: Frame) -> None:
            trade_id = orjson.loads(frame.payload(False))["t"]
            lags[self.name].append((time.perf_counter() - sent[trade_id]) * 1000)

    stream = parse_stream("btcusdt@trade", {"BTCUSDT"})
    for name, edge in edges.items():
        await edge.subscribe(stream, Taker(name))
    interval = 1 / args.trades_per_second
    for _ in range(int(args.seconds * args.trades_per_second)):
        before = len(feed.stream_events)
        feed.at(wall_clock_ms())
        feed.limit(Side.SELL, ticks("95000.00"), lots("0.01"))
        feed.limit(Side.BUY, ticks("95000.00"), lots("0.01"))
        events = feed.stream_events[before:]
        now = time.perf_counter()
        for event in events:
            if event.stream == "btcusdt@trade":
                sent[event.binance()["t"]] = now  # type: ignore[index]
        hub.publish(events)
        await asyncio.sleep(interval)
    await asyncio.sleep(0.5)
    for name, values in lags.items():
        print(f"{name:5s} hop ms: p50 {percentile(values, 0.5):.2f}  p90 {percentile(values, 0.9):.2f}  "
              f"p99 {percentile(values, 0.99):.2f}  max {max(values):.2f}  ({len(values)} trades)")
    for edge in edges.values():
        await edge.close()
    relay.cancel()
    await asyncio.gather(relay, return_exceptions=True)
    await subscriber.close()
    await publisher.close()
    await channel.close()
    await server.stop(grace=0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--trades-per-second", type=float, default=20.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--symbol", default="BTCUSDT")
    parser.add_argument("--whole-edge", action="store_true", help="serve with `python -m edge` (REST too)")
    parser.add_argument("--asgi-only", action="store_true", help="no direct frame writes (edge/ws/direct.py)")
    parser.add_argument("--fanout", choices=("grpc", "redis"), default="grpc",
                        help="market data -> edge: a gRPC Subscribe per stream, or Redis pub/sub")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0", help="for --fanout redis")
    parser.add_argument("--backend", choices=("embedded", "real"), default="embedded",
                        help="the services' backend set (real: Redis, Kafka, DynamoDB; the fan-out is Redis)")
    parser.add_argument("--replicas", type=int, default=1, help="edge processes sharing the subscribers")
    parser.add_argument("--hop", action="store_true", help="only the market data -> edge hop, both ways")
    parser.add_argument("--serve-edge", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.hop:
        uvloop.run(hop(args))
        return
    if args.serve_edge:
        serve_ws_edge()
        return
    with tempfile.TemporaryDirectory(prefix="ws-fanout-") as tmp:
        platform = Platform(Path(tmp) / "exchange", backend=args.backend)
        if args.fanout == "redis" and args.backend == "embedded":
            platform.overrides.update(SPOTEX_WS_FANOUT="redis", SPOTEX_REDIS_URL=args.redis,
                                      SPOTEX_NAMESPACE=platform.namespace)
        platform.start_all()
        edges: list[subprocess.Popen[bytes]] = []
        ports = [platform.ports["edge"]] + [free_port() for _ in range(args.replicas - 1)]
        try:
            for port in ports:
                edges.append(start_edge(platform, args.whole_edge, not args.asgi_only, port))
            fanout = "redis" if args.backend == "real" else args.fanout
            print(f"{args.backend} backends, fan-out over {fanout}, {len(ports)} edge replica(s)")
            uvloop.run(run(args, platform, ports))
        finally:
            for edge in edges:
                edge.terminate()
                edge.wait(timeout=15)
            platform.stop_all()


if __name__ == "__main__":
    main()
