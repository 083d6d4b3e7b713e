"""`make run`: start the whole exchange on this machine, then (by default) a demo market.

Services start in dependency order, each once the previous one answers its gRPC health
check. `--mode processes` (default) runs each service as its own process, as Kubernetes
does; `--mode single` runs them all in this process (one event loop), which docs/performance.md
compares. A service process that dies is restarted, as Kubernetes would; each one recovers
its state on start. Ctrl-C stops everything: services drain in-flight calls before they exit.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import faulthandler
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Sequence

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from services.common import backends
from services.common.aio import cancel_and_wait
from services.common.catalog import CatalogError, load_catalog, pin_catalog_units
from services.common.config import Config

log = logging.getLogger("spotex.launcher")

# Start order: each depends only on those before it.
SERVICES = ("matching", "tradeproc", "marketdata", "user", "order")
EDGE = "edge"


async def wait_healthy(address: str, timeout_s: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    async with grpc.aio.insecure_channel(address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while True:
            try:
                reply = await stub.Check(health_pb2.HealthCheckRequest(), timeout=1.0)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.aio.AioRpcError:
                pass
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"{address} did not become healthy in {timeout_s:.0f}s")
            await asyncio.sleep(0.1)


async def wait_http(host: str, port: int, timeout_s: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        try:
            _, writer = await asyncio.open_connection(host, port)
            writer.close()
            return
        except OSError:
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"{host}:{port} did not open in {timeout_s:.0f}s") from None
            await asyncio.sleep(0.1)


def edge_available() -> bool:
    try:
        import edge.main  # noqa: F401
    except ImportError:
        return False
    return True


async def run_processes(config: Config, names: Sequence[str], stop: asyncio.Event) -> None:
    children: dict[str, subprocess.Popen[bytes]] = {}
    env = {**os.environ, "SPOTEX_DATA_DIR": str(config.data_dir)}

    def spawn(name: str) -> subprocess.Popen[bytes]:
        module = "edge" if name == EDGE else f"services.{name}"
        return subprocess.Popen([sys.executable, "-m", module], env=env)

    try:
        for name in names:
            children[name] = spawn(name)
            if not await _wait_up(config, name, stop):
                return  # Ctrl-C while starting: the finally stops what started
            log.info("%s is up on %s", name, config.address(name))
        await _supervise(config, children, spawn, stop)
    finally:
        for child in reversed(list(children.values())):
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in reversed(list(children.values())):
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()


async def _wait_up(config: Config, name: str, stop: asyncio.Event) -> bool:
    """True once `name` answers; False if Ctrl-C came first. A health check alone does not
    watch `stop`, and Ctrl-C in a terminal also stops the child it is waiting for: without
    this, the launcher waited out the whole check, then failed with a traceback."""
    check = wait_http(config.host, config.ports[EDGE]) if name == EDGE else wait_healthy(config.address(name))
    waiting = asyncio.create_task(check)
    stopper = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait([waiting, stopper], return_when=asyncio.FIRST_COMPLETED)
    finally:
        await cancel_and_wait(stopper)
        if not waiting.done():
            await cancel_and_wait(waiting)
    if waiting.cancelled():
        return False
    waiting.result()  # a check that timed out
    return True


MAX_RESTARTS = 5  # per service per run: a service that keeps dying is a bug to look at, not to hide


async def _supervise(
    config: Config,
    children: dict[str, subprocess.Popen[bytes]],
    spawn: Callable[[str], subprocess.Popen[bytes]],
    stop: asyncio.Event,
) -> None:
    """Restart a service that died, as Kubernetes would: every service recovers its state on
    start (journal replay, settlement watermark, re-driven pending orders)."""
    restarts: dict[str, int] = {}
    while not stop.is_set():
        for name, child in list(children.items()):
            if child.poll() is None or stop.is_set():  # Ctrl-C stops the children too: no restart
                continue
            restarts[name] = restarts.get(name, 0) + 1
            if restarts[name] > MAX_RESTARTS:
                raise RuntimeError(f"{name} died {restarts[name]} times (last exit {child.returncode})")
            log.warning("%s exited with %s; restarting it", name, child.returncode)
            children[name] = spawn(name)
            await _wait_up(config, name, stop)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.5)


async def run_single(config: Config, names: Sequence[str], stop: asyncio.Event) -> None:
    import importlib

    tasks = []
    try:
        for name in names:
            module = importlib.import_module("edge.main" if name == EDGE else f"services.{name}.main")
            tasks.append(asyncio.create_task(module.run(config), name=name))
            if not await _wait_up(config, name, stop):
                return  # Ctrl-C while starting: the finally stops what started
            log.info("%s is up on %s", name, config.address(name))
        stopper = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait([*tasks, stopper], return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if task is not stopper and task.exception():
                raise task.exception()  # type: ignore[misc]
    finally:
        for task in reversed(tasks):
            await cancel_and_wait(task)


async def main_async(args: argparse.Namespace) -> None:
    servers = None
    if args.backend is not None:
        os.environ["SPOTEX_BACKEND"] = args.backend
    if os.environ.get("SPOTEX_BACKEND") == "real":
        from services.devservers import DevServers

        servers = DevServers.ensure()  # what is named and answers is used; the rest starts here
        os.environ.update(servers.env)  # the children inherit it
        print(f"spotex: real backends: Redis {servers.redis_url}, Kafka {servers.kafka_bootstrap}, "
              f"DynamoDB {servers.dynamodb_endpoint}")
    try:
        await _run(args)
    finally:
        if servers is not None:
            servers.stop()


async def _run(args: argparse.Namespace) -> None:
    config = Config.from_env()
    try:
        # a bad markets file, or one whose units differ from the stored amounts', stops
        # everything here, with its reason
        catalog = load_catalog(config)
        config.data_dir.mkdir(parents=True, exist_ok=True)
        ledger = backends.open_ledger(config)
        try:
            await pin_catalog_units(ledger, catalog)
        finally:
            await ledger.close()
    except CatalogError as exc:
        raise SystemExit(f"spotex: {exc}") from None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    names = [*SERVICES, *([EDGE] if edge_available() else [])]
    runner = run_single if args.mode == "single" else run_processes
    service_task = asyncio.create_task(runner(config, names, stop))
    demo_task: asyncio.Task[None] | None = None
    if args.demo:
        from services.demo import run_demo

        async def demo_when_up() -> None:
            await wait_healthy(config.address("order"))
            await run_demo(config, stop)

        demo_task = asyncio.create_task(demo_when_up())
    print(f"spotex: data in {config.data_dir}; services on {config.host} ports {config.ports}. Ctrl-C stops.")
    print(f"spotex: web UI and Binance API at http://{config.address('edge')}/")
    try:
        await service_task
    finally:
        stop.set()
        if demo_task is not None:
            demo_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await demo_task


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m services.launcher", description=__doc__)
    parser.add_argument("--mode", choices=("processes", "single"), default="processes")
    parser.add_argument("--no-demo", dest="demo", action="store_false", help="no demo market maker and takers")
    parser.add_argument(
        "--backend", choices=("embedded", "real"), default=None,
        help="embedded (default; SQLite, nothing to install) or real (Redis, Kafka, DynamoDB: the ones "
        "SPOTEX_REDIS_URL, SPOTEX_KAFKA_BOOTSTRAP and SPOTEX_DYNAMODB_ENDPOINT name, else local ones started here)",
    )
    args = parser.parse_args(argv)
    faulthandler.enable()  # --mode single runs every service here: see services.common.process
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
