# The compiled order book's C layout and method table: the reviewed contract of book.pyx.
# Semantics live in docs/engine.md; the data structures are explained in book.pyx's docstring.

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
    uint8_t indexed          # 1 while order_id is in the id index

cdef struct Level:
    # One price level: aggregate quantity and the FIFO of its orders (pool slots).
    int64_t price
    int64_t qty
    int32_t count
    int32_t head
    int32_t tail
    int32_t _pad

cdef struct Taker:
    # The state of one order while it walks the opposite side (steps 4-6 of SUBMIT).
    int32_t slot
    uint8_t is_market        # no limit price: every level is acceptable
    uint8_t by_quote         # MARKET by quote_qty: `quote_left` bounds the walk, not leaves
    uint8_t stp_stopped      # self-trade prevention ended the walk
    uint8_t unaffordable     # a quote order stopped because the next lot cost too much
    int64_t quote_left
    int64_t filled_now       # quantity filled during this command


cdef class OrderBook:
    cdef readonly int64_t tick_size
    cdef readonly int64_t lot_size
    cdef readonly int64_t seq
    cdef readonly int64_t last_price

    # order pool: contiguous slots, free list threaded through Order.next
    cdef Order* pool
    cdef int32_t pool_cap
    cdef int32_t pool_free
    cdef int32_t pool_used

    # id index: open addressing, linear probing, order_id -> pool slot (key 0 = empty)
    cdef int64_t* index_keys
    cdef int32_t* index_slots
    cdef int64_t index_mask
    cdef int32_t index_shift
    cdef int64_t index_count

    # price levels per side, sorted so that the best level is the last element
    cdef Level* levels[2]
    cdef int32_t n_levels[2]
    cdef int32_t levels_cap[2]

    # pending stops, pool slots in placement order
    cdef int32_t* stops
    cdef int32_t n_stops
    cdef int32_t stops_cap

    # events: [ev_start, ev_len) are the last command's
    cdef EventRecord* events
    cdef int64_t ev_len
    cdef int64_t ev_start
    cdef int64_t ev_cap
    cdef bint events_lost

    # -- COMMANDS --
    cpdef int submit(self, int64_t order_id, int64_t user_id, int64_t side, int64_t order_type,
                     int64_t tif, int64_t price, int64_t qty, int64_t quote_qty=*,
                     int64_t stop_price=*, int64_t stp=*) except -1
    cpdef int cancel(self, int64_t order_id) except -1
    cpdef int amend(self, int64_t order_id, int64_t new_price, int64_t new_qty) except -1
    cpdef int replace(self, int64_t target_id, int64_t order_id, int64_t user_id, int64_t side,
                      int64_t order_type, int64_t tif, int64_t price, int64_t qty,
                      int64_t quote_qty=*, int64_t stop_price=*, int64_t stp=*) except -1
    cpdef tuple apply_batch(self, const CommandRecord[::1] commands)

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
    cpdef int64_t memory_bytes(self)

    # -- COMMAND CORES (nogil; -1 = out of memory, the book is consistent) --
    cdef int submit_c(self, int64_t order_id, int64_t user_id, int64_t side, int64_t order_type,
                      int64_t tif, int64_t price, int64_t qty, int64_t quote_qty,
                      int64_t stop_price, int64_t stp) noexcept nogil
    cdef int cancel_c(self, int64_t order_id) noexcept nogil
    cdef int amend_c(self, int64_t order_id, int64_t new_price, int64_t new_qty) noexcept nogil
    cdef int replace_c(self, int64_t target_id, int64_t order_id, int64_t user_id, int64_t side,
                       int64_t order_type, int64_t tif, int64_t price, int64_t qty,
                       int64_t quote_qty, int64_t stop_price, int64_t stp) noexcept nogil
    cdef int run_command(self, const CommandRecord* cmd) noexcept nogil

    # -- VALIDATION --
    cdef int submit_reject_reason(self, int64_t order_id, int64_t user_id, int64_t side,
                                  int64_t order_type, int64_t tif, int64_t price, int64_t qty,
                                  int64_t quote_qty, int64_t stop_price,
                                  int64_t stp) noexcept nogil
    cdef int amend_reject_reason(self, int32_t slot, int64_t new_price,
                                 int64_t new_qty) noexcept nogil
    cdef bint level_would_overflow(self, int side, int64_t price, int64_t add) noexcept nogil
    cdef bint stop_condition_holds(self, const Order* o) noexcept nogil

    # -- MATCHING --
    cdef int process_taker(self, Taker* t) noexcept nogil
    cdef bint can_fill_completely(self, const Taker* t) noexcept nogil
    cdef void match(self, Taker* t) noexcept nogil
    cdef bint match_against_level(self, Taker* t, int32_t li) noexcept nogil
    cdef void expire_maker(self, int32_t li, int32_t maker) noexcept nogil
    cdef void finish_taker(self, Taker* t) noexcept nogil
    cdef int run_stop_cascade(self) noexcept nogil

    # -- BOOK MAINTENANCE --
    cdef void rest_order(self, int32_t slot) noexcept nogil
    cdef void unlink_from_level(self, int32_t li, int32_t slot) noexcept nogil
    cdef int32_t find_level(self, int side, int64_t price, bint* found) noexcept nogil
    cdef void remove_level(self, int side, int32_t li) noexcept nogil
    cdef void remove_pending_stop(self, int32_t slot) noexcept nogil
    cdef void retire_order(self, int32_t slot) noexcept nogil

    # -- STORAGE --
    cdef int reserve_for_submit(self) noexcept nogil
    cdef int reserve_level(self, int side) noexcept nogil
    cdef int reserve_stop(self) noexcept nogil
    cdef int32_t alloc_slot(self) noexcept nogil
    cdef void free_slot(self, int32_t slot) noexcept nogil
    cdef int32_t index_find(self, int64_t order_id) noexcept nogil
    cdef void index_put(self, int64_t order_id, int32_t slot) noexcept nogil
    cdef void index_remove(self, int64_t order_id) noexcept nogil
    cdef int index_grow(self) noexcept nogil
    cdef void emit(self, uint8_t kind, uint8_t side, uint8_t code, int64_t order_id,
                   int64_t user_id, int64_t maker_order_id, int64_t maker_user_id,
                   int64_t price, int64_t qty, int64_t filled) noexcept nogil
    cdef void emit_level(self, int side, const Level* lv) noexcept nogil
    cdef void emit_order(self, const Order* o, uint8_t status) noexcept nogil
    cdef object order_state(self, int32_t slot)
