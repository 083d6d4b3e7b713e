"""The boto3 DynamoDB client every DynamoDB adapter uses, and the mapping of its errors.

One boto3 Session per process: a Session loads the service's JSON model when it makes its
first client (~70 ms), so a fresh Session per store would cost that on every open (the
contract suites open hundreds of stores). Sessions are not thread-safe, hence the lock;
the clients themselves are.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import boto3
import botocore.config
import botocore.exceptions

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
