"""The exchange's invariants, checked against what the stores and the books hold.

Pure: `tradectl audit` (and the tests) gather the facts through the ports and gRPC, then
`find_violations` judges them. Each violation is one sentence a person can act on.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from engine_ext.events import OrderState
from services.common.records import Balance, OrderPhase, OrderRecord


@dataclass(frozen=True, slots=True)
class BookFacts:
    symbol: str
    seq: int  # the book's last event seq
    settled_seq: int  # trade processing's watermark for the symbol
    resting: Sequence[OrderState]
    stops: Sequence[OrderState]  # pending stops


@dataclass(frozen=True, slots=True)
class LedgerFacts:
    balances: Mapping[int, Sequence[Balance]]  # user -> balances
    net_deposits: Mapping[str, int]  # asset -> deposits - withdrawals
    unfinished_orders: Sequence[OrderRecord]  # every order not in phase DONE
    # the ledger's records of orders the books hold but `unfinished_orders` lacks (None: no record),
    # read after the snapshot to say what the ledger believes of them
    finished_in_book: Mapping[int, OrderRecord | None] = field(default_factory=dict)


def find_violations(ledger: LedgerFacts, books: Sequence[BookFacts]) -> list[str]:
    problems: list[str] = []
    problems += _negative_balances(ledger)
    problems += _conservation(ledger)
    problems += _locked_matches_reservations(ledger)
    for book in books:
        problems += _book_consistency(book, ledger)
    return problems


def _negative_balances(ledger: LedgerFacts) -> list[str]:
    return [
        f"user {user} {b.asset}: negative balance (available {b.available}, locked {b.locked})"
        for user, balances in ledger.balances.items()
        for b in balances
        if b.available < 0 or b.locked < 0
    ]


def _conservation(ledger: LedgerFacts) -> list[str]:
    held: dict[str, int] = defaultdict(int)
    for balances in ledger.balances.values():
        for b in balances:
            held[b.asset] += b.available + b.locked
    return [
        f"{asset}: deposits - withdrawals = {ledger.net_deposits.get(asset, 0)} but balances + fees hold {held[asset]}"
        for asset in sorted(set(held) | set(ledger.net_deposits))
        if held[asset] != ledger.net_deposits.get(asset, 0)
    ]


def _locked_matches_reservations(ledger: LedgerFacts) -> list[str]:
    reserved: dict[tuple[int, str], int] = defaultdict(int)
    for order in ledger.unfinished_orders:
        reserved[(order.user_id, order.reserved_asset)] += order.reserved
    problems = []
    for user, balances in ledger.balances.items():
        for b in balances:
            expected = reserved.pop((user, b.asset), 0)
            if b.locked != expected:
                problems.append(f"user {user} {b.asset}: locked {b.locked} but open orders reserve {expected}")
    problems += [
        f"user {user} {asset}: open orders reserve {amount} but there is no balance row"
        for (user, asset), amount in reserved.items()
        if amount
    ]
    return problems


def _book_consistency(book: BookFacts, ledger: LedgerFacts) -> list[str]:
    problems = []
    if book.settled_seq != book.seq:
        problems.append(f"{book.symbol}: settlement is at seq {book.settled_seq}, the book at {book.seq}")
        return problems  # the rest compares states that are only equal once settled

    bids = [o.price for o in book.resting if o.side == 0]
    asks = [o.price for o in book.resting if o.side == 1]
    if bids and asks and max(bids) >= min(asks):
        problems.append(f"{book.symbol}: crossed book (bid {max(bids)} >= ask {min(asks)})")

    in_book = {o.order_id: o for o in [*book.resting, *book.stops]}
    live = {o.order_id: o for o in ledger.unfinished_orders if o.symbol == book.symbol}
    for order_id, record in live.items():
        state = in_book.get(order_id)
        if record.phase is OrderPhase.PENDING:
            problems.append(f"{book.symbol} order {order_id}: still PENDING after settlement caught up")
        elif state is None:
            problems.append(f"{book.symbol} order {order_id}: open in the ledger but not in the book")
        elif state.filled_qty != record.filled:
            problems.append(
                f"{book.symbol} order {order_id}: filled {record.filled} in the ledger, {state.filled_qty} in the book"
            )
    problems += [
        f"{book.symbol} order {order_id}: in the book (filled {in_book[order_id].filled_qty}) but not open in the "
        f"ledger ({_ledger_state(ledger.finished_in_book.get(order_id))})"
        for order_id in sorted(in_book.keys() - live.keys())
    ]
    return problems


def in_book_not_open(ledger: LedgerFacts, books: Sequence[BookFacts]) -> list[tuple[str, int]]:
    """(symbol, order id) of every order a book holds that the ledger has not as unfinished."""
    live = {(o.symbol, o.order_id) for o in ledger.unfinished_orders}
    return sorted(
        (book.symbol, o.order_id)
        for book in books
        for o in (*book.resting, *book.stops)
        if (book.symbol, o.order_id) not in live
    )


def _ledger_state(record: OrderRecord | None) -> str:
    if record is None:
        return "no record of it"
    return f"{record.status.name}, phase {record.phase.name}, filled {record.filled}"
