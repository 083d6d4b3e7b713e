"""Binance user-data-stream keys (POST/PUT/DELETE /api/v3/userDataStream).

One key per user: creating again returns the active key, extended, as Binance does. A key
lives 60 minutes unless kept alive. Held in memory: the ports have no listen-key store, so keys
die with the process and clients get -1125 and create a new one, as after a Binance expiry.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass

from services.user.errors import InvalidListenKey

LISTEN_KEY_TTL_MS = 60 * 60 * 1000
LISTEN_KEY_LENGTH = 60  # Binance's length
_ALPHANUMERIC = string.ascii_letters + string.digits


@dataclass(frozen=True, slots=True)
class ListenKey:
    user_id: int
    expires_ms: int


class ListenKeys:
    def __init__(self, clock: Callable[[], int]) -> None:
        self._clock = clock
        self._keys: dict[str, ListenKey] = {}
        self._key_of: dict[int, str] = {}  # user id -> their key

    def create(self, user_id: int) -> str:
        now = self._clock()
        self._drop_expired(now)
        key = self._key_of.get(user_id) or "".join(secrets.choice(_ALPHANUMERIC) for _ in range(LISTEN_KEY_LENGTH))
        self._keys[key] = ListenKey(user_id, now + LISTEN_KEY_TTL_MS)
        self._key_of[user_id] = key
        return key

    def keep_alive(self, user_id: int, key: str) -> None:
        self._owned(user_id, key)
        self._keys[key] = ListenKey(user_id, self._clock() + LISTEN_KEY_TTL_MS)

    def close(self, user_id: int, key: str) -> None:
        self._owned(user_id, key)
        del self._keys[key], self._key_of[user_id]

    def resolve(self, key: str) -> ListenKey:
        entry = self._keys.get(key)
        if entry is None or entry.expires_ms <= self._clock():
            raise InvalidListenKey()
        return entry

    def _owned(self, user_id: int, key: str) -> None:
        # someone else's key is answered like an unknown one: keys are not to be probed
        if self.resolve(key).user_id != user_id:
            raise InvalidListenKey()

    def _drop_expired(self, now: int) -> None:
        for key in [k for k, e in self._keys.items() if e.expires_ms <= now]:
            self._key_of.pop(self._keys.pop(key).user_id, None)
