"""The status code a call ended with, as seen from an interceptor's scope."""

from __future__ import annotations

import asyncio
from typing import Any

import grpc


def call_code(context: Any, failure: BaseException | None) -> grpc.StatusCode:
    """`failure` is what escaped the handler (None if it returned). An abort (ours or the
    servicer's) has already recorded its code on the context; a cancellation means the client
    left; any other exception will be reported by grpc as UNKNOWN."""
    if failure is None:
        code = context.code()
        return code if isinstance(code, grpc.StatusCode) else grpc.StatusCode.OK
    if isinstance(failure, asyncio.CancelledError | GeneratorExit):
        return grpc.StatusCode.CANCELLED
    code = context.code()
    return code if isinstance(code, grpc.StatusCode) else grpc.StatusCode.UNKNOWN
