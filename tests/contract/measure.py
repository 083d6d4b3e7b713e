"""Throughput of a backend's stores: `python -m tests.contract.measure [backend] [directory]`.

Not a test (the figures are the disk's as much as the code's); it prints the numbers the
adapters are held to: log appends of 100 x ~100 B batches and of single payloads, place_order
one at a time and with many callers (group commit), and apply_settlement of a 100-trade batch.
The first line is the disk's own fsync rate: an operation awaited alone is durable only after
one fsync, so it can never go faster than that. `directory` (default: the current one, where
./data lives) picks the disk; /dev/shm shows the code's own cost, with fsync made free.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from engine_ext.codes import Side
from services.common.records import Settlement
from tests.contract.backends import BACKENDS, Backend
from tests.contract.builders import SYMBOL, an_order, fill


def fsyncs_per_second(directory: Path, count: int = 300) -> float:
    """The disk's own limit: a durable operation awaited alone costs at least one fsync."""
    fd = os.open(directory / "fsync-probe", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        start = time.perf_counter()
        for _ in range(count):
            os.write(fd, b"x" * 100)
            os.fsync(fd)
        return count / (time.perf_counter() - start)
    finally:
        os.close(fd)


async def log_appends(backend: Backend, batch_size: int, batches: int, callers: int = 1) -> float:
    """Payloads/s appending `batches` batches, `callers` appends in flight at a time."""
    log = backend.log(f"log-{batch_size}-{callers}")()
    payload = b"p" * 100

    async def caller(n: int) -> None:
        for _ in range(n):
            await log.append("engine.commands", 0, [payload] * batch_size)

    try:
        start = time.perf_counter()
        await asyncio.gather(*(caller(batches // callers) for _ in range(callers)))
        return batch_size * batches / (time.perf_counter() - start)
    finally:
        await log.close()


async def place_orders(backend: Backend, count: int, callers: int = 1) -> float:
    """Orders/s placing `count` orders, `callers` place_order calls in flight at a time."""
    ledger = backend.ledger(f"place-{callers}")()
    try:
        await ledger.deposit("funds", 1, "USDT", 10 * count)
        ids = list(await ledger.allocate_order_ids(count))

        async def caller(mine: list[int]) -> None:
            for order_id in mine:
                await ledger.place_order(an_order(order_id, reserved=10))

        start = time.perf_counter()
        await asyncio.gather(*(caller(ids[i::callers]) for i in range(callers)))
        return count / (time.perf_counter() - start)
    finally:
        await ledger.close()


async def settlements(backend: Backend, batches: int, trades: int) -> list[float]:
    """Milliseconds per apply_settlement of `trades` fills between 2 x `trades` orders."""
    ledger = backend.ledger("settle")()
    try:
        await ledger.deposit("usdt", 1, "USDT", 10 * trades * batches)
        await ledger.deposit("btc", 2, "BTC", trades * batches)
        millis, seq = [], 0
        for batch in range(batches):
            first_id = 1 + 2 * trades * batch
            buys = [an_order(first_id + i, user_id=1, reserved=10) for i in range(trades)]
            sells = [an_order(first_id + trades + i, user_id=2, side=Side.SELL, reserved=1) for i in range(trades)]
            for order in buys + sells:
                await ledger.place_order(order)
            settlement = Settlement(SYMBOL, seq + 1, seq + 3 * trades)
            for i, (buy, sell) in enumerate(zip(buys, sells, strict=True)):
                fill(settlement, buy, sell, trade_id=seq + 3 * i + 1, base=1, quote=10)
            seq = settlement.to_seq
            start = time.perf_counter()
            assert await ledger.apply_settlement(settlement)
            millis.append((time.perf_counter() - start) * 1000)
        return millis
    finally:
        await ledger.close()


async def main(name: str, directory: Path) -> None:
    with tempfile.TemporaryDirectory(dir=directory) as tmp:
        backend = BACKENDS[name](Path(tmp))
        report = [
            ("raw fsync of a 100 B append", fsyncs_per_second(Path(tmp)), "fsyncs/s"),
            ("log append, batches of 100 x 100 B", await log_appends(backend, 100, 300), "payloads/s"),
            ("log append, single payloads", await log_appends(backend, 1, 2_000), "payloads/s"),
            ("log append, single payloads, 64 callers", await log_appends(backend, 1, 20_000, 64), "payloads/s"),
            ("place_order, sequential", await place_orders(backend, 2_000), "orders/s"),
            ("place_order, 64 callers", await place_orders(backend, 20_000, 64), "orders/s"),
        ]
        for what, value, unit in report:
            print(f"{what:<42} {value:>10,.0f} {unit}")
        millis = await settlements(backend, 20, 100)
        print(f"{'apply_settlement of 100 trades (ms)':<42} median {statistics.median(millis):.2f},"
              f" max {max(millis):.2f}")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "embedded", Path(sys.argv[2] if len(sys.argv) > 2 else ".")))
