"""The APDUs a meter refuses a request with: Exception-Response (the request does not fit
the state, or the meter cannot serve it) and Confirmed-Service-Error (mostly a refused
InitiateRequest). Each gives the library error a client raises for it (``to_error``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...errors import (
    DecipheringRefused,
    DecodeError,
    EncodeError,
    InvocationCounterRefused,
    ServiceError,
)
from ..axdr import Reader
from ._fields import NamedCode, _uint, code_name
from .tags import CONFIRMED_SERVICE_ERROR_TAG, EXCEPTION_RESPONSE_TAG


class StateError(NamedCode):
    """Exception-Response ``state-error``."""

    SERVICE_NOT_ALLOWED = 1
    SERVICE_UNKNOWN = 2


class ServiceErrorChoice(NamedCode):
    """Exception-Response ``service-error`` CHOICE tags."""

    OPERATION_NOT_POSSIBLE = 1
    SERVICE_NOT_SUPPORTED = 2
    OTHER_REASON = 3
    PDU_TOO_LONG = 4
    DECIPHERING_ERROR = 5
    INVOCATION_COUNTER_ERROR = 6


@dataclass(frozen=True, slots=True)
class ExceptionResponse:
    """``D8 state-error service-error``. The service-error CHOICE carries NULL except for
    invocation-counter-error (6), which carries the server's expected Unsigned32 counter;
    older meters send 6 without it, so the counter is optional on decoding."""

    state_error: int
    service_error: int
    invocation_counter: int | None = None

    def encode(self) -> bytes:
        out = bytes((EXCEPTION_RESPONSE_TAG,))
        out += _uint(self.state_error, 1, "state-error")
        out += _uint(self.service_error, 1, "service-error")
        if self.invocation_counter is not None:
            if self.service_error != ServiceErrorChoice.INVOCATION_COUNTER_ERROR:
                raise EncodeError("only invocation-counter-error carries a counter")
            out += _uint(self.invocation_counter, 4, "invocation counter")
        return out

    @classmethod
    def decode(cls, data: bytes) -> ExceptionResponse:
        reader = Reader(data)
        if reader.byte() != EXCEPTION_RESPONSE_TAG:
            raise DecodeError("not an Exception-Response")
        state, service = reader.byte(), reader.byte()
        counter = None
        if service == ServiceErrorChoice.INVOCATION_COUNTER_ERROR and reader.remaining:
            counter = reader.u32()
        reader.expect_end()
        return cls(state, service, counter)

    @property
    def state_error_name(self) -> str:
        return code_name(StateError, self.state_error, "state-error")

    @property
    def service_error_name(self) -> str:
        return code_name(ServiceErrorChoice, self.service_error, "service-error")

    def __str__(self) -> str:
        text = f"exception-response: {self.state_error_name}, {self.service_error_name}"
        if self.invocation_counter is not None:
            text += f" (expected invocation counter {self.invocation_counter})"
        return text

    def to_json(self) -> dict[str, Any]:
        return {
            "state_error": self.state_error_name,
            "service_error": self.service_error_name,
            "invocation_counter": self.invocation_counter,
            "error": str(self),
        }

    def to_error(self) -> ServiceError:
        """The error a client raises for this answer, carrying its codes."""
        kind: type[ServiceError] = ServiceError
        if self.service_error == ServiceErrorChoice.DECIPHERING_ERROR:
            kind = DecipheringRefused
        elif self.service_error == ServiceErrorChoice.INVOCATION_COUNTER_ERROR:
            kind = InvocationCounterRefused
        return kind(
            str(self),
            state_error=self.state_error,
            service_error=self.service_error,
            invocation_counter=self.invocation_counter,
        )


@dataclass(frozen=True, slots=True)
class ConfirmedServiceError:
    service: int  # 1 = initiateError, 5 = read, 6 = write, ...
    error_class: int  # ServiceError CHOICE tag: 6 = initiate, 5 = access, ...
    error: int

    def encode(self) -> bytes:
        return bytes((CONFIRMED_SERVICE_ERROR_TAG,)) + b"".join(
            _uint(v, 1, "confirmed-service-error field")
            for v in (self.service, self.error_class, self.error)
        )

    @classmethod
    def decode(cls, data: bytes) -> ConfirmedServiceError:
        reader = Reader(data)
        if reader.byte() != CONFIRMED_SERVICE_ERROR_TAG:
            raise DecodeError("not a Confirmed-Service-Error")
        value = cls(reader.byte(), reader.byte(), reader.byte())
        reader.expect_end()
        return value

    def __str__(self) -> str:
        if self.error_class == 6:
            initiate = {
                0: "other",
                1: "dlms-version-too-low",
                2: "incompatible-conformance",
                3: "pdu-size-too-short",
                4: "refused-by-the-VDE-handler",
            }
            return f"initiate error: {initiate.get(self.error, self.error)}"
        return f"confirmed-service-error {self.service}/{self.error_class}/{self.error}"

    def to_json(self) -> dict[str, Any]:
        return {"error": str(self)}

    def to_error(self) -> ServiceError:
        """The error a client raises for this answer, carrying its codes."""
        return ServiceError(
            str(self),
            confirmed_service=self.service,
            error_class=self.error_class,
            error=self.error,
        )
