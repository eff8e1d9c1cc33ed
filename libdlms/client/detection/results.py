"""What detection found: a pushing meter, a polled meter, or nothing (with what was tried).

Each result carries ``tried`` (every attempt, in order) and ``elapsed`` (seconds), says
itself in one sentence (``summary``) and as the ``detect`` command's JSON (``to_json``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...cosem.interface_classes import ObjectListElement
from ...session.push.events import Framing, Notification, StreamKind
from ..identity import MeterIdentity
from .plan import AddressCandidate, Attempt, SerialLine

FRAMING_NAMES = {
    Framing.HDLC: "HDLC frames",
    Framing.MBUS: "M-Bus frames",
    Framing.WRAPPER: "wrapper (IEC 62056-47) frames",
    Framing.RAW: "bare APDUs",
}


@dataclass(frozen=True, slots=True)
class PushDetected:
    """A meter that sends by itself. ``notification``: the first one that decoded (None
    when it is encrypted: no key is ever guessed)."""

    line: SerialLine | None
    framing: Framing
    encrypted: bool
    system_title: bytes | None
    profile: str | None
    values: int
    notification: Notification | None
    tried: tuple[Attempt, ...]
    elapsed: float

    mode = "push"

    def to_json(self) -> dict[str, Any]:
        return {
            "mode": "push",
            "baudrate": self.line.baudrate if self.line else None,
            "parity": self.line.parity_name if self.line else None,
            "framing": str(self.framing),
            "encrypted": self.encrypted,
            "system_title": self.system_title.hex().upper() if self.system_title else None,
            "profile": self.profile,
            "values": self.values,
        }

    @property
    def framing_name(self) -> str:
        """ "HDLC frames", "M-Bus frames", "wrapper (IEC 62056-47) frames", "bare APDUs"."""
        return FRAMING_NAMES[self.framing]

    @property
    def summary(self) -> str:
        where = f" at {self.line.label}" if self.line else ""
        text = f"a meter pushing {self.framing_name}{where}"
        text += ", encrypted" if self.encrypted else ", not encrypted"
        if self.system_title:
            text += f", system title {self.system_title.hex().upper()}"
        return text


@dataclass(frozen=True, slots=True)
class PollDetected:
    """A meter that answered the public client. ``association_error``: the link came up
    but the association did not (the meter refuses the public client, or holds another
    link); ``objects`` is then None."""

    line: SerialLine | None
    mode_e: bool
    client_address: int
    server_logical: int
    candidate: AddressCandidate | None
    """The HDLC server address that answered; None over the wrapper (tcp://, udp://),
    where the logical device's wPort is the address."""
    identity: MeterIdentity | None
    identification: str | None
    """The IEC 62056-21 identification after the mode E sign-on (``/ISK5\\2MT382…``)."""
    manufacturer: str | None
    objects: tuple[ObjectListElement, ...] | None
    association_error: str | None
    tried: tuple[Attempt, ...]
    elapsed: float

    mode = "poll"

    @property
    def server_physical(self) -> int | None:
        return self.candidate.physical if self.candidate else None

    def to_json(self) -> dict[str, Any]:
        identity = self.identity
        out: dict[str, Any] = {
            "mode": "poll",
            "baudrate": self.line.baudrate if self.line else None,
            "mode_e": self.mode_e,
            "client_address": self.client_address,
            "server_logical": self.server_logical,
            "server_physical": self.candidate.physical if self.candidate else None,
            "address_size": self.candidate.size if self.candidate else None,
            "logical_device_name": identity.logical_device_name if identity else None,
            "serial_number": identity.serial_number if identity else None,
            "manufacturer": self.manufacturer,
            "objects": len(self.objects) if self.objects is not None else None,
        }
        if self.identification is not None:
            out["identification"] = self.identification
        if self.association_error is not None:
            out["association_error"] = self.association_error
        return out

    @property
    def meter_name(self) -> str:
        """The manufacturer (or its FLAG id) and, after a mode E sign-on, the model the
        identification gives: "Iskraemeco MT382-1000"."""
        name = self.manufacturer or "a meter"
        if self.identification:
            name += f" {self.identification}"
        return name

    @property
    def summary(self) -> str:
        identity = self.identity
        text = self.meter_name
        if identity is not None and identity.serial_number:
            text += f", serial {identity.serial_number}"
        where = (
            self.candidate.label
            if self.candidate
            else f"wPort {self.server_logical} over the DLMS wrapper"
        )
        if self.association_error is None:
            text += f", answers the public client at {where}"
        else:
            text += f", answers at {where} but refused the public client"
        if self.line is not None:
            text += f", {self.line.baudrate} Bd"
        if self.mode_e:
            text += " after the mode E sign-on"
        return text


@dataclass(frozen=True, slots=True)
class NothingDetected:
    """Nothing answered and nothing decodable arrived. ``stream``: a protocol that is not
    DLMS was recognised (plain DSMR on a P1 port, SML)."""

    error: str
    tried: tuple[Attempt, ...]
    elapsed: float
    stream: StreamKind | None = None
    bytes_received: int = 0

    mode = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"error": self.error, "tried": [a.to_json() for a in self.tried]}
        if self.stream is not None:
            out["stream"] = str(self.stream)
        return out

    @property
    def summary(self) -> str:
        return self.error


Detection = PushDetected | PollDetected | NothingDetected
