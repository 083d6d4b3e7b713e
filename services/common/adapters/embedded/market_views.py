"""The MarketViewStore port in memory: what the embedded backend set needs (nothing: market
data rebuilds from matching's event log there), and the reference the Redis adapter is
tested against."""

from __future__ import annotations

from collections.abc import Sequence

from services.common.ports import StoredViews, ViewLayout, ViewUpdate


class _Symbol:
    def __init__(self) -> None:
        self.seq = 0
        self.values: dict[str, bytes] = {}
        self.maps: dict[str, dict[int, bytes]] = {}
        self.lists: dict[str, list[bytes]] = {}
        self.series: dict[str, dict[int, bytes]] = {}


class MemoryMarketViews:
    def __init__(self) -> None:
        self._symbols: dict[str, _Symbol] = {}

    async def write(self, updates: Sequence[ViewUpdate]) -> None:
        for update in updates:
            stored = self._symbols.setdefault(update.symbol, _Symbol())
            if update.replace:
                stored.values.clear()
                for name in update.maps:
                    stored.maps.pop(name, None)
                for name in update.lists:
                    stored.lists.pop(name, None)
                for name in update.series:
                    stored.series.pop(name, None)
            stored.seq = update.seq
            stored.values.update(update.values)
            for name, changes in update.maps.items():
                kept = stored.maps.setdefault(name, {})
                for key, value in changes.items():
                    if value is None:
                        kept.pop(key, None)
                    else:
                        kept[key] = value
            for name, (appended, keep) in update.lists.items():
                items = stored.lists.setdefault(name, [])
                items.extend(appended)
                del items[: max(0, len(items) - keep)]
            for name, series in update.series.items():
                entries = stored.series.setdefault(name, {})
                if series.upserts:
                    low, high = min(series.upserts), max(series.upserts)
                    for key in [k for k in entries if low <= k <= high]:
                        del entries[key]
                entries.update(series.upserts)
                keys = sorted(entries)
                if series.drop_below is not None:
                    for key in keys:
                        if key < series.drop_below:
                            del entries[key]
                    keys = sorted(entries)
                if series.keep is not None:
                    for key in keys[: max(0, len(keys) - series.keep)]:
                        del entries[key]

    async def read(self, symbol: str, layout: ViewLayout) -> StoredViews | None:
        stored = self._symbols.get(symbol)
        if stored is None:
            return None
        return StoredViews(
            stored.seq,
            {n: stored.values[n] for n in layout.values if n in stored.values},
            {n: dict(stored.maps.get(n, {})) for n in layout.maps},
            {n: list(stored.lists.get(n, [])) for n in layout.lists},
            {n: sorted(stored.series.get(n, {}).items()) for n in layout.series},
        )

    async def close(self) -> None:
        pass
