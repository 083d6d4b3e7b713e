"""Binance's error answers: `{"code": -1121, "msg": "Invalid symbol."}` with Binance's HTTP
status, whether the refusal is the edge's own or a service's (a gRPC status decoded by
`status_of`).

HTTP statuses follow Binance's rules (docs/protos.md has the table): 4xx when the request was
wrong and nothing happened, 401 for authentication, 429/418 for rate limits, and 5xx only
when the outcome is unknown (the order may or may not have been placed), so a client never
retries a request that did take effect because we answered 5xx for a plain refusal.
"""

from __future__ import annotations

import grpc
from google.rpc import error_details_pb2, status_pb2

from services.common.grpcutil.errors import ERROR_DOMAIN, mapping, status_of
from services.order.errors import OrderRejected

_HTTP_BY_GRPC = {
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.FAILED_PRECONDITION: 400,
    grpc.StatusCode.NOT_FOUND: 400,
    grpc.StatusCode.ALREADY_EXISTS: 400,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.PERMISSION_DENIED: 401,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 503,
}
_GRPC_BY_NUMBER = {code.value[0]: code for code in grpc.StatusCode}
# Where Binance's HTTP status is not the one its gRPC code implies: a bad signature is a
# malformed request to Binance (400), although the caller is not authenticated (401 for keys).
_HTTP_BY_BINANCE_CODE = {-1022: 400}


def _http_status(grpc_code: grpc.StatusCode, binance_code: int) -> int:
    return _HTTP_BY_BINANCE_CODE.get(binance_code) or _HTTP_BY_GRPC.get(grpc_code, 500)


class ApiError(Exception):
    """A Binance error answer. `headers` carries e.g. Retry-After for 429/418."""

    def __init__(
        self, status: int, code: int, msg: str, headers: dict[str, str] | None = None, data: object = None
    ) -> None:
        super().__init__(code, msg)
        self.status = status
        self.code = code
        self.msg = msg
        self.headers = headers or {}
        self.data = data  # Binance's `data` (cancelReplace's two halves)

    def body(self) -> dict[str, object]:
        if self.data is None:
            return {"code": self.code, "msg": self.msg}
        return {"code": self.code, "msg": self.msg, "data": self.data}


def refused(reason: str, *args: object, status: int | None = None) -> ApiError:
    """The edge's own refusal for an `exchange.v1.ErrorReason`, worded by errors.proto."""
    error = mapping(reason)
    template = error.binance_msg
    count = template.count("%s")
    values = tuple(str(a) for a in args[:count]) + ("",) * max(0, count - len(args))
    msg = template % values if count else template
    if status is None:
        status = _http_status(_GRPC_BY_NUMBER.get(error.grpc_code, grpc.StatusCode.UNKNOWN), error.binance_code)
    return ApiError(status, error.binance_code, msg)


def from_rejection(refusal: OrderRejected) -> ApiError:
    """A refusal built with services/order/errors.py's constructors (Binance's exact texts)."""
    return ApiError(400, refusal.code, refusal.msg)


def from_rpc_error(error: grpc.RpcError) -> ApiError:
    remote = status_of(error)
    status = _http_status(remote.code, remote.binance_code)
    if not remote.reason:
        # Not a spotex refusal: the transport failed (service down, deadline hit in flight).
        # Whether the call took effect is unknown, which Binance says with -1007 / -1001.
        if remote.code is grpc.StatusCode.DEADLINE_EXCEEDED:
            return refused("TIMEOUT", status=503)
        return refused("BACKEND_UNAVAILABLE", status=503 if remote.code is grpc.StatusCode.UNAVAILABLE else 500)
    return ApiError(status, remote.binance_code, remote.message)


def from_status(status: status_pb2.Status) -> ApiError:
    """A per-item refusal of a batch call (a google.rpc.Status with an ErrorInfo)."""
    code = -1000
    for detail in status.details:
        info = error_details_pb2.ErrorInfo()
        if detail.Is(info.DESCRIPTOR) and detail.Unpack(info) and info.domain == ERROR_DOMAIN:
            code = int(info.metadata.get("binance_code", code))
    grpc_code = _GRPC_BY_NUMBER.get(status.code, grpc.StatusCode.UNKNOWN)
    return ApiError(_http_status(grpc_code, code), code, status.message)


def not_found(method: str, path: str) -> ApiError:
    # Binance has no code for an unknown endpoint; -1000 with a 404 is what clients map to
    # "operation failed" rather than to a bad parameter.
    return ApiError(404, -1000, f"Unknown endpoint: {method} {path}")


def method_not_allowed(method: str, path: str) -> ApiError:
    return ApiError(405, -1000, f"Method {method} is not allowed on {path}")
