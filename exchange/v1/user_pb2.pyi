from exchange.v1 import common_pb2 as _common_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RegisterRequest(_message.Message):
    __slots__ = ("email", "password")
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    email: str
    password: str
    def __init__(self, email: _Optional[str] = ..., password: _Optional[str] = ...) -> None: ...

class RegisterResponse(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: int
    def __init__(self, user_id: _Optional[int] = ...) -> None: ...

class LoginRequest(_message.Message):
    __slots__ = ("email", "password")
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    email: str
    password: str
    def __init__(self, email: _Optional[str] = ..., password: _Optional[str] = ...) -> None: ...

class LoginResponse(_message.Message):
    __slots__ = ("access_token", "expires_at", "user_id")
    ACCESS_TOKEN_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    access_token: str
    expires_at: int
    user_id: int
    def __init__(self, access_token: _Optional[str] = ..., expires_at: _Optional[int] = ..., user_id: _Optional[int] = ...) -> None: ...

class ApiKey(_message.Message):
    __slots__ = ("api_key", "label", "permissions", "create_time")
    API_KEY_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    PERMISSIONS_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    api_key: str
    label: str
    permissions: _containers.RepeatedScalarFieldContainer[_common_pb2.Permission]
    create_time: int
    def __init__(self, api_key: _Optional[str] = ..., label: _Optional[str] = ..., permissions: _Optional[_Iterable[_Union[_common_pb2.Permission, str]]] = ..., create_time: _Optional[int] = ...) -> None: ...

class CreateApiKeyRequest(_message.Message):
    __slots__ = ("label", "permissions")
    LABEL_FIELD_NUMBER: _ClassVar[int]
    PERMISSIONS_FIELD_NUMBER: _ClassVar[int]
    label: str
    permissions: _containers.RepeatedScalarFieldContainer[_common_pb2.Permission]
    def __init__(self, label: _Optional[str] = ..., permissions: _Optional[_Iterable[_Union[_common_pb2.Permission, str]]] = ...) -> None: ...

class CreateApiKeyResponse(_message.Message):
    __slots__ = ("key", "secret_key")
    KEY_FIELD_NUMBER: _ClassVar[int]
    SECRET_KEY_FIELD_NUMBER: _ClassVar[int]
    key: ApiKey
    secret_key: str
    def __init__(self, key: _Optional[_Union[ApiKey, _Mapping]] = ..., secret_key: _Optional[str] = ...) -> None: ...

class ListApiKeysRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListApiKeysResponse(_message.Message):
    __slots__ = ("keys",)
    KEYS_FIELD_NUMBER: _ClassVar[int]
    keys: _containers.RepeatedCompositeFieldContainer[ApiKey]
    def __init__(self, keys: _Optional[_Iterable[_Union[ApiKey, _Mapping]]] = ...) -> None: ...

class RevokeApiKeyRequest(_message.Message):
    __slots__ = ("api_key",)
    API_KEY_FIELD_NUMBER: _ClassVar[int]
    api_key: str
    def __init__(self, api_key: _Optional[str] = ...) -> None: ...

class RevokeApiKeyResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class AuthenticateRequest(_message.Message):
    __slots__ = ("api_key", "signed_payload", "signature", "timestamp", "recv_window", "required_permission", "api_key_only")
    API_KEY_FIELD_NUMBER: _ClassVar[int]
    SIGNED_PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    RECV_WINDOW_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_PERMISSION_FIELD_NUMBER: _ClassVar[int]
    API_KEY_ONLY_FIELD_NUMBER: _ClassVar[int]
    api_key: str
    signed_payload: bytes
    signature: str
    timestamp: int
    recv_window: int
    required_permission: _common_pb2.Permission
    api_key_only: bool
    def __init__(self, api_key: _Optional[str] = ..., signed_payload: _Optional[bytes] = ..., signature: _Optional[str] = ..., timestamp: _Optional[int] = ..., recv_window: _Optional[int] = ..., required_permission: _Optional[_Union[_common_pb2.Permission, str]] = ..., api_key_only: _Optional[bool] = ...) -> None: ...

class AuthenticateResponse(_message.Message):
    __slots__ = ("user_id", "permissions")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PERMISSIONS_FIELD_NUMBER: _ClassVar[int]
    user_id: int
    permissions: _containers.RepeatedScalarFieldContainer[_common_pb2.Permission]
    def __init__(self, user_id: _Optional[int] = ..., permissions: _Optional[_Iterable[_Union[_common_pb2.Permission, str]]] = ...) -> None: ...

class GetApiKeyCredentialsRequest(_message.Message):
    __slots__ = ("api_key",)
    API_KEY_FIELD_NUMBER: _ClassVar[int]
    api_key: str
    def __init__(self, api_key: _Optional[str] = ...) -> None: ...

class GetApiKeyCredentialsResponse(_message.Message):
    __slots__ = ("user_id", "permissions", "secret_key")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PERMISSIONS_FIELD_NUMBER: _ClassVar[int]
    SECRET_KEY_FIELD_NUMBER: _ClassVar[int]
    user_id: int
    permissions: _containers.RepeatedScalarFieldContainer[_common_pb2.Permission]
    secret_key: str
    def __init__(self, user_id: _Optional[int] = ..., permissions: _Optional[_Iterable[_Union[_common_pb2.Permission, str]]] = ..., secret_key: _Optional[str] = ...) -> None: ...

class VerifySessionRequest(_message.Message):
    __slots__ = ("access_token",)
    ACCESS_TOKEN_FIELD_NUMBER: _ClassVar[int]
    access_token: str
    def __init__(self, access_token: _Optional[str] = ...) -> None: ...

class VerifySessionResponse(_message.Message):
    __slots__ = ("user_id", "permissions", "expires_at")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PERMISSIONS_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    user_id: int
    permissions: _containers.RepeatedScalarFieldContainer[_common_pb2.Permission]
    expires_at: int
    def __init__(self, user_id: _Optional[int] = ..., permissions: _Optional[_Iterable[_Union[_common_pb2.Permission, str]]] = ..., expires_at: _Optional[int] = ...) -> None: ...

class CreateListenKeyRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CreateListenKeyResponse(_message.Message):
    __slots__ = ("listen_key",)
    LISTEN_KEY_FIELD_NUMBER: _ClassVar[int]
    listen_key: str
    def __init__(self, listen_key: _Optional[str] = ...) -> None: ...

class KeepAliveListenKeyRequest(_message.Message):
    __slots__ = ("listen_key",)
    LISTEN_KEY_FIELD_NUMBER: _ClassVar[int]
    listen_key: str
    def __init__(self, listen_key: _Optional[str] = ...) -> None: ...

class KeepAliveListenKeyResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CloseListenKeyRequest(_message.Message):
    __slots__ = ("listen_key",)
    LISTEN_KEY_FIELD_NUMBER: _ClassVar[int]
    listen_key: str
    def __init__(self, listen_key: _Optional[str] = ...) -> None: ...

class CloseListenKeyResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ResolveListenKeyRequest(_message.Message):
    __slots__ = ("listen_key",)
    LISTEN_KEY_FIELD_NUMBER: _ClassVar[int]
    listen_key: str
    def __init__(self, listen_key: _Optional[str] = ...) -> None: ...

class ResolveListenKeyResponse(_message.Message):
    __slots__ = ("user_id", "expires_at")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    user_id: int
    expires_at: int
    def __init__(self, user_id: _Optional[int] = ..., expires_at: _Optional[int] = ...) -> None: ...

class DepositRequest(_message.Message):
    __slots__ = ("user_id", "asset", "amount", "transaction_id")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    ASSET_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: int
    asset: str
    amount: str
    transaction_id: str
    def __init__(self, user_id: _Optional[int] = ..., asset: _Optional[str] = ..., amount: _Optional[str] = ..., transaction_id: _Optional[str] = ...) -> None: ...

class WithdrawRequest(_message.Message):
    __slots__ = ("user_id", "asset", "amount", "transaction_id")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    ASSET_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: int
    asset: str
    amount: str
    transaction_id: str
    def __init__(self, user_id: _Optional[int] = ..., asset: _Optional[str] = ..., amount: _Optional[str] = ..., transaction_id: _Optional[str] = ...) -> None: ...

class TransferResponse(_message.Message):
    __slots__ = ("transaction_id", "balance", "duplicate", "time")
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    BALANCE_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    transaction_id: str
    balance: _common_pb2.Balance
    duplicate: bool
    time: int
    def __init__(self, transaction_id: _Optional[str] = ..., balance: _Optional[_Union[_common_pb2.Balance, _Mapping]] = ..., duplicate: _Optional[bool] = ..., time: _Optional[int] = ...) -> None: ...

class GetBalancesRequest(_message.Message):
    __slots__ = ("assets", "user_id")
    ASSETS_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    assets: _containers.RepeatedScalarFieldContainer[str]
    user_id: int
    def __init__(self, assets: _Optional[_Iterable[str]] = ..., user_id: _Optional[int] = ...) -> None: ...

class GetBalancesResponse(_message.Message):
    __slots__ = ("balances",)
    BALANCES_FIELD_NUMBER: _ClassVar[int]
    balances: _containers.RepeatedCompositeFieldContainer[_common_pb2.Balance]
    def __init__(self, balances: _Optional[_Iterable[_Union[_common_pb2.Balance, _Mapping]]] = ...) -> None: ...
