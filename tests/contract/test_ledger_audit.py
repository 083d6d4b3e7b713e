"""The Ledger port, audit: everything the invariant checks need, read at one instant."""

from __future__ import annotations

import dataclasses
from collections import defaultdict

import pytest

from engine_ext.codes import Side
from services.common.ports import Ledger
from services.common.records import Balance, OrderPhase, Settlement
from tests.contract.backends import Backend, repeat
from tests.contract.builders import SYMBOL, an_order, release
from tests.contract.processes import Spawn


async def test_the_audit_snapshot_has_every_balance_net_deposits_and_unfinished_order(ledger: Ledger) -> None:
    await ledger.deposit("d1", 1, "USDT", 1_000)
    await ledger.deposit("d2", 2, "BTC", 50)
    await ledger.withdraw("w1", 2, "BTC", 5)
    pending, live, done = an_order(1, reserved=100), an_order(2, reserved=200), an_order(3, reserved=300)
    for order in (pending, live, done):
        await ledger.place_order(order)
    live = dataclasses.replace(live, phase=OrderPhase.LIVE)
    settlement = Settlement(SYMBOL, 1, 2, orders={2: live})
    release(settlement, done)
    await ledger.apply_settlement(settlement)

    balances, net_deposits, unfinished = await ledger.audit_snapshot()

    assert balances == {1: [Balance("USDT", 700, 300)], 2: [Balance("BTC", 45, 0)]}
    assert balances == await ledger.all_balances()
    assert net_deposits == {"BTC": 45, "USDT": 1_000} == await ledger.net_deposits()
    assert sorted(unfinished, key=lambda o: o.order_id) == [pending, live]


@pytest.mark.slow
async def test_the_audit_snapshot_is_consistent_while_another_process_settles(
    backend: Backend, ledger: Ledger, spawn: Spawn
) -> None:
    await ledger.deposit("usdt", 1, "USDT", 10_000_000)
    await ledger.deposit("btc", 2, "BTC", 1_000_000)
    await ledger.place_order(an_order(1, user_id=1, reserved=10_000_000))
    await ledger.place_order(an_order(2, user_id=2, side=Side.SELL, reserved=1_000_000))
    settler = await spawn("settle_forever", backend.ledger(), 1, 2)
    await settler.line()
    for _ in range(repeat(backend, 1_000, 150)):
        balances, net_deposits, unfinished = await ledger.audit_snapshot()
        held: defaultdict[str, int] = defaultdict(int)
        locked: dict[tuple[int, str], int] = {}
        for user, rows in balances.items():
            for b in rows:
                held[b.asset] += b.available + b.locked
                locked[(user, b.asset)] = b.locked
        assert held == net_deposits
        reserved = {(o.user_id, o.reserved_asset): o.reserved for o in unfinished}
        assert {k: v for k, v in locked.items() if v} == reserved, "balances and orders from different instants"
    await settler.kill()
