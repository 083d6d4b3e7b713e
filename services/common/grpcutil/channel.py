"""Channels from one service to another."""

from __future__ import annotations

from typing import Any

import grpc

from services.common.grpcutil.deadline_interceptor import DeadlineClientInterceptor

# Keepalive so a peer that vanished (pod killed, no FIN) is noticed in seconds, not at the
# next request's TCP timeout.
_OPTIONS = (
    ("grpc.keepalive_time_ms", 20_000),
    ("grpc.keepalive_timeout_ms", 5_000),
    ("grpc.keepalive_permit_without_calls", 1),
)


def connect(address: str) -> Any:
    """An insecure grpc.aio channel (mTLS is the sidecar's job) that propagates deadlines."""
    return grpc.aio.insecure_channel(address, options=_OPTIONS, interceptors=[DeadlineClientInterceptor()])
