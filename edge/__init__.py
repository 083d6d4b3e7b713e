"""The edge: Binance Spot's REST API (and, in edge/ws, its WebSocket streams) in front of the
services' gRPC contracts. Existing clients (ccxt's `binance`, python-binance) work unchanged
with only their base URLs pointed here.

    edge/main.py        composition root: config -> gRPC channels -> Starlette app -> uvicorn
    edge/app.py         the ASGI app: REST routes, /openapi.json, WebSocket routes if present
    edge/clients.py     one long-lived channel per service
    edge/auth.py        Binance SIGNED / USER_STREAM requests, web sessions, the operator
    edge/ratelimit.py   request weight per IP, order counts per account, IP bans
    edge/errors.py      Binance's {"code", "msg"} errors and their HTTP statuses
    edge/openapi.py     /openapi.json from the routing table
    edge/settings.py    the edge's limits (SPOTEX_EDGE_*)
    edge/rest/
      routes.py         the routing table, from the protos' google.api.http annotations
      policy.py         per RPC: Binance security type and request weight
      params.py         query string + form body -> request message, Binance's -11xx errors
      operations.py     each (path, method) bound to its RPC call and renderer
      order_entry.py    new orders on the edge's OrderService.PlaceOrderStream
      handler.py        one request: body, weight, auth, decode, order count, call, JSON
      render*.py, exchange_info.py   contract messages -> Binance's JSON shapes

Run it: `python -m edge` (with the services up; ports and data dir from SPOTEX_* as every
service), or `await edge.main.run(config)`. Tests: `pytest tests/edge` starts everything.
"""
