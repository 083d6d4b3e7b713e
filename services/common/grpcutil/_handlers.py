"""The one piece of plumbing the server interceptors share: run a handler inside a scope.

grpc.aio server interceptors only see `(continuation, handler_call_details)`; to act around
the call itself (time it, map its exception, know its deadline) an interceptor must return a
new RpcMethodHandler whose behavior wraps the original. Each interceptor here supplies just an
async context manager, entered before the behavior runs and exited with its outcome, and this
module does the rebuilding for all four call shapes.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import grpc

Scope = Callable[[str, Any], AbstractAsyncContextManager[None]]  # (full method, servicer context)


class ScopedInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    """Runs every call of every method inside `self.scope(method, context)`."""

    def scope(self, method: str, context: Any) -> AbstractAsyncContextManager[None]:
        raise NotImplementedError

    async def intercept_service(self, continuation: Callable[[Any], Awaitable[Any]], handler_call_details: Any) -> Any:
        method = handler_call_details.method
        # A method's handler is the same object on every call (services register their
        # handlers before the server starts), and so, in turn, is each interceptor's wrapper of
        # it, which already contains the wrappers of the interceptors inside this one: wrap it
        # once, and from then on answer without asking the inner interceptors again. That walk
        # down the chain (one coroutine per interceptor, then gRPC's own lookup) was ~7% of the
        # order service's CPU.
        cache: dict[str, Any] = self.__dict__.setdefault("_wrapped_handlers", {})
        wrapped = cache.get(method)
        if wrapped is not None:
            return wrapped
        handler = await continuation(handler_call_details)
        if handler is None:  # unknown method: let gRPC answer UNIMPLEMENTED
            return None
        wrapped = cache[method] = _wrapped(handler, method, self.scope)
        return wrapped


def _wrapped(handler: Any, method: str, scope: Scope) -> Any:
    if handler.unary_unary is not None:
        factory, behavior = grpc.unary_unary_rpc_method_handler, handler.unary_unary
    elif handler.unary_stream is not None:
        factory, behavior = grpc.unary_stream_rpc_method_handler, handler.unary_stream
    elif handler.stream_unary is not None:
        factory, behavior = grpc.stream_unary_rpc_method_handler, handler.stream_unary
    else:
        factory, behavior = grpc.stream_stream_rpc_method_handler, handler.stream_stream
    return factory(
        _scoped(behavior, method, scope),
        request_deserializer=handler.request_deserializer,
        response_serializer=handler.response_serializer,
    )


def _scoped(behavior: Callable[..., Any], method: str, scope: Scope) -> Callable[..., Any]:
    # A streaming reply is either an async generator (iterated here, inside the scope) or a
    # coroutine that calls context.write(); grpc.aio tells them apart by the function's kind,
    # so the wrapper must be of the same kind as the behavior it wraps.
    if inspect.isasyncgenfunction(behavior):

        async def streaming(request: Any, context: Any) -> AsyncIterator[Any]:
            async with scope(method, context):
                async for response in behavior(request, context):
                    yield response

        return streaming

    async def single(request: Any, context: Any) -> Any:
        async with scope(method, context):
            return await behavior(request, context)

    return single
