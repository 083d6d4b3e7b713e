"""Every service's gRPC server: the same interceptors, health, reflection and shutdown.

    await serve([Service(descriptor, servicer, add_XServicer_to_server)], port, errors=TABLE)

Interceptors run outermost first: the access log and metrics see the final status (including
one set by the inner ones), the deadline scope is set before the handler runs, and the error
mapping is innermost so everything outside it sees a proper status instead of an exception.

Shutdown (SIGTERM from Kubernetes, Ctrl-C, or the serving task cancelled): health turns NOT_SERVING first, so balancers
stop sending new calls, then `server.stop(grace)` refuses new calls and lets in-flight ones
finish for up to `grace` seconds before cancelling them.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import grpc
from google.protobuf.descriptor import ServiceDescriptor
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from services.common.grpcutil.deadline_interceptor import DeadlineServerInterceptor
from services.common.grpcutil.error_interceptor import ErrorMappingInterceptor
from services.common.grpcutil.errors import ErrorTable
from services.common.grpcutil.logging_interceptor import AccessLogInterceptor
from services.common.grpcutil.metrics_interceptor import MetricsInterceptor, start_metrics_server

_log = logging.getLogger("spotex.grpc.server")

# Clients (channel.connect) ping every 20 s even when idle; without this the server would
# answer their pings with GOAWAY "too_many_pings".
_SERVER_OPTIONS = (
    # gRPC sets SO_REUSEPORT by default: a second server on a port in use (a stale process, a
    # second `make run`, two services handed one port) would bind too, and the kernel would then
    # split new connections between them, silently. A port in use must fail to bind instead.
    ("grpc.so_reuseport", 0),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.min_ping_interval_without_data_ms", 10_000),
)


@dataclass(frozen=True)
class Service:
    """A servicer with what is needed to register it: its descriptor (for health and
    reflection) and the generated `add_<Name>Servicer_to_server` function."""

    descriptor: ServiceDescriptor
    servicer: object
    register: Callable[[Any, Any], None]

    @property
    def name(self) -> str:
        return str(self.descriptor.full_name)


@dataclass
class RunningServer:
    server: Any  # grpc.aio.Server
    port: int  # the bound port (useful when asked for port 0)
    health: health.aio.HealthServicer
    service_names: Sequence[str]
    metrics_server: Any = None
    _stopped: bool = field(default=False, repr=False)

    async def stop(self, grace: float) -> None:
        if self._stopped:
            return
        self._stopped = True
        _log.info("draining", extra={"grace_s": grace})
        await self.health.enter_graceful_shutdown()  # every service NOT_SERVING from now on
        await self.server.stop(grace)
        if self.metrics_server is not None:
            # shutdown() blocks until the HTTP thread notices (up to its 0.5 s poll)
            await asyncio.to_thread(self.metrics_server.shutdown)
            self.metrics_server.server_close()
        _log.info("stopped")


async def start_server(
    services: Sequence[Service],
    port: int,
    *,
    host: str = "127.0.0.1",
    errors: ErrorTable | None = None,
    metrics_port: int | None = None,
) -> RunningServer:
    """Start serving on host:port (0 = any free port) and return at once."""
    server = grpc.aio.server(
        interceptors=[
            AccessLogInterceptor(),
            MetricsInterceptor(),
            DeadlineServerInterceptor(),
            ErrorMappingInterceptor(errors),
        ],
        options=_SERVER_OPTIONS,
    )
    for service in services:
        service.register(service.servicer, server)

    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    names = [s.name for s in services]
    reflection.enable_server_reflection(
        [*names, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME], server
    )

    try:
        bound = server.add_insecure_port(f"{host}:{port}")
    except RuntimeError:  # what grpc raises when the port is taken
        bound = 0
    if bound == 0:
        raise OSError(f"cannot bind {host}:{port} (in use?)")
    await server.start()
    for name in ["", *names]:  # "" = the server as a whole, what most probes ask for
        await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    metrics = start_metrics_server(metrics_port, host) if metrics_port is not None else None
    _log.info("serving", extra={"address": f"{host}:{bound}", "services": names, "metrics_port": metrics_port})
    return RunningServer(server, bound, health_servicer, names, metrics)


async def serve(
    services: Sequence[Service],
    port: int,
    *,
    host: str = "127.0.0.1",
    errors: ErrorTable | None = None,
    metrics_port: int | None = None,
    grace: float = 10.0,
    stop_on_signals: bool = True,
) -> None:
    """Serve until SIGTERM or SIGINT (or until cancelled), then drain in-flight calls for up
    to `grace` seconds.

    A process running several services (services/common/process.py) handles the signals once
    and cancels each service; those pass stop_on_signals=False, since a loop has only one
    handler per signal and the last service to install one would silently take it."""
    running = await start_server(services, port, host=host, errors=errors, metrics_port=metrics_port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGTERM, signal.SIGINT) if stop_on_signals else ()
    for sig in signals:
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)
        await running.stop(grace)
