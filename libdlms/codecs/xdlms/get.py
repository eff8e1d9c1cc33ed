"""The GET service: GET.request (normal, next block, with list) and GET.response (normal,
with data block, with list). A long response comes in blocks of raw bytes, cut at any
byte: only the joined whole is decoded (``decode_get_data_results`` for a with-list)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Self, TypeAlias

from ...errors import DecodeError
from ..axdr import Reader
from ._fields import (
    DEFAULT_INVOKE_ID_AND_PRIORITY,
    BlockNumberBody,
    ServiceApdu,
    _check_tag,
    _expect,
    _octet_string,
    _read_bool,
    _read_octet_string,
    _read_sequence,
    _sequence,
    _uint,
)
from .descriptors import (
    AttributeDescriptor,
    WithSelections,
    _encode_access_selection,
    _read_access_selection,
    _read_descriptors_with_selection,
    access_selection_json,
)
from .results import (
    DataAccessResult,
    GetDataResult,
    _encode_get_data_result,
    _read_get_data_result,
    data_access_result_name,
    get_data_result_json,
)
from .tags import GET_REQUEST_TAG, GET_RESPONSE_TAG


class _GetRequest(ServiceApdu):
    __slots__ = ()
    TAG = GET_REQUEST_TAG

    @classmethod
    def decode(cls, data: bytes) -> Self:
        return _expect(decode_get_request(data), cls)


@dataclass(frozen=True, slots=True)
class GetRequestNormal(_GetRequest):
    CHOICE = 1

    descriptor: AttributeDescriptor
    invoke_id_and_priority: int = DEFAULT_INVOKE_ID_AND_PRIORITY
    access_selection: bytes | None = None

    def body(self) -> bytes:
        return self.descriptor.encode() + _encode_access_selection(self.access_selection)

    def fields_json(self) -> dict[str, Any]:
        return {"attribute": str(self.descriptor)} | access_selection_json(self.access_selection)


@dataclass(frozen=True, slots=True)
class GetRequestNext(BlockNumberBody, _GetRequest):
    CHOICE = 2

    block_number: int
    invoke_id_and_priority: int = DEFAULT_INVOKE_ID_AND_PRIORITY


@dataclass(frozen=True, slots=True)
class GetRequestWithList(WithSelections, _GetRequest):
    CHOICE = 3

    descriptors: tuple[AttributeDescriptor, ...]
    invoke_id_and_priority: int = DEFAULT_INVOKE_ID_AND_PRIORITY
    access_selections: tuple[bytes | None, ...] = ()

    def body(self) -> bytes:
        return self._encode_descriptors()

    def fields_json(self) -> dict[str, Any]:
        return self._descriptors_json()


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


class _GetResponse(ServiceApdu):
    __slots__ = ()
    TAG = GET_RESPONSE_TAG

    @classmethod
    def decode(cls, data: bytes) -> Self:
        return _expect(decode_get_response(data), cls)


@dataclass(frozen=True, slots=True)
class GetResponseNormal(_GetResponse):
    CHOICE = 1

    result: GetDataResult
    invoke_id_and_priority: int = DEFAULT_INVOKE_ID_AND_PRIORITY

    def body(self) -> bytes:
        return _encode_get_data_result(self.result)

    def fields_json(self) -> dict[str, Any]:
        return get_data_result_json(self.result)


@dataclass(frozen=True, slots=True)
class GetResponseWithDatablock(_GetResponse):
    """One block of a long GET. ``raw_data`` is a slice of the encoded result, cut at
    arbitrary byte boundaries: only the reassembled whole is decoded."""

    CHOICE = 2

    last_block: bool
    block_number: int
    raw_data: bytes | DataAccessResult | int
    invoke_id_and_priority: int = DEFAULT_INVOKE_ID_AND_PRIORITY

    def body(self) -> bytes:
        out = bytes((int(self.last_block),)) + _uint(self.block_number, 4, "block number")
        if isinstance(self.raw_data, bytes):
            return out + b"\x00" + _octet_string(self.raw_data)
        return out + b"\x01" + _uint(int(self.raw_data), 1, "data-access-result")

    def fields_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"last_block": self.last_block, "block_number": self.block_number}
        if isinstance(self.raw_data, bytes):
            return out | {"raw_data": self.raw_data.hex()}
        return out | {"data_access_result": data_access_result_name(self.raw_data)}


@dataclass(frozen=True, slots=True)
class GetResponseWithList(_GetResponse):
    CHOICE = 3

    results: tuple[GetDataResult, ...]
    invoke_id_and_priority: int = DEFAULT_INVOKE_ID_AND_PRIORITY

    def body(self) -> bytes:
        return encode_get_data_results(self.results)

    def fields_json(self) -> dict[str, Any]:
        return {"results": [get_data_result_json(r) for r in self.results]}


def encode_get_data_results(results: tuple[GetDataResult, ...]) -> bytes:
    """``SEQUENCE OF Get-Data-Result``: the body of a with-list response, and what a
    block-transferred with-list response carries in its raw data."""
    return _sequence(results, _encode_get_data_result)


def decode_get_data_results(data: bytes) -> tuple[GetDataResult, ...]:
    reader = Reader(data)
    results = _read_get_data_results(reader)
    reader.expect_end()
    return results


def _read_get_data_results(reader: Reader) -> tuple[GetDataResult, ...]:
    return _read_sequence(reader, _read_get_data_result, min_item_size=2)


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
