"""Deadline propagation: a call made while serving a call inherits what is left of its deadline.

Without it, an edge request with 2 s left could make the order service wait on matching for
its own default timeout long after the edge has given up, holding funds reservations and
threads for an answer nobody reads. The server side records the incoming deadline in a
context variable (each grpc.aio call runs in its own task, so it never leaks across calls);
the client side clamps every outgoing call's timeout to it. A call that arrives already
expired is refused (TIMEOUT) before any work is done.

A task created while serving a call copies its context, deadline included (as a Go context
would); work meant to outlive the call (a subscription, a retry loop) must be started outside
it or in a fresh `contextvars.Context()`.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from contextvars import ContextVar
from typing import Any

import grpc

from services.common.grpcutil._handlers import ScopedInterceptor
from services.common.grpcutil.errors import abort, error_status

# Absolute time.monotonic() deadline of the call being served, or None (no deadline).
_deadline: ContextVar[float | None] = ContextVar("spotex_grpc_deadline", default=None)


def remaining() -> float | None:
    """Seconds left for the call being served (may be <= 0), None outside a call or without one."""
    deadline = _deadline.get()
    return None if deadline is None else deadline - time.monotonic()


class DeadlineServerInterceptor(ScopedInterceptor):
    @asynccontextmanager
    async def scope(self, method: str, context: Any) -> AsyncIterator[None]:
        left = context.time_remaining()
        if left is not None and left <= 0:
            await abort(context, error_status("TIMEOUT"))
        token = _deadline.set(None if left is None else time.monotonic() + left)
        try:
            yield
        finally:
            # A streaming call whose client went away has its generator closed from another
            # task, where the token is not valid (ValueError); the call's own context ends
            # with its task, so there is nothing to restore there.
            with suppress(ValueError):
                _deadline.reset(token)


def _clamped(details: Any) -> Any:
    left = remaining()
    if left is None:
        return details
    timeout = max(left, 0.0) if details.timeout is None else min(details.timeout, max(left, 0.0))
    return grpc.aio.ClientCallDetails(
        details.method, timeout, details.metadata, details.credentials, details.wait_for_ready
    )


class DeadlineClientInterceptor(
    grpc.aio.UnaryUnaryClientInterceptor,  # type: ignore[misc]
    grpc.aio.UnaryStreamClientInterceptor,  # type: ignore[misc]
    grpc.aio.StreamUnaryClientInterceptor,  # type: ignore[misc]
    grpc.aio.StreamStreamClientInterceptor,  # type: ignore[misc]
):
    """Put on every channel a service opens to another service (see channel.connect)."""

    async def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        return await continuation(_clamped(details), request)

    async def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        return await continuation(_clamped(details), request)

    async def intercept_stream_unary(self, continuation: Any, details: Any, request_iterator: Any) -> Any:
        return await continuation(_clamped(details), request_iterator)

    async def intercept_stream_stream(self, continuation: Any, details: Any, request_iterator: Any) -> Any:
        return await continuation(_clamped(details), request_iterator)
