"""UserService over gRPC: request -> domain -> response. Refusals are the domain's exceptions,
turned into statuses by the error interceptor through `ERRORS`, the service's one table."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from exchange.v1 import common_pb2, user_pb2, user_pb2_grpc
from services.common.caller import PERMISSIONS_KEY, USER_ID_KEY
from services.common.grpcutil.errors import ErrorTable
from services.common.markets import Asset
from services.common.ports import ApiKeyRecord, InsufficientFunds, SupplyExceeded
from services.common.records import Balance
from services.user import errors
from services.user.domain import Caller, Permission, Transfer, UserDomain

ERRORS: ErrorTable = {
    errors.InvalidParameter: "ILLEGAL_PARAMETER",
    errors.MissingParameter: "MANDATORY_PARAMETER_MISSING",
    errors.WeakPassword: "WEAK_PASSWORD",
    errors.EmailTaken: "USER_ALREADY_EXISTS",
    errors.InvalidCredentials: "INVALID_CREDENTIALS",
    errors.InvalidSession: "INVALID_SESSION",
    errors.Unauthenticated: "UNAUTHORIZED",
    errors.PermissionDenied: "PERMISSION_DENIED",
    errors.ApiKeyFormatInvalid: "API_KEY_FORMAT_INVALID",
    errors.InvalidApiKey: "INVALID_API_KEY",
    errors.ApiKeyNotFound: "API_KEY_NOT_FOUND",
    errors.InvalidSignature: "INVALID_SIGNATURE",
    errors.TimestampOutsideRecvWindow: "TIMESTAMP_OUTSIDE_RECV_WINDOW",
    errors.TimestampAhead: "TIMESTAMP_AHEAD",
    errors.InvalidRecvWindow: "INVALID_RECV_WINDOW",
    errors.InvalidListenKey: "INVALID_LISTEN_KEY",
    errors.UnknownAsset: "INVALID_ASSET",
    errors.TooMuchPrecision: "BAD_PRECISION",
    InsufficientFunds: "INSUFFICIENT_BALANCE",
    SupplyExceeded: "SUPPLY_EXCEEDED",
}

# The operator (tradectl, the dev faucet) proves itself with Config.secrets().admin_token.
AUTHORIZATION_KEY = "authorization"
_PREFIX = "PERMISSION_"
_PERMISSION_OF = {_PREFIX + p.value: p for p in Permission}  # "PERMISSION_READ" -> READ


class UserServicer(user_pb2_grpc.UserServiceServicer):
    def __init__(self, domain: UserDomain) -> None:
        self._domain = domain

    # -- accounts and sessions ------------------------------------------------------------

    async def Register(self, request: user_pb2.RegisterRequest, context: Any) -> user_pb2.RegisterResponse:
        user = await self._domain.register(request.email, request.password)
        return user_pb2.RegisterResponse(user_id=user.user_id)

    async def Login(self, request: user_pb2.LoginRequest, context: Any) -> user_pb2.LoginResponse:
        session = await self._domain.login(request.email, request.password)
        return user_pb2.LoginResponse(
            access_token=session.token, expires_at=session.expires_ms, user_id=session.user_id
        )

    async def VerifySession(
        self, request: user_pb2.VerifySessionRequest, context: Any
    ) -> user_pb2.VerifySessionResponse:
        session = self._domain.verify_session(request.access_token)
        return user_pb2.VerifySessionResponse(
            user_id=session.user_id, permissions=_to_proto(session.permissions), expires_at=session.expires_ms
        )

    # -- API keys -------------------------------------------------------------------------

    async def CreateApiKey(self, request: user_pb2.CreateApiKeyRequest, context: Any) -> user_pb2.CreateApiKeyResponse:
        wanted = [_from_proto(p) for p in request.permissions if p != common_pb2.PERMISSION_UNSPECIFIED]
        created = await self._domain.create_api_key(
            self._caller(context), request.label, [p for p in wanted if p is not None]
        )
        return user_pb2.CreateApiKeyResponse(key=_api_key(created.key), secret_key=created.secret)

    async def ListApiKeys(self, request: user_pb2.ListApiKeysRequest, context: Any) -> user_pb2.ListApiKeysResponse:
        keys = await self._domain.api_keys(self._caller(context))
        return user_pb2.ListApiKeysResponse(keys=[_api_key(k) for k in keys])

    async def RevokeApiKey(self, request: user_pb2.RevokeApiKeyRequest, context: Any) -> user_pb2.RevokeApiKeyResponse:
        await self._domain.revoke_api_key(self._caller(context), request.api_key)
        return user_pb2.RevokeApiKeyResponse()

    async def Authenticate(self, request: user_pb2.AuthenticateRequest, context: Any) -> user_pb2.AuthenticateResponse:
        required = _from_proto(request.required_permission)
        result = await self._domain.authenticate(
            request.api_key,
            request.signed_payload,
            request.signature,
            request.timestamp,
            request.recv_window if request.HasField("recv_window") else None,
            required,
            api_key_only=request.api_key_only,
        )
        return user_pb2.AuthenticateResponse(user_id=result.user_id, permissions=_to_proto(result.permissions))

    async def GetApiKeyCredentials(
        self, request: user_pb2.GetApiKeyCredentialsRequest, context: Any
    ) -> user_pb2.GetApiKeyCredentialsResponse:
        key, secret = await self._domain.api_key_credentials(self._caller(context), request.api_key)
        return user_pb2.GetApiKeyCredentialsResponse(
            user_id=key.user_id, permissions=_to_proto(key.permissions), secret_key=secret
        )

    # -- listen keys ----------------------------------------------------------------------

    async def CreateListenKey(
        self, request: user_pb2.CreateListenKeyRequest, context: Any
    ) -> user_pb2.CreateListenKeyResponse:
        return user_pb2.CreateListenKeyResponse(listen_key=await self._domain.create_listen_key(self._caller(context)))

    async def KeepAliveListenKey(
        self, request: user_pb2.KeepAliveListenKeyRequest, context: Any
    ) -> user_pb2.KeepAliveListenKeyResponse:
        await self._domain.keep_alive_listen_key(self._caller(context), request.listen_key)
        return user_pb2.KeepAliveListenKeyResponse()

    async def CloseListenKey(
        self, request: user_pb2.CloseListenKeyRequest, context: Any
    ) -> user_pb2.CloseListenKeyResponse:
        await self._domain.close_listen_key(self._caller(context), request.listen_key)
        return user_pb2.CloseListenKeyResponse()

    async def ResolveListenKey(
        self, request: user_pb2.ResolveListenKeyRequest, context: Any
    ) -> user_pb2.ResolveListenKeyResponse:
        entry = await self._domain.resolve_listen_key(request.listen_key)
        return user_pb2.ResolveListenKeyResponse(user_id=entry.user_id, expires_at=entry.expires_ms)

    # -- money in and out -------------------------------------------------------------------

    async def Deposit(self, request: user_pb2.DepositRequest, context: Any) -> user_pb2.TransferResponse:
        transfer = await self._domain.deposit(
            self._caller(context), request.user_id, request.asset, request.amount, request.transaction_id
        )
        return self._transfer(transfer)

    async def Withdraw(self, request: user_pb2.WithdrawRequest, context: Any) -> user_pb2.TransferResponse:
        transfer = await self._domain.withdraw(
            self._caller(context), request.user_id, request.asset, request.amount, request.transaction_id
        )
        return self._transfer(transfer)

    async def GetBalances(self, request: user_pb2.GetBalancesRequest, context: Any) -> user_pb2.GetBalancesResponse:
        user_id = request.user_id if request.HasField("user_id") else None
        balances = await self._domain.balances(self._caller(context), user_id, list(request.assets))
        return user_pb2.GetBalancesResponse(balances=[self._balance(b) for b in balances])

    # -- translation --------------------------------------------------------------------------

    def _caller(self, context: Any) -> Caller:
        """Who is calling, from what the edge vouched for in metadata (docs/protos.md), or the
        operator's bearer token."""
        metadata = {key: value for key, value in context.invocation_metadata() or ()}
        token = metadata.get(AUTHORIZATION_KEY)
        if token is not None:
            return self._domain.operator(str(token).removeprefix("Bearer ").strip())
        raw_user = metadata.get(USER_ID_KEY)
        try:
            user_id = int(raw_user) if raw_user is not None else None
        except ValueError:
            raise errors.Unauthenticated() from None
        names = (name.strip() for name in str(metadata.get(PERMISSIONS_KEY, "")).split(","))
        return Caller(user_id, frozenset(_PERMISSION_OF[n] for n in names if n in _PERMISSION_OF))

    def _transfer(self, transfer: Transfer) -> user_pb2.TransferResponse:
        return user_pb2.TransferResponse(
            transaction_id=transfer.tx_id,
            balance=self._balance(transfer.balance),
            duplicate=transfer.duplicate,
            time=transfer.time_ms,
        )

    def _balance(self, balance: Balance) -> common_pb2.Balance:
        # an asset delisted after it was deposited is still shown, at Binance's 8 decimals
        asset = self._domain.assets.get(balance.asset) or Asset(balance.asset, 8)
        return common_pb2.Balance(
            asset=balance.asset, free=asset.format(balance.available), locked=asset.format(balance.locked)
        )


def _from_proto(value: int) -> Permission | None:
    """None for UNSPECIFIED and for values newer than this code (enums are append-only)."""
    known = common_pb2.Permission.DESCRIPTOR.values_by_number.get(value)
    return _PERMISSION_OF.get(known.name) if known is not None else None


def _to_proto(permissions: Iterable[Permission]) -> list[common_pb2.Permission]:
    return sorted(common_pb2.Permission.Value(_PREFIX + p.value) for p in permissions)


def _api_key(key: ApiKeyRecord) -> user_pb2.ApiKey:
    stored = (Permission.__members__.get(name) for name in key.permissions)
    return user_pb2.ApiKey(
        api_key=key.api_key,
        label=key.label,
        permissions=_to_proto(p for p in stored if p is not None),
        create_time=key.created_ms,
    )
