"""Trade processing's pure rules (the servicer, main and storage build on them).

- `domain`: `settle(symbol, events, orders, time_ms, fees) -> Settlement`, the one place
  where engine events become balance changes, order updates and trade records.
- `fees`: the fee rule (parts per million of what a trader receives, rounded down).
- `user_stream`: Binance executionReport / outboundAccountPosition payloads.
"""
