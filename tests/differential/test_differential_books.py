"""The compiled book against the reference book on random command streams.

For every generated stream: both books emit the same events for every command and keep every
invariant of tests/differential/book_checks.py; a book restored from a snapshot taken anywhere
in the stream replays the rest identically; the batch API emits exactly the per-call events;
and both books end with the same state hash. A last test proves the streams are rich enough to
reach every event kind, order status and reject reason. Stream counts: profiles.py.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings

from engine_ext.codes import EventKind, OrderStatus, RejectReason
from engine_ext.events import Event, events_from_array
from tests.differential.book_checks import Before, check_book, check_command
from tests.differential.command_streams import Stream, apply, streams, to_array
from tests.differential.profiles import differential_settings


def _run(book: Any, stream: Stream, start: int = 0) -> list[list[Event]]:
    return [apply(book, c) for c in stream.commands[start:]]


@differential_settings(share=1.0)
@given(stream=streams())
def test_both_books_emit_the_same_events_and_keep_every_invariant(
    reference_class: Any, compiled_class: Any, stream: Stream
) -> None:
    reference = reference_class(tick_size=stream.tick_size, lot_size=stream.lot_size)
    compiled = compiled_class(tick_size=stream.tick_size, lot_size=stream.lot_size)

    for i, command in enumerate(stream.commands):
        before_reference, before_compiled = Before(reference), Before(compiled)
        expected = apply(reference, command)
        actual = apply(compiled, command)

        assert actual == expected, f"command {i} {command!r}"
        check_command(reference, before_reference, expected)
        check_command(compiled, before_compiled, actual)
        assert compiled.state_hash() == reference.state_hash(), f"after command {i} {command!r}"
        assert (compiled.last_price, compiled.seq, compiled.trade_id) == (
            reference.last_price, reference.seq, reference.trade_id
        )


@differential_settings(share=0.4)
@given(stream=streams())
def test_a_book_restored_mid_stream_replays_the_rest_identically(
    reference_class: Any, compiled_class: Any, stream: Stream
) -> None:
    # Both books' snapshots are byte-equal after every command (their state hashes are compared
    # in the test above), so one snapshot serves to restore either implementation.
    cut = stream.snapshot_at
    original = reference_class(tick_size=stream.tick_size, lot_size=stream.lot_size)
    _run(original, Stream(stream.tick_size, stream.lot_size, stream.commands[:cut], cut))
    snapshot = original.snapshot()
    expected_rest = _run(original, stream, start=cut)

    for book_class in (reference_class, compiled_class):
        restored = book_class.restore(snapshot)
        check_book(restored)
        assert restored.snapshot() == snapshot, book_class
        assert _run(restored, stream, start=cut) == expected_rest, book_class
        assert restored.state_hash() == original.state_hash(), book_class


@differential_settings(share=0.4)
@given(stream=streams())
def test_apply_batch_emits_exactly_the_per_call_events(
    reference_class: Any, compiled_class: Any, stream: Stream
) -> None:
    per_call = _run(reference_class(tick_size=stream.tick_size, lot_size=stream.lot_size), stream)
    expected = [e for events in per_call for e in events]
    expected_ends: list[int] = []
    for events in per_call:
        expected_ends.append((expected_ends[-1] if expected_ends else 0) + len(events))

    for book_class in (reference_class, compiled_class):
        book = book_class(tick_size=stream.tick_size, lot_size=stream.lot_size)
        events, ends = book.apply_batch(to_array(stream.commands))
        assert events_from_array(events) == expected, book_class
        assert ends.tolist() == expected_ends, book_class


def test_the_streams_reach_every_event_kind_order_status_and_reject_reason(reference_class: Any) -> None:
    seen: set[tuple[str, int]] = set()

    @settings(differential_settings(), max_examples=300)  # whatever the profile
    @given(stream=streams())
    def run(stream: Stream) -> None:
        book = reference_class(tick_size=stream.tick_size, lot_size=stream.lot_size)
        for events in _run(book, stream):
            for e in events:
                seen.add(("kind", e.kind))
                if e.kind == EventKind.ORDER:
                    seen.add(("status", e.code))
                elif e.kind == EventKind.REJECTED:
                    seen.add(("reject", e.code))

    run()

    statuses = (OrderStatus.PARTIALLY_FILLED, OrderStatus.FILLED, OrderStatus.CANCELED,
                OrderStatus.EXPIRED, OrderStatus.EXPIRED_IN_MATCH)  # the ones a book emits
    expected = ({("kind", k) for k in EventKind} | {("status", s) for s in statuses}
                | {("reject", r) for r in RejectReason})
    assert expected - seen == set()
