"""One value of a pushed payload, as the ``listen`` and ``decode`` contract prints it.

A push payload is flattened to its leaves; each leaf keeps its ``position`` (its index among
the payload's values), so a value the meter sends without an OBIS code can still be named,
and a format profile can give it one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ...obis import Obis

PlainValue = int | float | Decimal | str | bool | dt.datetime | None
"""What a value is once rendered: a number, text (visible strings, printable octet
strings), an aware or naive date-time (octet strings that are a valid COSEM date-time),
hex text for other octet strings, a boolean, or None (null-data)."""


@dataclass(frozen=True, slots=True)
class PushValue:
    """One value of a notification.

    ``value`` is the raw (unscaled) value; ``scaler`` and ``unit`` come from the payload's
    own scaler_unit or from the format profile; ``scaled_value`` is ``value * 10**scaler``
    for numbers with a scaler, the number itself for numbers without one, None otherwise.
    ``unit`` is the unit's symbol (``"Wh"``), ``unit_code`` the DLMS unit enumeration.
    ``name`` is a label a format profile may give a position (``"list_version"``).
    """

    position: int
    obis: Obis | None
    value: PlainValue
    scaler: int | None = None
    unit: str | None = None
    unit_code: int | None = None
    scaled_value: int | float | Decimal | None = None
    name: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The contract's VALUE object (``docs/design.md``, ``listen``)."""
        return {
            "obis": None if self.obis is None else self.obis.dotted,
            "position": self.position,
            "value": _json(self.value),
            "scaler": self.scaler,
            "unit": self.unit,
            "scaled_value": _json(self.scaled_value),
        }


def _json(value: PlainValue) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value
