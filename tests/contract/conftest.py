"""Fixtures that yield each port's implementations (one parameter per backend)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from services.common.ports import Ledger, Log, SnapshotStore, UserStore
from tests.contract.backends import BACKENDS, Backend, Opener
from tests.contract.processes import Child, Spawn


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
async def users(backend: Backend) -> AsyncIterator[UserStore]:
    opened: UserStore = backend.users()()
    yield opened
    await opened.close()


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
