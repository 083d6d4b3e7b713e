"""aiokafka's consumer.stop() may raise the CancelledError of a task of its own
(aio-libs/aiokafka#647): the event source must not take it for its own cancellation."""

from __future__ import annotations

import asyncio

import pytest

from services.common.adapters.kafka.event_source import _Reader


class _StrayCancel:
    async def stop(self) -> None:
        raise asyncio.CancelledError  # what aiokafka's stop() lets out


class _SlowStop:
    async def stop(self) -> None:
        await asyncio.sleep(10)


def _reader(consumer: object) -> _Reader:
    reader = _Reader.__new__(_Reader)  # only `consumer` matters to close()
    reader.consumer = consumer  # type: ignore[assignment]
    return reader


async def test_a_stray_cancelled_error_from_stop_is_not_taken_for_ours() -> None:
    reader = _reader(_StrayCancel())
    await reader.close()  # returns: the caller goes on (reconnects)
    assert reader.consumer is None


async def test_a_real_cancellation_during_stop_still_cancels() -> None:
    reader = _reader(_SlowStop())
    closing = asyncio.create_task(reader.close())
    await asyncio.sleep(0.01)
    closing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await closing
