"""The machine's yardstick for the order path: bare grpc.aio echoes, no exchange in them.

    .venv/bin/python -m benchmarks.grpc_echo [--seconds 5]

The figures of `tradectl bench` depend on how fast this machine runs Python and gRPC, which
varies several-fold between the hosts this project is measured on (and on one host with its
neighbours). Run beside them, this gives the ratio that stays meaningful: orders/s of the
whole path against echo calls/s of one bare hop. Issue 3 quotes, for the machine it was
written on, ~3,500 unary calls/s at 64 in flight and ~1,600/s one at a time.

The echo server is a process of its own (as every service is), answering a 100-byte message
with itself; the client is this process. Three shapes: unary one at a time, unary with 64 in
flight, and one bidirectional stream with 32 messages in flight (PlaceOrderStream's shape).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from typing import Any

import grpc

from services.common.adapters.kafka.broker import free_port
from services.devservers import answers

METHOD_UNARY = "/bench.Echo/Unary"
METHOD_STREAM = "/bench.Echo/Stream"
PAYLOAD = b"x" * 100


async def _serve(port: int) -> None:
    async def unary(request: bytes, context: Any) -> bytes:
        return request

    async def stream(requests: Any, context: Any) -> Any:
        async for request in requests:
            yield request

    handler = grpc.method_handlers_generic_handler(
        "bench.Echo",
        {
            "Unary": grpc.unary_unary_rpc_method_handler(unary),
            "Stream": grpc.stream_stream_rpc_method_handler(stream),
        },
    )
    server = grpc.aio.server()
    server.add_generic_rpc_handlers((handler,))
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    await server.wait_for_termination()


def _summary(latencies_s: list[float], elapsed_s: float) -> dict[str, float]:
    ordered = sorted(latencies_s)
    return {
        "calls_per_s": round(len(ordered) / elapsed_s, 1),
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p99_ms": round(ordered[int(len(ordered) * 0.99)] * 1000, 2),
    }


async def _unary(channel: grpc.aio.Channel, in_flight: int, seconds: float) -> dict[str, float]:
    call = channel.unary_unary(METHOD_UNARY)
    latencies: list[float] = []
    stop_at = time.perf_counter() + seconds

    async def client() -> None:
        while time.perf_counter() < stop_at:
            sent = time.perf_counter()
            await call(PAYLOAD)
            latencies.append(time.perf_counter() - sent)

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(in_flight)))
    return _summary(latencies, time.perf_counter() - started)


async def _stream(channel: grpc.aio.Channel, in_flight: int, seconds: float) -> dict[str, float]:
    call = channel.stream_stream(METHOD_STREAM)()
    latencies: list[float] = []
    sent_at: list[float] = []
    stop_at = time.perf_counter() + seconds
    started = time.perf_counter()
    for _ in range(in_flight):
        sent_at.append(time.perf_counter())
        await call.write(PAYLOAD)
    answered = 0
    while answered < len(sent_at):  # after stop_at nothing more is sent: the rest drain
        await call.read()  # the echo answers in order
        now = time.perf_counter()
        latencies.append(now - sent_at[answered])
        answered += 1
        if now < stop_at:
            sent_at.append(time.perf_counter())
            await call.write(PAYLOAD)
    elapsed = time.perf_counter() - started
    await call.done_writing()
    return _summary(latencies, elapsed)


async def measure(seconds: float) -> dict[str, dict[str, float]]:
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "benchmarks.grpc_echo", "--serve", str(port)])
    try:
        for _ in range(200):
            if answers("127.0.0.1", port):
                break
            await asyncio.sleep(0.05)
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            await _unary(channel, 1, 0.5)  # warm up
            return {
                "unary, 1 in flight": await _unary(channel, 1, seconds),
                "unary, 64 in flight": await _unary(channel, 64, seconds),
                "one stream, 32 in flight": await _stream(channel, 32, seconds),
            }
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)  # the echo server's own process
    args = parser.parse_args()
    if args.serve:
        asyncio.run(_serve(args.serve))
        return
    print(json.dumps(asyncio.run(measure(args.seconds)), indent=2))


if __name__ == "__main__":
    main()
