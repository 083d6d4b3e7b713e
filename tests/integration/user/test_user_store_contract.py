"""The UserStore contract: what every implementation (embedded SQLite today, DynamoDB next)
must do. Tests use only the port's methods; add an implementation to `OPENERS` and the whole
suite runs against it."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from services.common.adapters.embedded.users import SqliteUserStore
from services.common.ports import AlreadyExists, ApiKeyRecord, UserStore

# name -> how to open a fresh, empty store under a test's directory (each call opens another
# handle on the same store, as a second process would)
OPENERS: dict[str, Callable[[Path], UserStore]] = {
    "sqlite": lambda root: SqliteUserStore(root / "users.sqlite"),
}


@pytest.fixture(params=sorted(OPENERS))
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], UserStore]:
    opener = OPENERS[request.param]
    return lambda: opener(tmp_path)


@pytest.fixture
async def store(open_store: Callable[[], UserStore]) -> AsyncIterator[UserStore]:
    opened = open_store()
    yield opened
    await opened.close()


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


async def test_a_created_user_is_found_by_email_and_by_id(store: UserStore) -> None:
    user = await store.create_user("alice@example.com", "$argon2id$hash", 1_700_000_000_000)

    assert user.user_id > 0  # 0 is the fee account
    assert user.email == "alice@example.com"
    assert await store.user_by_email("alice@example.com") == user
    assert await store.user_by_id(user.user_id) == user


async def test_user_ids_are_distinct(store: UserStore) -> None:
    ids = {(await store.create_user(f"u{i}@example.com", "h", i)).user_id for i in range(5)}

    assert len(ids) == 5


async def test_unknown_users_are_none(store: UserStore) -> None:
    assert await store.user_by_email("nobody@example.com") is None
    assert await store.user_by_id(12345) is None


async def test_the_admin_flag_is_kept(store: UserStore) -> None:
    root = await store.create_user("root@example.com", "h", 1, is_admin=True)

    assert (await store.user_by_id(root.user_id)).is_admin  # type: ignore[union-attr]
    assert not (await store.create_user("alice@example.com", "h", 1)).is_admin


async def test_an_email_can_be_taken_once(store: UserStore) -> None:
    first = await store.create_user("alice@example.com", "h1", 1)

    with pytest.raises(AlreadyExists):
        await store.create_user("alice@example.com", "h2", 2)
    assert await store.user_by_email("alice@example.com") == first


async def test_an_api_key_round_trips_byte_for_byte(store: UserStore) -> None:
    user = await store.create_user("alice@example.com", "h", 1)
    key = api_key("K" * 64, user.user_id, label="my bot", permissions=("READ",))

    await store.add_api_key(key)

    assert await store.api_key("K" * 64) == key
    assert await store.api_key("L" * 64) is None


async def test_a_users_keys_are_listed_oldest_first_and_only_theirs(store: UserStore) -> None:
    alice = await store.create_user("alice@example.com", "h", 1)
    bob = await store.create_user("bob@example.com", "h", 1)
    await store.add_api_key(api_key("b" * 64, alice.user_id, created_ms=20))
    await store.add_api_key(api_key("a" * 64, alice.user_id, created_ms=10))
    await store.add_api_key(api_key("c" * 64, bob.user_id, created_ms=5))

    assert [k.api_key for k in await store.api_keys(alice.user_id)] == ["a" * 64, "b" * 64]
    assert await store.api_keys(999) == []


async def test_revoking_marks_the_key_revoked_once_and_only_for_its_owner(store: UserStore) -> None:
    alice = await store.create_user("alice@example.com", "h", 1)
    bob = await store.create_user("bob@example.com", "h", 1)
    await store.add_api_key(api_key("k" * 64, alice.user_id))

    assert not await store.revoke_api_key(bob.user_id, "k" * 64)
    assert not (await store.api_key("k" * 64)).revoked  # type: ignore[union-attr]
    assert await store.revoke_api_key(alice.user_id, "k" * 64)
    assert (await store.api_key("k" * 64)).revoked  # type: ignore[union-attr]
    assert not await store.revoke_api_key(alice.user_id, "k" * 64)
    assert not await store.revoke_api_key(alice.user_id, "unknown")


async def test_what_one_handle_writes_another_reads_at_once(open_store: Callable[[], UserStore]) -> None:
    writer, reader = open_store(), open_store()
    try:
        user = await writer.create_user("alice@example.com", "h", 1)
        await writer.add_api_key(api_key("k" * 64, user.user_id))
        await writer.revoke_api_key(user.user_id, "k" * 64)

        assert await reader.user_by_email("alice@example.com") == user
        assert (await reader.api_key("k" * 64)).revoked  # type: ignore[union-attr]
    finally:
        await writer.close()
        await reader.close()


async def test_concurrent_registrations_of_one_email_leave_one_user(open_store: Callable[[], UserStore]) -> None:
    handles = [open_store() for _ in range(4)]
    try:
        outcomes = await asyncio.gather(
            *(h.create_user("alice@example.com", f"h{i}", i) for i, h in enumerate(handles)), return_exceptions=True
        )
    finally:
        for handle in handles:
            await handle.close()

    assert sum(not isinstance(o, BaseException) for o in outcomes) == 1
    assert all(isinstance(o, AlreadyExists) for o in outcomes if isinstance(o, BaseException))


_RACER = """
import asyncio, sys
from pathlib import Path
from services.common.adapters.embedded.users import SqliteUserStore
from services.common.ports import AlreadyExists

async def main() -> None:
    store = SqliteUserStore(Path(sys.argv[1]))
    try:
        await store.create_user("alice@example.com", "h", 1)
        print("created")
    except AlreadyExists:
        print("taken")
    for i in range(20):
        await store.create_user(f"{sys.argv[2]}-{i}@example.com", "h", 1)
    await store.close()

asyncio.run(main())
"""


@pytest.mark.slow
async def test_separate_processes_share_the_sqlite_store_safely(tmp_path: Path) -> None:
    racers = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            _RACER,
            str(tmp_path / "users.sqlite"),
            f"p{n}",
            stdout=asyncio.subprocess.PIPE,
            cwd=Path(__file__).resolve().parents[3],
        )
        for n in range(4)
    ]
    outputs = [(await r.communicate())[0].decode().strip() for r in racers]

    assert [r.returncode for r in racers] == [0, 0, 0, 0]
    assert sorted(outputs) == ["created", "taken", "taken", "taken"]
    store = SqliteUserStore(tmp_path / "users.sqlite")
    try:
        ids = [(await store.user_by_email(f"p{n}-{i}@example.com")) for n in range(4) for i in range(20)]
        assert len({u.user_id for u in ids if u is not None}) == 80
    finally:
        await store.close()
