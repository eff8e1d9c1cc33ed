"""DSMR / P1 text telegrams (NEN-EN-IEC 62056-21 based "P1 companion standard").

A telegram is ``/XXX5ident`` CR LF, an empty line, one line per value
(``1-0:1.8.1(001234.567*kWh)``, ``0-0:1.0.0(260312152430W)``), and ``!`` with a CRC16
(polynomial 0xA001, over everything from ``/`` to ``!``). Luxembourg's Smarty and the Graz
T210-D send such a telegram inside general-glo ciphering; elsewhere plain DSMR text on a port
we listen to is a sign that the meter does not speak DLMS at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from ..errors import DecodeError

_LINE: Final = re.compile(r"^(\d+)-(\d+):(\d+)\.(\d+)\.(\d+)((?:\([^()]*\))+)\s*$")
_GROUP: Final = re.compile(r"\(([^()]*)\)")
_CRC_POLY: Final = 0xA001


def crc16(data: bytes) -> int:
    """CRC16/ARC as DSMR uses it (reflected 0x8005, initial 0)."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ _CRC_POLY if crc & 1 else crc >> 1
    return crc


@dataclass(frozen=True, slots=True)
class DsmrLine:
    """One OBIS line: the code's five groups (F is 255) and the parenthesised groups as
    written; ``value`` and ``unit`` are the last group split at ``*``."""

    obis: tuple[int, int, int, int, int]
    groups: tuple[str, ...]

    @property
    def value(self) -> str:
        return self.groups[-1].split("*", 1)[0]

    @property
    def unit(self) -> str | None:
        parts = self.groups[-1].split("*", 1)
        return parts[1] if len(parts) == 2 and parts[1] else None


@dataclass(frozen=True, slots=True)
class DsmrTelegram:
    identification: str
    lines: tuple[DsmrLine, ...]
    crc_ok: bool | None
    """None when the telegram carries no CRC (DSMR 2/3)."""


def looks_like_telegram(data: bytes) -> bool:
    """Whether ``data`` starts like a DSMR telegram: ``/``, three letters, a digit."""
    return len(data) >= 5 and data[:1] == b"/" and data[1:4].isalpha() and data[4:5].isdigit()


def parse_telegram(data: bytes) -> DsmrTelegram:
    """Parse one telegram; ``DecodeError`` for text that is not one."""
    if not looks_like_telegram(data):
        raise DecodeError("not a DSMR telegram (no /XXX5 identification line)")
    text = data.decode("ascii", errors="replace")
    end = text.find("!")
    crc_ok: bool | None = None
    if end >= 0:
        given = text[end + 1 : end + 5]
        if re.fullmatch(r"[0-9A-Fa-f]{4}", given):
            crc_ok = crc16(data[: end + 1]) == int(given, 16)
        body = text[:end]
    else:
        body = text
    first, _, rest = body.partition("\n")
    lines: list[DsmrLine] = []
    for raw_line in rest.splitlines():
        match = _LINE.match(raw_line.strip())
        if match is None:
            continue
        obis = (
            int(match[1]) & 0xFF,
            int(match[2]) & 0xFF,
            int(match[3]) & 0xFF,
            int(match[4]) & 0xFF,
            int(match[5]) & 0xFF,
        )
        lines.append(DsmrLine(obis, tuple(_GROUP.findall(match[6]))))
    if not lines:
        raise DecodeError("DSMR telegram without any OBIS line")
    return DsmrTelegram(first.strip()[1:], tuple(lines), crc_ok)
