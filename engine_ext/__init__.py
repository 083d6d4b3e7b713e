"""The matching engine: one deterministic integer order book per symbol (docs/engine.md)."""
