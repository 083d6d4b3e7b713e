"""The pure-Python baseline: a well-written price-time book of the usual shape.

A `SortedDict` per side maps price to a level `[total_qty, live_count, deque of orders]`, and a
dict maps order id to its order `[order_id, user_id, side, price, leaves]`. Cancels are O(1)
(lazy: the order is marked dead, its level totals change, and matching drops it from the deque
when it reaches the front). Covers what the benchmark workloads send: LIMIT GTC/IOC, MARKET by
quantity, CANCEL; everything else raises. Each submit returns its fills as
`(maker_order_id, price, qty)` so that, like the engine, it reports what it did.
"""

from __future__ import annotations

from collections import deque

from sortedcontainers import SortedDict

from engine_ext.codes import OrderType, Side, TimeInForce

_BUY = int(Side.BUY)
_LIMIT = int(OrderType.LIMIT)
_MARKET = int(OrderType.MARKET)
_GTC = int(TimeInForce.GTC)
_IOC = int(TimeInForce.IOC)

Fill = tuple[int, int, int]


class PyBook:
    def __init__(self, tick_size: int = 1, lot_size: int = 1) -> None:
        self.tick_size = tick_size
        self.lot_size = lot_size
        self.bids: SortedDict = SortedDict()  # key -price: index 0 is the best bid
        self.asks: SortedDict = SortedDict()
        self.orders: dict[int, list[int]] = {}

    # -- COMMANDS --

    def submit(self, order_id: int, user_id: int, side: int, order_type: int, tif: int, price: int,
               qty: int, quote_qty: int = 0, stop_price: int = 0, stp: int = 0) -> list[Fill]:
        if quote_qty or stop_price or stp or order_id in self.orders:
            raise NotImplementedError("PyBook takes LIMIT GTC/IOC and MARKET by qty, STP NONE")
        if order_type == _MARKET:
            return self._take(side, 0, qty)[1]
        if order_type != _LIMIT or tif not in (_GTC, _IOC):
            raise NotImplementedError("PyBook takes LIMIT GTC/IOC and MARKET by qty, STP NONE")
        leaves, fills = self._take(side, price, qty)
        if leaves and tif == _GTC:
            order = [order_id, user_id, side, price, leaves]
            self.orders[order_id] = order
            if side == _BUY:
                book, key = self.bids, -price
            else:
                book, key = self.asks, price
            level = book.get(key)
            if level is None:
                book[key] = [leaves, 1, deque((order,))]
            else:
                level[0] += leaves
                level[1] += 1
                level[2].append(order)
        return fills

    def cancel(self, order_id: int) -> bool:
        order = self.orders.pop(order_id, None)
        if order is None:
            return False
        if order[2] == _BUY:
            book, key = self.bids, -order[3]
        else:
            book, key = self.asks, order[3]
        level = book[key]
        level[0] -= order[4]
        level[1] -= 1
        order[4] = 0  # dead: matching drops it when it reaches the front
        if level[1] == 0:
            del book[key]
        return True

    def _take(self, side: int, limit: int, qty: int) -> tuple[int, list[Fill]]:
        """Walk the opposite side best-first; `limit` 0 = market. Returns (leaves, fills)."""
        fills: list[Fill] = []
        buying = side == _BUY
        book = self.asks if buying else self.bids
        orders = self.orders
        while qty and book:
            key, level = book.peekitem(0)
            price = key if buying else -key
            if limit and (price > limit if buying else price < limit):
                break
            queue = level[2]
            while qty and level[1]:
                maker = queue[0]
                leaves = maker[4]
                if leaves == 0:
                    queue.popleft()
                    continue
                fill = leaves if leaves < qty else qty
                qty -= fill
                level[0] -= fill
                fills.append((maker[0], price, fill))
                if fill == leaves:
                    maker[4] = 0
                    queue.popleft()
                    del orders[maker[0]]
                    level[1] -= 1
                else:
                    maker[4] = leaves - fill
            if level[1] == 0:
                del book[key]
        return qty, fills

    # -- QUERIES --

    def best_bid(self) -> tuple[int, int] | None:
        if not self.bids:
            return None
        key, level = self.bids.peekitem(0)
        return -key, level[0]

    def best_ask(self) -> tuple[int, int] | None:
        if not self.asks:
            return None
        key, level = self.asks.peekitem(0)
        return key, level[0]

    def resting(self) -> list[tuple[int, int, int, int]]:
        """`(order_id, side, price, leaves)`: bids best->worst then asks, FIFO inside a level."""
        out: list[tuple[int, int, int, int]] = []
        for book in (self.bids, self.asks):
            for level in book.values():
                out.extend((o[0], o[2], o[3], o[4]) for o in level[2] if o[4])
        return out
