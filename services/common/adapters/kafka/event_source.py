"""EventSource over the `engine.events` topic: the real backend's engine event feed (aiokafka).

Each record is one symbol's events of one matching batch (services/matching/codec.py), in the
partition of the symbol's matching shard. The consumer reads every partition (or those of the
requested symbols, given `shard_of`) and yields each record's events after the consumer's
position for its symbol, so a record it already has is dropped and one it half has is trimmed:
redelivery, a duplicate appended by a fenced matching writer and its successor (docs/kafka.md)
and a restart from an older offset are all harmless. Idempotency is by (symbol, seq), never by
offset.

Consumer group, without a group join: the partitions are assigned manually (a join costs
~5 s on tansu and brings rebalances we do not need, since every instance of a consumer wants
all partitions), and the group id is used for offset commits only (generation -1, the "simple
consumer" of Kafka's protocol). Offsets are committed when the consumer asks for the next
batch, never before: by the port's contract the previous batch's effects are durable then, so
a committed offset never runs ahead of what the consumer finished. Commits are batched (at most
one per `commit_interval_s`, and whenever the consumer has caught up), since a lost commit only
costs re-reading records that the seq filter then drops.

Where to start, per partition: the group's committed offset, unless the consumer asks for a
symbol of that partition from seq 0 (it has nothing of it: market data's history mode, or a
new symbol), then from the beginning. A consumer asking for a seq older than its group's
commit (its own state went back) is caught by a gap: the first record of a symbol that starts
after the consumer's next seq rewinds that partition to the beginning once; the filter drops
what it already has. A gap found from the beginning is real (retention deleted records) and
reaches the consumer, which knows how to resynchronise.

`fetch_max_wait_ms` bounds the delivery delay on tansu, which answers a waiting fetch only at
its deadline (Kafka answers as soon as records arrive: raise it there); see docs/kafka.md. A
consumer idle for 2 s while the broker reports records it has not got starts afresh with
twice the wait (tansu on S3 storage needs more than 10 ms to answer with records).

The broker away: the consumer reconnects by itself with a backoff, from its own in-memory
positions, like the embedded source.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Mapping

from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaError
from aiokafka.structs import TopicPartition

from engine_ext.events import events_from_array
from services.common.adapters.kafka.log import KafkaLog
from services.common.aio import reraise_if_cancelled
from services.common.ports import EventBatch, Unavailable
from services.matching.codec import decode_events

log = logging.getLogger(__name__)

EVENTS_TOPIC = "engine.events"  # services.matching.shard.EVENTS_TOPIC (not imported: no engine deps here)
_STALL_CHECK_S = 2.0  # idle this long: ask the broker whether there is something we do not get


_MAX_FETCH_WAIT_MS = 1000


class _Stalled(Exception):
    """The broker has records the consumer's fetches do not bring: a fetcher that did not
    recover from a broker restart, or a fetch wait shorter than the broker's storage needs
    (tansu on S3 answers empty at the deadline): start a fresh consumer, waiting longer."""


class KafkaEventSource:
    def __init__(
        self,
        bootstrap_servers: str,
        topic_prefix: str = "",
        partitions: int | str = 16,
        group_id: str = "spotex",
        *,
        shard_of: Mapping[str, int] | None = None,
        commit_interval_s: float = 1.0,
        fetch_max_wait_ms: int = 10,
        max_backoff_s: float = 2.0,
        client_id: str = "spotex-events",
    ) -> None:
        self._bootstrap = bootstrap_servers
        self._prefix = topic_prefix
        self._partitions = int(partitions)
        self._group_id = group_id
        self._shard_of = dict(shard_of) if shard_of is not None else None
        self._commit_interval_s = commit_interval_s
        self._fetch_max_wait_ms = fetch_max_wait_ms
        self._max_backoff_s = max_backoff_s
        self._client_id = client_id

    @property
    def topic(self) -> str:
        return self._prefix + EVENTS_TOPIC

    async def batches(self, after_seq: dict[str, int]) -> AsyncIterator[EventBatch]:
        groups = self._groups(after_seq, grouped=False)  # groups of one: a record's offset is done
        try:
            async for group in groups:
                for batch in group:
                    yield batch
        finally:
            await groups.aclose()

    def batch_groups(self, after_seq: dict[str, int]) -> AsyncGenerator[list[EventBatch], None]:
        """Everything one fetch brought (each symbol's batches in seq order) as one group, so a
        consumer that fell behind catches up in one durable write per symbol instead of one per
        batch (trade processing settles a group in one DynamoDB transaction per symbol). The
        group's offsets are committed only when the next group is asked for."""
        return self._groups(after_seq, grouped=True)

    async def _groups(self, after_seq: dict[str, int], *, grouped: bool) -> AsyncGenerator[list[EventBatch], None]:
        reader = _Reader(self, dict(after_seq))
        backoff = 0.05
        try:
            while True:
                try:
                    async with contextlib.aclosing(reader.follow(grouped)) as followed:
                        async for group in followed:
                            backoff = 0.05
                            yield group
                except (KafkaError, OSError, Unavailable, _Stalled) as exc:
                    log.warning("engine events from %s: %r; reconnecting in %.2fs", self._bootstrap, exc, backoff)
                await reader.close()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._max_backoff_s)
        finally:
            await reader.close()

    def _partitions_of(self, symbols: Mapping[str, int]) -> list[int]:
        if self._shard_of is None:
            return list(range(self._partitions))
        return sorted({self._shard_of[symbol] for symbol in symbols})


class _Reader:
    """One consumer's progress, kept across reconnections."""

    def __init__(self, source: KafkaEventSource, position: dict[str, int]) -> None:
        self.source = source
        self.position = position  # symbol -> last seq handed to the consumer
        self.partitions = source._partitions_of(position)
        self.next_offset: dict[int, int] = {}  # partition -> offset of the next record to look at
        self.committed: dict[int, int] = {}  # partition -> what the group has (as far as we know)
        self.rewound: set[int] = set()  # partitions read from offset 0 since this reader began
        self.consumer: AIOKafkaConsumer | None = None
        self.last_commit = time.monotonic()
        self.fetch_wait_ms = source._fetch_max_wait_ms

    async def follow(self, grouped: bool) -> AsyncGenerator[list[EventBatch], None]:
        """Each fetch's new events as one group (`grouped`), or each record's as a group of one."""
        consumer = await self._connect()
        tps = {p: TopicPartition(self.source.topic, p) for p in self.partitions}
        idle_since = time.monotonic()
        while True:
            fetched = await consumer.getmany(*tps.values(), timeout_ms=500, max_records=1000)
            if not fetched:
                await self._commit(caught_up=True)
                if time.monotonic() - idle_since >= _STALL_CHECK_S:
                    await self._check_not_stalled(consumer, tps)
                    idle_since = time.monotonic()
                continue
            idle_since = time.monotonic()
            group: list[EventBatch] = []
            read_to: dict[int, int] = {}  # partition -> offset after the last record looked at
            for tp, messages in fetched.items():
                for message in messages:
                    if message.offset < self.next_offset[tp.partition]:
                        continue  # fetched before a rewind's seek
                    decoded = decode_events(message.value)
                    after = self.position.get(decoded.symbol)
                    if after is not None and decoded.last_seq > after:
                        if decoded.first_seq > after + 1 and tp.partition not in self.rewound:
                            self._rewind(consumer, tp, decoded.symbol, after, decoded.first_seq)
                            read_to.pop(tp.partition, None)  # read again from where the rewind set it
                            break
                        events = decoded.events[decoded.events["seq"] > after]
                        self.position[decoded.symbol] = decoded.last_seq
                        batch = EventBatch(decoded.symbol, decoded.time_ms, events_from_array(events))
                        if not grouped:
                            yield [batch]
                            # the consumer asks for more: the batch's effects are durable
                            self.next_offset[tp.partition] = message.offset + 1
                            await self._commit(caught_up=False)
                            continue
                        group.append(batch)
                    if grouped:
                        read_to[tp.partition] = message.offset + 1
                    else:
                        self.next_offset[tp.partition] = message.offset + 1
            if group:
                yield group
            # the consumer asks for more: the group's effects are durable
            self.next_offset.update(read_to)
            await self._commit(caught_up=False)

    async def _check_not_stalled(self, consumer: AIOKafkaConsumer, tps: dict[int, TopicPartition]) -> None:
        # tansu's end offset is the last record batch's base offset + 1: still beyond
        # next_offset whenever a batch is unread
        ends = await consumer.end_offsets(list(tps.values()))
        behind = {p: ends[tp] for p, tp in tps.items() if ends.get(tp, 0) > self.next_offset[p]}
        if behind:
            self.fetch_wait_ms = min(self.fetch_wait_ms * 2, _MAX_FETCH_WAIT_MS)
            raise _Stalled(f"records up to {behind} are not being fetched (at {self.next_offset})")

    def _rewind(self, consumer: AIOKafkaConsumer, tp: TopicPartition, symbol: str, after: int, first: int) -> None:
        log.info(
            "engine events %s: %s resumes after seq %d but the group's offset leads to seq %d; "
            "reading the partition from the beginning",
            tp,
            symbol,
            after,
            first,
        )
        self.rewound.add(tp.partition)
        self.next_offset[tp.partition] = 0
        consumer.seek(tp, 0)

    async def _connect(self) -> AIOKafkaConsumer:
        source = self.source
        # create the topic with the shard count before a metadata request could auto-create it
        topics = KafkaLog(source._bootstrap, source._partitions, source._prefix, client_id=source._client_id)
        try:
            await topics.ensure_topics(EVENTS_TOPIC)
        finally:
            await topics.close()
        consumer = AIOKafkaConsumer(
            bootstrap_servers=source._bootstrap,
            group_id=source._group_id,
            client_id=source._client_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",  # below the log start (retention): the oldest kept
            fetch_max_wait_ms=self.fetch_wait_ms,
            request_timeout_ms=10_000,
            isolation_level="read_uncommitted",  # no transactions on these topics
        )
        self.consumer = consumer
        await consumer.start()
        tps = [TopicPartition(source.topic, p) for p in self.partitions]
        consumer.assign(tps)
        for tp in tps:
            offset = self.next_offset.get(tp.partition)
            if offset is None:
                offset = await self._start_offset(consumer, tp)
                self.next_offset[tp.partition] = offset
            consumer.seek(tp, offset)
        return consumer

    async def _start_offset(self, consumer: AIOKafkaConsumer, tp: TopicPartition) -> int:
        committed = await consumer.committed(tp)
        if committed is not None:
            self.committed[tp.partition] = committed
        shard_of = self.source._shard_of
        fresh = [
            s for s, seq in self.position.items() if seq == 0 and (shard_of is None or shard_of[s] == tp.partition)
        ]
        if committed is None or fresh:
            self.rewound.add(tp.partition)
            return 0
        return int(committed)

    async def _commit(self, *, caught_up: bool) -> None:
        consumer = self.consumer
        if consumer is None:
            return
        due = {
            TopicPartition(self.source.topic, p): offset
            for p, offset in self.next_offset.items()
            if offset != self.committed.get(p)
        }
        if not due or (not caught_up and time.monotonic() - self.last_commit < self.source._commit_interval_s):
            return
        await consumer.commit(due)
        self.last_commit = time.monotonic()
        for tp, offset in due.items():
            self.committed[tp.partition] = offset

    async def close(self) -> None:
        consumer, self.consumer = self.consumer, None
        if consumer is not None:
            try:
                await consumer.stop()
            except (KafkaError, OSError):
                pass
            except asyncio.CancelledError:
                # aiokafka's stop() can raise the CancelledError of a task of its own that it
                # cancelled (aio-libs/aiokafka#647), seen while the broker was away: taken for
                # ours, it ended trade processing's settlement loop, and with it the service.
                reraise_if_cancelled()
                log.warning("engine events: the consumer's stop raised a stray CancelledError; ignored")
