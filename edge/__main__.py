"""`python -m edge`: the edge as its own process."""

import asyncio

import uvloop

from edge.main import run
from services.common.process import run_service

# Measured with tests/edge/bench_signed_orders.py --stubs (the edge alone, 1000 signed
# orders/s): uvloop's sockets take p50 from 17 to 4 ms, although grpc.aio's own calls cost a
# little more CPU under it than under the default loop.
asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
run_service("edge", run)
