"""What detection tries, in which order, and what it makes of what came back: no I/O.

The facts (``facts.json``) give the serial settings push meters use, most common first,
the longest a push meter stays quiet, and the addresses polled meters answer at. From them
come the listen settings and the HDLC address candidates; ``ListenWindow`` judges one
listen (one serial setting) from the push receiver's events, and every attempt ends as an
``Attempt`` line in the result's ``tried``, so that a user who gets nothing still sees
what was tried.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any

from ...codecs.hdlc import HdlcAddress
from ...errors import ConfigurationError, KeyRequired
from ...session.push.events import (
    Notification,
    NotificationFailed,
    NotificationReceived,
    PushEvent,
    StreamKind,
    StreamNotDlms,
)

PARITY_NAMES = {"N": "none", "E": "even", "O": "odd"}


@dataclass(frozen=True, slots=True)
class SerialLine:
    """A serial setting: 8 data bits, one stop bit, this speed and parity."""

    baudrate: int
    parity: str = "N"

    def __post_init__(self) -> None:
        if self.parity not in PARITY_NAMES or self.baudrate <= 0:
            raise ConfigurationError(f"impossible serial setting {self.baudrate} 8{self.parity}1")

    @property
    def label(self) -> str:
        return f"{self.baudrate} 8{self.parity}1"

    @property
    def parity_name(self) -> str:
        return PARITY_NAMES[self.parity]


@dataclass(frozen=True, slots=True)
class AddressCandidate:
    """A server address to try: ``physical`` None is the 1-byte form (logical only)."""

    physical: int | None
    size: int

    def server(self, logical: int) -> HdlcAddress:
        return HdlcAddress.server(logical, self.physical, self.size)

    @property
    def label(self) -> str:
        if self.physical is None:
            return "1-byte address (no physical part)"
        return f"physical {self.physical}, {self.size}-byte address"


@dataclass(frozen=True, slots=True)
class DetectionFacts:
    listen: tuple[SerialLine, ...]
    push_interval: float
    client_address: int
    server_logical: int
    baudrate: int
    mode_e_max_baudrate: int
    physical_addresses: tuple[int, ...]
    answer_timeout: float
    budget: float


@cache
def load_detection_facts() -> DetectionFacts:
    """The packaged facts (file I/O on the first call: from an executor in an event loop)."""
    text = resources.files(__package__).joinpath("facts.json").read_text("utf-8")
    raw = json.loads(text)
    poll = raw["poll"]
    return DetectionFacts(
        listen=tuple(SerialLine(entry["baudrate"], entry["parity"]) for entry in raw["listen"]),
        push_interval=float(raw["push_interval"]),
        client_address=int(poll["client_address"]),
        server_logical=int(poll["server_logical"]),
        baudrate=int(poll["baudrate"]),
        mode_e_max_baudrate=int(poll["mode_e_max_baudrate"]),
        physical_addresses=tuple(int(p) for p in poll["physical_addresses"]),
        answer_timeout=float(poll["answer_timeout"]),
        budget=float(poll["budget"]),
    )


def address_sizes(physical: int | None) -> tuple[int, ...]:
    """Every server address size that can carry ``physical`` (None: the 1-byte form)."""
    if physical is None:
        return (1,)
    if not 0 <= physical <= 0x3FFF:
        raise ConfigurationError(f"physical address {physical} is out of range 0..16383")
    return (2, 4) if physical <= 0x7F else (4,)


def address_candidates(
    first: Iterable[int],
    usual: Iterable[int],
    presets: Iterable[tuple[int | None, int | None]] = (),
) -> tuple[AddressCandidate, ...]:
    """The candidates in order: ``first`` (the user's), ``usual``, then the presets'
    ``(physical, address size)`` pairs (size None: every size that can carry it), each
    physical address with every size that can carry it, none twice."""
    pairs: list[tuple[int | None, int | None]] = [(p, None) for p in (*first, *usual)]
    pairs.extend(presets)
    seen: set[AddressCandidate] = set()
    candidates = []
    for physical, size in pairs:
        sizes = address_sizes(physical) if size is None else (size,)
        if physical is None:
            sizes = (1,)
        for each in sizes:
            if physical is not None and each not in address_sizes(physical):
                continue
            candidate = AddressCandidate(physical, each)
            if candidate not in seen:
                seen.add(candidate)
                candidates.append(candidate)
    return tuple(candidates)


@dataclass(frozen=True, slots=True)
class Attempt:
    """One thing tried and how it went, for the log and the result's ``tried``."""

    step: str
    """``listen`` or ``poll``."""
    line: SerialLine | None
    """The serial setting; None where the speed is not ours to set (a TCP bridge)."""
    result: str
    mode_e: bool = False
    candidate: AddressCandidate | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "step": self.step,
            "baudrate": self.line.baudrate if self.line else None,
        }
        if self.step == "listen":
            out["parity"] = self.line.parity_name if self.line else None
        else:
            out["mode_e"] = self.mode_e
            if self.candidate is not None:
                out["server_physical"] = self.candidate.physical
                out["address_size"] = self.candidate.size
        out["result"] = self.result
        return out

    def __str__(self) -> str:
        where = self.line.label if self.line else "the bridge's speed"
        if self.step == "listen":
            return f"listened at {where}: {self.result}"
        how = "after the mode E sign-on" if self.mode_e else "direct HDLC"
        target = f", {self.candidate.label}" if self.candidate else ""
        return f"polled at {where} ({how}){target}: {self.result}"


class ListenOutcome(StrEnum):
    SILENT = "silent"
    NOISE = "noise"
    DLMS = "dlms"
    NOT_DLMS = "not-dlms"


class ListenWindow:
    """Judges one listen from the push receiver's events: it is over at the first frame
    the receiver recognises (a notification, or a ciphered one it has no key for), at a
    stream that is not DLMS, or after ``WHOLE_BURSTS`` bursts of bytes (a push, then
    quiet) without either: the first burst may have been joined halfway, a whole one
    that did not decode means this is not the line's setting."""

    WHOLE_BURSTS = 2

    def __init__(self) -> None:
        self.bytes_received = 0
        self.bursts = 0
        self.notification: Notification | None = None
        self.failure: NotificationFailed | None = None
        self.stream: StreamKind | None = None

    def data_received(self, count: int) -> None:
        self.bytes_received += count

    def burst_ended(self) -> bool:
        """The line went quiet after bytes; True when the listen is over."""
        self.bursts += 1
        return self.done

    def feed(self, events: Sequence[PushEvent]) -> bool:
        """The receiver's events; True when the listen is over."""
        for event in events:
            if isinstance(event, NotificationReceived) and self.notification is None:
                self.notification = event.notification
            elif isinstance(event, NotificationFailed) and event.framing is not None:
                self.failure = self.failure or event
            elif isinstance(event, StreamNotDlms) and event.kind is not StreamKind.NOISE:
                # Noise is what a wrong speed or parity gives: the next setting may be right.
                self.stream = self.stream or event.kind
        return self.done

    @property
    def done(self) -> bool:
        return self.outcome is not ListenOutcome.SILENT and (
            self.outcome is not ListenOutcome.NOISE or self.bursts >= self.WHOLE_BURSTS
        )

    @property
    def outcome(self) -> ListenOutcome:
        if self.notification is not None or self.failure is not None:
            return ListenOutcome.DLMS
        if self.stream is not None:
            return ListenOutcome.NOT_DLMS
        return ListenOutcome.NOISE if self.bytes_received else ListenOutcome.SILENT

    @property
    def summary(self) -> str:
        """The attempt's result, in words."""
        outcome = self.outcome
        if outcome is ListenOutcome.DLMS:
            if self.notification is not None:
                return f"DLMS notifications ({self.notification.framing} framing)"
            assert self.failure is not None
            if isinstance(self.failure.error, KeyRequired):
                return f"encrypted DLMS notifications ({self.failure.framing} framing)"
            return f"DLMS frames ({self.failure.framing} framing): {self.failure.error}"
        if outcome is ListenOutcome.NOT_DLMS:
            return f"not DLMS: {STREAM_NAMES.get(self.stream, self.stream)}"
        if outcome is ListenOutcome.NOISE:
            return f"noise ({self.bytes_received} bytes, nothing decodable)"
        return "nothing received"


STREAM_NAMES: dict[StreamKind | None, str] = {
    StreamKind.DSMR: "DSMR/P1 text telegrams",
    StreamKind.SML: "SML messages",
    StreamKind.IEC62056_21: "IEC 62056-21 readouts (text)",
}
