"""xDLMS APDUs (IEC 62056-5-3, DLMS UA Green Book): Initiate, GET, SET, ACTION,
Data-Notification, Event-Notification, General-Block-Transfer and the error APDUs.

Each APDU is a frozen dataclass with ``encode()`` and a ``decode()`` classmethod;
``decode_get_response`` and friends dispatch on the service's CHOICE, and ``decode_apdu``
on the APDU tag (plain APDUs only: a ciphered one is a ``DecodeError`` until it has been
deciphered). Every length and count is checked against the bytes actually present, and
trailing bytes are refused. The invoke-id-and-priority byte is kept whole so that what we
send is what we compare against; meters that answer 0x81-style (unconfirmed bit) are
matched on the invoke id alone.

Encoding a value that does not fit its field (a block number above 2**32, a method id
outside -128..127, ...) raises ``EncodeError``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum, IntFlag
from typing import Final, TypeAlias, TypeVar

from ..errors import (
    DecipheringRefused,
    DecodeError,
    EncodeError,
    InvocationCounterRefused,
    ServiceError,
)
from ..obis import Obis
from .acse import Aare, Aarq, ReleaseRequest, ReleaseResponse
from .axdr import Data, Reader, encode_data, encode_length, read_data

INITIATE_REQUEST_TAG: Final = 0x01
INITIATE_RESPONSE_TAG: Final = 0x08
CONFIRMED_SERVICE_ERROR_TAG: Final = 0x0E
DATA_NOTIFICATION_TAG: Final = 0x0F
GET_REQUEST_TAG: Final = 0xC0
SET_REQUEST_TAG: Final = 0xC1
EVENT_NOTIFICATION_REQUEST_TAG: Final = 0xC2
ACTION_REQUEST_TAG: Final = 0xC3
GET_RESPONSE_TAG: Final = 0xC4
SET_RESPONSE_TAG: Final = 0xC5
ACTION_RESPONSE_TAG: Final = 0xC7
EXCEPTION_RESPONSE_TAG: Final = 0xD8
GENERAL_BLOCK_TRANSFER_TAG: Final = 0xE0

# The xDLMS-APDU and ACSE-APDU tags with the standard's names in kebab case.
APDU_TAG_NAMES: Final[dict[int, str]] = {
    0x01: "initiate-request",
    0x05: "read-request",
    0x06: "write-request",
    0x08: "initiate-response",
    0x0C: "read-response",
    0x0D: "write-response",
    0x0E: "confirmed-service-error",
    0x0F: "data-notification",
    0x16: "unconfirmed-write-request",
    0x18: "information-report-request",
    0x21: "glo-initiate-request",
    0x25: "glo-read-request",
    0x26: "glo-write-request",
    0x28: "glo-initiate-response",
    0x2C: "glo-read-response",
    0x2D: "glo-write-response",
    0x2E: "glo-confirmed-service-error",
    0x36: "glo-unconfirmed-write-request",
    0x38: "glo-information-report-request",
    0x41: "ded-initiate-request",
    0x45: "ded-read-request",
    0x46: "ded-write-request",
    0x48: "ded-initiate-response",
    0x4C: "ded-read-response",
    0x4D: "ded-write-response",
    0x4E: "ded-confirmed-service-error",
    0x56: "ded-unconfirmed-write-request",
    0x58: "ded-information-report-request",
    0x60: "aarq",
    0x61: "aare",
    0x62: "rlrq",
    0x63: "rlre",
    0xC0: "get-request",
    0xC1: "set-request",
    0xC2: "event-notification-request",
    0xC3: "action-request",
    0xC4: "get-response",
    0xC5: "set-response",
    0xC7: "action-response",
    0xC8: "glo-get-request",
    0xC9: "glo-set-request",
    0xCA: "glo-event-notification-request",
    0xCB: "glo-action-request",
    0xCC: "glo-get-response",
    0xCD: "glo-set-response",
    0xCF: "glo-action-response",
    0xD0: "ded-get-request",
    0xD1: "ded-set-request",
    0xD2: "ded-event-notification-request",
    0xD3: "ded-action-request",
    0xD4: "ded-get-response",
    0xD5: "ded-set-response",
    0xD7: "ded-action-response",
    0xD8: "exception-response",
    0xD9: "access-request",
    0xDA: "access-response",
    0xDB: "general-glo-ciphering",
    0xDC: "general-ded-ciphering",
    0xDD: "general-ciphering",
    0xDF: "general-signing",
    0xE0: "general-block-transfer",
}

# Tags whose content is protected (service-specific glo-/ded- ciphering, the general
# ciphering and signing APDUs): they decode only after the security layer has removed it.
PROTECTED_TAGS: Final = frozenset(
    tag
    for tag, name in APDU_TAG_NAMES.items()
    if name.startswith(("glo-", "ded-", "general-")) and tag != GENERAL_BLOCK_TRANSFER_TAG
)

DLMS_VERSION: Final = 6
VAA_NAME_LN: Final = 0x0007
DEFAULT_INVOKE_ID_AND_PRIORITY: Final = 0xC1  # high priority, confirmed, invoke id 1


class Conformance(IntFlag):
    """The 24-bit conformance block; bit 0 of the standard is the most significant."""

    GENERAL_PROTECTION = 1 << 22
    GENERAL_BLOCK_TRANSFER = 1 << 21
    READ = 1 << 20
    WRITE = 1 << 19
    UNCONFIRMED_WRITE = 1 << 18
    DELTA_VALUE_ENCODING = 1 << 17
    ATTRIBUTE0_SUPPORTED_WITH_SET = 1 << 15
    PRIORITY_MGMT_SUPPORTED = 1 << 14
    ATTRIBUTE0_SUPPORTED_WITH_GET = 1 << 13
    BLOCK_TRANSFER_WITH_GET_OR_READ = 1 << 12
    BLOCK_TRANSFER_WITH_SET_OR_WRITE = 1 << 11
    BLOCK_TRANSFER_WITH_ACTION = 1 << 10
    MULTIPLE_REFERENCES = 1 << 9
    INFORMATION_REPORT = 1 << 8
    DATA_NOTIFICATION = 1 << 7
    ACCESS = 1 << 6
    PARAMETERIZED_ACCESS = 1 << 5
    GET = 1 << 4
    SET = 1 << 3
    SELECTIVE_ACCESS = 1 << 2
    EVENT_NOTIFICATION = 1 << 1
    ACTION = 1 << 0


# Exactly what this client implements: GET normal/next/with-list, with selective access.
CLIENT_CONFORMANCE: Final = (
    Conformance.GET
    | Conformance.BLOCK_TRANSFER_WITH_GET_OR_READ
    | Conformance.MULTIPLE_REFERENCES
    | Conformance.SELECTIVE_ACCESS
)


def _encode_conformance(conformance: Conformance) -> bytes:
    return b"\x5f\x1f\x04\x00" + _uint(int(conformance), 3, "conformance")


def _read_conformance(reader: Reader) -> Conformance:
    if reader.take(2) != b"\x5f\x1f":
        raise DecodeError("missing conformance block tag 5F1F")
    if reader.byte() != 4:
        raise DecodeError("conformance block length must be 4")
    reader.byte()  # unused bits
    return Conformance(int.from_bytes(reader.take(3), "big"))


class DataAccessResult(IntEnum):
    SUCCESS = 0
    HARDWARE_FAULT = 1
    TEMPORARY_FAILURE = 2
    READ_WRITE_DENIED = 3
    OBJECT_UNDEFINED = 4
    OBJECT_CLASS_INCONSISTENT = 9
    OBJECT_UNAVAILABLE = 11
    TYPE_UNMATCHED = 12
    SCOPE_OF_ACCESS_VIOLATED = 13
    DATA_BLOCK_UNAVAILABLE = 14
    LONG_GET_ABORTED = 15
    NO_LONG_GET_IN_PROGRESS = 16
    LONG_SET_ABORTED = 17
    NO_LONG_SET_IN_PROGRESS = 18
    DATA_BLOCK_NUMBER_INVALID = 19
    OTHER_REASON = 250

    @classmethod
    def parse(cls, value: int) -> DataAccessResult | int:
        try:
            return cls(value)
        except ValueError:
            return value

    @property
    def kebab(self) -> str:
        return self.name.lower().replace("_", "-")


def data_access_result_name(value: DataAccessResult | int) -> str:
    return value.kebab if isinstance(value, DataAccessResult) else f"data-access-result {value}"


# ---------------------------------------------------------------------------- field helpers


def _uint(value: int, size: int, name: str) -> bytes:
    """An unsigned big-endian field of ``size`` bytes; out of range is an EncodeError."""
    if not 0 <= value < 1 << (8 * size):
        raise EncodeError(f"{name} {value} does not fit in {size} unsigned byte(s)")
    return value.to_bytes(size, "big")


def _int8(value: int, name: str) -> bytes:
    if not -0x80 <= value <= 0x7F:
        raise EncodeError(f"{name} {value} is outside -128..127")
    return value.to_bytes(1, "big", signed=True)


def _octet_string(value: bytes) -> bytes:
    """An A-XDR OCTET STRING without a size constraint: length, then the bytes."""
    return encode_length(len(value)) + value


def _read_octet_string(reader: Reader) -> bytes:
    return reader.take(reader.length())


def _read_bool(reader: Reader) -> bool:
    """A-XDR BOOLEAN: any non-zero byte is TRUE (X.690), TRUE is encoded as 01."""
    return reader.byte() != 0


# ---------------------------------------------------------------------------- Initiate


@dataclass(frozen=True, slots=True)
class InitiateRequest:
    conformance: Conformance = CLIENT_CONFORMANCE
    client_max_receive_pdu_size: int = 0xFFFF
    dedicated_key: bytes | None = None
    response_allowed: bool = True
    proposed_quality_of_service: int | None = None
    dlms_version: int = DLMS_VERSION

    def encode(self) -> bytes:
        out = bytes((INITIATE_REQUEST_TAG,))
        if self.dedicated_key is None:
            out += b"\x00"
        else:
            out += b"\x01" + _octet_string(self.dedicated_key)
        # response-allowed has DEFAULT TRUE: encoded as absent when true.
        out += b"\x00" if self.response_allowed else b"\x01\x00"
        if self.proposed_quality_of_service is None:
            out += b"\x00"
        else:
            out += b"\x01" + _uint(self.proposed_quality_of_service, 1, "quality of service")
        out += _uint(self.dlms_version, 1, "DLMS version")
        out += _encode_conformance(self.conformance)
        out += _uint(self.client_max_receive_pdu_size, 2, "client max receive PDU size")
        return out

    @classmethod
    def decode(cls, data: bytes) -> InitiateRequest:
        reader = Reader(data)
        if reader.byte() != INITIATE_REQUEST_TAG:
            raise DecodeError("not an InitiateRequest")
        dedicated_key = reader.take(reader.length()) if reader.byte() else None
        response_allowed = bool(reader.byte()) if reader.byte() else True
        qos = reader.byte() if reader.byte() else None
        version = reader.byte()
        conformance = _read_conformance(reader)
        max_pdu = reader.u16()
        reader.expect_end()
        return cls(conformance, max_pdu, dedicated_key, response_allowed, qos, version)


@dataclass(frozen=True, slots=True)
class InitiateResponse:
    conformance: Conformance
    server_max_receive_pdu_size: int
    vaa_name: int = VAA_NAME_LN
    negotiated_quality_of_service: int | None = None
    dlms_version: int = DLMS_VERSION

    def encode(self) -> bytes:
        out = bytes((INITIATE_RESPONSE_TAG,))
        if self.negotiated_quality_of_service is None:
            out += b"\x00"
        else:
            out += b"\x01" + _uint(self.negotiated_quality_of_service, 1, "quality of service")
        out += _uint(self.dlms_version, 1, "DLMS version")
        out += _encode_conformance(self.conformance)
        out += _uint(self.server_max_receive_pdu_size, 2, "server max receive PDU size")
        out += _uint(self.vaa_name, 2, "VAA name")
        return out

    @classmethod
    def decode(cls, data: bytes) -> InitiateResponse:
        reader = Reader(data)
        if reader.byte() != INITIATE_RESPONSE_TAG:
            raise DecodeError("not an InitiateResponse")
        qos = reader.byte() if reader.byte() else None
        version = reader.byte()
        conformance = _read_conformance(reader)
        max_pdu = reader.u16()
        vaa = reader.u16()
        reader.expect_end()
        return cls(conformance, max_pdu, vaa, qos, version)


# ---------------------------------------------------------------------------- errors


class StateError(IntEnum):
    SERVICE_NOT_ALLOWED = 1
    SERVICE_UNKNOWN = 2


class ServiceErrorChoice(IntEnum):
    """ExceptionResponse ``service-error`` CHOICE tags."""

    OPERATION_NOT_POSSIBLE = 1
    SERVICE_NOT_SUPPORTED = 2
    OTHER_REASON = 3
    PDU_TOO_LONG = 4
    DECIPHERING_ERROR = 5
    INVOCATION_COUNTER_ERROR = 6


_STATE_ERROR_NAMES: Final = {1: "service-not-allowed", 2: "service-unknown"}
_SERVICE_ERROR_NAMES: Final = {
    1: "operation-not-possible",
    2: "service-not-supported",
    3: "other-reason",
    4: "pdu-too-long",
    5: "deciphering-error",
    6: "invocation-counter-error",
}


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
        return _STATE_ERROR_NAMES.get(self.state_error, f"state-error {self.state_error}")

    @property
    def service_error_name(self) -> str:
        return _SERVICE_ERROR_NAMES.get(self.service_error, f"service-error {self.service_error}")

    def __str__(self) -> str:
        text = f"exception-response: {self.state_error_name}, {self.service_error_name}"
        if self.invocation_counter is not None:
            text += f" (expected invocation counter {self.invocation_counter})"
        return text

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

    def to_error(self) -> ServiceError:
        """The error a client raises for this answer, carrying its codes."""
        return ServiceError(
            str(self),
            confirmed_service=self.service,
            error_class=self.error_class,
            error=self.error,
        )


# ---------------------------------------------------------------------------- descriptors


def _encode_descriptor(class_id: int, instance: Obis, member: int, what: str) -> bytes:
    """Class id (Unsigned16), instance id (6 bytes), attribute or method id (Integer8)."""
    return _uint(class_id, 2, "class id") + instance.to_bytes() + _int8(member, what)


def _read_descriptor(reader: Reader) -> tuple[int, Obis, int]:
    class_id = reader.u16()
    instance = Obis.from_bytes(reader.take(6))
    return class_id, instance, int.from_bytes(reader.take(1), "big", signed=True)


@dataclass(frozen=True, slots=True, order=True)
class AttributeDescriptor:
    """Cosem-Attribute-Descriptor: which attribute (by default the value, 2) of which object,
    written ``CLASS/OBIS/ATTRIBUTE``."""

    class_id: int
    instance: Obis
    attribute: int = 2

    @classmethod
    def parse(cls, text: str) -> AttributeDescriptor:
        """``3/1.0.1.8.0.255/2`` or ``3/1-0:1.8.0*255`` (the attribute defaults to 2)."""
        parts = text.strip().split("/")
        if len(parts) not in (2, 3):
            raise DecodeError(f"not CLASS/OBIS/ATTRIBUTE: {text!r}")
        try:
            class_id = int(parts[0])
            attribute = int(parts[2]) if len(parts) == 3 else 2
        except ValueError:
            raise DecodeError(f"not CLASS/OBIS/ATTRIBUTE: {text!r}") from None
        return cls(class_id, Obis.parse(parts[1]), attribute)

    def encode(self) -> bytes:
        return _encode_descriptor(self.class_id, self.instance, self.attribute, "attribute id")

    @classmethod
    def read(cls, reader: Reader) -> AttributeDescriptor:
        return cls(*_read_descriptor(reader))

    def __str__(self) -> str:
        return f"{self.class_id}/{self.instance.dotted}/{self.attribute}"


@dataclass(frozen=True, slots=True, order=True)
class MethodDescriptor:
    """Cosem-Method-Descriptor: which method of which object (method id is Integer8)."""

    class_id: int
    instance: Obis
    method: int

    def encode(self) -> bytes:
        return _encode_descriptor(self.class_id, self.instance, self.method, "method id")

    @classmethod
    def read(cls, reader: Reader) -> MethodDescriptor:
        return cls(*_read_descriptor(reader))

    def __str__(self) -> str:
        return f"{self.class_id}/{self.instance.dotted}/{self.method}"


_DESCRIPTOR_SIZE: Final = 9  # class id, instance id, attribute/method id


def _encode_access_selection(access_selection: bytes | None) -> bytes:
    return b"\x00" if access_selection is None else b"\x01" + access_selection


def _read_access_selection(reader: Reader) -> bytes | None:
    """Selective access is kept as the raw selector + parameters bytes."""
    if not reader.byte():
        return None
    start = reader.pos
    reader.byte()  # access selector
    read_data(reader)  # access parameters
    return reader.data[start : reader.pos]


def _normalise_selections(
    count: int, selections: tuple[bytes | None, ...]
) -> tuple[bytes | None, ...]:
    """``()`` when no descriptor has selective access, else one entry per descriptor."""
    if not selections or all(s is None for s in selections):
        return ()
    if len(selections) != count:
        raise EncodeError(f"{len(selections)} access selections for {count} descriptors")
    return selections


def _encode_descriptors_with_selection(
    descriptors: tuple[AttributeDescriptor, ...], selections: tuple[bytes | None, ...]
) -> bytes:
    """SEQUENCE OF Cosem-Attribute-Descriptor-With-Selection."""
    selections = selections or (None,) * len(descriptors)
    return encode_length(len(descriptors)) + b"".join(
        d.encode() + _encode_access_selection(s)
        for d, s in zip(descriptors, selections, strict=True)
    )


def _read_descriptors_with_selection(
    reader: Reader,
) -> tuple[tuple[AttributeDescriptor, ...], tuple[bytes | None, ...]]:
    count = reader.count(min_item_size=_DESCRIPTOR_SIZE + 1)
    descriptors: list[AttributeDescriptor] = []
    selections: list[bytes | None] = []
    for _ in range(count):
        descriptors.append(AttributeDescriptor.read(reader))
        selections.append(_read_access_selection(reader))
    return tuple(descriptors), _normalise_selections(count, tuple(selections))


@dataclass(frozen=True, slots=True)
class AccessSelection:
    """Selective-Access-Descriptor: an access selector and its parameters (a Data).

    The APDU dataclasses keep selective access as these bytes (``encode()``), so what was
    received is what is sent back; this class reads them."""

    selector: int
    parameters: Data

    def encode(self) -> bytes:
        return _uint(self.selector, 1, "access selector") + encode_data(self.parameters)

    @classmethod
    def decode(cls, data: bytes) -> AccessSelection:
        reader = Reader(data)
        selector = reader.byte()
        parameters = read_data(reader)
        reader.expect_end()
        return cls(selector, parameters)


SelectiveAccessDescriptor = AccessSelection
"""The standard's name for it."""


# ---------------------------------------------------------------------------- blocks


@dataclass(frozen=True, slots=True)
class DataBlockSA:
    """DataBlock-SA (SET and ACTION block transfer): a slice of an encoded value."""

    last_block: bool
    block_number: int
    raw_data: bytes

    def encode(self) -> bytes:
        return (
            bytes((int(self.last_block),))
            + _uint(self.block_number, 4, "block number")
            + _octet_string(self.raw_data)
        )

    @classmethod
    def read(cls, reader: Reader) -> DataBlockSA:
        last_block = _read_bool(reader)
        block_number = reader.u32()
        return cls(last_block, block_number, _read_octet_string(reader))


def _head(tag: int, choice: int, invoke_id_and_priority: int) -> bytes:
    return bytes((tag, choice)) + _uint(invoke_id_and_priority, 1, "invoke-id-and-priority")


def _check_tag(reader: Reader, tag: int, name: str) -> tuple[int, int]:
    """The service CHOICE and the invoke-id-and-priority after ``tag``."""
    if reader.byte() != tag:
        raise DecodeError(f"not a {name}")
    return reader.byte(), reader.byte()


_T = TypeVar("_T")


def _expect(apdu: object, cls: type[_T]) -> _T:
    if not isinstance(apdu, cls):
        raise DecodeError(f"not a {cls.__name__}: {type(apdu).__name__}")
    return apdu


# ---------------------------------------------------------------------------- GET


@dataclass(frozen=True, slots=True)
class GetRequestNormal:
    descriptor: AttributeDescriptor
    invoke_id_and_priority: int = DEFAULT_INVOKE_ID_AND_PRIORITY
    access_selection: bytes | None = None

    def encode(self) -> bytes:
        return (
            _head(GET_REQUEST_TAG, 1, self.invoke_id_and_priority)
            + self.descriptor.encode()
            + _encode_access_selection(self.access_selection)
        )

    @classmethod
    def decode(cls, data: bytes) -> GetRequestNormal:
        return _expect(decode_get_request(data), cls)


@dataclass(frozen=True, slots=True)
class GetRequestNext:
    block_number: int
    invoke_id_and_priority: int = DEFAULT_INVOKE_ID_AND_PRIORITY

    def encode(self) -> bytes:
        return _head(GET_REQUEST_TAG, 2, self.invoke_id_and_priority) + _uint(
            self.block_number, 4, "block number"
        )

    @classmethod
    def decode(cls, data: bytes) -> GetRequestNext:
        return _expect(decode_get_request(data), cls)


@dataclass(frozen=True, slots=True)
class GetRequestWithList:
    """``access_selections`` is empty when no attribute is read selectively, else one
    entry (raw selector + parameters, or None) per descriptor."""

    descriptors: tuple[AttributeDescriptor, ...]
    invoke_id_and_priority: int = DEFAULT_INVOKE_ID_AND_PRIORITY
    access_selections: tuple[bytes | None, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(
            self,
            "access_selections",
            _normalise_selections(len(self.descriptors), self.access_selections),
        )

    def encode(self) -> bytes:
        return _head(
            GET_REQUEST_TAG, 3, self.invoke_id_and_priority
        ) + _encode_descriptors_with_selection(self.descriptors, self.access_selections)

    @classmethod
    def decode(cls, data: bytes) -> GetRequestWithList:
        return _expect(decode_get_request(data), cls)


GetRequest: TypeAlias = GetRequestNormal | GetRequestNext | GetRequestWithList


def decode_get_request(data: bytes) -> GetRequest:
    reader = Reader(data)
    choice, iip = _check_tag(reader, GET_REQUEST_TAG, "GET.request")
    request: GetRequest
    if choice == 1:
        descriptor = AttributeDescriptor.read(reader)
        request = GetRequestNormal(descriptor, iip, _read_access_selection(reader))
    elif choice == 2:
        request = GetRequestNext(reader.u32(), iip)
    elif choice == 3:
        descriptors, selections = _read_descriptors_with_selection(reader)
        request = GetRequestWithList(descriptors, iip, selections)
    else:
        raise DecodeError(f"unknown GET.request choice {choice}")
    reader.expect_end()
    return request


GetDataResult: TypeAlias = Data | DataAccessResult | int
"""A value, or the data-access-result the meter gave instead (an int if not in our enum)."""


def _encode_get_data_result(result: GetDataResult) -> bytes:
    if isinstance(result, Data):
        return b"\x00" + encode_data(result)
    return b"\x01" + _uint(int(result), 1, "data-access-result")


def _read_get_data_result(reader: Reader) -> GetDataResult:
    choice = reader.byte()
    if choice == 0:
        return read_data(reader)
    if choice == 1:
        return DataAccessResult.parse(reader.byte())
    raise DecodeError(f"unknown Get-Data-Result choice {choice}")


@dataclass(frozen=True, slots=True)
class GetResponseNormal:
    result: GetDataResult
    invoke_id_and_priority: int = DEFAULT_INVOKE_ID_AND_PRIORITY

    def encode(self) -> bytes:
        return _head(GET_RESPONSE_TAG, 1, self.invoke_id_and_priority) + _encode_get_data_result(
            self.result
        )

    @classmethod
    def decode(cls, data: bytes) -> GetResponseNormal:
        return _expect(decode_get_response(data), cls)


@dataclass(frozen=True, slots=True)
class GetResponseWithDatablock:
    """One block of a long GET. ``raw_data`` is a slice of the encoded result, cut at
    arbitrary byte boundaries: only the reassembled whole is decoded."""

    last_block: bool
    block_number: int
    raw_data: bytes | DataAccessResult | int
    invoke_id_and_priority: int = DEFAULT_INVOKE_ID_AND_PRIORITY

    def encode(self) -> bytes:
        out = _head(GET_RESPONSE_TAG, 2, self.invoke_id_and_priority)
        out += bytes((int(self.last_block),)) + _uint(self.block_number, 4, "block number")
        if isinstance(self.raw_data, bytes):
            return out + b"\x00" + _octet_string(self.raw_data)
        return out + b"\x01" + _uint(int(self.raw_data), 1, "data-access-result")

    @classmethod
    def decode(cls, data: bytes) -> GetResponseWithDatablock:
        return _expect(decode_get_response(data), cls)


@dataclass(frozen=True, slots=True)
class GetResponseWithList:
    results: tuple[GetDataResult, ...]
    invoke_id_and_priority: int = DEFAULT_INVOKE_ID_AND_PRIORITY

    def encode(self) -> bytes:
        return _head(GET_RESPONSE_TAG, 3, self.invoke_id_and_priority) + encode_get_data_results(
            self.results
        )

    @classmethod
    def decode(cls, data: bytes) -> GetResponseWithList:
        return _expect(decode_get_response(data), cls)


def encode_get_data_results(results: tuple[GetDataResult, ...]) -> bytes:
    """``SEQUENCE OF Get-Data-Result``: the body of a with-list response, and what a
    block-transferred with-list response carries in its raw data."""
    return encode_length(len(results)) + b"".join(_encode_get_data_result(r) for r in results)


def decode_get_data_results(data: bytes) -> tuple[GetDataResult, ...]:
    reader = Reader(data)
    results = _read_get_data_results(reader)
    reader.expect_end()
    return results


def _read_get_data_results(reader: Reader) -> tuple[GetDataResult, ...]:
    count = reader.count(min_item_size=2)
    return tuple(_read_get_data_result(reader) for _ in range(count))


GetResponse: TypeAlias = GetResponseNormal | GetResponseWithDatablock | GetResponseWithList


def decode_get_response(data: bytes) -> GetResponse:
    reader = Reader(data)
    choice, iip = _check_tag(reader, GET_RESPONSE_TAG, "GET.response")
    response: GetResponse
    if choice == 1:
        response = GetResponseNormal(_read_get_data_result(reader), iip)
    elif choice == 2:
        last_block = _read_bool(reader)
        block_number = reader.u32()
        raw_choice = reader.byte()
        raw: bytes | DataAccessResult | int
        if raw_choice == 0:
            raw = _read_octet_string(reader)
        elif raw_choice == 1:
            raw = DataAccessResult.parse(reader.byte())
        else:
            raise DecodeError(f"unknown DataBlock-G result choice {raw_choice}")
        response = GetResponseWithDatablock(last_block, block_number, raw, iip)
    elif choice == 3:
        response = GetResponseWithList(_read_get_data_results(reader), iip)
    else:
        raise DecodeError(f"unknown GET.response choice {choice}")
    reader.expect_end()
    return response


# ---------------------------------------------------------------------------- SET


@dataclass(frozen=True, slots=True)
class SetRequestNormal:
    descriptor: AttributeDescriptor
    value: Data
    invoke_id_and_priority: int = DEFAULT_INVOKE_ID_AND_PRIORITY
    access_selection: bytes | None = None

    def encode(self) -> bytes:
        return (
            _head(SET_REQUEST_TAG, 1, self.invoke_id_and_priority)
            + self.descriptor.encode()
            + _encode_access_selection(self.access_selection)
            + encode_data(self.value)
        )

    @classmethod
    def decode(cls, data: bytes) -> SetRequestNormal:
        return _expect(decode_set_request(data), cls)


@dataclass(frozen=True, slots=True)
class SetRequestWithFirstDatablock:
    """The first block of a long SET: ``datablock.raw_data`` is a slice of the encoded value."""

    descriptor: AttributeDescriptor
    datablock: DataBlockSA
    invoke_id_and_priority: int = DEFAULT_INVOKE_ID_AND_PRIORITY
    access_selection: bytes | None = None

    def encode(self) -> bytes:
        return (
            _head(SET_REQUEST_TAG, 2, self.invoke_id_and_priority)
            + self.descriptor.encode()
            + _encode_access_selection(self.access_selection)
            + self.datablock.encode()
        )

    @classmethod
    def decode(cls, data: bytes) -> SetRequestWithFirstDatablock:
        return _expect(decode_set_request(data), cls)


@dataclass(frozen=True, slots=True)
class SetRequestWithDatablock:
    datablock: DataBlockSA
    invoke_id_and_priority: int = DEFAULT_INVOKE_ID_AND_PRIORITY

    def encode(self) -> bytes:
        return _head(SET_REQUEST_TAG, 3, self.invoke_id_and_priority) + self.datablock.encode()

    @classmethod
    def decode(cls, data: bytes) -> SetRequestWithDatablock:
        return _expect(decode_set_request(data), cls)


@dataclass(frozen=True, slots=True)
class SetRequestWithList:
    descriptors: tuple[AttributeDescriptor, ...]
    values: tuple[Data, ...]
    invoke_id_and_priority: int = DEFAULT_INVOKE_ID_AND_PRIORITY
    access_selections: tuple[bytes | None, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(
            self,
            "access_selections",
            _normalise_selections(len(self.descriptors), self.access_selections),
        )

    def encode(self) -> bytes:
        return (
            _head(SET_REQUEST_TAG, 4, self.invoke_id_and_priority)
            + _encode_descriptors_with_selection(self.descriptors, self.access_selections)
            + encode_length(len(self.values))
            + b"".join(encode_data(v) for v in self.values)
        )

    @classmethod
    def decode(cls, data: bytes) -> SetRequestWithList:
        return _expect(decode_set_request(data), cls)


@dataclass(frozen=True, slots=True)
class SetRequestWithListAndFirstDatablock:
    descriptors: tuple[AttributeDescriptor, ...]
    datablock: DataBlockSA
    invoke_id_and_priority: int = DEFAULT_INVOKE_ID_AND_PRIORITY
    access_selections: tuple[bytes | None, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(
            self,
            "access_selections",
            _normalise_selections(len(self.descriptors), self.access_selections),
        )

    def encode(self) -> bytes:
        return (
            _head(SET_REQUEST_TAG, 5, self.invoke_id_and_priority)
            + _encode_descriptors_with_selection(self.descriptors, self.access_selections)
            + self.datablock.encode()
        )

    @classmethod
    def decode(cls, data: bytes) -> SetRequestWithListAndFirstDatablock:
        return _expect(decode_set_request(data), cls)


SetRequest: TypeAlias = (
    SetRequestNormal
    | SetRequestWithFirstDatablock
    | SetRequestWithDatablock
    | SetRequestWithList
    | SetRequestWithListAndFirstDatablock
)


def _read_data_list(reader: Reader) -> tuple[Data, ...]:
    count = reader.count(min_item_size=1)
    return tuple(read_data(reader) for _ in range(count))


def decode_set_request(data: bytes) -> SetRequest:
    reader = Reader(data)
    choice, iip = _check_tag(reader, SET_REQUEST_TAG, "SET.request")
    request: SetRequest
    if choice in (1, 2):
        descriptor = AttributeDescriptor.read(reader)
        selection = _read_access_selection(reader)
        if choice == 1:
            request = SetRequestNormal(descriptor, read_data(reader), iip, selection)
        else:
            request = SetRequestWithFirstDatablock(
                descriptor, DataBlockSA.read(reader), iip, selection
            )
    elif choice == 3:
        request = SetRequestWithDatablock(DataBlockSA.read(reader), iip)
    elif choice in (4, 5):
        descriptors, selections = _read_descriptors_with_selection(reader)
        if choice == 4:
            request = SetRequestWithList(descriptors, _read_data_list(reader), iip, selections)
        else:
            request = SetRequestWithListAndFirstDatablock(
                descriptors, DataBlockSA.read(reader), iip, selections
            )
    else:
        raise DecodeError(f"unknown SET.request choice {choice}")
    reader.expect_end()
    return request


AccessResult: TypeAlias = DataAccessResult | int
"""A data-access-result (an int if not in our enum)."""


def _encode_results(results: tuple[AccessResult, ...]) -> bytes:
    return encode_length(len(results)) + b"".join(
        _uint(int(r), 1, "data-access-result") for r in results
    )


def _read_results(reader: Reader) -> tuple[AccessResult, ...]:
    count = reader.count(min_item_size=1)
    return tuple(DataAccessResult.parse(b) for b in reader.take(count))


@dataclass(frozen=True, slots=True)
class SetResponseNormal:
    result: AccessResult
    invoke_id_and_priority: int = DEFAULT_INVOKE_ID_AND_PRIORITY

    def encode(self) -> bytes:
        return _head(SET_RESPONSE_TAG, 1, self.invoke_id_and_priority) + _uint(
            int(self.result), 1, "data-access-result"
        )

    @classmethod
    def decode(cls, data: bytes) -> SetResponseNormal:
        return _expect(decode_set_response(data), cls)


@dataclass(frozen=True, slots=True)
class SetResponseDatablock:
    """The server took block ``block_number`` of a long SET and waits for the next."""

    block_number: int
    invoke_id_and_priority: int = DEFAULT_INVOKE_ID_AND_PRIORITY

    def encode(self) -> bytes:
        return _head(SET_RESPONSE_TAG, 2, self.invoke_id_and_priority) + _uint(
            self.block_number, 4, "block number"
        )

    @classmethod
    def decode(cls, data: bytes) -> SetResponseDatablock:
        return _expect(decode_set_response(data), cls)


@dataclass(frozen=True, slots=True)
class SetResponseLastDatablock:
    result: AccessResult
    block_number: int
    invoke_id_and_priority: int = DEFAULT_INVOKE_ID_AND_PRIORITY

    def encode(self) -> bytes:
        return (
            _head(SET_RESPONSE_TAG, 3, self.invoke_id_and_priority)
            + _uint(int(self.result), 1, "data-access-result")
            + _uint(self.block_number, 4, "block number")
        )

    @classmethod
    def decode(cls, data: bytes) -> SetResponseLastDatablock:
        return _expect(decode_set_response(data), cls)


@dataclass(frozen=True, slots=True)
class SetResponseLastDatablockWithList:
    results: tuple[AccessResult, ...]
    block_number: int
    invoke_id_and_priority: int = DEFAULT_INVOKE_ID_AND_PRIORITY

    def encode(self) -> bytes:
        return (
            _head(SET_RESPONSE_TAG, 4, self.invoke_id_and_priority)
            + _encode_results(self.results)
            + _uint(self.block_number, 4, "block number")
        )

    @classmethod
    def decode(cls, data: bytes) -> SetResponseLastDatablockWithList:
        return _expect(decode_set_response(data), cls)


@dataclass(frozen=True, slots=True)
class SetResponseWithList:
    results: tuple[AccessResult, ...]
    invoke_id_and_priority: int = DEFAULT_INVOKE_ID_AND_PRIORITY

    def encode(self) -> bytes:
        return _head(SET_RESPONSE_TAG, 5, self.invoke_id_and_priority) + _encode_results(
            self.results
        )

    @classmethod
    def decode(cls, data: bytes) -> SetResponseWithList:
        return _expect(decode_set_response(data), cls)


SetResponse: TypeAlias = (
    SetResponseNormal
    | SetResponseDatablock
    | SetResponseLastDatablock
    | SetResponseLastDatablockWithList
    | SetResponseWithList
)


def decode_set_response(data: bytes) -> SetResponse:
    reader = Reader(data)
    choice, iip = _check_tag(reader, SET_RESPONSE_TAG, "SET.response")
    response: SetResponse
    if choice == 1:
        response = SetResponseNormal(DataAccessResult.parse(reader.byte()), iip)
    elif choice == 2:
        response = SetResponseDatablock(reader.u32(), iip)
    elif choice == 3:
        result = DataAccessResult.parse(reader.byte())
        response = SetResponseLastDatablock(result, reader.u32(), iip)
    elif choice == 4:
        results = _read_results(reader)
        response = SetResponseLastDatablockWithList(results, reader.u32(), iip)
    elif choice == 5:
        response = SetResponseWithList(_read_results(reader), iip)
    else:
        raise DecodeError(f"unknown SET.response choice {choice}")
    reader.expect_end()
    return response


# ---------------------------------------------------------------------------- ACTION


class ActionResult(IntEnum):
    SUCCESS = 0
    HARDWARE_FAULT = 1
    TEMPORARY_FAILURE = 2
    READ_WRITE_DENIED = 3
    OBJECT_UNDEFINED = 4
    OBJECT_CLASS_INCONSISTENT = 9
    OBJECT_UNAVAILABLE = 11
    TYPE_UNMATCHED = 12
    SCOPE_OF_ACCESS_VIOLATED = 13
    DATA_BLOCK_UNAVAILABLE = 14
    LONG_ACTION_ABORTED = 15
    NO_LONG_ACTION_IN_PROGRESS = 16
    OTHER_REASON = 250

    @classmethod
    def parse(cls, value: int) -> ActionResult | int:
        try:
            return cls(value)
        except ValueError:
            return value

    @property
    def kebab(self) -> str:
        return self.name.lower().replace("_", "-")


def action_result_name(value: ActionResult | int) -> str:
    return value.kebab if isinstance(value, ActionResult) else f"action-result {value}"


def _encode_optional_data(value: Data | None) -> bytes:
    return b"\x00" if value is None else b"\x01" + encode_data(value)


def _read_optional_data(reader: Reader) -> Data | None:
    return read_data(reader) if reader.byte() else None


@dataclass(frozen=True, slots=True)
class ActionRequestNormal:
    descriptor: MethodDescriptor
    parameters: Data | None = None
    invoke_id_and_priority: int = DEFAULT_INVOKE_ID_AND_PRIORITY

    def encode(self) -> bytes:
        return (
            _head(ACTION_REQUEST_TAG, 1, self.invoke_id_and_priority)
            + self.descriptor.encode()
            + _encode_optional_data(self.parameters)
        )

    @classmethod
    def decode(cls, data: bytes) -> ActionRequestNormal:
        return _expect(decode_action_request(data), cls)


@dataclass(frozen=True, slots=True)
class ActionRequestNextPblock:
    """The client took block ``block_number`` of a long ACTION.response; send the next."""

    block_number: int
    invoke_id_and_priority: int = DEFAULT_INVOKE_ID_AND_PRIORITY

    def encode(self) -> bytes:
        return _head(ACTION_REQUEST_TAG, 2, self.invoke_id_and_priority) + _uint(
            self.block_number, 4, "block number"
        )

    @classmethod
    def decode(cls, data: bytes) -> ActionRequestNextPblock:
        return _expect(decode_action_request(data), cls)


@dataclass(frozen=True, slots=True)
class ActionRequestWithList:
    descriptors: tuple[MethodDescriptor, ...]
    parameters: tuple[Data, ...]
    invoke_id_and_priority: int = DEFAULT_INVOKE_ID_AND_PRIORITY

    def encode(self) -> bytes:
        return (
            _head(ACTION_REQUEST_TAG, 3, self.invoke_id_and_priority)
            + encode_length(len(self.descriptors))
            + b"".join(d.encode() for d in self.descriptors)
            + encode_length(len(self.parameters))
            + b"".join(encode_data(p) for p in self.parameters)
        )

    @classmethod
    def decode(cls, data: bytes) -> ActionRequestWithList:
        return _expect(decode_action_request(data), cls)


@dataclass(frozen=True, slots=True)
class ActionRequestWithFirstPblock:
    descriptor: MethodDescriptor
    pblock: DataBlockSA
    invoke_id_and_priority: int = DEFAULT_INVOKE_ID_AND_PRIORITY

    def encode(self) -> bytes:
        return (
            _head(ACTION_REQUEST_TAG, 4, self.invoke_id_and_priority)
            + self.descriptor.encode()
            + self.pblock.encode()
        )

    @classmethod
    def decode(cls, data: bytes) -> ActionRequestWithFirstPblock:
        return _expect(decode_action_request(data), cls)


@dataclass(frozen=True, slots=True)
class ActionRequestWithListAndFirstPblock:
    descriptors: tuple[MethodDescriptor, ...]
    pblock: DataBlockSA
    invoke_id_and_priority: int = DEFAULT_INVOKE_ID_AND_PRIORITY

    def encode(self) -> bytes:
        return (
            _head(ACTION_REQUEST_TAG, 5, self.invoke_id_and_priority)
            + encode_length(len(self.descriptors))
            + b"".join(d.encode() for d in self.descriptors)
            + self.pblock.encode()
        )

    @classmethod
    def decode(cls, data: bytes) -> ActionRequestWithListAndFirstPblock:
        return _expect(decode_action_request(data), cls)


@dataclass(frozen=True, slots=True)
class ActionRequestWithPblock:
    pblock: DataBlockSA
    invoke_id_and_priority: int = DEFAULT_INVOKE_ID_AND_PRIORITY

    def encode(self) -> bytes:
        return _head(ACTION_REQUEST_TAG, 6, self.invoke_id_and_priority) + self.pblock.encode()

    @classmethod
    def decode(cls, data: bytes) -> ActionRequestWithPblock:
        return _expect(decode_action_request(data), cls)


ActionRequest: TypeAlias = (
    ActionRequestNormal
    | ActionRequestNextPblock
    | ActionRequestWithList
    | ActionRequestWithFirstPblock
    | ActionRequestWithListAndFirstPblock
    | ActionRequestWithPblock
)


def _read_method_descriptors(reader: Reader) -> tuple[MethodDescriptor, ...]:
    count = reader.count(min_item_size=_DESCRIPTOR_SIZE)
    return tuple(MethodDescriptor.read(reader) for _ in range(count))


def decode_action_request(data: bytes) -> ActionRequest:
    reader = Reader(data)
    choice, iip = _check_tag(reader, ACTION_REQUEST_TAG, "ACTION.request")
    request: ActionRequest
    if choice == 1:
        descriptor = MethodDescriptor.read(reader)
        request = ActionRequestNormal(descriptor, _read_optional_data(reader), iip)
    elif choice == 2:
        request = ActionRequestNextPblock(reader.u32(), iip)
    elif choice == 3:
        descriptors = _read_method_descriptors(reader)
        request = ActionRequestWithList(descriptors, _read_data_list(reader), iip)
    elif choice == 4:
        descriptor = MethodDescriptor.read(reader)
        request = ActionRequestWithFirstPblock(descriptor, DataBlockSA.read(reader), iip)
    elif choice == 5:
        descriptors = _read_method_descriptors(reader)
        request = ActionRequestWithListAndFirstPblock(descriptors, DataBlockSA.read(reader), iip)
    elif choice == 6:
        request = ActionRequestWithPblock(DataBlockSA.read(reader), iip)
    else:
        raise DecodeError(f"unknown ACTION.request choice {choice}")
    reader.expect_end()
    return request


@dataclass(frozen=True, slots=True)
class ActionResponseWithOptionalData:
    """Action-Response-With-Optional-Data: the action-result, and optionally return
    parameters, which are a Get-Data-Result (data, or a data-access-result)."""

    result: ActionResult | int
    return_parameters: GetDataResult | None = None

    def encode(self) -> bytes:
        out = _uint(int(self.result), 1, "action-result")
        if self.return_parameters is None:
            return out + b"\x00"
        return out + b"\x01" + _encode_get_data_result(self.return_parameters)

    @classmethod
    def read(cls, reader: Reader) -> ActionResponseWithOptionalData:
        result = ActionResult.parse(reader.byte())
        return_parameters = _read_get_data_result(reader) if reader.byte() else None
        return cls(result, return_parameters)


@dataclass(frozen=True, slots=True)
class ActionResponseNormal:
    """The single response flattened: ``result`` and optional ``return_parameters``."""

    result: ActionResult | int
    return_parameters: GetDataResult | None = None
    invoke_id_and_priority: int = DEFAULT_INVOKE_ID_AND_PRIORITY

    def encode(self) -> bytes:
        return (
            _head(ACTION_RESPONSE_TAG, 1, self.invoke_id_and_priority)
            + ActionResponseWithOptionalData(self.result, self.return_parameters).encode()
        )

    @classmethod
    def decode(cls, data: bytes) -> ActionResponseNormal:
        return _expect(decode_action_response(data), cls)


@dataclass(frozen=True, slots=True)
class ActionResponseWithPblock:
    pblock: DataBlockSA
    invoke_id_and_priority: int = DEFAULT_INVOKE_ID_AND_PRIORITY

    def encode(self) -> bytes:
        return _head(ACTION_RESPONSE_TAG, 2, self.invoke_id_and_priority) + self.pblock.encode()

    @classmethod
    def decode(cls, data: bytes) -> ActionResponseWithPblock:
        return _expect(decode_action_response(data), cls)


@dataclass(frozen=True, slots=True)
class ActionResponseWithList:
    responses: tuple[ActionResponseWithOptionalData, ...]
    invoke_id_and_priority: int = DEFAULT_INVOKE_ID_AND_PRIORITY

    def encode(self) -> bytes:
        return (
            _head(ACTION_RESPONSE_TAG, 3, self.invoke_id_and_priority)
            + encode_length(len(self.responses))
            + b"".join(r.encode() for r in self.responses)
        )

    @classmethod
    def decode(cls, data: bytes) -> ActionResponseWithList:
        return _expect(decode_action_response(data), cls)


@dataclass(frozen=True, slots=True)
class ActionResponseNextPblock:
    """The server took block ``block_number`` of a long ACTION.request; send the next."""

    block_number: int
    invoke_id_and_priority: int = DEFAULT_INVOKE_ID_AND_PRIORITY

    def encode(self) -> bytes:
        return _head(ACTION_RESPONSE_TAG, 4, self.invoke_id_and_priority) + _uint(
            self.block_number, 4, "block number"
        )

    @classmethod
    def decode(cls, data: bytes) -> ActionResponseNextPblock:
        return _expect(decode_action_response(data), cls)


ActionResponse: TypeAlias = (
    ActionResponseNormal
    | ActionResponseWithPblock
    | ActionResponseWithList
    | ActionResponseNextPblock
)


def decode_action_response(data: bytes) -> ActionResponse:
    reader = Reader(data)
    choice, iip = _check_tag(reader, ACTION_RESPONSE_TAG, "ACTION.response")
    response: ActionResponse
    if choice == 1:
        single = ActionResponseWithOptionalData.read(reader)
        response = ActionResponseNormal(single.result, single.return_parameters, iip)
    elif choice == 2:
        response = ActionResponseWithPblock(DataBlockSA.read(reader), iip)
    elif choice == 3:
        count = reader.count(min_item_size=2)
        responses = tuple(ActionResponseWithOptionalData.read(reader) for _ in range(count))
        response = ActionResponseWithList(responses, iip)
    elif choice == 4:
        response = ActionResponseNextPblock(reader.u32(), iip)
    else:
        raise DecodeError(f"unknown ACTION.response choice {choice}")
    reader.expect_end()
    return response


# ---------------------------------------------------------------------------- notifications


@dataclass(frozen=True, slots=True)
class DataNotification:
    """Data-Notification (push): ``0F``, Long-Invoke-Id-And-Priority (Unsigned32),
    date-time (an OCTET STRING: ``00`` when absent, usually ``0C`` + 12 bytes), body (Data).

    ``date_time`` is None when absent; the empty octet string is how absence is encoded,
    so ``b""`` cannot be encoded."""

    long_invoke_id_and_priority: int
    date_time: bytes | None
    body: Data

    def encode(self) -> bytes:
        if self.date_time == b"":
            raise EncodeError("an absent date-time is None, not b''")
        return (
            bytes((DATA_NOTIFICATION_TAG,))
            + _uint(self.long_invoke_id_and_priority, 4, "long-invoke-id-and-priority")
            + _octet_string(self.date_time or b"")
            + encode_data(self.body)
        )

    @classmethod
    def decode(cls, data: bytes) -> DataNotification:
        reader = Reader(data)
        if reader.byte() != DATA_NOTIFICATION_TAG:
            raise DecodeError("not a Data-Notification")
        long_invoke_id = reader.u32()
        date_time = _read_octet_string(reader) or None
        body = read_data(reader)
        reader.expect_end()
        return cls(long_invoke_id, date_time, body)

    # Long-Invoke-Id-And-Priority: bits 0-23 invoke id, 28 self-descriptive,
    # 29 processing option (break on error), 30 service class (confirmed), 31 priority (high).
    @property
    def invoke_id(self) -> int:
        return self.long_invoke_id_and_priority & 0xFFFFFF

    @property
    def self_descriptive(self) -> bool:
        return bool(self.long_invoke_id_and_priority & (1 << 28))

    @property
    def break_on_error(self) -> bool:
        return bool(self.long_invoke_id_and_priority & (1 << 29))

    @property
    def confirmed(self) -> bool:
        return bool(self.long_invoke_id_and_priority & (1 << 30))

    @property
    def high_priority(self) -> bool:
        return bool(self.long_invoke_id_and_priority & (1 << 31))


@dataclass(frozen=True, slots=True)
class EventNotificationRequest:
    """EventNotificationRequest: ``C2``, time (OPTIONAL OCTET STRING), the attribute
    descriptor and the attribute value."""

    descriptor: AttributeDescriptor
    value: Data
    time: bytes | None = None

    def encode(self) -> bytes:
        time = b"\x00" if self.time is None else b"\x01" + _octet_string(self.time)
        return (
            bytes((EVENT_NOTIFICATION_REQUEST_TAG,))
            + time
            + self.descriptor.encode()
            + encode_data(self.value)
        )

    @classmethod
    def decode(cls, data: bytes) -> EventNotificationRequest:
        reader = Reader(data)
        if reader.byte() != EVENT_NOTIFICATION_REQUEST_TAG:
            raise DecodeError("not an Event-Notification-Request")
        time = _read_octet_string(reader) if reader.byte() else None
        descriptor = AttributeDescriptor.read(reader)
        value = read_data(reader)
        reader.expect_end()
        return cls(descriptor, value, time)


# ---------------------------------------------------------------------------- GBT

GBT_LAST_BLOCK: Final = 0x80
GBT_STREAMING: Final = 0x40
GBT_WINDOW_MASK: Final = 0x3F


@dataclass(frozen=True, slots=True)
class GeneralBlockTransfer:
    """General-Block-Transfer: ``E0``, block-control (bit 7 last-block, bit 6 streaming,
    bits 0-5 window), block-number and block-number-ack (Unsigned16 each), block-data (an
    OCTET STRING: a slice of the APDU being transferred, or empty in an acknowledgement)."""

    last_block: bool
    streaming: bool
    window: int
    block_number: int
    block_number_ack: int
    block_data: bytes = b""

    @property
    def block_control(self) -> int:
        if not 0 <= self.window <= GBT_WINDOW_MASK:
            raise EncodeError(f"GBT window {self.window} is outside 0..63")
        return (
            (GBT_LAST_BLOCK if self.last_block else 0)
            | (GBT_STREAMING if self.streaming else 0)
            | self.window
        )

    def encode(self) -> bytes:
        return (
            bytes((GENERAL_BLOCK_TRANSFER_TAG, self.block_control))
            + _uint(self.block_number, 2, "block number")
            + _uint(self.block_number_ack, 2, "block number ack")
            + _octet_string(self.block_data)
        )

    @classmethod
    def decode(cls, data: bytes) -> GeneralBlockTransfer:
        reader = Reader(data)
        if reader.byte() != GENERAL_BLOCK_TRANSFER_TAG:
            raise DecodeError("not a General-Block-Transfer")
        control = reader.byte()
        block_number = reader.u16()
        block_number_ack = reader.u16()
        block_data = _read_octet_string(reader)
        reader.expect_end()
        return cls(
            last_block=bool(control & GBT_LAST_BLOCK),
            streaming=bool(control & GBT_STREAMING),
            window=control & GBT_WINDOW_MASK,
            block_number=block_number,
            block_number_ack=block_number_ack,
            block_data=block_data,
        )


# ---------------------------------------------------------------------------- any APDU


Apdu: TypeAlias = (
    InitiateRequest
    | InitiateResponse
    | ConfirmedServiceError
    | ExceptionResponse
    | GetRequest
    | GetResponse
    | SetRequest
    | SetResponse
    | ActionRequest
    | ActionResponse
    | DataNotification
    | EventNotificationRequest
    | GeneralBlockTransfer
    | Aarq
    | Aare
    | ReleaseRequest
    | ReleaseResponse
)

_DECODERS: Final[dict[int, Callable[[bytes], Apdu]]] = {
    INITIATE_REQUEST_TAG: InitiateRequest.decode,
    INITIATE_RESPONSE_TAG: InitiateResponse.decode,
    CONFIRMED_SERVICE_ERROR_TAG: ConfirmedServiceError.decode,
    DATA_NOTIFICATION_TAG: DataNotification.decode,
    0x60: Aarq.decode,
    0x61: Aare.decode,
    0x62: ReleaseRequest.decode,
    0x63: ReleaseResponse.decode,
    GET_REQUEST_TAG: decode_get_request,
    SET_REQUEST_TAG: decode_set_request,
    EVENT_NOTIFICATION_REQUEST_TAG: EventNotificationRequest.decode,
    ACTION_REQUEST_TAG: decode_action_request,
    GET_RESPONSE_TAG: decode_get_response,
    SET_RESPONSE_TAG: decode_set_response,
    ACTION_RESPONSE_TAG: decode_action_response,
    EXCEPTION_RESPONSE_TAG: ExceptionResponse.decode,
    GENERAL_BLOCK_TRANSFER_TAG: GeneralBlockTransfer.decode,
}


def decode_apdu(apdu: bytes) -> Apdu:
    """Decode one plain (unciphered) APDU, ACSE or xDLMS, by its tag. A protected APDU
    (glo-/ded-/general ciphering or signing), a short-name service and an unknown tag are
    DecodeErrors."""
    if not apdu:
        raise DecodeError("empty APDU")
    tag = apdu[0]
    decoder = _DECODERS.get(tag)
    if decoder is not None:
        return decoder(apdu)
    name = APDU_TAG_NAMES.get(tag)
    if tag in PROTECTED_TAGS:
        raise DecodeError(f"{name} (0x{tag:02X}) is protected: remove the protection first")
    if name is not None:
        raise DecodeError(f"{name} (0x{tag:02X}) is not supported")
    raise DecodeError(f"unknown APDU tag 0x{tag:02X}")
