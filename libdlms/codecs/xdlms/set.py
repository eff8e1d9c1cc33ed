"""The SET service: SET.request (normal, with first data block, with data block, with
list, with list and first data block) and SET.response (normal, data block, last data
block, last data block with list, with list). A long value goes in DataBlock-SA slices of
its encoding; the meter acknowledges each block."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Self, TypeAlias

from ...errors import DecodeError
from ..axdr import Data, Reader, encode_data, read_data
from ._fields import (
    DEFAULT_INVOKE_ID_AND_PRIORITY,
    BlockNumberBody,
    DataBlockSA,
    ServiceApdu,
    _check_tag,
    _expect,
    _read_data_list,
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
from .results import AccessResult, DataAccessResult, data_access_result_name
from .tags import SET_REQUEST_TAG, SET_RESPONSE_TAG


class _SetRequest(ServiceApdu):
    __slots__ = ()
    TAG = SET_REQUEST_TAG

    @classmethod
    def decode(cls, data: bytes) -> Self:
        return _expect(decode_set_request(data), cls)


@dataclass(frozen=True, slots=True)
class SetRequestNormal(_SetRequest):
    CHOICE = 1

    descriptor: AttributeDescriptor
    value: Data
    invoke_id_and_priority: int = DEFAULT_INVOKE_ID_AND_PRIORITY
    access_selection: bytes | None = None

    def body(self) -> bytes:
        return (
            self.descriptor.encode()
            + _encode_access_selection(self.access_selection)
            + encode_data(self.value)
        )

    def fields_json(self) -> dict[str, Any]:
        return (
            {"attribute": str(self.descriptor)}
            | access_selection_json(self.access_selection)
            | {"value": self.value.to_json()}
        )


@dataclass(frozen=True, slots=True)
class SetRequestWithFirstDatablock(_SetRequest):
    """The first block of a long SET: ``datablock.raw_data`` is a slice of the encoded value."""

    CHOICE = 2

    descriptor: AttributeDescriptor
    datablock: DataBlockSA
    invoke_id_and_priority: int = DEFAULT_INVOKE_ID_AND_PRIORITY
    access_selection: bytes | None = None

    def body(self) -> bytes:
        return (
            self.descriptor.encode()
            + _encode_access_selection(self.access_selection)
            + self.datablock.encode()
        )

    def fields_json(self) -> dict[str, Any]:
        return (
            {"attribute": str(self.descriptor)}
            | access_selection_json(self.access_selection)
            | self.datablock.to_json()
        )


@dataclass(frozen=True, slots=True)
class SetRequestWithDatablock(_SetRequest):
    CHOICE = 3

    datablock: DataBlockSA
    invoke_id_and_priority: int = DEFAULT_INVOKE_ID_AND_PRIORITY

    def body(self) -> bytes:
        return self.datablock.encode()

    def fields_json(self) -> dict[str, Any]:
        return self.datablock.to_json()


@dataclass(frozen=True, slots=True)
class SetRequestWithList(WithSelections, _SetRequest):
    CHOICE = 4

    descriptors: tuple[AttributeDescriptor, ...]
    values: tuple[Data, ...]
    invoke_id_and_priority: int = DEFAULT_INVOKE_ID_AND_PRIORITY
    access_selections: tuple[bytes | None, ...] = ()

    def body(self) -> bytes:
        return self._encode_descriptors() + _sequence(self.values, encode_data)

    def fields_json(self) -> dict[str, Any]:
        return self._descriptors_json() | {"values": [v.to_json() for v in self.values]}


@dataclass(frozen=True, slots=True)
class SetRequestWithListAndFirstDatablock(WithSelections, _SetRequest):
    CHOICE = 5

    descriptors: tuple[AttributeDescriptor, ...]
    datablock: DataBlockSA
    invoke_id_and_priority: int = DEFAULT_INVOKE_ID_AND_PRIORITY
    access_selections: tuple[bytes | None, ...] = ()

    def body(self) -> bytes:
        return self._encode_descriptors() + self.datablock.encode()

    def fields_json(self) -> dict[str, Any]:
        return self._descriptors_json() | self.datablock.to_json()


SetRequest: TypeAlias = (
    SetRequestNormal
    | SetRequestWithFirstDatablock
    | SetRequestWithDatablock
    | SetRequestWithList
    | SetRequestWithListAndFirstDatablock
)


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


def _encode_result(result: AccessResult) -> bytes:
    return _uint(int(result), 1, "data-access-result")


def _read_results(reader: Reader) -> tuple[AccessResult, ...]:
    count = reader.count(min_item_size=1)
    return tuple(DataAccessResult.parse(b) for b in reader.take(count))


class _SetResponse(ServiceApdu):
    __slots__ = ()
    TAG = SET_RESPONSE_TAG

    @classmethod
    def decode(cls, data: bytes) -> Self:
        return _expect(decode_set_response(data), cls)


@dataclass(frozen=True, slots=True)
class SetResponseNormal(_SetResponse):
    CHOICE = 1

    result: AccessResult
    invoke_id_and_priority: int = DEFAULT_INVOKE_ID_AND_PRIORITY

    def body(self) -> bytes:
        return _encode_result(self.result)

    def fields_json(self) -> dict[str, Any]:
        return {"result": data_access_result_name(self.result)}


@dataclass(frozen=True, slots=True)
class SetResponseDatablock(BlockNumberBody, _SetResponse):
    """The server took block ``block_number`` of a long SET and waits for the next."""

    CHOICE = 2

    block_number: int
    invoke_id_and_priority: int = DEFAULT_INVOKE_ID_AND_PRIORITY


@dataclass(frozen=True, slots=True)
class SetResponseLastDatablock(_SetResponse):
    CHOICE = 3

    result: AccessResult
    block_number: int
    invoke_id_and_priority: int = DEFAULT_INVOKE_ID_AND_PRIORITY

    def body(self) -> bytes:
        return _encode_result(self.result) + _uint(self.block_number, 4, "block number")

    def fields_json(self) -> dict[str, Any]:
        return {"result": data_access_result_name(self.result), "block_number": self.block_number}


@dataclass(frozen=True, slots=True)
class SetResponseLastDatablockWithList(_SetResponse):
    CHOICE = 4

    results: tuple[AccessResult, ...]
    block_number: int
    invoke_id_and_priority: int = DEFAULT_INVOKE_ID_AND_PRIORITY

    def body(self) -> bytes:
        return _sequence(self.results, _encode_result) + _uint(self.block_number, 4, "block number")

    def fields_json(self) -> dict[str, Any]:
        results = [data_access_result_name(r) for r in self.results]
        return {"results": results, "block_number": self.block_number}


@dataclass(frozen=True, slots=True)
class SetResponseWithList(_SetResponse):
    CHOICE = 5

    results: tuple[AccessResult, ...]
    invoke_id_and_priority: int = DEFAULT_INVOKE_ID_AND_PRIORITY

    def body(self) -> bytes:
        return _sequence(self.results, _encode_result)

    def fields_json(self) -> dict[str, Any]:
        return {"results": [data_access_result_name(r) for r in self.results]}


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
