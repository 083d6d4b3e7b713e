"""The user service's rules: accounts, sessions, API keys, signed requests, money in and out.

Pure logic over the UserStore and Ledger ports; no gRPC, no SQL. Who is calling arrives as a
`Caller`, built by the servicer from what the edge vouched for.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import string
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import Enum
from typing import TypeVar

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet

from services.common.catalog import ASSETS
from services.common.config import Secrets
from services.common.markets import Asset, MarketError, parse_decimal
from services.common.ports import LARGEST_SUPPLY, AlreadyExists, ApiKeyRecord, Ledger, UserRecord, UserStore
from services.common.records import Balance
from services.user import signatures
from services.user.credentials import MAX_PASSWORD, PASSWORD_HASHER, check_password_policy, normalise_email
from services.user.errors import (
    ApiKeyFormatInvalid,
    ApiKeyNotFound,
    EmailTaken,
    InvalidApiKey,
    InvalidCredentials,
    InvalidParameter,
    InvalidSession,
    MissingParameter,
    PermissionDenied,
    TooMuchPrecision,
    Unauthenticated,
    UnknownAsset,
)
from services.user.listen_keys import ListenKey, ListenKeys

_T = TypeVar("_T")

SESSION_TTL_MS = 24 * 3600 * 1000
API_KEY_LENGTH = 64  # Binance's keys and secrets are 64 alphanumeric characters
MAX_LABEL = 64
_JWT_ISSUER = "spotex"
_ALPHANUMERIC = string.ascii_letters + string.digits
_API_KEY = re.compile(r"[A-Za-z0-9]{64}")
_TX_ID = re.compile(r"[!-~]{1,128}")  # printable ASCII, no spaces: chain tx hashes fit


class Permission(Enum):
    READ = "READ"  # Binance USER_DATA and USER_STREAM endpoints
    TRADE = "TRADE"  # Binance TRADE endpoints
    WITHDRAW = "WITHDRAW"
    ADMIN = "ADMIN"  # the operator's role: deposits, withdrawals, anyone's balances


DEFAULT_KEY_PERMISSIONS = (Permission.READ, Permission.TRADE)


@dataclass(frozen=True, slots=True)
class Caller:
    """Who a call acts for: a user (by session or API key), or the operator (user_id None)."""

    user_id: int | None
    permissions: frozenset[Permission]

    @property
    def is_admin(self) -> bool:
        return Permission.ADMIN in self.permissions


@dataclass(frozen=True, slots=True)
class Session:
    token: str
    user_id: int
    permissions: frozenset[Permission]
    expires_ms: int


@dataclass(frozen=True, slots=True)
class NewApiKey:
    key: ApiKeyRecord
    secret: str  # returned this once; only its ciphertext is stored


@dataclass(frozen=True, slots=True)
class Authenticated:
    user_id: int
    permissions: frozenset[Permission]


@dataclass(frozen=True, slots=True)
class Transfer:
    tx_id: str
    user_id: int
    delta: int  # minor units moved: positive for a deposit, negative for a withdrawal
    balance: Balance  # the asset's balance after the transfer
    duplicate: bool  # the tx id had been applied before; nothing moved this time
    time_ms: int


def key_permissions(record: ApiKeyRecord) -> frozenset[Permission]:
    return frozenset(Permission(p) for p in record.permissions if p in Permission.__members__)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def random_key(length: int) -> str:
    return "".join(secrets.choice(_ALPHANUMERIC) for _ in range(length))


class UserDomain:
    def __init__(
        self,
        store: UserStore,
        ledger: Ledger,
        secrets_: Secrets,
        *,
        assets: Mapping[str, Asset] = ASSETS,
        hasher: PasswordHasher | None = None,
        clock: Callable[[], int] = now_ms,
        on_transfer: Callable[[Transfer], None] = lambda transfer: None,
    ) -> None:
        """`on_transfer` is told of each applied deposit and withdrawal (not of a duplicate)
        and must not block: the user data stream's balanceUpdate comes from it."""
        self._store = store
        self._ledger = ledger
        self._jwt_key = secrets_.jwt_key
        self._admin_token = secrets_.admin_token.encode()
        self._fernet = Fernet(secrets_.api_secret_key.encode())
        self.assets = dict(assets)
        self._hasher = hasher or PASSWORD_HASHER
        self._clock = clock
        self._on_transfer = on_transfer
        # argon2 costs tens of ms and 19 MiB per hash: it runs off the event loop, in a pool no
        # larger than the CPU count, which also bounds the memory a burst of logins can take.
        self._hashing = ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="argon2")
        # Verified against when the email is unknown, so that a login with an unknown email
        # takes as long as one with a wrong password and does not reveal who has an account.
        self._decoy_hash = self._hasher.hash(secrets.token_urlsafe(16))
        self._listen_keys = ListenKeys(store, clock)

    def close(self) -> None:
        self._hashing.shutdown(wait=False, cancel_futures=True)

    # -- accounts and sessions ------------------------------------------------------------

    async def register(self, email: str, password: str) -> UserRecord:
        email = normalise_email(email)
        check_password_policy(password, email)
        password_hash = await self._in_pool(self._hasher.hash, password)
        try:
            return await self._store.create_user(email, password_hash, self._clock())
        except AlreadyExists:
            raise EmailTaken() from None

    async def login(self, email: str, password: str) -> Session:
        if len(password) > MAX_PASSWORD:  # no account has one; do not let it cost a hash
            raise InvalidCredentials()
        try:
            email = normalise_email(email)
        except InvalidParameter:
            raise InvalidCredentials() from None
        user = await self._store.user_by_email(email)
        verified = await self._in_pool(self._verify, user.password_hash if user else self._decoy_hash, password)
        if user is None or not verified:
            raise InvalidCredentials()
        return self._open_session(user)

    def verify_session(self, token: str) -> Session:
        try:
            claims = jwt.decode(
                token,
                self._jwt_key,
                algorithms=["HS256"],  # pinned: never let the token choose (alg=none attacks)
                issuer=_JWT_ISSUER,
                # expiry is checked below against the domain's clock, like everything else here
                options={"require": ["sub", "iat", "exp", "iss"], "verify_exp": False, "verify_iat": False},
            )
            user_id = int(claims["sub"])
            expires_ms = int(claims["exp"]) * 1000
            permissions = frozenset(Permission(p) for p in claims.get("perms", ()))
        except (jwt.InvalidTokenError, ValueError, TypeError):
            raise InvalidSession() from None
        if expires_ms <= self._clock():
            raise InvalidSession()
        return Session(token, user_id, permissions, expires_ms)

    def operator(self, admin_token: str) -> Caller:
        """The caller presenting the operator's admin token (tradectl, the dev faucet)."""
        if not secrets.compare_digest(admin_token.encode(), self._admin_token):
            raise Unauthenticated()
        return Caller(None, frozenset({Permission.ADMIN}))

    def _open_session(self, user: UserRecord) -> Session:
        permissions = self._user_permissions(user)
        issued_s = self._clock() // 1000
        expires_s = issued_s + SESSION_TTL_MS // 1000
        claims = {
            "sub": str(user.user_id),  # RFC 7519: sub is a string
            "iat": issued_s,
            "exp": expires_s,
            "iss": _JWT_ISSUER,
            "perms": sorted(p.value for p in permissions),
        }
        token = jwt.encode(claims, self._jwt_key, algorithm="HS256")
        return Session(token, user.user_id, permissions, expires_s * 1000)

    @staticmethod
    def _user_permissions(user: UserRecord) -> frozenset[Permission]:
        base = {Permission.READ, Permission.TRADE}
        return frozenset(base | {Permission.ADMIN} if user.is_admin else base)

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return bool(self._hasher.verify(password_hash, password))
        except (VerificationError, InvalidHashError):
            return False

    # -- API keys -------------------------------------------------------------------------

    async def create_api_key(self, caller: Caller, label: str, permissions: Iterable[Permission]) -> NewApiKey:
        user = await self._caller_user(caller)
        wanted = tuple(sorted(set(permissions), key=lambda p: p.value)) or DEFAULT_KEY_PERMISSIONS
        if Permission.ADMIN in wanted and not user.is_admin:
            raise PermissionDenied()
        if len(label) > MAX_LABEL:
            raise InvalidParameter("label", f"at most {MAX_LABEL} characters")
        secret = random_key(API_KEY_LENGTH)
        record = ApiKeyRecord(
            api_key=random_key(API_KEY_LENGTH),
            user_id=user.user_id,
            # HMAC verification needs the secret itself, so it cannot be hashed like a
            # password; Fernet (AES-128-CBC + HMAC) keeps a stolen database useless without
            # the key in secrets.json.
            secret_ciphertext=self._fernet.encrypt(secret.encode()),
            label=label,
            permissions=tuple(p.value for p in wanted),
            created_ms=self._clock(),
        )
        await self._store.add_api_key(record)
        return NewApiKey(record, secret)

    async def api_keys(self, caller: Caller) -> list[ApiKeyRecord]:
        user_id = _user_of(caller)
        return [k for k in await self._store.api_keys(user_id) if not k.revoked]

    async def revoke_api_key(self, caller: Caller, api_key: str) -> None:
        if not await self._store.revoke_api_key(_user_of(caller), api_key):
            raise ApiKeyNotFound()

    async def authenticate(
        self,
        api_key: str,
        signed_payload: bytes,
        signature: str,
        timestamp_ms: int,
        recv_window_ms: int | None,
        required: Permission | None,
        *,
        api_key_only: bool = False,
    ) -> Authenticated:
        """The edge's check of one request to a Binance USER_DATA/TRADE (or, with
        api_key_only, USER_STREAM) endpoint."""
        window = signatures.recv_window(recv_window_ms) if not api_key_only else 0
        record = await self._live_api_key(api_key)
        if not api_key_only:
            # Signature before timestamp: a forger learns nothing but -1022, while an honest
            # client with a drifting clock gets the -1021 it can act on.
            secret = self._fernet.decrypt(record.secret_ciphertext).decode()
            signatures.check_signature(secret, signed_payload, signature)
            signatures.check_timestamp(timestamp_ms, window, self._clock())
        permissions = key_permissions(record)
        if required is not None and required not in permissions:
            raise InvalidApiKey()
        return Authenticated(record.user_id, permissions)

    async def api_key_credentials(self, caller: Caller, api_key: str) -> tuple[Authenticated, str]:
        """The operator's (the edge's) copy of a live key: its user, permissions and decrypted
        secret, so that the edge verifies each request's signature itself (docs/performance.md)."""
        if not caller.is_admin:
            raise PermissionDenied()
        record = await self._live_api_key(api_key)
        secret = self._fernet.decrypt(record.secret_ciphertext).decode()
        return Authenticated(record.user_id, key_permissions(record)), secret

    async def _live_api_key(self, api_key: str) -> ApiKeyRecord:
        if not _API_KEY.fullmatch(api_key):
            raise ApiKeyFormatInvalid()
        record = await self._store.api_key(api_key)
        if record is None or record.revoked:
            raise InvalidApiKey()
        return record

    # -- listen keys (Binance user data streams) ------------------------------------------

    async def create_listen_key(self, caller: Caller) -> str:
        return await self._listen_keys.create(_user_of(caller))

    async def keep_alive_listen_key(self, caller: Caller, listen_key: str) -> None:
        await self._listen_keys.keep_alive(_user_of(caller), _named_listen_key(listen_key))

    async def close_listen_key(self, caller: Caller, listen_key: str) -> None:
        await self._listen_keys.close(_user_of(caller), _named_listen_key(listen_key))

    async def resolve_listen_key(self, listen_key: str) -> ListenKey:
        return await self._listen_keys.resolve(listen_key)

    # -- money in and out -------------------------------------------------------------------

    async def deposit(self, caller: Caller, user_id: int, asset: str, amount: str, tx_id: str) -> Transfer:
        minor = await self._transfer_args(caller, user_id, asset, amount, tx_id)
        applied = await self._ledger.deposit(tx_id, user_id, asset, minor)
        return await self._transfer(tx_id, user_id, asset, minor, duplicate=not applied)

    async def withdraw(self, caller: Caller, user_id: int, asset: str, amount: str, tx_id: str) -> Transfer:
        """Raises ports.InsufficientFunds when the available balance is short."""
        minor = await self._transfer_args(caller, user_id, asset, amount, tx_id)
        applied = await self._ledger.withdraw(tx_id, user_id, asset, minor)
        return await self._transfer(tx_id, user_id, asset, -minor, duplicate=not applied)

    async def balances(self, caller: Caller, user_id: int | None, assets: Sequence[str]) -> list[Balance]:
        if user_id is None:
            if caller.user_id is None:
                raise MissingParameter("userId")
            user_id = caller.user_id
        elif user_id != caller.user_id and not caller.is_admin:
            raise PermissionDenied()
        for name in assets:
            self._asset(name)
        held = {b.asset: b for b in await self._ledger.balances(user_id)}
        if not assets:
            return sorted(held.values(), key=lambda b: b.asset)
        # an asset asked for by name is answered even when nothing was ever held of it
        return [held.get(name) or Balance(name, 0, 0) for name in dict.fromkeys(assets)]

    async def _transfer_args(self, caller: Caller, user_id: int, asset: str, amount: str, tx_id: str) -> int:
        if not caller.is_admin:
            raise Unauthenticated() if caller.user_id is None else PermissionDenied()
        if not _TX_ID.fullmatch(tx_id):
            raise InvalidParameter("transactionId", "1 to 128 printable ASCII characters")
        for name, value in (("asset", asset), ("amount", amount)):
            if not value:
                raise MissingParameter(name)
        minor = self._minor_units(self._asset(asset), amount)
        if await self._store.user_by_id(user_id) is None:
            raise InvalidParameter("userId", "an existing user id")
        return minor

    async def _transfer(self, tx_id: str, user_id: int, asset: str, delta: int, *, duplicate: bool) -> Transfer:
        balance = next((b for b in await self._ledger.balances(user_id) if b.asset == asset), Balance(asset, 0, 0))
        transfer = Transfer(tx_id, user_id, delta, balance, duplicate, self._clock())
        if not duplicate:
            self._on_transfer(transfer)
        return transfer

    def _asset(self, name: str) -> Asset:
        asset = self.assets.get(name)
        if asset is None:
            raise UnknownAsset(",".join(sorted(self.assets)))
        return asset

    @staticmethod
    def _minor_units(asset: Asset, amount: str) -> int:
        try:
            value = parse_decimal(amount, "amount")
        except MarketError:
            raise InvalidParameter("amount", "a positive decimal number") from None
        if value <= 0:
            raise InvalidParameter("amount", "a positive decimal number")
        if value > asset.from_minor(LARGEST_SUPPLY):  # more than the ledger ever holds of an asset
            raise InvalidParameter("amount", f"a positive decimal number up to {asset.from_minor(LARGEST_SUPPLY)}")
        try:
            return asset.to_minor(value)
        except MarketError:
            raise TooMuchPrecision("amount") from None

    # -- helpers ----------------------------------------------------------------------------

    async def _caller_user(self, caller: Caller) -> UserRecord:
        user = await self._store.user_by_id(_user_of(caller))
        if user is None:
            raise Unauthenticated()
        return user

    async def _in_pool(self, fn: Callable[..., _T], *args: object) -> _T:
        return await asyncio.get_running_loop().run_in_executor(self._hashing, fn, *args)


def _user_of(caller: Caller) -> int:
    if caller.user_id is None:
        raise Unauthenticated()
    return caller.user_id


def _named_listen_key(listen_key: str) -> str:
    """PUT and DELETE userDataStream name their key (Binance -1102 without it, -1125 for a
    key that is not the caller's or has expired)."""
    if not listen_key:
        raise MissingParameter("listenKey")
    return listen_key
