"""Signed order placement through the edge at increasing rates (a benchmark, not a test).

    .venv/bin/python -m tests.edge.bench_signed_orders [--rates 500,1000,2000] [--seconds 10] [--stubs]

Starts the whole exchange (five services + `python -m edge`) on free ports, opens accounts
through /api/v1, then offers orders open-loop at each rate: pairs of accounts cross LIMIT
orders at one price, so every other order fills. Latency is from writing the request to
reading the whole response; the edge answers only once the fill is settled (FULL response),
so it is edge-to-fill. The load generator is a minimal keep-alive HTTP/1.1 client on raw
asyncio streams with pre-signed requests, so that it costs the 2 cores as little as possible.

With --stubs the services are tests/edge/stub_services.py, which answer at once: what is left
is the edge's own cost. Each line also reports the CPU seconds each process used.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from tests.e2e.platform import REPO, Platform
from tests.edge.conftest import Account, Exchange, _wait_serving, open_account, sign


def _request(account: Account, port: int, params: dict[str, str]) -> bytes:
    encoded = urlencode({"timestamp": str(time.time_ns() // 1_000_000), "recvWindow": "60000", **params})
    body = f"{encoded}&signature={sign(account.secret, encoded)}".encode()
    head = (
        f"POST /api/v3/order HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-MBX-APIKEY: {account.api_key}\r\n"
        f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    await reader.readexactly(length)
    return status


async def _run_rate(port: int, pairs: list[tuple[Account, Account]], rate: int, seconds: float) -> dict[str, float]:
    connections = 64
    queue: asyncio.Queue[tuple[bytes, float] | None] = asyncio.Queue()
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    async def worker() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while (item := await queue.get()) is not None:
            request, scheduled = item
            writer.write(request)
            status = await _read_response(reader)
            latencies.append(time.perf_counter() - scheduled)  # from when it was due: no coordinated omission
            statuses[status] = statuses.get(status, 0) + 1
        writer.close()

    workers = [asyncio.create_task(worker()) for _ in range(connections)]
    total = int(rate * seconds)
    sides = itertools.cycle([("SELL", 0), ("BUY", 1)])
    pair_cycle = itertools.cycle(pairs)
    started = time.perf_counter()
    pair = next(pair_cycle)
    for n in range(total):
        side, index = next(sides)
        if index == 0:
            pair = next(pair_cycle)
        params = {"symbol": "BTCUSDT", "side": side, "type": "LIMIT", "timeInForce": "GTC",
                  "quantity": "0.001", "price": "95000", "newOrderRespType": "FULL"}  # fmt: skip
        due = started + n / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        queue.put_nowait((_request(pair[index], port, params), due))
    for _ in workers:
        queue.put_nowait(None)
    await asyncio.gather(*workers)
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "offered/s": rate,
        "achieved/s": round(len(latencies) / elapsed),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
        "ok": statuses.get(200, 0),
        "errors": sum(v for k, v in statuses.items() if k != 200),
    }


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _stub_accounts(count: int) -> list[tuple[Account, Account]]:
    def fake(n: int) -> Account:
        return Account(n, "", "", f"{n:064d}", "s" * 64)

    return [(fake(2 * n + 1), fake(2 * n + 2)) for n in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rates", default="250,500,1000,1500,2000")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--pairs", type=int, default=20)
    parser.add_argument("--stubs", action="store_true", help="instant stub services: the edge alone")
    args = parser.parse_args()

    platform = Platform(Path(tempfile.mkdtemp(prefix="spotex-bench-")) / "exchange")
    platform.data_dir.mkdir(parents=True)
    processes: dict[str, subprocess.Popen[bytes]] = {}
    if args.stubs:
        ports = [str(platform.ports[name]) for name in ("user", "order", "marketdata")]
        with open(platform.data_dir / "stubs.log", "ab") as log:
            processes["stubs"] = subprocess.Popen(
                [sys.executable, "-m", "tests.edge.stub_services", *ports], env=platform.env, cwd=REPO, stdout=log,
                stderr=log,
            )  # fmt: skip
    else:
        platform.start_all()
        processes.update({name: p for name, p in platform.processes.items()})
    env = {**platform.env, "SPOTEX_EDGE_WEIGHT_PER_MINUTE": "100000000", "SPOTEX_EDGE_ORDERS_PER_10S": "100000000",
           "SPOTEX_EDGE_ORDERS_PER_DAY": "100000000"}  # fmt: skip
    with open(platform.data_dir / "edge.log", "ab") as log:
        edge = subprocess.Popen([sys.executable, "-m", "edge"], env=env, cwd=REPO, stdout=log, stderr=log)
    processes["edge"] = edge
    try:
        exchange = Exchange(platform, f"http://127.0.0.1:{platform.ports['edge']}", edge)
        _wait_serving(exchange)
        if args.stubs:
            pairs = _stub_accounts(args.pairs)
        else:
            pairs = [
                (open_account(exchange, {"BTC": "100"}), open_account(exchange, {"USDT": "10000000"}))
                for _ in range(args.pairs)
            ]
        idle_before = _cpu_seconds(edge.pid)
        time.sleep(2)
        print("edge idle cpu s/s:", round((_cpu_seconds(edge.pid) - idle_before) / 2, 3), flush=True)
        for rate in (int(r) for r in args.rates.split(",")):
            before = {name: _cpu_seconds(p.pid) for name, p in processes.items()}
            result = asyncio.run(_run_rate(platform.ports["edge"], pairs, rate, args.seconds))
            used = {name: round(_cpu_seconds(p.pid) - before[name], 2) for name, p in processes.items()}
            result["edge_cpu_ms_per_order"] = round(used["edge"] * 1000 / max(result["ok"] + result["errors"], 1), 3)
            print(result, "cpu_s:", used, flush=True)
    finally:
        edge.terminate()
        edge.wait(timeout=15)
        if "stubs" in processes:
            processes["stubs"].kill()
            processes["stubs"].wait()
        platform.stop_all()


if __name__ == "__main__":
    main()
