"""The client side of an application association (IEC 62056-5-3), sans-IO.

It builds the AARQ, judges the AARE, runs GET requests (normal, with-list and the
block transfer that follows either) and the release. APDUs in, events and APDUs out;
the link underneath and the clock are the caller's business.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum, auto

from ..codecs.acse import (
    Aare,
    Aarq,
    AcseServiceUserDiagnostic,
    ApplicationContext,
    AssociationResult,
    Mechanism,
    ReleaseRequest,
    ReleaseResponse,
)
from ..codecs.axdr import decode_data
from ..codecs.xdlms import (
    CLIENT_CONFORMANCE,
    CONFIRMED_SERVICE_ERROR_TAG,
    DEFAULT_INVOKE_ID_AND_PRIORITY,
    EXCEPTION_RESPONSE_TAG,
    GET_RESPONSE_TAG,
    INITIATE_RESPONSE_TAG,
    AttributeDescriptor,
    ConfirmedServiceError,
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
    InitiateRequest,
    InitiateResponse,
    data_access_result_name,
    decode_get_data_results,
    decode_get_response,
)
from ..errors import (
    AssociationRejected,
    AuthenticationFailed,
    DataAccessError,
    DecodeError,
    LocalProtocolError,
    ProtocolError,
    ServiceError,
)

AARE_TAG = 0x61
RLRE_TAG = 0x63


class AssociationState(Enum):
    IDLE = auto()
    AWAITING_AARE = auto()
    ASSOCIATED = auto()
    AWAITING_GET_RESPONSE = auto()
    AWAITING_RLRE = auto()
    RELEASED = auto()


@dataclass(frozen=True, slots=True)
class AssociationSettings:
    mechanism: Mechanism = Mechanism.NONE
    password: bytes | None = None
    client_max_receive_pdu_size: int = 0xFFFF
    conformance: Conformance = CLIENT_CONFORMANCE

    def __post_init__(self) -> None:
        if self.mechanism not in (Mechanism.NONE, Mechanism.LOW):
            raise LocalProtocolError(
                f"authentication mechanism {self.mechanism.name} is not supported yet"
            )
        if self.mechanism is Mechanism.LOW and not self.password:
            raise LocalProtocolError("low level security needs a password")

    def __repr__(self) -> str:  # never show the password
        return f"AssociationSettings(mechanism={self.mechanism.name})"


@dataclass(frozen=True, slots=True)
class Associated:
    initiate_response: InitiateResponse


@dataclass(frozen=True, slots=True)
class GetCompleted:
    """One result per requested attribute, in request order."""

    results: tuple[GetDataResult, ...]


@dataclass(frozen=True, slots=True)
class Released:
    pass


type AssociationEvent = Associated | GetCompleted | Released


class Association:
    def __init__(self, settings: AssociationSettings | None = None) -> None:
        self.settings = settings or AssociationSettings()
        self.state = AssociationState.IDLE
        self.initiate_response: InitiateResponse | None = None
        self._invoke_id_and_priority = DEFAULT_INVOKE_ID_AND_PRIORITY
        self._request_count = 0
        self._next_apdu: bytes | None = None
        self._blocks = bytearray()
        self._next_block = 1

    # ------------------------------------------------------------------ requests

    def associate(self) -> bytes:
        self._expect(AssociationState.IDLE, "associate")
        initiate = InitiateRequest(
            conformance=self.settings.conformance,
            client_max_receive_pdu_size=self.settings.client_max_receive_pdu_size,
        )
        aarq = Aarq(
            application_context=ApplicationContext.LOGICAL_NAME,
            mechanism=self.settings.mechanism,
            calling_authentication_value=self.settings.password
            if self.settings.mechanism is Mechanism.LOW
            else None,
            user_information=initiate.encode(),
        )
        self.state = AssociationState.AWAITING_AARE
        return aarq.encode()

    def get(self, descriptors: Sequence[AttributeDescriptor]) -> bytes:
        """A GET for one attribute (normal) or several (with-list)."""
        self._expect(AssociationState.ASSOCIATED, "get")
        if not descriptors:
            raise LocalProtocolError("nothing to get")
        self._request_count = len(descriptors)
        self._blocks.clear()
        self._next_block = 1
        self.state = AssociationState.AWAITING_GET_RESPONSE
        if len(descriptors) == 1:
            return GetRequestNormal(descriptors[0], self._invoke_id_and_priority).encode()
        if not self.supports(Conformance.MULTIPLE_REFERENCES):
            raise LocalProtocolError("the meter does not support GET with-list")
        return GetRequestWithList(tuple(descriptors), self._invoke_id_and_priority).encode()

    def release(self) -> bytes:
        self._expect(AssociationState.ASSOCIATED, "release")
        self.state = AssociationState.AWAITING_RLRE
        return ReleaseRequest().encode()

    def abort(self) -> None:
        """Forget the association (link lost, or the meter went away)."""
        self.state = AssociationState.RELEASED

    def next_apdu(self) -> bytes | None:
        """An APDU the association needs sent to go on (the next GET block request)."""
        apdu, self._next_apdu = self._next_apdu, None
        return apdu

    def supports(self, feature: Conformance) -> bool:
        response = self.initiate_response
        return response is not None and bool(response.conformance & feature)

    @property
    def server_max_receive_pdu_size(self) -> int:
        response = self.initiate_response
        return response.server_max_receive_pdu_size if response else 0

    # ------------------------------------------------------------------ responses

    def receive_apdu(self, apdu: bytes) -> AssociationEvent | None:
        """Handle one APDU from the meter. None means: send ``next_apdu()`` and wait."""
        if not apdu:
            raise DecodeError("empty APDU")
        tag = apdu[0]
        if tag == EXCEPTION_RESPONSE_TAG:
            self._back_to_associated()
            raise ServiceError(str(ExceptionResponse.decode(apdu)))
        if tag == CONFIRMED_SERVICE_ERROR_TAG:
            self._back_to_associated()
            raise ServiceError(str(ConfirmedServiceError.decode(apdu)))
        if self.state is AssociationState.AWAITING_AARE and tag == AARE_TAG:
            return self._receive_aare(Aare.decode(apdu))
        if self.state is AssociationState.AWAITING_GET_RESPONSE and tag == GET_RESPONSE_TAG:
            return self._receive_get_response(apdu)
        if self.state is AssociationState.AWAITING_RLRE and tag == RLRE_TAG:
            ReleaseResponse.decode(apdu)
            self.state = AssociationState.RELEASED
            return Released()
        raise ProtocolError(f"unexpected APDU 0x{tag:02X} in state {self.state.name}")

    def _receive_aare(self, aare: Aare) -> Associated:
        if aare.result is not AssociationResult.ACCEPTED:
            self.state = AssociationState.IDLE
            reason = _rejection_reason(aare)
            if aare.diagnostic_source == 1 and aare.diagnostic in (
                AcseServiceUserDiagnostic.AUTHENTICATION_FAILURE,
                AcseServiceUserDiagnostic.AUTHENTICATION_REQUIRED,
                AcseServiceUserDiagnostic.AUTHENTICATION_MECHANISM_NAME_REQUIRED,
                AcseServiceUserDiagnostic.AUTHENTICATION_MECHANISM_NAME_NOT_RECOGNISED,
            ):
                raise AuthenticationFailed(reason, result=aare.result, diagnostic=aare.diagnostic)
            raise AssociationRejected(reason, result=aare.result, diagnostic=aare.diagnostic)
        info = aare.user_information
        if not info or info[0] != INITIATE_RESPONSE_TAG:
            self.state = AssociationState.IDLE
            raise ProtocolError("accepted AARE without an InitiateResponse")
        self.initiate_response = InitiateResponse.decode(info)
        self.state = AssociationState.ASSOCIATED
        return Associated(self.initiate_response)

    def _receive_get_response(self, apdu: bytes) -> GetCompleted | None:
        response = decode_get_response(apdu)
        if response.invoke_id_and_priority & 0x0F != self._invoke_id_and_priority & 0x0F:
            raise ProtocolError("GET.response for another invoke-id")
        if isinstance(response, GetResponseNormal):
            return self._complete((response.result,))
        if isinstance(response, GetResponseWithList):
            if len(response.results) != self._request_count:
                self._back_to_associated()
                raise ProtocolError(
                    f"asked for {self._request_count} attributes, got {len(response.results)}"
                )
            return self._complete(response.results)
        assert isinstance(response, GetResponseWithDatablock)
        return self._receive_block(response)

    def _receive_block(self, block: GetResponseWithDatablock) -> GetCompleted | None:
        if block.block_number != self._next_block:
            self._back_to_associated()
            raise ProtocolError(f"expected data block {self._next_block}, got {block.block_number}")
        if not isinstance(block.raw_data, bytes):
            # The transfer ended with an error instead of data.
            if self._request_count == 1:
                return self._complete((block.raw_data,))
            self._back_to_associated()
            raise DataAccessError(
                f"block transfer failed: {data_access_result_name(block.raw_data)}",
                result=int(block.raw_data),
            )
        self._blocks += block.raw_data
        if not block.last_block:
            self._next_apdu = GetRequestNext(
                block.block_number, self._invoke_id_and_priority
            ).encode()
            self._next_block += 1
            return None
        raw = bytes(self._blocks)
        self._blocks.clear()
        if self._request_count == 1:
            return self._complete((decode_data(raw),))
        results = decode_get_data_results(raw)
        if len(results) != self._request_count:
            self._back_to_associated()
            raise ProtocolError(f"asked for {self._request_count} attributes, got {len(results)}")
        return self._complete(results)

    def _complete(self, results: tuple[GetDataResult, ...]) -> GetCompleted:
        self.state = AssociationState.ASSOCIATED
        return GetCompleted(results)

    def _back_to_associated(self) -> None:
        if self.state is AssociationState.AWAITING_GET_RESPONSE:
            self.state = AssociationState.ASSOCIATED
            self._blocks.clear()

    def _expect(self, state: AssociationState, action: str) -> None:
        if self.state is not state:
            raise LocalProtocolError(f"cannot {action} in state {self.state.name}")


def _rejection_reason(aare: Aare) -> str:
    reason = f"association {aare.result.kebab}"
    if aare.diagnostic_source == 1:
        try:
            name = AcseServiceUserDiagnostic(aare.diagnostic).name.lower().replace("_", "-")
        except ValueError:
            name = str(aare.diagnostic)
        reason += f" ({name})"
    if aare.user_information and aare.user_information[0] == CONFIRMED_SERVICE_ERROR_TAG:
        with contextlib.suppress(DecodeError):
            reason += f": {ConfirmedServiceError.decode(aare.user_information)}"
    return reason


__all__ = [
    "Associated",
    "Association",
    "AssociationSettings",
    "AssociationState",
    "DataAccessResult",
    "GetCompleted",
    "Released",
]
