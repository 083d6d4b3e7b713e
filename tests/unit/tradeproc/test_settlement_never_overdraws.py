"""Property: reserving with reserve_funds and settling with settle never overdraws anyone.

Random order flow from a few users (every order type, TIF and STP mode, orders by quantity and
by quote, stops that trigger in cascades, cancels and keepPriority amends) runs through the
real engine; funds are reserved by the order domain and every command's events are settled by
the tradeproc domain into an in-memory balance table. After every command (see
SimulatedExchange.check_invariants): no balance is negative, each asset's deposits equal the
sum of available + locked over all users and the fee account, every finished order has
nothing reserved, and each user's locked balance is exactly the reservations of their open
orders. At the end every open order is canceled and nothing may stay locked.
"""

from __future__ import annotations

import importlib
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from engine_ext.codes import STOP_TYPES, EventKind, OrderType, SelfTradePrevention, Side, TimeInForce
from services.common.markets import Asset, Filters, Symbol
from services.common.records import OrderPhase
from services.order.domain import LIMIT_PRICED_TYPES
from services.tradeproc.fees import FeeSchedule
from tests.unit.tradeproc.simulated_exchange import SimulatedExchange

ENGINES = {"reference": "engine_ext.reference", "compiled": "engine_ext.book"}

# A symbol whose units do not line up with its assets' minor units, so every conversion counts:
# one lot = 0.1 TST = 10^7 minor units; one notional unit = 0.01 * 0.1 = 0.001 USD = 1,000 minor.
SYMBOL = Symbol(
    "TSTUSD", Asset("TST", 8), Asset("USD", 6),
    Filters(tick_size=Decimal("0.01"), min_price=Decimal("0.01"), max_price=Decimal("1000"),
            step_size=Decimal("0.1"), min_qty=Decimal("0.1"), max_qty=Decimal("1000"),
            min_notional=Decimal("0"), max_notional=Decimal("0")),
)
USERS = (1, 2, 3)
PRICES = st.integers(95, 105)  # ticks: a narrow band, so orders cross and stops fire
QUANTITIES = st.one_of(st.integers(1, 30), st.integers(1, 400))  # lots; some orders outsize a balance

submits = st.tuples(
    st.just("submit"),
    st.sampled_from(USERS),
    st.sampled_from(Side),
    st.sampled_from([OrderType.LIMIT] * 4 + list(OrderType)),  # enough resting orders to trade with
    st.sampled_from([TimeInForce.GTC] * 3 + list(TimeInForce)),
    st.sampled_from(SelfTradePrevention),
    PRICES,
    QUANTITIES,
    PRICES,  # stop price
    st.booleans(),  # a MARKET order by quote (quoteOrderQty) rather than by quantity
)
cancels = st.tuples(st.just("cancel"), st.integers(0, 10**6))
amends = st.tuples(st.just("amend"), st.integers(0, 10**6), st.integers(0, 10**6))
flows = st.lists(st.one_of(submits, submits, submits, submits, cancels, amends), min_size=30, max_size=100)
fee_schedules = st.sampled_from([FeeSchedule(0, 0), FeeSchedule(1_000, 2_000), FeeSchedule(333_333, 250_001),
                                 FeeSchedule(1_000_000, 999_999)])
# Funding in lots of TST and in lots' worth of USD at the mid price; mostly plenty, sometimes little.
LOTS_FUNDED = st.one_of(st.integers(0, 20), st.integers(20, 300), st.integers(100, 300))
deposits = st.tuples(LOTS_FUNDED, LOTS_FUNDED.map(lambda lots: lots * 100))  # lots; notional units


@pytest.fixture(params=sorted(ENGINES))
def book_class(request: pytest.FixtureRequest) -> Any:
    return importlib.import_module(ENGINES[request.param]).OrderBook


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(flow=flows, fees=fee_schedules, funding=st.lists(deposits, min_size=3, max_size=3))
def test_random_order_flow_never_overdraws_and_conserves_every_asset(
    book_class: Any, flow: list[tuple[Any, ...]], fees: FeeSchedule, funding: list[tuple[int, int]]
) -> None:
    sim = SimulatedExchange(SYMBOL, book_class, fees)
    for user, (base_lots, quote_units) in zip(USERS, funding, strict=True):
        sim.deposit(user, "TST", base_lots * SYMBOL.base_minor_per_lot)
        sim.deposit(user, "USD", quote_units * SYMBOL.quote_minor_per_notional + user)  # + dust below a unit

    for action in flow:
        match action:
            case ("submit", user, side, order_type, tif, stp, price, qty, stop_price, by_quote):
                submit(sim, user, side, order_type, tif, stp, price, qty, stop_price, by_quote)
            case ("cancel", pick):
                if sim.orders:
                    sim.cancel(sorted(sim.orders)[pick % len(sim.orders)])
            case ("amend", pick, smaller):
                amend(sim, pick, smaller)

    kinds = {EventKind(e.kind).name for e in sim.events}
    for kind in ("TRADE", "TRIGGERED", "AMENDED", "REJECTED"):
        event(f"{kind} seen" if kind in kinds else f"no {kind}")
    for order_id, order in sorted(sim.orders.items()):
        if order.phase != OrderPhase.DONE:
            sim.cancel(order_id)
    assert all(order.phase == OrderPhase.DONE for order in sim.orders.values())
    assert not +sim.locked, "funds stay locked after every order finished"


def submit(sim: SimulatedExchange, user: int, side: Side, order_type: OrderType, tif: TimeInForce,
           stp: SelfTradePrevention, price: int, qty: int, stop_price: int, by_quote: bool) -> None:
    if order_type == OrderType.MARKET and by_quote:
        sim.submit(user, side, order_type, quote_qty=price * qty, tif=tif, stp=stp)
        return
    sim.submit(
        user, side, order_type, qty=qty, tif=tif, stp=stp,
        price=price if order_type in LIMIT_PRICED_TYPES else 0,
        stop_price=stop_price if order_type in STOP_TYPES else 0,
    )


def amend(sim: SimulatedExchange, pick: int, smaller: int) -> None:
    """A keepPriority amend: the same price and a lower quantity (sometimes one the engine
    refuses, at or below what has filled)."""
    open_limit_orders = sorted(i for i, o in sim.orders.items()
                               if o.phase == OrderPhase.LIVE and o.order_type in LIMIT_PRICED_TYPES)
    if not open_limit_orders:
        return
    order = sim.orders[open_limit_orders[pick % len(open_limit_orders)]]
    if order.qty > 1:
        sim.amend(order.order_id, 1 + smaller % (order.qty - 1))

