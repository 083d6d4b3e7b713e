"""The Ledger port, orders: id allocation, placing (dedupe + reserve + store) and queries."""

from __future__ import annotations

import asyncio
import dataclasses

from engine_ext.codes import OrderStatus, OrderType, SelfTradePrevention, Side, TimeInForce
from services.common.ports import Ledger, OpenOrderLimits, PlaceOutcome
from services.common.records import Balance, OrderPhase, OrderRecord, Settlement
from tests.contract.backends import Backend, repeat
from tests.contract.builders import SYMBOL, an_order, release


async def funded(ledger: Ledger, user_id: int = 1, usdt: int = 1_000, btc: int = 0) -> Ledger:
    await ledger.deposit(f"usdt-{user_id}", user_id, "USDT", usdt)
    if btc:
        await ledger.deposit(f"btc-{user_id}", user_id, "BTC", btc)
    return ledger


async def test_order_ids_are_unique_and_increasing(ledger: Ledger) -> None:
    first = await ledger.allocate_order_ids(100)
    second = await ledger.allocate_order_ids(1)
    assert len(first) == 100 and len(second) == 1
    assert first[0] >= 1
    assert second[0] > first[-1]


async def test_order_ids_keep_increasing_after_a_restart(backend: Backend) -> None:
    first: Ledger = backend.ledger()()
    before = await first.allocate_order_ids(10)
    await first.close()
    reopened: Ledger = backend.ledger()()
    try:
        assert (await reopened.allocate_order_ids(10))[0] > before[-1]
    finally:
        await reopened.close()


async def test_placing_an_order_moves_its_reservation_from_available_to_locked(ledger: Ledger) -> None:
    await funded(ledger, usdt=1_000)
    order = an_order(1, reserved=300)
    assert await ledger.place_order(order) == (PlaceOutcome.PLACED, order)
    assert await ledger.balances(1) == [Balance("USDT", 700, 300)]
    assert await ledger.get_order(SYMBOL, 1) == order


async def test_an_order_can_reserve_all_available_funds(ledger: Ledger) -> None:
    await funded(ledger, usdt=1_000)
    outcome, _ = await ledger.place_order(an_order(1, reserved=1_000))
    assert outcome is PlaceOutcome.PLACED
    assert await ledger.balances(1) == [Balance("USDT", 0, 1_000)]


async def test_an_order_beyond_available_funds_changes_nothing(ledger: Ledger) -> None:
    await funded(ledger, usdt=1_000)
    await ledger.place_order(an_order(1, reserved=600))
    outcome, _ = await ledger.place_order(an_order(2, reserved=401))
    assert outcome is PlaceOutcome.INSUFFICIENT_FUNDS
    assert await ledger.balances(1) == [Balance("USDT", 400, 600)]
    assert await ledger.get_order(SYMBOL, 2) is None
    outcome, _ = await ledger.place_order(an_order(3, user_id=2, reserved=1))
    assert outcome is PlaceOutcome.INSUFFICIENT_FUNDS, "a user with no balance row cannot reserve"


async def test_a_repeated_client_order_id_returns_the_first_order_and_reserves_nothing_more(ledger: Ledger) -> None:
    await funded(ledger, usdt=1_000)
    first = an_order(1, reserved=300, client_order_id="mine")
    await ledger.place_order(first)
    outcome, existing = await ledger.place_order(an_order(2, reserved=500, client_order_id="mine"))
    assert (outcome, existing) == (PlaceOutcome.DUPLICATE, first)
    assert await ledger.balances(1) == [Balance("USDT", 700, 300)]
    assert await ledger.get_order(SYMBOL, 2) is None


async def test_a_repeated_client_order_id_is_a_duplicate_even_when_funds_ran_out(ledger: Ledger) -> None:
    await funded(ledger, usdt=300)
    await ledger.place_order(an_order(1, reserved=300, client_order_id="mine"))
    outcome, existing = await ledger.place_order(an_order(2, reserved=300, client_order_id="mine"))
    assert outcome is PlaceOutcome.DUPLICATE and existing.order_id == 1


async def test_the_same_order_placed_again_is_placed_once_not_its_own_duplicate(ledger: Ledger) -> None:
    # a write retried because its answer was lost (a dropped connection) arrives a second time
    await funded(ledger, usdt=300)
    order = an_order(1, reserved=300, client_order_id="mine")
    assert (await ledger.place_order(order))[0] is PlaceOutcome.PLACED
    assert (await ledger.place_order(order))[0] is PlaceOutcome.PLACED
    assert await ledger.balances(1) == [Balance("USDT", 0, 300)]
    assert [o.order_id for o in await ledger.open_orders(1, SYMBOL)] == [1]


async def test_client_order_ids_are_scoped_by_user_and_symbol(ledger: Ledger) -> None:
    await funded(ledger, user_id=1)
    await funded(ledger, user_id=2)
    placed = [
        await ledger.place_order(an_order(1, user_id=1, client_order_id="same")),
        await ledger.place_order(an_order(2, user_id=2, client_order_id="same")),
        await ledger.place_order(an_order(3, user_id=1, client_order_id="same", symbol="ETHUSDT")),
    ]
    assert [outcome for outcome, _ in placed] == [PlaceOutcome.PLACED] * 3
    found = await ledger.get_order_by_client_id(2, SYMBOL, "same")
    assert found is not None and found.order_id == 2
    assert await ledger.get_order_by_client_id(3, SYMBOL, "same") is None


async def test_an_order_comes_back_with_every_field_and_its_enum_types(ledger: Ledger) -> None:
    await funded(ledger, btc=5_000)
    order = dataclasses.replace(
        an_order(77, side=Side.SELL, reserved=4_000),
        order_type=OrderType.STOP_LOSS_LIMIT, tif=TimeInForce.IOC, stp=SelfTradePrevention.EXPIRE_BOTH,
        price=123, qty=45, quote_qty=6, stop_price=120, cap=9, created_ms=1_700_000_000_123,
    )
    await ledger.place_order(order)
    loaded = await ledger.get_order(SYMBOL, 77)
    assert loaded == order
    assert loaded is not None
    assert type(loaded.side) is Side and type(loaded.status) is OrderStatus and type(loaded.phase) is OrderPhase


async def test_get_order_needs_the_right_symbol(ledger: Ledger) -> None:
    await funded(ledger)
    await ledger.place_order(an_order(1))
    assert await ledger.get_order("ETHUSDT", 1) is None


async def test_get_orders_returns_the_ones_that_exist(backend: Backend, ledger: Ledger) -> None:
    count = repeat(backend, 1_200, 350)  # either way several times what one request reads (DynamoDB: 100)
    await funded(ledger, usdt=100_000)
    await asyncio.gather(*(ledger.place_order(an_order(order_id, reserved=1)) for order_id in range(1, count + 1)))
    found = await ledger.get_orders(SYMBOL, [*range(1, count + 1), 5_000])
    assert sorted(found) == list(range(1, count + 1))
    assert found[300].order_id == 300
    assert await ledger.get_orders(SYMBOL, []) == {}


async def test_open_orders_are_the_unfinished_ones_oldest_first(ledger: Ledger) -> None:
    await funded(ledger)
    for order_id, symbol in ((1, SYMBOL), (2, "ETHUSDT"), (3, SYMBOL), (4, SYMBOL)):
        await ledger.place_order(an_order(order_id, symbol=symbol, reserved=10))
    live = dataclasses.replace(an_order(3, reserved=10), phase=OrderPhase.LIVE, status=OrderStatus.NEW)
    settlement = Settlement(SYMBOL, 1, 2, orders={3: live})
    release(settlement, an_order(4, reserved=10))
    await ledger.apply_settlement(settlement)

    assert [o.order_id for o in await ledger.open_orders(1, SYMBOL)] == [1, 3]
    assert [o.order_id for o in await ledger.open_orders(1, None)] == [1, 2, 3]
    assert await ledger.open_orders(2, None) == []
    assert [o.order_id for o in await ledger.pending_orders()] == [1, 2]


async def test_list_orders_pages_like_binance_all_orders(ledger: Ledger) -> None:
    await funded(ledger)
    for order_id in range(1, 11):
        await ledger.place_order(an_order(order_id, reserved=1, created_ms=1_000 * order_id))
    await ledger.place_order(an_order(11, symbol="ETHUSDT", reserved=1, created_ms=11_000))

    async def ids(from_id: int | None, start: int | None, end: int | None, limit: int) -> list[int]:
        return [o.order_id for o in await ledger.list_orders(1, SYMBOL, from_id, start, end, limit)]

    assert await ids(None, None, None, 3) == [8, 9, 10], "no start: the most recent, oldest first"
    assert await ids(4, None, None, 3) == [4, 5, 6], "from an id: that id onwards"
    assert await ids(None, 2_000, 5_000, 10) == [2, 3, 4, 5], "a time window, both ends inclusive"
    assert await ids(None, 2_000, None, 2) == [2, 3]
    assert await ids(None, None, 5_000, 2) == [4, 5]
    assert await ids(20, None, None, 10) == []


async def test_orders_survive_close_and_reopen(backend: Backend) -> None:
    first: Ledger = await funded(backend.ledger()())
    await first.place_order(an_order(1, reserved=100, client_order_id="kept"))
    await first.close()
    reopened: Ledger = backend.ledger()()
    try:
        assert await reopened.get_order(SYMBOL, 1) == an_order(1, reserved=100, client_order_id="kept")
        assert (await reopened.place_order(an_order(2, client_order_id="kept")))[0] is PlaceOutcome.DUPLICATE
        assert await reopened.balances(1) == [Balance("USDT", 900, 100)]
    finally:
        await reopened.close()


async def test_open_order_counts_count_unfinished_orders_and_the_stop_orders_among_them(ledger: Ledger) -> None:
    await funded(ledger)
    stop = dataclasses.replace(an_order(2, reserved=10), order_type=OrderType.STOP_LOSS_LIMIT, stop_price=9)
    take_profit = dataclasses.replace(an_order(3, reserved=10), order_type=OrderType.TAKE_PROFIT)
    for order in (an_order(1, reserved=10), stop, take_profit, an_order(4, reserved=10),
                  an_order(5, symbol="ETHUSDT", reserved=10)):
        await ledger.place_order(order)
    assert await ledger.open_order_counts(1, SYMBOL) == (4, 2)

    settlement = Settlement(SYMBOL, 1, 2)
    release(settlement, an_order(4, reserved=10))
    release(settlement, take_profit)
    await ledger.apply_settlement(settlement)
    assert await ledger.open_order_counts(1, SYMBOL) == (2, 1)
    assert await ledger.open_order_counts(2, SYMBOL) == (0, 0)


def a_stop(order_id: int, **fields: object) -> OrderRecord:
    return dataclasses.replace(an_order(order_id, **fields), order_type=OrderType.STOP_LOSS_LIMIT, stop_price=9)


async def test_an_order_beyond_the_open_order_limit_is_refused_and_changes_nothing(ledger: Ledger) -> None:
    await funded(ledger, usdt=1_000)
    limits = OpenOrderLimits(orders=3)
    for order_id in (1, 2, 3):
        assert (await ledger.place_order(an_order(order_id, reserved=10), limits))[0] is PlaceOutcome.PLACED
    outcome, _ = await ledger.place_order(an_order(4, reserved=10), limits)
    assert outcome is PlaceOutcome.TOO_MANY_ORDERS
    assert await ledger.get_order(SYMBOL, 4) is None
    assert await ledger.balances(1) == [Balance("USDT", 970, 30)]
    # per symbol, and an order that finished frees its place
    assert (await ledger.place_order(an_order(5, symbol="ETHUSDT", reserved=10), limits))[0] is PlaceOutcome.PLACED
    settlement = Settlement(SYMBOL, 1, 1)
    release(settlement, an_order(1, reserved=10))
    await ledger.apply_settlement(settlement)
    assert (await ledger.place_order(an_order(6, reserved=10), limits))[0] is PlaceOutcome.PLACED


async def test_the_algo_limit_counts_stop_orders_only(ledger: Ledger) -> None:
    await funded(ledger, usdt=1_000)
    limits, stop_limits = OpenOrderLimits(orders=10), OpenOrderLimits(orders=10, algo_orders=2)
    assert (await ledger.place_order(a_stop(1, reserved=10), stop_limits))[0] is PlaceOutcome.PLACED
    assert (await ledger.place_order(an_order(2, reserved=10), limits))[0] is PlaceOutcome.PLACED
    assert (await ledger.place_order(a_stop(3, reserved=10), stop_limits))[0] is PlaceOutcome.PLACED
    outcome, _ = await ledger.place_order(a_stop(4, reserved=10), stop_limits)
    assert outcome is PlaceOutcome.TOO_MANY_ALGO_ORDERS
    assert (await ledger.place_order(an_order(5, reserved=10), limits))[0] is PlaceOutcome.PLACED
    assert await ledger.open_order_counts(1, SYMBOL) == (4, 2)


async def test_orders_placed_together_never_exceed_the_open_order_limit(ledger: Ledger) -> None:
    await funded(ledger, usdt=1_000, btc=1_000)
    limits = OpenOrderLimits(orders=25)
    # buys and sells reserve different assets, so they can share a group commit
    orders = [an_order(i, side=Side.BUY if i % 2 else Side.SELL, reserved=10) for i in range(1, 61)]
    placing = []
    for order in orders:  # arriving while earlier ones are being written, not all in one queue
        placing.append(asyncio.create_task(ledger.place_order(order, limits)))
        await asyncio.sleep(0.001)
    results = await asyncio.gather(*placing)
    outcomes = [outcome for outcome, _ in results]
    assert outcomes.count(PlaceOutcome.PLACED) == 25
    assert outcomes.count(PlaceOutcome.TOO_MANY_ORDERS) == 35
    assert await ledger.open_order_counts(1, SYMBOL) == (25, 0)
    placed = [order for order, (outcome, _) in zip(orders, results, strict=True) if outcome is PlaceOutcome.PLACED]
    locked = {asset: sum(o.reserved for o in placed if o.reserved_asset == asset) for asset in ("USDT", "BTC")}
    balances = {b.asset: b for b in await ledger.balances(1)}
    assert balances == {asset: Balance(asset, 1_000 - amount, amount) for asset, amount in locked.items()}


async def test_a_repeated_client_order_id_is_a_duplicate_even_at_the_open_order_limit(ledger: Ledger) -> None:
    await funded(ledger, usdt=1_000)
    limits = OpenOrderLimits(orders=1)
    first = an_order(1, reserved=10, client_order_id="mine")
    await ledger.place_order(first, limits)
    assert await ledger.place_order(an_order(2, reserved=10, client_order_id="mine"), limits) == (
        PlaceOutcome.DUPLICATE, first,
    )
    assert await ledger.place_order(first, limits) == (PlaceOutcome.PLACED, first), "the same order written again"


async def test_a_client_order_id_is_free_again_once_its_order_is_done(ledger: Ledger) -> None:
    """Binance: "a unique id among open orders". A bot that reuses its ids (a grid level, an
    order refused as -2010 and sent again corrected) must be able to."""
    await funded(ledger, usdt=1_000)
    first = an_order(1, reserved=100, client_order_id="level-3")
    await ledger.place_order(first)
    settlement = Settlement(SYMBOL, 1, 1)
    done = release(settlement, first)
    await ledger.apply_settlement(settlement)

    again = an_order(2, reserved=100, client_order_id="level-3")
    assert await ledger.place_order(again) == (PlaceOutcome.PLACED, again)
    assert await ledger.get_order_by_client_id(1, SYMBOL, "level-3") == again, "the newest order with the id"
    assert await ledger.get_order(SYMBOL, 1) == done
    # and unique again while the new one is open
    outcome, existing = await ledger.place_order(an_order(3, reserved=100, client_order_id="level-3"))
    assert (outcome, existing) == (PlaceOutcome.DUPLICATE, again)
    assert await ledger.balances(1) == [Balance("USDT", 900, 100)]


async def test_an_order_placed_again_after_it_finished_is_still_placed_once(ledger: Ledger) -> None:
    # a placement retried after its first attempt committed and the order then finished (which
    # freed its client order id): the same order, not a second one
    await funded(ledger, usdt=1_000)
    first = an_order(1, reserved=100, client_order_id="once")
    await ledger.place_order(first)
    settlement = Settlement(SYMBOL, 1, 1)
    release(settlement, first)
    await ledger.apply_settlement(settlement)
    assert (await ledger.place_order(first))[0] is PlaceOutcome.PLACED
    assert await ledger.balances(1) == [Balance("USDT", 1_000, 0)]
    assert await ledger.open_order_counts(1, SYMBOL) == (0, 0)


async def test_at_the_open_order_limit_a_finished_orders_client_id_is_no_duplicate(ledger: Ledger) -> None:
    await funded(ledger, usdt=1_000)
    limits = OpenOrderLimits(orders=1)
    first = an_order(1, reserved=10, client_order_id="reused")
    await ledger.place_order(first, limits)
    settlement = Settlement(SYMBOL, 1, 1)
    release(settlement, first)
    await ledger.apply_settlement(settlement)
    await ledger.place_order(an_order(2, reserved=10), limits)  # the one open order allowed
    outcome, _ = await ledger.place_order(an_order(3, reserved=10, client_order_id="reused"), limits)
    assert outcome is PlaceOutcome.TOO_MANY_ORDERS
