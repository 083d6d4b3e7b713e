import asyncio

import pytest

from services.common.aio import ended_result, reraise_if_cancelled


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


async def test_a_task_ended_by_a_stray_cancelled_error_is_a_failure_not_a_clean_stop():
    async def loop_hit_by_a_library() -> None:
        raise asyncio.CancelledError  # nobody cancelled it (aio-libs/aiokafka#647)

    async def loop_that_failed() -> None:
        raise ValueError("feed broke")

    stray = asyncio.create_task(loop_hit_by_a_library(), name="settlement-loop")
    failed = asyncio.create_task(loop_that_failed())
    await asyncio.wait([stray, failed])
    with pytest.raises(RuntimeError, match="settlement-loop ended by a CancelledError"):
        ended_result(stray)
    with pytest.raises(ValueError, match="feed broke"):
        ended_result(failed)
