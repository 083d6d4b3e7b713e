"""The MarketViewStore port on Redis: market data's views per symbol, at one seq.

Keys, under `<prefix>md:{<symbol>}:` (the braces are a Redis Cluster hash tag: one symbol's keys
share a slot):
    values          hash: seq, and each named value
    map:<name>      hash: integer key -> value (depth: price -> qty, readable with HGETALL)
    list:<name>     list, oldest first, trimmed to its newest n (recent trades)
    series:<name>   sorted set scored by the integer key; members are b"<key>|<value>"

One `write` is one MULTI/EXEC over every symbol it carries: one round trip, and a reader (or a
crash, or a failover) sees each symbol's views before the update or after it, never between.
A Redis Cluster would need one transaction per slot; ElastiCache runs this in cluster mode
disabled (one primary, replicas for failover).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from services.common.adapters.redis import open_client, unavailable_on_outage
from services.common.ports import StoredViews, ViewLayout, ViewUpdate


class RedisMarketViews:
    def __init__(self, url: str, prefix: str, socket_timeout: float = 5.0) -> None:
        self._redis = open_client(url, socket_timeout=socket_timeout)
        self._prefix = prefix

    def _keys(self, symbol: str) -> str:
        return f"{self._prefix}md:{{{symbol}}}:"

    async def write(self, updates: Sequence[ViewUpdate]) -> None:
        with unavailable_on_outage("write market data views"):
            async with self._redis.pipeline(transaction=True) as pipe:
                for update in updates:
                    _queue_update(pipe, self._keys(update.symbol), update)
                await pipe.execute()

    async def read(self, symbol: str, layout: ViewLayout) -> StoredViews | None:
        base = self._keys(symbol)
        with unavailable_on_outage("read market data views"):
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hgetall(base + "values")
                for name in layout.maps:
                    pipe.hgetall(base + "map:" + name)
                for name in layout.lists:
                    pipe.lrange(base + "list:" + name, 0, -1)
                for name in layout.series:
                    pipe.zrange(base + "series:" + name, 0, -1)
                replies = iter(await pipe.execute())
        values: dict[bytes, bytes] = next(replies)
        if b"seq" not in values:
            return None
        maps = {name: {int(k): v for k, v in next(replies).items()} for name in layout.maps}
        lists = {name: list(next(replies)) for name in layout.lists}
        series = {}
        for name in layout.series:
            entries = []
            for member in next(replies):
                key, _, value = member.partition(b"|")
                entries.append((int(key), value))
            series[name] = entries
        return StoredViews(
            int(values[b"seq"]),
            {name: values[name.encode()] for name in layout.values if name.encode() in values},
            maps,
            lists,
            series,
        )

    async def close(self) -> None:
        await self._redis.aclose()


def _queue_update(pipe: Any, base: str, update: ViewUpdate) -> None:
    values_key = base + "values"
    if update.replace:
        pipe.delete(
            values_key,
            *(base + "map:" + n for n in update.maps),
            *(base + "list:" + n for n in update.lists),
            *(base + "series:" + n for n in update.series),
        )
    pipe.hset(values_key, mapping={"seq": update.seq, **update.values})
    for name, changes in update.maps.items():
        key = base + "map:" + name
        sets = {k: v for k, v in changes.items() if v is not None}
        gone = [k for k, v in changes.items() if v is None]
        if sets:
            pipe.hset(key, mapping=sets)
        if gone:
            pipe.hdel(key, *gone)
    for name, (appended, keep) in update.lists.items():
        key = base + "list:" + name
        if keep <= 0:
            pipe.delete(key)
            continue
        if appended:
            pipe.rpush(key, *appended)
        pipe.ltrim(key, -keep, -1)
    for name, series in update.series.items():
        key = base + "series:" + name
        if series.upserts:
            if not update.replace:
                pipe.zremrangebyscore(key, min(series.upserts), max(series.upserts))
            pipe.zadd(key, {b"%d|" % k + v: k for k, v in series.upserts.items()})
        if series.drop_below is not None:
            pipe.zremrangebyscore(key, "-inf", f"({series.drop_below}")
        if series.keep is not None:
            pipe.zremrangebyrank(key, 0, -series.keep - 1)
