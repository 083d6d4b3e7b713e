"""The Ledger port under concurrency and crashes: several processes (order, user, tradeproc)
share it, and any of them can die at any instant."""

from __future__ import annotations

import asyncio
import random
from collections import Counter

import pytest

from engine_ext.codes import Side
from services.common.ports import InsufficientFunds, Ledger, PlaceOutcome
from services.common.records import Balance
from tests.contract.backends import Backend
from tests.contract.builders import SYMBOL, an_order, run_of_fills
from tests.contract.processes import Child, Spawn

pytestmark = pytest.mark.slow


async def placed_by(children: list[Child]) -> list[tuple[str, int, str, int]]:
    """Release the children together; every (outcome, order id, client id, reserved) they report."""
    for child in children:
        assert await child.line() == "ready"
    for child in children:
        await child.send("go")
    reports = []
    for child in children:
        for line in await child.finish():
            outcome, order_id, client_id, reserved = line.split()
            reports.append((outcome, int(order_id), client_id, int(reserved)))
    return reports


async def test_two_processes_placing_orders_at_once_never_overspend(
    backend: Backend, ledger: Ledger, spawn: Spawn
) -> None:
    await ledger.deposit("funds", 1, "USDT", 10_000)  # ~ half of what 400 orders of 1..100 ask for
    children = [
        await spawn("place_orders", backend.ledger(), 1, 1, 200, 11, "a-"),
        await spawn("place_orders", backend.ledger(), 1, 1_001, 200, 22, "b-"),
    ]
    reports = await placed_by(children)

    placed = {order_id: reserved for outcome, order_id, _, reserved in reports if outcome == "placed"}
    outcomes = Counter(outcome for outcome, *_ in reports)
    assert outcomes["placed"] + outcomes["insufficient_funds"] == 400
    assert outcomes["insufficient_funds"] > 0, "the scenario must run out of funds to prove anything"
    [balance] = await ledger.balances(1)
    assert balance.locked == sum(placed.values())
    assert balance.available + balance.locked == 10_000
    assert balance.available < 100, "an order that fit was refused"
    stored = await ledger.get_orders(SYMBOL, [*range(1, 201), *range(1_001, 1_201)])
    assert {order_id: order.reserved for order_id, order in stored.items()} == placed


async def test_two_processes_submitting_the_same_client_order_ids_place_each_once(
    backend: Backend, ledger: Ledger, spawn: Spawn
) -> None:
    await ledger.deposit("funds", 1, "USDT", 1_000_000)
    children = [  # same seed and client ids, different order ids: a retried request racing itself
        await spawn("place_orders", backend.ledger(), 1, 1, 200, 7, "same-"),
        await spawn("place_orders", backend.ledger(), 1, 1_001, 200, 7, "same-"),
    ]
    reports = await placed_by(children)

    by_client: dict[str, set[int]] = {}
    for outcome, order_id, client_id, _ in reports:
        assert outcome in ("placed", "duplicate")
        by_client.setdefault(client_id, set()).add(order_id)
    assert all(len(ids) == 1 for ids in by_client.values()), "both callers must get the same order back"
    assert Counter(outcome for outcome, *_ in reports) == {"placed": 200, "duplicate": 200}
    orders = await ledger.open_orders(1, SYMBOL)
    assert len(orders) == 200
    [balance] = await ledger.balances(1)
    assert balance.locked == sum(o.reserved for o in orders)


async def test_concurrent_withdrawals_in_one_process_never_overdraw(ledger: Ledger) -> None:
    await ledger.deposit("funds", 1, "USDT", 1_000)
    results = await asyncio.gather(
        *(ledger.withdraw(f"w{i}", 1, "USDT", 30) for i in range(50)), return_exceptions=True
    )
    assert results.count(True) == 33
    assert all(isinstance(r, InsufficientFunds) for r in results if r is not True)
    assert await ledger.balances(1) == [Balance("USDT", 10, 0)]


async def test_concurrent_orders_in_one_process_are_each_all_or_nothing(ledger: Ledger) -> None:
    await ledger.deposit("funds", 1, "USDT", 1_000)
    amounts = [random.randint(1, 100) for _ in range(100)]
    results = await asyncio.gather(
        *(ledger.place_order(an_order(i + 1, reserved=amount)) for i, amount in enumerate(amounts))
    )
    placed = [order.reserved for outcome, order in results if outcome is PlaceOutcome.PLACED]
    [balance] = await ledger.balances(1)
    assert balance == Balance("USDT", 1_000 - sum(placed), sum(placed))
    assert len(await ledger.open_orders(1, SYMBOL)) == len(placed)


async def test_many_users_placing_at_once_each_get_their_own_outcome(ledger: Ledger) -> None:
    # Orders placed together may be stored together (DynamoDB group-commits them): one that is
    # refused (no funds, a repeated client order id) must not take the others down with it.
    users = range(1, 41)
    for user in users:
        await ledger.deposit(f"funds-{user}", user, "USDT", 100 if user % 4 else 5)
    await ledger.place_order(an_order(1_000, user_id=7, reserved=10, client_order_id="taken"))
    orders = [an_order(user, user_id=user, reserved=50) for user in users]  # users 4, 8, .. hold 5
    orders += [an_order(100 + user, user_id=user, reserved=30) for user in users[:10]]  # theirs again
    orders.append(an_order(2_000, user_id=7, reserved=1, client_order_id="taken"))
    results = await asyncio.gather(*(ledger.place_order(order) for order in orders))

    outcomes = {order.order_id: outcome for order, (outcome, _) in zip(orders, results, strict=True)}
    assert outcomes[2_000] is PlaceOutcome.DUPLICATE and results[-1][1].order_id == 1_000
    for user in users:
        expected = PlaceOutcome.INSUFFICIENT_FUNDS if user % 4 == 0 else PlaceOutcome.PLACED
        assert outcomes[user] is expected, user
    for user in users[:10]:  # 30 more fit beside 50 (or 10 + 50 for user 7) in 100
        assert outcomes[100 + user] is (PlaceOutcome.INSUFFICIENT_FUNDS if user % 4 == 0 else PlaceOutcome.PLACED)
    for user in users:
        placed = [o for o in orders[:-1] if o.user_id == user and outcomes[o.order_id] is PlaceOutcome.PLACED]
        locked = sum(o.reserved for o in placed) + (10 if user == 7 else 0)
        funds = 100 if user % 4 else 5
        assert await ledger.balances(user) == [Balance("USDT", funds - locked, locked)], user
        assert len(await ledger.open_orders(user, SYMBOL)) == len(placed) + (user == 7)


async def test_callers_that_give_up_leave_whole_orders_or_none_and_the_ledger_serving(ledger: Ledger) -> None:
    await ledger.deposit("funds", 1, "USDT", 1_000_000)
    for round_ in range(3):
        calls = [asyncio.create_task(ledger.place_order(an_order(100 * round_ + i, reserved=7))) for i in range(1, 41)]
        await asyncio.sleep(0)
        for call in calls[::2]:
            call.cancel()  # a gRPC deadline: some before their order was sent, some after
        await asyncio.gather(*calls, return_exceptions=True)
    outcome, _ = await ledger.place_order(an_order(9_999, reserved=7))
    assert outcome is PlaceOutcome.PLACED  # nothing is stuck behind the abandoned calls
    orders = await ledger.open_orders(1, SYMBOL)
    [balance] = await ledger.balances(1)
    assert balance.locked == 7 * len(orders) and balance.available + balance.locked == 1_000_000


async def test_an_order_process_killed_mid_stream_leaves_whole_orders_and_keeps_acknowledged_ones(
    backend: Backend, ledger: Ledger, spawn: Spawn
) -> None:
    await ledger.deposit("funds", 1, "USDT", 10_000_000)
    acknowledged: set[int] = set()
    for round_ in range(3):
        child = await spawn("place_orders", backend.ledger(), 1, 1 + 100_000 * round_, 1_000_000, round_, f"r{round_}-")
        assert await child.line() == "ready"
        await child.send("go")
        lines = [await child.line() for _ in range(random.randint(5, 50))]
        lines += await child.kill(within=0.05)
        acknowledged |= {int(line.split()[1]) for line in lines}

        orders = {o.order_id: o for o in await ledger.open_orders(1, SYMBOL)}
        assert acknowledged <= orders.keys(), "an acknowledged order was lost"
        [balance] = await ledger.balances(1)
        reserved = sum(o.reserved for o in orders.values())
        assert balance.locked == reserved, "locked funds differ from what the stored orders reserve"
        assert balance.available + balance.locked == 10_000_000
    outcome, _ = await ledger.place_order(an_order(999_999_999, reserved=1))
    assert outcome is PlaceOutcome.PLACED, "the ledger still works after the crashes"


async def test_a_settling_process_killed_mid_stream_leaves_whole_settlements(
    backend: Backend, ledger: Ledger, spawn: Spawn
) -> None:
    await ledger.deposit("usdt", 1, "USDT", 10_000_000)
    await ledger.deposit("btc", 2, "BTC", 1_000_000)
    await ledger.place_order(an_order(1, user_id=1, reserved=10_000_000))
    await ledger.place_order(an_order(2, user_id=2, side=Side.SELL, reserved=1_000_000))
    acknowledged = 0
    for _round in range(3):
        child = await spawn("settle_forever", backend.ledger(), 1, 2)
        lines = [await child.line() for _ in range(random.randint(5, 50))]
        lines += await child.kill(within=0.05)
        acknowledged = max(acknowledged, *(int(line.split()[1]) for line in lines))

        fills = await ledger.settled_seq(SYMBOL)  # one fill (1 BTC for 10 USDT) per seq
        assert fills >= acknowledged, "an acknowledged settlement was lost"
        trades = await ledger.list_trades(1, SYMBOL, None, None, None, None, 1_000_000)
        assert [t.trade_id for t in trades] == list(range(1, fills + 1))
        orders = await ledger.get_orders(SYMBOL, [1, 2])
        assert (orders[1].filled, orders[2].filled) == (fills, fills)
        assert await ledger.balances(1) == [Balance("BTC", fills, 0), Balance("USDT", 0, 10_000_000 - 10 * fills)]
        assert await ledger.balances(2) == [Balance("BTC", 0, 1_000_000 - fills), Balance("USDT", 10 * fills, 0)]


async def test_a_process_killed_mid_way_through_large_settlements_leaves_them_to_be_redelivered_whole(
    backend: Backend, ledger: Ledger, spawn: Spawn
) -> None:
    """Settlements of 60 fills (128 writes: more than one DynamoDB transaction holds). Whatever a
    kill interrupts, redelivering the settlement (as trade processing does when it never got
    True) completes it exactly once."""
    await ledger.deposit("usdt", 1, "USDT", 10_000_000)
    await ledger.deposit("btc", 2, "BTC", 1_000_000)
    buy, sell = an_order(1, user_id=1, reserved=10_000_000), an_order(2, user_id=2, side=Side.SELL, reserved=1_000_000)
    await ledger.place_order(buy)
    await ledger.place_order(sell)
    acknowledged = 0
    for _round in range(3):
        child = await spawn("settle_runs_forever", backend.ledger(), 60)
        lines = [await child.line() for _ in range(random.randint(1, 4))]
        lines += await child.kill(within=0.3)
        acknowledged = max(acknowledged, *(int(line.split()[1]) for line in lines))

        fills = await ledger.settled_seq(SYMBOL)
        assert fills >= acknowledged, "an acknowledged settlement was lost"
        assert fills % 60 == 0, "a settlement was partly applied"
        assert await ledger.apply_settlement(run_of_fills(buy, sell, fills + 1, 60))  # the redelivery
        fills += 60
        assert await ledger.settled_seq(SYMBOL) == fills
        trades = await ledger.list_trades(2, SYMBOL, None, None, None, None, 1_000_000)
        assert [t.trade_id for t in trades] == list(range(1, fills + 1))
        orders = await ledger.get_orders(SYMBOL, [1, 2])
        assert (orders[1].filled, orders[2].filled) == (fills, fills)
        balances, net_deposits, unfinished = await ledger.audit_snapshot()
        assert balances == {1: [Balance("BTC", fills, 0), Balance("USDT", 0, 10_000_000 - 10 * fills)],
                            2: [Balance("BTC", 0, 1_000_000 - fills), Balance("USDT", 10 * fills, 0)]}
        assert net_deposits == {"BTC": 1_000_000, "USDT": 10_000_000}
        assert unfinished == [orders[1], orders[2]]
