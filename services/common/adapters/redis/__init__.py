"""Redis adapters (redis-py asyncio; ElastiCache in production): book snapshots, rate-limit
counters shared by edge replicas, market-data views and WebSocket fan-out.

Every adapter takes a URL and a key prefix (`Config.namespace` + ":"), opens its client with
`open_client` and turns outages into `Unavailable` with `unavailable_on_outage`. Keys, TTLs and
what Redis loss costs are in docs/redis.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import redis.asyncio as aredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import (
    AuthenticationError,
    AuthorizationError,
    ClusterDownError,
    ConnectionError,
    OutOfMemoryError,
    ReadOnlyError,
    TimeoutError,
    TryAgainError,
)

from services.common.ports import Unavailable

# Errors meaning "Redis cannot do this now; nothing happened": down, unreachable, loading its
# dataset after a restart, a replica mid-failover (read-only), full. A wrong password is a
# ConnectionError too, but it is a configuration mistake that waiting will not fix.
UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (
    ConnectionError,
    TimeoutError,
    ReadOnlyError,
    ClusterDownError,
    TryAgainError,
    OutOfMemoryError,
)


@contextmanager
def unavailable_on_outage(what: str) -> Iterator[None]:
    """Re-raise an outage inside the block as the ports' `Unavailable`."""
    try:
        yield
    except UNAVAILABLE_ERRORS as error:
        if isinstance(error, AuthenticationError | AuthorizationError):
            raise
        raise Unavailable(f"redis unavailable ({what}): {error}") from error


def open_client(url: str, *, socket_timeout: float, connect_timeout: float = 2.0) -> aredis.Redis:
    """A pooled client that fails fast. redis-py's default retries ten times with backoff (up
    to seconds) before giving up; callers here would rather answer UNAVAILABLE / 503 at once.
    One retry remains so that a pooled connection Redis closed (restart, idle timeout) is
    replaced transparently instead of failing the first request after it."""
    return aredis.Redis.from_url(
        url,
        socket_timeout=socket_timeout,
        socket_connect_timeout=connect_timeout,
        retry=Retry(NoBackoff(), 1),
        health_check_interval=30,
    )
