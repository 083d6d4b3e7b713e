"""The edge verifies signed requests itself, with key credentials from UserService held for a
few seconds (edge/api_keys.py): every request is still checked, refusals are the ones
UserService would give, and a revoked key stops working within the TTL (at once through the
edge that revoked it)."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qsl

import pytest

from edge.auth import Authenticator
from edge.errors import ApiError
from edge.rest.policy import Security
from exchange.v1 import common_pb2, user_pb2
from services.common.caller import caller_metadata
from services.common.config import Secrets
from tests.integration.user.signing import ccxt_request
from tests.integration.user.test_user_service import Stub, admin, new_key, now_ms, refusal, registered


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def authenticator(users: Stub, secrets: Secrets, clock: Clock | None = None) -> Authenticator:
    auth = Authenticator(users, secrets.admin_token, timeout_s=5.0)
    if clock is not None:
        auth.keys._clock = clock
    return auth


async def signed(auth: Authenticator, api_key: str, secret: str, security: Security = Security.TRADE) -> object:
    body = ccxt_request(secret, now_ms(), {"symbol": "BTCUSDT"})
    params = dict(parse_qsl(body))
    return await auth.caller(security, {b"x-mbx-apikey": api_key.encode()}, params, b"", body.encode())


async def test_credentials_are_for_the_operator_only(users: Stub, secrets: Secrets) -> None:
    user_id = await registered(users)
    key = await new_key(users, user_id)

    reply = await users.GetApiKeyCredentials(
        user_pb2.GetApiKeyCredentialsRequest(api_key=key.key.api_key), metadata=admin(secrets)
    )
    assert (reply.user_id, reply.secret_key) == (user_id, key.secret_key)

    error = await refusal(
        users.GetApiKeyCredentials(
            user_pb2.GetApiKeyCredentialsRequest(api_key=key.key.api_key), metadata=caller_metadata(user_id)
        )
    )
    assert error.reason == "PERMISSION_DENIED"


async def test_each_request_is_verified_at_the_edge_with_one_fetch_per_key(users: Stub, secrets: Secrets) -> None:
    user_id = await registered(users)
    key = await new_key(users, user_id)
    auth = authenticator(users, secrets)

    for _ in range(3):
        caller = await signed(auth, key.key.api_key, key.secret_key)
        assert caller.user_id == user_id  # type: ignore[attr-defined]
    assert len(auth.keys._entries) == 1

    with pytest.raises(ApiError) as forged:
        await signed(auth, key.key.api_key, "x" * 64)
    assert (forged.value.status, forged.value.code) == (400, -1022)


async def test_a_revoked_key_stops_working_within_the_ttl_and_at_once_when_forgotten(
    users: Stub, secrets: Secrets
) -> None:
    user_id = await registered(users)
    key = await new_key(users, user_id)
    clock = Clock()
    auth = authenticator(users, secrets, clock)
    await signed(auth, key.key.api_key, key.secret_key)
    await users.RevokeApiKey(user_pb2.RevokeApiKeyRequest(api_key=key.key.api_key), metadata=caller_metadata(user_id))

    clock.now += auth.keys._ttl  # another edge revoked it: this one learns within the TTL
    with pytest.raises(ApiError) as refused:
        await signed(auth, key.key.api_key, key.secret_key)
    assert (refused.value.status, refused.value.code) == (401, -2015)

    other = await new_key(users, user_id)
    await signed(auth, other.key.api_key, other.secret_key)
    await users.RevokeApiKey(
        user_pb2.RevokeApiKeyRequest(api_key=other.key.api_key), metadata=caller_metadata(user_id)
    )
    auth.keys.forget(other.key.api_key)  # what the edge does when the revocation passes through it
    with pytest.raises(ApiError):
        await signed(auth, other.key.api_key, other.secret_key)


async def test_a_read_only_key_cannot_trade_at_the_edge(users: Stub, secrets: Secrets) -> None:
    user_id = await registered(users)
    key = await users.CreateApiKey(
        user_pb2.CreateApiKeyRequest(label="ro", permissions=[common_pb2.PERMISSION_READ]),
        metadata=caller_metadata(user_id),
    )
    auth = authenticator(users, secrets)
    assert (await signed(auth, key.key.api_key, key.secret_key, Security.USER_DATA)).user_id == user_id  # type: ignore[attr-defined]
    with pytest.raises(ApiError) as refused:
        await signed(auth, key.key.api_key, key.secret_key, Security.TRADE)
    assert refused.value.code == -2015


async def test_requests_waiting_on_a_fetch_get_its_answer_or_fetch_again_if_it_went_away(
    users: Stub, secrets: Secrets
) -> None:
    user_id = await registered(users)
    key = await new_key(users, user_id)
    auth = authenticator(users, secrets)

    callers = await asyncio.gather(*(signed(auth, key.key.api_key, key.secret_key) for _ in range(5)))
    assert {c.user_id for c in callers} == {user_id}  # type: ignore[attr-defined]

    auth.keys.forget(key.key.api_key)
    leader = asyncio.create_task(auth.keys.get(key.key.api_key))
    await asyncio.sleep(0)
    follower = asyncio.create_task(auth.keys.get(key.key.api_key))
    await asyncio.sleep(0)
    leader.cancel()
    assert (await follower).user_id == user_id
