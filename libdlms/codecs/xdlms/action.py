"""The ACTION service: ACTION.request (normal, next parameter block, with list, with first
parameter block, with list and first parameter block, with parameter block) and
ACTION.response (normal, with parameter block, with list, next parameter block). Its
CHOICEs parallel SET's, with parameters where SET has values, and methods that carry no
selective access."""

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
    _read_sequence,
    _sequence,
    _uint,
)
from .descriptors import DESCRIPTOR_SIZE, MethodDescriptor
from .results import (
    ActionResult,
    GetDataResult,
    _encode_get_data_result,
    _read_get_data_result,
    action_result_name,
    get_data_result_json,
)
from .tags import ACTION_REQUEST_TAG, ACTION_RESPONSE_TAG


def _encode_optional_data(value: Data | None) -> bytes:
    return b"\x00" if value is None else b"\x01" + encode_data(value)


def _read_optional_data(reader: Reader) -> Data | None:
    return read_data(reader) if reader.byte() else None


def _read_methods(reader: Reader) -> tuple[MethodDescriptor, ...]:
    return _read_sequence(reader, MethodDescriptor.read, min_item_size=DESCRIPTOR_SIZE)


class _ActionRequest(ServiceApdu):
    __slots__ = ()
    TAG = ACTION_REQUEST_TAG

    @classmethod
    def decode(cls, data: bytes) -> Self:
        return _expect(decode_action_request(data), cls)


@dataclass(frozen=True, slots=True)
class ActionRequestNormal(_ActionRequest):
    CHOICE = 1

    descriptor: MethodDescriptor
    parameters: Data | None = None
    invoke_id_and_priority: int = DEFAULT_INVOKE_ID_AND_PRIORITY

    def body(self) -> bytes:
        return self.descriptor.encode() + _encode_optional_data(self.parameters)

    def fields_json(self) -> dict[str, Any]:
        parameters = None if self.parameters is None else self.parameters.to_json()
        return {"method": str(self.descriptor), "parameters": parameters}


@dataclass(frozen=True, slots=True)
class ActionRequestNextPblock(BlockNumberBody, _ActionRequest):
    """The client took block ``block_number`` of a long ACTION.response; send the next."""

    CHOICE = 2

    block_number: int
    invoke_id_and_priority: int = DEFAULT_INVOKE_ID_AND_PRIORITY


@dataclass(frozen=True, slots=True)
class ActionRequestWithList(_ActionRequest):
    CHOICE = 3

    descriptors: tuple[MethodDescriptor, ...]
    parameters: tuple[Data, ...]
    invoke_id_and_priority: int = DEFAULT_INVOKE_ID_AND_PRIORITY

    def body(self) -> bytes:
        return _sequence(self.descriptors, MethodDescriptor.encode) + _sequence(
            self.parameters, encode_data
        )

    def fields_json(self) -> dict[str, Any]:
        return {
            "methods": [str(d) for d in self.descriptors],
            "parameters": [p.to_json() for p in self.parameters],
        }


@dataclass(frozen=True, slots=True)
class ActionRequestWithFirstPblock(_ActionRequest):
    CHOICE = 4

    descriptor: MethodDescriptor
    pblock: DataBlockSA
    invoke_id_and_priority: int = DEFAULT_INVOKE_ID_AND_PRIORITY

    def body(self) -> bytes:
        return self.descriptor.encode() + self.pblock.encode()

    def fields_json(self) -> dict[str, Any]:
        return {"method": str(self.descriptor)} | self.pblock.to_json()


@dataclass(frozen=True, slots=True)
class ActionRequestWithListAndFirstPblock(_ActionRequest):
    CHOICE = 5

    descriptors: tuple[MethodDescriptor, ...]
    pblock: DataBlockSA
    invoke_id_and_priority: int = DEFAULT_INVOKE_ID_AND_PRIORITY

    def body(self) -> bytes:
        return _sequence(self.descriptors, MethodDescriptor.encode) + self.pblock.encode()

    def fields_json(self) -> dict[str, Any]:
        return {"methods": [str(d) for d in self.descriptors]} | self.pblock.to_json()


@dataclass(frozen=True, slots=True)
class ActionRequestWithPblock(_ActionRequest):
    CHOICE = 6

    pblock: DataBlockSA
    invoke_id_and_priority: int = DEFAULT_INVOKE_ID_AND_PRIORITY

    def body(self) -> bytes:
        return self.pblock.encode()

    def fields_json(self) -> dict[str, Any]:
        return self.pblock.to_json()


ActionRequest: TypeAlias = (
    ActionRequestNormal
    | ActionRequestNextPblock
    | ActionRequestWithList
    | ActionRequestWithFirstPblock
    | ActionRequestWithListAndFirstPblock
    | ActionRequestWithPblock
)


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
        descriptors = _read_methods(reader)
        request = ActionRequestWithList(descriptors, _read_data_list(reader), iip)
    elif choice == 4:
        descriptor = MethodDescriptor.read(reader)
        request = ActionRequestWithFirstPblock(descriptor, DataBlockSA.read(reader), iip)
    elif choice == 5:
        descriptors = _read_methods(reader)
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

    def to_json(self) -> dict[str, Any]:
        parameters = self.return_parameters
        return {
            "result": action_result_name(self.result),
            "return_parameters": None if parameters is None else get_data_result_json(parameters),
        }

    @classmethod
    def read(cls, reader: Reader) -> ActionResponseWithOptionalData:
        result = ActionResult.parse(reader.byte())
        return_parameters = _read_get_data_result(reader) if reader.byte() else None
        return cls(result, return_parameters)


class _ActionResponse(ServiceApdu):
    __slots__ = ()
    TAG = ACTION_RESPONSE_TAG

    @classmethod
    def decode(cls, data: bytes) -> Self:
        return _expect(decode_action_response(data), cls)


@dataclass(frozen=True, slots=True)
class ActionResponseNormal(_ActionResponse):
    """The single response flattened: ``result`` and optional ``return_parameters``."""

    CHOICE = 1

    result: ActionResult | int
    return_parameters: GetDataResult | None = None
    invoke_id_and_priority: int = DEFAULT_INVOKE_ID_AND_PRIORITY

    def body(self) -> bytes:
        return self._single().encode()

    def fields_json(self) -> dict[str, Any]:
        return self._single().to_json()

    def _single(self) -> ActionResponseWithOptionalData:
        return ActionResponseWithOptionalData(self.result, self.return_parameters)


@dataclass(frozen=True, slots=True)
class ActionResponseWithPblock(_ActionResponse):
    CHOICE = 2

    pblock: DataBlockSA
    invoke_id_and_priority: int = DEFAULT_INVOKE_ID_AND_PRIORITY

    def body(self) -> bytes:
        return self.pblock.encode()

    def fields_json(self) -> dict[str, Any]:
        return self.pblock.to_json()


@dataclass(frozen=True, slots=True)
class ActionResponseWithList(_ActionResponse):
    CHOICE = 3

    responses: tuple[ActionResponseWithOptionalData, ...]
    invoke_id_and_priority: int = DEFAULT_INVOKE_ID_AND_PRIORITY

    def body(self) -> bytes:
        return _sequence(self.responses, ActionResponseWithOptionalData.encode)

    def fields_json(self) -> dict[str, Any]:
        return {"responses": [r.to_json() for r in self.responses]}


@dataclass(frozen=True, slots=True)
class ActionResponseNextPblock(BlockNumberBody, _ActionResponse):
    """The server took block ``block_number`` of a long ACTION.request; send the next."""

    CHOICE = 4

    block_number: int
    invoke_id_and_priority: int = DEFAULT_INVOKE_ID_AND_PRIORITY


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
        responses = _read_sequence(reader, ActionResponseWithOptionalData.read, min_item_size=2)
        response = ActionResponseWithList(responses, iip)
    elif choice == 4:
        response = ActionResponseNextPblock(reader.u32(), iip)
    else:
        raise DecodeError(f"unknown ACTION.response choice {choice}")
    reader.expect_end()
    return response
