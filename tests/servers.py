"""The real backend set's servers for one test session: Redis, Kafka (tansu) and DynamoDB (moto).

`.ci/run` starts them once and exports SPOTEX_REDIS_URL, SPOTEX_KAFKA_BOOTSTRAP and
SPOTEX_DYNAMODB_ENDPOINT; a developer running pytest directly gets local ones started on first
use and stopped when the session ends (tests/conftest.py). Either way a server that cannot be
reached or started fails the test that needs it: nothing is skipped.
"""

from __future__ import annotations

from services.devservers import DevServers

_servers: DevServers | None = None


def real_servers() -> DevServers:
    global _servers
    if _servers is None or _servers.dead():
        if _servers is not None:
            _servers.stop()
        _servers = DevServers.ensure()
    return _servers


def stop_real_servers() -> None:
    global _servers
    servers, _servers = _servers, None
    if servers is not None:
        servers.stop()
