"""Waiting until trade processing has settled an engine seq (read-your-writes for traders).

The order service answers an order once the order's events are settled, so the balance a
client reads right after the reply already shows the fill. Progress arrives on one long-lived
WatchSettlement stream per order-service process, not one call per order.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict

import grpc

from exchange.v1 import tradeproc_pb2, tradeproc_pb2_grpc
from services.common.aio import cancel_and_wait

log = logging.getLogger(__name__)


def _give_up(done: asyncio.Future[bool]) -> None:
    if not done.done():
        done.set_result(False)


class SettlementWatch:
    def __init__(self, tradeproc_address: str) -> None:
        self._address = tradeproc_address
        self._settled: dict[str, int] = defaultdict(int)
        self._waiters: dict[str, list[tuple[int, asyncio.Future[bool]]]] = defaultdict(list)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._follow(), name="settlement-watch")

    async def close(self) -> None:
        await cancel_and_wait(self._task)

    async def wait(self, symbol: str, seq: int, timeout_s: float) -> bool:
        """True once `seq` of `symbol` is settled; False if that takes longer than timeout_s."""
        if self._settled[symbol] >= seq:
            return True
        loop = asyncio.get_running_loop()
        done: asyncio.Future[bool] = loop.create_future()
        self._waiters[symbol].append((seq, done))
        # a timer on the future, not asyncio.wait_for + shield: two tasks less per order
        timer = loop.call_later(timeout_s, _give_up, done)
        try:
            return await done
        finally:
            timer.cancel()

    def _advance(self, symbol: str, seq: int) -> None:
        if seq <= self._settled[symbol]:
            return
        self._settled[symbol] = seq
        still = []
        for wanted, done in self._waiters[symbol]:
            if wanted <= seq:
                if not done.done():
                    done.set_result(True)
            elif not done.done():
                still.append((wanted, done))
        self._waiters[symbol] = still

    async def _follow(self) -> None:
        backoff = 0.05
        while True:
            try:
                async with grpc.aio.insecure_channel(self._address) as channel:
                    stub = tradeproc_pb2_grpc.TradeProcessingServiceStub(channel)
                    async for progress in stub.WatchSettlement(tradeproc_pb2.WatchSettlementRequest()):
                        backoff = 0.05
                        for symbol, seq in progress.settled_seq.items():
                            self._advance(symbol, seq)
            except grpc.aio.AioRpcError as exc:
                log.warning("settlement watch on %s broke (%s); reconnecting", self._address, exc.code().name)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 2.0)
