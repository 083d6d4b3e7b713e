"""Fixed-window rate-limit counters in Redis, shared by every edge replica (Binance's limits:
request weight per IP per minute with a ban for IPs that keep going, orders per account per
10 s and per day). edge/ratelimit.py's `SharedRateLimiter` turns them into the edge's
`RateLimiter` port; the rules are the in-memory limiter's, so both pass one test suite.

Each check is one Lua script, so it costs one round trip and is atomic: two replicas charging
one IP at once can never both slip under the limit, and a refused order is not counted.
The checks of concurrent requests travel together: those made while a round trip is in flight
go out as the next pipeline (group commit), so under load one round trip and one socket
write/read serve many requests; redis-py spends far more CPU per separate command than Redis
does (see docs/redis.md for the figures).
Windows are keyed by their start (`...:w:<minute start ms>`), so a window's count is right
whatever the key's TTL; TTLs only collect keys once their window is over. The caller passes
the time (the edge's clock, NTP-synced across replicas): a replica skewed by d ms counts into
the neighbouring window for d ms around each boundary, nothing worse.

Keys (all of one IP or account share a `{hash tag}`, so a script touches one cluster slot):
  <prefix>rl:{ip:<ip>}:w:<minute start>       weight used in that minute      TTL ~2 min
  <prefix>rl:{ip:<ip>}:s:<minute start>       429s answered in that minute    TTL ~2 min
  <prefix>rl:{ip:<ip>}:ban                    hash {until, bans}              TTL ban + 2 min idle
  <prefix>rl:{acct:<id>}:o10s:<10 s start>    orders in that 10 s window      TTL ~20 s
  <prefix>rl:{acct:<id>}:o1d:<day start>      orders in that UTC day          TTL ~2 days
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aredis
from redis.exceptions import NoScriptError

from services.common.adapters.redis import open_client, unavailable_on_outage

MINUTE_MS = 60_000
TEN_SECONDS_MS = 10_000
DAY_MS = 86_400_000
# An IP's ban history lives as long as the IP stays active and for this long after (its ban
# over and it idle), like the in-memory limiter, which forgets an IP idle for a whole minute.
IDLE_MS = 2 * MINUTE_MS

# KEYS: weight, strikes, ban. ARGV: now, weight, limit, strikes before ban, first ban ms,
# max ban ms, window key ttl ms, idle ms. Returns {used, banned_until (0 = not banned), refused}.
_CHARGE = """
local now = tonumber(ARGV[1])
local ban = redis.call('HMGET', KEYS[3], 'until', 'bans')
local banned_until = tonumber(ban[1]) or 0
if banned_until > now then
  return {tonumber(redis.call('GET', KEYS[1]) or '0'), ban[1], 0}
end
local weight = tonumber(ARGV[2])
local used = redis.call('INCRBY', KEYS[1], weight)
if used == weight then redis.call('PEXPIRE', KEYS[1], ARGV[7]) end
local idle = tonumber(ARGV[8])
if ban[2] then redis.call('PEXPIRE', KEYS[3], math.max(banned_until - now, 0) + idle) end
if used <= tonumber(ARGV[3]) then return {used, 0, 0} end
-- Refused requests stay counted, as on Binance: hammering keeps the window full.
local strikes = redis.call('INCR', KEYS[2])
if strikes == 1 then redis.call('PEXPIRE', KEYS[2], ARGV[7]) end
if strikes <= tonumber(ARGV[4]) then return {used, 0, 1} end
local bans = tonumber(ban[2]) or 0
local ban_ms = math.min(tonumber(ARGV[5]) * 2 ^ bans, tonumber(ARGV[6]))
local until_ms = string.format('%d', now + ban_ms)
redis.call('HSET', KEYS[3], 'until', until_ms, 'bans', bans + 1)
redis.call('PEXPIRE', KEYS[3], string.format('%d', ban_ms + idle))
return {used, until_ms, 1}
"""

# KEYS: 10 s window, day window. ARGV: per 10 s, per day, 10 s key ttl, day key ttl.
# Returns {count 10 s, count day, refused by: 0 none, 1 the 10 s window, 2 the day}.
_COUNT_ORDER = """
local ten = tonumber(redis.call('GET', KEYS[1]) or '0')
local day = tonumber(redis.call('GET', KEYS[2]) or '0')
if ten >= tonumber(ARGV[1]) then return {ten, day, 1} end
if day >= tonumber(ARGV[2]) then return {ten, day, 2} end
ten = redis.call('INCR', KEYS[1])
if ten == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
day = redis.call('INCR', KEYS[2])
if day == 1 then redis.call('PEXPIRE', KEYS[2], ARGV[4]) end
return {ten, day, 0}
"""


@dataclass(frozen=True, slots=True)
class WeightCharge:
    used: int  # weight used in the current minute, this request included
    refused: bool  # over the limit (429, or 418 when banned_until_ms is set)
    banned_until_ms: int = 0


@dataclass(frozen=True, slots=True)
class OrderCount:
    count_10s: int
    count_1d: int
    refused_by: str = ""  # "", "10s" or "1d": the window at its limit (the order was not counted)


@dataclass(frozen=True, slots=True)
class WeightRules:
    per_minute: int
    strikes_before_ban: int  # 429s within a minute before the IP is banned
    first_ban_ms: int  # each further ban lasts twice the previous one ...
    max_ban_ms: int  # ... up to this


class RedisRateCounters:
    def __init__(self, url: str, prefix: str, socket_timeout: float = 0.5) -> None:
        # A short timeout: the check sits in front of every request, and a hung Redis must not
        # hold requests longer than this (the edge then decides: fall back or answer 503).
        self._redis = open_client(url, socket_timeout=socket_timeout, connect_timeout=socket_timeout)
        self._prefix = prefix
        self._batches = _Pipeliner(self._redis)

    async def charge_weight(self, ip: str, weight: int, now_ms: int, rules: WeightRules) -> WeightCharge:
        tag = f"{self._prefix}rl:{{ip:{ip}}}"
        minute = now_ms - now_ms % MINUTE_MS
        with unavailable_on_outage("rate limit"):
            used, banned_until, refused = await self._batches.script(
                _CHARGE,
                [f"{tag}:w:{minute}", f"{tag}:s:{minute}", f"{tag}:ban"],
                [
                    now_ms, weight, rules.per_minute, rules.strikes_before_ban, rules.first_ban_ms,
                    rules.max_ban_ms, 2 * MINUTE_MS, IDLE_MS,
                ],
            )  # fmt: skip
        return WeightCharge(int(used), bool(refused), int(banned_until))

    async def count_order(self, account: int, now_ms: int, per_10s: int, per_day: int) -> OrderCount:
        with unavailable_on_outage("order count"):
            ten, day, refused_by = await self._batches.script(
                _COUNT_ORDER, self._order_keys(account, now_ms), [per_10s, per_day, 2 * TEN_SECONDS_MS, 2 * DAY_MS]
            )
        return OrderCount(int(ten), int(day), ("", "10s", "1d")[int(refused_by)])

    async def order_counts(self, account: int, now_ms: int) -> OrderCount:
        with unavailable_on_outage("order count"):
            ten, day = await self._batches.command("MGET", *self._order_keys(account, now_ms))
        return OrderCount(int(ten or 0), int(day or 0))

    async def close(self) -> None:
        await self._batches.close()
        await self._redis.aclose()

    def _order_keys(self, account: int, now_ms: int) -> list[str]:
        tag = f"{self._prefix}rl:{{acct:{account}}}"
        return [f"{tag}:o10s:{now_ms - now_ms % TEN_SECONDS_MS}", f"{tag}:o1d:{now_ms - now_ms % DAY_MS}"]


class _Pipeliner:
    """Sends the commands of concurrent callers as pipelines, one round trip in flight at a
    time: commands queued while a pipeline is out go in the next one, so batches grow with
    load and an idle caller waits for one round trip only. Scripts go as EVALSHA; Redis
    forgets them on a restart or failover, so a NOSCRIPT answer (the script did not run) loads
    them and sends those commands again."""

    def __init__(self, redis: aredis.Redis) -> None:
        self._redis = redis
        self._queued: list[tuple[tuple[Any, ...], asyncio.Future[Any]]] = []
        self._sender: asyncio.Task[None] | None = None
        self._sources: dict[str, str] = {}  # sha1 -> Lua source

    async def script(self, source: str, keys: Sequence[str], args: Sequence[int]) -> Any:
        sha = hashlib.sha1(source.encode()).hexdigest()
        self._sources.setdefault(sha, source)
        return await self.command("EVALSHA", sha, len(keys), *keys, *args)

    async def command(self, *command: Any) -> Any:
        done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queued.append((command, done))
        if self._sender is None:
            self._sender = asyncio.create_task(self._send_queued(), name="redis-pipeliner")
        return await done

    async def close(self) -> None:
        if self._sender is not None:
            await asyncio.gather(self._sender, return_exceptions=True)

    async def _send_queued(self) -> None:
        batch: list[tuple[tuple[Any, ...], asyncio.Future[Any]]] = []
        try:
            while self._queued:
                batch, self._queued = self._queued, []
                try:
                    replies = await self._execute([command for command, _ in batch])
                except Exception as error:  # every caller of the batch gets the failure
                    replies = [error] * len(batch)
                for (_, done), reply in zip(batch, replies, strict=True):
                    if done.done():  # the caller gave up (cancelled)
                        continue
                    if isinstance(reply, Exception):
                        done.set_exception(reply)
                    else:
                        done.set_result(reply)
        finally:
            self._sender = None
            for _, done in batch + self._queued:  # only if cancelled itself (the loop is closing)
                done.cancel()

    async def _execute(self, commands: list[tuple[Any, ...]]) -> list[Any]:
        replies = await self._pipeline(commands)
        missing = [i for i, reply in enumerate(replies) if isinstance(reply, NoScriptError)]
        if missing:
            for sha in {commands[i][1] for i in missing}:
                await self._redis.script_load(self._sources[sha])
            for i, reply in zip(missing, await self._pipeline([commands[i] for i in missing]), strict=True):
                replies[i] = reply
        return replies

    async def _pipeline(self, commands: list[tuple[Any, ...]]) -> list[Any]:
        async with self._redis.pipeline(transaction=False) as pipe:
            for command in commands:
                pipe.execute_command(*command)
            replies: list[Any] = await pipe.execute(raise_on_error=False)
        return replies
