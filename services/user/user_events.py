"""Deposits and withdrawals onto Binance's user data stream.

Trade processing serves that stream (`StreamUserEvents`, read by every edge replica); the user
service applies transfers, possibly in several replicas. So each applied transfer is passed to
trade processing (`PublishUserEvents`) as Binance's `balanceUpdate`; trade processing adds the
asset's `outboundAccountPosition`, read from the ledger as it sends it (a balance read here
could be older than one it has already sent). Best effort and at most once, like the stream
itself: a transfer is never held up or refused because trade processing is away; its events
are then dropped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

import grpc

from exchange.v1 import tradeproc_pb2, tradeproc_pb2_grpc
from services.common.aio import cancel_and_wait
from services.common.markets import Asset
from services.user.domain import Transfer

log = logging.getLogger(__name__)

# Transfers waiting for trade processing: beyond this many, new ones are dropped (and logged).
MAX_PENDING = 10_000
PUBLISH_TIMEOUT_S = 5.0


def balance_update(transfer: Transfer, asset: Asset) -> tradeproc_pb2.UserEvent:
    """Binance's balanceUpdate: `d` signed (a withdrawal is negative), `T` the clear time."""
    update = tradeproc_pb2.BalanceUpdate(
        asset=asset.name, balance_delta=asset.format(transfer.delta), clear_time=transfer.time_ms
    )
    return tradeproc_pb2.UserEvent(user_id=transfer.user_id, event_time=transfer.time_ms, balance_update=update)


class TransferPublisher:
    def __init__(self, tradeproc: tradeproc_pb2_grpc.TradeProcessingServiceStub, assets: Mapping[str, Asset]) -> None:
        self._tradeproc = tradeproc
        self._assets = assets
        self._pending: asyncio.Queue[Transfer] = asyncio.Queue(maxsize=MAX_PENDING)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="transfer-publisher")

    def publish(self, transfer: Transfer) -> None:
        """UserDomain's on_transfer: never blocks the transfer that was just applied."""
        try:
            self._pending.put_nowait(transfer)
        except asyncio.QueueFull:
            log.warning("trade processing is behind; a transfer's balanceUpdate is dropped")

    async def close(self) -> None:
        await cancel_and_wait(self._task)

    async def _run(self) -> None:
        while True:
            transfers = [await self._pending.get()]
            while not self._pending.empty():
                transfers.append(self._pending.get_nowait())
            # a transfer's asset is listed: the domain checked
            events = [balance_update(t, self._assets[t.balance.asset]) for t in transfers]
            try:
                request = tradeproc_pb2.PublishUserEventsRequest(events=events)
                await self._tradeproc.PublishUserEvents(request, timeout=PUBLISH_TIMEOUT_S)
            except grpc.aio.AioRpcError as exc:
                log.warning("balanceUpdates of %d transfers dropped", len(transfers), extra={"code": exc.code().name})
            except Exception:  # whatever it was, the next transfers still get their turn
                log.exception("balanceUpdates of %d transfers dropped", len(transfers))
