"""An edge that is stopped (SIGTERM: a rolling update, a scale-in) first tells its WebSocket
clients, as Binance does with its serverShutdown event, so they reconnect at once (to another
replica) instead of finding out from the close; then it closes them with 1012 (service restart).

The edge here is `python -m edge`, a process of its own against the session's services, so the
shutdown is the one production runs (edge.main), not the test fixture's."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import websockets

from tests.e2e.platform import Platform, free_port
from tests.edge_ws.wsclient import connect

REPO = Path(__file__).resolve().parents[2]


@dataclass
class EdgeProcess:
    process: subprocess.Popen[bytes]
    port: int
    log: Path


@pytest.fixture
def edge_process(platform: Platform, tmp_path: Path) -> Iterator[EdgeProcess]:
    port, log_path = free_port(), tmp_path / "edge.log"
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "edge"], env={**platform.env, "SPOTEX_EDGE_PORT": str(port)}, cwd=REPO,
            stdout=log, stderr=log,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, log_path.read_text()[-3000:]
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v3/ping", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "edge not serving after 30 s"
            time.sleep(0.05)
        yield EdgeProcess(process, port, log_path)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


async def _closed_code(client) -> int:
    with pytest.raises(websockets.ConnectionClosed) as closed:
        while True:
            await client.recv(timeout=10)
    assert closed.value.rcvd is not None, "the edge went away without a close frame"
    return closed.value.rcvd.code


@pytest.mark.parametrize(
    "signals",
    [(signal.SIGTERM,), (signal.SIGINT, signal.SIGTERM)],  # the second: Ctrl-C on make run, then the launcher
    ids=["SIGTERM", "SIGINT-then-SIGTERM"],
)
async def test_every_websocket_client_hears_of_the_shutdown_before_its_connection_closes(
    edge_process: EdgeProcess, signals: tuple[signal.Signals, ...]
) -> None:
    ws = f"ws://127.0.0.1:{edge_process.port}"
    async with (
        connect(f"{ws}/ws/btcusdt@trade") as raw,
        connect(f"{ws}/stream?streams=btcusdt@trade/ethusdt@trade") as combined,
        connect(f"{ws}/ws-api/v3") as api,
    ):
        reply = await api.request("ping")  # the connections are open and served
        assert reply["status"] == 200
        before_ms = time.time_ns() // 1_000_000
        first, *then = signals
        edge_process.process.send_signal(first)

        raw_event = await raw.event(lambda m: m.get("e") == "serverShutdown")
        for sent in then:  # while the edge still waits for its clients to take the event
            edge_process.process.send_signal(sent)
        combined_event = await combined.event(lambda m: m.get("stream") == "!serverShutdown")
        api_event = await api.event(lambda m: "event" in m)

        assert set(raw_event) == {"e", "E"} and raw_event["E"] >= before_ms
        assert combined_event["data"] == raw_event
        assert api_event == {"event": raw_event}
        codes = await asyncio.gather(_closed_code(raw), _closed_code(combined), _closed_code(api))
        assert codes == [1012, 1012, 1012]
    assert await asyncio.to_thread(edge_process.process.wait, 15) == 0
    assert "Traceback" not in edge_process.log.read_text()
