"""Composition root of the edge: config -> gRPC channels -> app -> uvicorn, until cancelled.

Shutdown (SIGTERM via services.common.process, or the task cancelled): WebSocket clients are
sent Binance's serverShutdown event (for up to NOTICE_S), then uvicorn stops accepting, closes
the WebSockets (1012, service restart), lets in-flight requests finish for up to GRACE_S, and
the channels close.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator

import uvicorn

from edge.app import build_app
from edge.clients import Clients
from edge.lifecycle import ShutdownNotice
from edge.ratelimit import rate_limiter_for
from edge.settings import EdgeSettings
from services.common.config import Config
from services.common.process import freeze_startup_heap

try:
    from edge.ws import server_options as ws_server_options
except ImportError:  # the WebSocket half is optional
    ws_server_options = None  # type: ignore[assignment]

GRACE_S = 5
NOTICE_S = 1.0
_log = logging.getLogger("spotex.edge")


class _Server(uvicorn.Server):
    """uvicorn without its own signal handlers: the process's owner (run_service, the launcher,
    a test) decides when to stop, by cancelling `run`."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def run(config: Config) -> None:
    clients = Clients.from_config(config)
    settings = EdgeSettings.from_env()
    limiter = rate_limiter_for(config, settings)  # Redis-shared on the real backends
    app = build_app(clients, config, settings, limiter)
    server = _Server(
        uvicorn.Config(
            app,
            host=config.host,
            port=config.ports["edge"],
            lifespan="off",
            access_log=False,  # one line per request would cost more than the request
            log_config=None,  # keep the process's JSON logging
            timeout_graceful_shutdown=GRACE_S,
            proxy_headers=True,  # X-Forwarded-For from trusted proxies (default 127.0.0.1)
            **(ws_server_options() if ws_server_options is not None else {}),  # type: ignore[arg-type]
        )
    )
    freeze_startup_heap()
    serving = asyncio.create_task(server.serve(), name="edge-http")
    try:
        await asyncio.shield(serving)
    finally:
        notice: ShutdownNotice = app.state.shutdown_notice
        await notice.stopping(within_s=NOTICE_S)
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await serving
        await clients.close()
        await limiter.close()
        _log.info("stopped")
