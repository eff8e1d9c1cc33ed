"""SET and ACTION exchanges, sans-IO: the requests one SET or ACTION takes, and what the
meter's responses mean. The association owns them (state, ciphering, invoke-ids); these
classes only cut and join.

A value or parameter that would not fit the meter's largest APDU goes in blocks (SET
with-first-datablock and with-datablock; ACTION with-first-pblock and with-pblock), each
acknowledged by the meter before the next. Long return parameters of an ACTION come back
in parameter blocks too; they are asked for one by one (next-pblock) and joined.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..codecs.axdr import Data, Reader, encode_data, encode_length
from ..codecs.xdlms import (
    ActionRequestNextPblock,
    ActionRequestNormal,
    ActionRequestWithFirstPblock,
    ActionRequestWithPblock,
    ActionResponse,
    ActionResponseNextPblock,
    ActionResponseNormal,
    ActionResponseWithList,
    ActionResponseWithOptionalData,
    ActionResponseWithPblock,
    ActionResult,
    AttributeDescriptor,
    GetDataResult,
    MethodDescriptor,
    SetRequestNormal,
    SetRequestWithDatablock,
    SetRequestWithFirstDatablock,
    SetRequestWithList,
    SetRequestWithListAndFirstDatablock,
    SetResponse,
    SetResponseDatablock,
    SetResponseLastDatablock,
    SetResponseLastDatablockWithList,
    SetResponseNormal,
    SetResponseWithList,
)
from ..codecs.xdlms._fields import DataBlockSA
from ..codecs.xdlms.results import AccessResult
from ..errors import DecodeError, LocalProtocolError, RemoteProtocolError

# What a request adds around a block: tag, choice, invoke-id, descriptor(s), the block's
# header (last flag, number, length); generous, so that a block always fits.
BLOCK_OVERHEAD = 64
MIN_BLOCK = 16


@dataclass(frozen=True, slots=True)
class SetCompleted:
    """One data-access-result per attribute set, in request order."""

    results: tuple[AccessResult, ...]


@dataclass(frozen=True, slots=True)
class ActionCompleted:
    """The action-result and the method's return parameters (None when it returns none)."""

    result: ActionResult | int
    return_parameters: GetDataResult | None


def _slices(raw: bytes, size: int) -> list[bytes]:
    size = max(MIN_BLOCK, size)
    return [raw[i : i + size] for i in range(0, len(raw), size)] or [b""]


class SetExchange:
    """One SET of one attribute (normal) or several (with-list), in blocks when the
    request would exceed ``max_apdu`` bytes."""

    def __init__(
        self,
        descriptors: Sequence[AttributeDescriptor],
        values: Sequence[Data],
        invoke_id_and_priority: int,
        max_apdu: int,
    ) -> None:
        if not descriptors or len(descriptors) != len(values):
            raise LocalProtocolError("one value per attribute to set")
        self.descriptors = tuple(descriptors)
        self.values = tuple(values)
        self.iip = invoke_id_and_priority
        self.count = len(descriptors)
        single = self.count == 1
        whole = (
            SetRequestNormal(self.descriptors[0], self.values[0], self.iip)
            if single
            else SetRequestWithList(self.descriptors, self.values, self.iip)
        ).encode()
        if len(whole) <= max_apdu:
            self._blocks: list[bytes] = []
            self.first = whole
            return
        if single:
            raw = encode_data(self.values[0])
        else:  # SEQUENCE OF Data: the count, then each value
            raw = encode_length(self.count) + b"".join(encode_data(v) for v in self.values)
        self._blocks = _slices(raw, max_apdu - BLOCK_OVERHEAD - 9 * self.count)
        block = DataBlockSA(len(self._blocks) == 1, 1, self._blocks[0])
        self.first = (
            SetRequestWithFirstDatablock(self.descriptors[0], block, self.iip)
            if single
            else SetRequestWithListAndFirstDatablock(self.descriptors, block, self.iip)
        ).encode()
        self._sent = 1

    @property
    def blocks(self) -> int:
        return len(self._blocks)

    def receive(self, response: SetResponse) -> bytes | SetCompleted:
        """The next request to send, or the results."""
        if isinstance(response, SetResponseNormal):
            return self._done((response.result,))
        if isinstance(response, SetResponseWithList):
            return self._done(response.results)
        if isinstance(response, SetResponseLastDatablock):
            return self._done((response.result,))
        if isinstance(response, SetResponseLastDatablockWithList):
            return self._done(response.results)
        assert isinstance(response, SetResponseDatablock)
        if not self._blocks or response.block_number != self._sent:
            raise RemoteProtocolError(
                f"the meter took SET block {response.block_number}, we sent {self._sent}"
            )
        if self._sent >= len(self._blocks):
            raise RemoteProtocolError("the meter asks for a SET block after the last one")
        self._sent += 1
        block = DataBlockSA(
            self._sent == len(self._blocks), self._sent, self._blocks[self._sent - 1]
        )
        return SetRequestWithDatablock(block, self.iip).encode()

    def _done(self, results: tuple[AccessResult, ...]) -> SetCompleted:
        if len(results) != self.count:
            raise RemoteProtocolError(f"set {self.count} attributes, got {len(results)} results")
        return SetCompleted(results)


class ActionExchange:
    """One ACTION of one method, its parameter in blocks when the request would exceed
    ``max_apdu`` bytes, its return parameters joined from blocks when the meter sends
    them so."""

    def __init__(
        self,
        method: MethodDescriptor,
        parameters: Data | None,
        invoke_id_and_priority: int,
        max_apdu: int,
    ) -> None:
        self.method = method
        self.iip = invoke_id_and_priority
        whole = ActionRequestNormal(method, parameters, self.iip).encode()
        self._returned = bytearray()
        self._next_return_block = 1
        if parameters is None or len(whole) <= max_apdu:
            self._blocks: list[bytes] = []
            self.first = whole
            return
        self._blocks = _slices(encode_data(parameters), max_apdu - BLOCK_OVERHEAD)
        block = DataBlockSA(len(self._blocks) == 1, 1, self._blocks[0])
        self.first = ActionRequestWithFirstPblock(method, block, self.iip).encode()
        self._sent = 1

    @property
    def blocks(self) -> int:
        return len(self._blocks)

    def receive(self, response: ActionResponse) -> bytes | ActionCompleted:
        """The next request to send, or the outcome."""
        if isinstance(response, ActionResponseNormal):
            return ActionCompleted(response.result, response.return_parameters)
        if isinstance(response, ActionResponseWithList):
            if len(response.responses) != 1:
                raise RemoteProtocolError("one method called, several results")
            single = response.responses[0]
            return ActionCompleted(single.result, single.return_parameters)
        if isinstance(response, ActionResponseNextPblock):
            if not self._blocks or response.block_number != self._sent:
                raise RemoteProtocolError(
                    f"the meter took parameter block {response.block_number}, "
                    f"we sent {getattr(self, '_sent', 0)}"
                )
            if self._sent >= len(self._blocks):
                raise RemoteProtocolError("the meter asks for a block after the last one")
            self._sent += 1
            block = DataBlockSA(
                self._sent == len(self._blocks), self._sent, self._blocks[self._sent - 1]
            )
            return ActionRequestWithPblock(block, self.iip).encode()
        assert isinstance(response, ActionResponseWithPblock)
        block = response.pblock
        if block.block_number != self._next_return_block:
            raise RemoteProtocolError(
                f"expected return block {self._next_return_block}, got {block.block_number}"
            )
        self._returned += block.raw_data
        if not block.last_block:
            self._next_return_block += 1
            return ActionRequestNextPblock(block.block_number, self.iip).encode()
        try:
            reader = Reader(bytes(self._returned))
            single = ActionResponseWithOptionalData.read(reader)
            reader.expect_end()
        except DecodeError as err:
            raise RemoteProtocolError(f"the joined return blocks do not decode: {err}") from None
        return ActionCompleted(single.result, single.return_parameters)
