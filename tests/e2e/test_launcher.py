"""`make run`'s launcher, as a user runs it: the services and the edge start, the demo market
trades, Ctrl-C stops everything (also while it is still starting), and a restart on the same
data directory finds the market where it was left."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from services.common.config import DEFAULT_PORTS
from tests.e2e.platform import REPO, free_port

DEMO_SYMBOLS = {"BTCUSDT", "ETHUSDT", "ETHBTC", "SOLUSDT", "BNBUSDT"}
STOP_S = 30.0  # services drain for up to 5 s each; this only bounds a launcher that hangs


class Launcher:
    def __init__(self, data_dir: Path, *args: str, settings: dict[str, str] | None = None) -> None:
        self.ports = {name: free_port() for name in DEFAULT_PORTS}
        env = {k: v for k, v in os.environ.items() if not k.startswith("SPOTEX_")}
        env.update({f"SPOTEX_{name.upper()}_PORT": str(port) for name, port in self.ports.items()})
        env.update(SPOTEX_DATA_DIR=str(data_dir), SPOTEX_METRICS="0", PYTHONPATH=str(REPO))
        env.update(settings or {})
        self.log = (data_dir.parent / f"launcher-{time.monotonic_ns()}.log").open("wb")
        # its own process group, as a terminal's Ctrl-C reaches the launcher and its children
        self.process = subprocess.Popen(
            [sys.executable, "-m", "services.launcher", *args],
            env=env, cwd=REPO, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )

    def get(self, path: str) -> object:
        url = f"http://127.0.0.1:{self.ports['edge']}{path}"
        with urllib.request.urlopen(url, timeout=5) as response:
            return json.loads(response.read())

    def wait_edge(self, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            assert self.process.poll() is None, f"launcher exited with {self.process.returncode}"
            try:
                self.get("/api/v3/ping")
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError("the edge did not answer within 60 s") from None
                time.sleep(0.2)

    def children(self) -> list[int]:
        """Processes still in the launcher's group (its services), the launcher excepted."""
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and int(entry.name) != self.process.pid:
                try:
                    if os.getpgid(int(entry.name)) == self.process.pid:
                        found.append(int(entry.name))
                except ProcessLookupError:
                    pass
        return found

    def ctrl_c(self, *, launcher_only: bool = False) -> tuple[int | None, list[int]]:
        """The launcher's exit code (None: still running after STOP_S) and what it left running.
        A terminal's Ctrl-C reaches the whole group; `launcher_only`, as `kill -INT <pid>` does,
        leaves stopping the services to the launcher."""
        if launcher_only:
            os.kill(self.process.pid, signal.SIGINT)
        else:
            os.killpg(self.process.pid, signal.SIGINT)
        try:
            code: int | None = self.process.wait(timeout=STOP_S)
        except subprocess.TimeoutExpired:
            code = None
        left = self.children()
        self.kill()
        return code, left

    def kill(self) -> None:
        if self.process.poll() is None or self.children():
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.log.close()


def _trade_count(launcher: Launcher, symbol: str) -> int:
    ticker = launcher.get(f"/api/v3/ticker/24hr?symbol={symbol}")
    assert isinstance(ticker, dict)
    return int(ticker["count"])


def _wait_for_trades(launcher: Launcher, more_than: int, timeout_s: float = 60.0) -> int:
    deadline = time.monotonic() + timeout_s
    while True:
        count = _trade_count(launcher, "BTCUSDT")
        if count > more_than:
            return count
        assert time.monotonic() < deadline, f"no demo trades on BTCUSDT beyond {more_than} in {timeout_s:.0f} s"
        time.sleep(0.5)


def test_make_run_trades_stops_on_ctrl_c_and_restarts_where_it_was(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    launcher = Launcher(data_dir)
    try:
        launcher.wait_edge()
        info = launcher.get("/api/v3/exchangeInfo")
        assert isinstance(info, dict)
        assert {s["symbol"] for s in info["symbols"] if s["status"] == "TRADING"} >= DEMO_SYMBOLS
        traded = _wait_for_trades(launcher, 0)
        with urllib.request.urlopen(f"http://127.0.0.1:{launcher.ports['edge']}/", timeout=5) as page:
            assert b"<html" in page.read().lower()  # the web UI it prints the address of
    finally:
        code, left = launcher.ctrl_c()
    assert (code, left) == (0, [])

    again = Launcher(data_dir, "--no-demo")
    try:
        again.wait_edge()
        # the trades before Ctrl-C are still there; with no demo, nothing new trades
        assert _trade_count(again, "BTCUSDT") >= traded
    finally:
        assert again.ctrl_c() == (0, [])


@pytest.mark.parametrize("after_s", [0.5, 2.0])
def test_ctrl_c_while_starting_stops_everything(tmp_path: Path, after_s: float) -> None:
    launcher = Launcher(tmp_path / "data", "--no-demo")
    try:
        time.sleep(after_s)  # importing, or some services up and the next one starting
        assert launcher.process.poll() is None
    finally:
        code, left = launcher.ctrl_c()
    # before its signal handler is installed, Python's own KeyboardInterrupt ends it (-SIGINT)
    assert code in (0, -signal.SIGINT)
    assert left == []


def _service_pids(launcher: Launcher) -> dict[str, int]:
    found = {}
    for pid in launcher.children():
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except FileNotFoundError:
            continue
        if len(command) > 2 and command[1] == b"-m":
            found[command[2].decode()] = pid
    return found


def test_the_launcher_alone_interrupted_stops_its_services(tmp_path: Path) -> None:
    launcher = Launcher(tmp_path / "data", "--no-demo")
    try:
        launcher.wait_edge()
        assert len(launcher.children()) == 6  # five services and the edge
    finally:
        code, left = launcher.ctrl_c(launcher_only=True)
    assert (code, left) == (0, [])


def test_ctrl_c_while_a_dead_service_is_being_restarted(tmp_path: Path) -> None:
    launcher = Launcher(tmp_path / "data", "--no-demo")
    try:
        launcher.wait_edge()
        os.kill(_service_pids(launcher)["services.marketdata"], signal.SIGKILL)
        time.sleep(0.75)  # the launcher notices (it looks every 0.5 s) and is starting it again
    finally:
        code, left = launcher.ctrl_c()  # the new one dies too: the restart's health check must not wait on it
    assert (code, left) == (0, [])
