"""The edge's short-lived copy of API keys: user, permissions and HMAC secret per key, so that
a signed request is verified here, in-process, instead of by one Authenticate call to
UserService per request (that call cost more CPU than the order itself: docs/performance.md).

Every request's signature, timestamp and permission are still checked, with the same rules
and in the same order as UserService (services/user/signatures.py). What is cached is only
what the key *is*; an entry is used for at most `ttl_s` after UserService vouched for it, so a
key revoked elsewhere stops working within `ttl_s`, and at once through this edge (`forget`).
Unknown and revoked keys are never cached: each such request asks UserService again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import grpc

from exchange.v1 import user_pb2

DEFAULT_TTL_S = 2.0
MAX_ENTRIES = 100_000  # a bound on memory; far more live keys than one edge serves


@dataclass(frozen=True, slots=True)
class KeyCredentials:
    user_id: int
    permissions: tuple[int, ...]  # common_pb2.Permission numbers
    secret: str


class ApiKeyCache:
    def __init__(
        self,
        fetch: Callable[..., Any],
        metadata: tuple[tuple[str, str], ...],
        timeout_s: float,
        ttl_s: float = DEFAULT_TTL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch  # UserService.GetApiKeyCredentials
        self._metadata = metadata  # the operator's: the RPC is PERMISSION_ADMIN only
        self._timeout = timeout_s
        self._ttl = ttl_s
        self._clock = clock
        self._entries: dict[str, tuple[float, KeyCredentials]] = {}
        self._fetching: dict[str, asyncio.Future[KeyCredentials]] = {}
        self.supported = True  # False once UserService answers UNIMPLEMENTED (an older version)

    async def get(self, api_key: str) -> KeyCredentials:
        """The key's credentials; raises grpc.RpcError as UserService refused (INVALID_API_KEY
        for unknown or revoked keys)."""
        entry = self._entries.get(api_key)
        if entry is not None and self._clock() - entry[0] < self._ttl:
            return entry[1]
        pending = self._fetching.get(api_key)
        if pending is not None:  # one call per key however many requests wait for it
            try:
                return await asyncio.shield(pending)
            except asyncio.CancelledError:
                if not pending.cancelled():
                    raise  # this request was cancelled
                # the request that was fetching went away: fetch for this one
        future: asyncio.Future[KeyCredentials] = asyncio.get_running_loop().create_future()
        self._fetching[api_key] = future
        try:
            credentials = await self._load(api_key)
        except asyncio.CancelledError:
            future.cancel()
            raise
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: nobody else may be waiting
            raise
        finally:
            if self._fetching.get(api_key) is future:
                del self._fetching[api_key]
        future.set_result(credentials)
        return credentials

    def forget(self, api_key: str) -> None:
        self._entries.pop(api_key, None)

    async def _load(self, api_key: str) -> KeyCredentials:
        asked = self._clock()  # the TTL runs from before the question: never longer than vouched
        try:
            reply = await self._fetch(
                user_pb2.GetApiKeyCredentialsRequest(api_key=api_key), metadata=self._metadata, timeout=self._timeout
            )
        except grpc.RpcError as exc:
            self._entries.pop(api_key, None)
            if exc.code() is grpc.StatusCode.UNIMPLEMENTED:
                self.supported = False
            raise
        credentials = KeyCredentials(reply.user_id, tuple(reply.permissions), reply.secret_key)
        if len(self._entries) >= MAX_ENTRIES:
            self._expire()
        self._entries[api_key] = (asked, credentials)
        return credentials

    def _expire(self) -> None:
        now = self._clock()
        for key in [k for k, (at, _) in self._entries.items() if now - at >= self._ttl]:
            del self._entries[key]
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()
