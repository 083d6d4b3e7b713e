"""TradeProcessingService over gRPC: account, trade history, settlement progress."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Collection, Mapping
from typing import Any

import grpc

from exchange.v1 import common_pb2, tradeproc_pb2, tradeproc_pb2_grpc
from services.common.caller import caller_user_id
from services.common.grpcutil.errors import ServiceError
from services.common.markets import Asset, Symbol
from services.common.ports import Ledger
from services.common.records import TradeRecord
from services.order.domain import MAX_LOOKUP_INTERVAL_MS
from services.order.responses import format_price, format_qty
from services.tradeproc.fees import FeeSchedule, rate_text
from services.tradeproc.settlement_loop import Applied, SettlementLoop
from services.tradeproc.user_events import user_event
from services.tradeproc.user_stream import account_position, changed_balances, execution_reports

log = logging.getLogger(__name__)

MAX_TRADES = 1000
# Per user-event stream (one per edge replica): beyond this, its events are dropped, logged.
MAX_QUEUED_USER_EVENTS = 10_000
DEFAULT_TRADES = 500


class TradeProcessingServicer(tradeproc_pb2_grpc.TradeProcessingServiceServicer):
    def __init__(
        self,
        symbols: Mapping[str, Symbol],
        assets: Mapping[str, Asset],
        ledger: Ledger,
        loop: SettlementLoop,
        fees: FeeSchedule,
    ) -> None:
        self._symbols = symbols
        self._assets = assets
        self._ledger = ledger
        self._loop = loop
        self._fees = fees
        self._published_listeners: set[asyncio.Queue[Applied | tradeproc_pb2.UserEvent]] = set()

    async def GetAccount(self, request: tradeproc_pb2.GetAccountRequest, context: Any) -> tradeproc_pb2.Account:
        user_id = caller_user_id(context)
        balances = {b.asset: b for b in await self._ledger.balances(user_id)}
        updated_ms = max((b.updated_ms for b in balances.values()), default=0)
        lines = []
        for name, asset in sorted(self._assets.items()):
            b = balances.get(name)
            free, locked = (b.available, b.locked) if b else (0, 0)
            if request.omit_zero_balances and free == 0 and locked == 0:
                continue
            lines.append(common_pb2.Balance(asset=name, free=asset.format(free), locked=asset.format(locked)))
        maker, taker = self._fees.maker_ppm, self._fees.taker_ppm
        return tradeproc_pb2.Account(
            maker_commission=maker // 100,  # Binance's legacy integers are basis points
            taker_commission=taker // 100,
            commission_rates=self._commission_rates(),
            can_trade=True,
            can_withdraw=True,
            can_deposit=True,
            update_time=updated_ms,
            account_type="SPOT",
            balances=lines,
            permissions=["SPOT"],
            uid=user_id,
        )

    async def GetCommission(
        self, request: tradeproc_pb2.GetCommissionRequest, context: Any
    ) -> tradeproc_pb2.AccountCommission:
        caller_user_id(context)  # a signed call: every account pays the schedule's rates
        if not request.symbol:
            raise ServiceError("MANDATORY_PARAMETER_MISSING", "symbol", metadata={"param": "symbol"})
        if request.symbol not in self._symbols:
            raise ServiceError("INVALID_SYMBOL")
        none = rate_text(0)
        zero = common_pb2.CommissionRates(maker=none, taker=none, buyer=none, seller=none)
        return tradeproc_pb2.AccountCommission(
            symbol=request.symbol,
            standard_commission=self._commission_rates(),
            special_commission=zero,
            tax_commission=zero,
            discount=tradeproc_pb2.CommissionDiscount(discount=none),
        )

    async def GetTradeFees(
        self, request: tradeproc_pb2.GetTradeFeesRequest, context: Any
    ) -> tradeproc_pb2.GetTradeFeesResponse:
        caller_user_id(context)  # a signed call, as GetCommission
        if request.symbol and request.symbol not in self._symbols:
            raise ServiceError("INVALID_SYMBOL")
        rates = self._fees.rates_text()
        names = [request.symbol] if request.symbol else list(self._symbols)
        return tradeproc_pb2.GetTradeFeesResponse(fees=[
            tradeproc_pb2.TradeFee(symbol=name, maker_commission=rates["maker"], taker_commission=rates["taker"])
            for name in names
        ])

    def _commission_rates(self) -> common_pb2.CommissionRates:
        none = rate_text(0)
        return common_pb2.CommissionRates(**self._fees.rates_text(), buyer=none, seller=none)

    async def ListTrades(
        self, request: tradeproc_pb2.ListTradesRequest, context: Any
    ) -> tradeproc_pb2.ListTradesResponse:
        user_id = caller_user_id(context)
        if not request.symbol:
            raise ServiceError("MANDATORY_PARAMETER_MISSING", "symbol", metadata={"param": "symbol"})
        symbol = self._symbols.get(request.symbol)
        if symbol is None:
            raise ServiceError("INVALID_SYMBOL")
        limit = request.limit if request.HasField("limit") else DEFAULT_TRADES
        if not 1 <= limit <= MAX_TRADES:
            raise ServiceError("ILLEGAL_PARAMETER", "limit", f"1-{MAX_TRADES}", metadata={"param": "limit"})
        timed = request.HasField("start_time") or request.HasField("end_time")
        if timed and (request.HasField("from_id") or request.HasField("order_id")):
            # Binance takes orderId (with or without fromId), fromId, or a time range
            raise ServiceError("INVALID_PARAMETER_COMBINATION")
        if (
            request.HasField("start_time")
            and request.HasField("end_time")
            and request.end_time - request.start_time > MAX_LOOKUP_INTERVAL_MS
        ):
            raise ServiceError("LOOKUP_INTERVAL_TOO_BIG", str(MAX_LOOKUP_INTERVAL_MS // 3_600_000))
        trades = await self._ledger.list_trades(
            user_id,
            request.symbol,
            request.order_id if request.HasField("order_id") else None,
            request.from_id if request.HasField("from_id") else None,
            request.start_time if request.HasField("start_time") else None,
            request.end_time if request.HasField("end_time") else None,
            limit,
        )
        return tradeproc_pb2.ListTradesResponse(trades=[self._trade(symbol, t) for t in trades])

    def _trade(self, symbol: Symbol, trade: TradeRecord) -> common_pb2.AccountTrade:
        return common_pb2.AccountTrade(
            symbol=trade.symbol,
            id=trade.trade_id,
            order_id=trade.order_id,
            order_list_id=-1,
            price=format_price(symbol, trade.price),
            qty=format_qty(symbol, trade.qty),
            quote_qty=symbol.quote.format(trade.quote_qty),
            commission=self._assets[trade.commission_asset].format(trade.commission),
            commission_asset=trade.commission_asset,
            time=trade.time_ms,
            is_buyer=trade.is_buyer,
            is_maker=trade.is_maker,
            is_best_match=True,
        )

    async def StreamUserEvents(
        self, request: tradeproc_pb2.StreamUserEventsRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[tradeproc_pb2.UserEvent]:
        wanted = set(request.user_ids)
        # settlements applied here, and the transfers other services publish (PublishUserEvents)
        queue: asyncio.Queue[Applied | tradeproc_pb2.UserEvent] = asyncio.Queue(maxsize=MAX_QUEUED_USER_EVENTS)
        try:
            self._loop.listen(queue)
            self._published_listeners.add(queue)
            # headers now, not with the first event: they tell the edge the stream is registered,
            # so no event of a socket it has just acknowledged can be missed
            await context.send_initial_metadata(())
            while True:
                item = await queue.get()
                if isinstance(item, tradeproc_pb2.UserEvent):
                    if not wanted or item.user_id in wanted:
                        yield item
                        # the asset's balance as it is now, as for a settlement below: a figure
                        # read when the transfer was applied could be older than one already sent
                        yield await self._position(item.user_id, {item.balance_update.asset}, item.event_time)
                    continue
                batch = item.batch
                symbol = self._symbols[batch.symbol]
                reports = execution_reports(symbol, batch.events, item.orders_before, batch.time_ms, self._fees)
                for user_id, payload in reports:
                    if not wanted or user_id in wanted:
                        yield user_event(user_id, payload)
                changed = changed_balances(item.settlement, batch.events, item.orders_before)
                for user_id, assets in changed.items():
                    if not wanted or user_id in wanted:
                        yield await self._position(user_id, assets, batch.time_ms)
        finally:
            self._loop.unlisten(queue)
            self._published_listeners.discard(queue)

    async def _position(self, user_id: int, assets: Collection[str], time_ms: int) -> tradeproc_pb2.UserEvent:
        balances = [b for b in await self._ledger.balances(user_id) if b.asset in assets]
        return user_event(user_id, account_position(balances, self._assets, time_ms))

    async def PublishUserEvents(
        self, request: tradeproc_pb2.PublishUserEventsRequest, context: Any
    ) -> tradeproc_pb2.PublishUserEventsResponse:
        # balanceUpdates only: the rest of the stream is this service's to say
        for event in request.events:
            if event.WhichOneof("payload") != "balance_update" or event.balance_update.asset not in self._assets:
                raise ServiceError("ILLEGAL_PARAMETER", "events", "balance_update events of listed assets")
        for queue in self._published_listeners:
            for event in request.events:
                try:
                    queue.put_nowait(event)
                except asyncio.QueueFull:  # at most once, like Binance's stream
                    log.warning("user event listener is behind; dropping a published event for it")
        return tradeproc_pb2.PublishUserEventsResponse()

    async def WatchSettlement(
        self, request: tradeproc_pb2.WatchSettlementRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[tradeproc_pb2.SettlementProgress]:
        wanted = set(request.symbols)
        queue = await self._loop.watch()
        try:
            while True:
                progress = await queue.get()
                while not queue.empty():  # coalesce: only the newest seq per symbol matters
                    progress = {**progress, **queue.get_nowait()}
                if wanted:
                    progress = {s: seq for s, seq in progress.items() if s in wanted}
                if progress:
                    yield tradeproc_pb2.SettlementProgress(settled_seq=progress)
        finally:
            self._loop.unwatch(queue)
