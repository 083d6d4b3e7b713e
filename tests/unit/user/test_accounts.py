"""Registration, login and sessions."""

from __future__ import annotations

import jwt
import pytest

from services.user.domain import SESSION_TTL_MS, Permission, UserDomain
from services.user.errors import EmailTaken, InvalidCredentials, InvalidParameter, InvalidSession, WeakPassword
from tests.unit.user.fakes import FAST_HASHER, Clock, MemoryUserStore

PASSWORD = "correct horse battery"


async def test_register_stores_a_normalised_email_and_an_argon2id_hash_never_the_password(
    domain: UserDomain, store: MemoryUserStore
) -> None:
    user = await domain.register("  Alice@Example.COM ", PASSWORD)

    stored = store.users[user.user_id]
    assert stored.email == "alice@example.com"
    assert stored.password_hash.startswith("$argon2id$")
    assert PASSWORD not in stored.password_hash
    assert not stored.is_admin


async def test_the_same_mailbox_spelled_differently_cannot_register_twice(domain: UserDomain) -> None:
    await domain.register("alice@example.com", PASSWORD)

    with pytest.raises(EmailTaken):
        await domain.register("ALICE@example.com", PASSWORD)


@pytest.mark.parametrize(
    "email", ["", "alice", "alice@", "@example.com", "a b@example.com", "alice@example", "a..b@x.io"]
)
async def test_register_refuses_what_is_not_an_email_address(domain: UserDomain, email: str) -> None:
    with pytest.raises(InvalidParameter) as refused:
        await domain.register(email, PASSWORD)
    assert refused.value.error_metadata == {"param": "email"}


@pytest.mark.parametrize("password", ["short", "x" * 129, "alice@example.com", " " * 8, " \t " * 4])
async def test_register_refuses_passwords_outside_the_policy(domain: UserDomain, password: str) -> None:
    with pytest.raises(WeakPassword):
        await domain.register("alice@example.com", password)


async def test_login_returns_an_hs256_session_for_the_user(domain: UserDomain, clock: Clock) -> None:
    user = await domain.register("alice@example.com", PASSWORD)

    session = await domain.login("Alice@example.com", PASSWORD)

    assert session.user_id == user.user_id
    assert session.expires_ms == clock() + SESSION_TTL_MS
    assert jwt.get_unverified_header(session.token)["alg"] == "HS256"
    claims = jwt.decode(session.token, options={"verify_signature": False})
    assert (claims["sub"], claims["iat"] * 1000, claims["exp"] * 1000) == (
        str(user.user_id),
        clock(),
        session.expires_ms,
    )


async def test_login_with_a_wrong_password_or_an_unknown_email_is_the_same_refusal(domain: UserDomain) -> None:
    await domain.register("alice@example.com", PASSWORD)

    with pytest.raises(InvalidCredentials):
        await domain.login("alice@example.com", "wrong password")
    with pytest.raises(InvalidCredentials):
        await domain.login("bob@example.com", PASSWORD)
    with pytest.raises(InvalidCredentials):
        await domain.login("not an email", PASSWORD)


async def test_a_session_verifies_to_its_user_with_read_and_trade(domain: UserDomain) -> None:
    user = await domain.register("alice@example.com", PASSWORD)
    session = await domain.login("alice@example.com", PASSWORD)

    verified = domain.verify_session(session.token)

    assert verified.user_id == user.user_id
    assert verified.permissions == {Permission.READ, Permission.TRADE}


async def test_an_admin_users_session_carries_admin(domain: UserDomain, store: MemoryUserStore) -> None:
    await store.create_user("root@example.com", FAST_HASHER.hash(PASSWORD), 0, is_admin=True)

    session = await domain.login("root@example.com", PASSWORD)

    assert Permission.ADMIN in domain.verify_session(session.token).permissions


async def test_a_session_expires_after_its_ttl(domain: UserDomain, clock: Clock) -> None:
    await domain.register("alice@example.com", PASSWORD)
    session = await domain.login("alice@example.com", PASSWORD)

    clock.advance(SESSION_TTL_MS - 1000)
    domain.verify_session(session.token)
    clock.advance(1000)
    with pytest.raises(InvalidSession):
        domain.verify_session(session.token)


async def test_a_tampered_or_foreign_token_is_not_a_session(domain: UserDomain, clock: Clock) -> None:
    await domain.register("alice@example.com", PASSWORD)
    session = await domain.login("alice@example.com", PASSWORD)
    claims = jwt.decode(session.token, options={"verify_signature": False})
    forged_admin = jwt.encode({**claims, "perms": ["ADMIN"]}, "another key of at least 32 bytes!", algorithm="HS256")
    unsigned = jwt.encode(claims, "", algorithm="none")

    for token in (forged_admin, unsigned, session.token[:-2], "", "garbage"):
        with pytest.raises(InvalidSession):
            domain.verify_session(token)
