"""The Ledger port's invariants under random use: no asset is created or destroyed, no balance
goes negative, locked funds are exactly what unfinished orders reserve.

Hypothesis drives random deposits, withdrawals, orders, fills (with fees to the fee account),
cancels, replayed settlements and settlements that would overdraw; a small model predicts what
the ledger must answer, and the invariants are checked from the ledger's own figures.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from hypothesis import event, given, settings
from hypothesis import strategies as st

from engine_ext.codes import Side
from services.common.ports import InsufficientFunds, Ledger, PlaceOutcome
from services.common.records import OrderPhase, OrderRecord, Settlement
from tests.contract.backends import Backend, repeat
from tests.contract.builders import BASE, QUOTE, SYMBOL, an_order, fill, release

USERS = st.integers(1, 3)
ASSETS = st.sampled_from([BASE, QUOTE])
AMOUNTS = st.integers(1, 1_000)

PLACE = st.tuples(st.just("place"), USERS, st.sampled_from(Side), st.integers(0, 600))
# which buy and sell order (indexes into the open ones), how much of each reservation, the fee
FILL = st.tuples(
    st.just("fill"), st.integers(0, 50), st.integers(0, 50), st.floats(0, 1), st.floats(0, 1),
    st.sampled_from([0, 1_000, 100_000]),
)
OPERATIONS = st.one_of(
    # a small `nonce` range makes some tx ids repeat (with the same transfer): idempotency
    st.tuples(st.just("deposit"), USERS, ASSETS, AMOUNTS, st.integers(0, 2)),
    st.tuples(st.just("withdraw"), USERS, ASSETS, AMOUNTS, st.integers(0, 2)),
    PLACE, PLACE,  # orders and fills twice as often as the rest
    FILL, FILL,
    st.tuples(st.just("cancel"), st.integers(0, 50)),
    st.tuples(st.just("replay")),
    st.tuples(st.just("overdraw"), USERS, ASSETS),
)


@dataclass
class Model:
    """What the ledger must hold: balances and the open orders."""

    balances: defaultdict[tuple[int, str], list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    open: dict[int, OrderRecord] = field(default_factory=dict)
    seq: int = 0
    last: Settlement | None = None
    order_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def apply(self, settlement: Settlement) -> None:
        for (user, asset), delta in settlement.balances.items():
            self.balances[(user, asset)][0] += delta.available
            self.balances[(user, asset)][1] += delta.locked
        for order in settlement.orders.values():
            if order.phase is OrderPhase.DONE:
                self.open.pop(order.order_id, None)
            else:
                self.open[order.order_id] = order
        self.seq, self.last = settlement.to_seq, settlement

    def next_settlement(self, events: int = 2) -> Settlement:
        return Settlement(SYMBOL, self.seq + 1, self.seq + events)

    def open_of(self, side: Side) -> list[OrderRecord]:
        return [o for o in self.open.values() if o.side is side]


async def step(ledger: Ledger, model: Model, operation: tuple[Any, ...]) -> None:
    kind, *args = operation
    if kind in ("deposit", "withdraw"):
        user, asset, amount, nonce = args
        tx_id = f"{kind}-{user}-{asset}-{amount}-{nonce}"
        available = model.balances[(user, asset)]
        if kind == "deposit":
            if await ledger.deposit(tx_id, user, asset, amount):
                available[0] += amount
        elif amount > available[0]:
            try:
                applied = await ledger.withdraw(tx_id, user, asset, amount)
            except InsufficientFunds:
                return
            assert not applied, "a withdrawal beyond available funds was applied"
        elif await ledger.withdraw(tx_id, user, asset, amount):
            available[0] -= amount
    elif kind == "place":
        user, side, reserved = args
        order = an_order(next(model.order_ids), user_id=user, side=side, reserved=reserved)
        outcome, _ = await ledger.place_order(order)
        balance = model.balances[(user, order.reserved_asset)]
        fits = balance[0] >= reserved
        assert outcome is (PlaceOutcome.PLACED if fits else PlaceOutcome.INSUFFICIENT_FUNDS)
        if fits:
            balance[0] -= reserved
            balance[1] += reserved
            model.open[order.order_id] = order
    elif kind == "fill":
        buy_index, sell_index, base_share, quote_share, fee_ppm = args
        buys, sells = model.open_of(Side.BUY), model.open_of(Side.SELL)
        if not buys or not sells:
            return
        buy, sell = buys[buy_index % len(buys)], sells[sell_index % len(sells)]
        settlement = model.next_settlement()
        fill(settlement, buy, sell, trade_id=settlement.to_seq, fee_ppm=fee_ppm,
             base=round(sell.reserved * base_share), quote=round(buy.reserved * quote_share))
        assert await ledger.apply_settlement(settlement)
        model.apply(settlement)
        event("a fill was settled")
    elif kind == "cancel":
        if model.open:
            settlement = model.next_settlement(1)
            release(settlement, list(model.open.values())[args[0] % len(model.open)])
            assert await ledger.apply_settlement(settlement)
            model.apply(settlement)
            event("an order was canceled")
    elif kind == "replay":
        if model.last is not None:
            assert not await ledger.apply_settlement(model.last)
            event("a settlement was replayed")
    elif kind == "overdraw":
        user, asset = args
        settlement = model.next_settlement(1)
        settlement.credit(user, asset, available=-(model.balances[(user, asset)][0] + 1))
        settlement.credit(0, asset, available=model.balances[(user, asset)][0] + 1)  # conserving, yet refused
        try:
            await ledger.apply_settlement(settlement)
        except InsufficientFunds:
            return
        raise AssertionError("a settlement overdrawing a balance was applied")


async def assert_invariants(ledger: Ledger, model: Model) -> None:
    balances = await ledger.all_balances()
    held: defaultdict[str, int] = defaultdict(int)
    locked_by: dict[tuple[int, str], int] = {}
    for user, rows in balances.items():
        for b in rows:
            assert b.available >= 0 and b.locked >= 0, f"user {user} {b}"
            held[b.asset] += b.available + b.locked
            locked_by[(user, b.asset)] = b.locked
            assert [b.available, b.locked] == model.balances[(user, b.asset)], f"user {user} {b}"
    net = await ledger.net_deposits()
    assert (await ledger.audit_snapshot())[:2] == (balances, net)
    for asset in set(held) | set(net):
        assert net.get(asset, 0) == held[asset], f"{asset} is not conserved (fees included)"
    reserved: defaultdict[tuple[int, str], int] = defaultdict(int)
    unfinished = [order for user in (1, 2, 3) for order in await ledger.open_orders(user, None)]
    for order in unfinished:
        reserved[(order.user_id, order.reserved_asset)] += order.reserved
    assert {k: v for k, v in locked_by.items() if v} == {k: v for k, v in reserved.items() if v}
    assert sorted(o.order_id for o in unfinished) == sorted(model.open)
    assert await ledger.settled_seq(SYMBOL) == model.seq


_examples = itertools.count()  # names a fresh store for each example


def test_random_use_conserves_every_asset_and_never_goes_negative(backend: Backend) -> None:
    @settings(max_examples=repeat(backend, 60, 12), deadline=None)
    @given(operations=st.lists(OPERATIONS, min_size=10, max_size=50))
    def run(operations: list[tuple[Any, ...]]) -> None:
        async def scenario(ledger: Ledger) -> None:
            model = Model()
            funding = [("deposit", user, asset, 1_000, 9) for user in (1, 2, 3) for asset in (BASE, QUOTE)]
            try:
                for operation in funding + operations:
                    await step(ledger, model, operation)
                    await assert_invariants(ledger, model)
            finally:
                await ledger.close()

        # a fresh, empty store for every example; the fixture's backend only names where it lives
        asyncio.run(scenario(backend.ledger(f"example-{next(_examples)}")()))

    run()
