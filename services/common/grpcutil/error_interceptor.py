"""Turns exceptions into the error convention of errors.py, so servicers can simply raise."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import grpc

from services.common.grpcutil._handlers import ScopedInterceptor
from services.common.grpcutil.errors import ErrorTable, ServiceError, abort, service_error
from services.common.ports import Unavailable

_log = logging.getLogger("spotex.grpc.errors")

# Every service maps these the same way; a service's own table comes on top of it.
COMMON_ERRORS: ErrorTable = {Unavailable: "BACKEND_UNAVAILABLE"}
_OPERATOR_REASONS = frozenset({"INTERNAL_ERROR", "BACKEND_UNAVAILABLE", "TIMEOUT"})


class ErrorMappingInterceptor(ScopedInterceptor):
    """A ServiceError, or an exception listed in the table, ends the call with its status;
    anything else is a bug: logged with its traceback, answered INTERNAL_ERROR without detail."""

    def __init__(self, table: ErrorTable | None = None) -> None:
        super().__init__()
        self._table: ErrorTable = {**COMMON_ERRORS, **(table or {})}

    @asynccontextmanager
    async def scope(self, method: str, context: Any) -> AsyncIterator[None]:
        try:
            yield
        except grpc.aio.AbortError:  # the servicer (or an inner scope) already chose the status
            raise
        except Exception as exc:
            error = service_error(exc, self._table)
            if error is None:
                _log.exception("unexpected failure", extra={"method": method})
                error = ServiceError("INTERNAL_ERROR", detail=repr(exc))
            else:
                # refusals are the service working as specified; only failures of a dependency
                # deserve an operator's attention
                level = logging.WARNING if error.reason in _OPERATOR_REASONS else logging.DEBUG
                _log.log(level, "refused", extra={"method": method, "reason": error.reason, "detail": error.detail})
            await abort(context, error.status())
