"""DELETE openOrders: every open order of the symbol is canceled, and only an order that finished
on its own meanwhile may be missing from the answer; with nothing to cancel, -2011 as on
Binance."""

from __future__ import annotations

from typing import Any

import pytest

from services.common.catalog import DEMO_SYMBOLS
from services.order import errors
from services.order.desk import OrderDesk, OutcomeUnknown
from services.tradeproc.fees import FeeSchedule
from tests.contract.builders import SYMBOL, an_order


class _Ledger:
    def __init__(self, open_ids: list[int]) -> None:
        self._open = [an_order(order_id) for order_id in open_ids]

    async def open_orders(self, user_id: int, symbol: str | None) -> list[Any]:
        return self._open


def _desk(outcomes: dict[int, Exception | None], open_ids: list[int] | None = None) -> OrderDesk:
    symbols = {s.name: s for s in DEMO_SYMBOLS}
    ledger = _Ledger([1, 2, 3] if open_ids is None else open_ids)
    desk = OrderDesk(symbols, ledger, None, None, FeeSchedule(0, 0))  # type: ignore[arg-type]

    async def cancel(
        user_id: int, symbol: str, order_id: int | None, client_order_id: str | None, new_id: str | None = None
    ) -> dict[str, Any]:
        failure = outcomes.get(order_id or 0)
        if failure is not None:
            raise failure
        return {"orderId": order_id, "status": "CANCELED"}

    desk.cancel = cancel  # type: ignore[method-assign,assignment]
    return desk


async def test_an_order_that_finished_meanwhile_is_left_out() -> None:
    canceled = await _desk({2: errors.unknown_order()}).cancel_all(7, SYMBOL)
    assert [c["orderId"] for c in canceled] == [1, 3]


async def test_a_cancel_whose_outcome_is_unknown_fails_the_whole_request() -> None:
    # answering 200 with the others would tell the trader everything is canceled
    with pytest.raises(OutcomeUnknown):
        await _desk({2: OutcomeUnknown("matching did not answer")}).cancel_all(7, SYMBOL)


@pytest.mark.parametrize(("open_ids", "outcomes"), [([], {}), ([2], {2: errors.unknown_order()})])
async def test_nothing_to_cancel_is_binances_unknown_order(open_ids: list[int], outcomes: dict[int, Exception]) -> None:
    with pytest.raises(errors.OrderRejected) as refused:
        await _desk(outcomes, open_ids).cancel_all(7, SYMBOL)
    assert refused.value.reason == "UNKNOWN_ORDER"
