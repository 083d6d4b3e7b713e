"""The edge's own knobs, beside the shared Config: Binance's published limits by default,
overridable from the environment (a load test from one IP needs far more than 6000/min)."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class EdgeSettings:
    weight_per_minute: int = 6000  # REQUEST_WEIGHT per IP, Binance spot
    orders_per_10s: int = 100  # ORDERS per account (Binance raised them from 50 and 160,000)
    orders_per_day: int = 200_000
    # A client that keeps sending after 429 this many times within one minute is banned (418),
    # first for ban_seconds, doubling on every repeat up to Binance's 3 days.
    strikes_before_ban: int = 100
    ban_seconds: int = 120
    max_body_bytes: int = 64 * 1024  # a Binance request is a few hundred bytes
    max_params: int = 64
    rpc_timeout_s: float = 10.0
    # With shared (Redis) counters: keep limiting per replica while Redis is down (True) or
    # answer 503 (False). edge/ratelimit.py's SharedRateLimiter says why True is the default.
    ratelimit_fail_open: bool = True
    # A header a trusted CDN sets to the viewer's ip:port (CloudFront-Viewer-Address); "" trusts
    # none. edge/client_address.py says why.
    client_address_header: str = ""

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> EdgeSettings:
        env = dict(os.environ if env is None else env)
        defaults = cls()

        def number(name: str, default: int) -> int:
            value = env.get(f"SPOTEX_EDGE_{name}")
            return int(value) if value else default

        return cls(
            weight_per_minute=number("WEIGHT_PER_MINUTE", defaults.weight_per_minute),
            orders_per_10s=number("ORDERS_PER_10S", defaults.orders_per_10s),
            orders_per_day=number("ORDERS_PER_DAY", defaults.orders_per_day),
            strikes_before_ban=number("STRIKES_BEFORE_BAN", defaults.strikes_before_ban),
            ban_seconds=number("BAN_SECONDS", defaults.ban_seconds),
            max_body_bytes=number("MAX_BODY_BYTES", defaults.max_body_bytes),
            ratelimit_fail_open=env.get("SPOTEX_EDGE_RATELIMIT_FAIL_OPEN", "1") != "0",
            client_address_header=env.get("SPOTEX_EDGE_CLIENT_ADDRESS_HEADER", ""),
        )
