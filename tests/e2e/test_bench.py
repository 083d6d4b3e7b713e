"""`tradectl bench` against running services: every mode answers every order and reports the
stages of each (a benchmark's figures are only worth reading if it measured what it says)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from services.tradectl.bench import run_bench
from services.tradectl.gather import audit_exchange
from tests.e2e.platform import AUDIT_WAIT_S, Platform


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    running = Platform(
        tmp_path_factory.mktemp("bench") / "exchange", services=("user", "matching", "tradeproc", "order")
    )
    running.start_all()
    try:
        yield running
    finally:
        running.stop_all()


@pytest.mark.parametrize(
    "mode",
    [{}, {"batch": 5}, {"stream": True}, {"stream": True, "rate": 400.0}],
    ids=["unary", "batch", "stream", "paced"],
)
async def test_every_mode_answers_every_order_and_times_its_stages(platform: Platform, mode: dict) -> None:
    report = await run_bench(platform.config, orders=60, clients=4, **mode)

    assert (report["answered"], report["failed"]) == (60, {})
    assert 0 < report["end_to_end_ms"]["p50"] <= report["end_to_end_ms"]["p99"]
    for name, stage in report["stages_p99_ms_vs_budget"].items():
        assert stage["p99"] > 0, name
    handler = report["order service (handler start to reply)"]
    assert 0 < handler["p50"] <= report["end_to_end_ms"]["p99"]
    assert report["matching round trip (seen by the order service)"]["p99"] > 0
    assert await audit_exchange(platform.config, quiet_for_s=AUDIT_WAIT_S) == []


async def test_many_clients_and_runs_fit_in_one_platform(platform: Platform) -> None:
    # every client is a funded trader: funding each with a flat fortune ran the exchange's
    # supply cap out (FAILED_PRECONDITION) at 64 clients, or at a second run of 24
    for _ in range(2):
        report = await run_bench(platform.config, orders=64, clients=64, stream=True)
        assert (report["answered"], report["failed"]) == (64, {})
