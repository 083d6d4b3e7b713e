"""Binance's SIGNED endpoint security, as pure functions of the request and the server clock.

    signature = hex(HMAC-SHA256(secretKey, totalParams)),  totalParams = query string + body

verified over the exact bytes the client sent: ccxt signs its params in insertion order with
`timestamp` first, python-binance sorts them, and both are valid, so the server must never
re-encode or sort. Timing: Binance accepts a request iff

    timestamp < serverTime + 1000  and  serverTime - timestamp <= recvWindow
"""

from __future__ import annotations

import hashlib
import hmac

from services.user.errors import InvalidRecvWindow, InvalidSignature, TimestampAhead, TimestampOutsideRecvWindow

DEFAULT_RECV_WINDOW_MS = 5_000
MAX_RECV_WINDOW_MS = 60_000
MAX_CLOCK_AHEAD_MS = 1_000  # how far in the future a client clock may be
_SIGNATURE_HEX_LEN = 64  # SHA-256 digest in hex


def recv_window(requested: int | None) -> int:
    """The recvWindow to apply; Binance -1131 outside (0, 60000]."""
    if requested is None:
        return DEFAULT_RECV_WINDOW_MS
    if not 0 < requested <= MAX_RECV_WINDOW_MS:
        raise InvalidRecvWindow()
    return requested


def check_timestamp(timestamp_ms: int, window_ms: int, server_ms: int) -> None:
    """A signed request is only valid for `window_ms` after it was signed: a captured
    request cannot be replayed later than that (Binance -1021)."""
    if timestamp_ms >= server_ms + MAX_CLOCK_AHEAD_MS:
        raise TimestampAhead(MAX_CLOCK_AHEAD_MS)
    if server_ms - timestamp_ms > window_ms:
        raise TimestampOutsideRecvWindow()


def sign(secret: str, payload: bytes) -> str:
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


def check_signature(secret: str, payload: bytes, signature: str) -> None:
    """Binance -1022 unless `signature` is the HMAC of `payload` under `secret`.

    The comparison is constant-time (hmac.compare_digest): with an early-exit `==` the time
    to reject would reveal how many leading characters of a forged signature were right.
    Hex is case-insensitive, so 'AB..' and 'ab..' are the same signature."""
    presented = signature.lower()
    if len(presented) != _SIGNATURE_HEX_LEN or not presented.isascii():
        raise InvalidSignature()
    if not hmac.compare_digest(sign(secret, payload), presented):
        raise InvalidSignature()
