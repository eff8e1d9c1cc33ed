"""MeterReader scales each register with the scaler_unit the meter gives, read once; a
scaler_unit that cannot be used is an error on that reading alone, never an unscaled value
and never a failed read of the other objects."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import pytest

from libdlms import AttributeDescriptor, Data, DataType, MeterReader, Obis
from libdlms.codecs.xdlms import DataAccessResult, GetDataResult

ENERGY = AttributeDescriptor(3, Obis(1, 0, 1, 8, 0, 255))
POWER = AttributeDescriptor(3, Obis(1, 0, 1, 7, 0, 255))
SERIAL = AttributeDescriptor(1, Obis(0, 0, 96, 1, 0, 255))


class FakeClient:
    """Answers GETs from a table, as a client with-list read would."""

    def __init__(self, answers: dict[AttributeDescriptor, GetDataResult]) -> None:
        self.answers = answers
        self.list_cap: int | None = None
        self.asked: list[AttributeDescriptor] = []

    async def get_many(self, descriptors: Sequence[AttributeDescriptor]) -> list[GetDataResult]:
        self.asked.extend(descriptors)
        return [self.answers[d] for d in descriptors]


def _scaler_unit(scaler: Data, unit: Data) -> Data:
    return Data(DataType.STRUCTURE, [scaler, unit])


def _answers(energy_scaler_unit: GetDataResult) -> dict[AttributeDescriptor, GetDataResult]:
    return {
        ENERGY: Data(DataType.DOUBLE_LONG_UNSIGNED, 1234),
        AttributeDescriptor(3, ENERGY.instance, 3): energy_scaler_unit,
        POWER: Data(DataType.DOUBLE_LONG_UNSIGNED, 500),
        AttributeDescriptor(3, POWER.instance, 3): _scaler_unit(
            Data(DataType.INTEGER, 0), Data(DataType.ENUM, 27)
        ),
        SERIAL: Data(DataType.OCTET_STRING, b"12345678"),
    }


async def test_values_are_scaled_and_scaler_units_read_once() -> None:
    client = FakeClient(_answers(_scaler_unit(Data(DataType.INTEGER, -2), Data(DataType.ENUM, 30))))
    reader = MeterReader()
    energy, power, serial = await reader.read(client, [ENERGY, POWER, SERIAL])  # type: ignore[arg-type]
    assert (energy.scaled_value, energy.unit) == (Decimal("12.34"), "Wh")
    assert (power.scaled_value, power.unit) == (Decimal(500), "W")
    assert serial.display_value() == "12345678"
    client.asked.clear()
    await reader.read(client, [ENERGY, POWER])  # type: ignore[arg-type]
    assert client.asked == [ENERGY, POWER]


@pytest.mark.parametrize(
    ("scaler_unit", "message"),
    [
        (DataAccessResult.OBJECT_UNDEFINED, "object-undefined"),
        (Data(DataType.NULL_DATA), "structure of 2"),
        (_scaler_unit(Data(DataType.LONG, 300), Data(DataType.ENUM, 30)), "scaler out of range"),
        (_scaler_unit(Data(DataType.FLOAT32, -1.0), Data(DataType.ENUM, 30)), "scaler must be"),
        (_scaler_unit(Data(DataType.INTEGER, -1), Data(DataType.LONG, 30)), "unit must be"),
    ],
)
async def test_a_scaler_unit_that_cannot_serve_fails_that_reading_only(
    scaler_unit: GetDataResult, message: str
) -> None:
    reader = MeterReader()
    energy, power, serial = await reader.read(
        FakeClient(_answers(scaler_unit)),  # type: ignore[arg-type]
        [ENERGY, POWER, SERIAL],
    )
    assert energy.value is None
    assert energy.scaled_value is None
    assert energy.error is not None
    assert energy.error.startswith("scaler_unit unreadable")
    assert message in energy.error
    assert power.scaled_value == Decimal(500)
    assert serial.error is None
    assert ENERGY not in reader.scaler_units


@pytest.mark.parametrize(
    ("scaler", "unit"),
    [
        (Data(DataType.INTEGER, -1), Data(DataType.ENUM, 30)),  # as the standard writes it
        (Data(DataType.LONG, -1), Data(DataType.ENUM, 30)),  # field variants, same meaning
        (Data(DataType.INTEGER, -1), Data(DataType.UNSIGNED, 30)),
    ],
)
async def test_a_scaler_unit_in_another_integer_type_means_the_same(
    scaler: Data, unit: Data
) -> None:
    reader = MeterReader()
    energy, _, _ = await reader.read(
        FakeClient(_answers(_scaler_unit(scaler, unit))),  # type: ignore[arg-type]
        [ENERGY, POWER, SERIAL],
    )
    assert energy.error is None
    assert energy.scaled_value == Decimal("123.4")
    assert energy.unit == "Wh"
