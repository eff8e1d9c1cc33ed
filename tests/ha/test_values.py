"""The energy guard on its own, without Home Assistant running: a cumulative register is
never published lower than before unless the lower value is confirmed as a reset."""

from __future__ import annotations

from decimal import Decimal

import pytest

from custom_components.dlms.libdlms import Obis
from custom_components.dlms.values import MonotonicFilter, ObisValue, is_cumulative

ENERGY = Obis.parse("1.0.1.8.0.255")
NET = Obis.parse("1.0.16.8.0.255")
POWER = Obis.parse("1.0.1.7.0.255")


def wh(value: str | int) -> ObisValue:
    return ObisValue(Decimal(value), "Wh", 0)


def published(guard: MonotonicFilter, obis: Obis, *readings: ObisValue) -> list[ObisValue]:
    return [guard.filter(obis, reading) for reading in readings]


@pytest.mark.parametrize(
    ("obis", "unit", "cumulative"),
    [
        ("1.0.1.8.0.255", "Wh", True),
        ("1.0.2.8.1.255", "Wh", True),
        ("1.0.3.8.0.255", "varh", True),
        ("1.0.1.9.0.255", "Wh", True),  # since the start of the billing period
        ("1.0.16.8.0.255", "Wh", False),  # net: import minus export
        ("1.0.1.8.0.255", "W", False),  # a wrongly typed unit is no energy
        ("1.0.1.7.0.255", "W", False),
        ("1.0.1.29.0.255", "Wh", False),  # a period's amount
    ],
)
def test_which_registers_are_cumulative(obis: str, unit: str, cumulative: bool) -> None:
    assert is_cumulative(Obis.parse(obis), unit) is cumulative


def test_a_lower_reading_is_held(caplog: pytest.LogCaptureFixture) -> None:
    guard = MonotonicFilter("Meter 1")
    assert published(guard, ENERGY, wh(1000), wh(900), wh(1100)) == [wh(1000), wh(1000), wh(1100)]
    assert caplog.text.count("Meter 1: 1.0.1.8.0.255 went backwards from 1000 to 900 Wh") == 1


def test_a_reset_is_published_after_three_reads_counting_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    guard = MonotonicFilter("Meter 1")
    assert published(guard, ENERGY, wh(5000), wh(10), wh(20), wh(30), wh(40)) == [
        wh(5000),
        wh(5000),
        wh(5000),
        wh(30),
        wh(40),
    ]
    assert caplog.text.count("went backwards") == 1
    assert "reads 30 Wh for 3 reads in a row, below 5000: taken as a reset" in caplog.text


def test_a_lower_read_below_the_run_starts_counting_again() -> None:
    """1000, then 100, 110 (two lower reads), then 5 (lower than the run): the count starts
    again, so 5, 6, 7 is the reset."""
    guard = MonotonicFilter("Meter 1")
    shown = published(guard, ENERGY, wh(1000), wh(100), wh(110), wh(5), wh(6), wh(7))
    assert shown == [wh(1000)] * 5 + [wh(7)]


def test_a_good_read_ends_the_run() -> None:
    """Two lower reads, then the register above the published value: a later lower read
    is the first of a new run, not the third."""
    guard = MonotonicFilter("Meter 1")
    shown = published(guard, ENERGY, wh(1000), wh(10), wh(20), wh(1001), wh(30), wh(40))
    assert shown == [wh(1000), wh(1000), wh(1000), wh(1001), wh(1001), wh(1001)]


def test_other_objects_and_other_units_pass() -> None:
    guard = MonotonicFilter("Meter 1")
    watts = [ObisValue(Decimal(500), "W", 0), ObisValue(Decimal(100), "W", 0)]
    assert published(guard, POWER, *watts) == watts
    assert published(guard, NET, wh(1000), wh(900)) == [wh(1000), wh(900)]
    # The meter changed its unit: no comparison across units.
    kwh = ObisValue(Decimal(1), "kWh", 0)
    assert published(guard, ENERGY, wh(1000), kwh) == [wh(1000), kwh]
    # Text where a number was expected is passed on (the sensor shows nothing for it).
    text = ObisValue("garbage", "Wh", None)
    assert guard.filter(ENERGY, text) == text


def test_the_confirmations_are_a_setting() -> None:
    guard = MonotonicFilter("Meter 1", confirmations=1)
    assert published(guard, ENERGY, wh(1000), wh(10)) == [wh(1000), wh(10)]


def test_restore_holds_a_lower_first_reading() -> None:
    """Before the restart the sensor showed 1234.6 kWh (a float: quantized to the meter's
    resolution); the first reading since is 1234567 Wh. The restored value is shown and
    stays until the lower value is confirmed."""
    guard = MonotonicFilter("Meter 1")
    first = ObisValue(Decimal(1234567), "Wh", 0)
    restored = guard.restore(ENERGY.dotted, Decimal("1234600.0000001"), "Wh", first)
    assert restored == ObisValue(Decimal(1234600), "Wh", 0)
    assert guard.filter(ENERGY, first) == restored
    assert guard.filter(ENERGY, wh(1234568)) == wh(1234568)  # third read in a row: a reset


def test_restore_leaves_a_higher_or_other_first_reading() -> None:
    guard = MonotonicFilter("Meter 1")
    assert guard.restore(ENERGY.dotted, Decimal(1000), "Wh", wh(1000)) is None
    assert guard.restore(ENERGY.dotted, Decimal(1000), "Wh", wh(2000)) is None
    assert guard.restore(ENERGY.dotted, Decimal(1000), "varh", wh(500)) is None
    assert guard.restore(ENERGY.dotted, Decimal(1000), "Wh", None) is None
    assert guard.restore(ENERGY.dotted, Decimal(1000), "Wh", ObisValue("x", "Wh", 0)) is None
    # Nothing was remembered: a lower reading now is no drop.
    assert guard.filter(ENERGY, wh(500)) == wh(500)


def test_restore_of_a_confirmed_reset() -> None:
    """With one confirmation a lower first reading is a reset at once: it stays shown."""
    guard = MonotonicFilter("Meter 1", confirmations=1)
    assert guard.restore(ENERGY.dotted, Decimal(1000), "Wh", wh(10)) is None
