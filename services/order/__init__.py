"""The order service's pure rules (the servicer, main and storage build on them).

- `domain`: parse a Binance new-order request, apply the symbol filters, reserve funds, build
  the OrderRecord (`parse_new_order`, `apply_filters`, `reserve_funds`, `new_order_record`).
- `filters`: one function per Binance symbol filter.
- `responses`: Binance's ACK/RESULT/FULL, query-order and cancel shapes; number formats.
- `errors`: `OrderRejected` and every Binance error an order can get, verbatim.
"""
