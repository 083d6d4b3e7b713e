"""Gathering the facts the audit judges: the ledger through its port, the books from matching."""

from __future__ import annotations

import asyncio
import time

from engine_ext.snapshot import read_snapshot
from exchange.v1 import matching_pb2, matching_pb2_grpc
from services.common import backends
from services.common.config import Config
from services.common.grpcutil.channel import connect
from services.common.ports import Ledger
from services.tradectl.audit import BookFacts, LedgerFacts, find_violations, in_book_not_open


async def audit_exchange(config: Config, *, quiet_for_s: float = 10.0) -> list[str]:
    """Every invariant violation, or [] if the exchange is sound.

    Books and ledger can only be compared once settlement has caught up with the books and no
    order is still on its way to matching, so this waits (up to `quiet_for_s`) for a moment
    where every symbol's settled seq equals its book's seq and no order is PENDING; while
    orders keep flowing it reports the lag instead.
    """
    ledger = backends.open_ledger(config)
    try:
        async with connect(config.address("matching")) as channel:
            matching = matching_pb2_grpc.MatchingServiceStub(channel)
            deadline = time.monotonic() + quiet_for_s
            while True:
                books = await _books(matching, ledger)
                settled = all(b.seq == b.settled_seq for b in books)
                # PENDING orders are in flight (or being re-driven after an outage): wait for them too
                quiet = settled and not await ledger.pending_orders()
                late = time.monotonic() > deadline
                if quiet or late:
                    balances, net_deposits, unfinished = await ledger.audit_snapshot()
                    # The books were read before the ledger: an order that reached a book in
                    # between (a PENDING one re-driven just after the books were read) is in the
                    # ledger's snapshot and not in the books'. No book moved if no seq did.
                    if late or await _seqs(matching) == {b.symbol: b.seq for b in books}:
                        break
                await asyncio.sleep(0.1)
        facts = LedgerFacts(balances, net_deposits, unfinished)
        missing = in_book_not_open(facts, books)
        if missing:  # what the ledger says of them, so the report can be acted on
            records = {order_id: await ledger.get_order(symbol, order_id) for symbol, order_id in missing}
            facts = LedgerFacts(balances, net_deposits, unfinished, records)
        return find_violations(facts, books)
    finally:
        await ledger.close()


async def _seqs(matching: matching_pb2_grpc.MatchingServiceStub) -> dict[str, int]:
    listed = await matching.ListSymbols(matching_pb2.ListSymbolsRequest())
    return {config.info.symbol: config.seq for config in listed.symbols}


async def _books(matching: matching_pb2_grpc.MatchingServiceStub, ledger: Ledger) -> list[BookFacts]:
    listed = await matching.ListSymbols(matching_pb2.ListSymbolsRequest())
    books = []
    for config in listed.symbols:
        snapshot = await matching.Snapshot(matching_pb2.SnapshotRequest(symbol=config.info.symbol))
        contents = read_snapshot(snapshot.snapshot)
        settled = await ledger.settled_seq(config.info.symbol)
        books.append(BookFacts(config.info.symbol, contents.seq, settled, contents.resting, contents.stops))
    return books
