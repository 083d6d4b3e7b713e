"""The small interfaces every backend implements: embedded (default) and Redis/Kafka/DynamoDB.

Domain code and servicers depend on these Protocols only; `services/common/adapters/<backend>/`
holds the implementations and `services/common/backends.py` picks them from configuration.
Every method that returns has made its effect durable: a crash right after loses nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Protocol

from services.common.records import Balance, OrderRecord, Settlement, TradeRecord


class Unavailable(Exception):
    """The backend cannot be reached; the operation did not happen (or is safe to retry)."""


# -- logs: the matching journal and the engine event stream (Kafka topics) ------------------


@dataclass(frozen=True, slots=True)
class LogRecord:
    offset: int
    payload: bytes


class Log(Protocol):
    """Partitioned append-only logs. One writer per partition (the matching shard)."""

    async def append(self, topic: str, partition: int, payloads: Sequence[bytes]) -> int:
        """Append in order, durably (fsync / acks=all); return the offset of the first one."""

    async def read(self, topic: str, partition: int, from_offset: int, limit: int) -> list[LogRecord]:
        """Records with offset >= from_offset, oldest first; empty when there are none yet.

        Offsets may skip a gap (an offset counted without a record: see KafkaLog.read)."""

    async def end_offset(self, topic: str, partition: int) -> int:
        """The offset the next append will get (0 for an empty partition)."""

    async def close(self) -> None: ...


class SnapshotStore(Protocol):
    """Book snapshots with the journal offset they correspond to (Redis in production)."""

    async def save(self, symbol: str, journal_offset: int, data: bytes) -> None: ...

    async def load(self, symbol: str) -> tuple[int, bytes] | None: ...


# -- the ledger: balances, orders, trades (DynamoDB tables) ---------------------------------


class PlaceOutcome(Enum):
    PLACED = "placed"
    DUPLICATE = "duplicate"  # an unfinished order has (user, symbol, client order id): it is returned
    INSUFFICIENT_FUNDS = "insufficient_funds"
    TOO_MANY_ORDERS = "too_many_orders"  # the user's open orders on the symbol are at the limit
    TOO_MANY_ALGO_ORDERS = "too_many_algo_orders"  # the same for stop orders


@dataclass(frozen=True, slots=True)
class OpenOrderLimits:
    """The symbol's MAX_NUM_ORDERS and, for a stop order, MAX_NUM_ALGO_ORDERS, for `place_order`
    to enforce in the same step as the reservation (0: no limit). Counted beforehand, orders sent
    together would each see room for themselves."""

    orders: int
    algo_orders: int = 0

    def refusal(self, open_orders: int, open_stops: int) -> PlaceOutcome | None:
        """What placing one more order would break, given the user's unfinished orders on the
        symbol and the stop orders among them; MAX_NUM_ORDERS is checked first."""
        if self.orders and open_orders >= self.orders:
            return PlaceOutcome.TOO_MANY_ORDERS
        if self.algo_orders and open_stops >= self.algo_orders:
            return PlaceOutcome.TOO_MANY_ALGO_ORDERS
        return None


class Ledger(Protocol):
    async def deposit(self, tx_id: str, user_id: int, asset: str, amount: int) -> bool:
        """Credit available funds once per tx_id; False if tx_id was already applied. Raises
        SupplyExceeded (changing nothing) past the asset's LARGEST_SUPPLY."""

    async def withdraw(self, tx_id: str, user_id: int, asset: str, amount: int) -> bool:
        """Debit available funds once per tx_id; raises InsufficientFunds, False if seen."""

    async def balances(self, user_id: int) -> list[Balance]: ...

    async def all_balances(self) -> dict[int, list[Balance]]:
        """Every user's balances (audit)."""

    async def net_deposits(self) -> dict[str, int]:
        """Per asset: all deposits minus all withdrawals (audit)."""

    async def audit_snapshot(self) -> tuple[dict[int, list[Balance]], dict[str, int], list[OrderRecord]]:
        """Every balance, net deposits per asset and every unfinished order, read at one instant."""

    async def allocate_order_ids(self, count: int) -> range:
        """Globally unique, increasing order ids."""

    async def place_order(
        self, order: OrderRecord, limits: OpenOrderLimits | None = None
    ) -> tuple[PlaceOutcome, OrderRecord]:
        """Atomically: dedupe (user, symbol, client_order_id) among unfinished orders (as
        Binance: a finished order's id may be used again), check `limits` against the user's
        unfinished orders on the symbol (all of them; stop types for `algo_orders`), move
        `order.reserved` of `order.reserved_asset` from available to locked (never below zero),
        store the order; the first check that fails is the outcome. The same order placed again
        (its order id already stored under its client order id: a write retried because its
        answer was lost) is PLACED, once, and not its own DUPLICATE."""

    async def get_order(self, symbol: str, order_id: int) -> OrderRecord | None: ...

    async def get_order_by_client_id(self, user_id: int, symbol: str, client_order_id: str) -> OrderRecord | None:
        """The newest order with that client order id."""

    async def get_orders(self, symbol: str, order_ids: Sequence[int]) -> dict[int, OrderRecord]: ...

    async def open_orders(self, user_id: int, symbol: str | None) -> list[OrderRecord]: ...

    async def open_order_counts(self, user_id: int, symbol: str) -> tuple[int, int]:
        """(open orders, of which stop orders) of the user on the symbol: the MAX_NUM_ORDERS and
        MAX_NUM_ALGO_ORDERS filters need the counts on every order, not the records."""

    async def pending_orders(self) -> list[OrderRecord]:
        """Orders still in PENDING phase (recovery after an order-service crash)."""

    async def list_orders(
        self, user_id: int, symbol: str, from_order_id: int | None, start_ms: int | None, end_ms: int | None, limit: int
    ) -> list[OrderRecord]: ...

    async def settled_seq(self, symbol: str) -> int:
        """The last engine event seq applied for the symbol (0 if none)."""

    async def apply_settlement(self, settlement: Settlement) -> bool:
        """Apply atomically iff the symbol's watermark is settlement.from_seq - 1; False if it
        was already applied (watermark >= to_seq). Any other watermark is a bug: raise."""

    async def list_trades(
        self, user_id: int, symbol: str, order_id: int | None, from_id: int | None,
        start_ms: int | None, end_ms: int | None, limit: int,
    ) -> list[TradeRecord]: ...

    async def pin_units(self, units: Mapping[str, str]) -> dict[str, str]:
        """Record each name's unit the first time a process names it (the units stored amounts
        count: an asset's smallest unit, a pair's tick and step); return the stored unit of
        every name whose stored unit differs from the one given (those are left as they are)."""

    async def close(self) -> None: ...


class SupplyExceeded(Exception):
    """A deposit that would take its asset's net deposits past LARGEST_SUPPLY."""


# Every balance of an asset is at most its net deposits (conservation), so capping those keeps
# each balance, and the sum of any two (a settlement's credit), inside a signed 64-bit integer:
# the stores keep them exactly (SQLite turned an overflowing sum into a float).
LARGEST_SUPPLY = 2**62


class InsufficientFunds(Exception):
    pass


# -- users and API keys --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UserRecord:
    user_id: int
    email: str
    password_hash: str
    created_ms: int
    is_admin: bool = False


@dataclass(frozen=True, slots=True)
class ApiKeyRecord:
    api_key: str
    user_id: int
    secret_ciphertext: bytes  # HMAC needs the secret itself, so it is encrypted, not hashed
    label: str
    permissions: tuple[str, ...]  # e.g. ("SPOT",)
    created_ms: int
    revoked: bool = False


@dataclass(frozen=True, slots=True)
class ListenKeyRecord:
    """A user's user-data-stream key (Binance's listenKey) and when it stops being valid."""

    listen_key: str
    expires_ms: int


class UserStore(Protocol):
    async def create_user(self, email: str, password_hash: str, created_ms: int, is_admin: bool = False) -> UserRecord:
        """Raises AlreadyExists if the email is taken."""

    async def user_by_email(self, email: str) -> UserRecord | None: ...

    async def user_by_id(self, user_id: int) -> UserRecord | None: ...

    async def add_api_key(self, key: ApiKeyRecord) -> None: ...

    async def api_key(self, api_key: str) -> ApiKeyRecord | None: ...

    async def api_keys(self, user_id: int) -> list[ApiKeyRecord]: ...

    async def revoke_api_key(self, user_id: int, api_key: str) -> bool: ...

    async def listen_key(self, user_id: int) -> ListenKeyRecord | None:
        """The user's listenKey as stored, expired or not; None if there is none."""

    async def swap_listen_key(self, user_id: int, expected: str | None, new: ListenKeyRecord | None) -> bool:
        """Store `new` (None: remove the key) iff the stored key is `expected` (None: no key
        stored); False otherwise. Every replica of the user service reads and writes the same
        keys, so two of them creating, extending or closing one user's key at once agree."""

    async def close(self) -> None: ...


class AlreadyExists(Exception):
    pass


# -- engine events as consumers see them ------------------------------------------------------


class EventSource(Protocol):
    """The engine's event stream for consumers (trade processing, market data).

    Embedded: matching's StreamEvents gRPC stream (history from its log, then live).
    Kafka: a consumer of the `engine.events` topic. Batches come per symbol in seq order,
    starting after `after_seq[symbol]` (0 = from the beginning).
    A consumer asks for the next batch only once the previous one's effects are durable, so a
    source that records consumer progress (a Kafka consumer group's committed offsets) records
    it when the next batch is asked for, never earlier.
    """

    def batches(self, after_seq: dict[str, int]) -> AsyncIterator[EventBatch]: ...


@dataclass(frozen=True, slots=True)
class EventBatch:
    symbol: str
    time_ms: int  # when the matching journal accepted the commands
    events: Sequence[tuple[int, ...]]  # engine_ext.events.Event tuples, seq-contiguous


# -- market data views and the market stream fan-out (Redis) --------------------------------


@dataclass(frozen=True, slots=True)
class SeriesUpdate:
    """Entries of a series ordered by an integer key (a time): set some, forget the old ones.
    A series changes in key order, so `upserts` is the whole span from its lowest key to its
    highest: stored entries inside that span and not in `upserts` are gone."""

    upserts: Mapping[int, bytes]
    drop_below: int | None = None  # keys below this are forgotten
    keep: int | None = None  # then only the newest `keep` keys are kept


@dataclass(slots=True)
class ViewUpdate:
    """One symbol's stored views brought to `seq`. Applied atomically, so what is stored is
    always the views at one seq. Keys are integers (prices, times), values opaque bytes."""

    symbol: str
    seq: int
    replace: bool = False  # forget everything stored for the symbol first
    values: dict[str, bytes] = field(default_factory=dict)
    maps: dict[str, dict[int, bytes | None]] = field(default_factory=dict)  # None deletes the key
    lists: dict[str, tuple[Sequence[bytes], int]] = field(default_factory=dict)  # (appended, keep newest n)
    series: dict[str, SeriesUpdate] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ViewLayout:
    """The names a symbol's views are stored under, by kind (what `read` fetches)."""

    values: tuple[str, ...] = ()
    maps: tuple[str, ...] = ()
    lists: tuple[str, ...] = ()
    series: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class StoredViews:
    seq: int
    values: dict[str, bytes]
    maps: dict[str, dict[int, bytes]]
    lists: dict[str, list[bytes]]  # oldest first
    series: dict[str, list[tuple[int, bytes]]]  # ascending keys


class MarketViewStore(Protocol):
    """Market data's views where a restarted process finds them (Redis in production)."""

    async def write(self, updates: Sequence[ViewUpdate]) -> None:
        """Every update, in one round trip; each symbol's atomically."""

    async def read(self, symbol: str, layout: ViewLayout) -> StoredViews | None:
        """The symbol's views at one seq (read atomically); None if nothing is stored."""

    async def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class StreamDemand:
    """An edge replica has subscribed to `stream` and waits for market data to confirm it."""

    stream: str
    token: str  # echoed with the confirmation, so that only the asking replica takes it


class StreamPublisher(Protocol):
    """Market data's side of the fan-out of market streams to edge replicas."""

    def demands(self) -> AsyncIterator[StreamDemand]:
        """Streams replicas start to use, as they ask (raises Unavailable on an outage)."""

    async def confirm(self, demand: StreamDemand, current: Sequence[bytes] | None) -> None:
        """The stream is live; `current` is its state now (what a new subscriber gets first),
        None if there is no such stream."""

    async def publish(self, messages: Sequence[tuple[str, bytes]]) -> None:
        """(stream, payload) in order, to every replica subscribed to the stream."""

    async def listeners(self, streams: Sequence[str]) -> dict[str, int]:
        """How many replicas are subscribed to each stream."""

    async def in_use(self) -> list[str]:
        """The streams some replica is subscribed to now (what a restarted market data serves
        without being asked again)."""

    async def close(self) -> None: ...


class StreamSubscription(Protocol):
    async def ready(self) -> list[bytes]:
        """Once market data has confirmed the stream: its current state. Raises LookupError
        for a stream market data does not have, Unavailable on an outage."""

    def messages(self) -> AsyncIterator[bytes]:
        """The stream's payloads after the confirmation; raises Unavailable when the
        subscription is lost (what was published meanwhile is lost with it)."""

    def close(self) -> None: ...


class StreamSubscriber(Protocol):
    """An edge replica's side: one subscription per stream in use."""

    def open(self, stream: str) -> StreamSubscription: ...

    async def close(self) -> None: ...
