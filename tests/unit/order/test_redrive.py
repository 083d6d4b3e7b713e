"""The desk's re-drive loop: orders left PENDING (funds locked, maybe never sent to matching)
are sent again until matching has them, whatever the ledger or matching went through meanwhile."""

from __future__ import annotations

import asyncio
from typing import Any

from exchange.v1 import matching_pb2
from services.common.grpcutil.errors import error_status
from services.common.ports import Unavailable
from services.order.desk import OrderDesk
from services.order.router import MatchingUnavailable
from services.tradeproc.fees import FeeSchedule
from tests.contract.builders import an_order


class _Ledger:
    """pending_orders fails while the ledger is 'away', then returns the stranded order."""

    def __init__(self, outages: int, failure: Exception) -> None:
        self.outages = outages
        self.failure = failure
        self.stranded = [an_order(41, created_ms=0)]

    async def pending_orders(self) -> list[Any]:
        if self.outages:
            self.outages -= 1
            raise self.failure
        return self.stranded


class _Router:
    def __init__(self) -> None:
        self.sent: list[int] = []

    async def execute(self, command: matching_pb2.Command, timeout: float | None = None) -> matching_pb2.CommandResult:
        self.sent.append(command.submit.order_id)
        return matching_pb2.CommandResult()


async def _redriven_after(failure: Exception) -> list[int]:
    router = _Router()
    desk = OrderDesk({}, _Ledger(outages=3, failure=failure), router, None, FeeSchedule(0, 0))  # type: ignore[arg-type]
    loop = asyncio.create_task(desk.redrive_forever(every_s=0.001, sweep_every=1))
    try:
        for _ in range(2000):
            if router.sent:
                break
            await asyncio.sleep(0.001)
    finally:
        loop.cancel()
    return router.sent


async def test_a_ledger_outage_does_not_end_the_sweep() -> None:
    # the sweep once died of the ledger's Unavailable, leaving such orders locked until a restart
    assert (await _redriven_after(Unavailable("DynamoDB is away")))[:1] == [41]


async def test_an_unexpected_error_does_not_end_the_sweep() -> None:
    assert (await _redriven_after(RuntimeError("a bug in one round")))[:1] == [41]


class _TwoShards(_Router):
    """ETHUSDT's shard is away until `back` is set; BTCUSDT's answers."""

    def __init__(self) -> None:
        super().__init__()
        self.back = False

    async def execute(self, command: matching_pb2.Command, timeout: float | None = None) -> matching_pb2.CommandResult:
        if command.symbol == "ETHUSDT" and not self.back:
            raise MatchingUnavailable("matching at 127.0.0.1:1: UNAVAILABLE")
        return await super().execute(command, timeout)


async def test_a_shard_still_away_holds_up_no_other_shards_orders() -> None:
    # one at a time, the first failure ended the pass: after an outage, a recovered shard's
    # orders stayed PENDING (funds locked) until the slowest shard came back
    router, ledger = _TwoShards(), _Ledger(outages=0, failure=RuntimeError())
    ledger.stranded = [an_order(41, symbol="ETHUSDT", created_ms=0), an_order(42, symbol="BTCUSDT", created_ms=0)]
    desk = OrderDesk({}, ledger, router, None, FeeSchedule(0, 0))  # type: ignore[arg-type]

    await desk.redrive_pending()  # at start: nothing raised, the service starts

    assert router.sent == [42]
    router.back = True
    loop = asyncio.create_task(desk.redrive_forever(every_s=0.001, sweep_every=10**9))
    try:
        for _ in range(2000):
            if 41 in router.sent:
                break
            await asyncio.sleep(0.001)
    finally:
        loop.cancel()
    assert router.sent == [42, 41]  # the unconfirmed one, every round until its shard answers


class _JournalAway(_Router):
    """Matching answers, but ETHUSDT's journal is away: that command's result is UNAVAILABLE."""

    async def execute(self, command: matching_pb2.Command, timeout: float | None = None) -> matching_pb2.CommandResult:
        if command.symbol == "ETHUSDT":
            return matching_pb2.CommandResult(error=error_status("BACKEND_UNAVAILABLE"))
        return await super().execute(command, timeout)


async def test_a_command_answered_unavailable_stays_to_be_sent_again() -> None:
    router, ledger = _JournalAway(), _Ledger(outages=0, failure=RuntimeError())
    ledger.stranded = [an_order(41, symbol="ETHUSDT", created_ms=0), an_order(42, symbol="BTCUSDT", created_ms=0)]
    desk = OrderDesk({}, ledger, router, None, FeeSchedule(0, 0))  # type: ignore[arg-type]

    await desk.redrive_pending()

    assert router.sent == [42]
    assert list(desk._unconfirmed) == [41]  # not taken for "already journaled"
