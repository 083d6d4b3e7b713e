"""API keys: creation, listing, revocation, and the authentication of signed requests."""

from __future__ import annotations

import hashlib
import hmac
import re

import pytest

from services.user.domain import Caller, NewApiKey, Permission, UserDomain
from services.user.errors import (
    ApiKeyFormatInvalid,
    ApiKeyNotFound,
    InvalidApiKey,
    InvalidParameter,
    InvalidRecvWindow,
    InvalidSignature,
    PermissionDenied,
    TimestampOutsideRecvWindow,
    Unauthenticated,
)
from tests.unit.user.fakes import FAST_HASHER, Clock, MemoryUserStore

ALICE = Caller(1, frozenset({Permission.READ, Permission.TRADE}))


@pytest.fixture
async def alice_key(domain: UserDomain) -> NewApiKey:
    user = await domain.register("alice@example.com", "correct horse battery")
    assert user.user_id == ALICE.user_id
    return await domain.create_api_key(ALICE, "bot", [])


def signed(secret: str, payload: bytes) -> str:
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


async def test_a_new_key_and_secret_are_64_alphanumerics_and_the_secret_is_stored_encrypted(
    alice_key: NewApiKey, store: MemoryUserStore
) -> None:
    assert re.fullmatch(r"[A-Za-z0-9]{64}", alice_key.key.api_key)
    assert re.fullmatch(r"[A-Za-z0-9]{64}", alice_key.secret)
    stored = store.keys[alice_key.key.api_key]
    assert alice_key.secret.encode() not in stored.secret_ciphertext
    assert stored.permissions == ("READ", "TRADE")  # the default


async def test_listing_shows_the_callers_live_keys_only(domain: UserDomain, alice_key: NewApiKey) -> None:
    second = await domain.create_api_key(ALICE, "read only", [Permission.READ])
    await domain.revoke_api_key(ALICE, alice_key.key.api_key)

    assert [k.api_key for k in await domain.api_keys(ALICE)] == [second.key.api_key]


async def test_only_an_admin_user_may_create_an_admin_key(domain: UserDomain, store: MemoryUserStore) -> None:
    await domain.register("alice@example.com", "correct horse battery")
    root = await store.create_user("root@example.com", FAST_HASHER.hash("x" * 8), 0, is_admin=True)

    with pytest.raises(PermissionDenied):
        await domain.create_api_key(ALICE, "", [Permission.ADMIN])
    admin_key = await domain.create_api_key(Caller(root.user_id, frozenset()), "ops", [Permission.ADMIN])
    assert admin_key.key.permissions == ("ADMIN",)


async def test_a_key_needs_a_caller_and_a_short_label(domain: UserDomain, alice_key: NewApiKey) -> None:
    with pytest.raises(Unauthenticated):
        await domain.create_api_key(Caller(None, frozenset()), "bot", [])
    with pytest.raises(InvalidParameter):
        await domain.create_api_key(ALICE, "x" * 65, [])


async def test_a_user_cannot_revoke_someone_elses_key(domain: UserDomain, alice_key: NewApiKey) -> None:
    await domain.register("bob@example.com", "correct horse battery")

    with pytest.raises(ApiKeyNotFound):
        await domain.revoke_api_key(Caller(2, frozenset()), alice_key.key.api_key)
    await domain.revoke_api_key(ALICE, alice_key.key.api_key)
    with pytest.raises(ApiKeyNotFound):  # twice
        await domain.revoke_api_key(ALICE, alice_key.key.api_key)


# -- authenticate -------------------------------------------------------------------------


async def test_a_correctly_signed_fresh_request_authenticates_as_the_keys_user(
    domain: UserDomain, alice_key: NewApiKey, clock: Clock
) -> None:
    payload = f"symbol=BTCUSDT&timestamp={clock()}".encode()

    result = await domain.authenticate(
        alice_key.key.api_key, payload, signed(alice_key.secret, payload), clock(), None, Permission.TRADE
    )

    assert result.user_id == ALICE.user_id
    assert result.permissions == {Permission.READ, Permission.TRADE}


async def test_a_wrong_signature_is_binance_1022(domain: UserDomain, alice_key: NewApiKey, clock: Clock) -> None:
    payload = b"symbol=BTCUSDT"
    with pytest.raises(InvalidSignature):
        await domain.authenticate(
            alice_key.key.api_key, payload, signed("another secret", payload), clock(), None, Permission.READ
        )


async def test_a_stale_request_is_binance_1021(domain: UserDomain, alice_key: NewApiKey, clock: Clock) -> None:
    payload = b"timestamp=1"
    signature = signed(alice_key.secret, payload)
    sent_ms = clock()
    clock.advance(10_001)

    await domain.authenticate(alice_key.key.api_key, payload, signature, sent_ms, 60_000, Permission.READ)
    with pytest.raises(TimestampOutsideRecvWindow):
        await domain.authenticate(alice_key.key.api_key, payload, signature, sent_ms, 10_000, Permission.READ)


async def test_a_forged_request_learns_only_1022_even_when_its_timestamp_is_stale(
    domain: UserDomain, alice_key: NewApiKey, clock: Clock
) -> None:
    with pytest.raises(InvalidSignature):
        await domain.authenticate(alice_key.key.api_key, b"x=1", "0" * 64, clock() - 99_999, None, None)


async def test_a_recv_window_above_60000_is_binance_1131(
    domain: UserDomain, alice_key: NewApiKey, clock: Clock
) -> None:
    payload = b"recvWindow=60001"
    with pytest.raises(InvalidRecvWindow):
        await domain.authenticate(
            alice_key.key.api_key, payload, signed(alice_key.secret, payload), clock(), 60_001, None
        )


async def test_an_unknown_or_revoked_key_is_binance_2015(
    domain: UserDomain, alice_key: NewApiKey, clock: Clock
) -> None:
    payload = b"a=1"
    with pytest.raises(InvalidApiKey):
        await domain.authenticate("A" * 64, payload, signed(alice_key.secret, payload), clock(), None, None)
    await domain.revoke_api_key(ALICE, alice_key.key.api_key)
    with pytest.raises(InvalidApiKey):
        await domain.authenticate(
            alice_key.key.api_key, payload, signed(alice_key.secret, payload), clock(), None, None
        )


async def test_a_malformed_key_is_binance_2014(domain: UserDomain, clock: Clock) -> None:
    for malformed in ("", "short", "k" * 63 + "!"):
        with pytest.raises(ApiKeyFormatInvalid):
            await domain.authenticate(malformed, b"", "", clock(), None, None)


async def test_a_key_without_the_endpoints_permission_is_binance_2015(
    domain: UserDomain, alice_key: NewApiKey, clock: Clock
) -> None:
    read_only = await domain.create_api_key(ALICE, "ro", [Permission.READ])
    payload = b"symbol=BTCUSDT"

    with pytest.raises(InvalidApiKey):
        await domain.authenticate(
            read_only.key.api_key, payload, signed(read_only.secret, payload), clock(), None, Permission.TRADE
        )


async def test_user_stream_endpoints_need_the_key_only(domain: UserDomain, alice_key: NewApiKey) -> None:
    result = await domain.authenticate(alice_key.key.api_key, b"", "", 0, None, None, api_key_only=True)

    assert result.user_id == ALICE.user_id
