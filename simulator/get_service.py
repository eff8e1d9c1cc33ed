"""The GET service, the meter's side: GET normal (with selective access) and with-list,
and block transfer when the answer does not fit the PDU size: the encoded data cut at
arbitrary boundaries, one block per GET-next, as the standard allows."""

from __future__ import annotations

from enum import Enum, auto
from typing import TYPE_CHECKING

from libdlms.codecs.axdr import encode_data
from libdlms.codecs.xdlms import (
    AccessSelection,
    AttributeDescriptor,
    Conformance,
    DataAccessResult,
    ExceptionResponse,
    GetDataResult,
    GetRequestNext,
    GetRequestNormal,
    GetRequestWithList,
    GetResponseNormal,
    GetResponseWithDatablock,
    GetResponseWithList,
    ServiceErrorChoice,
    StateError,
    encode_get_data_results,
)
from libdlms.errors import DecodeError

from .meter import SimulatedMeter

if TYPE_CHECKING:
    from .session import ServerSettings

# What a block's GET-Response-With-Datablock adds around its raw data, generously: the
# headers, and with ciphering also the security header and the authentication tag.
BLOCK_OVERHEAD = 16
CIPHERED_BLOCK_OVERHEAD = 48


class GetState(Enum):
    IDLE = auto()
    BLOCK_TRANSFER = auto()  # a long answer goes out block by block, one per GET-next


class GetService:
    def __init__(self, meter: SimulatedMeter, settings: ServerSettings) -> None:
        self.meter = meter
        self.settings = settings
        self.state = GetState.IDLE
        self._blocks: list[bytes] = []
        self._invoke = 0  # the invoke-id-and-priority of the request being answered in blocks

    def get(
        self, request: GetRequestNormal | GetRequestWithList, *, pdu_limit: int, ciphered: bool
    ) -> bytes:
        """The answer to a GET normal or with-list: whole if it fits ``pdu_limit``,
        else its first block."""
        invoke = request.invoke_id_and_priority
        results: tuple[GetDataResult, ...]
        if isinstance(request, GetRequestNormal):
            result = self._read(request.descriptor, request.access_selection)
            whole = GetResponseNormal(result, invoke).encode()
            raw = encode_data(result) if not isinstance(result, DataAccessResult | int) else b""
        else:
            cap = self.settings.with_list_cap
            if cap is not None and len(request.descriptors) > cap:
                return ExceptionResponse(
                    StateError.SERVICE_UNKNOWN, ServiceErrorChoice.OTHER_REASON
                ).encode()
            selections = request.access_selections or (None,) * len(request.descriptors)
            results = tuple(
                self._read(d, s) for d, s in zip(request.descriptors, selections, strict=True)
            )
            whole = GetResponseWithList(results, invoke).encode()
            raw = encode_get_data_results(results)
        if len(whole) <= pdu_limit:
            return whole
        size = pdu_limit - (CIPHERED_BLOCK_OVERHEAD if ciphered else BLOCK_OVERHEAD)
        self._blocks = [raw[i : i + size] for i in range(0, len(raw), size)]
        self._invoke = invoke
        self.state = GetState.BLOCK_TRANSFER
        return self._block(1)

    def next_block(self, request: GetRequestNext, invoke: int) -> bytes:
        """The block after the one the client acknowledges."""
        number = request.block_number + 1
        if self.state is GetState.IDLE or number > len(self._blocks):
            return GetResponseWithDatablock(
                True, number, DataAccessResult.NO_LONG_GET_IN_PROGRESS, invoke
            ).encode()
        return self._block(number)

    def _read(self, d: AttributeDescriptor, access_selection: bytes | None) -> GetDataResult:
        """One attribute, with selective access (selector 1 by range, 2 by entry) when
        the request carries it."""
        selection = None
        if access_selection is not None:
            if not self.settings.conformance & Conformance.SELECTIVE_ACCESS:
                return DataAccessResult.OTHER_REASON  # not granted: not understood either
            try:
                selection = AccessSelection.decode(access_selection)
            except DecodeError:
                return DataAccessResult.TYPE_UNMATCHED
        return self.meter.get(d.class_id, d.instance, d.attribute, selection)

    def _block(self, number: int) -> bytes:
        last = number == len(self._blocks)
        response = GetResponseWithDatablock(last, number, self._blocks[number - 1], self._invoke)
        if last:
            self._blocks = []
            self.state = GetState.IDLE
        return response.encode()
