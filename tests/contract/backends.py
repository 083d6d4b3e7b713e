"""The implementations the contract suites run against, and how to open them in any process.

A backend hands out `Opener`s rather than opened stores: the crash and concurrency tests
open the same store in child processes, so an opener must travel as plain JSON.
Two backends, and every port suite runs against both: "embedded" (SQLite files and fsync'd
logs under the test's directory) and "real" (Kafka, DynamoDB and Redis servers over real
connections). Tests must only use the ports' methods.

The real servers: $SPOTEX_KAFKA_BOOTSTRAP / $SPOTEX_DYNAMODB_ENDPOINT / $SPOTEX_REDIS_URL when
set (CI starts them once, see services/devservers.py), else a tansu broker and a moto server
started here on first use and stopped at the end of the session, and the Redis on
127.0.0.1:6379. A server that cannot be reached fails the test, never skips it.
"""

from __future__ import annotations

import importlib
import json
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol


@dataclass(frozen=True)
class Opener:
    """An importable factory (`package.module:name`) and its keyword arguments."""

    factory: str
    kwargs: dict[str, str] = field(default_factory=dict)

    def __call__(self) -> Any:
        module, _, name = self.factory.partition(":")
        return getattr(importlib.import_module(module), name)(**self.kwargs)

    def to_json(self) -> str:
        return json.dumps({"factory": self.factory, "kwargs": self.kwargs})

    @classmethod
    def from_json(cls, text: str) -> Opener:
        return cls(**json.loads(text))


class Backend(Protocol):
    """Stores of one kind; each `namespace` is a separate, initially empty store."""

    def log(self, namespace: str = "main") -> Opener: ...

    def ledger(self, namespace: str = "main") -> Opener: ...

    def snapshots(self, namespace: str = "main") -> Opener: ...

    def users(self, namespace: str = "main") -> Opener: ...


@dataclass(frozen=True)
class EmbeddedBackend:
    root: Path

    def log(self, namespace: str = "main") -> Opener:
        return Opener("services.common.adapters.embedded.log:SqliteLog", {"directory": self._dir(namespace, "log")})

    def ledger(self, namespace: str = "main") -> Opener:
        return Opener(
            "services.common.adapters.embedded.ledger:SqliteLedger", {"path": self._dir(namespace, "ledger.sqlite")}
        )

    def snapshots(self, namespace: str = "main") -> Opener:
        return Opener(
            "services.common.adapters.embedded.snapshots:FileSnapshotStore",
            {"directory": self._dir(namespace, "snapshots")},
        )

    def users(self, namespace: str = "main") -> Opener:
        return Opener(
            "services.common.adapters.embedded.users:SqliteUserStore", {"path": self._dir(namespace, "users.sqlite")}
        )

    def _dir(self, namespace: str, leaf: str) -> str:
        return str(self.root / namespace / leaf)


@dataclass(frozen=True)
class RealBackend:
    """The production adapters: Log on Kafka, Ledger and UserStore on DynamoDB, SnapshotStore on
    Redis. Each backend (one per test) is a fresh, empty store of every kind: its topics,
    tables and keys carry a unique prefix (`run`), each namespace another one."""

    root: Path
    kafka: str
    dynamodb: str
    redis: str
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    # The real servers are one to two orders of magnitude slower than the embedded stores
    # (moto: a few ms a request): suites that repeat an operation thousands of times scale down
    # with `repeat` unless $SPOTEX_CONTRACT_FULL=1.
    slow: ClassVar[bool] = True

    @classmethod
    def for_test(cls, root: Path) -> RealBackend:
        from tests.servers import real_servers

        servers = real_servers()  # the session's; fails (never skips) if one cannot be reached
        return cls(root, servers.kafka_bootstrap, servers.dynamodb_endpoint, servers.redis_url)

    def log(self, namespace: str = "main") -> Opener:
        return Opener(
            "services.common.adapters.kafka.log:KafkaLog",
            {"bootstrap_servers": self.kafka, "partitions": "8", "topic_prefix": f"t{self.run}.{namespace}."},
        )

    def ledger(self, namespace: str = "main") -> Opener:
        return Opener(
            "services.common.adapters.dynamodb.ledger:DynamoLedger",
            {"endpoint_url": self.dynamodb, "table_prefix": f"t{self.run}-{namespace}-"},
        )

    def users(self, namespace: str = "main") -> Opener:
        return Opener(
            "services.common.adapters.dynamodb.users:DynamoUserStore",
            {"endpoint_url": self.dynamodb, "table_prefix": f"t{self.run}-{namespace}-"},
        )

    def snapshots(self, namespace: str = "main") -> Opener:
        return Opener(
            "services.common.adapters.redis.snapshots:RedisSnapshotStore",
            {"url": self.redis, "prefix": f"t{self.run}.{namespace}."},
        )


def repeat(backend: Backend, count: int, slow_count: int) -> int:
    """How many times a suite repeats something: `count`, or `slow_count` on a slow backend
    (unless $SPOTEX_CONTRACT_FULL=1, e.g. in a nightly run)."""
    if getattr(backend, "slow", False) and os.environ.get("SPOTEX_CONTRACT_FULL") != "1":
        return slow_count
    return count


# name -> how to make the backend for one test, given the test's temporary directory
BACKENDS: dict[str, Callable[[Path], Backend]] = {"embedded": EmbeddedBackend, "real": RealBackend.for_test}
