"""The values the coordinator publishes, and the guard that keeps energy counting up.

Home Assistant's long-term statistics take a drop of a ``total_increasing`` sensor as a meter
reset and count the whole register again from there: one bad read of an energy register (a
0 from a meter that just rebooted, a value from another register) doubles the year's energy
in the Energy dashboard. ``MonotonicFilter`` never publishes a lower reading of a cumulative
register unless it repeats (a real reset, published a few polls late).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .const import LOGGER, RESET_CONFIRMATIONS
from .libdlms import DataType, Obis, ObjectReading

# Units of energy registers that only ever count up (within one billing cycle at most).
CUMULATIVE_UNITS = frozenset({"Wh", "varh", "VAh"})


@dataclass(frozen=True, slots=True)
class ObisValue:
    """One object's published value: a number with its scaler applied exactly, or text."""

    value: Decimal | str | None
    unit: str | None
    scaler: int | None


# Published values by dotted OBIS code. An object whose read failed is absent.
type MeterData = dict[str, ObisValue]


def is_cumulative(obis: Obis, unit: str | None) -> bool:
    """Energy registers that never go backwards: time integral 1 (D=8, since the start of
    measurement) and time integral 2 (D=9, since the start of the billing period, which only
    resets). The net register (C=16, import minus export) can go down."""
    return unit in CUMULATIVE_UNITS and obis.d in (8, 9) and obis.c != 16


def obis_value(reading: ObjectReading) -> ObisValue:
    """A successful reading as published: the scaled number, else the value as text."""
    scaler_unit = reading.scaler_unit
    scaled = reading.scaled_value
    value: Decimal | str | None = scaled
    raw = reading.value
    if scaled is None and raw is not None and raw.type is not DataType.NULL_DATA:
        display = reading.display_value()
        value = None if display is None else str(display)[:255]
    return ObisValue(
        value=value,
        unit=reading.unit,
        scaler=scaler_unit.scaler if scaler_unit is not None else None,
    )


class MonotonicFilter:
    """Holds back lower readings of cumulative registers.

    A lower reading is not published (the last value stays) until ``confirmations`` reads in
    a row agree on a value that low, counting on from there: then it is a reset, published.
    Other objects pass unchanged. ``name`` prefixes the warnings (the meter's entry)."""

    def __init__(self, name: str, confirmations: int = RESET_CONFIRMATIONS) -> None:
        self.name = name
        self.confirmations = confirmations
        # The last published value of each cumulative register, kept through failed reads.
        self._published: dict[str, ObisValue] = {}
        # Lower readings not published yet: the last one and how many reads in a row gave a
        # value that low.
        self._lower: dict[str, tuple[Decimal, int]] = {}

    def filter(self, obis: Obis, value: ObisValue) -> ObisValue:
        """What to publish for this reading of ``obis``."""
        if not is_cumulative(obis, value.unit):
            return value
        key = obis.dotted
        old = self._published.get(key)
        if (
            old is not None
            and isinstance(value.value, Decimal)
            and isinstance(old.value, Decimal)
            and old.unit == value.unit
            and value.value < old.value
            and not self._confirmed_reset(key, old, value)
        ):
            return old
        self._lower.pop(key, None)
        if isinstance(value.value, Decimal):
            self._published[key] = value
        return value

    def restore(
        self, key: str, value: Decimal, unit: str | None, current: ObisValue | None
    ) -> ObisValue | None:
        """The value a cumulative register's sensor showed before Home Assistant restarted
        (its restored state), against ``current``, the first reading since: a lower first
        reading is held back like any other lower reading, so the sensor never steps back
        across a restart either. Returns what to show instead of ``current``, or None to
        keep it."""
        if (
            current is None
            or current.unit != unit
            or not isinstance(current.value, Decimal)
            or current.value >= value
        ):
            return None
        if current.scaler is not None:  # the meter's resolution (the state is a float)
            value = value.quantize(Decimal(10) ** current.scaler)
        restored = ObisValue(value, unit, current.scaler)
        self._published[key] = restored
        if self._confirmed_reset(key, restored, current):
            return None
        return restored

    def _confirmed_reset(self, key: str, old: ObisValue, value: ObisValue) -> bool:
        """Whether a cumulative register that reads lower than published has done so for
        ``confirmations`` reads in a row, counting on from there (a real reset); logs the
        first lower read of a run once and the accepted reset."""
        assert isinstance(value.value, Decimal)
        previous = self._lower.get(key)
        if previous is None or value.value < previous[0]:
            if previous is None:
                LOGGER.warning(
                    "%s: %s went backwards from %s to %s %s; keeping the last value",
                    self.name,
                    key,
                    old.value,
                    value.value,
                    value.unit,
                )
            count = 1
        else:
            count = previous[1] + 1
        if count < self.confirmations:
            self._lower[key] = (value.value, count)
            return False
        LOGGER.warning(
            "%s: %s reads %s %s for %d reads in a row, below %s: taken as a reset",
            self.name,
            key,
            value.value,
            value.unit,
            count,
            old.value,
        )
        return True
