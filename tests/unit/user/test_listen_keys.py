"""Binance user data stream keys: one per user, 60 minutes unless kept alive."""

from __future__ import annotations

import pytest

from services.user.domain import Caller, UserDomain
from services.user.errors import InvalidListenKey
from services.user.listen_keys import LISTEN_KEY_TTL_MS
from tests.unit.user.fakes import Clock

ALICE = Caller(1, frozenset())
BOB = Caller(2, frozenset())


def test_a_listen_key_resolves_to_its_user_until_it_expires(domain: UserDomain, clock: Clock) -> None:
    key = domain.create_listen_key(ALICE)

    assert domain.resolve_listen_key(key).user_id == 1
    clock.advance(LISTEN_KEY_TTL_MS)
    with pytest.raises(InvalidListenKey):
        domain.resolve_listen_key(key)


def test_creating_again_returns_the_active_key_extended(domain: UserDomain, clock: Clock) -> None:
    key = domain.create_listen_key(ALICE)
    clock.advance(LISTEN_KEY_TTL_MS - 1)

    assert domain.create_listen_key(ALICE) == key
    assert domain.resolve_listen_key(key).expires_ms == clock() + LISTEN_KEY_TTL_MS
    assert domain.create_listen_key(BOB) != key


def test_keep_alive_extends_and_close_ends_only_the_owners_key(domain: UserDomain, clock: Clock) -> None:
    key = domain.create_listen_key(ALICE)
    clock.advance(LISTEN_KEY_TTL_MS - 1)
    domain.keep_alive_listen_key(ALICE, key)
    clock.advance(LISTEN_KEY_TTL_MS - 1)

    assert domain.resolve_listen_key(key).user_id == 1
    with pytest.raises(InvalidListenKey):
        domain.close_listen_key(BOB, key)
    domain.close_listen_key(ALICE, key)
    with pytest.raises(InvalidListenKey):
        domain.resolve_listen_key(key)
