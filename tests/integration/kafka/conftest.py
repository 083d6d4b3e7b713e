"""Kafka integration tests: the session's broker (tests/servers.py: the one $SPOTEX_KAFKA_BOOTSTRAP
names, else a local tansu started on first use; fails, never skips, if it cannot), one fresh
topic prefix per test."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from services.common.adapters.kafka.log import KafkaLog
from tests.servers import real_servers


@pytest.fixture
def bootstrap() -> str:
    return real_servers().kafka_bootstrap


@pytest.fixture
def prefix() -> str:
    return f"t{uuid.uuid4().hex[:12]}."


@pytest.fixture
async def kafka_log(bootstrap: str, prefix: str) -> AsyncIterator[KafkaLog]:
    log = KafkaLog(bootstrap, 2, prefix)
    yield log
    await log.close()
