"""APDU tags: the xDLMS-APDU and ACSE-APDU CHOICE of the Green Book (DLMS UA 1000-2,
IEC 62056-5-3 clause 8), each with the standard's name in kebab case.

Every plain xDLMS service with a service-specific ciphered form has two more tags, its
``glo-`` and ``ded-`` forms (``SERVICE_SPECIFIC_CIPHERING``); their names are the plain
name with that prefix. The other APDUs (data-notification, exception-response, GBT, ...)
travel ciphered in general-glo- or general-ded-ciphering.
"""

from __future__ import annotations

from typing import Final

from ..acse import AARE_TAG, AARQ_TAG, RLRE_TAG, RLRQ_TAG

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
GENERAL_GLO_CIPHERING_TAG: Final = 0xDB
GENERAL_DED_CIPHERING_TAG: Final = 0xDC
GENERAL_CIPHERING_TAG: Final = 0xDD
GENERAL_SIGNING_TAG: Final = 0xDF
GENERAL_BLOCK_TRANSFER_TAG: Final = 0xE0

# The plain APDUs (xDLMS and ACSE), the short-name services included.
_PLAIN_NAMES: Final[dict[int, str]] = {
    INITIATE_REQUEST_TAG: "initiate-request",
    0x05: "read-request",
    0x06: "write-request",
    INITIATE_RESPONSE_TAG: "initiate-response",
    0x0C: "read-response",
    0x0D: "write-response",
    CONFIRMED_SERVICE_ERROR_TAG: "confirmed-service-error",
    DATA_NOTIFICATION_TAG: "data-notification",
    0x16: "unconfirmed-write-request",
    0x18: "information-report-request",
    AARQ_TAG: "aarq",
    AARE_TAG: "aare",
    RLRQ_TAG: "rlrq",
    RLRE_TAG: "rlre",
    GET_REQUEST_TAG: "get-request",
    SET_REQUEST_TAG: "set-request",
    EVENT_NOTIFICATION_REQUEST_TAG: "event-notification-request",
    ACTION_REQUEST_TAG: "action-request",
    GET_RESPONSE_TAG: "get-response",
    SET_RESPONSE_TAG: "set-response",
    ACTION_RESPONSE_TAG: "action-response",
    EXCEPTION_RESPONSE_TAG: "exception-response",
    0xD9: "access-request",
    0xDA: "access-response",
    GENERAL_BLOCK_TRANSFER_TAG: "general-block-transfer",
}

# Plain tag: (glo- tag, ded- tag), the service-specific ciphering of the services that have it.
SERVICE_SPECIFIC_CIPHERING: Final[dict[int, tuple[int, int]]] = {
    INITIATE_REQUEST_TAG: (0x21, 0x41),
    0x05: (0x25, 0x45),
    0x06: (0x26, 0x46),
    INITIATE_RESPONSE_TAG: (0x28, 0x48),
    0x0C: (0x2C, 0x4C),
    0x0D: (0x2D, 0x4D),
    CONFIRMED_SERVICE_ERROR_TAG: (0x2E, 0x4E),
    0x16: (0x36, 0x56),
    0x18: (0x38, 0x58),
    GET_REQUEST_TAG: (0xC8, 0xD0),
    SET_REQUEST_TAG: (0xC9, 0xD1),
    EVENT_NOTIFICATION_REQUEST_TAG: (0xCA, 0xD2),
    ACTION_REQUEST_TAG: (0xCB, 0xD3),
    GET_RESPONSE_TAG: (0xCC, 0xD4),
    SET_RESPONSE_TAG: (0xCD, 0xD5),
    ACTION_RESPONSE_TAG: (0xCF, 0xD7),
}

_GENERAL_NAMES: Final[dict[int, str]] = {
    GENERAL_GLO_CIPHERING_TAG: "general-glo-ciphering",
    GENERAL_DED_CIPHERING_TAG: "general-ded-ciphering",
    GENERAL_CIPHERING_TAG: "general-ciphering",
    GENERAL_SIGNING_TAG: "general-signing",
}

# Every tag we can name: the plain APDUs, their glo-/ded- forms, the general protections.
APDU_TAG_NAMES: Final[dict[int, str]] = dict(
    sorted(
        {
            **_PLAIN_NAMES,
            **{
                glo: f"glo-{_PLAIN_NAMES[plain]}"
                for plain, (glo, _) in SERVICE_SPECIFIC_CIPHERING.items()
            },
            **{
                ded: f"ded-{_PLAIN_NAMES[plain]}"
                for plain, (_, ded) in SERVICE_SPECIFIC_CIPHERING.items()
            },
            **_GENERAL_NAMES,
        }.items()
    )
)

# Tags whose content is protected (service-specific glo-/ded- ciphering, the general
# ciphering and signing APDUs): they decode only after the security layer has removed it.
PROTECTED_TAGS: Final = frozenset(
    {tag for pair in SERVICE_SPECIFIC_CIPHERING.values() for tag in pair} | set(_GENERAL_NAMES)
)

__all__ = [
    "AARE_TAG",
    "AARQ_TAG",
    "ACTION_REQUEST_TAG",
    "ACTION_RESPONSE_TAG",
    "APDU_TAG_NAMES",
    "CONFIRMED_SERVICE_ERROR_TAG",
    "DATA_NOTIFICATION_TAG",
    "EVENT_NOTIFICATION_REQUEST_TAG",
    "EXCEPTION_RESPONSE_TAG",
    "GENERAL_BLOCK_TRANSFER_TAG",
    "GENERAL_CIPHERING_TAG",
    "GENERAL_DED_CIPHERING_TAG",
    "GENERAL_GLO_CIPHERING_TAG",
    "GENERAL_SIGNING_TAG",
    "GET_REQUEST_TAG",
    "GET_RESPONSE_TAG",
    "INITIATE_REQUEST_TAG",
    "INITIATE_RESPONSE_TAG",
    "PROTECTED_TAGS",
    "RLRE_TAG",
    "RLRQ_TAG",
    "SERVICE_SPECIFIC_CIPHERING",
    "SET_REQUEST_TAG",
    "SET_RESPONSE_TAG",
]
