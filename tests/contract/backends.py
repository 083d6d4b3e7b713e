"""The implementations the contract suites run against, and how to open them in any process.

A backend hands out `Opener`s rather than opened stores: the crash and concurrency tests
open the same store in child processes, so an opener must travel as plain JSON.
To add a backend (Redis/Kafka/DynamoDB), add a class with the same three methods to
`BACKENDS`; every suite then runs against it too. Tests must only use the ports' methods.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol


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

    def _dir(self, namespace: str, leaf: str) -> str:
        return str(self.root / namespace / leaf)


# name -> how to make the backend for one test, given the test's temporary directory
BACKENDS: dict[str, Callable[[Path], Backend]] = {"embedded": EmbeddedBackend}
