"""Settlement: what a batch of engine events does to balances, orders and trade history.

    settle(symbol, events, orders, time_ms, fees) -> records.Settlement

Pure: the settlement loop (`settlement_loop.py`) reads the batch from the `EventSource`, loads the order records
of `order_ids_in(events)` (every id the batch names), calls `settle`, and hands the result to
`Ledger.apply_settlement`, which applies it atomically with the symbol's watermark (so a
redelivered batch is a no-op). The input records are not modified; `Settlement.orders` holds
the new state of every order the batch touched.

Per event (docs/engine.md has the fields):
- ACCEPTED: phase PENDING -> LIVE; a non-stop order is working since it was placed (`working_ms`).
- REJECTED of a SUBMIT (the order is still PENDING): status REJECTED, everything released.
  Rejections of cancels and amends (UNKNOWN_ORDER, NOT_AMENDABLE, or a LIVE order) change
  nothing, and neither does DUPLICATE_ORDER_ID: the id is live elsewhere, so releasing this
  record's funds could release them twice.
- TRADE: the buyer's locked quote (price * qty at the maker's price) goes to the seller, the
  seller's locked base to the buyer; each receives it minus the fee on what they receive
  (services.tradeproc.fees), which the fee account (`FEE_ACCOUNT_USER_ID`) collects. A BUY
  with a limit price locked its own price; the improvement (its price - the maker's) * qty is
  released at once, so an open limit order always has exactly
  `order.domain.resting_reservation` locked. Two trade records, one per side.
- ORDER: the new status; a terminal one (FILLED, CANCELED, EXPIRED, EXPIRED_IN_MATCH)
  releases whatever the order still has reserved and moves it to phase DONE.
- AMENDED: new price and quantity; the reservation above the new requirement is released.
  An amend that would need more funds than are reserved is refused (SettlementError): the
  order service only sends keepPriority amends, which lower the quantity.
- TRIGGERED: a stop order starts working now.
- LEVEL: market data only.

A self-trade (STP NONE) needs nothing special: each side settles through its own order's
reservation, and the user's deltas add up.

`SettlementError` means the events and the records disagree (a bug, or records from the wrong
point in time): nothing may be applied.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from engine_ext.codes import STOP_TYPES, EventKind, OrderStatus, RejectReason, Side
from engine_ext.events import Event, trade_id
from services.common.markets import Symbol
from services.common.records import (
    FEE_ACCOUNT_USER_ID,
    OrderPhase,
    OrderRecord,
    Settlement,
    TradeRecord,
    copy_order,
)
from services.order.domain import LIMIT_PRICED_TYPES, resting_reservation
from services.tradeproc.fees import FeeSchedule, fill_commission

TERMINAL_STATUSES = frozenset({
    OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.EXPIRED, OrderStatus.EXPIRED_IN_MATCH,
    OrderStatus.REJECTED,
})
_NOT_A_SUBMIT_REJECTION = frozenset({
    RejectReason.UNKNOWN_ORDER, RejectReason.NOT_AMENDABLE, RejectReason.DUPLICATE_ORDER_ID,
})


def is_submit_rejection(code: int) -> bool:
    """Whether a REJECTED event with this reason refuses a submit (the order never existed),
    rather than a cancel or amend of some order, or a re-sent submit matching already has."""
    return code not in _NOT_A_SUBMIT_REJECTION


class SettlementError(Exception):
    """The events cannot be settled against these records; apply nothing."""


def order_ids_in(events: Iterable[Sequence[int]]) -> set[int]:
    """Every order id `settle` needs a record for (REJECTED ids may be unknown: cancels of
    orders that never existed)."""
    ids: set[int] = set()
    for raw in events:
        event = Event(*raw)
        if event.kind == EventKind.TRADE:
            ids.add(event.maker_order_id)
        if event.kind != EventKind.LEVEL:
            ids.add(event.order_id)
    ids.discard(0)
    return ids


def settle(
    symbol: Symbol,
    events: Sequence[Sequence[int]],
    orders: Mapping[int, OrderRecord],
    time_ms: int,
    fees: FeeSchedule,
) -> Settlement:
    """The Settlement of one seq-contiguous batch of `symbol`'s events (see the module doc)."""
    if not events:
        raise SettlementError(f"{symbol.name}: an empty batch has no seq range to settle")
    settler = Settler(symbol, orders, time_ms, fees)
    for raw in events:
        settler.apply(Event(*raw))
    return settler.settlement


def merge_settlements(parts: Sequence[Settlement]) -> Settlement:
    """One Settlement with the effect of seq-contiguous `parts` of one symbol applied in order:
    balance deltas summed, each order's last state, every trade. The ledger applies it in one
    transaction (one fsync) instead of one per part, which is how a consumer that fell behind
    catches up. Same balances at the end as applying the parts one by one: settlement only ever
    lowers `locked` and raises `available`, so no part's intermediate balance could go below
    zero where the sum does not."""
    if not parts:
        raise SettlementError("nothing to merge")
    first = parts[0]
    merged = Settlement(symbol=first.symbol, from_seq=first.from_seq, to_seq=first.from_seq - 1)
    for part in parts:
        if part.symbol != merged.symbol or part.from_seq != merged.to_seq + 1:
            raise SettlementError(
                f"{part.symbol} {part.from_seq}..{part.to_seq} does not continue {merged.symbol} ..{merged.to_seq}"
            )
        merged.to_seq = part.to_seq
        for (user_id, asset), delta in part.balances.items():
            merged.credit(user_id, asset, delta.available, delta.locked)
        merged.orders.update(part.orders)
        merged.trades.extend(part.trades)
    return merged


class Settler:
    """Applies events one by one to working copies of the order records.

    `settle` is the entry point; the user data stream (user_stream.py) drives a Settler too,
    reading each order's state after every event, so both see exactly the same history.
    """

    def __init__(self, symbol: Symbol, orders: Mapping[int, OrderRecord], time_ms: int, fees: FeeSchedule):
        self.symbol = symbol
        self.time_ms = time_ms
        self.fees = fees
        self._given = orders
        self.settlement = Settlement(symbol=symbol.name, from_seq=0, to_seq=0)

    # -- events -------------------------------------------------------------------------------

    def apply(self, event: Event) -> None:
        self._advance_seq(event.seq)
        match event.kind:
            case EventKind.ACCEPTED:
                self._accepted(event)
            case EventKind.REJECTED:
                self._rejected(event)
            case EventKind.TRADE:
                self.settle_trade(event)
            case EventKind.ORDER:
                self._order_status(event)
            case EventKind.AMENDED:
                self._amended(event)
            case EventKind.TRIGGERED:
                order = self.order(event.order_id)
                order.working_ms = order.updated_ms = self.time_ms
            case EventKind.LEVEL:
                pass
            case _:
                raise SettlementError(f"seq {event.seq}: unknown event kind {event.kind}")

    def _advance_seq(self, seq: int) -> None:
        s = self.settlement
        if s.from_seq == 0:
            s.from_seq = seq
        elif seq != s.to_seq + 1:
            raise SettlementError(f"{s.symbol}: seq {seq} follows {s.to_seq}; a batch must be contiguous")
        s.to_seq = seq

    def _accepted(self, event: Event) -> None:
        order = self.order(event.order_id)
        if order.phase == OrderPhase.PENDING:
            order.phase = OrderPhase.LIVE
        order.status = OrderStatus.NEW
        order.updated_ms = self.time_ms
        if order.order_type not in STOP_TYPES:
            # from the instant it was placed, as its transactTime says (Binance: time ==
            # transactTime == workingTime), not the engine's a moment later
            order.working_ms = order.created_ms

    def _rejected(self, event: Event) -> None:
        if not is_submit_rejection(event.code) or not self.knows(event.order_id):
            return
        current = self.settlement.orders.get(event.order_id) or self._given[event.order_id]
        if current.phase != OrderPhase.PENDING:
            # an amend or cancel of a live or finished order was refused: the order is not
            # touched, so the settlement does not write it again
            return
        order = self.order(event.order_id)
        order.status = OrderStatus.REJECTED
        order.updated_ms = self.time_ms
        self._finish(order)

    def settle_trade(self, event: Event) -> None:
        """One fill: quote from buyer to seller, base from seller to buyer, fees to the house."""
        symbol, price, qty = self.symbol, event.price, event.qty
        taker, maker = self.order(event.order_id), self.order(event.maker_order_id)
        buyer, seller = (taker, maker) if event.side == Side.BUY else (maker, taker)
        quote = symbol.notional_to_quote_minor(price, qty)
        base = symbol.lots_to_base_minor(qty)
        buyer_fee, _ = fill_commission(symbol, Side.BUY, price, qty, is_maker=buyer is maker, fees=self.fees)
        seller_fee, _ = fill_commission(symbol, Side.SELL, price, qty, is_maker=seller is maker, fees=self.fees)

        self._spend(buyer, symbol.quote.name, quote)
        self._spend(seller, symbol.base.name, base)
        s = self.settlement
        s.credit(buyer.user_id, symbol.base.name, available=base - buyer_fee)
        s.credit(seller.user_id, symbol.quote.name, available=quote - seller_fee)
        if buyer_fee:
            s.credit(FEE_ACCOUNT_USER_ID, symbol.base.name, available=buyer_fee)
        if seller_fee:
            s.credit(FEE_ACCOUNT_USER_ID, symbol.quote.name, available=seller_fee)
        if buyer.order_type in LIMIT_PRICED_TYPES and buyer.price > price:
            self._release(buyer, symbol.notional_to_quote_minor(buyer.price - price, qty))

        for order, fee, fee_asset in ((buyer, buyer_fee, symbol.base.name), (seller, seller_fee, symbol.quote.name)):
            order.filled += qty
            order.cum_quote += quote
            order.status = OrderStatus.PARTIALLY_FILLED
            order.updated_ms = self.time_ms
            counter = seller if order is buyer else buyer
            trade = TradeRecord(
                symbol=symbol.name,
                trade_id=trade_id(event.seq, event.filled),
                order_id=order.order_id,
                user_id=order.user_id,
                counter_order_id=counter.order_id,
                price=price,
                qty=qty,
                quote_qty=quote,
                commission=fee,
                commission_asset=fee_asset,
                is_buyer=order is buyer,
                is_maker=order is maker,
                time_ms=self.time_ms,
            )
            s.trades.append(trade)

    def _order_status(self, event: Event) -> None:
        order = self.order(event.order_id)
        if event.filled != order.filled:
            raise SettlementError(
                f"seq {event.seq}: order {order.order_id} has filled {event.filled} per the engine, "
                f"{order.filled} per its record"
            )
        order.status = OrderStatus(event.code)
        order.updated_ms = self.time_ms
        if order.status in TERMINAL_STATUSES:
            self._finish(order)

    def _amended(self, event: Event) -> None:
        order = self.order(event.order_id)
        order.price = event.price
        order.qty = event.filled + event.qty
        order.updated_ms = self.time_ms
        needed = resting_reservation(self.symbol, order.side, order.order_type, order.price, event.qty)
        if needed > order.reserved:
            raise SettlementError(
                f"seq {event.seq}: amended order {order.order_id} needs {needed} {order.reserved_asset} "
                f"locked but has {order.reserved}; amends must not raise an order's cost"
            )
        self._release(order, order.reserved - needed)

    # -- funds -------------------------------------------------------------------------------

    def _spend(self, order: OrderRecord, asset: str, amount: int) -> None:
        """Take `amount` out of the order's reservation: it leaves the user's locked balance."""
        if order.reserved_asset != asset or amount > order.reserved:
            raise SettlementError(
                f"order {order.order_id} spends {amount} {asset} but has {order.reserved} "
                f"{order.reserved_asset} reserved"
            )
        order.reserved -= amount
        self.settlement.credit(order.user_id, asset, locked=-amount)

    def _release(self, order: OrderRecord, amount: int) -> None:
        """Give `amount` of the order's reservation back to the user's available balance."""
        if amount:
            order.reserved -= amount
            self.settlement.credit(order.user_id, order.reserved_asset, available=amount, locked=-amount)

    def _finish(self, order: OrderRecord) -> None:
        self._release(order, order.reserved)
        order.phase = OrderPhase.DONE

    # -- records -------------------------------------------------------------------------------

    def knows(self, order_id: int) -> bool:
        return order_id in self.settlement.orders or order_id in self._given

    def order(self, order_id: int) -> OrderRecord:
        """The working copy of an order's record (copied on first touch)."""
        touched = self.settlement.orders.get(order_id)
        if touched is None:
            given = self._given.get(order_id)
            if given is None:
                raise SettlementError(f"{self.symbol.name}: no record for order {order_id}")
            touched = self.settlement.orders[order_id] = copy_order(given)
        return touched

