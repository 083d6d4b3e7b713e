"""Book levels from matching's Snapshot RPC: the start point when history is not replayed, and
the way back to an exact depth after missing events."""

from __future__ import annotations

from collections import defaultdict

from engine_ext.codes import Side
from engine_ext.events import OrderState
from engine_ext.snapshot import read_snapshot
from exchange.v1 import matching_pb2, matching_pb2_grpc
from services.common.grpcutil.channel import connect

from .feed import BookLevels


def aggregate_levels(resting: list[OrderState]) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Resting orders -> (bids, asks) as (price, total leaves): what LEVEL events would say."""
    totals: tuple[dict[int, int], dict[int, int]] = (defaultdict(int), defaultdict(int))
    for order in resting:
        totals[order.side][order.price] += order.orig_qty - order.filled_qty
    return list(totals[Side.BUY].items()), list(totals[Side.SELL].items())


class MatchingBookSnapshots:
    def __init__(self, matching_address: str) -> None:
        self._address = matching_address

    async def book(self, symbol: str) -> BookLevels:
        async with connect(self._address) as channel:
            stub = matching_pb2_grpc.MatchingServiceStub(channel)
            reply = await stub.Snapshot(matching_pb2.SnapshotRequest(symbol=symbol), timeout=10)
        contents = read_snapshot(reply.snapshot)
        bids, asks = aggregate_levels(contents.resting)
        return BookLevels(reply.seq, reply.time, bids, asks)

    async def last_seqs(self) -> dict[str, int]:
        """Each book's current seq: how far a replay must get before answers are current."""
        async with connect(self._address) as channel:
            stub = matching_pb2_grpc.MatchingServiceStub(channel)
            reply = await stub.ListSymbols(matching_pb2.ListSymbolsRequest(), timeout=10)
        return {config.info.symbol: config.seq for config in reply.symbols}
