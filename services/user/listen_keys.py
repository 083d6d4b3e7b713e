"""Binance user-data-stream keys (POST/PUT/DELETE /api/v3/userDataStream).

One key per user: creating again returns the active key, extended, as Binance does. A key
lives 60 minutes unless kept alive. Keys are kept in the user store, not in the process: the
user service runs as several replicas behind a load balancer (and restarts), and a key made
through one must resolve through every other.

A key names its user in its last 12 characters (the user id in base 62), so resolving one is
one read of that user's stored key, with no index from keys to users; the 48 random
characters before it are what makes it unguessable.
"""

from __future__ import annotations

import hmac
import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass

from services.common.ports import ListenKeyRecord, Unavailable, UserStore
from services.user.errors import InvalidListenKey

LISTEN_KEY_TTL_MS = 60 * 60 * 1000
LISTEN_KEY_LENGTH = 60  # Binance's length
_RANDOM_PART = 48
_ALPHABET = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base 62, digit order
_DIGIT = {c: i for i, c in enumerate(_ALPHABET)}
_SWAP_ATTEMPTS = 8  # each failed swap means another replica changed the key: re-read and retry


@dataclass(frozen=True, slots=True)
class ListenKey:
    user_id: int
    expires_ms: int


def new_listen_key(user_id: int) -> str:
    tail = ""
    n = user_id
    for _ in range(LISTEN_KEY_LENGTH - _RANDOM_PART):
        n, digit = divmod(n, 62)
        tail = _ALPHABET[digit] + tail
    if n:
        raise ValueError(f"user id {user_id} does not fit a listenKey")
    return "".join(secrets.choice(_ALPHABET) for _ in range(_RANDOM_PART)) + tail


def user_of(listen_key: str) -> int | None:
    """The user a well-formed key names; None for anything else."""
    if len(listen_key) != LISTEN_KEY_LENGTH or any(c not in _DIGIT for c in listen_key):
        return None
    user_id = 0
    for c in listen_key[_RANDOM_PART:]:
        user_id = user_id * 62 + _DIGIT[c]
    return user_id if user_id < 2**63 else None  # 12 base-62 digits reach beyond the stores' int64


class ListenKeys:
    def __init__(self, store: UserStore, clock: Callable[[], int]) -> None:
        self._store = store
        self._clock = clock

    async def create(self, user_id: int) -> str:
        for _ in range(_SWAP_ATTEMPTS):
            stored = await self._store.listen_key(user_id)
            now = self._clock()
            live = stored is not None and stored.expires_ms > now
            key = stored.listen_key if live and stored else new_listen_key(user_id)
            expected = stored.listen_key if stored else None
            if await self._store.swap_listen_key(user_id, expected, ListenKeyRecord(key, now + LISTEN_KEY_TTL_MS)):
                return key
        raise Unavailable(f"user {user_id}'s listenKey kept changing under {_SWAP_ATTEMPTS} attempts")

    async def keep_alive(self, user_id: int, key: str) -> None:
        await self._owned(user_id, key)
        extended = ListenKeyRecord(key, self._clock() + LISTEN_KEY_TTL_MS)
        if not await self._store.swap_listen_key(user_id, key, extended):
            raise InvalidListenKey()  # closed or replaced meanwhile

    async def close(self, user_id: int, key: str) -> None:
        await self._owned(user_id, key)
        if not await self._store.swap_listen_key(user_id, key, None):
            raise InvalidListenKey()

    async def resolve(self, key: str) -> ListenKey:
        user_id = user_of(key)
        stored = None if user_id is None else await self._store.listen_key(user_id)
        # constant time: a mismatch must not tell how many leading characters were right
        if (user_id is None or stored is None or not hmac.compare_digest(stored.listen_key, key)
                or stored.expires_ms <= self._clock()):
            raise InvalidListenKey()
        return ListenKey(user_id, stored.expires_ms)

    async def _owned(self, user_id: int, key: str) -> None:
        # someone else's key is answered like an unknown one: keys are not to be probed
        if (await self.resolve(key)).user_id != user_id:
            raise InvalidListenKey()
