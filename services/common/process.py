"""Running one service as a process: `python -m services.<name>`.

Each service's `main.run(config)` serves until it is cancelled and cleans up in `finally`;
this turns SIGTERM (Kubernetes) and Ctrl-C into that cancellation, so the same `run` works
alone in its own process and beside the others in the launcher's single-process mode.
"""

from __future__ import annotations

import asyncio
import contextlib
import faulthandler
import gc
import logging
import signal
from collections.abc import Callable, Coroutine
from typing import Any

from services.common.catalog import CatalogError, load_catalog
from services.common.config import Config
from services.common.grpcutil.json_logs import configure_logging


def run_service(name: str, run: Callable[[Config], Coroutine[Any, Any, None]]) -> None:
    # A crash in native code (grpcio's core, the engine) writes every thread's Python stack to
    # stderr, the service's log, instead of leaving only the kernel's "segfault" line.
    faulthandler.enable()
    configure_logging(name, logging.INFO)
    config = Config.from_env()
    try:
        load_catalog(config)
        # a service that keeps amounts refuses at start a catalog whose units differ from theirs
        asyncio.run(_until_signal(run(config)))
    except CatalogError as exc:
        raise SystemExit(f"{name}: {exc}") from None


async def _until_signal(service: Coroutine[Any, Any, None]) -> None:
    task = asyncio.create_task(service)
    loop = asyncio.get_running_loop()

    def stop() -> None:
        # The first signal starts the shutdown; a later one (Ctrl-C reaches every process of the
        # group, then the launcher sends SIGTERM) would cancel it midway: the gRPC drain, the
        # matching shards' final snapshots, the edge's WebSocket closes. Each is bounded.
        if not task.cancelling():
            task.cancel()

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop)
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def serve_forever() -> None:
    """What a service's `run` awaits once it is up: nothing, until it is cancelled (its start-up
    heap frozen first)."""
    freeze_startup_heap()
    await asyncio.Event().wait()


def freeze_startup_heap() -> None:
    """Call once a process is up. What it made while starting (modules, protobuf descriptors,
    stubs, the engine) lives as long as the process, yet every full collection walked all of it
    again: 20-30 ms each, about every 3 s in the order service under load, a pause for every
    order in flight. Frozen, those objects are out of the collector's view (a full collection
    then took 0.1-0.3 ms); released ones are still freed by reference counting, but a frozen
    reference cycle never is: a few start-up objects, a bounded cost. In --mode single each
    service's start freezes again, taking in the earlier services' objects of that moment."""
    gc.collect()
    gc.freeze()
