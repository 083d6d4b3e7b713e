"""Fixtures that yield each port's implementations (one parameter per backend)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from services.common.ports import Ledger, Log, SnapshotStore
from tests.contract.backends import BACKENDS, Backend, Opener, backend_ports, stop_kafka, stop_moto
from tests.contract.processes import Child, Spawn

_PORT_FIXTURES = ("log", "ledger", "snapshots")
_PORT_MODULES = (("test_log", "log"), ("test_ledger", "ledger"), ("test_snapshot", "snapshots"))


def _ports_used(item: pytest.Item) -> set[str]:
    """The ports a test exercises: its port fixtures, else (tests that open stores through
    `backend`) its module's port."""
    used = set(_PORT_FIXTURES) & set(getattr(item, "fixturenames", ()))
    if not used:
        stem = item.path.stem
        used = {port for prefix, port in _PORT_MODULES if stem.startswith(prefix)}
    return used


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect (backend, test) pairs where the backend does not implement the test's port
    (the kafka backend implements the Log port only)."""
    kept, dropped = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        name = callspec.params.get("backend") if callspec is not None else None
        ports = backend_ports(name) if name in BACKENDS else None
        (dropped if ports is not None and not _ports_used(item) <= ports else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(scope="session", autouse=True)
def tansu() -> Iterator[None]:
    """The local Kafka broker (tansu on 127.0.0.1) of the kafka backend: started on first use
    by `backends.kafka_bootstrap` (a failure to start fails the test, never skips it), stopped here."""
    yield
    stop_kafka()


@pytest.fixture(scope="session", autouse=True)
def moto_server() -> Iterator[None]:
    """The local DynamoDB (moto in server mode on 127.0.0.1) of the dynamodb backend: started on
    first use by `backends.moto_endpoint` (a failure to start fails the test, never skips it), stopped here."""
    yield
    stop_moto()


@pytest.fixture(params=sorted(BACKENDS))
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    return BACKENDS[request.param](tmp_path)


@pytest.fixture
async def log(backend: Backend) -> AsyncIterator[Log]:
    opened: Log = backend.log()()
    yield opened
    await opened.close()


@pytest.fixture
async def ledger(backend: Backend) -> AsyncIterator[Ledger]:
    opened: Ledger = backend.ledger()()
    yield opened
    await opened.close()


@pytest.fixture
async def snapshots(backend: Backend) -> AsyncIterator[SnapshotStore]:
    opened: SnapshotStore = backend.snapshots()()
    yield opened
    close = getattr(opened, "close", None)  # not in the port (yet); adapters holding connections have it
    if close is not None:
        await close()


@pytest.fixture
async def spawn() -> AsyncIterator[Spawn]:
    """Start child processes (see processes.py); any still running at the end is killed."""
    started: list[Child] = []

    async def start(scenario: str, opener: Opener, *args: object) -> Child:
        child = await Child.start(scenario, opener, *args)
        started.append(child)
        return child

    yield start
    for child in started:
        await child.kill()
