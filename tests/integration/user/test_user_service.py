"""UserService over real gRPC on 127.0.0.1, as the edge and tradectl call it.

Every refusal is checked the way the edge reads it: gRPC code + ErrorInfo (reason, Binance
code) from the `grpc-status-details-bin` trailer."""

from __future__ import annotations

import time

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from exchange.v1 import common_pb2, user_pb2, user_pb2_grpc
from services.common.caller import caller_metadata
from services.common.config import Secrets
from services.common.grpcutil.errors import RemoteError, status_of
from tests.integration.user.signing import ccxt_request, edge_split, python_binance_request

Stub = user_pb2_grpc.UserServiceStub
PASSWORD = "correct horse battery"


async def refusal(call: object) -> RemoteError:
    with pytest.raises(grpc.aio.AioRpcError) as failed:
        await call  # type: ignore[misc]
    return status_of(failed.value)


def admin(secrets: Secrets) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {secrets.admin_token}"),)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


async def registered(users: Stub, email: str = "alice@example.com") -> int:
    return (await users.Register(user_pb2.RegisterRequest(email=email, password=PASSWORD))).user_id


async def new_key(users: Stub, user_id: int) -> user_pb2.CreateApiKeyResponse:
    return await users.CreateApiKey(user_pb2.CreateApiKeyRequest(label="bot"), metadata=caller_metadata(user_id))


# -- accounts and sessions ----------------------------------------------------------------


async def test_register_then_login_gives_a_session_that_verifies_to_the_user(users: Stub) -> None:
    user_id = await registered(users)

    login = await users.Login(user_pb2.LoginRequest(email="Alice@Example.com", password=PASSWORD))
    session = await users.VerifySession(user_pb2.VerifySessionRequest(access_token=login.access_token))

    assert login.user_id == session.user_id == user_id
    assert session.expires_at == login.expires_at > now_ms()
    assert list(session.permissions) == [common_pb2.PERMISSION_READ, common_pb2.PERMISSION_TRADE]


async def test_a_wrong_password_is_unauthenticated(users: Stub) -> None:
    await registered(users)

    error = await refusal(users.Login(user_pb2.LoginRequest(email="alice@example.com", password="wrong password")))

    assert (error.code, error.reason, error.binance_code) == (
        grpc.StatusCode.UNAUTHENTICATED,
        "INVALID_CREDENTIALS",
        -1002,
    )
    assert error.message == "Invalid email or password."


async def test_registering_a_taken_email_is_already_exists(users: Stub) -> None:
    await registered(users)

    error = await refusal(users.Register(user_pb2.RegisterRequest(email="ALICE@example.com", password=PASSWORD)))

    assert (error.code, error.reason) == (grpc.StatusCode.ALREADY_EXISTS, "USER_ALREADY_EXISTS")


async def test_a_weak_password_names_the_parameter_and_the_rule(users: Stub) -> None:
    error = await refusal(users.Register(user_pb2.RegisterRequest(email="alice@example.com", password="short")))

    assert (error.code, error.reason, error.binance_code) == (grpc.StatusCode.INVALID_ARGUMENT, "WEAK_PASSWORD", -1100)
    assert error.metadata["param"] == "password"
    assert error.message.startswith("Illegal characters found in parameter 'password'; legal range is '8 to 128")


async def test_an_expired_or_forged_session_is_unauthenticated(users: Stub) -> None:
    error = await refusal(users.VerifySession(user_pb2.VerifySessionRequest(access_token="not.a.jwt")))

    assert (error.code, error.reason, error.binance_code) == (grpc.StatusCode.UNAUTHENTICATED, "INVALID_SESSION", -1002)


# -- API keys and signed requests ------------------------------------------------------------


async def test_the_secret_is_returned_at_creation_and_never_listed(users: Stub) -> None:
    user_id = await registered(users)
    created = await new_key(users, user_id)

    listed = await users.ListApiKeys(user_pb2.ListApiKeysRequest(), metadata=caller_metadata(user_id))

    assert len(created.secret_key) == len(created.key.api_key) == 64
    assert [k.api_key for k in listed.keys] == [created.key.api_key]
    assert created.secret_key not in str(listed)


async def test_a_request_signed_like_ccxt_authenticates(users: Stub) -> None:
    user_id = await registered(users)
    key = await new_key(users, user_id)
    sent = now_ms()
    # POST /api/v3/order: ccxt sends everything as a form body, the query string is empty
    body = ccxt_request(
        key.secret_key,
        sent,
        {
            "symbol": "BTCUSDT",
            "side": "BUY",
            "newClientOrderId": "x-TKT5PX2F123",
            "type": "LIMIT",
            "quantity": "0.001",
            "price": "40000",
            "timeInForce": "GTC",
        },
    )
    assert body.startswith(f"timestamp={sent}&symbol=BTCUSDT")  # unsorted, timestamp first
    payload, signature = edge_split("", body)

    result = await users.Authenticate(
        user_pb2.AuthenticateRequest(
            api_key=key.key.api_key,
            signed_payload=payload,
            signature=signature,
            timestamp=sent,
            recv_window=10_000,
            required_permission=common_pb2.PERMISSION_TRADE,
        )
    )

    assert result.user_id == user_id
    assert common_pb2.PERMISSION_TRADE in result.permissions


async def test_a_request_signed_like_python_binance_authenticates(users: Stub) -> None:
    user_id = await registered(users)
    key = await new_key(users, user_id)
    sent = now_ms()
    # GET /api/v3/openOrders: sorted params in the query string, no body
    query = python_binance_request(key.secret_key, sent, {"symbol": "BTCUSDT"})
    assert query.startswith("recvWindow=10000&symbol=BTCUSDT&timestamp=")  # sorted
    payload, signature = edge_split(query, "")

    result = await users.Authenticate(
        user_pb2.AuthenticateRequest(
            api_key=key.key.api_key,
            signed_payload=payload,
            signature=signature,
            timestamp=sent,
            recv_window=10_000,
            required_permission=common_pb2.PERMISSION_READ,
        )
    )

    assert result.user_id == user_id


async def test_a_stale_timestamp_is_binance_1021(users: Stub) -> None:
    key = await new_key(users, await registered(users))
    sent = now_ms() - 6_000
    payload, signature = edge_split(ccxt_request(key.secret_key, sent, {"symbol": "BTCUSDT"}, recv_window=5_000), "")

    error = await refusal(
        users.Authenticate(
            user_pb2.AuthenticateRequest(
                api_key=key.key.api_key, signed_payload=payload, signature=signature, timestamp=sent
            )
        )
    )

    assert (error.code, error.reason, error.binance_code) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "TIMESTAMP_OUTSIDE_RECV_WINDOW",
        -1021,
    )
    assert error.message == "Timestamp for this request is outside of the recvWindow."


async def test_a_wrong_signature_is_binance_1022(users: Stub) -> None:
    key = await new_key(users, await registered(users))
    sent = now_ms()
    payload, _ = edge_split(ccxt_request(key.secret_key, sent, {"symbol": "BTCUSDT"}), "")
    _, other = edge_split(ccxt_request(key.secret_key, sent, {"symbol": "ETHUSDT"}), "")

    error = await refusal(
        users.Authenticate(
            user_pb2.AuthenticateRequest(
                api_key=key.key.api_key, signed_payload=payload, signature=other, timestamp=sent
            )
        )
    )

    assert (error.code, error.reason, error.binance_code) == (
        grpc.StatusCode.UNAUTHENTICATED,
        "INVALID_SIGNATURE",
        -1022,
    )
    assert error.message == "Signature for this request is not valid."


async def test_a_revoked_key_is_binance_2015(users: Stub) -> None:
    user_id = await registered(users)
    key = await new_key(users, user_id)
    await users.RevokeApiKey(user_pb2.RevokeApiKeyRequest(api_key=key.key.api_key), metadata=caller_metadata(user_id))
    sent = now_ms()
    payload, signature = edge_split(ccxt_request(key.secret_key, sent, {}), "")

    error = await refusal(
        users.Authenticate(
            user_pb2.AuthenticateRequest(
                api_key=key.key.api_key, signed_payload=payload, signature=signature, timestamp=sent
            )
        )
    )

    assert (error.code, error.reason, error.binance_code) == (
        grpc.StatusCode.PERMISSION_DENIED,
        "INVALID_API_KEY",
        -2015,
    )
    assert error.message == "Invalid API-key, IP, or permissions for action."


async def test_a_recv_window_above_60000_is_binance_1131(users: Stub) -> None:
    key = await new_key(users, await registered(users))
    sent = now_ms()
    payload, signature = edge_split(ccxt_request(key.secret_key, sent, {}, recv_window=60_001), "")

    error = await refusal(
        users.Authenticate(
            user_pb2.AuthenticateRequest(
                api_key=key.key.api_key, signed_payload=payload, signature=signature, timestamp=sent, recv_window=60_001
            )
        )
    )

    assert (error.reason, error.binance_code) == ("INVALID_RECV_WINDOW", -1131)


async def test_user_stream_calls_need_only_the_key(users: Stub) -> None:
    user_id = await registered(users)
    key = await new_key(users, user_id)

    result = await users.Authenticate(user_pb2.AuthenticateRequest(api_key=key.key.api_key, api_key_only=True))
    listen = await users.CreateListenKey(user_pb2.CreateListenKeyRequest(), metadata=caller_metadata(result.user_id))
    resolved = await users.ResolveListenKey(user_pb2.ResolveListenKeyRequest(listen_key=listen.listen_key))

    assert resolved.user_id == user_id


# -- money in and out ------------------------------------------------------------------------


async def test_a_deposit_sent_twice_with_the_same_transaction_id_credits_once(users: Stub, secrets: Secrets) -> None:
    user_id = await registered(users)
    deposit = user_pb2.DepositRequest(user_id=user_id, asset="USDT", amount="250.5", transaction_id="chain-tx-1")

    first = await users.Deposit(deposit, metadata=admin(secrets))
    second = await users.Deposit(deposit, metadata=admin(secrets))
    balances = await users.GetBalances(user_pb2.GetBalancesRequest(), metadata=caller_metadata(user_id))

    assert (first.duplicate, second.duplicate) == (False, True)
    assert first.balance == second.balance == common_pb2.Balance(asset="USDT", free="250.50000000", locked="0.00000000")
    assert list(balances.balances) == [first.balance]


async def test_a_deposit_by_a_non_admin_is_permission_denied(users: Stub) -> None:
    user_id = await registered(users)

    error = await refusal(
        users.Deposit(
            user_pb2.DepositRequest(user_id=user_id, asset="USDT", amount="1000000", transaction_id="self-help"),
            metadata=caller_metadata(user_id),
        )
    )

    assert (error.code, error.reason, error.binance_code) == (
        grpc.StatusCode.PERMISSION_DENIED,
        "PERMISSION_DENIED",
        -2015,
    )


async def test_an_admin_the_edge_vouches_for_may_deposit_and_read_anyones_balances(users: Stub) -> None:
    user_id = await registered(users)
    admin_id = await registered(users, "ops@example.com")
    as_admin = caller_metadata(admin_id, ["PERMISSION_READ", "PERMISSION_ADMIN"])

    await users.Deposit(
        user_pb2.DepositRequest(user_id=user_id, asset="ETH", amount="2", transaction_id="ops-1"), metadata=as_admin
    )
    balances = await users.GetBalances(user_pb2.GetBalancesRequest(user_id=user_id), metadata=as_admin)

    assert [(b.asset, b.free) for b in balances.balances] == [("ETH", "2.00000000")]
    error = await refusal(
        users.GetBalances(user_pb2.GetBalancesRequest(user_id=admin_id), metadata=caller_metadata(user_id))
    )
    assert error.reason == "PERMISSION_DENIED"


async def test_a_wrong_admin_token_is_unauthenticated(users: Stub) -> None:
    user_id = await registered(users)

    error = await refusal(
        users.Deposit(
            user_pb2.DepositRequest(user_id=user_id, asset="USDT", amount="1", transaction_id="tx"),
            metadata=(("authorization", "Bearer guessed"),),
        )
    )

    assert (error.code, error.reason) == (grpc.StatusCode.UNAUTHENTICATED, "UNAUTHORIZED")


async def test_a_transaction_id_reused_for_another_amount_is_a_conflict(users: Stub, secrets: Secrets) -> None:
    user_id = await registered(users)
    await users.Deposit(
        user_pb2.DepositRequest(user_id=user_id, asset="BTC", amount="1", transaction_id="tx-9"),
        metadata=admin(secrets),
    )

    error = await refusal(
        users.Deposit(
            user_pb2.DepositRequest(user_id=user_id, asset="BTC", amount="2", transaction_id="tx-9"),
            metadata=admin(secrets),
        )
    )

    assert (error.code, error.reason) == (grpc.StatusCode.ALREADY_EXISTS, "TRANSACTION_ID_CONFLICT")


async def test_a_withdrawal_beyond_the_available_balance_is_binance_2010(users: Stub, secrets: Secrets) -> None:
    user_id = await registered(users)
    await users.Deposit(
        user_pb2.DepositRequest(user_id=user_id, asset="BTC", amount="1", transaction_id="in"), metadata=admin(secrets)
    )

    error = await refusal(
        users.Withdraw(
            user_pb2.WithdrawRequest(user_id=user_id, asset="BTC", amount="1.00000001", transaction_id="out"),
            metadata=admin(secrets),
        )
    )

    assert (error.code, error.reason, error.binance_code) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "INSUFFICIENT_BALANCE",
        -2010,
    )


async def test_too_many_decimals_is_binance_1111_naming_the_parameter(users: Stub, secrets: Secrets) -> None:
    user_id = await registered(users)

    error = await refusal(
        users.Deposit(
            user_pb2.DepositRequest(user_id=user_id, asset="BTC", amount="0.000000001", transaction_id="tx"),
            metadata=admin(secrets),
        )
    )

    assert (error.reason, error.binance_code, error.metadata["param"]) == ("BAD_PRECISION", -1111, "amount")
    assert error.message == "Parameter 'amount' has too much precision."


# -- the server around the servicer ----------------------------------------------------------


async def test_health_reports_the_user_service_serving(channel: grpc.aio.Channel) -> None:
    health = health_pb2_grpc.HealthStub(channel)

    for service in ("", "exchange.v1.UserService"):
        reply = await health.Check(health_pb2.HealthCheckRequest(service=service))
        assert reply.status == health_pb2.HealthCheckResponse.SERVING


async def test_deposits_past_what_a_balance_holds_exactly_are_refused_and_change_nothing(
    users: Stub, secrets: Secrets
) -> None:
    alice, bob = await registered(users), await registered(users, "bob@example.com")
    most = "46116860184.27387904"  # 2**62 satoshis: every balance of BTC stays a 64-bit integer
    await users.Deposit(user_pb2.DepositRequest(user_id=alice, asset="BTC", amount=most, transaction_id="whale"),
                        metadata=admin(secrets))

    error = await refusal(users.Deposit(
        user_pb2.DepositRequest(user_id=bob, asset="BTC", amount="0.00000001", transaction_id="one-more"),
        metadata=admin(secrets),
    ))
    too_big = await refusal(users.Deposit(
        user_pb2.DepositRequest(user_id=bob, asset="BTC", amount="46116860185", transaction_id="huge"),
        metadata=admin(secrets),
    ))

    assert (error.code, error.reason, error.binance_code) == (
        grpc.StatusCode.FAILED_PRECONDITION, "SUPPLY_EXCEEDED", -1013)
    assert (too_big.reason, too_big.binance_code) == ("ILLEGAL_PARAMETER", -1100)
    held = await users.GetBalances(user_pb2.GetBalancesRequest(user_id=bob), metadata=admin(secrets))
    assert list(held.balances) == []
