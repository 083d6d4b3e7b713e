"""The access log of a call the client cancelled: nothing of the call is read once it ended."""

from __future__ import annotations

import asyncio
import logging

import pytest

from services.common.grpcutil.logging_interceptor import AccessLogInterceptor


class EndingContext:
    """A servicer context whose call grpc's core frees when the client cancels: reading it
    afterwards is what crashed market data (SIGSEGV in context.peer())."""

    ended = False

    def peer(self) -> str:
        assert not self.ended, "context.peer() read after the call ended"
        return "ipv4:127.0.0.1:5555"

    def code(self) -> None:
        return None


async def test_a_cancelled_streaming_call_is_logged_with_the_peer_read_while_it_was_alive(
    caplog: pytest.LogCaptureFixture,
) -> None:
    context = EndingContext()
    caplog.set_level(logging.INFO, logger="spotex.grpc.access")
    with pytest.raises(asyncio.CancelledError):
        async with AccessLogInterceptor().scope("/exchange.v1.MarketDataService/Subscribe", context):
            context.ended = True  # the client went away; grpc releases the call
            raise asyncio.CancelledError
    [line] = caplog.records
    assert (line.code, line.peer) == ("CANCELLED", "ipv4:127.0.0.1:5555")  # type: ignore[attr-defined]
