"""Journal append latency: one record holding a 32-command batch (what the matching shard's
group commit appends), on KafkaLog (a local tansu, acks=all) beside the embedded SqliteLog
(fsync'd WAL), in the same run. One append at a time, awaited: the latency a batch waits for.

    .venv/bin/python -m pytest benchmarks/test_kafka_log.py --benchmark-only -s

prints p50/p99 per log (also in the benchmark JSON's extra_info); docs/kafka.md has figures.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from engine_ext.codes import CommandOp, OrderType, Side, TimeInForce
from engine_ext.events import COMMAND_DTYPE
from services.common.adapters.embedded.log import SqliteLog
from services.common.adapters.kafka.broker import Tansu
from services.common.adapters.kafka.log import KafkaLog
from services.common.ports import Log
from services.matching.codec import CommandBatch, encode_commands
from services.matching.shard import JOURNAL_TOPIC

ROUNDS = 1000
WARMUP = 50
BATCH = 32


def journal_record() -> bytes:
    commands = np.zeros(BATCH, dtype=COMMAND_DTYPE)
    commands["op"] = CommandOp.SUBMIT
    commands["order_id"] = np.arange(1, BATCH + 1)
    commands["user_id"] = 7
    commands["side"] = Side.BUY
    commands["order_type"] = OrderType.LIMIT
    commands["tif"] = TimeInForce.GTC
    commands["price"] = 100
    commands["qty"] = 1
    return encode_commands(CommandBatch(int(time.time() * 1000), ["BTCUSDT"] * BATCH, commands, epoch=1))


@pytest.fixture(scope="module")
def tansu() -> Iterator[Tansu]:
    with Tansu.start() as broker:
        yield broker


def open_log(kind: str, tmp_path: Path, broker: Tansu) -> Log:
    if kind == "kafka":
        return KafkaLog(broker.bootstrap, 1, f"bench{time.monotonic_ns()}.")
    return SqliteLog(tmp_path / "log")


@pytest.mark.parametrize("kind", ["sqlite", "kafka"])
def test_journal_append_of_one_32_command_batch(benchmark: Any, kind: str, tmp_path: Path, tansu: Tansu) -> None:
    loop = asyncio.new_event_loop()
    log = open_log(kind, tmp_path, tansu)
    record = journal_record()
    latencies_ns: list[int] = []

    def append() -> None:
        started = time.perf_counter_ns()
        loop.run_until_complete(log.append(JOURNAL_TOPIC, 0, [record]))
        latencies_ns.append(time.perf_counter_ns() - started)

    try:
        loop.run_until_complete(log.append(JOURNAL_TOPIC, 0, [record]))  # creates the topic / file
        benchmark.pedantic(append, rounds=ROUNDS, warmup_rounds=WARMUP, iterations=1)
        assert loop.run_until_complete(log.end_offset(JOURNAL_TOPIC, 0)) == 1 + WARMUP + ROUNDS
        tail = loop.run_until_complete(log.read(JOURNAL_TOPIC, 0, WARMUP + ROUNDS, 1))
        assert [r.payload for r in tail] == [record]
    finally:
        loop.run_until_complete(log.close())
        loop.close()

    measured = np.array(latencies_ns[WARMUP:]) / 1e6
    p50, p99 = np.percentile(measured, [50, 99])
    benchmark.extra_info.update({"record_bytes": len(record), "p50_ms": round(p50, 3), "p99_ms": round(p99, 3)})
    print(f"\n{kind}: append of one {len(record)}-byte record: p50 {p50:.3f} ms, p99 {p99:.3f} ms ({ROUNDS} appends)")
