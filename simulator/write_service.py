"""The SET and ACTION services, the meter's side: normal, SET with-list, and the block
transfers a long value or parameter takes (each block acknowledged, the whole applied after
the last). The public client may not write: it is answered read-write-denied, as utility
meters answer a customer's client."""

from __future__ import annotations

from libdlms.codecs.axdr import Data, decode_data
from libdlms.codecs.xdlms import (
    ActionRequest,
    ActionRequestNormal,
    ActionRequestWithFirstPblock,
    ActionRequestWithPblock,
    ActionResponseNextPblock,
    ActionResponseNormal,
    ActionResult,
    AttributeDescriptor,
    DataAccessResult,
    MethodDescriptor,
    SetRequest,
    SetRequestNormal,
    SetRequestWithDatablock,
    SetRequestWithFirstDatablock,
    SetRequestWithList,
    SetResponseDatablock,
    SetResponseLastDatablock,
    SetResponseNormal,
    SetResponseWithList,
)
from libdlms.errors import DecodeError

from .meter import SimulatedMeter


class WriteService:
    def __init__(self, meter: SimulatedMeter) -> None:
        self.meter = meter
        self._set_target: AttributeDescriptor | None = None
        self._action_target: MethodDescriptor | None = None
        self._raw = bytearray()
        self._block = 0

    def set(self, request: SetRequest, *, allowed: bool) -> bytes:
        iip = request.invoke_id_and_priority
        if isinstance(request, SetRequestNormal):
            return SetResponseNormal(
                self._set(request.descriptor, request.value, allowed), iip
            ).encode()
        if isinstance(request, SetRequestWithList):
            results = tuple(
                self._set(d, v, allowed)
                for d, v in zip(request.descriptors, request.values, strict=True)
            )
            return SetResponseWithList(results, iip).encode()
        if isinstance(request, SetRequestWithFirstDatablock):
            self._set_target, self._raw, self._block = request.descriptor, bytearray(), 0
            block = request.datablock
        elif isinstance(request, SetRequestWithDatablock) and self._set_target is not None:
            block = request.datablock
        else:  # with-list and first datablock: not offered by this meter
            return SetResponseNormal(DataAccessResult.OTHER_REASON, iip).encode()
        if block.block_number != self._block + 1:
            self._set_target = None
            return SetResponseLastDatablock(
                DataAccessResult.DATA_BLOCK_NUMBER_INVALID, block.block_number, iip
            ).encode()
        self._block = block.block_number
        self._raw += block.raw_data
        if not block.last_block:
            return SetResponseDatablock(block.block_number, iip).encode()
        target, self._set_target = self._set_target, None
        assert target is not None
        try:
            value = decode_data(bytes(self._raw))
        except DecodeError:
            result: DataAccessResult = DataAccessResult.TYPE_UNMATCHED
        else:
            result = self._set(target, value, allowed)
        return SetResponseLastDatablock(result, block.block_number, iip).encode()

    def action(self, request: ActionRequest, *, allowed: bool) -> bytes:
        iip = request.invoke_id_and_priority
        if isinstance(request, ActionRequestNormal):
            return self._act(request.descriptor, request.parameters, allowed, iip)
        if isinstance(request, ActionRequestWithFirstPblock):
            self._action_target, self._raw, self._block = request.descriptor, bytearray(), 0
            block = request.pblock
        elif isinstance(request, ActionRequestWithPblock) and self._action_target is not None:
            block = request.pblock
        else:
            return ActionResponseNormal(ActionResult.OTHER_REASON, None, iip).encode()
        if block.block_number != self._block + 1:
            self._action_target = None
            return ActionResponseNormal(ActionResult.DATA_BLOCK_UNAVAILABLE, None, iip).encode()
        self._block = block.block_number
        self._raw += block.raw_data
        if not block.last_block:
            return ActionResponseNextPblock(block.block_number, iip).encode()
        target, self._action_target = self._action_target, None
        assert target is not None
        try:
            parameters = decode_data(bytes(self._raw))
        except DecodeError:
            return ActionResponseNormal(ActionResult.TYPE_UNMATCHED, None, iip).encode()
        return self._act(target, parameters, allowed, iip)

    def _set(self, d: AttributeDescriptor, value: Data, allowed: bool) -> DataAccessResult:
        if not allowed:
            return DataAccessResult.READ_WRITE_DENIED
        return self.meter.set(d.class_id, d.instance, d.attribute, value)

    def _act(self, d: MethodDescriptor, parameters: Data | None, allowed: bool, iip: int) -> bytes:
        if not allowed:
            return ActionResponseNormal(ActionResult.READ_WRITE_DENIED, None, iip).encode()
        result, returned = self.meter.action(d.class_id, d.instance, d.method, parameters)
        return ActionResponseNormal(result, returned, iip).encode()
