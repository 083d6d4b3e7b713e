"""Prometheus RED metrics per method, named as go-grpc-prometheus names them, so the usual
gRPC dashboards and alerts work unchanged:

    grpc_server_started_total{grpc_service, grpc_method}
    grpc_server_handled_total{grpc_service, grpc_method, grpc_code}
    grpc_server_handling_seconds{grpc_service, grpc_method}   (histogram)
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from prometheus_client import Counter, Histogram, start_http_server

from services.common.grpcutil._handlers import ScopedInterceptor
from services.common.grpcutil.outcome import call_code

# Module-level: the default registry refuses a second metric of the same name, and every
# server in the process shares these (the labels say which service a sample is from).
STARTED = Counter("grpc_server_started_total", "RPCs started on the server.", ["grpc_service", "grpc_method"])
HANDLED = Counter(
    "grpc_server_handled_total", "RPCs completed on the server.", ["grpc_service", "grpc_method", "grpc_code"]
)
LATENCY = Histogram(
    "grpc_server_handling_seconds",
    "Time from the start of an RPC to its status.",
    ["grpc_service", "grpc_method"],
    # The order path's budget is single-digit milliseconds per hop (docs/architecture.md);
    # the default buckets start at 5 ms and would hide it.
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


def split_method(method: str) -> tuple[str, str]:
    """'/exchange.v1.UserService/Login' -> ('exchange.v1.UserService', 'Login')."""
    service, _, name = method.lstrip("/").partition("/")
    return service, name


class MetricsInterceptor(ScopedInterceptor):
    @asynccontextmanager
    async def scope(self, method: str, context: Any) -> AsyncIterator[None]:
        service, name = split_method(method)
        STARTED.labels(service, name).inc()
        started = time.perf_counter()
        failure: BaseException | None = None
        try:
            yield
        except BaseException as exc:
            failure = exc
            raise
        finally:
            LATENCY.labels(service, name).observe(time.perf_counter() - started)
            HANDLED.labels(service, name, call_code(context, failure).name).inc()


def start_metrics_server(port: int, host: str) -> Any:
    """Serve /metrics on its own port (a thread), returning the server so it can be shut down.

    Bound to the same interface as the gRPC port: 127.0.0.1 on a laptop, all interfaces in a
    pod (SPOTEX_HOST=0.0.0.0), where the scraper lives outside it."""
    server, _thread = start_http_server(port, addr=host)
    return server
