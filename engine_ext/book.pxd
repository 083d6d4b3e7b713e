# The compiled order book's C layout and method table: the reviewed contract of book.pyx.
# Semantics live in docs/engine.md; the data structures are explained in book.pyx's docstring.

cimport cython
from libc.stdint cimport int32_t, int64_t, uint8_t, uint16_t, uint32_t


# -- RECORDS SHARED WITH NUMPY --
# Field for field the same as EVENT_DTYPE and COMMAND_DTYPE in events.py: the batch API reads
# and writes NumPy arrays of these with no conversion.

cdef packed struct EventRecord:
    int64_t seq
    int64_t order_id
    int64_t user_id
    int64_t maker_order_id
    int64_t maker_user_id
    int64_t price
    int64_t qty
    int64_t filled
    uint8_t kind
    uint8_t side
    uint8_t code
    uint8_t _pad0
    uint32_t _pad1

cdef packed struct CommandRecord:
    uint8_t op
    uint8_t side
    uint8_t order_type
    uint8_t tif
    uint8_t stp
    uint8_t _pad0
    uint16_t _pad1
    int64_t order_id
    int64_t user_id
    int64_t price
    int64_t qty
    int64_t quote_qty
    int64_t stop_price
    int64_t target_id
    int64_t cap


# -- BOOK STRUCTURES --

cdef struct Order:
    # One slot of the order pool: a resting order, a pending stop, or a taker being matched.
    int64_t order_id
    int64_t user_id
    int64_t price            # limit price; 0 for MARKET, STOP_LOSS, TAKE_PROFIT
    int64_t stop_price
    int64_t orig_qty
    int64_t filled_qty
    int32_t prev             # neighbours in the level's FIFO (-1 = none); `next` also links
    int32_t next             # the pool's free list
    uint8_t side
    uint8_t order_type
    uint8_t tif
    uint8_t stp
    uint8_t place            # PLACE_*: where the slot is (free, taker, resting, pending stop)
    uint8_t indexed          # 1 while order_id is in order_index

cdef struct Level:
    # One price level: aggregate quantity and the FIFO of its orders (pool slots). Levels live
    # in their own pool so that a slot stays valid while the ladders around it shift.
    int64_t price
    int64_t qty
    int32_t count
    int32_t head
    int32_t tail
    int32_t next_free        # links the level pool's free list

cdef struct SlotIndex:
    # Open addressing with linear probing, int64 key -> int32 slot; key 0 marks an empty bucket.
    int64_t* keys
    int32_t* slots
    int64_t mask
    int64_t count
    int shift

cdef struct PendingStop:
    # Only market types take a funds cap and they never rest, so the cap lives here rather
    # than in Order, which stays one 64-byte cache line.
    int32_t slot
    int64_t cap

cdef struct Taker:
    # One order while it walks the opposite side (steps 4-6 of SUBMIT).
    int32_t slot
    bint is_market           # no limit price: every level is acceptable
    bint by_quote            # MARKET by quote_qty: `quote_left` bounds the walk, not leaves
    bint has_cap
    uint8_t end              # WALK_*: why the walk ended
    int64_t quote_left
    int64_t cap_left         # notional for a BUY, quantity for a SELL
    int64_t filled_now       # quantity filled during this command


@cython.final
cdef class OrderBook:
    cdef readonly int64_t tick_size
    cdef readonly int64_t lot_size
    cdef readonly int64_t seq           # of the last event emitted
    cdef readonly int64_t last_price    # of the last trade; 0 before any
    cdef readonly int64_t trade_id      # of the last trade; 0 before any
    cdef readonly bint seq_trade_ids    # restored from OBK1: trades take the old rule (id = seq)

    # order pool: contiguous slots, free list threaded through Order.next
    cdef Order* pool
    cdef int32_t pool_cap
    cdef int32_t pool_free

    # order_id -> pool slot
    cdef SlotIndex order_index

    # price levels: a pool of Level structs, found by (price, side) through level_index; per
    # side a ladder of level slots sorted so that the best level is the last element
    cdef Level* level_pool
    cdef int32_t level_pool_cap
    cdef int32_t level_free
    cdef SlotIndex level_index
    cdef int32_t* ladder[2]
    cdef int32_t n_levels[2]
    cdef int32_t ladder_cap[2]

    # pending stops in placement order
    cdef PendingStop* stops
    cdef int32_t n_stops
    cdef int32_t stops_cap

    # events; [ev_start, ev_len) are the last command's
    cdef EventRecord* events
    cdef int64_t ev_len
    cdef int64_t ev_start
    cdef int64_t ev_cap
    cdef bint events_lost               # an event did not fit (out of memory): raised at command end
    cdef bint ev_borrowed               # `events` is a batch's `out` (the caller's), not the book's

    # -- COMMANDS --
    # submit/cancel/amend/reduce/replace are `def` methods in book.pyx (a cpdef wrapper costs more per
    # Python call); C callers use the command cores below, then read `events[ev_start:ev_len]`.
    cpdef tuple apply_batch(self, object commands, object out=*)
    cdef tuple run_batch(self, const CommandRecord* cmds, Py_ssize_t n, object out,
                         EventRecord* out_data, Py_ssize_t out_len)
    # -- QUERIES --
    cpdef list last_events(self)
    cpdef object event_view(self)
    cpdef object best_bid(self)
    cpdef object best_ask(self)
    cpdef tuple depth(self, int n)
    cpdef object get_order(self, int64_t order_id)
    cpdef list orders(self)
    cpdef bytes snapshot(self)
    cpdef bytes state_hash(self)
    cpdef void continue_trade_ids(self)
    cpdef int64_t memory_bytes(self)

    # -- PYTHON GLUE --
    cdef void begin_call(self) noexcept
    cdef int end_call(self, int status) except -1
    cdef object batch_events(self)
    cdef object return_borrowed(self, object out, EventRecord* own, int64_t own_cap)
    cdef object best_level(self, int side)
    cdef list side_depth(self, int side, int n)
    cdef object order_state(self, int32_t slot)
    cdef int64_t resting_count(self) noexcept nogil
    cdef int load_orders(self, const char* p, int64_t n_resting, int64_t n_stops) except -1

    # -- COMMAND CORES (nogil; 0 = done, -1 = out of memory with the book consistent) --
    cdef int run_command(self, const CommandRecord* cmd) noexcept nogil
    cdef int submit_c(self, int64_t order_id, int64_t user_id, int64_t side, int64_t order_type,
                      int64_t tif, int64_t price, int64_t qty, int64_t quote_qty,
                      int64_t stop_price, int64_t stp, int64_t cap) noexcept nogil
    cdef int cancel_c(self, int64_t order_id) noexcept nogil
    cdef int amend_c(self, int64_t order_id, int64_t new_price, int64_t new_qty) noexcept nogil
    cdef int reduce_c(self, int64_t order_id, int64_t new_qty) noexcept nogil
    cdef int replace_c(self, int64_t target_id, int64_t order_id, int64_t user_id, int64_t side,
                       int64_t order_type, int64_t tif, int64_t price, int64_t qty,
                       int64_t quote_qty, int64_t stop_price, int64_t stp,
                       int64_t cap) noexcept nogil
    cdef int after_command(self, int64_t price_before) noexcept nogil

    # -- VALIDATION (0 = valid, else the RejectReason) --
    cdef int submit_reject_reason(self, int64_t order_id, int64_t user_id, int64_t side,
                                  int64_t order_type, int64_t tif, int64_t price, int64_t qty,
                                  int64_t quote_qty, int64_t stop_price, int64_t stp,
                                  int64_t cap) noexcept nogil
    cdef int amend_reject_reason(self, int32_t slot, int64_t new_price,
                                 int64_t new_qty) noexcept nogil
    cdef int64_t level_qty(self, int side, int64_t price) noexcept nogil
    cdef bint would_take(self, int side, int64_t price) noexcept nogil
    cdef bint cap_pays_the_walk(self, int64_t side, int64_t user_id, int64_t stp, int64_t qty,
                                int64_t quote_qty, int64_t cap) noexcept nogil

    # -- MATCHING --
    cdef void process_taker(self, Taker* t) noexcept nogil
    cdef bint can_fill_completely(self, const Taker* t) noexcept nogil
    cdef void match(self, Taker* t) noexcept nogil
    cdef bint match_against_level(self, Taker* t, int32_t lvl) noexcept nogil
    cdef bint taker_exhausted(self, Taker* t) noexcept nogil
    cdef int64_t fill_size(self, Taker* t, int64_t price, int64_t maker_leaves) noexcept nogil
    cdef bint trade(self, Taker* t, int32_t lvl, int32_t maker, int64_t q) noexcept nogil
    cdef bint expire_maker(self, int side, int32_t lvl, int32_t maker) noexcept nogil
    cdef void finish_taker(self, Taker* t) noexcept nogil
    cdef int run_stop_cascade(self) noexcept nogil
    cdef int32_t first_triggered_stop(self) noexcept nogil

    # -- BOOK MAINTENANCE --
    cdef void rest_order(self, int32_t slot) noexcept nogil
    cdef void take_from_level(self, int32_t slot) noexcept nogil
    cdef int32_t find_level(self, int side, int64_t price) noexcept nogil
    cdef int32_t best_level_slot(self, int side) noexcept nogil
    cdef int32_t ladder_position(self, int side, int64_t price) noexcept nogil
    cdef int32_t new_level(self, int side, int64_t price) noexcept nogil
    cdef int32_t open_level(self, int side, int64_t price) noexcept nogil
    cdef void close_level(self, int side, int32_t lvl) noexcept nogil
    cdef void add_pending_stop(self, int32_t slot, int64_t cap) noexcept nogil
    cdef void remove_pending_stop(self, int32_t slot) noexcept nogil
    cdef void retire_order(self, int32_t slot) noexcept nogil
    cdef int32_t lookup(self, int64_t order_id) noexcept nogil

    # -- STORAGE --
    cdef int reserve_for_submit(self) noexcept nogil
    cdef int reserve_level(self, int side) noexcept nogil
    cdef int grow_level_pool(self, int32_t capacity) noexcept nogil
    cdef int grow_ladder(self, int side, int32_t capacity) noexcept nogil
    cdef int grow_stops(self, int32_t capacity) noexcept nogil
    cdef int grow_pool(self, int32_t capacity) noexcept nogil
    cdef int32_t alloc_slot(self) noexcept nogil
    cdef int grow_events(self, int64_t capacity) noexcept nogil

    # -- EVENTS --
    cdef void emit(self, uint8_t kind, uint8_t side, uint8_t code, int64_t order_id,
                   int64_t user_id, int64_t maker_order_id, int64_t maker_user_id,
                   int64_t price, int64_t qty, int64_t filled) noexcept nogil
    cdef void emit_order(self, const Order* o, uint8_t status) noexcept nogil
    cdef void emit_amended(self, const Order* o) noexcept nogil
    cdef void emit_level(self, int side, const Level* lv) noexcept nogil
