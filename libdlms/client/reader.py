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
from ..cosem.interface_classes import (
    ASSOCIATION_LN,
    InterfaceClass,
    ObjectListElement,
    parse_object_list,
    parse_scaler_unit,
    scaler_unit_attribute,
)
from ..cosem.units import ScalerUnit
from ..errors import DecodeError
from .client import DlmsClient

# Values shown as numbers: the numeric types, and enums (status codes) as their number.
_NUMERIC = NUMERIC_TYPES | {DataType.ENUM}


@dataclass(frozen=True, slots=True)
class ObjectReading:
    ref: AttributeDescriptor
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
            "obis": self.ref.instance.dotted,
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


async def read_object_list(client: DlmsClient) -> list[ObjectListElement]:
    """The objects the association may see: the object list of the current Association LN
    (0-0:40.0.0.255, attribute 2)."""
    descriptor = AttributeDescriptor(InterfaceClass.ASSOCIATION_LN, ASSOCIATION_LN, 2)
    return parse_object_list(await client.get(descriptor))


class MeterReader:
    """Reads objects over a client session, caching scaler_units across sessions."""

    def __init__(self) -> None:
        self.scaler_units: dict[AttributeDescriptor, ScalerUnit] = {}
        self.list_cap: int | None = None  # learnt from the meter, kept across sessions

    async def read(
        self, client: DlmsClient, refs: Sequence[AttributeDescriptor]
    ) -> list[ObjectReading]:
        scaler_attributes = {
            ref: attribute
            for ref in refs
            if ref not in self.scaler_units
            and (attribute := scaler_unit_attribute(ref.class_id, ref.attribute)) is not None
        }
        missing = list(scaler_attributes)
        descriptors = [
            AttributeDescriptor(ref.class_id, ref.instance, attribute)
            for ref, attribute in scaler_attributes.items()
        ] + list(refs)
        if client.list_cap is None:
            client.list_cap = self.list_cap
        try:
            results = await client.get_many(descriptors)
        finally:
            self.list_cap = client.list_cap
        scaler_errors: dict[AttributeDescriptor, str] = {}
        for ref, result in zip(missing, results[: len(missing)], strict=True):
            try:
                self.scaler_units[ref] = _scaler_unit(result)
            except DecodeError as err:
                # Never publish an unscaled register value: 1 kWh would read as 1000.
                scaler_errors[ref] = f"scaler_unit unreadable ({err})"
        readings = []
        for ref, result in zip(refs, results[len(missing) :], strict=True):
            if ref in scaler_errors and isinstance(result, Data):
                readings.append(ObjectReading(ref, None, None, error=scaler_errors[ref]))
            elif isinstance(result, Data):
                readings.append(ObjectReading(ref, result, self.scaler_units.get(ref)))
            else:
                error = data_access_result_name(result)
                readings.append(ObjectReading(ref, None, None, error=error))
        return readings


def _scaler_unit(result: Data | DataAccessResult | int) -> ScalerUnit:
    if not isinstance(result, Data):
        raise DecodeError(data_access_result_name(result))
    return parse_scaler_unit(result)
