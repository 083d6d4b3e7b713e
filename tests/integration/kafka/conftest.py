"""Kafka integration tests: the session's tansu broker (tests/contract/backends.py starts it on
first use and fails, never skips, if it cannot), one fresh topic prefix per test."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from services.common.adapters.kafka.log import KafkaLog
from tests.contract.backends import kafka_bootstrap, stop_kafka


@pytest.fixture(scope="session", autouse=True)
def tansu() -> Iterator[None]:
    yield
    stop_kafka()


@pytest.fixture
def bootstrap() -> str:
    return kafka_bootstrap()


@pytest.fixture
def prefix() -> str:
    return f"t{uuid.uuid4().hex[:12]}."


@pytest.fixture
async def kafka_log(bootstrap: str, prefix: str) -> AsyncIterator[KafkaLog]:
    log = KafkaLog(bootstrap, 2, prefix)
    yield log
    await log.close()
