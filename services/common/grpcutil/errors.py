"""How every spotex service fails: one ErrorReason -> gRPC status + google.rpc.ErrorInfo.

The table itself is not here: it is `exchange/v1/errors.proto`, where each ErrorReason value
carries its gRPC code and Binance code/message as an `(exchange.v1.error)` option. This module
only reads it. A failing call ends with

    status.code         the reason's grpc_code
    status.message      the reason's binance_msg, '%s' placeholders filled in
    details[0]          ErrorInfo(reason=<name>, domain="spotex.exchange",
                                  metadata={"binance_code": "-2010", ...})

The google.rpc.Status travels in the trailing metadata key `grpc-status-details-bin`, which is
exactly what grpcio-status's `rpc_status.to_status` does; grpcio-status is not a dependency, so
the few lines it would save are written out here (and `status_of` is its `from_call`).

Two ways in:
- a servicer raises `ServiceError("REASON", *placeholders)` itself;
- a domain raises its own exceptions (no transport knowledge) and the service hands an
  `ErrorTable` {exception class: reason} to the error interceptor; a subclass maps through its
  nearest listed base, so a domain hierarchy needs only its roots in the table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

import grpc
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2

from exchange.v1 import errors_pb2

ERROR_DOMAIN = "spotex.exchange"
STATUS_DETAILS_KEY = "grpc-status-details-bin"

ErrorTable = Mapping[type[BaseException], str]

_GRPC_CODES = {code.value[0]: code for code in grpc.StatusCode}


class ServiceError(Exception):
    """A refusal with a stable reason (an `exchange.v1.ErrorReason` name).

    `args` fill the reason's '%s' placeholders in order; `metadata` adds ErrorInfo entries
    (docs/protos.md names them: "param", "order_id"); `detail` is for operators' logs only and
    never reaches the caller, since it may hold backend internals (paths, hosts).
    """

    def __init__(self, reason: str, *args: object, detail: str = "", metadata: Mapping[str, str] | None = None) -> None:
        mapping(reason)  # fail where the bug is, not when the status is built
        super().__init__(reason, *args)
        self.reason = reason
        self.placeholders = tuple(str(a) for a in args)
        self.detail = detail
        self.metadata = dict(metadata or {})

    def status(self) -> status_pb2.Status:
        return error_status(self.reason, *self.placeholders, metadata=self.metadata)


@cache
def mapping(reason: str) -> errors_pb2.ErrorMapping:
    """The `(exchange.v1.error)` option of an ErrorReason; KeyError for an unknown name."""
    value = errors_pb2.ErrorReason.DESCRIPTOR.values_by_name.get(reason)
    if value is None or value.number == 0:
        raise KeyError(f"{reason!r} is not an exchange.v1.ErrorReason")
    result: errors_pb2.ErrorMapping = value.GetOptions().Extensions[errors_pb2.error]
    return result


def error_status(reason: str, *args: object, metadata: Mapping[str, str] | None = None) -> status_pb2.Status:
    """The google.rpc.Status of a refusal, e.g. for a per-item `error` field in a batch reply."""
    error = mapping(reason)
    info = error_details_pb2.ErrorInfo(
        reason=reason,
        domain=ERROR_DOMAIN,
        metadata={**(metadata or {}), "binance_code": str(error.binance_code)},
    )
    status = status_pb2.Status(code=error.grpc_code, message=_fill(error.binance_msg, args))
    status.details.add().Pack(info)
    return status


def _fill(template: str, args: tuple[object, ...]) -> str:
    # Binance's texts use '%s'; a missing value is shown as '' rather than failing the reply
    # (a wrong message is a bug to fix, a crash while reporting an error hides the error).
    count = template.count("%s")
    values = [str(a) for a in args[:count]] + [""] * (count - len(args))
    return template % tuple(values) if count else template


def service_error(exc: BaseException, table: ErrorTable) -> ServiceError | None:
    """The ServiceError for `exc`: itself, or its nearest class listed in `table`."""
    if isinstance(exc, ServiceError):
        return exc
    for cls in type(exc).__mro__:
        reason = table.get(cls)
        if reason is not None:
            error = ServiceError(reason, *exc.args, detail=f"{type(exc).__name__}: {exc}")
            error.metadata.update(getattr(exc, "error_metadata", {}))
            return error
    return None


def trailing_metadata(status: status_pb2.Status) -> tuple[tuple[str, bytes], ...]:
    return ((STATUS_DETAILS_KEY, status.SerializeToString()),)


def grpc_code(status: status_pb2.Status) -> grpc.StatusCode:
    return _GRPC_CODES.get(status.code, grpc.StatusCode.UNKNOWN)


async def abort(context: grpc.aio.ServicerContext[object, object], status: status_pb2.Status) -> None:
    """End the call with `status` (raises, like `context.abort`)."""
    await context.abort(grpc_code(status), status.message, trailing_metadata=trailing_metadata(status))


# -- the caller's side: what the edge and the tests read back ---------------------------------


@dataclass(frozen=True, slots=True)
class RemoteError:
    code: grpc.StatusCode
    message: str
    reason: str  # "" when the failure did not come from a spotex service (e.g. a transport error)
    binance_code: int  # -1000 (unknown) when there was no ErrorInfo
    metadata: Mapping[str, str]


def status_of(error: grpc.RpcError) -> RemoteError:
    """Decode a failed call's status details (grpcio-status's `from_call`, for both APIs)."""
    code: grpc.StatusCode = error.code()
    message: str = error.details() or ""
    trailers = error.trailing_metadata() or ()
    for key, value in trailers:
        if key != STATUS_DETAILS_KEY:
            continue
        status = status_pb2.Status.FromString(value)
        for detail in status.details:
            info = error_details_pb2.ErrorInfo()
            if _unpack(detail, info) and info.domain == ERROR_DOMAIN:
                metadata = dict(info.metadata)
                return RemoteError(code, message, info.reason, int(metadata.get("binance_code", -1000)), metadata)
    return RemoteError(code, message, "", -1000, {})


def _unpack(detail: any_pb2.Any, into: error_details_pb2.ErrorInfo) -> bool:
    return bool(detail.Is(into.DESCRIPTOR) and detail.Unpack(into))
