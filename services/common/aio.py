"""asyncio helpers every service and the edge share."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any


def reraise_if_cancelled() -> None:
    """Call in the `except Exception` of a loop that retries: raise CancelledError if this task
    was asked to stop meanwhile.

    A library may turn the cancellation it was interrupted by into an ordinary error (redis-py
    did, once in a while: a StreamRelay task went on retrying after being cancelled, and the
    test that cancelled it waited for it forever). The request is still on the task
    (`Task.cancelling()`), so the loop can honour it."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


def ended_result(task: asyncio.Task[Any]) -> Any:
    """The result of a task of ours that ended without being asked to (a loop that only ends by
    failing): its exception re-raised. A CancelledError nobody asked for (a library's stray one,
    aio-libs/aiokafka#647) becomes an error: re-raised as it is, the service would take it for
    its own cancellation and exit as from a clean stop, and nothing would restart it."""
    if task.cancelled():
        raise RuntimeError(f"{task.get_name()} ended by a CancelledError raised inside it")
    return task.result()


async def cancel_and_wait(task: asyncio.Future[Any] | None) -> None:
    """Stop a task this code started, and wait until it has: its CancelledError is the end it
    was asked for; any other exception it ends with reaches the caller."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
