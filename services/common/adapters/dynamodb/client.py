"""The boto3 DynamoDB client every DynamoDB adapter uses, and the mapping of its errors.

One boto3 Session per process: a Session loads the service's JSON model when it makes its
first client (~70 ms), so a fresh Session per store would cost that on every open (the
contract suites open hundreds of stores). Sessions are not thread-safe, hence the lock;
the clients themselves are.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import boto3
import botocore.config
import botocore.exceptions

from services.common.adapters.dynamodb.tables import TableNames, check_tables, create_tables
from services.common.ports import Unavailable

T = TypeVar("T")

_session: boto3.session.Session | None = None
_lock = threading.Lock()

# "cannot reach the server": the port's Unavailable (not done, or safe to retry)
CONNECTION_ERRORS = (
    botocore.exceptions.EndpointConnectionError,
    botocore.exceptions.ConnectionClosedError,
    botocore.exceptions.ConnectTimeoutError,
    botocore.exceptions.ReadTimeoutError,
)


def dynamodb_client(endpoint_url: str | None, region: str, pool_size: int) -> Any:
    """`endpoint_url` None means AWS itself (credentials from the environment / instance role);
    a URL means a local server (moto), which takes any credentials, so none are looked for."""
    global _session
    config = botocore.config.Config(
        region_name=region, max_pool_connections=pool_size, retries={"mode": "standard", "max_attempts": 3},
        connect_timeout=5, read_timeout=30,
    )
    kwargs: dict[str, Any] = {"config": config}
    if endpoint_url:
        kwargs["endpoint_url"] = endpoint_url
        kwargs["aws_access_key_id"] = os.environ.get("AWS_ACCESS_KEY_ID", "testing")
        kwargs["aws_secret_access_key"] = os.environ.get("AWS_SECRET_ACCESS_KEY", "testing")
    with _lock:
        if _session is None:
            _session = boto3.session.Session()
        return _session.client("dynamodb", **kwargs)


def guarded(fn: Callable[..., T], *args: Any) -> T:
    """Run one request (on a pool thread), turning "cannot reach the server" into Unavailable."""
    try:
        return fn(*args)
    except CONNECTION_ERRORS as exc:
        raise Unavailable(str(exc)) from exc


class DynamoStore:
    """What every DynamoDB adapter shares: a client, the thread pool its blocking requests run on
    (boto3 is synchronous), and its tables, created at start-up if missing."""

    def __init__(
        self, endpoint_url: str | None, table_prefix: str, region: str, pitr: bool | str, pool_size: int | str,
        tables: Callable[[TableNames], list[dict[str, Any]]], name: str, create: bool | str = True,
    ) -> None:
        """Connects, and creates the tables if missing (`create`) or checks that they are there
        as specified (infrastructure code made them); blocking, so call it at start-up.
        `endpoint_url` None means real AWS (credentials and region from the environment)."""
        size = int(pool_size)
        self._client = dynamodb_client(endpoint_url, region, size)
        self._names = TableNames(table_prefix)
        self._pool = ThreadPoolExecutor(size, thread_name_prefix=name)
        try:
            if create in (True, "1", "true", "True"):
                create_tables(self._client, tables(self._names), pitr=pitr in (True, "1", "true", "True"))
            else:
                check_tables(self._client, tables(self._names))
        except CONNECTION_ERRORS as exc:
            self._pool.shutdown()
            raise Unavailable(str(exc)) from exc
        except BaseException:
            self._pool.shutdown()
            raise

    async def close(self) -> None:
        await asyncio.to_thread(self._pool.shutdown)
        self._client.close()

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, guarded, fn, *args)
