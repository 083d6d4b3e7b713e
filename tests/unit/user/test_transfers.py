"""Deposits, withdrawals (operator only, idempotent by transaction id) and balances."""

from __future__ import annotations

from typing import cast

import pytest

from services.common.ports import InsufficientFunds, Ledger
from services.common.records import Balance
from services.user.domain import Caller, Permission, Transfer, UserDomain
from services.user.errors import (
    InvalidParameter,
    PermissionDenied,
    TooMuchPrecision,
    Unauthenticated,
    UnknownAsset,
)
from tests.unit.user.fakes import FAST_HASHER, Clock, MemoryLedger, MemoryUserStore, make_secrets

OPERATOR = Caller(None, frozenset({Permission.ADMIN}))
ALICE = Caller(1, frozenset({Permission.READ, Permission.TRADE}))
ONE_BTC = 100_000_000  # minor units (8 decimals)


@pytest.fixture(autouse=True)
async def alice(domain: UserDomain) -> None:
    await domain.register("alice@example.com", "correct horse battery")


async def test_the_admin_token_makes_the_caller_the_operator(domain: UserDomain) -> None:
    assert domain.operator("operator-token").is_admin
    with pytest.raises(Unauthenticated):
        domain.operator("guess")


async def test_a_deposit_credits_the_available_balance_in_minor_units(domain: UserDomain) -> None:
    transfer = await domain.deposit(OPERATOR, 1, "BTC", "1.5", "tx-1")

    assert transfer.balance == Balance("BTC", 3 * ONE_BTC // 2, 0)
    assert not transfer.duplicate


async def test_the_same_transaction_id_credits_once(domain: UserDomain, ledger: MemoryLedger) -> None:
    await domain.deposit(OPERATOR, 1, "BTC", "1", "tx-1")

    again = await domain.deposit(OPERATOR, 1, "BTC", "1", "tx-1")

    assert again.duplicate
    assert again.balance.available == ONE_BTC


async def test_a_withdrawal_debits_and_cannot_overdraw(domain: UserDomain) -> None:
    await domain.deposit(OPERATOR, 1, "USDT", "100", "in-1")

    after = await domain.withdraw(OPERATOR, 1, "USDT", "40.5", "out-1")

    assert after.balance.available == 5_950_000_000
    with pytest.raises(InsufficientFunds):
        await domain.withdraw(OPERATOR, 1, "USDT", "59.50000001", "out-2")


async def test_only_the_operator_or_an_admin_moves_money(domain: UserDomain) -> None:
    with pytest.raises(PermissionDenied):
        await domain.deposit(ALICE, 1, "BTC", "1", "tx-1")
    with pytest.raises(Unauthenticated):
        await domain.withdraw(Caller(None, frozenset()), 1, "BTC", "1", "tx-2")
    admin_user = Caller(7, frozenset({Permission.ADMIN}))
    assert (await domain.deposit(admin_user, 1, "BTC", "1", "tx-3")).balance.available == ONE_BTC


@pytest.mark.parametrize(
    ("asset", "amount", "tx_id", "error"),
    [
        ("DOGE", "1", "tx", UnknownAsset),
        ("BTC", "0", "tx", InvalidParameter),
        ("BTC", "-1", "tx", InvalidParameter),
        ("BTC", "1e3", "tx", InvalidParameter),
        ("BTC", "NaN", "tx", InvalidParameter),
        ("BTC", "abc", "tx", InvalidParameter),
        ("BTC", "99999999999999999999999", "tx", InvalidParameter),
        ("BTC", "0.000000001", "tx", TooMuchPrecision),
        ("BTC", "1", "", InvalidParameter),
        ("BTC", "1", "has space", InvalidParameter),
    ],
)
async def test_malformed_transfers_are_refused_before_the_ledger_sees_them(
    domain: UserDomain, ledger: MemoryLedger, asset: str, amount: str, tx_id: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        await domain.deposit(OPERATOR, 1, asset, amount, tx_id)
    assert ledger.applied == set()


async def test_a_transfer_to_a_user_that_does_not_exist_is_refused(domain: UserDomain) -> None:
    with pytest.raises(InvalidParameter) as refused:
        await domain.deposit(OPERATOR, 99, "BTC", "1", "tx")
    assert refused.value.error_metadata == {"param": "userId"}


async def test_balances_are_the_callers_own_and_named_assets_are_answered_even_if_never_held(
    domain: UserDomain,
) -> None:
    await domain.deposit(OPERATOR, 1, "USDT", "10", "tx-1")
    await domain.deposit(OPERATOR, 1, "BTC", "1", "tx-2")

    assert [b.asset for b in await domain.balances(ALICE, None, [])] == ["BTC", "USDT"]
    assert await domain.balances(ALICE, None, ["ETH", "BTC"]) == [Balance("ETH", 0, 0), Balance("BTC", ONE_BTC, 0)]


async def test_someone_elses_balances_need_admin(domain: UserDomain) -> None:
    await domain.register("bob@example.com", "correct horse battery")

    with pytest.raises(PermissionDenied):
        await domain.balances(ALICE, 2, [])
    assert await domain.balances(OPERATOR, 2, []) == []


async def test_each_applied_transfer_is_announced_once_with_its_signed_amount(
    store: MemoryUserStore, ledger: MemoryLedger, clock: Clock
) -> None:
    announced: list[Transfer] = []
    domain = UserDomain(
        store, cast(Ledger, ledger), make_secrets(), hasher=FAST_HASHER, clock=clock, on_transfer=announced.append
    )
    await domain.register("bob@example.com", "correct horse battery")
    try:
        await domain.deposit(OPERATOR, 2, "BTC", "1", "in-1")
        await domain.deposit(OPERATOR, 2, "BTC", "1", "in-1")  # a duplicate moved nothing
        await domain.withdraw(OPERATOR, 2, "BTC", "0.25", "out-1")
        with pytest.raises(InsufficientFunds):
            await domain.withdraw(OPERATOR, 2, "BTC", "5", "out-2")
    finally:
        domain.close()

    assert [(t.tx_id, t.user_id, t.delta, t.balance.available) for t in announced] == [
        ("in-1", 2, ONE_BTC, ONE_BTC),
        ("out-1", 2, -ONE_BTC // 4, 3 * ONE_BTC // 4),
    ]
