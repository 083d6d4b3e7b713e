"""The order desk: the order path from a trader's request to the engine's answer.

    place:  parse + filters (domain) -> reserve funds and record the order, atomically (ledger)
            -> journal + match (matching) -> wait for settlement -> Binance's response
    cancel, amend, cancel-replace: look the order up, check it is the caller's, route the
            engine command, wait for settlement, answer from the settled record.

Waiting for settlement before answering is what makes the answer true: the balances and the
order state a client reads next already include it (read-your-writes).

Crash safety: an order is recorded (phase PENDING, funds locked) before it is sent. If this
process dies before matching confirms it, `redrive_pending` sends it again at the next start;
matching answers ORDER_ALREADY_JOURNALED for those it had, so each is in the book once.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import string
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, cast

import grpc

from engine_ext.codes import STOP_TYPES, EventKind, OrderStatus, OrderType, RejectReason, Side
from engine_ext.events import Event
from exchange.v1 import matching_pb2
from services.common.grpcutil.errors import grpc_code
from services.common.markets import DECIMAL_RANGE, MarketError, Symbol, parse_decimal
from services.common.ports import Ledger, OpenOrderLimits, PlaceOutcome, Unavailable
from services.common.records import OrderPhase, OrderRecord
from services.matching.convert import event_tuple
from services.order import errors
from services.order.domain import (
    LIMIT_PRICED_TYPES,
    MAX_LOOKUP_INTERVAL_MS,
    NewOrder,
    OrderContext,
    OrderIntent,
    apply_filters,
    cancel_client_order_id,
    check_client_order_id,
    new_order_record,
    parse_new_order,
    reserve_funds,
    spend_asset,
)
from services.order.responses import cancel_response, order_response, order_view
from services.order.router import MatchingRouter, MatchingUnavailable
from services.order.settlement_watch import SettlementWatch
from services.tradeproc.fees import FeeSchedule

log = logging.getLogger(__name__)

ORDER_ID_BLOCK = 1000
REDRIVE_AFTER_MS = 10_000  # younger PENDING orders may still be on their way to matching
CLIENT_ID_ALPHABET = string.ascii_letters + string.digits


_UNBOUNDED = 1 << 126  # above any balance: reserve_funds leaves the funds check to the ledger
_MAX_ORDERS_READ = 8_000  # allOrders reads at most this many records to fill a page of visible ones


def _sized_by_balance(order: NewOrder) -> bool:
    """Whether reserve_funds sizes the reservation from the available balance (see its table):
    a MARKET SELL by quoteOrderQty (every whole lot) and a MARKET BUY by quantity (the whole
    quote balance). Everything else locks an amount fixed by the order itself."""
    if order.order_type in LIMIT_PRICED_TYPES:
        return False
    if order.side == Side.SELL:
        return order.quantity is None
    return order.quote_order_qty is None and order.order_type == OrderType.MARKET


def _open_order_limits(intent: OrderIntent) -> OpenOrderLimits:
    filters = intent.symbol.filters
    algo_orders = filters.max_num_algo_orders if intent.order_type in STOP_TYPES else 0
    return OpenOrderLimits(filters.max_num_orders, algo_orders)


class OutcomeUnknown(Exception):
    """Matching could not be reached or did not answer: the command may or may not be in the
    journal (Binance -1007). The order stays recorded and is re-driven at the next start."""


# Random bytes -> letters and digits in one C call (secrets.choice per character cost ~35 us
# an order). The modulo's bias (256 = 4 x 62 + 8) only makes 8 of 62 characters slightly likelier:
# ids need to be unpredictable enough never to collide, not uniform.
_CLIENT_ID_TABLE = bytes(ord(CLIENT_ID_ALPHABET[b % len(CLIENT_ID_ALPHABET)]) for b in range(256))


def new_client_order_id() -> str:
    """Binance-style: 22 random letters and digits."""
    return secrets.token_bytes(22).translate(_CLIENT_ID_TABLE).decode("ascii")


def submit_command(record: OrderRecord) -> matching_pb2.SubmitCommand:
    return matching_pb2.SubmitCommand(
        order_id=record.order_id,
        user_id=record.user_id,
        side=cast(Any, record.side + 1),
        order_type=cast(Any, record.order_type + 1),
        time_in_force=cast(Any, record.tif + 1),
        price=record.price,
        qty=record.qty,
        quote_qty=record.quote_qty,
        stop_price=record.stop_price,
        self_trade_prevention=cast(Any, record.stp + 1),
        cap=record.cap,
    )


class OrderDesk:
    def __init__(
        self,
        symbols: Mapping[str, Symbol],
        ledger: Ledger,
        router: MatchingRouter,
        settlement: SettlementWatch,
        fees: FeeSchedule,
        *,
        settle_timeout_s: float = 5.0,
        matching_timeout_s: float = 10.0,
        clock: Callable[[], int] = lambda: time.time_ns() // 1_000_000,
    ) -> None:
        self._symbols = symbols
        self._ledger = ledger
        self._router = router
        self._settlement = settlement
        self._fees = fees
        self._settle_timeout_s = settle_timeout_s
        self._matching_timeout_s = matching_timeout_s
        self._clock = clock
        self._order_ids: range = range(0)
        self._order_id_lock = asyncio.Lock()
        self.last_price: dict[str, int] = {}  # ticks of each symbol's last trade: the reference price
        self._unconfirmed: dict[int, OrderRecord] = {}  # submits whose matching call failed

    # -- placing --------------------------------------------------------------------------------
    async def place(
        self,
        user_id: int,
        params: Mapping[str, str] | Sequence[tuple[str, str]],
        timings: dict[str, int] | None = None,
    ) -> dict[str, Any]:
        """Place an order; `timings`, if given, receives microseconds per stage (the seed's
        latency budget: validation, the shard's queue/journal/match/publish, settlement)."""
        started = time.perf_counter_ns()
        order = parse_new_order(params, self._symbols)
        record = await self._reserve(user_id, order, test_only=False)
        assert record is not None
        if timings is not None:
            timings["validate_us"] = (time.perf_counter_ns() - started) // 1000
        try:
            events, _ = await self._execute(
                matching_pb2.Command(symbol=record.symbol, submit=submit_command(record)), timings
            )
        except OutcomeUnknown:
            # Recorded with funds locked, maybe journaled, maybe not: send it again as soon as
            # matching answers (matching drops it if it already has it).
            self._unconfirmed[record.order_id] = record
            raise
        # An order's time is the one it was recorded with (GET order's `time`, the user
        # stream's `O`): ccxt's fetch_orders(since=transactTime) must find it.
        return order_response(
            order.symbol, record, events, transact_time_ms=record.created_ms, fees=self._fees,
            response_type=order.response_type,
        )

    async def test_order(self, user_id: int, params: Mapping[str, str] | Sequence[tuple[str, str]]) -> None:
        """POST /api/v3/order/test: every check of `place`, nothing reserved or sent."""
        await self._reserve(user_id, parse_new_order(params, self._symbols), test_only=True)

    def commission_rates(self) -> dict[str, str]:
        """What an order pays (order/test computeCommissionRates): every account the same."""
        return self._fees.rates_text()

    async def _reserve(self, user_id: int, order: NewOrder, *, test_only: bool) -> OrderRecord | None:
        symbol: Symbol = order.symbol
        # MAX_NUM_ORDERS / MAX_NUM_ALGO_ORDERS: place_order enforces them in the step that
        # reserves (counted before it, orders sent together would each see room). Counted here
        # as well only where the order is judged before reaching the ledger: a test order, and
        # one sized by the balance, whose funds check comes first; the filter then fails
        # before the funds do, in Binance's order.
        judged_here = test_only or _sized_by_balance(order)
        open_orders, open_stops = (
            await self._ledger.open_order_counts(user_id, symbol.name) if judged_here else (0, 0)
        )
        context = OrderContext(
            reference_price=self.last_price.get(symbol.name) or None,
            open_orders=open_orders,
            open_algo_orders=open_stops,
        )
        intent = apply_filters(order, context)
        if judged_here:
            asset = spend_asset(intent)
            available = next((b.available for b in await self._ledger.balances(user_id) if b.asset == asset), 0)
        else:
            # What is locked does not depend on the balance, and place_order checks the funds
            # atomically (INSUFFICIENT_FUNDS below, the same -2010): a read saved per order.
            available = _UNBOUNDED
        reservation = reserve_funds(intent, available)
        if test_only:
            return None
        record = new_order_record(
            intent,
            reservation,
            order_id=await self._next_order_id(),
            user_id=user_id,
            client_order_id=intent.client_order_id or new_client_order_id(),
            created_ms=self._clock(),
        )
        outcome, _ = await self._ledger.place_order(record, _open_order_limits(intent))
        if outcome is PlaceOutcome.DUPLICATE:
            raise errors.duplicate_order()
        if outcome is PlaceOutcome.TOO_MANY_ORDERS:
            raise errors.filter_failure("MAX_NUM_ORDERS")
        if outcome is PlaceOutcome.TOO_MANY_ALGO_ORDERS:
            raise errors.filter_failure("MAX_NUM_ALGO_ORDERS")
        if outcome is PlaceOutcome.INSUFFICIENT_FUNDS:
            raise errors.insufficient_balance()
        return record

    async def _next_order_id(self) -> int:
        async with self._order_id_lock:
            if not self._order_ids:
                self._order_ids = await self._ledger.allocate_order_ids(ORDER_ID_BLOCK)
            order_id, self._order_ids = self._order_ids[0], self._order_ids[1:]
            return order_id

    # -- cancelling and amending -------------------------------------------------------------------
    async def cancel(
        self,
        user_id: int,
        symbol_name: str,
        order_id: int | None,
        orig_client_order_id: str | None,
        new_client_order_id_: str | None = None,
        *,
        only_if: OrderStatus | None = None,
        id_param: str = "newClientOrderId",
    ) -> dict[str, Any]:
        """`only_if`: Binance's cancelRestrictions (ONLY_NEW, ONLY_PARTIALLY_FILLED), judged on
        the order as settled when the cancel is asked for; `id_param`: the name the cancel's own
        client id was sent under (cancelReplace calls it cancelNewClientOrderId)."""
        symbol = self._symbol(symbol_name)
        check_client_order_id(new_client_order_id_, id_param)
        record = await self._find_open(user_id, symbol_name, order_id, orig_client_order_id)
        if only_if is not None and record.status != only_if:
            raise errors.cancel_restricted()
        events, transact_ms = await self._execute(
            matching_pb2.Command(symbol=symbol_name, cancel=matching_pb2.CancelCommand(order_id=record.order_id))
        )
        if any(e.kind == EventKind.REJECTED for e in events):
            raise errors.unknown_order()  # it finished in the engine before the cancel reached it
        settled = await self._ledger.get_order(symbol_name, record.order_id)
        return cancel_response(
            symbol,
            settled or record,
            cancel_client_order_id=new_client_order_id_ or cancel_client_order_id(symbol_name, record.order_id),
            transact_time_ms=transact_ms,
        )

    async def cancel_all(self, user_id: int, symbol_name: str) -> list[dict[str, Any]]:
        """Binance answers -2011 "Unknown order sent." when there is nothing to cancel."""
        self._symbol(symbol_name)
        open_orders = await self._ledger.open_orders(user_id, symbol_name)
        results = await asyncio.gather(
            *(self.cancel(user_id, symbol_name, o.order_id, None) for o in open_orders), return_exceptions=True
        )
        for result in results:
            # an order that finished meanwhile is simply not among the canceled; anything else
            # (matching unreachable: outcome unknown) must not pass for "all canceled"
            if isinstance(result, BaseException) and not (
                isinstance(result, errors.OrderRejected) and result.reason == "UNKNOWN_ORDER"
            ):
                raise result
        canceled = [r for r in results if isinstance(r, dict)]
        if not canceled:
            raise errors.unknown_order()
        return canceled

    async def amend_keep_priority(
        self,
        user_id: int,
        symbol_name: str,
        order_id: int | None,
        orig_client_order_id: str | None,
        new_qty: str,
        new_client_order_id: str | None = None,
    ) -> tuple[dict[str, Any], int, int]:
        """Binance's keepPriority amend: a lower quantity, same place in the queue.
        Returns (the amended order's view, transact time, the AMENDED event's seq).

        The order keeps its clientOrderId: the ledger holds it immutable (it is how a
        placement is deduplicated), where Binance gives the amended order a new one. So a
        newClientOrderId other than the current id is refused, not silently dropped.

        newQty is checked here against the order as read; two amends of one order racing (in
        this process or through two replicas) can both pass, and the engine's REDUCE refuses
        the later one unless it still lowers the order (the same -1013)."""
        symbol = self._symbol(symbol_name)
        if not new_qty:
            raise errors.mandatory_missing("newQty")
        try:
            qty = parse_decimal(new_qty, "newQty")
        except MarketError:
            raise errors.illegal_characters("newQty", DECIMAL_RANGE) from None
        record = await self._find_open(user_id, symbol_name, order_id, orig_client_order_id)
        if new_client_order_id and new_client_order_id != record.client_order_id:
            raise errors.client_order_id_kept()
        try:
            lots = symbol.qty_to_lots(qty)
        except MarketError:
            raise errors.filter_failure("LOT_SIZE") from None
        if not record.filled < lots < record.qty:
            raise errors.invalid_amend_quantity()
        events, transact_ms = await self._execute(
            matching_pb2.Command(
                symbol=symbol_name,
                reduce=matching_pb2.ReduceCommand(order_id=record.order_id, new_qty=lots),
            )
        )
        amended = next((e for e in events if e.kind == EventKind.AMENDED), None)
        if amended is None:
            raise errors.amend_rejection(events[0].code if events else RejectReason.UNKNOWN_ORDER)
        settled = await self._ledger.get_order(symbol_name, record.order_id)
        return order_view(symbol, settled or record), transact_ms, amended.seq

    async def cancel_replace(
        self,
        user_id: int,
        symbol_name: str,
        cancel_order_id: int | None,
        cancel_orig_client_order_id: str | None,
        cancel_new_client_order_id: str | None,
        allow_failure: bool,
        new_order: Mapping[str, str],
        only_if: OrderStatus | None = None,
    ) -> tuple[dict[str, Any] | errors.OrderRejected, dict[str, Any] | errors.OrderRejected | None]:
        """Binance cancelReplace. STOP_ON_FAILURE: a failed cancel stops the new order (None);
        ALLOW_FAILURE: the new order is placed whatever the cancel did. A request whose new
        order is malformed (a parameter missing or illegal) is refused whole, nothing canceled."""
        new_params = {**new_order, "symbol": symbol_name}
        parse_new_order(new_params, self._symbols)
        check_client_order_id(cancel_new_client_order_id, "cancelNewClientOrderId")
        try:
            canceled: dict[str, Any] | errors.OrderRejected = await self.cancel(
                user_id, symbol_name, cancel_order_id, cancel_orig_client_order_id, cancel_new_client_order_id,
                only_if=only_if, id_param="cancelNewClientOrderId",
            )
        except errors.OrderRejected as refusal:
            canceled = refusal
            if not allow_failure:
                return canceled, None
        try:
            placed: dict[str, Any] | errors.OrderRejected = await self.place(user_id, new_params)
        except errors.OrderRejected as refusal:
            placed = refusal
        return canceled, placed

    # -- queries ----------------------------------------------------------------------------------
    async def get_order(
        self, user_id: int, symbol_name: str, order_id: int | None, orig_client_order_id: str | None
    ) -> dict[str, Any]:
        symbol = self._symbol(symbol_name)
        record = await self._find(user_id, symbol_name, order_id, orig_client_order_id)
        if record is None or record.status is OrderStatus.REJECTED:  # refused (-2010): never an order
            raise errors.OrderRejected("NO_SUCH_ORDER", -2013, "Order does not exist.")
        return order_view(symbol, record)

    async def open_orders(self, user_id: int, symbol_name: str | None) -> list[dict[str, Any]]:
        if symbol_name:
            self._symbol(symbol_name)
        records = await self._ledger.open_orders(user_id, symbol_name or None)
        return [order_view(self._symbols[r.symbol], r) for r in records if r.phase is not OrderPhase.DONE]

    async def all_orders(
        self,
        user_id: int,
        symbol_name: str,
        from_order_id: int | None,
        start_ms: int | None,
        end_ms: int | None,
        limit: int,
    ) -> list[dict[str, Any]]:
        symbol = self._symbol(symbol_name)
        if start_ms is not None and end_ms is not None and end_ms - start_ms > MAX_LOOKUP_INTERVAL_MS:
            raise errors.lookup_interval_too_big(MAX_LOOKUP_INTERVAL_MS // 3_600_000)
        # A submit the engine refused (a LIMIT_MAKER that would take, a stop that would trigger
        # at once) was answered -2010: on Binance no order exists. Its record stays in the ledger
        # (the funds were reserved before matching judged it), so it is left out here, reading
        # further until the page is full or the history ends.
        wanted = limit
        while True:
            records = await self._ledger.list_orders(user_id, symbol_name, from_order_id, start_ms, end_ms, wanted)
            shown = [r for r in records if r.status is not OrderStatus.REJECTED]
            if len(shown) >= limit or len(records) < wanted or wanted >= _MAX_ORDERS_READ:
                break
            wanted = min(wanted * 2, _MAX_ORDERS_READ)
        newest = from_order_id is None and start_ms is None  # the newest `limit`, oldest first
        shown = shown[-limit:] if newest else shown[:limit]
        return [order_view(symbol, r) for r in shown]

    # -- recovery -----------------------------------------------------------------------------------
    async def redrive_pending(self, older_than_ms: int = 0) -> int:
        """Send orders still PENDING (recorded, not confirmed) to matching again."""
        cutoff = self._clock() - older_than_ms
        pending = [r for r in await self._ledger.pending_orders() if r.created_ms <= cutoff]
        await self._redrive(pending)
        return len(pending)

    async def _redrive(self, records: Sequence[OrderRecord]) -> None:
        """All at once, oldest first (the router pipelines them per shard), so a shard still
        away fails only its own orders: they stay unconfirmed and the next round sends them
        again, while the other shards' go through now. (One at a time, the first failure
        ended the pass: after an outage, orders of a shard already back stayed PENDING, their
        funds locked, until the slowest shard returned.)"""
        ordered = sorted(records, key=lambda r: r.order_id)
        outcomes = await asyncio.gather(*(self._redrive_one(r) for r in ordered), return_exceptions=True)
        failed = [(r, o) for r, o in zip(ordered, outcomes, strict=True) if isinstance(o, BaseException)]
        for record, _ in failed:
            self._unconfirmed[record.order_id] = record
        if len(ordered) > len(failed):
            log.info("re-drove %d pending orders", len(ordered) - len(failed))
        if failed:
            error = failed[0][1]
            expected = isinstance(error, _OUTAGES)
            log.log(
                logging.WARNING if expected else logging.ERROR,
                "re-driving %d pending orders failed, retried next round: %r", len(failed), error,
                exc_info=None if expected else error,
            )

    async def _redrive_one(self, record: OrderRecord) -> None:
        command = matching_pb2.Command(symbol=record.symbol, submit=submit_command(record))
        result = await self._router.execute(command, self._matching_timeout_s)
        if result.HasField("error") and result.error.code:
            if grpc_code(result.error) is grpc.StatusCode.UNAVAILABLE:  # its shard's journal is away
                raise MatchingUnavailable(f"order {record.order_id}: {result.error.message}")
            log.info("order %s was already journaled (%s)", record.order_id, result.error.message)
        self._unconfirmed.pop(record.order_id, None)

    async def redrive_forever(self, every_s: float = 1.0, sweep_every: int = 10) -> None:
        """While running: orders whose matching call failed are re-driven as soon as matching
        answers again, and a periodic sweep catches any PENDING order older than
        REDRIVE_AFTER_MS, so funds are never left locked until the next restart."""
        rounds = 0
        while True:
            await asyncio.sleep(every_s)
            rounds += 1
            await _surviving(self._redrive(list(self._unconfirmed.values())))
            if rounds % sweep_every == 0:  # on its own: a failed fast path must not skip it
                await _surviving(self.redrive_pending(older_than_ms=REDRIVE_AFTER_MS))

    # -- plumbing -----------------------------------------------------------------------------------
    async def _execute(
        self, command: matching_pb2.Command, timings: dict[str, int] | None = None
    ) -> tuple[list[Event], int]:
        sent = time.perf_counter_ns()
        try:
            result = await self._router.execute(command, self._matching_timeout_s)
        except MatchingUnavailable as exc:
            raise OutcomeUnknown(str(exc)) from exc
        except TimeoutError as exc:
            raise OutcomeUnknown(f"matching did not answer within {self._matching_timeout_s}s") from exc
        answered = time.perf_counter_ns()
        if result.HasField("error") and result.error.code:
            raise OutcomeUnknown(result.error.message)
        events = [event_tuple(e) for e in result.events]
        transact_ms = result.events[0].time if result.events else self._clock()
        trades = [e for e in events if e.kind == EventKind.TRADE]
        if trades:
            self.last_price[command.symbol] = trades[-1].price
        if events and not await self._settlement.wait(command.symbol, events[-1].seq, self._settle_timeout_s):
            log.warning("settlement of %s seq %d is late; answering anyway", command.symbol, events[-1].seq)
        if timings is not None:
            shard = result.timings
            timings.update(
                route_us=(answered - sent) // 1000,
                queued_us=shard.queued_us,
                journal_us=shard.journal_us,
                match_us=shard.match_us,
                publish_us=shard.publish_us,
                settle_us=(time.perf_counter_ns() - answered) // 1000,
            )
        return events, transact_ms

    def _symbol(self, name: str) -> Symbol:
        if not name:
            raise errors.mandatory_missing("symbol")
        symbol = self._symbols.get(name)
        if symbol is None:
            raise errors.invalid_symbol()
        return symbol

    async def _find(
        self, user_id: int, symbol_name: str, order_id: int | None, orig_client_order_id: str | None
    ) -> OrderRecord | None:
        if order_id is None and not orig_client_order_id:
            raise errors.one_of_missing("orderId", "origClientOrderId")
        if order_id is not None:
            record = await self._ledger.get_order(symbol_name, order_id)
            if record is not None and orig_client_order_id and record.client_order_id != orig_client_order_id:
                record = None
        else:
            assert orig_client_order_id is not None
            record = await self._ledger.get_order_by_client_id(user_id, symbol_name, orig_client_order_id)
        if record is None or record.user_id != user_id:
            return None  # someone else's order is as unknown as one that does not exist
        return record

    async def _find_open(
        self, user_id: int, symbol_name: str, order_id: int | None, orig_client_order_id: str | None
    ) -> OrderRecord:
        record = await self._find(user_id, symbol_name, order_id, orig_client_order_id)
        if record is None or record.phase is OrderPhase.DONE or record.status in (
            OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.EXPIRED, OrderStatus.EXPIRED_IN_MATCH,
            OrderStatus.REJECTED,
        ):
            raise errors.unknown_order()
        return record


# What an outage of matching or the ledger raises: the next re-drive round tries again.
_OUTAGES = (MatchingUnavailable, Unavailable, OSError, TimeoutError)


async def _surviving(work: Awaitable[Any]) -> None:
    """One round of the re-drive loop, which is what unlocks the funds of orders left PENDING:
    it must outlive whatever a round runs into (it once died of a ledger outage for good)."""
    try:
        await work
    except _OUTAGES as exc:
        log.warning("re-driving pending orders failed: %s", exc)
    except Exception:
        log.exception("re-driving pending orders failed")
