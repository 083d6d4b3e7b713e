"""The deadline scope of a streaming call whose generator is closed from another task."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from services.common.grpcutil._handlers import _scoped
from services.common.grpcutil.deadline_interceptor import DeadlineServerInterceptor, remaining


class _Context:
    def time_remaining(self) -> float:
        return 5.0


async def test_a_stream_closed_from_another_task_ends_without_an_error() -> None:
    # grpc.aio closes the reply generator of a call whose client went away from its own
    # cleanup task, whose context is not the call's: resetting the deadline there raised
    # ValueError ("was created in a different Context"), logged as a task exception.
    async def behavior(request: Any, context: Any) -> AsyncIterator[float | None]:
        while True:
            yield remaining()
            await asyncio.sleep(0)

    stream = _scoped(behavior, "/x.Y/Z", DeadlineServerInterceptor().scope)(None, _Context())
    first = await asyncio.create_task(anext(stream))  # started in a task of its own, as a call is
    assert first is not None and 4.0 < first <= 5.0

    await asyncio.create_task(stream.aclose())  # closed from another
    assert remaining() is None
