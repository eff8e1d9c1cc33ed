"""The push state's pure logic: keys, the energy guard, hourly registers keeping their
value and their own time, silence, the update throttle, the meter's identity."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from custom_components.dlms.libdlms import CosemDateTime, Framing, Notification, Obis, PushValue
from custom_components.dlms.push_state import (
    MIN_SILENCE,
    PushState,
    meter_info,
    meter_serial,
    push_value,
    value_key,
)

ENERGY = Obis(1, 0, 1, 8, 0, 255)
POWER = Obis(1, 0, 1, 7, 0, 255)
ARRIVED = dt.datetime(2026, 1, 1, 10, 0, 7, tzinfo=dt.UTC)


def energy(kwh: str, position: int = 2) -> PushValue:
    raw = int(Decimal(kwh) * 1000)
    return PushValue(position, ENERGY, raw, 0, "Wh", 30, Decimal(raw))


def power(watts: int, position: int = 1) -> PushValue:
    return PushValue(position, POWER, watts, 0, "W", 27, Decimal(watts))


def note(*values: PushValue, **fields: object) -> Notification:
    return Notification(Framing.HDLC, values, **fields)  # type: ignore[arg-type]


def test_keys_are_obis_codes_or_positions() -> None:
    assert value_key(power(5)) == "1.0.1.7.0.255"
    assert value_key(PushValue(3, None, 230)) == "position_3"


def test_published_values() -> None:
    scaled = PushValue(0, POWER, 12345, -1, "W", 27, Decimal("1234.5"))
    assert push_value(scaled).value == Decimal("1234.5")
    assert push_value(scaled).scaler == -1
    assert push_value(PushValue(0, None, "AIDON_V0001")).value == "AIDON_V0001"
    stamp = dt.datetime(2026, 1, 1, 10, tzinfo=dt.UTC)
    assert push_value(PushValue(0, None, stamp)).value == stamp.isoformat()
    assert push_value(PushValue(0, None, None)).value is None


def test_energy_never_goes_backwards_or_to_zero() -> None:
    state = PushState("meter")
    state.receive(note(energy("100.5")), 0, ARRIVED)
    state.receive(note(energy("0")), 10, ARRIVED)
    assert state.data["1.0.1.8.0.255"].value == Decimal(100500)
    state.receive(note(energy("99")), 20, ARRIVED)
    assert state.data["1.0.1.8.0.255"].value == Decimal(100500)
    state.receive(note(energy("100.6")), 30, ARRIVED)
    assert state.data["1.0.1.8.0.255"].value == Decimal(100600)


def test_an_hourly_register_keeps_its_value_and_the_notifications_own_time() -> None:
    state = PushState("meter")
    hour = dt.datetime(2026, 1, 1, 10, 0, 0, tzinfo=dt.UTC)
    state.receive(note(power(500), energy("12")), 0, ARRIVED)
    state.measured_at.clear()
    state.receive(
        note(power(600), energy("13"), time=CosemDateTime.from_datetime(hour)), 2, ARRIVED
    )
    assert state.measured_at["1.0.1.8.0.255"] == hour
    state.receive(note(power(700)), 4, ARRIVED + dt.timedelta(seconds=2))
    assert state.data["1.0.1.8.0.255"].value == Decimal(13000)
    assert state.measured_at["1.0.1.8.0.255"] == hour
    assert state.data["1.0.1.7.0.255"].value == Decimal(700)
    assert state.measured_at["1.0.1.7.0.255"] == ARRIVED + dt.timedelta(seconds=2)


def test_silence_after_three_missed_intervals_never_under_30_s() -> None:
    state = PushState("meter")
    assert state.is_silent(0)
    for second in range(0, 100, 10):  # every 10 s (and a second list at once: ignored)
        state.receive(note(power(1)), second, ARRIVED)
        state.receive(note(power(2)), second + 0.1, ARRIVED)
    assert state.interval == pytest.approx(9.9)
    assert state.silence_timeout == MIN_SILENCE
    assert not state.is_silent(90.1 + 30)
    assert state.is_silent(90.1 + 30.1)

    slow = PushState("meter")
    for second in range(0, 300, 60):
        slow.receive(note(power(1)), second, ARRIVED)
    assert slow.silence_timeout == 180
    assert PushState("meter", silence=5).silence_timeout == 5


def test_the_throttle_publishes_at_most_every_n_seconds() -> None:
    state = PushState("meter", min_update_interval=10)
    assert state.receive(note(power(1)), 0, ARRIVED)
    state.published(0)
    assert not state.receive(note(power(2)), 2, ARRIVED)
    assert state.pending
    assert state.publish_due(2) == 8
    assert state.publish_due(10) is None
    state.published(10)
    assert not state.pending
    assert PushState("meter").receive(note(power(1)), 0, ARRIVED)


def test_only_the_chosen_values_are_kept() -> None:
    state = PushState("meter", keys=frozenset({"1.0.1.7.0.255"}))
    state.receive(note(power(1), energy("1")), 0, ARRIVED)
    assert set(state.data) == {"1.0.1.7.0.255"}


def test_a_restored_energy_holds_back_a_lower_first_notification() -> None:
    state = PushState("meter")
    state.restore("1.0.1.8.0.255", Decimal(5000), "Wh")
    state.receive(note(energy("4")), 0, ARRIVED)
    assert state.data["1.0.1.8.0.255"].value == Decimal(5000)


def test_meter_identity_from_the_payload_and_the_system_title() -> None:
    norwegian = note(
        PushValue(0, Obis(1, 1, 0, 2, 129, 255), "KFM_001"),
        PushValue(1, Obis(0, 0, 96, 1, 0, 255), "6970631401234567"),
        PushValue(2, Obis(0, 0, 96, 1, 7, 255), "MA304H3E"),
    )
    info = meter_info(norwegian)
    assert (info.list_version, info.meter_id, info.meter_type, info.manufacturer) == (
        "KFM_001",
        "6970631401234567",
        "MA304H3E",
        "Kaifa",
    )
    assert meter_serial(info) == "6970631401234567"
    # A later 2 s list without the id keeps what is known.
    assert meter_info(note(power(1)), info) == info

    ciphered = note(power(1), system_title=bytes.fromhex("4B414D0000012345"))
    info = meter_info(ciphered)
    assert info.manufacturer == "Kamstrup"
    assert meter_serial(info) == "4B414D0000012345"
    assert meter_serial(meter_info(note(power(1)))) is None
    # Every manufacturer of the facts by its FLAG id; an id not in the list stays itself.
    for flag, name in (
        ("ADN", "Aidon"),
        ("SAG", "Sagemcom"),
        ("ISK", "Iskraemeco"),
        ("LGZ", "Landis+Gyr"),
    ):
        title = flag.encode() + bytes(5)
        assert meter_info(note(power(1), system_title=title)).manufacturer == name
    unknown = meter_info(note(power(1), system_title=b"XYZ\x00\x00\x00\x00\x01"))
    assert unknown.manufacturer == "XYZ"
