"""Binance's REST surface: the routing table (routes.py, from the protos' google.api.http
annotations), parameters (params.py), rendering (render.py) and the request pipeline
(handler.py)."""
