"""In-memory fakes of the ports the user domain uses, and a settable clock."""

from __future__ import annotations

import dataclasses
from typing import Any

from argon2 import PasswordHasher
from cryptography.fernet import Fernet

from services.common.config import Secrets
from services.common.ports import AlreadyExists, ApiKeyRecord, InsufficientFunds, ListenKeyRecord, UserRecord
from services.common.records import Balance

START_MS = 1_764_000_000_000


class Clock:
    def __init__(self, now_ms: int = START_MS) -> None:
        self.now_ms = now_ms

    def __call__(self) -> int:
        return self.now_ms

    def advance(self, ms: int) -> None:
        self.now_ms += ms


class MemoryUserStore:
    def __init__(self) -> None:
        self.users: dict[int, UserRecord] = {}
        self.keys: dict[str, ApiKeyRecord] = {}
        self.listen_keys: dict[int, ListenKeyRecord] = {}

    async def create_user(self, email: str, password_hash: str, created_ms: int, is_admin: bool = False) -> UserRecord:
        if any(u.email == email for u in self.users.values()):
            raise AlreadyExists(email)
        user = UserRecord(len(self.users) + 1, email, password_hash, created_ms, is_admin)
        self.users[user.user_id] = user
        return user

    async def user_by_email(self, email: str) -> UserRecord | None:
        return next((u for u in self.users.values() if u.email == email), None)

    async def user_by_id(self, user_id: int) -> UserRecord | None:
        return self.users.get(user_id)

    async def add_api_key(self, key: ApiKeyRecord) -> None:
        self.keys[key.api_key] = key

    async def api_key(self, api_key: str) -> ApiKeyRecord | None:
        return self.keys.get(api_key)

    async def api_keys(self, user_id: int) -> list[ApiKeyRecord]:
        return [k for k in self.keys.values() if k.user_id == user_id]

    async def revoke_api_key(self, user_id: int, api_key: str) -> bool:
        key = self.keys.get(api_key)
        if key is None or key.user_id != user_id or key.revoked:
            return False
        self.keys[api_key] = dataclasses.replace(key, revoked=True)
        return True

    async def listen_key(self, user_id: int) -> ListenKeyRecord | None:
        return self.listen_keys.get(user_id)

    async def swap_listen_key(self, user_id: int, expected: str | None, new: ListenKeyRecord | None) -> bool:
        stored = self.listen_keys.get(user_id)
        if (stored.listen_key if stored else None) != expected:
            return False
        if new is None:
            self.listen_keys.pop(user_id, None)
        else:
            self.listen_keys[user_id] = new
        return True

    async def close(self) -> None:
        pass


class MemoryLedger:
    """Only what the user service uses of the Ledger: transfers and balances."""

    def __init__(self) -> None:
        self.available: dict[tuple[int, str], int] = {}
        self.applied: set[str] = set()

    async def deposit(self, tx_id: str, user_id: int, asset: str, amount: int) -> bool:
        if tx_id in self.applied:
            return False
        self.applied.add(tx_id)
        self.available[user_id, asset] = self.available.get((user_id, asset), 0) + amount
        return True

    async def withdraw(self, tx_id: str, user_id: int, asset: str, amount: int) -> bool:
        if tx_id in self.applied:
            return False
        if self.available.get((user_id, asset), 0) < amount:
            raise InsufficientFunds(f"{user_id} {asset}")
        self.applied.add(tx_id)
        self.available[user_id, asset] -= amount
        return True

    async def balances(self, user_id: int) -> list[Balance]:
        return [Balance(asset, amount, 0) for (uid, asset), amount in self.available.items() if uid == user_id]

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the user domain must not use Ledger.{name}")


def make_secrets() -> Secrets:
    return Secrets(jwt_key="k" * 48, api_secret_key=Fernet.generate_key().decode(), admin_token="operator-token")


# argon2 at its minimum cost: the tests check the rules, not the hash's strength.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
