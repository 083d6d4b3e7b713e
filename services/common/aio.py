"""asyncio helpers every service and the edge share."""

from __future__ import annotations

import asyncio


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
