"""Who is calling: the identity the edge authenticated, carried in gRPC metadata.

docs/protos.md: `x-spotex-user-id` and `x-spotex-permissions` are set by the trusted edge
(never a request field, which a transcoded REST request could forge).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from services.common.grpcutil.errors import ServiceError

USER_ID_KEY = "x-spotex-user-id"
PERMISSIONS_KEY = "x-spotex-permissions"


def caller_user_id(context: Any) -> int:
    for key, value in context.invocation_metadata() or ():
        if key == USER_ID_KEY:
            try:
                return int(value)
            except ValueError:
                break
    raise ServiceError("UNAUTHORIZED", detail="no or malformed x-spotex-user-id metadata")


def caller_metadata(
    user_id: int, permissions: Iterable[str] = ("PERMISSION_READ", "PERMISSION_TRADE")
) -> tuple[tuple[str, str], ...]:
    """The metadata a trusted caller (edge, tradectl, tests) sends on a user's behalf."""
    return ((USER_ID_KEY, str(user_id)), (PERMISSIONS_KEY, ",".join(permissions)))
