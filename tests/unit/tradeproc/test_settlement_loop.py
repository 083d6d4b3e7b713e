"""The settlement loop catching up: the batches it is handed at once settle in one ledger write
per symbol, with exactly the effect of settling them one by one."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

import pytest

from engine_ext.codes import OrderType, Side
from services.common.markets import Symbol
from services.common.ports import EventBatch, Unavailable
from services.common.records import OrderRecord, Settlement
from services.tradeproc.domain import SettlementError, merge_settlements
from services.tradeproc.fees import FeeSchedule
from services.tradeproc.settlement_loop import Applied, SettlementLoop
from tests.unit.tradeproc.simulated_exchange import SimulatedExchange

P95K = 9_500_000


def trade_a_little(exchange: SimulatedExchange) -> None:
    """Rests, fills partly and wholly, cancels: one engine batch per command."""
    exchange.submit(2, Side.SELL, OrderType.LIMIT, price=P95K, qty=100)
    exchange.submit(2, Side.SELL, OrderType.LIMIT, price=P95K + 1, qty=50)
    exchange.submit(1, Side.BUY, OrderType.LIMIT, price=P95K + 1, qty=120)  # fills 100 + 20
    resting = exchange.submit(1, Side.BUY, OrderType.LIMIT, price=P95K - 5, qty=30)
    assert resting is not None
    exchange.cancel(resting.order_id)
    exchange.submit(1, Side.BUY, OrderType.MARKET, qty=30)  # the 30 left at P95K + 1


@dataclass
class FakeLedger:
    orders: dict[int, OrderRecord]
    applied: list[Settlement] = field(default_factory=list)
    watermark: int = 0

    async def settled_seq(self, symbol: str) -> int:
        return self.watermark

    async def get_orders(self, symbol: str, order_ids: Sequence[int]) -> dict[int, OrderRecord]:
        return {i: self.orders[i] for i in order_ids if i in self.orders}

    async def apply_settlement(self, settlement: Settlement) -> bool:
        assert settlement.from_seq == self.watermark + 1
        self.applied.append(settlement)
        self.watermark = settlement.to_seq
        self.orders.update(settlement.orders)
        return True


@dataclass
class GroupedSource:
    groups: list[list[EventBatch]]
    asked: list[dict[str, int]] = field(default_factory=list)

    async def batches(self, after_seq: dict[str, int]) -> AsyncIterator[EventBatch]:  # the Protocol's
        raise AssertionError("the loop must take groups from a source that offers them")
        yield  # pragma: no cover

    async def batch_groups(self, after_seq: dict[str, int]) -> AsyncIterator[list[EventBatch]]:
        for group in self.groups:
            self.asked.append(dict(after_seq))
            yield group


def first_records(exchange: SimulatedExchange) -> dict[int, OrderRecord]:
    """Every order as the order service stored it (PENDING), before any settlement."""
    records: dict[int, OrderRecord] = {}
    for _, before, _ in exchange.batches:
        for order_id, record in before.items():
            records.setdefault(order_id, record)
    return records


def test_merged_settlements_add_up_to_the_batches_one_by_one(exchange: SimulatedExchange) -> None:
    trade_a_little(exchange)
    merged = merge_settlements(exchange.settlements)

    assert (merged.from_seq, merged.to_seq) == (1, exchange.settlements[-1].to_seq)
    for (user_id, asset), delta in merged.balances.items():
        assert (delta.available, delta.locked) == (
            sum(s.balances[user_id, asset].available for s in exchange.settlements if (user_id, asset) in s.balances),
            sum(s.balances[user_id, asset].locked for s in exchange.settlements if (user_id, asset) in s.balances),
        )
    assert merged.orders == {i: exchange.orders[i] for i in merged.orders}  # each order's last state
    assert merged.trades == [t for s in exchange.settlements for t in s.trades]


def test_settlements_that_do_not_follow_each_other_are_not_merged(exchange: SimulatedExchange) -> None:
    trade_a_little(exchange)
    with pytest.raises(SettlementError):
        merge_settlements([exchange.settlements[0], exchange.settlements[2]])


async def test_a_group_of_batches_settles_in_one_write_as_if_one_by_one(
    btcusdt: Symbol, fees: FeeSchedule, exchange: SimulatedExchange
) -> None:
    trade_a_little(exchange)
    ledger = FakeLedger(first_records(exchange))
    batches = [EventBatch(btcusdt.name, time_ms, events) for events, _, time_ms in exchange.batches]
    source = GroupedSource([batches])
    loop = SettlementLoop({btcusdt.name: btcusdt}, ledger, source, fees)  # type: ignore[arg-type]
    listener: asyncio.Queue[Applied] = asyncio.Queue()
    loop.listen(listener)

    await loop.run()

    [written] = ledger.applied
    assert written == merge_settlements(exchange.settlements)
    assert ledger.orders == {**first_records(exchange), **exchange.orders}
    assert loop.settled == {btcusdt.name: exchange.settlements[-1].to_seq}
    # the user data stream still gets every batch, with the orders as that batch found them
    applied: list[Applied] = [listener.get_nowait() for _ in batches]
    assert listener.empty()
    for got, settlement, (events, before, time_ms) in zip(applied, exchange.settlements, exchange.batches, strict=True):
        assert (got.batch.events, got.batch.time_ms, got.settlement) == (events, time_ms, settlement)
        assert got.orders_before == before


async def test_the_next_group_is_asked_for_only_after_the_previous_one_is_settled(
    btcusdt: Symbol, fees: FeeSchedule, exchange: SimulatedExchange
) -> None:
    trade_a_little(exchange)
    ledger = FakeLedger(first_records(exchange))
    batches = [EventBatch(btcusdt.name, time_ms, events) for events, _, time_ms in exchange.batches]
    written_when_asked: list[int] = []

    class Watching(GroupedSource):
        async def batch_groups(self, after_seq: dict[str, int]) -> AsyncIterator[list[EventBatch]]:
            for group in self.groups:
                written_when_asked.append(len(ledger.applied))
                yield group
            written_when_asked.append(len(ledger.applied))

    source = Watching([batches[:2], batches[2:]])
    loop = SettlementLoop({btcusdt.name: btcusdt}, ledger, source, fees)  # type: ignore[arg-type]
    await loop.run()
    assert written_when_asked == [0, 1, 2]
    assert [(s.from_seq, s.to_seq) for s in ledger.applied] == [
        (1, exchange.settlements[1].to_seq), (exchange.settlements[2].from_seq, exchange.settlements[-1].to_seq)
    ]


async def test_a_ledger_outage_is_waited_out_and_settlement_resumes_from_the_ledger_watermark(
    btcusdt: Symbol, fees: FeeSchedule, exchange: SimulatedExchange
) -> None:
    trade_a_little(exchange)
    batches = [EventBatch(btcusdt.name, time_ms, events) for events, _, time_ms in exchange.batches]

    @dataclass
    class FlakyLedger(FakeLedger):
        outages: int = 2  # apply_settlement calls that find the ledger unreachable

        async def apply_settlement(self, settlement: Settlement) -> bool:
            if self.outages:
                self.outages -= 1
                raise Unavailable("ledger unreachable")
            return await super().apply_settlement(settlement)

    class Replaying(GroupedSource):
        async def batch_groups(self, after_seq: dict[str, int]) -> AsyncIterator[list[EventBatch]]:
            self.asked.append(dict(after_seq))
            for batch in batches:  # what a source does: everything after the position asked for
                if batch.events[-1][0] > after_seq[btcusdt.name]:
                    yield [batch]

    ledger = FlakyLedger(first_records(exchange))
    source = Replaying([])
    loop = SettlementLoop({btcusdt.name: btcusdt}, ledger, source, fees)  # type: ignore[arg-type]
    await loop.run()  # returns once the source is exhausted: the outage did not end the loop
    assert ledger.applied == exchange.settlements  # each batch settled once, in order
    assert source.asked == [{btcusdt.name: 0}] * 3  # started again twice, from the ledger's watermark
