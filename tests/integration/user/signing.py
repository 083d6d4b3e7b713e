"""How the two Binance clients spotex must serve sign a request, re-implemented from
/work/shared/reference/binance-client-contract.md, and what the edge hands to Authenticate."""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlencode


def hmac_hex(secret: str, text: str) -> str:
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


def ccxt_request(secret: str, timestamp_ms: int, params: dict[str, str], recv_window: int = 10_000) -> str:
    """ccxt's sign(): timestamp FIRST, then the params in insertion order, then recvWindow;
    not sorted. Returns the full query string / form body as sent, signature last."""
    query = urlencode({"timestamp": timestamp_ms, **params, "recvWindow": recv_window})
    return f"{query}&signature={hmac_hex(secret, query)}"


def python_binance_request(secret: str, timestamp_ms: int, params: dict[str, str], recv_window: int = 10_000) -> str:
    """python-binance: every param (recvWindow and timestamp included) sorted by name,
    signature appended last."""
    ordered = sorted({**params, "recvWindow": str(recv_window), "timestamp": str(timestamp_ms)}.items())
    query = urlencode(ordered)
    return f"{query}&signature={hmac_hex(secret, query)}"


def edge_split(query: str, body: str) -> tuple[bytes, str]:
    """What the edge does: totalParams = query string + body, exactly as received, with the
    `signature` pair taken out (it is the last pair of whichever part carries it)."""
    signature = ""
    parts = []
    for part in (query, body):
        head, sep, tail = part.rpartition("&signature=")
        if sep:
            parts.append(head)
            signature = tail
        else:
            parts.append(part)
    return (parts[0] + parts[1]).encode(), signature
