"""The user service on a free port of 127.0.0.1, over the embedded stores, and a stub to it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
from argon2 import PasswordHasher

from exchange.v1 import user_pb2_grpc
from services.common.adapters.embedded.ledger import SqliteLedger
from services.common.adapters.embedded.users import SqliteUserStore
from services.common.config import Config, Secrets
from services.common.grpcutil.server import RunningServer, start_server
from services.user.domain import UserDomain
from services.user.main import error_table, user_service


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return Config(data_dir=tmp_path)


@pytest.fixture
def secrets(config: Config) -> Secrets:
    return config.secrets()


@pytest.fixture
async def server(config: Config, secrets: Secrets) -> AsyncIterator[RunningServer]:
    store = SqliteUserStore(config.data_dir / "users.sqlite")
    ledger = SqliteLedger(config.data_dir / "ledger.sqlite")
    # argon2 at its minimum cost: these tests are about the wire, not the hash's strength
    domain = UserDomain(store, ledger, secrets, hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    running = await start_server([user_service(domain)], 0, errors=error_table(config))
    yield running
    await running.stop(grace=1.0)
    domain.close()
    await ledger.close()
    await store.close()


@pytest.fixture
async def channel(server: RunningServer) -> AsyncIterator[grpc.aio.Channel]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as opened:
        yield opened


@pytest.fixture
def users(channel: grpc.aio.Channel) -> user_pb2_grpc.UserServiceStub:
    return user_pb2_grpc.UserServiceStub(channel)
