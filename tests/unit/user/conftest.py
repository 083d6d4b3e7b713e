"""Fixtures: the user domain over in-memory fakes (fakes.py) and a settable clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import cast

import pytest

from services.common.ports import Ledger
from services.user.domain import UserDomain
from tests.unit.user.fakes import FAST_HASHER, Clock, MemoryLedger, MemoryUserStore, make_secrets


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store() -> MemoryUserStore:
    return MemoryUserStore()


@pytest.fixture
def ledger() -> MemoryLedger:
    return MemoryLedger()


@pytest.fixture
async def domain(store: MemoryUserStore, ledger: MemoryLedger, clock: Clock) -> AsyncIterator[UserDomain]:
    # the fake ledger implements only the part of the port the user service uses
    users = UserDomain(store, cast(Ledger, ledger), make_secrets(), hasher=FAST_HASHER, clock=clock)
    yield users
    users.close()
