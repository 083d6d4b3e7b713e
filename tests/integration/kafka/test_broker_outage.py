"""The broker goes away while the matching shard appends, and comes back with its storage:
appends fail with Unavailable meanwhile, and the shard resumes by itself afterwards.

Tansu keeps topics in memory by default (they vanish with the process), so this test runs its
own tansu on S3 storage (moto's S3, the session's moto server): topics and offsets survive a
restart, like a Kafka cluster's."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

import boto3
import numpy as np
import pytest

from engine_ext.codes import CommandOp, OrderType, Side, TimeInForce
from engine_ext.events import COMMAND_DTYPE
from services.common.adapters.kafka.broker import Tansu
from services.common.adapters.kafka.event_source import KafkaEventSource
from services.common.adapters.kafka.log import KafkaLog
from services.common.ports import Unavailable
from services.matching.shard import MatchingShard
from tests.servers import real_servers
from tests.unit.matching.conftest import MemorySnapshots

REGION = "eu-west-2"


async def until(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, f"not within {timeout_s} s: {what}"
        await asyncio.sleep(0.02)


@pytest.fixture
def s3_storage(monkeypatch: pytest.MonkeyPatch) -> str:
    """An empty bucket on moto's S3, and the environment tansu (started from here) reads it with."""
    endpoint = real_servers().dynamodb_endpoint  # moto serves S3 too
    for name, value in {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_ENDPOINT": endpoint,
        "AWS_ALLOW_HTTP": "true",
    }.items():
        monkeypatch.setenv(name, value)
    bucket = f"tansu-{uuid.uuid4().hex[:12]}"
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name=REGION)
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    return f"s3://{bucket}/"


def resting_bid(order_id: int) -> np.void:
    command = np.zeros(1, dtype=COMMAND_DTYPE)[0]
    command["op"] = CommandOp.SUBMIT
    command["order_id"] = order_id
    command["user_id"] = 1
    command["side"] = Side.BUY
    command["order_type"] = OrderType.LIMIT
    command["tif"] = TimeInForce.GTC
    command["price"] = 1 + order_id % 50
    command["qty"] = 1
    return command


async def test_a_shard_and_a_consumer_ride_out_a_broker_restart_and_lose_nothing(s3_storage):
    broker = Tansu.start(storage=s3_storage)
    log = KafkaLog(broker.bootstrap, 1, "outage.", request_timeout_ms=1500)
    shard = MatchingShard(0, ["BTCUSDT"], log, MemorySnapshots())
    acknowledged: list[int] = []
    failures: list[Exception] = []
    consumed: list[int] = []  # seqs a trade-processing-like consumer got, following live

    async def consume() -> None:
        # tansu on S3 needs more than the default 10 ms fetch wait to answer with records (the
        # source would find that out by itself, in steps of 2 s)
        source = KafkaEventSource(
            broker.bootstrap, "outage.", 1, group_id="outage.tradeproc", fetch_max_wait_ms=100, max_backoff_s=0.5
        )
        async for batch in source.batches({"BTCUSDT": 0}):
            consumed.extend(event.seq for event in batch.events)

    consumer = asyncio.create_task(consume())
    flows: list[asyncio.Task[None]] = []
    try:
        await shard.start()
        ids = iter(range(1, 100_000))

        async def flow(stop: asyncio.Event) -> None:
            while not stop.is_set():
                order_id = next(ids)
                try:
                    await shard.execute("BTCUSDT", resting_bid(order_id))
                    acknowledged.append(order_id)
                except Unavailable as exc:
                    failures.append(exc)
                    await asyncio.sleep(0.05)

        stop = asyncio.Event()
        flows += [asyncio.create_task(flow(stop)) for _ in range(3)]
        await until(lambda: len(acknowledged) >= 20, 20, "orders acknowledged before the outage")
        await asyncio.to_thread(broker.stop)
        await until(lambda: bool(failures), 30, "appends failing while the broker is away")
        assert not shard.healthy
        served_while_away = len(acknowledged)
        broker = await asyncio.to_thread(Tansu.start, broker.port, s3_storage)  # same port, same storage

        await until(lambda: len(acknowledged) >= served_while_away + 20, 30, "the shard resuming by itself")
        stop.set()
        await asyncio.wait_for(asyncio.gather(*flows), 10)
        assert shard.healthy and not shard.fenced

        audit_log = KafkaLog(broker.bootstrap, 1, "outage.")
        rebuilt = MatchingShard(0, ["BTCUSDT"], audit_log, MemorySnapshots())
        await rebuilt.start()
        # acknowledged orders, and maybe some whose append failed with an unknown outcome
        assert {o.order_id for o in rebuilt.book("BTCUSDT").orders()} >= set(acknowledged)
        assert rebuilt.book("BTCUSDT").state_hash() == shard.book("BTCUSDT").state_hash()
        await rebuilt.stop()
        await audit_log.close()

        last = shard.last_seq("BTCUSDT")
        await until(lambda: bool(consumed) and consumed[-1] >= last, 20, "the consumer catching up")
        assert consumed == list(range(1, last + 1))  # reconnected by itself: no gap, no duplicate
    finally:
        consumer.cancel()
        for flow_task in flows:
            flow_task.cancel()
        await asyncio.gather(consumer, *flows, return_exceptions=True)
        await shard.stop()
        await log.close()
        broker.stop()
