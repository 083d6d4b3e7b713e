"""The SnapshotStore port on Redis: each symbol's newest book snapshot in one hash,
`<prefix>snapshot:<symbol>` = {offset: journal offset, data: the book's bytes}, no TTL.

Offset and bytes are written by one HSET, so a reader (or a crash, or a failover) sees the
old pair or the new one, never a mix. A save never replaces a newer snapshot with an older
one: a matching shard that lost its partition to a newer writer (fenced in the journal, but
possibly still running) or a save delayed by a retry must not roll recovery back to a point
the journal may no longer hold. That needs read-compare-write in one atomic step. A Lua
script would do it in one round trip, but Redis would then copy the whole snapshot into Lua
and back while blocking every other client (measured: +0.4-0.5 s per 100 MB, stalling rate
limits and market data on the same Redis); WATCH + MULTI/EXEC costs two extra round trips
(microseconds next to the transfer) and stores the received bytes as they are. Each book has
one writer, so the optimistic retry on a WatchError practically never runs.

Snapshots of a large book are tens of MB: Redis takes values up to `proto-max-bulk-len`
(512 MB by default), and the transfer happens before the command runs, so other clients are
served meanwhile; size ElastiCache memory for one snapshot per symbol. Redis persistence
(AOF/RDB, replicas) decides whether a snapshot survives a Redis crash; losing it costs only
recovery time: the matching shard replays the journal from an older snapshot or from 0.

The transfer runs in a worker thread with redis-py's blocking client, as the file store's
does. The asyncio client would hold the event loop for most of it: it joins the command into
one buffer and the transport copies what the socket does not take at once, so a 64 MB save
stalled the loop (and every book on a matching shard) for 150-300 ms. The blocking client
writes the chunks as they are and releases the GIL in send/recv: the loop stalls ~5 ms, and
the save is twice as fast. A load still holds the GIL for ~100 ms (redis-py's parser copies
the reply once), which only happens at start.
Each call opens its own connection: a shard saves every 50,000 commands and loads once at
start, so a connect (well under 1 ms, a few ms with TLS) is lost in a transfer of megabytes,
and the store holds nothing open between calls, like the file store.
"""

from __future__ import annotations

import asyncio
import logging
from typing import cast

import redis
from redis.backoff import NoBackoff
from redis.exceptions import WatchError
from redis.retry import Retry

from services.common.adapters.redis import unavailable_on_outage

_log = logging.getLogger(__name__)
_READ_SIZE = 1 << 20  # redis-py's 64 KiB reads make loading tens of MB several times slower


class RedisSnapshotStore:
    def __init__(self, url: str, prefix: str, socket_timeout: float = 30.0) -> None:
        self._url = url
        self._prefix = prefix
        self._socket_timeout = socket_timeout  # bounds each read of a transfer, not the transfer

    async def save(self, symbol: str, journal_offset: int, data: bytes) -> None:
        with unavailable_on_outage("save snapshot"):
            await asyncio.to_thread(self._save, self._key(symbol), journal_offset, data)

    async def load(self, symbol: str) -> tuple[int, bytes] | None:
        with unavailable_on_outage("load snapshot"):
            offset, data = await asyncio.to_thread(self._load, self._key(symbol))
        if offset is None or data is None:
            return None
        return int(offset), data

    async def close(self) -> None:
        """Nothing is held open between calls; here so every store closes the same way."""

    def _connect(self) -> redis.Redis:
        # Fail fast, as every adapter here (services.common.adapters.redis.open_client).
        return redis.Redis.from_url(
            self._url,
            socket_timeout=self._socket_timeout,
            socket_connect_timeout=2.0,
            retry=Retry(NoBackoff(), 1),
            socket_read_size=_READ_SIZE,
        )

    def _save(self, key: str, journal_offset: int, data: bytes) -> None:
        with self._connect() as client, client.pipeline(transaction=True) as pipe:
            while True:
                try:
                    pipe.watch(key)
                    current = pipe.hget(key, "offset")
                    if current is not None and int(cast(bytes, current)) > journal_offset:
                        _log.warning(
                            "not replacing snapshot %s at offset %s with an older one (%d)",
                            key, int(cast(bytes, current)), journal_offset,
                        )  # fmt: skip
                        return
                    pipe.multi()
                    pipe.hset(key, mapping={"offset": journal_offset, "data": data})
                    pipe.execute()
                    return
                except WatchError:
                    continue  # another save landed between WATCH and EXEC: compare again

    def _load(self, key: str) -> tuple[bytes | None, bytes | None]:
        with self._connect() as client:
            offset, data = cast(list[bytes | None], client.hmget(key, ["offset", "data"]))  # values are bytes
        return offset, data

    def _key(self, symbol: str) -> str:
        return f"{self._prefix}snapshot:{symbol}"
