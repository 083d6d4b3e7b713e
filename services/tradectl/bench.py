"""`tradectl bench`: load on the order path through gRPC, as the edge would put it.

Concurrent clients place orders (limit orders around a price, a share of them crossing) on
one symbol against the running services. Latency is measured per order at the client
(HDR histogram, microseconds) and, from the order service's per-stage timings, split into the
seed's latency budget. Closed loop by default (each client sends its next order when the last
is answered: the highest sustainable rate); `--rate` paces an open loop instead. It talks only
to the configured services (127.0.0.1 by default), is bounded by --orders, and stops by itself.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import Any

import grpc
from hdrh.histogram import HdrHistogram

from exchange.v1 import common_pb2, order_pb2, order_pb2_grpc, user_pb2, user_pb2_grpc
from services.common.caller import caller_metadata
from services.common.catalog import load_catalog
from services.common.config import Config
from services.common.grpcutil.channel import connect
from services.order.servicer import TIMINGS_KEY
from services.order.session import OrderSession

# The seed's p99 budget per stage, in ms (shared/seed: the trading system design overview).
BUDGET_MS = {
    "validation (parse, filters, reserve funds)": ("validate_us", 10.0),
    "journal append until durable (Kafka produce)": ("journal_us", 5.0),
    "matching (queue + apply + publish)": ("shard_us", 50.0),
    "settlement (until settled)": ("settle_us", 20.0),
}
# Not a stage of the budget: the order service's whole handling of the call (all of the above
# plus response building); end-to-end minus this is gRPC and the load tool itself.
SERVICE_STAGE = ("order service (handler start to reply)", "service_us")
# Also not a budget stage: from the order service sending the command to matching's answer
# arriving (journal and matching above, plus both hops and matching's own queueing).
ROUTE_STAGE = ("matching round trip (seen by the order service)", "route_us")
MAX_US = 60_000_000


@dataclass
class Histograms:
    end_to_end: HdrHistogram
    stages: dict[str, HdrHistogram]

    @classmethod
    def new(cls) -> Histograms:
        keys = [key for key, _ in BUDGET_MS.values()] + [SERVICE_STAGE[1], ROUTE_STAGE[1]]
        stages = {key: HdrHistogram(1, MAX_US, 3) for key in keys}
        return cls(HdrHistogram(1, MAX_US, 3), stages)

    def record(self, elapsed_us: int | None, trailers: Any) -> None:
        if elapsed_us is not None:
            self.end_to_end.record_value(max(1, min(elapsed_us, MAX_US)))
        for key, value in trailers or ():
            if key == TIMINGS_KEY:
                for order in filter(None, value.split(";")):  # one order's stages, or a batch's
                    self.record_stages(order)

    def record_stages(self, order: str) -> None:
        stages = dict(part.split("=") for part in order.split(","))
        stages["shard_us"] = str(int(stages["queued_us"]) + int(stages["match_us"]) + int(stages["publish_us"]))
        for name, histogram in self.stages.items():
            if name in stages:
                histogram.record_value(max(1, min(int(stages[name]), MAX_US)))


async def _user(users: Any, admin: Any, label: str, funds: dict[str, str]) -> int:
    email = f"bench-{label}-{uuid.uuid4().hex[:8]}@bench.spotex"
    user_id = int((await users.Register(user_pb2.RegisterRequest(email=email, password="bench-password-1"))).user_id)
    for asset, amount in funds.items():
        await users.Deposit(
            user_pb2.DepositRequest(user_id=user_id, asset=asset, amount=amount, transaction_id=f"{email}-{asset}"),
            metadata=admin,
        )
    return user_id


_STATUS_NAMES = {code.value[0]: code.name for code in grpc.StatusCode}


async def run_bench(
    config: Config,
    *,
    orders: int,
    clients: int,
    symbol: str = "BTCUSDT",
    rate: float = 0.0,
    batch: int = 1,
    stream: bool = False,
    seed: int = 1,
) -> dict[str, Any]:
    catalog = load_catalog(config)
    spec, mid = catalog.by_name.get(symbol), catalog.reference_prices.get(symbol)
    if spec is None or mid is None:
        raise ValueError(f"{symbol} is not listed with a demo_price to trade around")
    qty = max(spec.filters.min_qty, (spec.filters.min_notional / mid * 2).quantize(spec.filters.step_size))
    tick = spec.filters.tick_size
    # Enough for one trader to place every order of the run (and the warm-up) at the highest
    # price it sends, twice over: never refused for funds, and far inside the exchange's supply
    # cap however many clients and runs share one platform (a flat billion each was not).
    most = 2 * (orders + 200)
    funds = {
        asset.name: str(amount.quantize(Decimal(1).scaleb(-asset.precision), rounding=ROUND_CEILING))
        for asset, amount in ((spec.quote, most * qty * (mid + 21 * tick)), (spec.base, most * qty))
    }
    admin = (("authorization", f"Bearer {config.secrets().admin_token}"),)
    async with connect(config.address("user")) as user_channel:
        users = user_pb2_grpc.UserServiceStub(user_channel)
        # one trader per client: with the order mix below each keeps well under MAX_NUM_ORDERS
        # (200 open orders per symbol), so the bench measures orders, not filter refusals
        traders = [await _user(users, admin, f"c{i}", funds) for i in range(clients)]

    histograms = Histograms.new()
    failures: dict[str, int] = {}
    rng = random.Random(seed)
    remaining = orders
    interval = clients / rate if rate else 0.0

    def next_order() -> order_pb2.PlaceOrderRequest:
        side = rng.choice((common_pb2.BUY, common_pb2.SELL))
        offset = Decimal(rng.randint(-20, 20)) * tick  # negative offsets cross the spread
        price = mid - offset if side == common_pb2.BUY else mid + offset
        tif = common_pb2.IOC if rng.random() < 0.5 else common_pb2.GTC
        return order_pb2.PlaceOrderRequest(
            symbol=symbol,
            side=side,
            type=common_pb2.LIMIT,
            time_in_force=tif,
            quantity=str(qty),
            price=str(price),
            new_order_resp_type=common_pb2.ACK,
        )

    async def client(stub: Any, session: OrderSession, index: int) -> None:
        nonlocal remaining
        trader = traders[index % len(traders)]
        metadata = (*caller_metadata(trader), (TIMINGS_KEY, "1"))
        # paced clients start staggered, so the orders arrive spread over each interval rather
        # than all clients' at once
        due = time.perf_counter() + (index * interval / clients - interval if interval else 0.0)
        while remaining > 0:
            size = min(batch, remaining)
            remaining -= size
            if interval:
                due += interval * size
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
            # paced: timed from when the order was due, so an answer that made the next order
            # late counts against that order too (no coordinated omission)
            started = int(due * 1e9) if interval else time.perf_counter_ns()
            if stream:  # one order at a time, on the stream all clients share (as the edge does)
                try:
                    result, timings = await session.place(order_pb2.PlaceOrderItem(user_id=trader, order=next_order()))
                except grpc.aio.AioRpcError as exc:
                    failures[exc.code().name] = failures.get(exc.code().name, 0) + 1
                    continue
                if result.HasField("error"):
                    name = _STATUS_NAMES.get(result.error.code, "UNKNOWN")
                    failures[name] = failures.get(name, 0) + 1
                else:
                    histograms.record((time.perf_counter_ns() - started) // 1000, ((TIMINGS_KEY, timings),))
                continue
            if batch > 1:  # the internal batch form the edge uses: one call, many orders
                items = [order_pb2.PlaceOrderItem(user_id=trader, order=next_order()) for _ in range(size)]
                batch_call = stub.PlaceOrders(order_pb2.PlaceOrdersRequest(items=items), metadata=metadata)
                try:
                    reply = await batch_call
                except grpc.aio.AioRpcError as exc:
                    failures[exc.code().name] = failures.get(exc.code().name, 0) + size
                    continue
                elapsed = (time.perf_counter_ns() - started) // 1000
                for result in reply.results:
                    if result.HasField("error"):
                        name = _STATUS_NAMES.get(result.error.code, "UNKNOWN")
                        failures[name] = failures.get(name, 0) + 1
                    else:
                        histograms.record(elapsed, ())
                histograms.record(None, await batch_call.trailing_metadata())
                continue
            call = stub.PlaceOrder(next_order(), metadata=metadata)
            try:
                await call
                histograms.record((time.perf_counter_ns() - started) // 1000, await call.trailing_metadata())
            except grpc.aio.AioRpcError as exc:
                failures[exc.code().name] = failures.get(exc.code().name, 0) + 1

    async with connect(config.address("order")) as channel:
        stub = order_pb2_grpc.OrderServiceStub(channel)
        session = OrderSession(stub, metadata=((TIMINGS_KEY, "1"),))
        warm = orders
        remaining = min(200, orders)
        await asyncio.gather(*(client(stub, session, i) for i in range(min(clients, 8))))  # warm-up, not measured
        histograms, failures, remaining = Histograms.new(), {}, warm
        started = time.perf_counter()
        await asyncio.gather(*(client(stub, session, i) for i in range(clients)))
        elapsed = time.perf_counter() - started
        await session.close()
    return _report(histograms, failures, orders, clients, rate, elapsed) | {"batch": batch, "stream": stream}


def _ms(histogram: HdrHistogram, percentile: float) -> float:
    return round(int(histogram.get_value_at_percentile(percentile)) / 1000, 2)


def _report(
    h: Histograms, failures: dict[str, int], orders: int, clients: int, rate: float, elapsed: float
) -> dict[str, Any]:
    done = h.end_to_end.get_total_count()
    return {
        "orders": orders,
        "clients": clients,
        "target_rate": rate or "closed loop",
        "answered": done,
        "failed": failures,
        "seconds": round(elapsed, 2),
        "orders_per_s": round(done / elapsed, 1) if elapsed else 0,
        "end_to_end_ms": {"p50": _ms(h.end_to_end, 50), "p99": _ms(h.end_to_end, 99), "p99.9": _ms(h.end_to_end, 99.9)},
        "stages_p99_ms_vs_budget": {
            name: {"p50": _ms(h.stages[key], 50), "p99": _ms(h.stages[key], 99), "budget_p99": budget}
            for name, (key, budget) in BUDGET_MS.items()
        },
        **{
            name: {"p50": _ms(h.stages[key], 50), "p99": _ms(h.stages[key], 99)}
            for name, key in (ROUTE_STAGE, SERVICE_STAGE)
        },
    }
