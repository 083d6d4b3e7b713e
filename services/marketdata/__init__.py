"""Market data: depth, trades, tickers and candles built from the engine's events, served as
Binance's public REST views and WebSocket streams (see domain.py for the map)."""
