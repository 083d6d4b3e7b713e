"""Outages of the real backends while orders flow (issue 5): Kafka, DynamoDB or Redis goes away
for a few seconds, then comes back.

While it is away, calls that need it fail with UNAVAILABLE (not done) or, for an order whose
journal append was cut off mid-flight, DEADLINE_EXCEEDED (Binance's -1007: execution status
unknown; the order stays pending and is re-driven) - never INTERNAL or UNKNOWN; on REST both
are 503. When it is back, the services resume by themselves (no restart), every
acknowledged order is known and finished, and the audit (conservation, no funds locked
without an order) passes. Each server is reached through an OutageProxy, so cutting it looks
to the services like the server dying, while the server keeps its data as a real one would.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import grpc
import pytest

from services.common.adapters.kafka.broker import tansu_binary
from services.devservers import answers, free_port
from services.tradectl.gather import audit_exchange
from tests.e2e.outage_proxy import OutageProxy
from tests.e2e.platform import AUDIT_WAIT_S, Platform
from tests.e2e.test_crash_recovery import _acknowledged_orders_are_all_known
from tests.servers import real_servers

OUTAGE_S = 8.0  # longer than the clients' own retries (botocore: 3 attempts), so calls do fail
OUTAGE_MAX_S = 30.0  # a server on the order path away this long: calls must have failed
ON_ORDER_PATH = ("kafka", "dynamodb")  # their outage refuses orders; Redis's does not
FLOW_LIMIT_S = 90  # the flows stop by themselves even if the exchange never comes back
AFTER = 60  # orders that must be acknowledged after the server is back


def _start_tansu_behind(proxy_port: int, tmp: Path) -> subprocess.Popen[bytes]:
    """A broker of this test's own that tells clients to reach it through the proxy (Kafka
    clients connect to the advertised address, so the proxy must be what is advertised)."""
    port = free_port()
    log = open(tmp / "tansu.log", "wb")  # noqa: SIM115 - the child keeps its own copy
    process = subprocess.Popen(
        [str(tansu_binary()), "broker", "--listener-url", f"tcp://127.0.0.1:{port}",
         "--advertised-listener-url", f"tcp://127.0.0.1:{proxy_port}", "--storage-engine", "memory://tansu/"],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
    )
    log.close()
    for _ in range(200):
        if answers("127.0.0.1", port):
            process.port = port  # type: ignore[attr-defined]
            return process
        if process.poll() is not None:
            break
        time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"tansu did not start: {(tmp / 'tansu.log').read_text()[-2000:]}")


@pytest.fixture(params=["kafka", "dynamodb", "redis"])
def outage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, OutageProxy, dict[str, str]]]:
    servers = real_servers()
    tansu: subprocess.Popen[bytes] | None = None
    if request.param == "kafka":
        proxy_port = free_port()
        tansu = _start_tansu_behind(proxy_port, tmp_path)
        proxy = OutageProxy("127.0.0.1", tansu.port, proxy_port)  # type: ignore[attr-defined]
        overrides = {"SPOTEX_KAFKA_BOOTSTRAP": proxy.address}
    elif request.param == "dynamodb":
        target = urlsplit(servers.dynamodb_endpoint)
        proxy = OutageProxy(target.hostname or "127.0.0.1", target.port or 80)
        overrides = {"SPOTEX_DYNAMODB_ENDPOINT": f"http://{proxy.address}"}
    else:
        target = urlsplit(servers.redis_url)
        proxy = OutageProxy(target.hostname or "127.0.0.1", target.port or 6379)
        overrides = {"SPOTEX_REDIS_URL": f"redis://{proxy.address}{target.path or '/0'}"}
    try:
        yield request.param, proxy, overrides
    finally:
        proxy.close()
        if tansu is not None:
            tansu.kill()
            tansu.wait()


@pytest.fixture
def platform(outage: tuple[str, OutageProxy, dict[str, str]], tmp_path: Path) -> Iterator[Platform]:
    _, _, overrides = outage
    running = Platform(
        tmp_path / "exchange", services=("matching", "tradeproc", "order"), backend="real", overrides=overrides
    )
    running.start_all()
    try:
        yield running
    finally:
        running.stop_all()


async def _flow(trader, side: str, acknowledged: list[int], refusals: list[grpc.aio.AioRpcError], stop: asyncio.Event):
    price = "50000"
    while not stop.is_set():
        try:
            placed = await trader.place("BTCUSDT", side, "0.0001", price)
        except grpc.aio.AioRpcError as exc:
            refusals.append(exc)
            await asyncio.sleep(0.1)  # a client backs off and retries
            continue
        acknowledged.append(placed.order.order_id)


def _diagnosis(platform: Platform, refusals: list[grpc.aio.AioRpcError]) -> str:
    """What a failure needs to be understood from CI's output alone: why calls were refused, and
    what each service said last."""
    seen = Counter(f"{r.code().name}: {r.details()}" for r in refusals)
    lines = [f"refusals ({len(refusals)}):", *(f"  {n} x {what}" for what, n in seen.most_common(8))]
    for service in platform.processes:
        lines += [f"--- {service} log, last lines ---", platform.log_of(service)[-2500:]]
    return "\n".join(lines)


async def test_a_backend_outage_refuses_cleanly_and_the_exchange_resumes_by_itself(platform, traders, outage):
    name, proxy, _ = outage
    buyer, seller = traders(1), traders(2)
    await buyer.deposit("USDT", "100000")
    await seller.deposit("BTC", "10")
    acknowledged: list[int] = []
    refusals: list[grpc.aio.AioRpcError] = []
    stop = asyncio.Event()
    flows = [
        asyncio.create_task(_flow(buyer, "BUY", acknowledged, refusals, stop)),
        asyncio.create_task(_flow(seller, "SELL", acknowledged, refusals, stop)),
    ]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + FLOW_LIMIT_S
    try:
        while len(acknowledged) < 40 and loop.time() < deadline:
            await asyncio.sleep(0.02)
        with proxy.outage():
            back_at_latest = loop.time() + OUTAGE_MAX_S
            await asyncio.sleep(OUTAGE_S)
            # A call placed just before the cut can spend most of the outage waiting for its
            # settlement (5 s), and its successor as long in botocore's retries: the server stays
            # away until a call was refused, or OUTAGE_MAX_S, so the check below is not a race.
            while name in ON_ORDER_PATH and not refusals and loop.time() < back_at_latest:
                await asyncio.sleep(0.05)
        back = len(acknowledged)
        while len(acknowledged) < back + AFTER and loop.time() < deadline:
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.gather(*flows)
    platform.assert_alive()  # nobody crashed: the services rode the outage out
    assert len(acknowledged) >= back + AFTER, (
        f"service did not resume after the {name} outage: {len(acknowledged)} acknowledged, {back} before the"
        f" server came back\n{_diagnosis(platform, refusals)}"
    )
    unexpected = {r.code() for r in refusals} - {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED}
    assert not unexpected, f"during the {name} outage: {unexpected}\n{_diagnosis(platform, refusals)}"
    if name in ON_ORDER_PATH:
        assert refusals, f"no call was refused while {name} was away"
    assert await audit_exchange(platform.config, quiet_for_s=AUDIT_WAIT_S) == []
    await _acknowledged_orders_are_all_known(platform, acknowledged)
