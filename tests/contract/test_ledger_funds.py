"""The Ledger port, funds: deposits, withdrawals, balances and the audit totals."""

from __future__ import annotations

import asyncio
import time

import pytest

from services.common.ports import LARGEST_SUPPLY, InsufficientFunds, Ledger, SupplyExceeded
from services.common.records import Balance
from tests.contract.backends import Backend
from tests.contract.builders import an_order


async def test_a_deposit_credits_available_funds(ledger: Ledger) -> None:
    assert await ledger.deposit("tx-1", 1, "USDT", 500)
    assert await ledger.deposit("tx-2", 1, "USDT", 250)
    assert await ledger.deposit("tx-3", 1, "BTC", 7)
    assert await ledger.balances(1) == [Balance("BTC", 7, 0), Balance("USDT", 750, 0)]


async def test_a_user_without_funds_has_no_balances(ledger: Ledger) -> None:
    assert await ledger.balances(42) == []


async def test_a_deposit_is_applied_once_per_tx_id(ledger: Ledger) -> None:
    assert await ledger.deposit("tx-1", 1, "USDT", 500)
    assert not await ledger.deposit("tx-1", 1, "USDT", 500)
    assert await ledger.balances(1) == [Balance("USDT", 500, 0)]
    assert await ledger.net_deposits() == {"USDT": 500}


async def test_a_tx_id_reused_for_a_different_transfer_is_refused(ledger: Ledger) -> None:
    await ledger.deposit("tx-1", 1, "USDT", 500)
    with pytest.raises(ValueError):
        await ledger.deposit("tx-1", 1, "USDT", 501)
    with pytest.raises(ValueError):
        await ledger.withdraw("tx-1", 1, "USDT", 500)
    assert await ledger.balances(1) == [Balance("USDT", 500, 0)]


async def test_deposits_stop_at_the_largest_supply_whoever_they_credit(ledger: Ledger) -> None:
    # every balance of an asset is at most its net deposits: capping those keeps balances exact
    assert await ledger.deposit("tx-1", 1, "WETH", LARGEST_SUPPLY - 10)
    assert await ledger.deposit("tx-2", 2, "WETH", 10)
    with pytest.raises(SupplyExceeded):
        await ledger.deposit("tx-3", 3, "WETH", 1)
    with pytest.raises(SupplyExceeded):
        await ledger.deposit("tx-4", 4, "BTC", LARGEST_SUPPLY + 1)
    assert await ledger.balances(3) == [] and await ledger.balances(4) == []
    assert await ledger.net_deposits() == {"WETH": LARGEST_SUPPLY}
    assert await ledger.withdraw("tx-5", 2, "WETH", 10)  # a withdrawal makes room again
    assert await ledger.deposit("tx-3", 3, "WETH", 1)
    assert await ledger.balances(3) == [Balance("WETH", 1, 0)]
    assert await ledger.net_deposits() == {"WETH": LARGEST_SUPPLY - 9}


async def test_a_withdrawal_debits_available_funds_once_per_tx_id(ledger: Ledger) -> None:
    await ledger.deposit("tx-1", 1, "USDT", 500)
    assert await ledger.withdraw("wd-1", 1, "USDT", 200)
    assert not await ledger.withdraw("wd-1", 1, "USDT", 200)
    assert await ledger.balances(1) == [Balance("USDT", 300, 0)]


async def test_a_withdrawal_beyond_available_funds_raises_and_changes_nothing(ledger: Ledger) -> None:
    await ledger.deposit("tx-1", 1, "USDT", 500)
    with pytest.raises(InsufficientFunds):
        await ledger.withdraw("wd-1", 1, "USDT", 501)
    with pytest.raises(InsufficientFunds):
        await ledger.withdraw("wd-2", 1, "BTC", 1)
    assert await ledger.balances(1) == [Balance("USDT", 500, 0)]
    assert await ledger.net_deposits() == {"USDT": 500}
    assert await ledger.withdraw("wd-1", 1, "USDT", 500), "a refused tx_id is not consumed"


@pytest.mark.parametrize("amount", [0, -5])
async def test_amounts_must_be_positive(ledger: Ledger, amount: int) -> None:
    with pytest.raises(ValueError):
        await ledger.deposit("tx-1", 1, "USDT", amount)
    with pytest.raises(ValueError):
        await ledger.withdraw("tx-2", 1, "USDT", amount)
    assert await ledger.balances(1) == []


async def test_net_deposits_are_deposits_minus_withdrawals_per_asset(ledger: Ledger) -> None:
    await ledger.deposit("d1", 1, "USDT", 500)
    await ledger.deposit("d2", 2, "USDT", 100)
    await ledger.deposit("d3", 2, "BTC", 9)
    await ledger.withdraw("w1", 1, "USDT", 50)
    await ledger.withdraw("w2", 2, "BTC", 9)
    assert await ledger.net_deposits() == {"USDT": 550, "BTC": 0}


async def test_all_balances_lists_every_user(ledger: Ledger) -> None:
    await ledger.deposit("d1", 1, "USDT", 500)
    await ledger.deposit("d2", 2, "BTC", 3)
    assert await ledger.all_balances() == {1: [Balance("USDT", 500, 0)], 2: [Balance("BTC", 3, 0)]}


async def test_balances_survive_close_and_reopen(backend: Backend) -> None:
    first: Ledger = backend.ledger()()
    await first.deposit("d1", 1, "USDT", 500)
    await first.withdraw("w1", 1, "USDT", 100)
    await first.close()

    reopened: Ledger = backend.ledger()()
    try:
        assert await reopened.balances(1) == [Balance("USDT", 400, 0)]
        assert not await reopened.deposit("d1", 1, "USDT", 500), "tx ids are remembered across restarts"
        assert await reopened.net_deposits() == {"USDT": 400}
    finally:
        await reopened.close()


async def test_units_are_pinned_the_first_time_and_a_changed_one_is_reported(backend: Backend) -> None:
    first, other = backend.ledger()(), backend.ledger()()  # two processes of one exchange
    try:
        assert await first.pin_units({"asset BTC": "0.00000001", "BTCUSDT tick_size": "0.01"}) == {}
        assert await other.pin_units({"asset BTC": "0.00000001", "BTCUSDT tick_size": "0.01"}) == {}
        assert await other.pin_units({"BTCUSDT tick_size": "0.1", "ETHUSDT tick_size": "0.01"}) == {
            "BTCUSDT tick_size": "0.01"}
        # the changed unit was not taken, the new name was
        assert await first.pin_units({"BTCUSDT tick_size": "0.1", "ETHUSDT tick_size": "0.001"}) == {
            "BTCUSDT tick_size": "0.01", "ETHUSDT tick_size": "0.01"}
    finally:
        await first.close()
        await other.close()


async def test_every_balance_change_records_when_it_happened(ledger: Ledger) -> None:
    # Binance's account updateTime is the latest of these
    def changed(balances: list[Balance]) -> dict[str, int]:
        return {b.asset: b.updated_ms for b in balances}

    before = time.time_ns() // 1_000_000
    await ledger.deposit("tx-1", 1, "USDT", 500)
    await ledger.deposit("tx-2", 1, "BTC", 5)
    deposited = changed(await ledger.balances(1))
    assert before <= deposited["BTC"] and before <= deposited["USDT"] <= time.time_ns() // 1_000_000

    await asyncio.sleep(0.01)
    placed_ms = time.time_ns() // 1_000_000
    await ledger.place_order(an_order(1, reserved=100, created_ms=placed_ms))  # reserves USDT, not BTC
    reserved = changed(await ledger.balances(1))
    assert reserved == {"BTC": deposited["BTC"], "USDT": placed_ms}  # the order's own time

    await asyncio.sleep(0.01)
    assert await ledger.withdraw("wd-1", 1, "BTC", 1)
    withdrawn = changed(await ledger.balances(1))
    assert withdrawn["BTC"] > reserved["BTC"] and withdrawn["USDT"] == reserved["USDT"]
    assert changed((await ledger.all_balances())[1]).keys() == {"BTC", "USDT"}
