"""Any plain APDU, ACSE or xDLMS, decoded by its tag (``decode_apdu``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, TypeAlias

from ...errors import DecodeError
from ..acse import Aare, Aarq, ReleaseRequest, ReleaseResponse
from .action import ActionRequest, ActionResponse, decode_action_request, decode_action_response
from .gbt import GeneralBlockTransfer
from .get import GetRequest, GetResponse, decode_get_request, decode_get_response
from .initiate import InitiateRequest, InitiateResponse
from .notification import DataNotification, EventNotificationRequest
from .service_errors import ConfirmedServiceError, ExceptionResponse
from .set import SetRequest, SetResponse, decode_set_request, decode_set_response
from .tags import (
    AARE_TAG,
    AARQ_TAG,
    ACTION_REQUEST_TAG,
    ACTION_RESPONSE_TAG,
    APDU_TAG_NAMES,
    CONFIRMED_SERVICE_ERROR_TAG,
    DATA_NOTIFICATION_TAG,
    EVENT_NOTIFICATION_REQUEST_TAG,
    EXCEPTION_RESPONSE_TAG,
    GENERAL_BLOCK_TRANSFER_TAG,
    GET_REQUEST_TAG,
    GET_RESPONSE_TAG,
    INITIATE_REQUEST_TAG,
    INITIATE_RESPONSE_TAG,
    PROTECTED_TAGS,
    RLRE_TAG,
    RLRQ_TAG,
    SET_REQUEST_TAG,
    SET_RESPONSE_TAG,
)

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
    AARQ_TAG: Aarq.decode,
    AARE_TAG: Aare.decode,
    RLRQ_TAG: ReleaseRequest.decode,
    RLRE_TAG: ReleaseResponse.decode,
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

DECODABLE_TAGS: Final = frozenset(_DECODERS)
"""The tags ``decode_apdu`` decodes; the others it can only name (``APDU_TAG_NAMES``)."""


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
