"""The user domain's refusals. Plain exceptions: the servicer's table maps each one to an
`exchange.v1.ErrorReason`, and its args fill that reason's '%s' placeholders in order."""

from __future__ import annotations


class UserError(Exception):
    """Base of every refusal of the user domain. `param` names the request field at fault
    (Binance's parameter name), which callers get as ErrorInfo metadata."""

    def __init__(self, *args: object, param: str | None = None) -> None:
        super().__init__(*args)
        self.error_metadata: dict[str, str] = {"param": param} if param else {}


# -- accounts and sessions --------------------------------------------------------------------


class InvalidParameter(UserError):
    """A request field outside its legal range: args (parameter name, legal range)."""

    def __init__(self, param: str, legal_range: str) -> None:
        super().__init__(param, legal_range, param=param)


class MissingParameter(UserError):
    """args (parameter name)."""

    def __init__(self, param: str) -> None:
        super().__init__(param, param=param)


class WeakPassword(UserError):
    def __init__(self, legal_range: str) -> None:
        super().__init__(legal_range, param="password")


class EmailTaken(UserError):
    pass


class InvalidCredentials(UserError):
    """Unknown email or wrong password: deliberately indistinguishable."""


class InvalidSession(UserError):
    pass


class Unauthenticated(UserError):
    """The call needs a caller (a session's or API key's user) and has none."""


class PermissionDenied(UserError):
    """A known caller without the role the action needs."""


# -- API keys and signed requests -------------------------------------------------------------


class ApiKeyFormatInvalid(UserError):
    pass


class InvalidApiKey(UserError):
    """Unknown or revoked key, or one without the permission the endpoint needs (Binance -2015
    does not say which, so a probe learns nothing about which keys exist)."""


class ApiKeyNotFound(UserError):
    pass


class InvalidSignature(UserError):
    pass


class TimestampOutsideRecvWindow(UserError):
    pass


class TimestampAhead(UserError):
    """args: how far ahead (ms) a timestamp may be at most."""


class InvalidRecvWindow(UserError):
    pass


class InvalidListenKey(UserError):
    pass


# -- money in and out -------------------------------------------------------------------------


class UnknownAsset(UserError):
    def __init__(self, listed: str) -> None:
        super().__init__(listed, param="asset")


class TooMuchPrecision(UserError):
    def __init__(self, param: str) -> None:
        super().__init__(param, param=param)
