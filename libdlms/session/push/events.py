"""What the push receiver hands out: one event per thing that happened in the stream.

Like the link and association machines, the receiver never raises for what the meter (or
the line) sent: a notification that cannot be deciphered, a frame that fails its check, or
a stream of another protocol each become an event, so a listener reports it and goes on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ...codecs.axdr import Data
from ...cosem.clock import CosemDateTime
from ...cosem.push.values import PushValue
from ...errors import DlmsError


class Framing(StrEnum):
    """How notifications travel on the line (the contract's ``framing`` values)."""

    HDLC = "hdlc"
    """HDLC frames type 3 (``7E A…``), LLC ``E6 E7 00``, possibly segmented."""
    MBUS = "mbus"
    """M-Bus long frames ``68 L L 68 … 16`` (one APDU split over one or more frames)."""
    WRAPPER = "wrapper"
    """The IEC 62056-47 wrapper header (``00 01`` …), as meters pushing over TCP send it."""
    RAW = "raw"
    """A bare APDU (``0F``, ``DB``, …), or the LLC and an APDU, without any link layer."""


class StreamKind(StrEnum):
    """What a stream that carries no DLMS is, so a user can be told what to change."""

    DSMR = "dsmr"
    """Plain DSMR / P1 text telegrams (``/XXX5…`` ``1-0:1.8.1(…)`` ``!CRC``)."""
    SML = "sml"
    """Smart Message Language (German meters): ``1B 1B 1B 1B 01 01 01 01``."""
    IEC62056_21 = "iec62056-21"
    """IEC 62056-21 data readout text (``/ident`` then ``STX`` data lines)."""
    NOISE = "noise"
    """Bytes that fit no protocol: usually a wrong baud rate or parity."""


@dataclass(frozen=True, slots=True)
class Notification:
    """One pushed notification, deciphered and decoded.

    ``invoke_id`` is the 24-bit invoke id of the Long-Invoke-Id-And-Priority field
    (``long_invoke_id`` the whole field); both are None for a DSMR text telegram. ``time``
    is the header date-time (None when absent). ``system_title``, ``frame_counter`` and
    ``security_control`` describe the ciphering (None when the notification came plain).
    ``profile`` names the format profile that gave the values their OBIS codes, scalers or
    units (None when the payload carried them itself). ``apdu`` is the plain APDU (or the
    telegram's text as bytes), ``raw`` the bytes as framed on the line.
    """

    framing: Framing
    values: tuple[PushValue, ...]
    time: CosemDateTime | None = None
    invoke_id: int | None = None
    long_invoke_id: int | None = None
    system_title: bytes | None = None
    frame_counter: int | None = None
    security_control: int | None = None
    profile: str | None = None
    body: Data | None = None
    """The payload as decoded (None for a DSMR telegram)."""
    apdu: bytes = b""
    raw: bytes = b""

    @property
    def tree(self) -> Any:
        """The payload as the translator's JSON tree: what a user shares for an unknown
        shape. Made when asked for, not for every notification."""
        return None if self.body is None else self.body.to_json()

    @property
    def encrypted(self) -> bool:
        return self.security_control is not None

    @property
    def timestamp(self) -> dt.datetime | None:
        """The header date-time as a datetime (aware when the meter gives its deviation),
        None when absent or not a complete date."""
        if self.time is None:
            return None
        try:
            return self.time.to_datetime()
        except DlmsError:
            return None

    def to_json(self) -> dict[str, Any]:
        """The contract's notification line (``docs/design.md``, ``listen``)."""
        timestamp = self.timestamp
        line: dict[str, Any] = {
            "time": None if timestamp is None else timestamp.isoformat(),
            "invoke_id": self.invoke_id,
            "framing": str(self.framing),
            "system_title": None if self.system_title is None else self.system_title.hex().upper(),
            "frame_counter": self.frame_counter,
            "profile": self.profile,
            "values": [value.to_json() for value in self.values],
        }
        if self.long_invoke_id is not None:
            line["long_invoke_id"] = self.long_invoke_id
        if self.security_control is not None:
            line["security_control"] = f"0x{self.security_control:02X}"
        return line


@dataclass(frozen=True, slots=True)
class NotificationReceived:
    notification: Notification


@dataclass(frozen=True, slots=True)
class NotificationFailed:
    """A notification arrived but could not be used: not decipherable (no key, wrong key,
    tag check failed), a frame counter that went back, a payload that does not decode.
    The security header is kept, so a user still sees which meter sent it."""

    error: DlmsError
    framing: Framing | None
    raw: bytes
    system_title: bytes | None = None
    frame_counter: int | None = None
    security_control: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "error": str(self.error),
            "framing": None if self.framing is None else str(self.framing),
            "system_title": None if self.system_title is None else self.system_title.hex().upper(),
            "frame_counter": self.frame_counter,
            "hex": self.raw.hex().upper(),
        }


@dataclass(frozen=True, slots=True)
class BytesSkipped:
    """Bytes dropped while looking for a frame (garbage, a frame that failed its check, the
    tail of a frame whose start was missed). ``reason`` says which."""

    count: int
    reason: str
    raw: bytes = field(default=b"", repr=False)
    """At most the first 256 of the dropped bytes, for diagnostics."""


@dataclass(frozen=True, slots=True)
class StreamNotDlms:
    """The stream is recognisably something else; reported once per recognition, after
    which the receiver keeps looking (a meter may be switched, a bridge re-plugged)."""

    kind: StreamKind
    sample: bytes = field(default=b"", repr=False)


PushEvent = NotificationReceived | NotificationFailed | BytesSkipped | StreamNotDlms
