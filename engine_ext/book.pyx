"""The compiled order book: one symbol, integers only, deterministic (contract: docs/engine.md).

The data structures are chosen so that a command touches a handful of cache lines and
allocates nothing:

- Order pool. Every live order (resting, pending stop, or the taker being matched) is one
  64-byte ``Order`` struct in a contiguous array, addressed by an int32 slot. Free slots form
  a list threaded through ``Order.next``. The array doubles when full; everything refers to
  slots rather than pointers, so moving it is safe.
- Price levels. ``Level`` structs live in a pool of their own and are found by (side, price)
  through a hash index, so resting and cancelling never search. Per side, a ladder (an array
  of level slots) keeps the price order with the best level last: order flow concentrates at
  the top of the book, so opening or closing a level moves only the few int32 slots between
  it and the best, and a taker consumes levels from the end. Bid ladders ascend by price and
  ask ladders descend, so one search over ``key = price`` (bids) or ``-price`` (asks) places a
  new level on either side. A level's orders are an intrusive FIFO: ``head``/``tail`` in the
  level, ``prev``/``next`` in each order.
- Hash indexes (order_id -> order slot, (price, side) -> level slot): open addressing with
  linear probing (Fibonacci hashing) and deletion by backward shift, so that no tombstones
  accumulate; load stays <= 1/2.
- Pending stops. An array in placement order: the cascade takes the earliest stop whose
  condition holds. Stops are few, and the linear scan is the contract's rule, word for word.
- Events. One growable array of packed ``EventRecord`` (the EVENT_DTYPE layout). A command
  appends to it; the per-call API exposes the last command's slice, and the batch API hands
  the whole run to NumPy at the end (the buffer becomes the array's memory: no copy). With
  ``apply_batch(commands, out=array)`` the run is written straight into the caller's array
  instead (borrowed for the call; ``ev_borrowed``), so a loop that reuses one warm buffer
  allocates and page-faults nothing; a run that outgrows it moves on into a fresh buffer.

Each command core (``submit_c``...) is ``noexcept nogil``, so the batch loop runs without the
GIL and the per-call methods are a thin argument conversion around the same code. The cores
return -1 only when memory ran out, and storage is reserved before a command changes
anything, so the book is always left consistent.
"""

cimport cython
from cpython.buffer cimport (PyBUF_C_CONTIGUOUS, PyBUF_FORMAT, PyBUF_WRITABLE, PyBuffer_Release,
                             PyObject_GetBuffer)
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize
from libc.stdint cimport INT64_MAX, int32_t, int64_t, uint8_t, uint64_t
from libc.stdlib cimport free, malloc, realloc
from libc.string cimport memcpy, memmove, memset

import hashlib
import sys

import numpy as np

from engine_ext.events import COMMAND_DTYPE, EVENT_DTYPE, Event, OrderState

if sys.byteorder != "little":
    raise ImportError("engine_ext.book writes the little-endian snapshot and record layouts natively")


cdef extern from *:
    """
    #define SPOTEX_MAX_VALUE ((int64_t)1 << 62)
    #define SPOTEX_FIB_HASH 0x9E3779B97F4A7C15ULL
    static inline int spotex_mul_overflows(int64_t a, int64_t b) {
        int64_t product;
        return __builtin_mul_overflow(a, b, &product);
    }
    """
    const int64_t MAX_VALUE "SPOTEX_MAX_VALUE"
    const uint64_t FIB_HASH "SPOTEX_FIB_HASH"
    # one multiply and a flag test, where `a > INT64_MAX // b` would cost a division
    bint mul_overflows "spotex_mul_overflows"(int64_t a, int64_t b) noexcept nogil

cdef extern from *:
    """
    #include <stdlib.h>
    #include <string.h>
    /* Out of line and cold: emit() inlines grow_events(), and must stay as small as it was. */
    static __attribute__((noinline, cold)) void* spotex_copy_to_new(const void* data, size_t used,
                                                                   size_t capacity) {
        void* grown = malloc(capacity);
        if (grown != NULL && used != 0)
            memcpy(grown, data, used);
        return grown;
    }
    """
    # malloc(capacity) holding a copy of data[:used]; NULL when memory ran out
    void* copy_to_new "spotex_copy_to_new"(const void* data, size_t used, size_t capacity) noexcept nogil


# The values of engine_ext/codes.py, for C code.
cdef enum:
    BUY = 0
    SELL = 1

cdef enum:
    LIMIT = 0
    MARKET = 1
    LIMIT_MAKER = 2
    STOP_LOSS = 3
    STOP_LOSS_LIMIT = 4
    TAKE_PROFIT = 5
    TAKE_PROFIT_LIMIT = 6

cdef enum:
    GTC = 0
    IOC = 1
    FOK = 2

cdef enum:
    STP_NONE = 0
    EXPIRE_TAKER = 1
    EXPIRE_MAKER = 2
    EXPIRE_BOTH = 3

cdef enum:
    ACCEPTED = 0
    REJECTED = 1
    TRADE = 2
    ORDER = 3
    LEVEL = 4
    AMENDED = 5
    TRIGGERED = 6

cdef enum:
    PARTIALLY_FILLED = 1
    FILLED = 2
    CANCELED = 3
    EXPIRED = 4
    EXPIRED_IN_MATCH = 5

cdef enum:
    INVALID_QUANTITY = 1
    INVALID_PRICE = 2
    DUPLICATE_ORDER_ID = 3
    UNKNOWN_ORDER = 4
    WOULD_TAKE = 5
    WOULD_TRIGGER_IMMEDIATELY = 6
    OVERFLOW = 7
    INVALID_ORDER = 8
    INVALID_STOP_PRICE = 9
    NOT_AMENDABLE = 10
    INSUFFICIENT_FUNDS = 11

cdef enum:
    OP_SUBMIT = 0
    OP_CANCEL = 1
    OP_AMEND = 2
    OP_REPLACE = 3
    OP_REDUCE = 4

# Where a pool slot is (Order.place).
cdef enum:
    PLACE_FREE = 0
    PLACE_TAKER = 1
    PLACE_RESTING = 2
    PLACE_PENDING = 3

# Why a taker's walk ended (Taker.end); decides its final status in step 6.
cdef enum:
    WALK_BOOK = 0    # no acceptable liquidity left
    WALK_SIZE = 1    # nothing left to trade (a quote order: the next lot is unaffordable)
    WALK_CAP = 2     # the funds cap is spent
    WALK_STP = 3     # self-trade prevention stopped the taker

cdef enum:
    NO_SLOT = -1
    INITIAL_POOL = 1024
    INITIAL_INDEX = 2048
    INITIAL_LEVELS = 64
    INITIAL_STOPS = 16
    INITIAL_EVENTS = 1024
    REUSED_EVENTS = 1 << 16    # the most event capacity a batch leaves behind (4.7 MB)
    EVENTS_PER_COMMAND = 4     # a batch's first guess (a mixed flow emits about 3 per command)
    MAX_SLOTS = 1 << 30

cdef enum:
    SNAPSHOT_HEADER = 4 + 7 * 8
    SNAPSHOT_HEADER_V1 = 4 + 6 * 8   # OBK1, before trade ids: no trade_id in the header
    SNAPSHOT_RECORD = 7 * 8 + 4 + 4


# -- PURE HELPERS --

cdef inline bint in_range(int64_t v) noexcept nogil:
    return 1 <= v <= MAX_VALUE

cdef inline bint is_stop_type(int64_t order_type) noexcept nogil:
    return order_type >= STOP_LOSS

cdef inline bint is_market_type(int64_t order_type) noexcept nogil:
    return order_type == MARKET or order_type == STOP_LOSS or order_type == TAKE_PROFIT

cdef inline bint has_limit_price(int64_t order_type) noexcept nogil:
    return not is_market_type(order_type)

cdef inline bint reads_tif(int64_t order_type) noexcept nogil:
    # LIMIT_MAKER and the market types accept any TIF value and ignore it.
    return order_type == LIMIT or order_type == STOP_LOSS_LIMIT or order_type == TAKE_PROFIT_LIMIT

cdef inline bint may_rest(int64_t order_type, int64_t tif) noexcept nogil:
    return order_type == LIMIT_MAKER or (reads_tif(order_type) and tif == GTC)

cdef inline bint rests_on_entry(int64_t order_type, int64_t tif) noexcept nogil:
    # The orders whose level is known at SUBMIT and so checked for OVERFLOW there.
    return order_type == LIMIT_MAKER or (order_type == LIMIT and tif == GTC)

cdef inline int64_t level_key(int side, int64_t price) noexcept nogil:
    # Both sides' ladders ascend by key, so the best level is always the last rung.
    return price if side == BUY else -price

cdef inline bint price_acceptable(int taker_side, int64_t limit, int64_t level_price) noexcept nogil:
    return level_price <= limit if taker_side == BUY else level_price >= limit

cdef inline bint stop_triggers(int side, int order_type, int64_t stop_price,
                               int64_t last_price) noexcept nogil:
    if last_price == 0:
        return False  # no trade yet: nothing to compare with (Binance needs a last price too)
    if order_type == STOP_LOSS or order_type == STOP_LOSS_LIMIT:
        return last_price >= stop_price if side == BUY else last_price <= stop_price
    return last_price <= stop_price if side == BUY else last_price >= stop_price

cdef inline int64_t leaves(const Order* o) noexcept nogil:
    return o.orig_qty - o.filled_qty

@cython.cdivision(True)
cdef inline bint on_grid(int64_t value, int64_t step) noexcept nogil:
    # Most symbols trade on a unit grid, and a division costs more than the rest of validation.
    return step == 1 or value % step == 0

cdef inline void init_taker(Taker* t, int32_t slot, const Order* o, int64_t quote_qty,
                            int64_t cap) noexcept nogil:
    t.slot = slot
    t.is_market = is_market_type(o.order_type)
    t.by_quote = quote_qty != 0
    t.has_cap = cap != 0
    t.end = WALK_BOOK
    t.quote_left = quote_qty
    t.cap_left = cap
    t.filled_now = 0


cdef inline int64_t level_index_key(int side, int64_t price) noexcept nogil:
    # price <= 2**62, so the key is unique and never 0 (the empty bucket)
    return <int64_t> ((<uint64_t> price << 1) | <uint64_t> side)


cdef class OrderBook:
    """One symbol's order book. See docs/engine.md for the commands, events and formats."""

    def __cinit__(self, int64_t tick_size=1, int64_t lot_size=1):
        if not in_range(tick_size) or not in_range(lot_size):
            raise ValueError(f"tick_size and lot_size must be in 1..2**62, not {tick_size}, {lot_size}")
        self.tick_size = tick_size
        self.lot_size = lot_size
        self.pool_free = NO_SLOT
        self.level_free = NO_SLOT
        if (self.grow_pool(INITIAL_POOL) < 0 or slot_index_resize(&self.order_index, INITIAL_INDEX) < 0
                or self.grow_level_pool(INITIAL_LEVELS) < 0
                or slot_index_resize(&self.level_index, 2 * INITIAL_LEVELS) < 0
                or self.grow_ladder(BUY, INITIAL_LEVELS) < 0 or self.grow_ladder(SELL, INITIAL_LEVELS) < 0
                or self.grow_stops(INITIAL_STOPS) < 0 or self.grow_events(INITIAL_EVENTS) < 0):
            raise MemoryError()

    def __dealloc__(self):
        free(self.pool)
        slot_index_free(&self.order_index)
        free(self.level_pool)
        slot_index_free(&self.level_index)
        free(self.ladder[BUY])
        free(self.ladder[SELL])
        free(self.stops)
        free(self.events)

    # -- COMMANDS --------------------------------------------------------------------------
    # `def`, not `cpdef`: a cpdef's Python wrapper adds ~30 ns to every call (measured), and C
    # callers have the `_c` cores.

    def submit(self, int64_t order_id, int64_t user_id, int64_t side, int64_t order_type,
               int64_t tif, int64_t price, int64_t qty, int64_t quote_qty=0, int64_t stop_price=0,
               int64_t stp=0, int64_t cap=0):
        """Place an order; returns the number of events (read them with last_events())."""
        self.begin_call()
        return self.end_call(self.submit_c(order_id, user_id, side, order_type, tif, price, qty,
                                           quote_qty, stop_price, stp, cap))

    def cancel(self, int64_t order_id):
        """Cancel a resting order or a pending stop; returns the number of events."""
        self.begin_call()
        return self.end_call(self.cancel_c(order_id))

    def amend(self, int64_t order_id, int64_t new_price, int64_t new_qty):
        """Change a resting order's price and/or original quantity; returns the number of events."""
        self.begin_call()
        return self.end_call(self.amend_c(order_id, new_price, new_qty))

    def reduce(self, int64_t order_id, int64_t new_qty):
        """Binance's keepPriority amend: lower a resting order's original quantity, keeping its
        price and place; anything else is REJECTED. Returns the number of events."""
        self.begin_call()
        return self.end_call(self.reduce_c(order_id, new_qty))

    def replace(self, int64_t target_id, int64_t order_id, int64_t user_id, int64_t side,
                int64_t order_type, int64_t tif, int64_t price, int64_t qty, int64_t quote_qty=0,
                int64_t stop_price=0, int64_t stp=0, int64_t cap=0):
        """Cancel `target_id`, then submit the order described; returns the number of events."""
        self.begin_call()
        return self.end_call(self.replace_c(target_id, order_id, user_id, side, order_type, tif,
                                            price, qty, quote_qty, stop_price, stp, cap))

    @cython.cdivision(True)
    cpdef tuple apply_batch(self, object commands, object out=None):
        """Run COMMAND_DTYPE records in order; returns (events, ends) as in docs/engine.md.

        `out`: an optional 1-D, C-contiguous, writable EVENT_DTYPE array. The events are written
        straight into it and `events` is the view `out[:len(events)]`; if they do not all fit,
        the run continues in a fresh buffer and `events` is a fresh array holding all of them
        (the contents of `out` are then unspecified). The events are the same either way.

        Raises TypeError/ValueError for arrays it cannot use and ValueError for an op that is
        not a CommandOp (nothing is applied), MemoryError if memory ran out (the commands
        before the failing one stand).
        """
        # Both arrays' dtypes are checked here, so their buffers are taken without a format
        # string: a typed memoryview would parse the packed struct's format on every call, which
        # cost more than a short batch's commands.
        cdef Py_buffer cmd_buffer
        cdef Py_buffer out_buffer
        cdef const CommandRecord* cmds
        cdef Py_ssize_t n, i
        cdef EventRecord* out_data = NULL
        cdef Py_ssize_t out_len = 0
        check_array(commands, COMMAND_DTYPE, "commands", False)
        PyObject_GetBuffer(commands, &cmd_buffer, PyBUF_C_CONTIGUOUS)
        try:
            cmds = <const CommandRecord*> cmd_buffer.buf
            n = cmd_buffer.len // <Py_ssize_t> sizeof(CommandRecord)
            for i in range(n):
                if cmds[i].op > OP_REDUCE:
                    raise ValueError(f"commands[{i}].op is {cmds[i].op}, not a CommandOp")
            if out is None:
                return self.run_batch(cmds, n, None, NULL, 0)
            check_array(out, EVENT_DTYPE, "out", True)
            PyObject_GetBuffer(out, &out_buffer, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS)
            try:
                out_data = <EventRecord*> out_buffer.buf
                out_len = out_buffer.len // <Py_ssize_t> sizeof(EventRecord)
                if n and out_len and ranges_overlap(
                        <const char*> cmds, n * sizeof(CommandRecord),
                        <const char*> out_data, out_len * sizeof(EventRecord)):
                    raise ValueError("out must not share memory with commands")
                return self.run_batch(cmds, n, out, out_data, out_len)
            finally:
                PyBuffer_Release(&out_buffer)
        finally:
            PyBuffer_Release(&cmd_buffer)

    @cython.boundscheck(False)
    @cython.wraparound(False)
    cdef tuple run_batch(self, const CommandRecord* cmds, Py_ssize_t n, object out,
                         EventRecord* out_data, Py_ssize_t out_len):
        # apply_batch once its arguments are checked; `out` is None or holds out_data[:out_len].
        cdef Py_ssize_t i = 0
        ends = np.empty(n, dtype=np.int64)
        cdef int64_t[::1] ends_view = ends
        cdef int status = 0
        cdef EventRecord* own = self.events
        cdef int64_t own_cap = self.ev_cap
        self.begin_call()
        if out is not None:
            # Borrow the caller's buffer as the event buffer for this run (see grow_events).
            self.events = out_data
            self.ev_cap = out_len
            self.ev_borrowed = True
        elif self.ev_cap < EVENTS_PER_COMMAND * n:
            # Best effort: a buffer sized for the whole run up front is never copied while it
            # grows, and what it does not use is returned when it is handed to NumPy.
            self.grow_events(EVENTS_PER_COMMAND * n)
        with nogil:
            for i in range(n):
                self.ev_start = self.ev_len
                status = self.run_command(&cmds[i])
                if status < 0 or self.events_lost:
                    break
                ends_view[i] = self.ev_len
        if out is not None:
            events = self.return_borrowed(out, own, own_cap)
        if status < 0:
            raise MemoryError(f"out of memory at commands[{i}]: the commands before it were applied")
        if self.events_lost:
            self.events_lost = False
            raise MemoryError(f"out of memory at commands[{i}]: it was applied, some events were lost")
        if out is None:
            events = self.batch_events()
        return events, ends

    # -- QUERIES ---------------------------------------------------------------------------

    cpdef list last_events(self):
        """The events of the last command, as Event tuples."""
        cdef list out = []
        cdef const EventRecord* e
        cdef int64_t i
        for i in range(self.ev_start, self.ev_len):
            e = &self.events[i]
            out.append(Event(e.seq, e.kind, e.side, e.code, e.order_id, e.user_id,
                             e.maker_order_id, e.maker_user_id, e.price, e.qty, e.filled))
        return out

    cpdef object event_view(self):
        """A read-only EVENT_DTYPE view of the last command's events, valid until the next command."""
        cdef int64_t n = self.ev_len - self.ev_start
        if n == 0:
            return np.empty(0, dtype=EVENT_DTYPE)
        cdef _EventMemory memory = _EventMemory.__new__(_EventMemory)
        memory.data = &self.events[self.ev_start]
        memory.nbytes = n * sizeof(EventRecord)
        memory.book = self
        records = np.frombuffer(memory, dtype=EVENT_DTYPE)
        records.flags.writeable = False
        return records

    cpdef object best_bid(self):
        """(price, qty) of the best bid level, or None."""
        return self.best_level(BUY)

    cpdef object best_ask(self):
        """(price, qty) of the best ask level, or None."""
        return self.best_level(SELL)

    cpdef tuple depth(self, int n):
        """The best `n` levels per side: ([(price, qty, order_count)] bids, same for asks)."""
        if n < 0:
            raise ValueError(f"depth needs n >= 0, not {n}")
        return self.side_depth(BUY, n), self.side_depth(SELL, n)

    cpdef object get_order(self, int64_t order_id):
        """The OrderState of a resting order or pending stop, or None."""
        cdef int32_t slot = self.lookup(order_id)
        return None if slot == NO_SLOT else self.order_state(slot)

    cpdef list orders(self):
        """Resting orders (bids best->worst, then asks; FIFO in a level), then pending stops."""
        cdef list out = []
        cdef int side
        cdef int32_t rung, slot, k
        for side in (BUY, SELL):
            for rung in range(self.n_levels[side] - 1, -1, -1):
                slot = self.level_pool[self.ladder[side][rung]].head
                while slot != NO_SLOT:
                    out.append(self.order_state(slot))
                    slot = self.pool[slot].next
        for k in range(self.n_stops):
            out.append(self.order_state(self.stops[k].slot))
        return out

    cpdef bytes snapshot(self):
        """The book in the shared byte format of docs/engine.md."""
        cdef int64_t n_resting = self.resting_count()
        cdef int64_t header[7]
        header[0] = self.tick_size
        header[1] = self.lot_size
        header[2] = self.seq
        header[3] = self.last_price
        header[4] = self.seq if self.seq_trade_ids else self.trade_id  # the id the next trade follows
        header[5] = n_resting
        header[6] = self.n_stops
        cdef bytes data = PyBytes_FromStringAndSize(
            NULL, SNAPSHOT_HEADER + (n_resting + self.n_stops) * SNAPSHOT_RECORD)
        cdef char* p = PyBytes_AS_STRING(data)
        memcpy(p, <const char*> b"OBK2", 4)
        memcpy(p + 4, header, sizeof(header))
        p += SNAPSHOT_HEADER
        cdef int side
        cdef int32_t rung, slot, k
        for side in (BUY, SELL):
            for rung in range(self.n_levels[side] - 1, -1, -1):
                slot = self.level_pool[self.ladder[side][rung]].head
                while slot != NO_SLOT:
                    p = write_record(p, &self.pool[slot], 0)
                    slot = self.pool[slot].next
        for k in range(self.n_stops):
            p = write_record(p, &self.pool[self.stops[k].slot], self.stops[k].cap)
        return data

    @staticmethod
    def restore(data):
        """The book that snapshot() described; raises ValueError on malformed data."""
        cdef bytes raw = bytes(data)
        cdef Py_ssize_t size = len(raw)
        cdef const char* p = raw
        cdef int64_t header[7]
        cdef Py_ssize_t header_size
        if size >= SNAPSHOT_HEADER and raw[:4] == b"OBK2":
            header_size = SNAPSHOT_HEADER
            memcpy(header, p + 4, sizeof(header))
        elif size >= SNAPSHOT_HEADER_V1 and raw[:4] == b"OBK1":
            # Written before trade ids existed, when a trade's id was its TRADE event's seq: the
            # book keeps that rule until continue_trade_ids(), then counts on from seq, above
            # every id already published.
            header_size = SNAPSHOT_HEADER_V1
            memcpy(header, p + 4, 4 * sizeof(int64_t))
            header[4] = header[2]
            memcpy(&header[5], p + 4 + 4 * sizeof(int64_t), 2 * sizeof(int64_t))
        else:
            raise ValueError("not an OBK2 (or OBK1) order book snapshot")
        cdef int64_t n_resting = header[5]
        cdef int64_t n_stops = header[6]
        if not (0 <= n_resting < MAX_SLOTS and 0 <= n_stops < MAX_SLOTS
                and size == header_size + (n_resting + n_stops) * SNAPSHOT_RECORD):
            raise ValueError("snapshot length does not match its order counts")
        if header[2] < 0 or not (header[3] == 0 or in_range(header[3])) or header[4] < 0:
            raise ValueError("snapshot seq, last_price or trade_id out of range")
        cdef OrderBook book = OrderBook(header[0], header[1])
        book.seq = header[2]
        book.last_price = header[3]
        book.trade_id = header[4]
        # Replaying the journal after an OBK1 snapshot redoes trades the old code published
        # with id = seq: they must come out so again, until continue_trade_ids().
        book.seq_trade_ids = header_size == SNAPSHOT_HEADER_V1
        book.load_orders(p + header_size, n_resting, n_stops)
        return book

    cpdef void continue_trade_ids(self):
        """After replaying the journal that followed an OBK1 snapshot: new trades count on from
        the last seq, above every id published under the old rule. A no-op otherwise."""
        if self.seq_trade_ids:
            self.trade_id = self.seq
            self.seq_trade_ids = False

    cpdef bytes state_hash(self):
        """blake2b-128 of snapshot(): comparable across implementations."""
        return hashlib.blake2b(self.snapshot(), digest_size=16).digest()

    cpdef int64_t memory_bytes(self):
        """Bytes held by the C structures: pools, indexes, ladders, stops, event buffer."""
        return (self.pool_cap * sizeof(Order)
                + slot_index_bytes(&self.order_index)
                + self.level_pool_cap * sizeof(Level)
                + slot_index_bytes(&self.level_index)
                + (self.ladder_cap[BUY] + self.ladder_cap[SELL]) * sizeof(int32_t)
                + self.stops_cap * sizeof(PendingStop)
                + self.ev_cap * sizeof(EventRecord))

    def __len__(self):
        return self.resting_count() + self.n_stops

    # -- PYTHON GLUE -----------------------------------------------------------------------

    cdef void begin_call(self) noexcept:
        self.ev_len = 0
        self.ev_start = 0

    cdef int end_call(self, int status) except -1:
        if status < 0:
            raise MemoryError("out of memory: the command was not applied")
        if self.events_lost:
            self.events_lost = False
            raise MemoryError("out of memory: the command was applied but some of its events were lost")
        return <int> self.ev_len

    cdef object batch_events(self):
        # The run is handed to NumPy as it is: no copy, and the book never keeps a buffer sized
        # for its largest batch. The fresh buffer is sized like this run (up to a bound), so
        # the next batch of the same size does not regrow it, and starts with the last
        # command's events, for last_events().
        cdef int64_t n = self.ev_len
        cdef int64_t last = self.ev_len - self.ev_start
        if n == 0:
            return np.empty(0, dtype=EVENT_DTYPE)
        cdef int64_t fresh_cap = INITIAL_EVENTS
        while fresh_cap < n and fresh_cap < REUSED_EVENTS:
            fresh_cap <<= 1
        while fresh_cap < last:
            fresh_cap <<= 1
        cdef EventRecord* fresh = <EventRecord*> malloc(fresh_cap * sizeof(EventRecord))
        if fresh == NULL:
            raise MemoryError()
        memcpy(fresh, &self.events[self.ev_start], last * sizeof(EventRecord))
        cdef EventRecord* run = self.events
        self.events = fresh
        self.ev_cap = fresh_cap
        self.ev_start = 0
        self.ev_len = last
        return adopt_events(run, n)

    cdef object return_borrowed(self, object out, EventRecord* own, int64_t own_cap):
        # The run is in the caller's `out` (or, if it outgrew it, in a buffer that grow_events
        # allocated): the book takes its own buffer back, holding the last command's events
        # for last_events(), and the run becomes the events array.
        cdef EventRecord* run = self.events
        cdef int64_t n = self.ev_len
        cdef int64_t last = self.ev_len - self.ev_start
        cdef bint spilled = not self.ev_borrowed
        self.ev_borrowed = False
        self.events = own
        self.ev_cap = own_cap
        self.ev_start = 0
        self.ev_len = 0
        if last > own_cap and self.grow_events(last) < 0:
            self.events_lost = True  # the batch stands; last_events() could not be kept
        else:
            memcpy(self.events, &run[n - last], last * sizeof(EventRecord))
            self.ev_len = last
        if spilled:
            return adopt_events(run, n)
        return out[:n]

    cdef object best_level(self, int side):
        cdef int32_t n = self.n_levels[side]
        if n == 0:
            return None
        cdef const Level* lv = &self.level_pool[self.ladder[side][n - 1]]
        return (lv.price, lv.qty)

    cdef list side_depth(self, int side, int n):
        cdef list out = []
        cdef const Level* lv
        cdef int32_t rung = self.n_levels[side] - 1
        while rung >= 0 and len(out) < n:
            lv = &self.level_pool[self.ladder[side][rung]]
            out.append((lv.price, lv.qty, lv.count))
            rung -= 1
        return out

    cdef object order_state(self, int32_t slot):
        cdef const Order* o = &self.pool[slot]
        cdef int64_t cap = 0
        cdef int32_t k
        if o.place == PLACE_PENDING:
            for k in range(self.n_stops):
                if self.stops[k].slot == slot:
                    cap = self.stops[k].cap
        return OrderState(o.order_id, o.user_id, o.side, o.order_type, o.tif, o.stp, o.price,
                          o.stop_price, o.orig_qty, o.filled_qty, cap)

    cdef int64_t resting_count(self) noexcept nogil:
        cdef int64_t n = 0
        cdef int side
        cdef int32_t rung
        for side in range(2):
            for rung in range(self.n_levels[side]):
                n += self.level_pool[self.ladder[side][rung]].count
        return n

    cdef int load_orders(self, const char* p, int64_t n_resting, int64_t n_stops) except -1:
        # Records arrive in orders() order (bids best->worst, then asks best->worst), so each
        # side's ladder is built worst-last and reversed at the end.
        cdef int64_t n = n_resting + n_stops
        cdef int64_t i, cap
        cdef int32_t slot, lvl = NO_SLOT
        cdef Order* o
        cdef Level* lv
        cdef int side = BUY
        if (self.grow_pool(<int32_t> max(n + 1, INITIAL_POOL)) < 0
                or slot_index_reserve(&self.order_index, n + 1) < 0
                or self.grow_stops(<int32_t> max(n_stops + 1, INITIAL_STOPS)) < 0):
            raise MemoryError()
        for i in range(n):
            slot = self.alloc_slot()
            o = &self.pool[slot]
            cap = read_record(p + i * SNAPSHOT_RECORD, o)
            if not valid_restored_order(o, cap, self.tick_size, self.lot_size, i >= n_resting):
                raise ValueError(f"snapshot order record {i} is not a valid order")
            if self.lookup(o.order_id) != NO_SLOT:
                raise ValueError(f"snapshot holds order_id {o.order_id} twice")
            slot_index_put(&self.order_index, o.order_id, slot)
            o.indexed = 1
            if i >= n_resting:
                o.place = PLACE_PENDING
                self.stops[self.n_stops].slot = slot
                self.stops[self.n_stops].cap = cap
                self.n_stops += 1
                continue
            if o.side < side:
                raise ValueError("snapshot lists a bid after an ask")
            if o.side != side:
                side = o.side
                lvl = NO_SLOT
            if lvl == NO_SLOT or self.level_pool[lvl].price != o.price:
                if lvl != NO_SLOT and level_key(side, o.price) > level_key(side, self.level_pool[lvl].price):
                    raise ValueError("snapshot levels are not in best-to-worst order")
                if self.find_level(side, o.price) != NO_SLOT:
                    raise ValueError("snapshot splits a price level")
                if self.reserve_level(side) < 0:
                    raise MemoryError()
                lvl = self.new_level(side, o.price)
                self.ladder[side][self.n_levels[side]] = lvl
                self.n_levels[side] += 1
            lv = &self.level_pool[lvl]
            if lv.qty > INT64_MAX - leaves(o):
                raise ValueError("snapshot level quantity overflows int64")
            append_to_level(self.pool, lv, slot)
            o.place = PLACE_RESTING
        for side in range(2):
            reverse_slots(self.ladder[side], self.n_levels[side])
        if (self.n_levels[BUY] and self.n_levels[SELL]
                and self.level_pool[self.ladder[BUY][self.n_levels[BUY] - 1]].price
                >= self.level_pool[self.ladder[SELL][self.n_levels[SELL] - 1]].price):
            raise ValueError("snapshot book is crossed")
        return 0

    # -- COMMAND CORES ---------------------------------------------------------------------

    cdef int run_command(self, const CommandRecord* cmd) noexcept nogil:
        if cmd.op == OP_SUBMIT:
            return self.submit_c(cmd.order_id, cmd.user_id, cmd.side, cmd.order_type, cmd.tif,
                                 cmd.price, cmd.qty, cmd.quote_qty, cmd.stop_price, cmd.stp, cmd.cap)
        if cmd.op == OP_CANCEL:
            return self.cancel_c(cmd.order_id)
        if cmd.op == OP_AMEND:
            return self.amend_c(cmd.order_id, cmd.price, cmd.qty)
        if cmd.op == OP_REDUCE:
            return self.reduce_c(cmd.order_id, cmd.qty)
        return self.replace_c(cmd.target_id, cmd.order_id, cmd.user_id, cmd.side, cmd.order_type,
                              cmd.tif, cmd.price, cmd.qty, cmd.quote_qty, cmd.stop_price, cmd.stp,
                              cmd.cap)

    cdef int submit_c(self, int64_t order_id, int64_t user_id, int64_t side, int64_t order_type,
                      int64_t tif, int64_t price, int64_t qty, int64_t quote_qty,
                      int64_t stop_price, int64_t stp, int64_t cap) noexcept nogil:
        cdef int64_t price_before = self.last_price
        if self.reserve_for_submit() < 0:
            return -1
        cdef int reason = self.submit_reject_reason(order_id, user_id, side, order_type, tif,
                                                    price, qty, quote_qty, stop_price, stp, cap)
        if reason:
            self.emit(REJECTED, <uint8_t> side, reason, order_id, user_id, 0, 0, 0, 0, 0)
            return 0
        self.emit(ACCEPTED, side, order_type, order_id, user_id, 0, 0, price, qty, 0)
        cdef int32_t slot = self.alloc_slot()
        cdef Order* o = &self.pool[slot]
        o.order_id = order_id
        o.user_id = user_id
        o.price = price
        o.stop_price = stop_price
        o.orig_qty = qty
        o.filled_qty = 0
        o.prev = NO_SLOT
        o.next = NO_SLOT
        o.side = side
        o.order_type = order_type
        o.tif = tif
        o.stp = stp
        o.place = PLACE_TAKER
        o.indexed = 0
        if is_stop_type(order_type):
            self.add_pending_stop(slot, cap)
            return 0
        cdef Taker t
        init_taker(&t, slot, o, quote_qty, cap)
        self.process_taker(&t)
        return self.after_command(price_before)

    cdef int cancel_c(self, int64_t order_id) noexcept nogil:
        cdef int32_t slot = self.lookup(order_id)
        if slot == NO_SLOT:
            self.emit(REJECTED, 0, UNKNOWN_ORDER, order_id, 0, 0, 0, 0, 0, 0)
            return 0
        cdef Order* o = &self.pool[slot]
        self.emit_order(o, CANCELED)
        if o.place == PLACE_PENDING:
            self.remove_pending_stop(slot)
        else:
            self.take_from_level(slot)
        self.retire_order(slot)
        return 0

    cdef int amend_c(self, int64_t order_id, int64_t new_price, int64_t new_qty) noexcept nogil:
        cdef int64_t price_before = self.last_price
        if self.reserve_level(BUY) < 0 or self.reserve_level(SELL) < 0:
            return -1
        cdef int32_t slot = self.lookup(order_id)
        cdef int reason = UNKNOWN_ORDER
        if slot != NO_SLOT:
            reason = self.amend_reject_reason(slot, new_price, new_qty)
        if reason:
            self.emit(REJECTED, 0, reason, order_id, 0, 0, 0, 0, 0, 0)
            return 0
        cdef Order* o = &self.pool[slot]
        cdef int side = o.side
        cdef int32_t lvl = self.find_level(side, o.price)
        cdef Level* lv = &self.level_pool[lvl]
        if new_price == o.price and new_qty < o.orig_qty:
            # Binance keepPriority: a same-price reduction keeps the order's place in the queue.
            lv.qty -= o.orig_qty - new_qty
            o.orig_qty = new_qty
            self.emit_amended(o)
            self.emit_level(side, lv)
            return 0
        unlink_from_level(self.pool, lv, slot)
        o.price = new_price
        o.orig_qty = new_qty
        o.place = PLACE_TAKER
        self.emit_amended(o)
        self.emit_level(side, lv)
        if lv.count == 0:
            self.close_level(side, lvl)
        cdef Taker t
        init_taker(&t, slot, o, 0, 0)
        self.match(&t)
        self.finish_taker(&t)
        return self.after_command(price_before)

    cdef int reduce_c(self, int64_t order_id, int64_t new_qty) noexcept nogil:
        # The order service checks newQty against the order as it read it; two amends of one
        # order racing through two order services both pass that check. Refusing here anything
        # but a reduction of the order as it now is keeps the later one from raising it past
        # its reserved funds.
        cdef int32_t slot = self.lookup(order_id)
        cdef int reason = UNKNOWN_ORDER
        if slot != NO_SLOT:
            reason = self.amend_reject_reason(slot, self.pool[slot].price, new_qty)
            if not reason and new_qty >= self.pool[slot].orig_qty:
                reason = INVALID_QUANTITY
        if reason:
            self.emit(REJECTED, 0, reason, order_id, 0, 0, 0, 0, 0, 0)
            return 0
        return self.amend_c(order_id, self.pool[slot].price, new_qty)

    cdef int replace_c(self, int64_t target_id, int64_t order_id, int64_t user_id, int64_t side,
                       int64_t order_type, int64_t tif, int64_t price, int64_t qty,
                       int64_t quote_qty, int64_t stop_price, int64_t stp,
                       int64_t cap) noexcept nogil:
        # Reserve before the cancel, so that running out of memory leaves the target in place.
        if self.reserve_for_submit() < 0:
            return -1
        if self.lookup(target_id) == NO_SLOT:
            self.emit(REJECTED, <uint8_t> side, UNKNOWN_ORDER, target_id, user_id, 0, 0, 0, 0, 0)
            return 0
        self.cancel_c(target_id)
        return self.submit_c(order_id, user_id, side, order_type, tif, price, qty, quote_qty,
                             stop_price, stp, cap)

    cdef int after_command(self, int64_t price_before) noexcept nogil:
        # A stop can only start to hold when the last price moves: each was placed while its
        # condition did not hold, and every cascade runs until none does.
        if self.n_stops and self.last_price != price_before:
            return self.run_stop_cascade()
        return 0

    # -- VALIDATION ------------------------------------------------------------------------

    cdef int submit_reject_reason(self, int64_t order_id, int64_t user_id, int64_t side,
                                  int64_t order_type, int64_t tif, int64_t price, int64_t qty,
                                  int64_t quote_qty, int64_t stop_price, int64_t stp,
                                  int64_t cap) noexcept nogil:
        if (not (0 <= side <= SELL) or not (0 <= order_type <= TAKE_PROFIT_LIMIT)
                or not (0 <= tif <= FOK) or not (0 <= stp <= EXPIRE_BOTH)):
            return INVALID_ORDER
        if order_type == MARKET:
            if (qty != 0) == (quote_qty != 0):
                return INVALID_ORDER
        elif quote_qty != 0:
            return INVALID_ORDER
        if order_id <= 0 or user_id < 0:
            return INVALID_ORDER
        if cap != 0 and not is_market_type(order_type):
            return INVALID_ORDER
        if quote_qty != 0:
            if not in_range(quote_qty):
                return INVALID_QUANTITY
        elif not in_range(qty) or not on_grid(qty, self.lot_size):
            return INVALID_QUANTITY
        if cap != 0 and (not in_range(cap) or (side == SELL and not on_grid(cap, self.lot_size))):
            return INVALID_QUANTITY
        if has_limit_price(order_type):
            if not in_range(price) or not on_grid(price, self.tick_size):
                return INVALID_PRICE
        elif price != 0:
            return INVALID_PRICE
        if is_stop_type(order_type):
            if not in_range(stop_price) or not on_grid(stop_price, self.tick_size):
                return INVALID_STOP_PRICE
        elif stop_price != 0:
            return INVALID_STOP_PRICE
        if self.lookup(order_id) != NO_SLOT:
            return DUPLICATE_ORDER_ID
        if has_limit_price(order_type):
            if mul_overflows(price, qty):
                return OVERFLOW
            if rests_on_entry(order_type, tif) and self.level_qty(side, price) > INT64_MAX - qty:
                return OVERFLOW
        if order_type == LIMIT_MAKER and self.would_take(side, price):
            return WOULD_TAKE
        if is_stop_type(order_type) and stop_triggers(side, order_type, stop_price, self.last_price):
            return WOULD_TRIGGER_IMMEDIATELY
        if order_type == MARKET and cap != 0 and not self.cap_pays_the_walk(side, user_id, stp, qty,
                                                                            quote_qty, cap):
            return INSUFFICIENT_FUNDS
        return 0

    @cython.cdivision(True)
    cdef bint cap_pays_the_walk(self, int64_t side, int64_t user_id, int64_t stp, int64_t qty,
                                int64_t quote_qty, int64_t cap) noexcept nogil:
        # A MARKET order is all or nothing on its funds, as Binance's: false when match() would
        # stop because the cap is spent while the book still offers what the order asks for.
        # Walks exactly as match() would (taker_exhausted: size before cap; then self-trade
        # prevention; then fill_size's rooms in whole lots), touching nothing.
        cdef int opposite = 1 - side
        cdef bint by_quote = quote_qty != 0
        cdef int32_t rung, slot
        cdef const Level* lv
        cdef const Order* m
        cdef int64_t need = qty
        cdef int64_t quote_left = quote_qty
        cdef int64_t cap_left = cap
        cdef int64_t q, room
        for rung in range(self.n_levels[opposite] - 1, -1, -1):
            lv = &self.level_pool[self.ladder[opposite][rung]]
            slot = lv.head
            while slot != NO_SLOT:
                m = &self.pool[slot]
                slot = m.next
                if (quote_left == 0) if by_quote else (need == 0):
                    return True
                if cap_left == 0:
                    return False
                if stp != STP_NONE and m.user_id == user_id:
                    if stp == EXPIRE_MAKER:
                        continue
                    return True
                room = quote_left // lv.price // self.lot_size * self.lot_size if by_quote else need
                if room == 0:
                    return True
                q = leaves(m) if leaves(m) < room else room
                room = cap_left // lv.price // self.lot_size * self.lot_size if side == BUY else cap_left
                if room < q:
                    return False
                cap_left -= lv.price * q if side == BUY else q
                if by_quote:
                    quote_left -= lv.price * q
                else:
                    need -= q
        return True

    cdef int amend_reject_reason(self, int32_t slot, int64_t new_price,
                                 int64_t new_qty) noexcept nogil:
        cdef const Order* o = &self.pool[slot]
        if o.place == PLACE_PENDING:
            return NOT_AMENDABLE
        if not in_range(new_qty) or not on_grid(new_qty, self.lot_size) or new_qty <= o.filled_qty:
            return INVALID_QUANTITY
        if not in_range(new_price) or not on_grid(new_price, self.tick_size):
            return INVALID_PRICE
        if mul_overflows(new_price, new_qty):
            return OVERFLOW
        cdef int64_t others
        if not (new_price == o.price and new_qty < o.orig_qty):
            # It will rest again at new_price: the level there must hold its new leaves.
            others = self.level_qty(o.side, new_price)
            if new_price == o.price:
                others -= leaves(o)
            if others > INT64_MAX - (new_qty - o.filled_qty):
                return OVERFLOW
        if o.order_type == LIMIT_MAKER and self.would_take(o.side, new_price):
            return WOULD_TAKE
        return 0

    cdef int64_t level_qty(self, int side, int64_t price) noexcept nogil:
        cdef int32_t lvl = self.find_level(side, price)
        return 0 if lvl == NO_SLOT else self.level_pool[lvl].qty

    cdef bint would_take(self, int side, int64_t price) noexcept nogil:
        cdef int32_t lvl = self.best_level_slot(1 - side)
        return lvl != NO_SLOT and price_acceptable(side, price, self.level_pool[lvl].price)

    # -- MATCHING --------------------------------------------------------------------------

    cdef void process_taker(self, Taker* t) noexcept nogil:
        # Steps 4-6 of SUBMIT.
        cdef Order* o = &self.pool[t.slot]
        if reads_tif(o.order_type) and o.tif == FOK and not self.can_fill_completely(t):
            self.emit_order(o, EXPIRED)
            self.retire_order(t.slot)
            return
        self.match(t)
        self.finish_taker(t)

    cdef bint can_fill_completely(self, const Taker* t) noexcept nogil:
        # The FOK pre-check walks exactly as match() would, touching nothing.
        cdef const Order* o = &self.pool[t.slot]
        cdef int opposite = 1 - o.side
        cdef int64_t need = leaves(o)
        cdef int32_t rung, slot
        cdef const Level* lv
        cdef const Order* m
        for rung in range(self.n_levels[opposite] - 1, -1, -1):
            lv = &self.level_pool[self.ladder[opposite][rung]]
            if not price_acceptable(o.side, o.price, lv.price):
                return False
            if o.stp == STP_NONE:
                if lv.qty >= need:
                    return True
                need -= lv.qty
                continue
            slot = lv.head
            while slot != NO_SLOT:
                m = &self.pool[slot]
                if m.user_id == o.user_id:
                    if o.stp != EXPIRE_MAKER:
                        return False
                else:
                    if leaves(m) >= need:
                        return True
                    need -= leaves(m)
                slot = m.next
        return False

    cdef void match(self, Taker* t) noexcept nogil:
        # Step 5: best level first while its price is acceptable.
        cdef const Order* o = &self.pool[t.slot]
        cdef int opposite = 1 - o.side
        cdef int32_t lvl = self.best_level_slot(opposite)
        while lvl != NO_SLOT:
            if not t.is_market and not price_acceptable(o.side, o.price, self.level_pool[lvl].price):
                return
            if not self.match_against_level(t, lvl):
                return
            lvl = self.best_level_slot(opposite)

    cdef bint match_against_level(self, Taker* t, int32_t lvl) noexcept nogil:
        # FIFO through the best level. False: the walk ends here; True: the level is gone.
        cdef Order* o = &self.pool[t.slot]
        cdef int opposite = 1 - o.side
        cdef Level* lv = &self.level_pool[lvl]
        cdef int32_t maker
        cdef int64_t q
        cdef bint level_gone
        while True:
            if self.taker_exhausted(t):
                return False
            maker = lv.head
            if o.stp != STP_NONE and self.pool[maker].user_id == o.user_id:
                if o.stp == EXPIRE_TAKER:
                    t.end = WALK_STP
                    return False
                level_gone = self.expire_maker(opposite, lvl, maker)
                if o.stp == EXPIRE_BOTH:
                    t.end = WALK_STP
                    return False
                if level_gone:
                    return True
                continue
            q = self.fill_size(t, lv.price, leaves(&self.pool[maker]))
            if q == 0:
                return False
            if self.trade(t, lvl, maker, q):
                return True

    cdef bint taker_exhausted(self, Taker* t) noexcept nogil:
        # The walk stops before the next maker once nothing is left, so STP never acts on a
        # maker the taker could not have traded with.
        if t.by_quote:
            if t.quote_left == 0:
                t.end = WALK_SIZE
                return True
        elif leaves(&self.pool[t.slot]) == 0:
            t.end = WALK_SIZE
            return True
        if t.has_cap and t.cap_left == 0:
            t.end = WALK_CAP
            return True
        return False

    @cython.cdivision(True)
    cdef int64_t fill_size(self, Taker* t, int64_t price, int64_t maker_leaves) noexcept nogil:
        # q = min(maker leaves, size_room, cap_room); 0 ends the walk (step 5).
        cdef const Order* o = &self.pool[t.slot]
        cdef int64_t room
        if t.by_quote:
            room = t.quote_left // price // self.lot_size * self.lot_size
        else:
            room = leaves(o)
        if room == 0:
            t.end = WALK_SIZE
            return 0
        cdef int64_t q = maker_leaves if maker_leaves < room else room
        if t.has_cap:
            if o.side == BUY:
                room = t.cap_left // price // self.lot_size * self.lot_size
            else:
                room = t.cap_left
            if room == 0:
                t.end = WALK_CAP
                return 0
            if room < q:
                q = room
        return q

    cdef bint trade(self, Taker* t, int32_t lvl, int32_t maker, int64_t q) noexcept nogil:
        # One fill against the head of the best level; True when that emptied the level.
        cdef Order* o = &self.pool[t.slot]
        cdef Order* m = &self.pool[maker]
        cdef Level* lv = &self.level_pool[lvl]
        cdef int64_t price = lv.price
        m.filled_qty += q
        o.filled_qty += q
        t.filled_now += q
        lv.qty -= q
        if t.by_quote:
            t.quote_left -= price * q
        if t.has_cap:
            t.cap_left -= price * q if o.side == BUY else q
        self.last_price = price
        if not self.seq_trade_ids:
            self.trade_id += 1
        # 0: consumers take the event's seq, the id the old rule gave (seq_trade_ids)
        self.emit(TRADE, o.side, 0, o.order_id, o.user_id, m.order_id, m.user_id, price, q,
                  0 if self.seq_trade_ids else self.trade_id)
        if leaves(m) == 0:
            self.emit_order(m, FILLED)
            unlink_from_level(self.pool, lv, maker)
            self.retire_order(maker)
        else:
            self.emit_order(m, PARTIALLY_FILLED)
        self.emit_level(m.side, lv)
        if lv.count == 0:
            self.close_level(m.side, lvl)
            return True
        return False

    cdef bint expire_maker(self, int side, int32_t lvl, int32_t maker) noexcept nogil:
        # Self-trade prevention removes the maker; True when that emptied its level.
        cdef Level* lv = &self.level_pool[lvl]
        self.emit_order(&self.pool[maker], EXPIRED_IN_MATCH)
        unlink_from_level(self.pool, lv, maker)
        self.retire_order(maker)
        self.emit_level(side, lv)
        if lv.count == 0:
            self.close_level(side, lvl)
            return True
        return False

    cdef void finish_taker(self, Taker* t) noexcept nogil:
        # Step 6: the taker's final status, or it rests.
        cdef Order* o = &self.pool[t.slot]
        cdef int status
        if t.end == WALK_BOOK:
            self.taker_exhausted(t)  # a walk that ran out of book may also have used up the order
        if t.by_quote:
            if t.end == WALK_STP:
                status = EXPIRED_IN_MATCH
            elif t.end == WALK_SIZE and o.filled_qty > 0:
                status = FILLED
            else:
                status = EXPIRED
            self.emit(ORDER, o.side, status, o.order_id, o.user_id, 0, 0, o.price, 0, o.filled_qty)
            self.retire_order(t.slot)
            return
        if leaves(o) == 0:
            status = FILLED
        elif t.end == WALK_STP:
            status = EXPIRED_IN_MATCH
        elif t.end == WALK_CAP or t.is_market or not may_rest(o.order_type, o.tif):
            status = EXPIRED
        elif is_stop_type(o.order_type) and self.level_qty(o.side, o.price) > INT64_MAX - leaves(o):
            # A triggered stop-limit's level was unknown when it was accepted; it cannot rest.
            status = EXPIRED
        else:
            if t.filled_now:
                self.emit_order(o, PARTIALLY_FILLED)
            self.rest_order(t.slot)
            return
        self.emit_order(o, status)
        self.retire_order(t.slot)

    cdef int run_stop_cascade(self) noexcept nogil:
        # Step 7: the earliest-placed stop whose condition holds, until none does.
        cdef int32_t k, slot
        cdef int64_t cap
        cdef Order* o
        cdef Taker t
        while True:
            k = self.first_triggered_stop()
            if k < 0:
                return 0
            if self.reserve_level(BUY) < 0 or self.reserve_level(SELL) < 0:
                return -1
            slot = self.stops[k].slot
            cap = self.stops[k].cap
            memmove(&self.stops[k], &self.stops[k + 1], (self.n_stops - k - 1) * sizeof(PendingStop))
            self.n_stops -= 1
            o = &self.pool[slot]
            o.place = PLACE_TAKER
            self.emit(TRIGGERED, o.side, o.order_type, o.order_id, o.user_id, 0, 0, o.price,
                      leaves(o), 0)
            init_taker(&t, slot, o, 0, cap)
            self.process_taker(&t)

    cdef int32_t first_triggered_stop(self) noexcept nogil:
        cdef int32_t k
        cdef const Order* o
        for k in range(self.n_stops):
            o = &self.pool[self.stops[k].slot]
            if stop_triggers(o.side, o.order_type, o.stop_price, self.last_price):
                return k
        return -1

    # -- BOOK MAINTENANCE ------------------------------------------------------------------

    cdef void rest_order(self, int32_t slot) noexcept nogil:
        # The order joins the back of its level's queue (a new level if there is none).
        cdef Order* o = &self.pool[slot]
        cdef int32_t lvl = self.find_level(o.side, o.price)
        if lvl == NO_SLOT:
            lvl = self.open_level(o.side, o.price)
        append_to_level(self.pool, &self.level_pool[lvl], slot)
        o.place = PLACE_RESTING
        if not o.indexed:
            slot_index_put(&self.order_index, o.order_id, slot)
            o.indexed = 1
        self.emit_level(o.side, &self.level_pool[lvl])

    cdef void take_from_level(self, int32_t slot) noexcept nogil:
        # Removes a resting order from its level and reports the level.
        cdef const Order* o = &self.pool[slot]
        cdef int side = o.side
        cdef int32_t lvl = self.find_level(side, o.price)
        cdef Level* lv = &self.level_pool[lvl]
        unlink_from_level(self.pool, lv, slot)
        self.emit_level(side, lv)
        if lv.count == 0:
            self.close_level(side, lvl)

    cdef int32_t find_level(self, int side, int64_t price) noexcept nogil:
        return slot_index_find(&self.level_index, level_index_key(side, price))

    cdef int32_t best_level_slot(self, int side) noexcept nogil:
        cdef int32_t n = self.n_levels[side]
        return self.ladder[side][n - 1] if n else NO_SLOT

    cdef int32_t ladder_position(self, int side, int64_t price) noexcept nogil:
        # Lower bound of the price's key in the ladder, branch-free: the comparisons are
        # unpredictable, conditional moves are not.
        cdef const int32_t* rungs = self.ladder[side]
        cdef const Level* levels = self.level_pool
        cdef int32_t n = self.n_levels[side]
        cdef int64_t key = level_key(side, price)
        cdef int32_t base = 0, length = n, half
        if n == 0:
            return 0
        while length > 1:
            half = length >> 1
            base = base + half if level_key(side, levels[rungs[base + half - 1]].price) < key else base
            length -= half
        return base + (level_key(side, levels[rungs[base]].price) < key)

    cdef int32_t new_level(self, int side, int64_t price) noexcept nogil:
        # An empty level from the pool, indexed but not yet on the ladder. Reserved by the caller.
        cdef int32_t lvl = self.level_free
        self.level_free = self.level_pool[lvl].next_free
        init_level(&self.level_pool[lvl], price)
        slot_index_put(&self.level_index, level_index_key(side, price), lvl)
        return lvl

    cdef int32_t open_level(self, int side, int64_t price) noexcept nogil:
        cdef int32_t lvl = self.new_level(side, price)
        cdef int32_t rung = self.ladder_position(side, price)
        cdef int32_t* rungs = self.ladder[side]
        memmove(&rungs[rung + 1], &rungs[rung], (self.n_levels[side] - rung) * sizeof(int32_t))
        rungs[rung] = lvl
        self.n_levels[side] += 1
        return lvl

    cdef void close_level(self, int side, int32_t lvl) noexcept nogil:
        # The level is empty: off the ladder, out of the index, back to the pool.
        cdef int32_t* rungs = self.ladder[side]
        cdef int32_t n = self.n_levels[side]
        cdef int32_t rung = n - 1  # takers empty the best level: no search
        cdef Level* lv = &self.level_pool[lvl]
        if rungs[rung] != lvl:
            rung = self.ladder_position(side, lv.price)
        memmove(&rungs[rung], &rungs[rung + 1], (n - rung - 1) * sizeof(int32_t))
        self.n_levels[side] = n - 1
        slot_index_remove(&self.level_index, level_index_key(side, lv.price))
        lv.next_free = self.level_free
        self.level_free = lvl

    cdef void add_pending_stop(self, int32_t slot, int64_t cap) noexcept nogil:
        cdef Order* o = &self.pool[slot]
        o.place = PLACE_PENDING
        slot_index_put(&self.order_index, o.order_id, slot)
        o.indexed = 1
        self.stops[self.n_stops].slot = slot
        self.stops[self.n_stops].cap = cap
        self.n_stops += 1

    cdef void remove_pending_stop(self, int32_t slot) noexcept nogil:
        cdef int32_t k
        for k in range(self.n_stops):
            if self.stops[k].slot == slot:
                memmove(&self.stops[k], &self.stops[k + 1], (self.n_stops - k - 1) * sizeof(PendingStop))
                self.n_stops -= 1
                return

    cdef void retire_order(self, int32_t slot) noexcept nogil:
        # The order left the book for good: forget its id and recycle the slot.
        cdef Order* o = &self.pool[slot]
        if o.indexed:
            slot_index_remove(&self.order_index, o.order_id)
        o.place = PLACE_FREE
        o.indexed = 0
        o.next = self.pool_free
        self.pool_free = slot

    cdef int32_t lookup(self, int64_t order_id) noexcept nogil:
        # Slot of a live order (resting or pending stop), or NO_SLOT.
        if order_id <= 0:
            return NO_SLOT  # 0 marks an empty bucket; live ids are > 0
        return slot_index_find(&self.order_index, order_id)

    # -- STORAGE ---------------------------------------------------------------------------

    cdef int reserve_for_submit(self) noexcept nogil:
        # Everything one SUBMIT can allocate, before it changes anything.
        if self.pool_free == NO_SLOT and self.grow_pool(self.pool_cap * 2) < 0:
            return -1
        if slot_index_reserve(&self.order_index, 1) < 0:
            return -1
        if self.n_stops == self.stops_cap and self.grow_stops(self.stops_cap * 2) < 0:
            return -1
        if self.reserve_level(BUY) < 0 or self.reserve_level(SELL) < 0:
            return -1
        return 0

    cdef int reserve_level(self, int side) noexcept nogil:
        # Room to open one level on this side.
        if self.level_free == NO_SLOT and self.grow_level_pool(self.level_pool_cap * 2) < 0:
            return -1
        if self.n_levels[side] == self.ladder_cap[side] and self.grow_ladder(side, self.ladder_cap[side] * 2) < 0:
            return -1
        return slot_index_reserve(&self.level_index, 1)

    cdef int grow_level_pool(self, int32_t capacity) noexcept nogil:
        if capacity > MAX_SLOTS:
            return -1
        cdef Level* grown = <Level*> realloc(self.level_pool, capacity * sizeof(Level))
        if grown == NULL:
            return -1
        cdef int32_t s
        for s in range(self.level_pool_cap, capacity):
            grown[s].next_free = s + 1
        grown[capacity - 1].next_free = self.level_free
        self.level_free = self.level_pool_cap
        self.level_pool = grown
        self.level_pool_cap = capacity
        return 0

    cdef int grow_ladder(self, int side, int32_t capacity) noexcept nogil:
        cdef int32_t* grown = <int32_t*> realloc(self.ladder[side], capacity * sizeof(int32_t))
        if grown == NULL:
            return -1
        self.ladder[side] = grown
        self.ladder_cap[side] = capacity
        return 0

    cdef int grow_stops(self, int32_t capacity) noexcept nogil:
        if capacity <= self.stops_cap:
            return 0
        cdef PendingStop* grown = <PendingStop*> realloc(self.stops, capacity * sizeof(PendingStop))
        if grown == NULL:
            return -1
        self.stops = grown
        self.stops_cap = capacity
        return 0

    cdef int grow_pool(self, int32_t capacity) noexcept nogil:
        # New slots go onto the free list.
        if capacity <= self.pool_cap:
            return 0
        if capacity > MAX_SLOTS:
            return -1
        cdef Order* grown = <Order*> realloc(self.pool, capacity * sizeof(Order))
        if grown == NULL:
            return -1
        cdef int32_t s
        for s in range(self.pool_cap, capacity):
            grown[s].place = PLACE_FREE
            grown[s].indexed = 0
            grown[s].next = s + 1
        grown[capacity - 1].next = self.pool_free
        self.pool_free = self.pool_cap
        self.pool = grown
        self.pool_cap = capacity
        return 0

    cdef int32_t alloc_slot(self) noexcept nogil:
        # The caller reserved a free slot.
        cdef int32_t slot = self.pool_free
        self.pool_free = self.pool[slot].next
        return slot

    cdef int grow_events(self, int64_t capacity) noexcept nogil:
        cdef EventRecord* grown
        if self.ev_borrowed:
            # A batch's `out` is full, and not the book's to realloc: the run moves on into a
            # copy the book owns, which return_borrowed() hands to NumPy.
            capacity += INITIAL_EVENTS  # `out` may have been empty
            grown = <EventRecord*> copy_to_new(self.events, self.ev_len * sizeof(EventRecord),
                                               capacity * sizeof(EventRecord))
        else:
            grown = <EventRecord*> realloc(self.events, capacity * sizeof(EventRecord))
        if grown == NULL:
            return -1
        self.events = grown
        self.ev_cap = capacity
        self.ev_borrowed = False
        return 0

    # -- EVENTS ----------------------------------------------------------------------------

    cdef void emit(self, uint8_t kind, uint8_t side, uint8_t code, int64_t order_id,
                   int64_t user_id, int64_t maker_order_id, int64_t maker_user_id,
                   int64_t price, int64_t qty, int64_t filled) noexcept nogil:
        self.seq += 1
        if self.ev_len == self.ev_cap and self.grow_events(self.ev_cap * 2) < 0:
            # The book is already changing and must stay consistent: keep going, report the
            # loss when the command ends (seq still counts the event, so the gap shows).
            self.events_lost = True
            return
        cdef EventRecord* e = &self.events[self.ev_len]
        self.ev_len += 1
        e.seq = self.seq
        e.order_id = order_id
        e.user_id = user_id
        e.maker_order_id = maker_order_id
        e.maker_user_id = maker_user_id
        e.price = price
        e.qty = qty
        e.filled = filled
        e.kind = kind
        e.side = side
        e.code = code
        e._pad0 = 0
        e._pad1 = 0

    cdef void emit_order(self, const Order* o, uint8_t status) noexcept nogil:
        self.emit(ORDER, o.side, status, o.order_id, o.user_id, 0, 0, o.price, leaves(o),
                  o.filled_qty)

    cdef void emit_amended(self, const Order* o) noexcept nogil:
        self.emit(AMENDED, o.side, 0, o.order_id, o.user_id, 0, 0, o.price, leaves(o),
                  o.filled_qty)

    cdef void emit_level(self, int side, const Level* lv) noexcept nogil:
        self.emit(LEVEL, side, 0, 0, 0, 0, 0, lv.price, lv.qty, lv.count)


cdef object adopt_events(EventRecord* run, int64_t n):
    # A malloc'ed run of n events becomes a NumPy array that owns it (its unused tail is given
    # back first). The caller no longer owns `run`.
    cdef EventRecord* shrunk = <EventRecord*> realloc(run, n * sizeof(EventRecord))
    if shrunk != NULL:
        run = shrunk  # else shrinking failed: hand over the larger block
    cdef _EventMemory memory = _EventMemory.__new__(_EventMemory)
    memory.data = run
    memory.nbytes = n * sizeof(EventRecord)
    return np.frombuffer(memory, dtype=EVENT_DTYPE)


cdef int check_array(object array, object dtype, str name, bint writable) except -1:
    # apply_batch's arrays, before their buffers are taken.
    if not isinstance(array, np.ndarray) or array.dtype != dtype:
        raise TypeError(f"{name} must be a NumPy array of {'EVENT_DTYPE' if writable else 'COMMAND_DTYPE'}, "
                        f"not {type(array).__name__}"
                        f"{' of ' + str(array.dtype) if isinstance(array, np.ndarray) else ''}")
    if array.ndim != 1 or not array.flags.c_contiguous or (writable and not array.flags.writeable):
        raise ValueError(f"{name} must be a one-dimensional, C-contiguous"
                         f"{', writable' if writable else ''} array")
    return 0


cdef inline bint ranges_overlap(const char* a, Py_ssize_t a_len, const char* b,
                                Py_ssize_t b_len) noexcept nogil:
    return a < b + b_len and b < a + a_len


cdef class _EventMemory:
    """EventRecords as a buffer for NumPy (the array's base object): either a batch's run, which
    it owns and frees, or a slice of a book's buffer, whose book it keeps alive."""

    cdef EventRecord* data
    cdef Py_ssize_t nbytes
    cdef OrderBook book  # None when the memory is owned

    def __getbuffer__(self, Py_buffer* buffer, int flags):
        buffer.buf = <void*> self.data
        buffer.obj = self
        buffer.len = self.nbytes
        buffer.readonly = 0
        buffer.itemsize = 1
        buffer.format = <char*> "B" if flags & PyBUF_FORMAT else NULL
        buffer.ndim = 1
        buffer.shape = &self.nbytes
        buffer.strides = NULL
        buffer.suboffsets = NULL
        buffer.internal = NULL

    def __releasebuffer__(self, Py_buffer* buffer):
        pass

    def __dealloc__(self):
        if self.book is None:
            free(self.data)


# -- LEVELS, INDEXES AND RECORDS --

cdef inline void init_level(Level* lv, int64_t price) noexcept nogil:
    lv.price = price
    lv.qty = 0
    lv.count = 0
    lv.head = NO_SLOT
    lv.tail = NO_SLOT
    lv.next_free = NO_SLOT

cdef inline void append_to_level(Order* pool, Level* lv, int32_t slot) noexcept nogil:
    cdef Order* o = &pool[slot]
    o.prev = lv.tail
    o.next = NO_SLOT
    if lv.tail != NO_SLOT:
        pool[lv.tail].next = slot
    else:
        lv.head = slot
    lv.tail = slot
    lv.qty += leaves(o)
    lv.count += 1

cdef inline void unlink_from_level(Order* pool, Level* lv, int32_t slot) noexcept nogil:
    cdef Order* o = &pool[slot]
    if o.prev != NO_SLOT:
        pool[o.prev].next = o.next
    else:
        lv.head = o.next
    if o.next != NO_SLOT:
        pool[o.next].prev = o.prev
    else:
        lv.tail = o.prev
    lv.qty -= leaves(o)
    lv.count -= 1

cdef void reverse_slots(int32_t* slots, int32_t n) noexcept nogil:
    cdef int32_t i = 0, j = n - 1, tmp
    while i < j:
        tmp = slots[i]
        slots[i] = slots[j]
        slots[j] = tmp
        i += 1
        j -= 1

cdef inline int64_t slot_index_home(const SlotIndex* ix, int64_t key) noexcept nogil:
    return <int64_t> ((<uint64_t> key * FIB_HASH) >> ix.shift)

cdef inline int32_t slot_index_find(const SlotIndex* ix, int64_t key) noexcept nogil:
    cdef int64_t i = slot_index_home(ix, key)
    cdef int64_t k
    while True:
        k = ix.keys[i]
        if k == key:
            return ix.slots[i]
        if k == 0:
            return NO_SLOT
        i = (i + 1) & ix.mask

cdef inline void slot_index_put(SlotIndex* ix, int64_t key, int32_t slot) noexcept nogil:
    # The caller reserved room and the key is not in the index.
    cdef int64_t i = slot_index_home(ix, key)
    while ix.keys[i] != 0:
        i = (i + 1) & ix.mask
    ix.keys[i] = key
    ix.slots[i] = slot
    ix.count += 1

cdef void slot_index_remove(SlotIndex* ix, int64_t key) noexcept nogil:
    # Backward-shift deletion: later entries of the probe run move into the hole when their
    # home bucket allows, so lookups never meet tombstones.
    cdef int64_t mask = ix.mask
    cdef int64_t hole = slot_index_home(ix, key)
    while ix.keys[hole] != key:
        hole = (hole + 1) & mask
    cdef int64_t i = hole
    cdef int64_t home
    while True:
        i = (i + 1) & mask
        if ix.keys[i] == 0:
            break
        home = slot_index_home(ix, ix.keys[i])
        if (i - home) & mask < (i - hole) & mask:
            continue  # its home lies cyclically in (hole, i]: it must stay after the hole
        ix.keys[hole] = ix.keys[i]
        ix.slots[hole] = ix.slots[i]
        hole = i
    ix.keys[hole] = 0
    ix.count -= 1

cdef int slot_index_resize(SlotIndex* ix, int64_t capacity) noexcept nogil:
    # capacity: a power of two, more than twice the entries
    cdef int64_t* old_keys = ix.keys
    cdef int32_t* old_slots = ix.slots
    cdef int64_t old_capacity = ix.mask + 1 if old_keys != NULL else 0
    cdef int64_t* keys = <int64_t*> malloc(capacity * sizeof(int64_t))
    cdef int32_t* slots = <int32_t*> malloc(capacity * sizeof(int32_t))
    if keys == NULL or slots == NULL:
        free(keys)
        free(slots)
        return -1
    memset(keys, 0, capacity * sizeof(int64_t))
    ix.keys = keys
    ix.slots = slots
    ix.mask = capacity - 1
    ix.count = 0
    ix.shift = 64
    while capacity > 1:
        ix.shift -= 1
        capacity >>= 1
    cdef int64_t i
    for i in range(old_capacity):
        if old_keys[i] != 0:
            slot_index_put(ix, old_keys[i], old_slots[i])
    free(old_keys)
    free(old_slots)
    return 0

cdef int slot_index_reserve(SlotIndex* ix, int64_t extra) noexcept nogil:
    # Load stays <= 1/2, which keeps linear probe runs short.
    cdef int64_t capacity = ix.mask + 1
    if (ix.count + extra) * 2 <= capacity:
        return 0
    while (ix.count + extra) * 2 > capacity:
        capacity <<= 1
    return slot_index_resize(ix, capacity)

cdef void slot_index_free(SlotIndex* ix) noexcept nogil:
    free(ix.keys)
    free(ix.slots)
    ix.keys = NULL
    ix.slots = NULL

cdef inline int64_t slot_index_bytes(const SlotIndex* ix) noexcept nogil:
    return (ix.mask + 1) * (sizeof(int64_t) + sizeof(int32_t)) if ix.keys != NULL else 0

cdef char* write_record(char* p, const Order* o, int64_t cap) noexcept nogil:
    cdef int64_t fields[7]
    fields[0] = o.order_id
    fields[1] = o.user_id
    fields[2] = o.price
    fields[3] = o.stop_price
    fields[4] = o.orig_qty
    fields[5] = o.filled_qty
    fields[6] = cap
    memcpy(p, fields, sizeof(fields))
    p[56] = <char> o.side
    p[57] = <char> o.order_type
    p[58] = <char> o.tif
    p[59] = <char> o.stp
    memset(p + 60, 0, 4)
    return p + SNAPSHOT_RECORD

cdef int64_t read_record(const char* p, Order* o) noexcept nogil:
    # Fills the order from a snapshot record; returns its cap.
    cdef int64_t fields[7]
    memcpy(fields, p, sizeof(fields))
    o.order_id = fields[0]
    o.user_id = fields[1]
    o.price = fields[2]
    o.stop_price = fields[3]
    o.orig_qty = fields[4]
    o.filled_qty = fields[5]
    o.side = <uint8_t> p[56]
    o.order_type = <uint8_t> p[57]
    o.tif = <uint8_t> p[58]
    o.stp = <uint8_t> p[59]
    o.prev = NO_SLOT
    o.next = NO_SLOT
    o.indexed = 0
    return fields[6]

cdef bint valid_restored_order(const Order* o, int64_t cap, int64_t tick_size, int64_t lot_size,
                               bint pending) noexcept nogil:
    if o.side > SELL or o.order_type > TAKE_PROFIT_LIMIT or o.tif > FOK or o.stp > EXPIRE_BOTH:
        return False
    if o.order_id <= 0 or o.user_id < 0 or not in_range(o.orig_qty) or not on_grid(o.orig_qty, lot_size):
        return False
    if not (0 <= o.filled_qty < o.orig_qty):
        return False
    if pending:
        # a stop waiting for its trigger: never filled; only the market types carry a cap
        if not is_stop_type(o.order_type) or o.filled_qty or not in_range(o.stop_price):
            return False
        if cap != 0 and (has_limit_price(o.order_type) or not in_range(cap)):
            return False
    elif not has_limit_price(o.order_type) or cap != 0:
        return False  # a resting order has a limit price and no cap
    if has_limit_price(o.order_type):
        return in_range(o.price) and on_grid(o.price, tick_size)
    return o.price == 0
