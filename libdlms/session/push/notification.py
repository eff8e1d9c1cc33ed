"""From a plain APDU (or a deciphered DSMR telegram) to a ``Notification``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Final

from ...codecs.dsmr import DsmrTelegram, parse_telegram
from ...codecs.xdlms import read_notification_header
from ...cosem.clock import CosemDateTime
from ...cosem.push.payload import decode_payload, read_push_body
from ...cosem.push.values import PushValue
from ...errors import DlmsError
from ...obis import Obis
from .events import Framing, Notification


@dataclass(frozen=True, slots=True)
class SecurityHeader:
    """The ciphering a notification came in (all None when it came plain)."""

    system_title: bytes | None = None
    frame_counter: int | None = None
    security_control: int | None = None


PLAIN: Final = SecurityHeader()
_DATE_TIME_LENGTH: Final = 12
_DSMR_TIME: Final = re.compile(r"^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})([WS]?)$")
_DSMR_CLOCK: Final = (0, 0, 1, 0, 0)
# DSMR marks winter and summer time; every country sending it (NL, BE, LU, AT) is on CET.
_DSMR_DEVIATION: Final = {"W": -60, "S": -120}


def data_notification(
    apdu: bytes,
    framing: Framing,
    *,
    profile: str | None = None,
    security: SecurityHeader = PLAIN,
) -> Notification:
    """The Notification of a plain Data-Notification APDU. Raises ``DecodeError`` for bytes
    that are not one; ``ConfigurationError`` for an unknown forced profile."""
    long_invoke_id, date_time, body = read_notification_header(apdu)
    decoded = decode_payload(read_push_body(body), profile=profile)
    time = None
    if date_time is not None and len(date_time) == _DATE_TIME_LENGTH:
        try:
            time = CosemDateTime.from_bytes(date_time)
        except DlmsError:
            time = None
    return Notification(
        framing=framing,
        values=decoded.values,
        time=time,
        invoke_id=long_invoke_id & 0xFFFFFF,
        long_invoke_id=long_invoke_id,
        profile=decoded.profile,
        body=decoded.body,
        apdu=apdu,
        system_title=security.system_title,
        frame_counter=security.frame_counter,
        security_control=security.security_control,
    )


def dsmr_notification(
    plaintext: bytes, framing: Framing, *, security: SecurityHeader = PLAIN
) -> Notification:
    """The Notification of a DSMR telegram (deciphered from general-glo ciphering): one value
    per OBIS line, as written, and the time from its 0-0:1.0.0 line."""
    telegram = parse_telegram(plaintext)
    return Notification(
        framing=framing,
        values=tuple(_dsmr_values(telegram)),
        time=_dsmr_time(telegram),
        apdu=plaintext,
        system_title=security.system_title,
        frame_counter=security.frame_counter,
        security_control=security.security_control,
    )


def _dsmr_values(telegram: DsmrTelegram) -> list[PushValue]:
    values = []
    for position, line in enumerate(telegram.lines):
        number: int | Decimal | None
        try:
            parsed = Decimal(line.value)
            number = int(parsed) if "." not in line.value else parsed
        except InvalidOperation:
            number = None
        values.append(
            PushValue(
                position=position,
                obis=Obis(*line.obis, 255),
                value=line.value if number is None else number,
                unit=line.unit,
                scaled_value=number,
            )
        )
    return values


def _dsmr_time(telegram: DsmrTelegram) -> CosemDateTime | None:
    for line in telegram.lines:
        if line.obis != _DSMR_CLOCK:
            continue
        match = _DSMR_TIME.match(line.value)
        if match is None:
            return None
        year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
        return CosemDateTime(
            2000 + year,
            month,
            day,
            None,
            hour,
            minute,
            second,
            None,
            _DSMR_DEVIATION.get(match[7]),
            None,
        )
    return None
