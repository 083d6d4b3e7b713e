"""The promise of the depth stream, checked on random order flow: a client that follows Binance's
documented procedure (and ccxt pro's stricter live rule) ends with exactly the engine's book,
whenever it subscribes and whenever it takes its REST snapshot."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from engine_ext.codes import Side
from services.marketdata.depth import DepthUpdate
from services.marketdata.domain import MarketData
from services.marketdata.hub import StreamHub
from services.marketdata.views import DepthUpdatePayload
from tests.unit.marketdata.market_feed import BTCUSDT, T0, Feed

SYMBOL_FMT_PRICE = BTCUSDT.ticks_to_price
SYMBOL_FMT_QTY = BTCUSDT.lots_to_qty


class BinanceDepthClient:
    """Binance's "how to manage a local order book correctly", steps 1-5, plus ccxt pro's
    live rule (every diff's U must be the previous u + 1, else the book is thrown away)."""

    def __init__(self) -> None:
        self.buffer: list[DepthUpdate] = []
        self.book: dict[str, dict[Decimal, Decimal]] | None = None
        self.last_u = 0

    def on_diff(self, diff: DepthUpdate) -> None:
        if self.book is None:
            self.buffer.append(diff)
        else:
            self._apply(diff)

    def on_snapshot(self, snapshot: dict[str, object]) -> None:
        last_update_id = snapshot["lastUpdateId"]
        assert isinstance(last_update_id, int)
        bids, asks = snapshot["bids"], snapshot["asks"]
        assert isinstance(bids, list) and isinstance(asks, list)
        # Step 2: a snapshot older than the first buffered event must be fetched again; ours
        # never is, because the service cuts diffs from the same seq numbering.
        if self.buffer:
            assert last_update_id >= self.buffer[0].first_update_id - 1
        self.book = {
            "b": {Decimal(p): Decimal(q) for p, q in bids},
            "a": {Decimal(p): Decimal(q) for p, q in asks},
        }
        self.last_u = last_update_id
        buffered, self.buffer = self.buffer, []
        for diff in buffered:
            if diff.final_update_id <= last_update_id:  # step 3
                continue
            self._apply(diff)

    def _apply(self, diff: DepthUpdate) -> None:
        assert self.book is not None
        if diff.final_update_id <= self.last_u:
            return
        if self._first_applied_done:
            assert diff.first_update_id == self.last_u + 1, "ccxt: U must be the previous u + 1"
        else:
            # the first diff after the snapshot straddles it: U <= lastUpdateId + 1 <= u
            assert diff.first_update_id <= self.last_u + 1 <= diff.final_update_id
        for side, levels in (("b", diff.bids), ("a", diff.asks)):
            for p, q in levels:
                if Decimal(q) == 0:
                    self.book[side].pop(Decimal(p), None)
                else:
                    self.book[side][Decimal(p)] = Decimal(q)
        self.last_u = diff.final_update_id
        self._first_applied_done = True

    _first_applied_done = False


# One step of the random flow: an order, a cancel, a stream tick, a subscribe or a snapshot.
orders = st.tuples(
    st.sampled_from(["limit", "limit", "limit", "market", "cancel"]),
    st.sampled_from([Side.BUY, Side.SELL]),
    st.integers(9_990, 10_010),  # a narrow price band, so orders cross and sweep levels
    st.integers(1, 40),
)
steps = st.one_of(orders, st.just(("tick",)), st.just(("subscribe",)), st.just(("snapshot",)))


@settings(max_examples=200, deadline=None)
@given(st.lists(orders, max_size=15), st.lists(steps, min_size=1, max_size=80), st.booleans())
def test_a_binance_client_mirrors_the_engine_book_exactly(
    history: list[tuple[object, ...]], flow: list[tuple[object, ...]], fast: bool
) -> None:
    data = MarketData([BTCUSDT])
    feed = Feed(data)
    clock = [T0]
    hub = StreamHub(data, lambda: clock[0])
    name = "btcusdt@depth@100ms" if fast else "btcusdt@depth"
    cadence = 100 if fast else 1000
    resting: list[int] = []

    def order(step: tuple[object, ...]) -> None:
        kind, side, price, qty = step
        assert isinstance(side, Side) and isinstance(price, int) and isinstance(qty, int)
        if kind == "limit":
            resting.append(feed.limit(side, price, qty))
        elif kind == "market":
            feed.market(side, qty)
        elif resting:
            feed.cancel(resting.pop(price % len(resting)))
        hub.publish(feed.stream_events)
        feed.stream_events.clear()

    for step in history:  # before anyone listens
        order(step)

    subscriber = None
    client = BinanceDepthClient()

    def deliver() -> None:
        assert subscriber is not None
        for event in subscriber.drain():
            assert isinstance(event.payload, DepthUpdatePayload)
            client.on_diff(event.payload.update)

    for step in [*flow, ("subscribe",), ("snapshot",)]:
        if step[0] == "tick":
            clock[0] += cadence
            hub.tick(cadence)
            if subscriber is not None:
                deliver()
        elif step[0] == "subscribe":
            if subscriber is None:
                subscriber = hub.subscribe([name])
        elif step[0] == "snapshot":
            if subscriber is not None and client.book is None:
                client.on_snapshot(data.depth("BTCUSDT", 5000).binance())
        else:
            order(step)

    clock[0] += cadence
    hub.tick(cadence)  # the last changes reach the client
    deliver()

    bids, asks = feed.book.depth(10_000)
    assert client.book == {
        "b": {SYMBOL_FMT_PRICE(p): SYMBOL_FMT_QTY(q) for p, q, _ in bids},
        "a": {SYMBOL_FMT_PRICE(p): SYMBOL_FMT_QTY(q) for p, q, _ in asks},
    }
    assert data.market("BTCUSDT").last_update_id == feed.book.seq


@settings(max_examples=100, deadline=None)
@given(st.lists(orders, min_size=1, max_size=60))
def test_after_every_command_depth_and_book_ticker_equal_the_engine_book(flow: list[tuple[object, ...]]) -> None:
    feed = Feed(MarketData([BTCUSDT]))
    resting: list[int] = []
    fmt = feed.data.market("BTCUSDT").fmt
    trades = 0
    for kind, side, price, qty in flow:
        assert isinstance(side, Side) and isinstance(price, int) and isinstance(qty, int)
        if kind == "limit":
            resting.append(feed.limit(side, price, qty))
        elif kind == "market":
            feed.market(side, qty)
        elif resting:
            feed.cancel(resting.pop(price % len(resting)))
        trades += sum(1 for e in feed.book.last_events() if e.kind == 2)

        bids, asks = feed.book.depth(100)
        depth = feed.data.depth("BTCUSDT")
        assert depth.last_update_id == feed.book.seq
        assert depth.bids == [(fmt.price(p), fmt.qty(q)) for p, q, _ in bids]
        assert depth.asks == [(fmt.price(p), fmt.qty(q)) for p, q, _ in asks]
        (book_ticker,) = feed.data.book_tickers(["BTCUSDT"])
        best_bid, best_ask = feed.book.best_bid() or (0, 0), feed.book.best_ask() or (0, 0)
        assert (book_ticker.bid_price, book_ticker.bid_qty) == (fmt.price(best_bid[0]), fmt.qty(best_bid[1]))
        assert (book_ticker.ask_price, book_ticker.ask_qty) == (fmt.price(best_ask[0]), fmt.qty(best_ask[1]))
    assert len(feed.data.trades("BTCUSDT", limit=1000)) == trades
    assert sum(Decimal(a.qty) for a in feed.data.agg_trades("BTCUSDT", limit=1000)) == sum(
        Decimal(t.qty) for t in feed.data.trades("BTCUSDT", limit=1000))
