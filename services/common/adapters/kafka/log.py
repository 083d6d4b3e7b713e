"""The Kafka Log (the `engine.commands` journal and the `engine.events` stream): aiokafka.

Topics and keys
- `engine.commands`: the matching journal; `engine.events`: the engine's output. One Kafka
  partition per matching shard (the port's `partition` IS the Kafka partition, and a shard owns
  its symbols: symbol -> shard is the routing key), so every partition has exactly one writer.
  Records carry no Kafka key: the partition is chosen explicitly, never hashed from a key, one
  journal record holds a whole group-commit batch (commands of several symbols of the shard),
  and the topics are never compacted, so a key would only cost bytes. The symbol is inside each
  record. `topic_prefix` (default "") namespaces environments sharing a cluster
  (`<prefix>engine.commands`).
- The adapter creates a topic with the admin API on first use, with `partitions` partitions
  (the shard count, configured), before anything could auto-create it with the broker's
  default count. A topic that already exists with fewer partitions than a requested partition
  is an error (add partitions with `kafka-topics --alter` before adding shards). Services
  call `ensure_topics(...)` at start so that no consumer's metadata request makes a broker
  with auto-creation on create them first with its default count (tansu: 3 partitions).
- Offsets are Kafka's own offsets, from 0 per partition, gapless on Kafka itself (no
  compaction, no transactions, so no control records). Tansu on S3 storage, stopped in the
  middle of an append that it never acknowledged, comes back with that offset counted but
  holding no record (seen after SIGTERM: the next append lands after the hole); a read skips
  such a gap the way Kafka consumers skip offsets, see `read`. `read` returns records at >= from_offset only,
  oldest first; `end_offset` is the high watermark (everything acknowledged to all in-sync
  replicas, which is exactly what `append` has acknowledged).

Appends
- One `append` is ONE Kafka record batch in ONE ProduceRequest with acks=all (-1): the broker
  writes a record batch atomically, so a batch is either wholly in the log or wholly absent,
  and its records are contiguous even with concurrent appends; the returned first offset is
  the batch's base offset from the produce response.
- It does not go through AIOKafkaProducer: the producer retries a failed batch by itself
  until its delivery timeout, and without the idempotent producer (tansu has none) a retry of a
  batch the broker did write duplicates it. Here each append is sent exactly once; if the
  connection fails or times out, or the broker answers with an error, the outcome is unknown
  and the append raises `Unavailable`. The caller (the matching shard) then recovers from the
  log itself (`end_offset` and `read`), which is the only source of truth. Correctness never
  depends on the idempotent producer or on transactions.
- One append must fit in one record batch: at most `max_batch_bytes` (default 8 MiB), and the
  topic is created with `max.message.bytes` of the same size (Kafka's default is 1 MiB); a
  bigger append raises ValueError before anything is sent. No compression (records are small
  and the batch must stay one atomic unit; lz4 could be added per batch later).

Reads: `read` sends FetchRequests straight to the partition leader (no consumer group, no
subscription: the equivalent of assign + seek, without a fetcher running in the background),
from `from_offset` until `limit` records or the high watermark; a record batch that starts
before `from_offset` is trimmed. Reads and `end_offset` are idempotent, so they are retried on
retriable errors for up to `request_timeout_ms`, then raise `Unavailable`.

On MSK (production)
- replication factor 3 (`replication_factor=3`), topic `min.insync.replicas=2`, acks=all (always,
  here): an acknowledged append survives the loss of one broker; with 2 of 3 replicas down,
  appends fail with `Unavailable` rather than being acknowledged by a single broker.
  `unclean.leader.election.enable=false` (the default) so an out-of-sync replica never becomes
  leader and truncates acknowledged records.
- retention: `retention.ms=-1` and `retention.bytes=-1` on BOTH topics (MSK tiered storage
  keeps that cheap), `cleanup.policy=delete`, never `compact` (records have no keys and offsets
  must stay gapless). The matching shard today replays the journal from its newest snapshot's
  offset and re-indexes `engine.events` from offset 0 on every recovery, so a deleted record
  would break recovery. This adapter never hides that: a read below the log start offset
  raises OffsetOutOfRangeError instead of silently starting later. Time-based retention
  (e.g. 7 days on `engine.events`) needs the shard to start its event scan at the log start
  and to keep every journal record after the oldest snapshot it may restore.
- `max.message.bytes=8388608` on both topics (and the brokers' `replica.fetch.max.bytes` at
  least that); MSK supports the idempotent producer, but this adapter does not need it.
- The adapter creates the topics with these settings when given `replication_factor=3` and
  `topic_configs=MSK_TOPIC_CONFIGS` (the defaults, 1 and max.message.bytes only, suit the
  single local broker). On MSK, prefer creating them ahead with the same values (Terraform /
  `kafka-topics --create`); the adapter then finds them and only checks the partition count.

Tansu (the local broker, see broker.py) ignores replication (one node) and keeps topics in
memory unless started with s3:// storage.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any

from aiokafka.client import AIOKafkaClient
from aiokafka.errors import KafkaError, for_code
from aiokafka.protocol.admin import CreateTopicsRequest
from aiokafka.protocol.fetch import FetchRequest
from aiokafka.protocol.offset import OffsetRequest
from aiokafka.protocol.produce import ProduceRequest
from aiokafka.record.default_records import DefaultRecordBatchBuilder
from aiokafka.record.memory_records import MemoryRecords
from aiokafka.structs import TopicPartition

from services.common.ports import LogRecord, Unavailable

_NO_ERROR = 0
_TOPIC_ALREADY_EXISTS = 36
_OFFSET_OUT_OF_RANGE = 1
_UNKNOWN_TOPIC_OR_PARTITION = 3
_LATEST = -1  # ListOffsets timestamp meaning "the end"
_READ_UNCOMMITTED = 0  # no transactions, so the same as read_committed, minus the LSO wait

log = logging.getLogger(__name__)

DEFAULT_MAX_BATCH_BYTES = 8 * 1024 * 1024
_PATIENT_FETCH_MS = 1000


# Topic settings for MSK (pass as `topic_configs`, with `replication_factor=3`); see the module doc.
MSK_TOPIC_CONFIGS: dict[str, str] = {
    "min.insync.replicas": "2",
    "unclean.leader.election.enable": "false",
    "cleanup.policy": "delete",
    "retention.ms": "-1",  # both topics: see "retention" in the module doc
    "retention.bytes": "-1",
    "max.message.bytes": str(DEFAULT_MAX_BATCH_BYTES),
}


class _EmptyResponse(KafkaError):  # type: ignore[misc]  # aiokafka is untyped here
    retriable = True


class KafkaLog:
    """The Log port on Kafka. Opened lazily: the constructor does no I/O (Opener-friendly)."""

    def __init__(
        self,
        bootstrap_servers: str,
        partitions: int | str = 16,
        topic_prefix: str = "",
        replication_factor: int | str = 1,
        topic_configs: Mapping[str, str] | None = None,
        request_timeout_ms: int | str = 10_000,
        max_batch_bytes: int | str = DEFAULT_MAX_BATCH_BYTES,
        client_id: str = "spotex-log",
        gap_wait_ms: int | str = 5_000,
    ) -> None:
        self._bootstrap = bootstrap_servers
        self._partitions = int(partitions)
        self._prefix = topic_prefix
        self._replication = int(replication_factor)
        self._max_batch_bytes = int(max_batch_bytes)
        self._topic_configs = {"max.message.bytes": str(self._max_batch_bytes), **(topic_configs or {})}
        self._timeout_ms = int(request_timeout_ms)
        self._gap_wait_ms = int(gap_wait_ms)
        self._client_id = client_id
        self._client: AIOKafkaClient | None = None
        self._opening = asyncio.Lock()  # one client
        self._creating = asyncio.Lock()  # one topic creation at a time
        self._topics: dict[str, int] = {}  # Kafka topic name -> partition count, once ensured
        self._closed = False

    # -- the port ----------------------------------------------------------------------

    async def append(self, topic: str, partition: int, payloads: Sequence[bytes]) -> int:
        rows = list(payloads)
        for payload in rows:
            if not isinstance(payload, bytes | bytearray | memoryview):
                raise TypeError(f"log payloads are bytes, not {type(payload).__name__}")
        if not rows:
            return await self.end_offset(topic, partition)
        name = await self._ensure(topic, partition)
        data = self._record_batch(rows)
        client = await self._open()
        request = ProduceRequest(
            transactional_id=None,
            required_acks=-1,  # acks=all
            timeout=self._timeout_ms,
            topics=[(name, [(partition, data)])],
        )
        node = await self._leader(client, name, partition)
        try:
            response = await asyncio.wait_for(client.send(node, request), self._timeout_ms / 1000 + 5)
        except (TimeoutError, KafkaError, OSError) as exc:
            # sent or not, written or not: unknown. Never resend here (that could duplicate it).
            client.force_metadata_update()
            raise Unavailable(f"append to {name}[{partition}]: outcome unknown ({exc!r})") from exc
        ((_topic, ((_partition, error_code, base_offset, *_rest),)),) = response.topics
        if error_code != _NO_ERROR:
            error = for_code(error_code)
            if getattr(error, "invalid_metadata", False):
                client.force_metadata_update()
            if error_code == _UNKNOWN_TOPIC_OR_PARTITION:
                self._topics.pop(name, None)  # deleted (or a memory broker restarted): create it again
            if error.retriable:
                raise Unavailable(f"append to {name}[{partition}]: {error.__name__}")
            raise error(f"append to {name}[{partition}]")
        return int(base_offset)

    async def read(self, topic: str, partition: int, from_offset: int, limit: int) -> list[LogRecord]:
        if from_offset < 0 or limit < 0:
            raise ValueError(f"read from offset {from_offset}, limit {limit}: both must be >= 0")
        name = await self._ensure(topic, partition)
        records: list[LogRecord] = []
        offset = from_offset
        while len(records) < limit:
            fetched, high_watermark = await self._fetch(name, partition, offset)
            if not fetched and offset < high_watermark:
                fetched, high_watermark = await self._patient_fetch(name, partition, offset, high_watermark)
            for record in fetched:
                if record.offset >= offset and len(records) < limit:
                    records.append(record)
            if records:
                offset = records[-1].offset + 1
            if offset >= high_watermark or not fetched:
                break
        return records

    async def _patient_fetch(
        self, name: str, partition: int, offset: int, high_watermark: int
    ) -> tuple[list[LogRecord], int]:
        """The broker counts records from `offset` but sent none within the 1 ms wait (tansu on S3
        storage answers empty while it loads them): wait for them, up to `gap_wait_ms`. Still
        none then, [offset, high watermark) is a gap, an offset the broker counted without
        storing a record (tansu after an unclean stop, in the middle of an append it never
        acknowledged): return nothing, so the reader goes on after it, as a Kafka consumer does.
        Kafka itself answers a fetch below the high watermark with records at once."""
        deadline = time.monotonic() + self._gap_wait_ms / 1000
        while True:
            fetched, high_watermark = await self._fetch(name, partition, offset, wait_ms=_PATIENT_FETCH_MS)
            if fetched or offset >= high_watermark:
                return fetched, high_watermark
            if time.monotonic() >= deadline:
                log.warning(
                    "%s[%s]: offsets %s..%s hold no record; read past them", name, partition, offset, high_watermark - 1
                )
                return [], high_watermark

    async def end_offset(self, topic: str, partition: int) -> int:
        name = await self._ensure(topic, partition)
        offset = await self._list_latest(name, partition)
        # Kafka's ListOffsets(latest) is the high watermark, but tansu answers with the last
        # record batch's base offset + 1 (2, not 4, after batches of 1 and 3 records). A fetch
        # from there gets the high watermark right on both (on Kafka it returns no records).
        _records, high_watermark = await self._fetch(name, partition, int(offset))
        return max(int(offset), high_watermark)

    async def _list_latest(self, name: str, partition: int) -> int:
        request = OffsetRequest(
            replica_id=-1, isolation_level=_READ_UNCOMMITTED, topics=[(name, [(partition, _LATEST)])]
        )
        response = await self._request(name, partition, request, "end offset")
        ((_topic, (part,)),) = response.topics
        error_code, offset = part[1], (part[-1] if response.API_VERSION > 0 else max(part[-1], default=0))
        self._check(error_code, name, partition, "end offset")
        return int(offset)

    async def ensure_topics(self, *topics: str) -> None:
        """Create the topics now (at service start), before a consumer's metadata request
        could make a broker with auto-creation on create them with its default partition count."""
        for topic in topics:
            await self._ensure(topic, 0)

    async def close(self) -> None:
        self._closed = True
        client, self._client = self._client, None
        if client is not None:
            await client.close()

    # -- internals ---------------------------------------------------------------------

    def _record_batch(self, rows: list[bytes]) -> bytes:
        builder = DefaultRecordBatchBuilder(
            magic=2,
            compression_type=0,
            is_transactional=False,
            producer_id=-1,
            producer_epoch=-1,
            base_sequence=-1,
            batch_size=self._max_batch_bytes,
        )
        now_ms = int(time.time() * 1000)
        for i, payload in enumerate(rows):
            if builder.append(i, timestamp=now_ms, key=None, value=bytes(payload), headers=[]) is None:
                raise ValueError(
                    f"an append of {len(rows)} payloads ({sum(map(len, rows))} bytes) does not fit in one "
                    f"record batch of {self._max_batch_bytes} bytes (max_batch_bytes)"
                )
        data = bytes(builder.build())
        if len(data) > self._max_batch_bytes:
            raise ValueError(f"an append of {len(data)} bytes exceeds max_batch_bytes={self._max_batch_bytes}")
        return data

    async def _fetch(self, name: str, partition: int, offset: int, wait_ms: int = 1) -> tuple[list[LogRecord], int]:
        """One FetchRequest from `offset`: (records at >= offset in the returned batches, high watermark).

        `wait_ms` > 1 waits (up to then) for at least one byte."""
        request = FetchRequest(
            # max_wait_time=0 would be the natural "do not wait", but tansu then answers with no
            # partitions even when it has records; 1 ms costs ~2 ms on an empty partition
            max_wait_time=wait_ms,
            min_bytes=0 if wait_ms <= 1 else 1,
            max_bytes=self._max_batch_bytes * 2,
            isolation_level=_READ_UNCOMMITTED,
            topics=[(name, [(partition, offset, self._max_batch_bytes * 2)])],
        )
        response = await self._request(name, partition, request, "read")
        ((_topic, (part,)),) = response.topics
        error_code, high_watermark, message_set = part[1], int(part[2]), part[-1]
        if error_code == _OFFSET_OUT_OF_RANGE and offset >= await self._list_latest(name, partition):
            return [], offset  # beyond the end (Kafka says out of range): nothing yet, like the embedded log
        self._check(error_code, name, partition, "read")
        records: list[LogRecord] = []
        if message_set:
            batches = MemoryRecords(message_set)
            while batches.has_next():
                batch = batches.next_batch()
                if batch is None:
                    break
                if getattr(batch, "is_control_batch", False):
                    continue
                for record in batch:
                    if offset <= record.offset < high_watermark:
                        value = record.value
                        records.append(LogRecord(record.offset, b"" if value is None else bytes(value)))
        return records, high_watermark

    async def _request(self, name: str, partition: int, request: Any, what: str) -> Any:
        """Send an idempotent request (read, end offset) to the leader; retried on retriable
        failures until the request timeout, then Unavailable."""
        deadline = time.monotonic() + self._timeout_ms / 1000
        while True:
            client = await self._open()
            try:
                node = await self._leader(client, name, partition)
                # the connection's own request timeout (same value) fires first and closes it
                response = await asyncio.wait_for(client.send(node, request), self._timeout_ms / 1000 + 5)
                if len(response.topics) != 1 or len(response.topics[0][1]) != 1:
                    # tansu answers a fetch with max_wait_time=0 with no partitions at all
                    raise _EmptyResponse(f"{type(response).__name__} without the partition")
                ((_topic, (part,)),) = response.topics
                error = for_code(part[1])
                if part[1] != _NO_ERROR and part[1] != _OFFSET_OUT_OF_RANGE and error.retriable:
                    if part[1] == _UNKNOWN_TOPIC_OR_PARTITION:
                        self._topics.pop(name, None)
                    raise error()
                return response
            except (TimeoutError, KafkaError, OSError) as exc:
                if isinstance(exc, KafkaError) and not exc.retriable:
                    raise
                client.force_metadata_update()
                if time.monotonic() + 0.1 >= deadline:  # no time left for another attempt
                    raise Unavailable(f"{what} of {name}[{partition}]: {exc!r}") from exc
                await asyncio.sleep(0.1)

    def _check(self, error_code: int, name: str, partition: int, what: str) -> None:
        if error_code != _NO_ERROR:
            error = for_code(error_code)
            if error_code == _UNKNOWN_TOPIC_OR_PARTITION:
                self._topics.pop(name, None)
            if error.retriable:
                raise Unavailable(f"{what} of {name}[{partition}]: {error.__name__}")
            raise error(f"{what} of {name}[{partition}]")

    async def _open(self) -> AIOKafkaClient:
        if self._closed:
            raise RuntimeError("the log is closed")
        client = self._client
        if client is not None:
            return client
        async with self._opening:
            if self._client is None:
                client = AIOKafkaClient(
                    bootstrap_servers=self._bootstrap,
                    client_id=self._client_id,
                    request_timeout_ms=self._timeout_ms,
                    retry_backoff_ms=100,
                )
                try:
                    await client.bootstrap()
                except (TimeoutError, KafkaError, OSError) as exc:
                    await client.close()
                    raise Unavailable(f"kafka at {self._bootstrap}: {exc!r}") from exc
                self._client = client
            return self._client

    async def _leader(self, client: AIOKafkaClient, name: str, partition: int) -> int:
        tp = TopicPartition(name, partition)
        node = client.cluster.leader_for_partition(tp)
        if node is None or node < 0:
            try:
                await asyncio.wait_for(client._wait_on_metadata(name), self._timeout_ms / 1000)
            except (TimeoutError, KafkaError) as exc:
                raise Unavailable(f"no leader for {name}[{partition}]: {exc!r}") from exc
            node = client.cluster.leader_for_partition(tp)
            if node is None or node < 0:
                client.force_metadata_update()
                raise Unavailable(f"no leader for {name}[{partition}]")
        return int(node)

    async def _ensure(self, topic: str, partition: int) -> str:
        """The Kafka topic name, after making sure the topic exists with the partition."""
        if partition < 0:
            raise ValueError(f"partition {partition} must be >= 0")
        name = self._prefix + topic
        count = self._topics.get(name)
        if count is None:
            async with self._creating:
                count = self._topics.get(name)
                if count is None:
                    count = await self._create_topic(name)
                    self._topics[name] = count
        if partition >= count:
            raise ValueError(
                f"partition {partition} does not exist: topic {name} has {count} partitions "
                f"(configure `partitions` >= the matching shard count)"
            )
        return name

    async def _create_topic(self, name: str) -> int:
        """Create the topic (if it does not exist) before anything else touches it, so the
        broker never auto-creates it with its default partition count; its partition count."""
        client = await self._open()
        request = CreateTopicsRequest(
            create_topic_requests=[(name, self._partitions, self._replication, [], list(self._topic_configs.items()))],
            timeout=self._timeout_ms,
            validate_only=False,
        )
        try:
            controller = client.cluster.controller
            node = controller.nodeId if controller is not None else client.get_random_node()
            response = await asyncio.wait_for(client.send(node, request), self._timeout_ms / 1000 + 5)
        except (TimeoutError, KafkaError, OSError) as exc:
            client.force_metadata_update()
            raise Unavailable(f"creating topic {name}: {exc!r}") from exc
        for entry in response.topic_errors:
            error_code = entry[1]
            if error_code not in (_NO_ERROR, _TOPIC_ALREADY_EXISTS):
                error = for_code(error_code)
                if error.retriable:
                    raise Unavailable(f"creating topic {name}: {error.__name__} {entry[2:]}")
                raise error(f"creating topic {name}: {entry[2:]}")
        try:
            partitions = await asyncio.wait_for(client._wait_on_metadata(name), self._timeout_ms / 1000 + 1)
        except (TimeoutError, KafkaError) as exc:
            raise Unavailable(f"no metadata for topic {name}: {exc!r}") from exc
        return len(partitions)
