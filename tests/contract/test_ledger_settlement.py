"""The Ledger port, settlement: one batch of engine events applied atomically, exactly once."""

from __future__ import annotations

import pytest

from engine_ext.codes import OrderStatus, Side
from services.common.ports import InsufficientFunds, Ledger
from services.common.records import FEE_ACCOUNT_USER_ID, Balance, OrderPhase, OrderRecord, Settlement
from tests.contract.backends import Backend
from tests.contract.builders import SYMBOL, an_order, fill

BUYER, SELLER = 1, 2


async def two_resting_orders(ledger: Ledger) -> tuple[OrderRecord, OrderRecord]:
    """BUYER locks 1_000 USDT in order 1, SELLER locks 100 BTC in order 2."""
    await ledger.deposit("d-usdt", BUYER, "USDT", 1_000)
    await ledger.deposit("d-btc", SELLER, "BTC", 100)
    buy, sell = an_order(1, user_id=BUYER, reserved=1_000), an_order(2, user_id=SELLER, side=Side.SELL, reserved=100)
    await ledger.place_order(buy)
    await ledger.place_order(sell)
    return buy, sell


async def everything(ledger: Ledger) -> tuple[object, ...]:
    """What settlement can touch, to compare before and after."""
    return (
        await ledger.all_balances(),
        await ledger.settled_seq(SYMBOL),
        await ledger.get_orders(SYMBOL, [1, 2]),
        await ledger.list_trades(BUYER, SYMBOL, None, None, None, None, 1_000),
        await ledger.list_trades(SELLER, SYMBOL, None, None, None, None, 1_000),
    )


async def test_the_watermark_starts_at_zero(ledger: Ledger) -> None:
    assert await ledger.settled_seq(SYMBOL) == 0


async def test_a_settlement_moves_funds_updates_orders_records_trades_and_the_watermark(ledger: Ledger) -> None:
    buy, sell = await two_resting_orders(ledger)
    settlement = Settlement(SYMBOL, 1, 3)
    new_buy, new_sell = fill(settlement, buy, sell, trade_id=2, base=40, quote=400, fee_ppm=25_000)

    assert await ledger.apply_settlement(settlement)

    # each balance a settlement touches, new ones included, changed at the settlement's time
    assert settlement.time_ms > 0
    assert [b.updated_ms for b in await ledger.balances(SELLER)] == [settlement.time_ms] * 2
    assert await ledger.all_balances() == {
        FEE_ACCOUNT_USER_ID: [Balance("BTC", 1, 0), Balance("USDT", 10, 0)],
        BUYER: [Balance("BTC", 39, 0), Balance("USDT", 0, 600)],
        SELLER: [Balance("BTC", 0, 60), Balance("USDT", 390, 0)],
    }
    assert await ledger.settled_seq(SYMBOL) == 3
    assert await ledger.get_orders(SYMBOL, [1, 2]) == {1: new_buy, 2: new_sell}
    buyer_trades = await ledger.list_trades(BUYER, SYMBOL, None, None, None, None, 10)
    seller_trades = await ledger.list_trades(SELLER, SYMBOL, None, None, None, None, 10)
    assert buyer_trades == [t for t in settlement.trades if t.is_buyer]
    assert seller_trades == [t for t in settlement.trades if not t.is_buyer]


async def test_a_settlement_applied_twice_changes_nothing_the_second_time(ledger: Ledger) -> None:
    buy, sell = await two_resting_orders(ledger)
    settlement = Settlement(SYMBOL, 1, 1)
    fill(settlement, buy, sell, trade_id=1, base=10, quote=100)
    assert await ledger.apply_settlement(settlement)
    after_first = await everything(ledger)

    assert not await ledger.apply_settlement(settlement)
    assert await everything(ledger) == after_first


async def test_an_older_settlement_redelivered_later_is_ignored(ledger: Ledger) -> None:
    buy, sell = await two_resting_orders(ledger)
    first = Settlement(SYMBOL, 1, 2)
    buy, sell = fill(first, buy, sell, trade_id=2, base=1, quote=10)
    second = Settlement(SYMBOL, 3, 5)
    fill(second, buy, sell, trade_id=4, base=1, quote=10)
    assert await ledger.apply_settlement(first)
    assert await ledger.apply_settlement(second)
    settled = await everything(ledger)
    assert not await ledger.apply_settlement(first)
    assert await everything(ledger) == settled


@pytest.mark.parametrize(("from_seq", "to_seq"), [(4, 5), (2, 7)], ids=["gap", "overlap"])
async def test_a_settlement_that_does_not_continue_the_watermark_is_refused(
    ledger: Ledger, from_seq: int, to_seq: int
) -> None:
    buy, sell = await two_resting_orders(ledger)
    first = Settlement(SYMBOL, 1, 2)
    buy, sell = fill(first, buy, sell, trade_id=1, base=1, quote=10)
    await ledger.apply_settlement(first)
    before = await everything(ledger)
    out_of_order = Settlement(SYMBOL, from_seq, to_seq)
    fill(out_of_order, buy, sell, trade_id=to_seq, base=1, quote=10)

    with pytest.raises(ValueError):
        await ledger.apply_settlement(out_of_order)
    assert await everything(ledger) == before


@pytest.mark.parametrize("field", ["available", "locked"])
async def test_a_settlement_that_would_make_a_balance_negative_is_refused_whole(ledger: Ledger, field: str) -> None:
    buy, sell = await two_resting_orders(ledger)
    before = await everything(ledger)
    settlement = Settlement(SYMBOL, 1, 1)
    fill(settlement, buy, sell, trade_id=1, base=10, quote=100)  # valid on its own
    settlement.credit(SELLER, "BTC", **{field: -1_000})  # but SELLER has nowhere near 1_000 BTC

    with pytest.raises(InsufficientFunds):
        await ledger.apply_settlement(settlement)
    assert await everything(ledger) == before, "no delta, order, trade or watermark may remain"


async def test_a_negative_delta_on_a_missing_balance_is_refused(ledger: Ledger) -> None:
    settlement = Settlement(SYMBOL, 1, 1)
    settlement.credit(99, "BTC", available=-1)
    with pytest.raises(InsufficientFunds):
        await ledger.apply_settlement(settlement)
    assert all(b.available == b.locked == 0 for b in await ledger.balances(99))
    assert await ledger.settled_seq(SYMBOL) == 0


async def test_a_settlement_can_credit_a_user_with_no_balance_yet(ledger: Ledger) -> None:
    settlement = Settlement(SYMBOL, 1, 1)
    settlement.credit(FEE_ACCOUNT_USER_ID, "BNB", available=5)
    assert await ledger.apply_settlement(settlement)
    assert await ledger.balances(FEE_ACCOUNT_USER_ID) == [Balance("BNB", 5, 0)]


async def test_watermarks_are_per_symbol(ledger: Ledger) -> None:
    assert await ledger.apply_settlement(Settlement(SYMBOL, 1, 10))
    assert await ledger.apply_settlement(Settlement("ETHUSDT", 1, 3))
    assert await ledger.settled_seq(SYMBOL) == 10
    assert await ledger.settled_seq("ETHUSDT") == 3


async def test_a_self_trade_records_both_sides(ledger: Ledger) -> None:
    await ledger.deposit("d-usdt", BUYER, "USDT", 1_000)
    await ledger.deposit("d-btc", BUYER, "BTC", 100)
    buy, sell = an_order(1, user_id=BUYER, reserved=1_000), an_order(2, user_id=BUYER, side=Side.SELL, reserved=100)
    await ledger.place_order(buy)
    await ledger.place_order(sell)
    settlement = Settlement(SYMBOL, 1, 1)
    fill(settlement, buy, sell, trade_id=1, base=10, quote=100, fee_ppm=0)
    assert await ledger.apply_settlement(settlement)
    trades = await ledger.list_trades(BUYER, SYMBOL, None, None, None, None, 10)
    assert [(t.trade_id, t.is_buyer) for t in trades] == [(1, False), (1, True)]
    assert await ledger.balances(BUYER) == [Balance("BTC", 10, 90), Balance("USDT", 100, 900)]


async def test_list_trades_filters_by_order_and_pages_like_binance_my_trades(ledger: Ledger) -> None:
    buy, sell = await two_resting_orders(ledger)
    await ledger.deposit("d-usdt-2", BUYER, "USDT", 1_000)
    other_buy = an_order(3, user_id=BUYER, reserved=1_000)
    await ledger.place_order(other_buy)
    for seq in range(1, 11):
        settlement = Settlement(SYMBOL, seq, seq)
        if seq % 2:
            buy, sell = fill(settlement, buy, sell, trade_id=seq, base=1, quote=10, time_ms=1_000 * seq)
        else:
            other_buy, sell = fill(settlement, other_buy, sell, trade_id=seq, base=1, quote=10, time_ms=1_000 * seq)
        await ledger.apply_settlement(settlement)

    async def ids(
        order_id: int | None, from_id: int | None, start: int | None, end: int | None, limit: int
    ) -> list[int]:
        trades = await ledger.list_trades(BUYER, SYMBOL, order_id, from_id, start, end, limit)
        return [t.trade_id for t in trades]

    assert await ids(None, None, None, None, 3) == [8, 9, 10], "no start: the most recent, oldest first"
    assert await ids(None, 4, None, None, 3) == [4, 5, 6]
    assert await ids(1, None, None, None, 100) == [1, 3, 5, 7, 9]
    assert await ids(3, 5, None, None, 100) == [6, 8, 10]
    assert await ids(None, None, 2_000, 4_000, 100) == [2, 3, 4]
    assert await ledger.list_trades(BUYER, "ETHUSDT", None, None, None, None, 100) == []


async def test_settled_state_survives_close_and_reopen(backend: Backend) -> None:
    ledger: Ledger = backend.ledger()()
    buy, sell = await two_resting_orders(ledger)
    settlement = Settlement(SYMBOL, 1, 4)
    fill(settlement, buy, sell, trade_id=3, base=10, quote=100)
    await ledger.apply_settlement(settlement)
    settled = await everything(ledger)
    await ledger.close()

    reopened: Ledger = backend.ledger()()
    try:
        assert await everything(reopened) == settled
        assert not await reopened.apply_settlement(settlement)
    finally:
        await reopened.close()


async def test_settlement_can_finish_an_order(ledger: Ledger) -> None:
    buy, sell = await two_resting_orders(ledger)
    settlement = Settlement(SYMBOL, 1, 1)
    new_buy, _ = fill(settlement, buy, sell, trade_id=1, base=100, quote=1_000, fee_ppm=0)
    assert new_buy.phase is OrderPhase.DONE and new_buy.status is OrderStatus.FILLED
    await ledger.apply_settlement(settlement)
    assert await ledger.open_orders(BUYER, SYMBOL) == []
    assert await ledger.get_order(SYMBOL, 1) == new_buy


async def many_fills(ledger: Ledger, fills: int) -> tuple[Settlement, list[OrderRecord]]:
    """A settlement of `fills` fills, each between its own resting buy and sell order: far more
    writes than one DynamoDB transaction holds (6 per fill), whatever the backend does with that."""
    await ledger.deposit("d-usdt", BUYER, "USDT", 100 * fills)
    await ledger.deposit("d-btc", SELLER, "BTC", 10 * fills)
    settlement, finished = Settlement(SYMBOL, 1, fills), []
    for k in range(fills):
        buy = an_order(2 * k + 1, user_id=BUYER, reserved=100)
        sell = an_order(2 * k + 2, user_id=SELLER, side=Side.SELL, reserved=10)
        await ledger.place_order(buy)
        await ledger.place_order(sell)
        finished.extend(fill(settlement, buy, sell, trade_id=k + 1, base=10, quote=100))
    return settlement, finished


async def test_a_settlement_of_many_fills_applies_whole_and_once(ledger: Ledger) -> None:
    settlement, finished = await many_fills(ledger, 40)

    assert await ledger.apply_settlement(settlement)
    assert not await ledger.apply_settlement(settlement)

    assert await ledger.settled_seq(SYMBOL) == 40
    assert await ledger.get_orders(SYMBOL, range(1, 81)) == {o.order_id: o for o in finished}
    assert await ledger.open_orders(BUYER, None) == await ledger.open_orders(SELLER, None) == []
    assert len(await ledger.list_trades(BUYER, SYMBOL, None, None, None, None, 1_000)) == 40
    balances, net_deposits, unfinished = await ledger.audit_snapshot()
    assert balances == {  # no fee account: 0.1% of 10 BTC lots or 100 USDT units rounds to nothing
        BUYER: [Balance("BTC", 400, 0), Balance("USDT", 0, 0)],
        SELLER: [Balance("BTC", 0, 0), Balance("USDT", 4_000, 0)],
    }
    assert net_deposits == {"BTC": 400, "USDT": 4_000}
    assert unfinished == []


async def test_a_settlement_of_many_fills_that_would_overdraw_is_refused_whole(ledger: Ledger) -> None:
    settlement, _ = await many_fills(ledger, 40)
    settlement.credit(SELLER, "BTC", locked=-1)  # one lot more than the seller's orders lock
    settlement.credit(BUYER, "BTC", available=1)
    before = (await ledger.audit_snapshot(), await ledger.get_orders(SYMBOL, range(1, 81)))

    with pytest.raises(InsufficientFunds):
        await ledger.apply_settlement(settlement)

    assert (await ledger.audit_snapshot(), await ledger.get_orders(SYMBOL, range(1, 81))) == before
    assert await ledger.settled_seq(SYMBOL) == 0
    assert await ledger.list_trades(BUYER, SYMBOL, None, None, None, None, 1_000) == []
