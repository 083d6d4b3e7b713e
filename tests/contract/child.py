"""Scenarios the multi-process suites run in a child: `python -m tests.contract.child NAME OPENER ARGS`.

Each prints "ready" once its store is open, then one line per operation the port acknowledged.
"""

from __future__ import annotations

import asyncio
import os
import random
import struct
import sys
from typing import Any

from engine_ext.codes import Side
from services.common.ports import AlreadyExists
from services.common.records import Settlement
from tests.contract.backends import Opener
from tests.contract.builders import SYMBOL, an_order, fill, run_of_fills


def say(*words: object) -> None:
    """One line in one write, so a kill cannot interleave it (a pipe write this small is atomic)."""
    sys.stdout.write(" ".join(map(str, words)) + "\n")
    sys.stdout.flush()


async def append_forever(log: Any, topic: str, batch_size: str, payload_size: str) -> None:
    """Batches of `batch_size` payloads `pid:batch:index:size:xxx...`, until killed."""
    n, size = int(batch_size), int(payload_size)
    for batch in range(sys.maxsize):
        payloads = [f"{os.getpid()}:{batch}:{i}:{n}:".encode().ljust(size, b"x") for i in range(n)]
        say("ack", batch, await log.append(topic, 0, payloads))


async def read_until(log: Any, topic: str, count: str) -> None:
    """Poll the partition and report every record as soon as it is seen."""
    say("ready")
    seen = 0
    while seen < int(count):
        records = await log.read(topic, 0, seen, 1_000)
        for record in records:
            say("saw", record.offset, record.payload.hex())
        seen += len(records)
        if not records:
            await asyncio.sleep(0.001)


async def place_orders(
    ledger: Any, user_id: str, first_order_id: str, count: str, seed: str, client_prefix: str
) -> None:
    """Wait for "go" on stdin, then place `count` BUY orders reserving 1..100 quote each."""
    say("ready")
    await asyncio.to_thread(sys.stdin.readline)
    rng = random.Random(int(seed))
    for k in range(int(count)):
        order = an_order(int(first_order_id) + k, user_id=int(user_id), reserved=rng.randint(1, 100),
                         client_order_id=f"{client_prefix}{k}")
        outcome, stored = await ledger.place_order(order)
        say(outcome.value, stored.order_id, stored.client_order_id, stored.reserved)


async def settle_forever(ledger: Any, buy_order_id: str, sell_order_id: str) -> None:
    """One fill per settlement between two resting orders (1 base for 10 quote), until killed."""
    ids = [int(buy_order_id), int(sell_order_id)]
    while True:
        seq = await ledger.settled_seq(SYMBOL) + 1
        orders = await ledger.get_orders(SYMBOL, ids)
        settlement = Settlement(SYMBOL, seq, seq)
        fill(settlement, orders[ids[0]], orders[ids[1]], trade_id=seq, base=1, quote=10)
        assert await ledger.apply_settlement(settlement)
        say("ack", seq)


async def settle_runs_forever(ledger: Any, fills: str) -> None:
    """Settlements of `fills` fills each (`builders.run_of_fills` between orders 1 and 2 as
    `test_ledger_processes` places them): more writes than one DynamoDB transaction holds."""
    buy = an_order(1, user_id=1, reserved=10_000_000)
    sell = an_order(2, user_id=2, side=Side.SELL, reserved=1_000_000)
    while True:
        seq = await ledger.settled_seq(SYMBOL) + 1
        assert await ledger.apply_settlement(run_of_fills(buy, sell, seq, int(fills)))
        say("ack", seq + int(fills) - 1)


async def save_snapshots_forever(snapshots: Any, symbol: str, size: str) -> None:
    """Snapshot number i is `size` bytes that all spell i, saved at journal offset i."""
    for i in range(sys.maxsize):
        await snapshots.save(symbol, i, struct.pack("<q", i) * (int(size) // 8))
        say("ack", i)


async def register(users: Any, prefix: str, count: str) -> None:
    """Wait for "go", race the others for alice@example.com, then register `count` users of our own."""
    say("ready")
    await asyncio.to_thread(sys.stdin.readline)
    try:
        await users.create_user("alice@example.com", prefix, 1)
        say("created")
    except AlreadyExists:
        say("taken")
    for i in range(int(count)):
        say((await users.create_user(f"{prefix}-{i}@example.com", "h", 1)).user_id)


SCENARIOS = {
    f.__name__: f
    for f in (append_forever, read_until, place_orders, settle_forever, settle_runs_forever, save_snapshots_forever,
              register)
}


async def main(name: str, opener_json: str, *args: str) -> None:
    store = Opener.from_json(opener_json)()
    try:
        await SCENARIOS[name](store, *args)
    finally:
        close = getattr(store, "close", None)
        if close is not None:
            await close()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:]))
