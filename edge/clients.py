"""One long-lived gRPC channel per service, shared by every request (and by edge/ws).

`unary(method)` builds a callable for any contract method from its descriptor, which is how
the REST table calls the RPC its annotation names without a hand-written stub call per
endpoint. The typed stubs are here too, for code that calls a method by name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import grpc
from google.protobuf import message_factory
from google.protobuf.descriptor import MethodDescriptor

from exchange.v1 import marketdata_pb2_grpc, order_pb2_grpc, tradeproc_pb2_grpc, user_pb2_grpc
from services.common.config import Config
from services.order.session import OrderSession

# Which service process answers each contract service.
SERVICE_HOSTS = {
    "exchange.v1.UserService": "user",
    "exchange.v1.OrderService": "order",
    "exchange.v1.MarketDataService": "marketdata",
    "exchange.v1.TradeProcessingService": "tradeproc",
}

# Keepalive so a service that vanished (pod killed, no FIN) is noticed in seconds. The edge
# does not use grpcutil.channel.connect: its deadline interceptor propagates an inbound gRPC
# deadline, which the edge never has, and a client interceptor costs an extra task per call
# on the hottest path of the exchange.
_OPTIONS = (
    ("grpc.keepalive_time_ms", 20_000),
    ("grpc.keepalive_timeout_ms", 5_000),
    ("grpc.keepalive_permit_without_calls", 1),
)


class Clients:
    def __init__(self, addresses: Mapping[str, str]) -> None:
        self.channels: dict[str, Any] = {
            name: grpc.aio.insecure_channel(addresses[name], options=_OPTIONS) for name in set(SERVICE_HOSTS.values())
        }
        self.user = user_pb2_grpc.UserServiceStub(self.channels["user"])
        self.order = order_pb2_grpc.OrderServiceStub(self.channels["order"])
        self.marketdata = marketdata_pb2_grpc.MarketDataServiceStub(self.channels["marketdata"])
        self.tradeproc = tradeproc_pb2_grpc.TradeProcessingServiceStub(self.channels["tradeproc"])
        # new orders of every user share one stream (edge/rest/order_entry.py)
        self.order_session = OrderSession(self.order)

    @classmethod
    def from_config(cls, config: Config) -> Clients:
        return cls({name: config.address(name) for name in set(SERVICE_HOSTS.values())})

    def unary(self, method: MethodDescriptor) -> Any:
        service = method.containing_service.full_name
        channel = self.channels[SERVICE_HOSTS[service]]
        request = message_factory.GetMessageClass(method.input_type)
        response = message_factory.GetMessageClass(method.output_type)
        return channel.unary_unary(
            f"/{service}/{method.name}",
            request_serializer=request.SerializeToString,
            response_deserializer=response.FromString,
        )

    async def close(self) -> None:
        await self.order_session.close()
        for channel in self.channels.values():
            await channel.close()
