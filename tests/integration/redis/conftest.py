"""Redis adapters against real redis-server processes: the session's shared one
(tests/servers.py) and, for outages, a private one per test that the test stops and restarts."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis

from services.devservers import RedisServer
from tests.servers import real_servers


@pytest.fixture
def redis_url() -> str:
    return real_servers().redis_url


@pytest.fixture
def prefix(redis_url: str) -> Iterator[str]:
    """A fresh key space per test on the shared server, emptied afterwards."""
    chosen = f"test-{uuid.uuid4().hex[:12]}:"
    yield chosen
    with redis.Redis.from_url(redis_url) as client:
        keys = list(client.scan_iter(match=f"{chosen}*", count=1000))
        if keys:
            client.delete(*keys)


class Restartable:
    """A private redis-server that a test can take down and bring back on the same port."""

    def __init__(self) -> None:
        self.server = RedisServer.start()
        self.url = self.server.url

    def stop(self) -> None:
        self.server.stop()

    def start(self) -> None:
        self.server = RedisServer.start(self.server.port)


@pytest.fixture
def private_redis() -> Iterator[Restartable]:
    server = Restartable()
    yield server
    server.stop()
