"""The Log port: partitioned, gapless, durable append-only logs (journal and event stream)."""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections import defaultdict

import pytest

from services.common.ports import Log, LogRecord
from tests.contract.backends import Backend
from tests.contract.processes import Spawn

TOPIC = "engine.commands"


async def test_an_empty_partition_ends_at_offset_zero_and_reads_nothing(log: Log) -> None:
    assert await log.end_offset(TOPIC, 0) == 0
    assert await log.read(TOPIC, 0, 0, 100) == []


async def test_appends_get_gapless_offsets_from_zero(log: Log) -> None:
    assert await log.append(TOPIC, 0, [b"a"]) == 0
    assert await log.append(TOPIC, 0, [b"b", b"c", b"d"]) == 1
    assert await log.append(TOPIC, 0, [b"e"]) == 4
    assert await log.end_offset(TOPIC, 0) == 5
    assert await log.read(TOPIC, 0, 0, 100) == [LogRecord(i, p) for i, p in enumerate([b"a", b"b", b"c", b"d", b"e"])]


async def test_read_starts_at_the_offset_and_stops_at_the_limit(log: Log) -> None:
    await log.append(TOPIC, 0, [bytes([i]) for i in range(10)])
    assert await log.read(TOPIC, 0, 3, 4) == [LogRecord(i, bytes([i])) for i in range(3, 7)]
    assert await log.read(TOPIC, 0, 8, 100) == [LogRecord(8, b"\x08"), LogRecord(9, b"\x09")]
    assert await log.read(TOPIC, 0, 10, 100) == []
    assert await log.read(TOPIC, 0, 0, 0) == []


async def test_payloads_come_back_byte_for_byte(log: Log) -> None:
    payloads = [b"", b"\x00\xff\x00", os.urandom(1), os.urandom(100_000), "é".encode()]
    await log.append(TOPIC, 0, payloads)
    assert [r.payload for r in await log.read(TOPIC, 0, 0, 100)] == payloads


async def test_appending_nothing_returns_the_end_offset_and_adds_nothing(log: Log) -> None:
    await log.append(TOPIC, 0, [b"a", b"b"])
    assert await log.append(TOPIC, 0, []) == 2
    assert await log.end_offset(TOPIC, 0) == 2


async def test_topics_and_partitions_are_independent(log: Log) -> None:
    await log.append("engine.commands", 0, [b"c0"])
    await log.append("engine.commands", 1, [b"c1-a", b"c1-b"])
    await log.append("engine.events", 0, [b"e0-a", b"e0-b", b"e0-c"])
    assert await log.end_offset("engine.commands", 0) == 1
    assert await log.end_offset("engine.commands", 1) == 2
    assert await log.end_offset("engine.events", 0) == 3
    assert await log.end_offset("engine.events", 1) == 0
    assert [r.payload for r in await log.read("engine.commands", 1, 0, 10)] == [b"c1-a", b"c1-b"]


async def test_concurrent_appends_keep_each_batch_contiguous_and_offsets_gapless(log: Log) -> None:
    batches = [[f"{b}:{i}".encode() for i in range(random.randint(1, 20))] for b in range(30)]
    firsts = await asyncio.gather(*(log.append(TOPIC, 0, batch) for batch in batches))
    records = await log.read(TOPIC, 0, 0, 10_000)
    assert [r.offset for r in records] == list(range(sum(map(len, batches))))
    for first, batch in zip(firsts, batches, strict=True):
        assert [r.payload for r in records[first : first + len(batch)]] == batch


async def test_appends_survive_close_and_reopen(backend: Backend) -> None:
    first = backend.log()()
    await first.append(TOPIC, 0, [b"a", b"b"])
    await first.append("engine.events", 3, [b"x"])
    await first.close()

    reopened = backend.log()()
    try:
        assert await reopened.end_offset(TOPIC, 0) == 2
        assert [r.payload for r in await reopened.read(TOPIC, 0, 0, 10)] == [b"a", b"b"]
        assert await reopened.append(TOPIC, 0, [b"c"]) == 2
        assert [r.payload for r in await reopened.read("engine.events", 3, 0, 10)] == [b"x"]
    finally:
        await reopened.close()


async def test_a_reader_in_another_process_sees_appends_promptly(backend: Backend, log: Log, spawn: Spawn) -> None:
    reader = await spawn("read_until", backend.log(), TOPIC, 50)
    assert await reader.line() == "ready"
    slowest = 0.0
    for i in range(50):
        payload = f"record {i}".encode()
        appended = time.monotonic()
        assert await log.append(TOPIC, 0, [payload]) == i
        assert await reader.line(timeout=5) == f"saw {i} {payload.hex()}"
        slowest = max(slowest, time.monotonic() - appended)
    await reader.finish()
    assert slowest < 1.0, f"a reader in another process saw an append only after {slowest:.3f}s"


@pytest.mark.slow
async def test_a_writer_killed_mid_stream_leaves_only_whole_batches_and_keeps_every_acknowledged_one(
    backend: Backend, spawn: Spawn
) -> None:
    acknowledged: dict[str, int] = {}  # "pid:batch" -> first offset the append returned
    for _round in range(3):
        writer = await spawn("append_forever", backend.log(), TOPIC, 200, 1_000)
        lines = [await writer.line() for _ in range(random.randint(5, 40))]  # run a random while
        lines += await writer.kill(within=0.05)
        for line in lines:
            _ack, batch, offset = line.split()
            acknowledged[f"{writer.process.pid}:{batch}"] = int(offset)

        log: Log = backend.log()()
        try:
            records = await log.read(TOPIC, 0, 0, 1_000_000)
            assert await log.end_offset(TOPIC, 0) == len(records)
        finally:
            await log.close()
        assert [r.offset for r in records] == list(range(len(records)))
        batches: dict[str, list[LogRecord]] = defaultdict(list)
        for record in records:
            record_pid, record_batch, _index, _size, _pad = record.payload.decode().split(":", 4)
            batches[f"{record_pid}:{record_batch}"].append(record)
        for key, batch_records in batches.items():
            first = batch_records[0].offset
            assert [r.offset for r in batch_records] == list(range(first, first + 200)), f"batch {key} is torn"
            assert [int(r.payload.split(b":")[2]) for r in batch_records] == list(range(200))
        for key, first in acknowledged.items():
            assert batches[key][0].offset == first, f"acknowledged batch {key} is missing or moved"
