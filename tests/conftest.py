from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.servers import stop_real_servers


@pytest.fixture(scope="session", autouse=True)
def _real_servers_stop_with_the_session() -> Iterator[None]:
    """Servers started on first use (tests/servers.py) end with the run; named ones are left alone."""
    yield
    stop_real_servers()
