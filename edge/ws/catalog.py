"""The listed symbols, for checking stream names before anything is opened upstream."""

from __future__ import annotations

import time

from exchange.v1 import marketdata_pb2, marketdata_pb2_grpc

from .streams import Stream, named_symbol, parse_stream

REFRESH_AFTER_S = 10.0  # an unknown symbol re-reads exchangeInfo at most this often


class SymbolCatalog:
    def __init__(self, stub: marketdata_pb2_grpc.MarketDataServiceStub) -> None:
        self._stub = stub
        self._symbols: frozenset[str] = frozenset()
        self._read_at = float("-inf")

    async def symbols(self, wanted: str | None = None) -> frozenset[str]:
        """The listed symbols, re-read if `wanted` is not among them (a symbol listed since)."""
        stale = time.monotonic() - self._read_at > REFRESH_AFTER_S
        if stale and (not self._symbols or (wanted is not None and wanted not in self._symbols)):
            reply = await self._stub.GetExchangeInfo(marketdata_pb2.GetExchangeInfoRequest(), timeout=5)
            self._symbols = frozenset(s.symbol for s in reply.symbols)
            self._read_at = time.monotonic()
        return self._symbols

    async def parse(self, name: str) -> Stream:
        """Raises UnknownStream."""
        return parse_stream(name, await self.symbols(named_symbol(name)))
