"""Reading COSEM objects as values a person (or Home Assistant) can use.

A reading is the object's value attribute with its ScalerUnit applied exactly. The
scaler_unit of each object is read once and then reused for the life of the
``MeterReader`` (it is static configuration of the meter); values are fetched with as
few GET round trips as the meter allows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..codecs.axdr import NUMERIC_TYPES, Data, DataType
from ..codecs.xdlms import AttributeDescriptor, DataAccessResult, data_access_result_name
from ..cosem.clock import CosemDateTime
from ..cosem.obis import Obis
from ..cosem.objects import VALUE_ATTRIBUTES, InterfaceClass
from ..cosem.units import ScalerUnit
from ..errors import DecodeError
from .client import DlmsClient

# Values shown as numbers: the numeric types, and enums (status codes) as their number.
_NUMERIC = NUMERIC_TYPES | {DataType.ENUM}


@dataclass(frozen=True, slots=True, order=True)
class ObjectRef:
    """Which attribute of which object: ``CLASS/OBIS/ATTRIBUTE``."""

    class_id: int
    obis: Obis
    attribute: int = 2

    @classmethod
    def parse(cls, text: str) -> ObjectRef:
        """``3/1.0.1.8.0.255/2`` or ``3/1-0:1.8.0*255`` (attribute defaults to 2)."""
        parts = text.strip().split("/")
        if len(parts) not in (2, 3):
            raise DecodeError(f"not CLASS/OBIS/ATTRIBUTE: {text!r}")
        try:
            class_id = int(parts[0])
            attribute = int(parts[2]) if len(parts) == 3 else 2
        except ValueError:
            raise DecodeError(f"not CLASS/OBIS/ATTRIBUTE: {text!r}") from None
        return cls(class_id, Obis.parse(parts[1]), attribute)

    @property
    def descriptor(self) -> AttributeDescriptor:
        return AttributeDescriptor(self.class_id, self.obis, self.attribute)

    @property
    def scaler_unit_attribute(self) -> int | None:
        value_attribute, scaler_attribute = VALUE_ATTRIBUTES.get(self.class_id, (None, None))
        return scaler_attribute if self.attribute == value_attribute else None

    def __str__(self) -> str:
        return f"{self.class_id}/{self.obis.dotted}/{self.attribute}"


@dataclass(frozen=True, slots=True)
class ObjectReading:
    ref: ObjectRef
    value: Data | None
    scaler_unit: ScalerUnit | None = None
    error: str | None = None

    @property
    def scaled_value(self) -> Decimal | None:
        """The value with its scaler applied, for numeric values with a scaler_unit; the
        plain number for numeric values without one."""
        if self.value is None or self.value.type not in _NUMERIC:
            return None
        raw = self.value.value
        if isinstance(raw, float) and math.isnan(raw):  # no reading
            return None
        if self.scaler_unit is None:
            return Decimal(repr(raw)) if isinstance(raw, float) else Decimal(raw)
        return self.scaler_unit.apply(raw)

    @property
    def unit(self) -> str | None:
        return self.scaler_unit.symbol if self.scaler_unit else None

    def display_value(self) -> Any:
        """Text for octet-strings that are text (serial numbers), date-time for clocks."""
        value = self.value
        if value is None:
            return None
        if value.type is DataType.OCTET_STRING:
            raw: bytes = value.value
            if self.ref.class_id == InterfaceClass.CLOCK and len(raw) == 12:
                return CosemDateTime.from_bytes(raw)
            if raw and all(0x20 <= b < 0x7F for b in raw):
                return raw.decode("ascii")
            return raw.hex()
        return value.to_python()

    def to_json(self) -> dict[str, Any]:
        base: dict[str, Any] = {
            "object": str(self.ref),
            "obis": self.ref.obis.dotted,
            "class_id": self.ref.class_id,
            "attribute": self.ref.attribute,
        }
        if self.error is not None:
            return {**base, "error": self.error}
        scaled = self.scaled_value
        return {
            **base,
            "value": self.value.to_json() if self.value else None,
            "scaler": self.scaler_unit.scaler if self.scaler_unit else None,
            "unit": self.unit,
            "scaled_value": _json_number(scaled) if scaled is not None else None,
        }


def _json_number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


class MeterReader:
    """Reads objects over a client session, caching scaler_units across sessions."""

    def __init__(self) -> None:
        self.scaler_units: dict[ObjectRef, ScalerUnit] = {}
        self.list_cap: int | None = None  # learnt from the meter, kept across sessions

    async def read(self, client: DlmsClient, refs: Sequence[ObjectRef]) -> list[ObjectReading]:
        missing = [
            ref
            for ref in refs
            if ref.scaler_unit_attribute is not None and ref not in self.scaler_units
        ]
        descriptors = [
            AttributeDescriptor(ref.class_id, ref.obis, ref.scaler_unit_attribute or 0)
            for ref in missing
        ] + [ref.descriptor for ref in refs]
        if client.list_cap is None:
            client.list_cap = self.list_cap
        try:
            results = await client.get_many(descriptors)
        finally:
            self.list_cap = client.list_cap
        scaler_errors: dict[ObjectRef, str] = {}
        for ref, result in zip(missing, results[: len(missing)], strict=True):
            scaler_unit = _scaler_unit(result)
            if scaler_unit is None:
                # Never publish an unscaled register value: 1 kWh would read as 1000.
                scaler_errors[ref] = f"scaler_unit unreadable ({_describe(result)})"
            else:
                self.scaler_units[ref] = scaler_unit
        readings = []
        for ref, result in zip(refs, results[len(missing) :], strict=True):
            if ref in scaler_errors and isinstance(result, Data):
                readings.append(ObjectReading(ref, None, None, error=scaler_errors[ref]))
            elif isinstance(result, Data):
                readings.append(ObjectReading(ref, result, self.scaler_units.get(ref)))
            else:
                readings.append(ObjectReading(ref, None, None, error=_describe(result)))
        return readings


def _describe(result: Data | DataAccessResult | int) -> str:
    if isinstance(result, Data):
        return f"unexpected {result.type.kebab}"
    return data_access_result_name(result)


def _scaler_unit(result: Data | DataAccessResult | int) -> ScalerUnit | None:
    if not isinstance(result, Data) or result.type is not DataType.STRUCTURE:
        return None
    fields = result.value
    if len(fields) != 2:
        return None
    scaler, unit = fields[0].value, fields[1].value
    if not isinstance(scaler, int) or not isinstance(unit, int):
        return None
    return ScalerUnit.from_codes(scaler, unit)
