"""The error convention: reason -> gRPC code, Binance code and message, ErrorInfo."""

from __future__ import annotations

import grpc
import pytest
from google.rpc import code_pb2, error_details_pb2

from services.common.grpcutil.errors import (
    ERROR_DOMAIN,
    ErrorTable,
    ServiceError,
    error_status,
    grpc_code,
    service_error,
)


def info_of(status: object) -> error_details_pb2.ErrorInfo:
    info = error_details_pb2.ErrorInfo()
    assert status.details[0].Unpack(info)  # type: ignore[attr-defined]
    return info


def test_a_status_carries_the_reasons_code_message_and_binance_code() -> None:
    status = error_status("INSUFFICIENT_BALANCE")

    assert status.code == code_pb2.FAILED_PRECONDITION
    assert status.message == "Account has insufficient balance for requested action."
    info = info_of(status)
    assert (info.reason, info.domain, dict(info.metadata)) == (
        "INSUFFICIENT_BALANCE",
        ERROR_DOMAIN,
        {"binance_code": "-2010"},
    )


def test_placeholders_are_filled_in_order_and_metadata_is_added() -> None:
    status = error_status("ILLEGAL_PARAMETER", "quantity", "(0, 9000]", metadata={"param": "quantity"})

    assert status.message == "Illegal characters found in parameter 'quantity'; legal range is '(0, 9000]'."
    assert dict(info_of(status).metadata) == {"param": "quantity", "binance_code": "-1100"}


def test_missing_placeholders_leave_the_message_readable_instead_of_failing() -> None:
    assert error_status("MANDATORY_PARAMETER_MISSING").message.startswith("Mandatory parameter ''")


def test_an_unknown_reason_fails_where_it_is_raised() -> None:
    with pytest.raises(KeyError):
        ServiceError("NO_SUCH_REASON")
    with pytest.raises(KeyError):
        ServiceError("ERROR_REASON_UNSPECIFIED")


class DomainError(Exception):
    pass


class Specific(DomainError):
    def __init__(self, param: str) -> None:
        super().__init__(param)
        self.error_metadata = {"param": param}


def test_a_domain_exception_maps_through_its_nearest_listed_class() -> None:
    table: ErrorTable = {DomainError: "ILLEGAL_PARAMETER", ValueError: "INTERNAL_ERROR"}

    error = service_error(Specific("price"), table)

    assert error is not None
    assert (error.reason, error.placeholders, error.metadata) == ("ILLEGAL_PARAMETER", ("price",), {"param": "price"})
    assert service_error(KeyError("x"), table) is None


def test_a_status_code_converts_to_grpcs_enum() -> None:
    assert grpc_code(error_status("UNKNOWN_ORDER")) is grpc.StatusCode.NOT_FOUND
