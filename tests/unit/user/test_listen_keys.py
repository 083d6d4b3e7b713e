"""Binance user data stream keys: one per user, 60 minutes unless kept alive, kept in the user
store so that every replica of the user service resolves them."""

from __future__ import annotations

import pytest

from services.user.domain import Caller, UserDomain
from services.user.errors import InvalidListenKey
from services.user.listen_keys import LISTEN_KEY_LENGTH, LISTEN_KEY_TTL_MS, ListenKeys, new_listen_key, user_of
from tests.unit.user.fakes import Clock, MemoryUserStore

ALICE = Caller(1, frozenset())
BOB = Caller(2, frozenset())


async def test_a_listen_key_resolves_to_its_user_until_it_expires(domain: UserDomain, clock: Clock) -> None:
    key = await domain.create_listen_key(ALICE)

    assert len(key) == LISTEN_KEY_LENGTH and key.isalnum()
    assert (await domain.resolve_listen_key(key)).user_id == 1
    clock.advance(LISTEN_KEY_TTL_MS)
    with pytest.raises(InvalidListenKey):
        await domain.resolve_listen_key(key)


async def test_creating_again_returns_the_active_key_extended(domain: UserDomain, clock: Clock) -> None:
    key = await domain.create_listen_key(ALICE)
    clock.advance(LISTEN_KEY_TTL_MS - 1)

    assert await domain.create_listen_key(ALICE) == key
    assert (await domain.resolve_listen_key(key)).expires_ms == clock() + LISTEN_KEY_TTL_MS
    assert await domain.create_listen_key(BOB) != key


async def test_an_expired_key_is_replaced_by_a_new_one(domain: UserDomain, clock: Clock) -> None:
    old = await domain.create_listen_key(ALICE)
    clock.advance(LISTEN_KEY_TTL_MS)

    new = await domain.create_listen_key(ALICE)
    assert new != old
    assert (await domain.resolve_listen_key(new)).user_id == 1
    with pytest.raises(InvalidListenKey):
        await domain.resolve_listen_key(old)


async def test_keep_alive_extends_and_close_ends_only_the_owners_key(domain: UserDomain, clock: Clock) -> None:
    key = await domain.create_listen_key(ALICE)
    clock.advance(LISTEN_KEY_TTL_MS - 1)
    await domain.keep_alive_listen_key(ALICE, key)
    clock.advance(LISTEN_KEY_TTL_MS - 1)

    assert (await domain.resolve_listen_key(key)).user_id == 1
    with pytest.raises(InvalidListenKey):
        await domain.close_listen_key(BOB, key)
    with pytest.raises(InvalidListenKey):
        await domain.keep_alive_listen_key(BOB, key)
    await domain.close_listen_key(ALICE, key)
    with pytest.raises(InvalidListenKey):
        await domain.resolve_listen_key(key)
    with pytest.raises(InvalidListenKey):
        await domain.keep_alive_listen_key(ALICE, key)


async def test_a_key_made_by_one_replica_is_served_by_another(store: MemoryUserStore, clock: Clock) -> None:
    # two user-service processes: nothing shared but the store
    one, other = ListenKeys(store, clock), ListenKeys(store, clock)
    key = await one.create(7)

    assert (await other.resolve(key)).user_id == 7
    assert await other.create(7) == key
    await other.close(7, key)
    with pytest.raises(InvalidListenKey):
        await one.resolve(key)


async def test_a_forged_or_malformed_key_resolves_to_nobody(domain: UserDomain) -> None:
    key = await domain.create_listen_key(ALICE)
    forged = ("A" if key[0] != "A" else "B") + key[1:]  # the same user's tail, another random part
    for bad in (forged, key[:-1], key + "0", key[:-1] + "!", "", "x" * LISTEN_KEY_LENGTH):
        with pytest.raises(InvalidListenKey):
            await domain.resolve_listen_key(bad)


def test_a_key_names_its_user() -> None:
    for user_id in (0, 1, 61, 62, 2**53, 2**63 - 1):
        key = new_listen_key(user_id)
        assert len(key) == LISTEN_KEY_LENGTH and key.isalnum() and user_of(key) == user_id
    assert new_listen_key(5) != new_listen_key(5)
