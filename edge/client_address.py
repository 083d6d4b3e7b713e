"""Whose address the edge counts per-IP limits against, when a CDN names the viewer.

Behind CloudFront -> API Gateway -> ALB, the TCP peer is the ALB and X-Forwarded-For is a
chain the client can start with any address it likes. CloudFront itself states the viewer's
address and port in `CloudFront-Viewer-Address` ("198.51.100.10:46532", or an IPv6 address
followed by ":port", no brackets), and overwrites what a client sends under that name. With
`SPOTEX_EDGE_CLIENT_ADDRESS_HEADER=CloudFront-Viewer-Address` the edge takes the client
address from there, for REST and WebSocket alike; a request without the header (or with one
that is not an address) keeps the peer's. Unset (the default), no header is believed, so a
client reaching the edge directly cannot choose the address it is limited under.
"""

from __future__ import annotations

import ipaddress

from starlette.types import ASGIApp, Receive, Scope, Send


def viewer_address(value: str) -> tuple[str, int] | None:
    """("198.51.100.10", 46532) from "198.51.100.10:46532"; None if it is not ip:port."""
    host, _, port = value.strip().rpartition(":")
    try:
        return str(ipaddress.ip_address(host.strip("[]"))), int(port)
    except ValueError:
        return None


class ClientAddressFromHeader:
    """ASGI middleware: `scope["client"]` from the named header when it holds ip:port."""

    def __init__(self, app: ASGIApp, header: str) -> None:
        self.app = app
        self._header = header.lower().encode("latin-1")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            for name, value in scope["headers"]:
                if name == self._header:
                    address = viewer_address(value.decode("latin-1"))
                    if address is not None:
                        scope = {**scope, "client": address}
                    break
        await self.app(scope, receive, send)
