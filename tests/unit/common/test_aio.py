import asyncio

import pytest

from services.common.aio import reraise_if_cancelled


async def flaky_call() -> None:
    """A library call that turns the cancellation it is interrupted by into an error."""
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        raise ConnectionError("connection closed") from None


async def test_a_retry_loop_ends_when_cancelled_even_if_the_cancellation_was_turned_into_an_error():
    attempts = 0

    async def retrying() -> None:
        nonlocal attempts
        while True:
            attempts += 1
            try:
                await flaky_call()
            except Exception:
                reraise_if_cancelled()
                await asyncio.sleep(0)

    task = asyncio.create_task(retrying())
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 1)
    assert attempts == 1


async def test_an_error_without_a_cancellation_is_left_to_the_loop():
    try:
        raise ConnectionError("down")
    except Exception:
        reraise_if_cancelled()  # nothing asked this task to stop: returns
