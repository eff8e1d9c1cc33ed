"""xDLMS APDUs (IEC 62056-5-3): InitiateRequest/Response and the GET service.

Each APDU is a frozen dataclass with ``encode()`` and a ``decode()`` classmethod;
``decode_get_response`` and friends dispatch on the tag. The invoke-id-and-priority
byte is kept whole so that what we send is what we compare against; meters that answer
0x81-style (unconfirmed bit) are matched on the invoke id alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, IntFlag
from typing import Final

from ..cosem.obis import Obis
from ..errors import DecodeError
from .axdr import Data, Reader, encode_data, encode_length, read_data

INITIATE_REQUEST_TAG: Final = 0x01
INITIATE_RESPONSE_TAG: Final = 0x08
CONFIRMED_SERVICE_ERROR_TAG: Final = 0x0E
GET_REQUEST_TAG: Final = 0xC0
GET_RESPONSE_TAG: Final = 0xC4
EXCEPTION_RESPONSE_TAG: Final = 0xD8

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


# Exactly what this client implements: GET normal/next/with-list.
CLIENT_CONFORMANCE: Final = (
    Conformance.GET | Conformance.BLOCK_TRANSFER_WITH_GET_OR_READ | Conformance.MULTIPLE_REFERENCES
)


def _encode_conformance(conformance: Conformance) -> bytes:
    return b"\x5f\x1f\x04\x00" + int(conformance).to_bytes(3, "big")


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
            out += b"\x01" + encode_length(len(self.dedicated_key)) + self.dedicated_key
        # response-allowed has DEFAULT TRUE: encoded as absent when true.
        out += b"\x00" if self.response_allowed else b"\x01\x00"
        if self.proposed_quality_of_service is None:
            out += b"\x00"
        else:
            out += bytes((1, self.proposed_quality_of_service))
        out += bytes((self.dlms_version,))
        out += _encode_conformance(self.conformance)
        out += self.client_max_receive_pdu_size.to_bytes(2, "big")
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
            out += bytes((1, self.negotiated_quality_of_service))
        out += bytes((self.dlms_version,))
        out += _encode_conformance(self.conformance)
        out += self.server_max_receive_pdu_size.to_bytes(2, "big")
        out += self.vaa_name.to_bytes(2, "big")
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


@dataclass(frozen=True, slots=True)
class ExceptionResponse:
    state_error: int
    service_error: int
    invocation_counter: int | None = None

    def encode(self) -> bytes:
        out = bytes((EXCEPTION_RESPONSE_TAG, self.state_error, self.service_error))
        if self.invocation_counter is not None:
            out += self.invocation_counter.to_bytes(4, "big")
        return out

    @classmethod
    def decode(cls, data: bytes) -> ExceptionResponse:
        reader = Reader(data)
        if reader.byte() != EXCEPTION_RESPONSE_TAG:
            raise DecodeError("not an Exception-Response")
        state, service = reader.byte(), reader.byte()
        counter = reader.u32() if service == 6 and reader.remaining >= 4 else None
        return cls(state, service, counter)

    def __str__(self) -> str:
        names = {1: "service-not-allowed", 2: "service-unknown"}
        services = {
            1: "operation-not-possible",
            2: "service-not-supported",
            3: "other-reason",
            4: "pdu-too-long",
            5: "deciphering-error",
            6: "invocation-counter-error",
        }
        return (
            f"exception-response: {names.get(self.state_error, self.state_error)}, "
            f"{services.get(self.service_error, self.service_error)}"
        )


@dataclass(frozen=True, slots=True)
class ConfirmedServiceError:
    service: int  # 1 = initiateError, 5 = read, 6 = write, ...
    error_class: int  # ServiceError CHOICE tag: 6 = initiate, 5 = access, ...
    error: int

    def encode(self) -> bytes:
        return bytes((CONFIRMED_SERVICE_ERROR_TAG, self.service, self.error_class, self.error))

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


# ---------------------------------------------------------------------------- GET


@dataclass(frozen=True, slots=True, order=True)
class AttributeDescriptor:
    """Cosem-Attribute-Descriptor: which attribute of which object."""

    class_id: int
    instance: Obis
    attribute: int

    def encode(self) -> bytes:
        return (
            self.class_id.to_bytes(2, "big")
            + self.instance.to_bytes()
            + self.attribute.to_bytes(1, "big", signed=True)
        )

    @classmethod
    def read(cls, reader: Reader) -> AttributeDescriptor:
        class_id = reader.u16()
        instance = Obis.from_bytes(reader.take(6))
        attribute = int.from_bytes(reader.take(1), "big", signed=True)
        return cls(class_id, instance, attribute)

    def __str__(self) -> str:
        return f"{self.class_id}/{self.instance.dotted}/{self.attribute}"


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


@dataclass(frozen=True, slots=True)
class GetRequestNormal:
    descriptor: AttributeDescriptor
    invoke_id_and_priority: int = DEFAULT_INVOKE_ID_AND_PRIORITY
    access_selection: bytes | None = None

    def encode(self) -> bytes:
        return (
            bytes((GET_REQUEST_TAG, 1, self.invoke_id_and_priority))
            + self.descriptor.encode()
            + _encode_access_selection(self.access_selection)
        )


@dataclass(frozen=True, slots=True)
class GetRequestNext:
    block_number: int
    invoke_id_and_priority: int = DEFAULT_INVOKE_ID_AND_PRIORITY

    def encode(self) -> bytes:
        return bytes(
            (GET_REQUEST_TAG, 2, self.invoke_id_and_priority)
        ) + self.block_number.to_bytes(4, "big")


@dataclass(frozen=True, slots=True)
class GetRequestWithList:
    descriptors: tuple[AttributeDescriptor, ...]
    invoke_id_and_priority: int = DEFAULT_INVOKE_ID_AND_PRIORITY

    def encode(self) -> bytes:
        out = bytes((GET_REQUEST_TAG, 3, self.invoke_id_and_priority))
        out += encode_length(len(self.descriptors))
        for descriptor in self.descriptors:
            out += descriptor.encode() + _encode_access_selection(None)
        return out


type GetRequest = GetRequestNormal | GetRequestNext | GetRequestWithList


def decode_get_request(data: bytes) -> GetRequest:
    reader = Reader(data)
    if reader.byte() != GET_REQUEST_TAG:
        raise DecodeError("not a GET.request")
    choice = reader.byte()
    iip = reader.byte()
    request: GetRequest
    if choice == 1:
        descriptor = AttributeDescriptor.read(reader)
        request = GetRequestNormal(descriptor, iip, _read_access_selection(reader))
    elif choice == 2:
        request = GetRequestNext(reader.u32(), iip)
    elif choice == 3:
        count = reader.count(min_item_size=10)
        descriptors = []
        for _ in range(count):
            descriptors.append(AttributeDescriptor.read(reader))
            if _read_access_selection(reader) is not None:
                raise DecodeError("selective access in GET with-list is not supported")
        request = GetRequestWithList(tuple(descriptors), iip)
    else:
        raise DecodeError(f"unknown GET.request choice {choice}")
    reader.expect_end()
    return request


type GetDataResult = Data | DataAccessResult | int
"""A value, or the data-access-result the meter gave instead (an int if not in our enum)."""


def _encode_get_data_result(result: GetDataResult) -> bytes:
    if isinstance(result, Data):
        return b"\x00" + encode_data(result)
    return bytes((1, int(result)))


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
        return bytes((GET_RESPONSE_TAG, 1, self.invoke_id_and_priority)) + _encode_get_data_result(
            self.result
        )


@dataclass(frozen=True, slots=True)
class GetResponseWithDatablock:
    """One block of a long GET. ``raw_data`` is a slice of the encoded result, cut at
    arbitrary byte boundaries: only the reassembled whole is decoded."""

    last_block: bool
    block_number: int
    raw_data: bytes | DataAccessResult | int
    invoke_id_and_priority: int = DEFAULT_INVOKE_ID_AND_PRIORITY

    def encode(self) -> bytes:
        out = bytes((GET_RESPONSE_TAG, 2, self.invoke_id_and_priority, int(self.last_block)))
        out += self.block_number.to_bytes(4, "big")
        if isinstance(self.raw_data, bytes):
            return out + b"\x00" + encode_length(len(self.raw_data)) + self.raw_data
        return out + bytes((1, int(self.raw_data)))


@dataclass(frozen=True, slots=True)
class GetResponseWithList:
    results: tuple[GetDataResult, ...]
    invoke_id_and_priority: int = DEFAULT_INVOKE_ID_AND_PRIORITY

    def encode(self) -> bytes:
        return bytes((GET_RESPONSE_TAG, 3, self.invoke_id_and_priority)) + encode_get_data_results(
            self.results
        )


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


type GetResponse = GetResponseNormal | GetResponseWithDatablock | GetResponseWithList


def decode_get_response(data: bytes) -> GetResponse:
    reader = Reader(data)
    if reader.byte() != GET_RESPONSE_TAG:
        raise DecodeError("not a GET.response")
    choice = reader.byte()
    iip = reader.byte()
    response: GetResponse
    if choice == 1:
        response = GetResponseNormal(_read_get_data_result(reader), iip)
    elif choice == 2:
        last_block = bool(reader.byte())
        block_number = reader.u32()
        raw_choice = reader.byte()
        raw: bytes | DataAccessResult | int
        if raw_choice == 0:
            raw = reader.take(reader.length())
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
