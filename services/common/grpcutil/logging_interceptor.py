"""One structured access-log line per call: method, outcome, duration, peer.

The order path's own calls (one per order, or per batch of orders) succeed thousands of times a
second; a line each cost the order service ~4% of its CPU. Those succeed at DEBUG, unless
slow; their failures, and every call of every other method, stay at INFO (or ERROR). Their
counts and latencies are in the Prometheus metrics either way (metrics_interceptor).
"""

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
_HOT_PATH = frozenset({
    "/exchange.v1.OrderService/PlaceOrder",
    "/exchange.v1.OrderService/PlaceOrders",
    "/exchange.v1.OrderService/CancelOrder",
    "/exchange.v1.OrderService/CancelOrders",
    "/exchange.v1.UserService/Authenticate",
})
_SLOW_S = 0.25  # a hot-path call this slow is logged at INFO even when it succeeds


class AccessLogInterceptor(ScopedInterceptor):
    @asynccontextmanager
    async def scope(self, method: str, context: Any) -> AsyncIterator[None]:
        started = time.perf_counter()
        # Read now, while the call is alive: a streaming call the client cancelled may be freed by
        # grpc's core before its generator's `finally` runs here, and context.peer() then reads
        # freed memory (it crashed market data with SIGSEGV, in Subscribe, under load).
        peer = context.peer()
        failure: BaseException | None = None
        try:
            yield
        except BaseException as exc:
            failure = exc
            raise
        finally:
            code = call_code(context, failure)
            elapsed = time.perf_counter() - started
            if code is grpc.StatusCode.INTERNAL:
                level = logging.ERROR
            elif method.startswith(_PROBES) or _quiet_success(method, code, elapsed):
                level = logging.DEBUG  # a kubelet probe every few seconds would drown the rest
            else:
                level = logging.INFO
            if _log.isEnabledFor(level):
                _log.log(
                    level,
                    "rpc",
                    extra={
                        "method": method,
                        "code": code.name,
                        "duration_ms": round(elapsed * 1000, 3),
                        "peer": peer,
                    },
                )


def _quiet_success(method: str, code: grpc.StatusCode, elapsed_s: float) -> bool:
    return method in _HOT_PATH and code is grpc.StatusCode.OK and elapsed_s < _SLOW_S
