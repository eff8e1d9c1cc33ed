"""The unit enumeration of IEC 62056-6-2 (Blue Book 12.2, table "Enumerated values for
physical units") and the Register's ``scaler_unit`` attribute.

The scaler is a signed power of ten, applied exactly: a reading of 123456 Wh with scaler
-1 is ``Decimal("12345.6")``, never ``12345.599999``. Floats would make a cumulative
energy register wobble in its last digit, which Home Assistant's statistics read as a
tiny negative step.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from ..errors import DecodeError


@dataclass(frozen=True, slots=True)
class Unit:
    """One row of the unit table: its code, the symbol and the quantity it measures."""

    code: int
    symbol: str
    quantity: str


_UNITS: Final[tuple[Unit, ...]] = (
    Unit(1, "a", "time (year)"),
    Unit(2, "mo", "time (month)"),
    Unit(3, "wk", "time (week)"),
    Unit(4, "d", "time (day)"),
    Unit(5, "h", "time (hour)"),
    Unit(6, "min", "time (minute)"),
    Unit(7, "s", "time (second)"),
    Unit(8, "°", "phase angle"),
    Unit(9, "°C", "temperature"),
    Unit(10, "currency", "local currency"),
    Unit(11, "m", "length"),
    Unit(12, "m/s", "speed"),
    Unit(13, "m³", "volume"),
    Unit(14, "m³", "corrected volume"),
    Unit(15, "m³/h", "volume flux"),
    Unit(16, "m³/h", "corrected volume flux"),
    Unit(17, "m³/d", "volume flux"),
    Unit(18, "m³/d", "corrected volume flux"),
    Unit(19, "l", "volume"),
    Unit(20, "kg", "mass"),
    Unit(21, "N", "force"),
    Unit(22, "Nm", "energy"),
    Unit(23, "Pa", "pressure"),
    Unit(24, "bar", "pressure"),
    Unit(25, "J", "energy"),
    Unit(26, "J/h", "thermal power"),
    Unit(27, "W", "active power"),
    Unit(28, "VA", "apparent power"),
    Unit(29, "var", "reactive power"),
    Unit(30, "Wh", "active energy"),
    Unit(31, "VAh", "apparent energy"),
    Unit(32, "varh", "reactive energy"),
    Unit(33, "A", "current"),
    Unit(34, "C", "electrical charge"),
    Unit(35, "V", "voltage"),
    Unit(36, "V/m", "electric field strength"),
    Unit(37, "F", "capacitance"),
    Unit(38, "Ω", "resistance"),
    Unit(39, "Ωm²/m", "resistivity"),
    Unit(40, "Wb", "magnetic flux"),
    Unit(41, "T", "magnetic flux density"),
    Unit(42, "A/m", "magnetic field strength"),
    Unit(43, "H", "inductance"),
    Unit(44, "Hz", "frequency"),
    Unit(45, "1/(Wh)", "active energy meter constant"),
    Unit(46, "1/(varh)", "reactive energy meter constant"),
    Unit(47, "1/(VAh)", "apparent energy meter constant"),
    Unit(48, "V²h", "volt-squared hour"),
    Unit(49, "A²h", "ampere-squared hour"),
    Unit(50, "kg/s", "mass flux"),
    Unit(51, "S", "conductance"),
    Unit(52, "K", "temperature"),
    Unit(53, "1/(V²h)", "volt-squared hour meter constant"),
    Unit(54, "1/(A²h)", "ampere-squared hour meter constant"),
    Unit(55, "1/m³", "volume meter constant"),
    Unit(56, "%", "percentage"),
    Unit(57, "Ah", "ampere-hour"),
    Unit(60, "Wh/m³", "energy per volume"),
    Unit(61, "J/m³", "calorific value"),
    Unit(62, "Mol %", "molar fraction"),
    Unit(63, "g/m³", "mass density"),
    Unit(64, "Pa s", "dynamic viscosity"),
    Unit(65, "J/kg", "specific energy"),
    Unit(66, "g/cm²", "pressure"),
    Unit(67, "atm", "pressure"),
    Unit(70, "dBm", "signal strength"),
    Unit(71, "dBμV", "signal strength"),
    Unit(72, "dB", "logarithmic unit"),
    Unit(253, "", "reserved"),
    Unit(254, "", "other unit"),
    Unit(255, "", "count (no unit)"),
)

UNITS: Final[dict[int, Unit]] = {unit.code: unit for unit in _UNITS}


def unit_for_code(code: int) -> Unit:
    """The table row for ``code``; unknown codes are kept, not refused, as meters invent them."""
    return UNITS.get(code, Unit(code, "", "unknown"))


@dataclass(frozen=True, slots=True)
class ScalerUnit:
    """A Register's attribute 3: ``structure { scaler: integer, unit: enum }``."""

    scaler: int
    unit: Unit

    @classmethod
    def from_codes(cls, scaler: int, unit_code: int) -> ScalerUnit:
        if not -128 <= scaler <= 127:
            raise DecodeError(f"scaler out of range: {scaler}")
        return cls(scaler, unit_for_code(unit_code))

    @property
    def symbol(self) -> str | None:
        """The unit symbol, or None for count/other (no physical unit)."""
        return self.unit.symbol or None

    def apply(self, raw: int | float | Decimal) -> Decimal:
        """Scale a raw register value exactly: ``raw * 10**scaler`` as a Decimal."""
        value = Decimal(repr(raw)) if isinstance(raw, float) else Decimal(raw)
        return value.scaleb(self.scaler)
