"""Who is calling: Binance's SIGNED and USER_STREAM requests (API key + HMAC), spotex's web
sessions (JWT) and the operator. Signed requests are verified here, every one of them, with
UserService's rules (services/user/signatures.py) against the key's secret that UserService
hands the edge (edge/api_keys.py: held for seconds at most, so a revoked key stops working
within that bound, and at once through the edge that revoked it). Against a UserService
without GetApiKeyCredentials, each request is sent to its Authenticate as before.

The signature covers Binance's totalParams = query string + request body, exactly as
received. Clients differ in what they send (ccxt: insertion order, timestamp first, query for
GET/DELETE, form body for POST; python-binance: sorted, DELETE in the body), so the edge
never re-encodes: it cuts the `signature=` pair out of the raw bytes and passes the rest on.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import grpc

from edge.api_keys import ApiKeyCache, KeyCredentials
from edge.errors import from_rejection, from_rpc_error, refused
from edge.rest.params import permission_names
from edge.rest.policy import Security
from exchange.v1 import common_pb2, user_pb2, user_pb2_grpc
from services.common.caller import caller_metadata
from services.common.grpcutil.errors import status_of
from services.order import errors as order_errors
from services.order.domain import INT64_MAX  # the timestamp travels as an int64
from services.user import signatures
from services.user.errors import InvalidApiKey, UserError
from services.user.servicer import AUTHORIZATION_KEY, ERRORS

Metadata = tuple[tuple[str, str], ...]
_REQUIRED = {Security.USER_DATA: common_pb2.PERMISSION_READ, Security.TRADE: common_pb2.PERMISSION_TRADE}


@dataclass(frozen=True, slots=True)
class Caller:
    user_id: int  # 0 for the operator
    metadata: Metadata  # what the services are called with (docs/protos.md)


ANONYMOUS = Caller(0, ())


def signed_payload(query: bytes, body: bytes) -> bytes:
    """totalParams without its `signature=...` pair."""
    return _without_signature(query) + _without_signature(body)


def _without_signature(raw: bytes) -> bytes:
    if b"signature=" not in raw:
        return raw
    return b"&".join(pair for pair in raw.split(b"&") if not pair.startswith(b"signature="))


def _mandatory_int(params: Mapping[str, str], name: str) -> int:
    value = params.get(name, "")
    # ASCII digits only: str.isdigit() also takes "²" (int() then fails) and other scripts' digits
    if not (value.isascii() and value.isdigit()) or len(value) > 19 or int(value) > INT64_MAX:
        raise from_rejection(order_errors.mandatory_missing(name))
    return int(value)


class Authenticator:
    def __init__(
        self,
        user_service: user_pb2_grpc.UserServiceStub,
        admin_token: str,
        timeout_s: float,
        clock_ms: Callable[[], int] = lambda: time.time_ns() // 1_000_000,
    ) -> None:
        self._user = user_service
        self._admin = admin_token.encode()
        self._timeout = timeout_s
        self._clock_ms = clock_ms
        self.keys = ApiKeyCache(user_service.GetApiKeyCredentials, self.operator_caller().metadata, timeout_s)

    async def caller(
        self, security: Security, headers: Mapping[bytes, bytes], params: Mapping[str, str], query: bytes, body: bytes
    ) -> Caller:
        if security is Security.NONE:
            return ANONYMOUS
        if security is Security.SESSION:
            return await self.session(headers)
        if security is Security.ADMIN:
            return await self.operator(headers)
        api_key = headers.get(b"x-mbx-apikey", b"").decode("latin-1")
        if not api_key:
            raise refused("API_KEY_FORMAT_INVALID")
        if security is Security.USER_STREAM:
            request = user_pb2.AuthenticateRequest(api_key=api_key, api_key_only=True)
        else:
            request = self._signed_request(api_key, security, params, query, body)
        if self.keys.supported:
            try:
                return await self._verified_here(request)
            except grpc.RpcError as exc:
                if self.keys.supported:
                    raise from_rpc_error(exc) from None
        try:
            reply = await self._user.Authenticate(request, timeout=self._timeout)
        except grpc.RpcError as exc:
            raise from_rpc_error(exc) from None
        return Caller(reply.user_id, caller_metadata(reply.user_id, permission_names(reply.permissions)))

    async def key_revoked(self, api_key: str) -> bool:
        """Whether UserService now refuses the key (revoked, or gone): what a long-lived use of a
        key (a WebSocket API subscription signed with it) asks now and then. A UserService that
        cannot answer has not revoked anything."""
        try:
            await self.keys.get(api_key)
        except grpc.RpcError as exc:
            return status_of(exc).reason == "INVALID_API_KEY"
        return False

    async def _verified_here(self, request: user_pb2.AuthenticateRequest) -> Caller:
        """UserDomain.authenticate's checks, in its order, against the key's cached secret."""
        try:
            window = 0
            if not request.api_key_only:
                window = signatures.recv_window(request.recv_window if request.HasField("recv_window") else None)
            key: KeyCredentials = await self.keys.get(request.api_key)
            if not request.api_key_only:
                signatures.check_signature(key.secret, request.signed_payload, request.signature)
                signatures.check_timestamp(request.timestamp, window, self._clock_ms())
            if request.required_permission and request.required_permission not in key.permissions:
                raise InvalidApiKey()
        except UserError as refusal:
            raise refused(ERRORS[type(refusal)], *refusal.args) from None
        return Caller(key.user_id, caller_metadata(key.user_id, permission_names(key.permissions)))

    @staticmethod
    def _signed_request(
        api_key: str, security: Security, params: Mapping[str, str], query: bytes, body: bytes
    ) -> user_pb2.AuthenticateRequest:
        timestamp = _mandatory_int(params, "timestamp")
        signature = params.get("signature", "")
        if not signature:
            raise from_rejection(order_errors.mandatory_missing("signature"))
        request = user_pb2.AuthenticateRequest(
            api_key=api_key,
            signed_payload=signed_payload(query, body),
            signature=signature,
            timestamp=timestamp,
            required_permission=_REQUIRED[security],
        )
        window = params.get("recvWindow", "")
        if window:
            # Binance takes up to three decimals (microseconds); the window is kept in whole ms,
            # rounded up, so a fraction never refuses what Binance would accept
            whole, dot, fraction = window.partition(".")
            digits = window.isascii() and whole.isdigit() and len(whole) <= 18
            if not (digits and (not dot or (fraction.isdigit() and len(fraction) <= 3))):
                raise from_rejection(order_errors.illegal_characters("recvWindow", "^[0-9]{1,18}(\\.[0-9]{1,3})?$"))
            request.recv_window = int(whole) + (1 if dot and int(fraction) else 0)
        return request

    async def session(self, headers: Mapping[bytes, bytes]) -> Caller:
        token = _bearer(headers)
        try:
            reply = await self._user.VerifySession(
                user_pb2.VerifySessionRequest(access_token=token), timeout=self._timeout
            )
        except grpc.RpcError as exc:
            raise from_rpc_error(exc) from None
        return Caller(reply.user_id, caller_metadata(reply.user_id, permission_names(reply.permissions)))

    async def operator(self, headers: Mapping[bytes, bytes]) -> Caller:
        """The operator's token is passed on as is (UserService checks it); anything else must
        be the session of an admin user, whose permissions the services check."""
        token = _bearer(headers)
        if hmac.compare_digest(token.encode(), self._admin):
            return self.operator_caller()
        return await self.session(headers)

    def operator_caller(self) -> Caller:
        return Caller(0, ((AUTHORIZATION_KEY, "Bearer " + self._admin.decode()),))


def _bearer(headers: Mapping[bytes, bytes]) -> str:
    value = headers.get(b"authorization", b"").decode("latin-1")
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise refused("UNAUTHORIZED")
    return token.strip()

