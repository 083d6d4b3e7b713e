"""Binance's rate limits on one connection's messages and on one IP's connections."""

from __future__ import annotations

from edge.ws.limits import ConnectionAttempts, MessageRate, WsLimits


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_five_messages_a_second_pass_and_the_sixth_does_not() -> None:
    clock = Clock()
    rate = MessageRate(5, clock)
    assert [rate.allow() for _ in range(6)] == [True] * 5 + [False]
    clock.now += 0.2  # one message's worth of time
    assert rate.allow() and not rate.allow()


def test_a_steady_five_per_second_never_trips() -> None:
    clock = Clock()
    rate = MessageRate(5, clock)
    for _ in range(100):
        assert rate.allow()
        clock.now += 0.2


def test_connections_per_ip_slide_over_the_window() -> None:
    clock = Clock()
    attempts = ConnectionAttempts(3, 300.0, clock)
    assert [attempts.admit("10.0.0.1") for _ in range(4)] == [True, True, True, False]
    assert attempts.admit("10.0.0.2")  # another IP has its own count
    clock.now += 300.0
    assert attempts.admit("10.0.0.1")


def test_limits_are_binances_unless_overridden() -> None:
    assert WsLimits.from_env({}) == WsLimits()
    limits = WsLimits.from_env({"SPOTEX_EDGE_WS_CONNECTIONS_PER_WINDOW": "5000", "SPOTEX_EDGE_WS_DIRECT_WRITES": "0"})
    assert limits.connections_per_window == 5000 and limits.direct_writes is False
    assert limits.streams_per_connection == 1024 and limits.messages_per_second == 5
