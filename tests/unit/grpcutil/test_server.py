"""The shared server: error mapping, deadlines, metrics, access log, health, reflection and a
graceful stop, observed from a real client on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
import time
import urllib.request
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from prometheus_client import REGISTRY

from exchange.v1 import matching_pb2, matching_pb2_grpc, user_pb2, user_pb2_grpc
from services.common.grpcutil import deadline_interceptor
from services.common.grpcutil.errors import ServiceError, status_of
from services.common.grpcutil.json_logs import JsonFormatter
from services.common.grpcutil.server import RunningServer, Service, serve, start_server
from services.common.ports import Unavailable


class Refused(Exception):
    pass


class Probe(user_pb2_grpc.UserServiceServicer):
    """Each method exercises one behaviour of the plumbing."""

    def __init__(self) -> None:
        self.seen_remaining: float | None = None
        self.release = asyncio.Event()
        self.started = asyncio.Event()

    async def Register(self, request: user_pb2.RegisterRequest, context: Any) -> user_pb2.RegisterResponse:
        raise ServiceError("WEAK_PASSWORD", "8 to 128 characters", metadata={"param": "password"})

    async def Login(self, request: user_pb2.LoginRequest, context: Any) -> user_pb2.LoginResponse:
        raise RuntimeError("secret internals: /var/lib/db")

    async def ListApiKeys(self, request: user_pb2.ListApiKeysRequest, context: Any) -> user_pb2.ListApiKeysResponse:
        raise Refused()

    async def RevokeApiKey(self, request: user_pb2.RevokeApiKeyRequest, context: Any) -> user_pb2.RevokeApiKeyResponse:
        raise Unavailable("ledger down")

    async def VerifySession(
        self, request: user_pb2.VerifySessionRequest, context: Any
    ) -> user_pb2.VerifySessionResponse:
        self.seen_remaining = deadline_interceptor.remaining()
        return user_pb2.VerifySessionResponse(user_id=7)

    async def ResolveListenKey(
        self, request: user_pb2.ResolveListenKeyRequest, context: Any
    ) -> user_pb2.ResolveListenKeyResponse:
        self.started.set()
        await self.release.wait()  # an in-flight call while the server stops
        return user_pb2.ResolveListenKeyResponse(user_id=1)


class Streamer(matching_pb2_grpc.MatchingServiceServicer):
    async def StreamEvents(
        self, request: matching_pb2.StreamEventsRequest, context: Any
    ) -> AsyncIterator[matching_pb2.EventBatch]:
        yield matching_pb2.EventBatch(batch_id=1)
        raise ServiceError("SEQUENCE_TRUNCATED")


@pytest.fixture
def probe() -> Probe:
    return Probe()


@pytest.fixture
async def server(probe: Probe) -> AsyncIterator[RunningServer]:
    running = await start_server(
        [
            Service(
                user_pb2.DESCRIPTOR.services_by_name["UserService"],
                probe,
                user_pb2_grpc.add_UserServiceServicer_to_server,
            ),
            Service(
                matching_pb2.DESCRIPTOR.services_by_name["MatchingService"],
                Streamer(),
                matching_pb2_grpc.add_MatchingServiceServicer_to_server,
            ),
        ],
        0,
        errors={Refused: "PERMISSION_DENIED"},
    )
    yield running
    probe.release.set()
    await running.stop(grace=0.5)


@pytest.fixture
async def channel(server: RunningServer) -> AsyncIterator[grpc.aio.Channel]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as opened:
        yield opened


@pytest.fixture
def stub(channel: grpc.aio.Channel) -> user_pb2_grpc.UserServiceStub:
    return user_pb2_grpc.UserServiceStub(channel)


async def test_a_second_server_on_a_port_in_use_fails_to_start_instead_of_sharing_it(
    server: RunningServer, stub: user_pb2_grpc.UserServiceStub
) -> None:
    # gRPC's default SO_REUSEPORT would let it bind, and the kernel would then hand it some of
    # the connections meant for the first (two services given one port, a stale process)
    with pytest.raises(OSError, match="in use"):
        await start_server([], server.port)
    assert (await stub.VerifySession(user_pb2.VerifySessionRequest())).user_id == 7


async def test_a_service_error_reaches_the_client_as_status_and_error_info(stub: user_pb2_grpc.UserServiceStub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as failed:
        await stub.Register(user_pb2.RegisterRequest())

    error = status_of(failed.value)
    assert (error.code, error.reason, error.binance_code, error.metadata["param"]) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "WEAK_PASSWORD",
        -1100,
        "password",
    )
    assert error.message == "Illegal characters found in parameter 'password'; legal range is '8 to 128 characters'."


async def test_a_domain_exception_in_the_table_is_mapped(stub: user_pb2_grpc.UserServiceStub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as failed:
        await stub.ListApiKeys(user_pb2.ListApiKeysRequest())

    assert status_of(failed.value).reason == "PERMISSION_DENIED"


async def test_a_backend_outage_is_unavailable_for_every_service(stub: user_pb2_grpc.UserServiceStub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as failed:
        await stub.RevokeApiKey(user_pb2.RevokeApiKeyRequest())

    error = status_of(failed.value)
    assert (error.code, error.reason, error.binance_code) == (grpc.StatusCode.UNAVAILABLE, "BACKEND_UNAVAILABLE", -1001)


async def test_a_bug_is_internal_error_without_leaking_its_message(
    stub: user_pb2_grpc.UserServiceStub, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as failed:
        await stub.Login(user_pb2.LoginRequest())

    error = status_of(failed.value)
    assert (error.code, error.reason, error.binance_code) == (grpc.StatusCode.INTERNAL, "INTERNAL_ERROR", -1000)
    assert "secret internals" not in str(failed.value)
    assert any("secret internals" in str(r.exc_info) for r in caplog.records)  # but the operator sees it


async def test_a_streaming_call_fails_with_the_same_convention_after_its_first_items(
    channel: grpc.aio.Channel,
) -> None:
    call = matching_pb2_grpc.MatchingServiceStub(channel).StreamEvents(matching_pb2.StreamEventsRequest())
    received = []
    with pytest.raises(grpc.aio.AioRpcError) as failed:
        async for batch in call:
            received.append(batch.batch_id)

    assert received == [1]
    assert status_of(failed.value).reason == "SEQUENCE_TRUNCATED"


async def test_the_handler_knows_the_callers_deadline(stub: user_pb2_grpc.UserServiceStub, probe: Probe) -> None:
    await stub.VerifySession(user_pb2.VerifySessionRequest(), timeout=2.0)
    # grpc rounds deadlines on the wire, so allow a little over the 2 s sent
    assert probe.seen_remaining is not None and 1.0 < probe.seen_remaining <= 2.1

    await stub.VerifySession(user_pb2.VerifySessionRequest())
    assert probe.seen_remaining is None


async def test_outgoing_calls_get_at_most_the_remaining_deadline() -> None:
    class Continuation:
        details: Any = None

        async def __call__(self, details: Any, request: Any) -> None:
            self.details = details

    details = grpc.aio.ClientCallDetails("/x.Y/Z", 30.0, None, None, None)
    token = deadline_interceptor._deadline.set(time.monotonic() + 1.5)  # as if serving a call with 1.5 s left
    try:
        continuation = Continuation()
        await deadline_interceptor.DeadlineClientInterceptor().intercept_unary_unary(continuation, details, None)
    finally:
        deadline_interceptor._deadline.reset(token)

    assert 1.0 < continuation.details.timeout <= 1.5


async def test_every_call_is_counted_by_method_and_code(stub: user_pb2_grpc.UserServiceStub) -> None:
    labels = {"grpc_service": "exchange.v1.UserService", "grpc_method": "VerifySession", "grpc_code": "OK"}
    before = REGISTRY.get_sample_value("grpc_server_handled_total", labels) or 0.0

    await stub.VerifySession(user_pb2.VerifySessionRequest())

    assert REGISTRY.get_sample_value("grpc_server_handled_total", labels) == before + 1
    refused = {**labels, "grpc_method": "Register", "grpc_code": "INVALID_ARGUMENT"}
    before_refused = REGISTRY.get_sample_value("grpc_server_handled_total", refused) or 0.0
    with pytest.raises(grpc.aio.AioRpcError):
        await stub.Register(user_pb2.RegisterRequest())
    assert REGISTRY.get_sample_value("grpc_server_handled_total", refused) == before_refused + 1


async def test_every_call_writes_one_json_access_log_line(
    stub: user_pb2_grpc.UserServiceStub, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="spotex.grpc.access")

    with pytest.raises(grpc.aio.AioRpcError):
        await stub.Register(user_pb2.RegisterRequest())

    # the server logs once the call is over, which may be just after the client has its status
    for _ in range(100):
        records = [r for r in caplog.records if r.name == "spotex.grpc.access"]
        if records:
            break
        await asyncio.sleep(0.01)
    (record,) = records
    line = json.loads(JsonFormatter("user").format(record))
    assert (line["method"], line["code"], line["service"]) == (
        "/exchange.v1.UserService/Register",
        "INVALID_ARGUMENT",
        "user",
    )
    assert line["duration_ms"] >= 0


async def test_health_and_reflection_are_served(channel: grpc.aio.Channel) -> None:
    health = health_pb2_grpc.HealthStub(channel)
    assert (await health.Check(health_pb2.HealthCheckRequest(service="exchange.v1.MatchingService"))).status == (
        health_pb2.HealthCheckResponse.SERVING
    )

    reflection = reflection_pb2_grpc.ServerReflectionStub(channel)
    replies = reflection.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]))
    names = {s.name async for reply in replies for s in reply.list_services_response.service}
    assert {"exchange.v1.UserService", "exchange.v1.MatchingService", "grpc.health.v1.Health"} <= names


async def test_stopping_lets_in_flight_calls_finish_and_refuses_new_ones(
    server: RunningServer, stub: user_pb2_grpc.UserServiceStub, probe: Probe
) -> None:
    in_flight = asyncio.ensure_future(stub.ResolveListenKey(user_pb2.ResolveListenKeyRequest()))
    await probe.started.wait()

    stopping = asyncio.create_task(server.stop(grace=5.0))
    await asyncio.sleep(0.1)  # the server is draining; the call is still running
    probe.release.set()

    assert (await in_flight).user_id == 1
    await stopping
    with pytest.raises(grpc.aio.AioRpcError):
        await stub.VerifySession(user_pb2.VerifySessionRequest(), timeout=1.0)


def free_port() -> int:
    with socket.socket() as probe_socket:
        probe_socket.bind(("127.0.0.1", 0))
        port: int = probe_socket.getsockname()[1]
        return port


async def test_serve_runs_until_sigterm_then_drains_and_returns(probe: Probe) -> None:
    port, metrics_port = free_port(), free_port()
    service = Service(
        user_pb2.DESCRIPTOR.services_by_name["UserService"], probe, user_pb2_grpc.add_UserServiceServicer_to_server
    )
    serving = asyncio.create_task(serve([service], port, metrics_port=metrics_port, grace=2.0))
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = user_pb2_grpc.UserServiceStub(channel)
        assert (await stub.VerifySession(user_pb2.VerifySessionRequest(), wait_for_ready=True, timeout=5)).user_id == 7
        scraped = await asyncio.to_thread(urllib.request.urlopen, f"http://127.0.0.1:{metrics_port}/metrics")
        assert b"grpc_server_handled_total" in scraped.read()
        in_flight = asyncio.ensure_future(stub.ResolveListenKey(user_pb2.ResolveListenKeyRequest()))
        await probe.started.wait()

        os.kill(os.getpid(), signal.SIGTERM)
        await asyncio.sleep(0.1)
        probe.release.set()

        assert (await in_flight).user_id == 1
    await asyncio.wait_for(serving, timeout=5)
