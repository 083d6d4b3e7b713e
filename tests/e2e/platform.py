"""A whole exchange for end-to-end tests: every service a real process on 127.0.0.1, on free
ports, with its own data directory; processes can be killed (SIGKILL) and restarted.

`backend` picks the adapters: "embedded" (SQLite under the data directory) or "real" (Kafka,
DynamoDB and Redis: the session's servers from tests/servers.py, with a namespace of its own so
that its topics, tables and keys start empty)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from services.common.config import DEFAULT_PORTS, Config

REPO = Path(__file__).resolve().parents[2]
# How long an audit may wait for settlement to catch up with the books: it returns as soon as
# they agree, so this only bounds a real failure (moto settles far slower than DynamoDB does).
AUDIT_WAIT_S = 60.0
START_ORDER = ("matching", "tradeproc", "marketdata", "user", "order")


def free_port() -> int:
    return free_ports(1)[0]


def free_ports(count: int) -> list[int]:
    """Ports free now and all different: each is held until all are chosen (ports chosen one
    after another, each released at once, can repeat)."""
    with contextlib.ExitStack() as held:
        sockets = [held.enter_context(socket.socket()) for _ in range(count)]
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in sockets]


@dataclass
class Platform:
    data_dir: Path
    services: tuple[str, ...] = START_ORDER
    backend: str = "embedded"
    namespace: str = field(default_factory=lambda: f"e2e{uuid.uuid4().hex[:10]}")
    overrides: dict[str, str] = field(default_factory=dict)  # SPOTEX_* settings of this test's own
    ports: dict[str, int] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.ports = dict(zip(DEFAULT_PORTS, free_ports(len(DEFAULT_PORTS)), strict=True))

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SPOTEX_")}
        env.update({f"SPOTEX_{name.upper()}_PORT": str(port) for name, port in self.ports.items()})
        env.update(SPOTEX_DATA_DIR=str(self.data_dir), SPOTEX_METRICS="0", PYTHONPATH=str(REPO))
        if self.backend == "real":
            from tests.servers import real_servers

            env.update(real_servers().env, SPOTEX_BACKEND="real", SPOTEX_NAMESPACE=self.namespace)
        env.update(self.overrides)
        return env

    @property
    def config(self) -> Config:
        return Config.from_env(self.env)

    def address(self, name: str) -> str:
        return f"127.0.0.1:{self.ports[name]}"

    def start(self, name: str) -> None:
        with open(self.data_dir / f"{name}.log", "ab") as log:  # the child keeps its own copy
            self.processes[name] = subprocess.Popen(
                [sys.executable, "-m", f"services.{name}"], env=self.env, cwd=REPO, stdout=log, stderr=log
            )
        wait_healthy(self.address(name), self.processes[name], self.data_dir / f"{name}.log")

    def start_replica(self, name: str, replica: str) -> str:
        """Another process of service `name` on a port of its own (as Kubernetes runs several),
        sharing everything else; returns its address. `kill(replica)` and `stop_all` know it."""
        port = free_port()
        env = {**self.env, f"SPOTEX_{name.upper()}_PORT": str(port)}
        with open(self.data_dir / f"{replica}.log", "ab") as log:
            self.processes[replica] = subprocess.Popen(
                [sys.executable, "-m", f"services.{name}"], env=env, cwd=REPO, stdout=log, stderr=log
            )
        address = f"127.0.0.1:{port}"
        wait_healthy(address, self.processes[replica], self.data_dir / f"{replica}.log")
        return address

    def start_all(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        try:
            for name in self.services:
                self.start(name)
        except BaseException:
            self.stop_all()  # a service that failed to start must not leave the others running
            raise

    def kill(self, name: str) -> None:
        """SIGKILL: no shutdown code runs, as when a machine dies."""
        process = self.processes.pop(name)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def stop(self, name: str) -> None:
        """SIGTERM: the service drains and shuts down cleanly."""
        process = self.processes.pop(name)
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)

    def assert_alive(self) -> None:
        dead = {name: p.returncode for name, p in self.processes.items() if p.poll() is not None}
        if dead:
            logs = "\n".join(f"--- {name} ---\n{self.log_of(name)[-3000:]}" for name in dead)
            raise AssertionError(f"services died: {dead}\n{logs}")

    def stop_all(self) -> None:
        for name in reversed(list(self.processes)):
            process = self.processes.pop(name)
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def log_of(self, name: str) -> str:
        return (self.data_dir / f"{name}.log").read_text(errors="replace")


def wait_healthy(address: str, process: subprocess.Popen[bytes], log: Path, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    with grpc.insecure_channel(address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{address} exited with {process.returncode}:\n{log.read_text()[-3000:]}")
            try:
                reply = stub.Check(health_pb2.HealthCheckRequest(), timeout=0.5)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError:
                pass
            time.sleep(0.05)
    raise TimeoutError(f"{address} not healthy after {timeout_s}s:\n{log.read_text()[-3000:]}")


async def eventually(check: object, timeout_s: float = 10.0) -> None:
    """Retry an async predicate until it holds (settlement and market data are asynchronous)."""
    deadline = time.monotonic() + timeout_s
    while True:
        if await check():  # type: ignore[operator]
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"condition did not hold within {timeout_s}s")
        await asyncio.sleep(0.05)
