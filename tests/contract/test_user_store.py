"""The UserStore port: users by id and by email (an email is taken once), API keys by key and by
user, revocation by the owner only. Every backend's store; a second handle (`backend.users()()`)
is another process's view of the same store."""

from __future__ import annotations

import asyncio

import pytest

from services.common.ports import AlreadyExists, ApiKeyRecord, ListenKeyRecord, UserStore
from tests.contract.backends import Backend
from tests.contract.processes import Spawn


def api_key(key: str, user_id: int, created_ms: int = 1, **overrides: object) -> ApiKeyRecord:
    fields: dict[str, object] = {
        "api_key": key,
        "user_id": user_id,
        "secret_ciphertext": b"\x00ciphertext\xff",
        "label": "bot",
        "permissions": ("READ", "TRADE"),
        "created_ms": created_ms,
    }
    return ApiKeyRecord(**{**fields, **overrides})  # type: ignore[arg-type]


async def test_a_created_user_is_found_by_email_and_by_id(users: UserStore) -> None:
    user = await users.create_user("alice@example.com", "$argon2id$hash", 1_700_000_000_000)

    assert user.user_id > 0  # 0 is the fee account
    assert (user.email, user.password_hash, user.created_ms, user.is_admin) == (
        "alice@example.com", "$argon2id$hash", 1_700_000_000_000, False)
    assert await users.user_by_email("alice@example.com") == user
    assert await users.user_by_id(user.user_id) == user


async def test_user_ids_are_distinct(users: UserStore) -> None:
    ids = {(await users.create_user(f"u{i}@example.com", "h", i)).user_id for i in range(5)}

    assert len(ids) == 5


async def test_unknown_users_are_none(users: UserStore) -> None:
    assert await users.user_by_email("nobody@example.com") is None
    assert await users.user_by_id(12345) is None


async def test_the_admin_flag_is_kept(users: UserStore) -> None:
    root = await users.create_user("root@example.com", "h", 1, is_admin=True)

    assert (await users.user_by_id(root.user_id)).is_admin  # type: ignore[union-attr]
    assert not (await users.create_user("alice@example.com", "h", 1)).is_admin


async def test_an_email_can_be_taken_once(users: UserStore) -> None:
    first = await users.create_user("alice@example.com", "h1", 1)

    with pytest.raises(AlreadyExists):
        await users.create_user("alice@example.com", "h2", 2)
    assert await users.user_by_email("alice@example.com") == first
    assert (await users.create_user("bob@example.com", "h3", 3)).user_id != first.user_id


async def test_an_api_key_round_trips_byte_for_byte(users: UserStore) -> None:
    user = await users.create_user("alice@example.com", "h", 1)
    key = api_key("K" * 64, user.user_id, label="my bot", permissions=("READ",),
                  secret_ciphertext=bytes(range(256)))

    await users.add_api_key(key)

    assert await users.api_key("K" * 64) == key
    assert await users.api_key("L" * 64) is None


async def test_an_api_key_that_exists_is_refused_and_the_first_one_kept(users: UserStore) -> None:
    alice = await users.create_user("alice@example.com", "h", 1)
    bob = await users.create_user("bob@example.com", "h", 2)
    first = api_key("K" * 64, alice.user_id)
    await users.add_api_key(first)

    with pytest.raises(AlreadyExists):
        await users.add_api_key(api_key("K" * 64, bob.user_id, label="taken"))

    assert await users.api_key("K" * 64) == first
    assert await users.api_keys(bob.user_id) == []


async def test_a_key_without_permissions_keeps_an_empty_tuple(users: UserStore) -> None:
    user = await users.create_user("alice@example.com", "h", 1)
    key = api_key("k" * 64, user.user_id, permissions=())

    await users.add_api_key(key)

    assert await users.api_key("k" * 64) == key


async def test_a_users_keys_are_listed_oldest_first_and_only_theirs(users: UserStore) -> None:
    alice = await users.create_user("alice@example.com", "h", 1)
    bob = await users.create_user("bob@example.com", "h", 1)
    await users.add_api_key(api_key("b" * 64, alice.user_id, created_ms=20))
    await users.add_api_key(api_key("a" * 64, alice.user_id, created_ms=10))
    await users.add_api_key(api_key("c" * 64, bob.user_id, created_ms=5))

    assert [k.api_key for k in await users.api_keys(alice.user_id)] == ["a" * 64, "b" * 64]
    assert await users.api_keys(bob.user_id) == [api_key("c" * 64, bob.user_id, created_ms=5)]
    assert await users.api_keys(999) == []


async def test_revoking_marks_the_key_revoked_once_and_only_for_its_owner(users: UserStore) -> None:
    alice = await users.create_user("alice@example.com", "h", 1)
    bob = await users.create_user("bob@example.com", "h", 1)
    await users.add_api_key(api_key("k" * 64, alice.user_id))

    assert not await users.revoke_api_key(bob.user_id, "k" * 64)
    assert not (await users.api_key("k" * 64)).revoked  # type: ignore[union-attr]
    assert await users.revoke_api_key(alice.user_id, "k" * 64)
    assert (await users.api_key("k" * 64)).revoked  # type: ignore[union-attr]
    assert [k.revoked for k in await users.api_keys(alice.user_id)] == [True]  # listed, marked revoked
    assert not await users.revoke_api_key(alice.user_id, "k" * 64)
    assert not await users.revoke_api_key(alice.user_id, "unknown")


async def test_a_listen_key_is_set_extended_and_removed_only_from_the_value_expected(users: UserStore) -> None:
    alice = await users.create_user("alice@example.com", "h", 1)
    bob = await users.create_user("bob@example.com", "h", 1)
    first, later = ListenKeyRecord("a" * 60, 1_000), ListenKeyRecord("a" * 60, 2_000)

    assert await users.listen_key(alice.user_id) is None
    assert await users.swap_listen_key(alice.user_id, None, first)
    assert not await users.swap_listen_key(alice.user_id, None, ListenKeyRecord("b" * 60, 5))  # one exists
    assert not await users.swap_listen_key(alice.user_id, "c" * 60, later)  # not the stored one
    assert await users.listen_key(alice.user_id) == first
    assert await users.swap_listen_key(alice.user_id, "a" * 60, later)
    assert await users.listen_key(alice.user_id) == later
    assert await users.listen_key(bob.user_id) is None  # one key per user
    assert not await users.swap_listen_key(alice.user_id, "b" * 60, None)
    assert await users.swap_listen_key(alice.user_id, "a" * 60, None)
    assert await users.listen_key(alice.user_id) is None
    assert not await users.swap_listen_key(alice.user_id, "a" * 60, None)  # removed already


async def test_racing_swaps_of_one_listen_key_let_exactly_one_win(backend: Backend) -> None:
    handles = [backend.users()() for _ in range(4)]
    try:
        alice = await handles[0].create_user("alice@example.com", "h", 1)
        wins = await asyncio.gather(*(
            h.swap_listen_key(alice.user_id, None, ListenKeyRecord(f"{i}" * 60, 10)) for i, h in enumerate(handles)
        ))
        assert sum(wins) == 1
        winner = wins.index(True)
        assert await handles[3].listen_key(alice.user_id) == ListenKeyRecord(f"{winner}" * 60, 10)
    finally:
        for handle in handles:
            await handle.close()


async def test_what_one_handle_writes_another_reads_at_once(backend: Backend) -> None:
    writer, reader = backend.users()(), backend.users()()
    try:
        user = await writer.create_user("alice@example.com", "h", 1)
        await writer.add_api_key(api_key("k" * 64, user.user_id))
        await writer.revoke_api_key(user.user_id, "k" * 64)
        await writer.swap_listen_key(user.user_id, None, ListenKeyRecord("l" * 60, 9))

        assert await reader.user_by_email("alice@example.com") == user
        assert await reader.listen_key(user.user_id) == ListenKeyRecord("l" * 60, 9)
        assert (await reader.api_key("k" * 64)).revoked  # type: ignore[union-attr]
        assert [k.api_key for k in await reader.api_keys(user.user_id)] == ["k" * 64]
    finally:
        await writer.close()
        await reader.close()


async def test_users_and_keys_survive_close_and_reopen(backend: Backend) -> None:
    first = backend.users()()
    user = await first.create_user("alice@example.com", "h", 1)
    await first.add_api_key(api_key("k" * 64, user.user_id))
    await first.swap_listen_key(user.user_id, None, ListenKeyRecord("l" * 60, 9))
    await first.close()

    again = backend.users()()
    try:
        assert await again.user_by_id(user.user_id) == user
        assert await again.listen_key(user.user_id) == ListenKeyRecord("l" * 60, 9)
        assert await again.api_key("k" * 64) == api_key("k" * 64, user.user_id)
        assert (await again.create_user("bob@example.com", "h", 2)).user_id != user.user_id
    finally:
        await again.close()


async def test_concurrent_registrations_of_one_email_leave_one_user(backend: Backend) -> None:
    handles = [backend.users()() for _ in range(4)]
    try:
        outcomes = await asyncio.gather(
            *(h.create_user("alice@example.com", f"h{i}", i) for i, h in enumerate(handles)), return_exceptions=True
        )
        assert sum(not isinstance(o, BaseException) for o in outcomes) == 1
        assert all(isinstance(o, AlreadyExists) for o in outcomes if isinstance(o, BaseException))
        winner = next(o for o in outcomes if not isinstance(o, BaseException))
        assert await handles[0].user_by_email("alice@example.com") == winner
    finally:
        for handle in handles:
            await handle.close()


@pytest.mark.slow
async def test_separate_processes_registering_at_once_share_the_store_safely(backend: Backend, spawn: Spawn) -> None:
    racers = [await spawn("register", backend.users(), f"p{n}", 10) for n in range(4)]
    for racer in racers:
        assert await racer.line() == "ready"
    for racer in racers:
        await racer.send("go")
    outputs = [await racer.finish() for racer in racers]

    assert sorted(lines[0] for lines in outputs) == ["created", "taken", "taken", "taken"]
    store = backend.users()()
    try:
        found = [await store.user_by_email(f"p{n}-{i}@example.com") for n in range(4) for i in range(10)]
        assert len({u.user_id for u in found if u is not None}) == 40
        assert [int(line) for lines in outputs for line in lines[1:]] == [u.user_id for u in found if u is not None]
    finally:
        await store.close()
