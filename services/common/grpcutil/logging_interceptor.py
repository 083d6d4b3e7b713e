"""One structured access-log line per call: method, outcome, duration, peer."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import grpc

from services.common.grpcutil._handlers import ScopedInterceptor
from services.common.grpcutil.outcome import call_code

_log = logging.getLogger("spotex.grpc.access")
_PROBES = ("/grpc.health.v1.Health/", "/grpc.reflection.")


class AccessLogInterceptor(ScopedInterceptor):
    @asynccontextmanager
    async def scope(self, method: str, context: Any) -> AsyncIterator[None]:
        started = time.perf_counter()
        failure: BaseException | None = None
        try:
            yield
        except BaseException as exc:
            failure = exc
            raise
        finally:
            code = call_code(context, failure)
            if code is grpc.StatusCode.INTERNAL:
                level = logging.ERROR
            elif method.startswith(_PROBES):  # a kubelet probe every few seconds would drown the rest
                level = logging.DEBUG
            else:
                level = logging.INFO
            _log.log(
                level,
                "rpc",
                extra={
                    "method": method,
                    "code": code.name,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                    "peer": context.peer(),
                },
            )
