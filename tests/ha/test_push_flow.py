"""The push path of the config flow before any I/O (the menu, the serial presets, the keys
checked before listening) and the listening step's judge on the receiver's real events.
The listening itself, with the push simulator on a socket and a pty, is in
``test_push_end_to_end.py``."""

from __future__ import annotations

from decimal import Decimal

from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType

from custom_components.dlms.libdlms import (
    AuthenticationTagMismatch,
    BytesSkipped,
    DecipheringError,
    DecodeError,
    Framing,
    KeyRequired,
    Notification,
    NotificationFailed,
    NotificationReceived,
    Obis,
    PushValue,
    StreamKind,
    StreamNotDlms,
    WrongEncryptionKey,
    load_push_presets,
)
from custom_components.dlms.push_flow import default_keys, push_connection_from_input, value_spec
from custom_components.dlms.push_listen import PUSH_ERROR_STEPS, ListenJudge, failure_key
from tests.ha.flow import start_manual_flow

EK = "000102030405060708090A0B0C0D0E0F"
METER_ID = PushValue(1, Obis(0, 0, 96, 1, 0, 255), "7359992890941742")
POWER = PushValue(2, Obis(1, 0, 1, 7, 0, 255), 1234, 0, "W", 27, Decimal(1234))
ENERGY = PushValue(3, Obis(1, 0, 1, 8, 0, 255), 5000, 1, "Wh", 30, Decimal(50000))
VOLTAGE = PushValue(4, Obis(1, 0, 32, 7, 0, 255), 2301, -1, "V", 35, Decimal("230.1"))


async def push_form(hass: HomeAssistant) -> str:
    result = await start_manual_flow(hass, "/dev/ttyUSB0", "push")
    assert (result["type"], result["step_id"]) == (FlowResultType.FORM, "push")
    return result["flow_id"]


async def test_the_push_path_asks_port_and_preset_then_the_keys(hass: HomeAssistant) -> None:
    flow_id = await push_form(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"port": "socket://127.0.0.1:1", "push_preset": "no_aidon"}
    )
    assert (result["type"], result["step_id"]) == (FlowResultType.FORM, "push_keys")


async def test_keys_are_checked_before_any_listening(hass: HomeAssistant) -> None:
    flow_id = await push_form(hass)
    await hass.config_entries.flow.async_configure(flow_id, {"port": "socket://127.0.0.1:1"})
    result = await hass.config_entries.flow.async_configure(flow_id, {"encryption_key": "0011"})
    assert (result["step_id"], result["errors"]) == ("push_keys", {"encryption_key": "key_length"})
    result = await hass.config_entries.flow.async_configure(flow_id, {"authentication_key": EK})
    assert result["errors"] == {"encryption_key": "key_required"}
    result = await hass.config_entries.flow.async_configure(flow_id, {"encryption_key": "zz"})
    assert result["errors"] == {"encryption_key": "invalid_hex"}


def test_a_preset_sets_baud_rate_and_parity() -> None:
    presets = load_push_presets()
    data = push_connection_from_input(
        {"port": " /dev/ttyUSB0 ", "push_preset": "no_kaifa"}, presets
    )
    assert data == {"mode": "push", "port": "/dev/ttyUSB0", "baudrate": 2400, "parity": "even"}
    typed = {"port": "x", "push_preset": "custom", "baudrate": "115200", "parity": "odd"}
    assert push_connection_from_input(typed, presets)["baudrate"] == 115200


def test_energy_and_power_are_ticked() -> None:
    specs = [value_spec(value) for value in (METER_ID, POWER, ENERGY, VOLTAGE)]
    assert default_keys(specs) == ["1.0.1.7.0.255", "1.0.1.8.0.255"]
    positional = [value_spec(PushValue(0, None, 5, None, None, None, Decimal(5)))]
    assert default_keys(positional) == ["position_0"]


def received(*values: PushValue, **fields: object) -> NotificationReceived:
    return NotificationReceived(Notification(Framing.HDLC, values, **fields))  # type: ignore[arg-type]


def test_a_notification_naming_its_meter_ends_listening() -> None:
    judge = ListenJudge(encrypted_expected=False)
    assert not judge.feed(received(POWER))  # the 2 s list: no meter id yet
    assert judge.feed(received(METER_ID, POWER, ENERGY))
    assert judge.error is None
    assert judge.info.meter_id == "7359992890941742"


def test_plain_frames_although_keys_were_given() -> None:
    judge = ListenJudge(encrypted_expected=True)
    assert judge.feed(received(METER_ID, POWER))
    assert judge.error == "push_not_encrypted"
    assert PUSH_ERROR_STEPS["push_not_encrypted"] == "push_keys"


def test_what_went_wrong_when_nothing_decoded() -> None:
    nothing = ListenJudge(encrypted_expected=False)
    assert nothing.error == "push_nothing_received"

    noise = ListenJudge(encrypted_expected=False)
    noise.feed(BytesSkipped(40, "no frame"))
    noise.feed(StreamNotDlms(StreamKind.NOISE))
    assert noise.error == "push_not_dlms"

    dsmr = ListenJudge(encrypted_expected=False)
    dsmr.feed(StreamNotDlms(StreamKind.DSMR, b"/ISK5"))
    assert dsmr.error == "push_dsmr"

    wrong_key = ListenJudge(encrypted_expected=True)
    wrong_key.feed(NotificationFailed(DecipheringError("no"), Framing.MBUS, b"\xdb"))
    assert wrong_key.error == "push_decryption_failed"
    assert PUSH_ERROR_STEPS[wrong_key.error] == "push_keys"

    broken = ListenJudge(encrypted_expected=False)
    broken.feed(NotificationFailed(DecodeError("short"), Framing.HDLC, b"\x0f"))
    assert broken.error == "push_undecodable"


def test_the_receivers_deciphering_errors_each_have_their_message() -> None:
    assert failure_key(KeyRequired("ciphered")) == "push_key_required"
    assert failure_key(AuthenticationTagMismatch("tag")) == "push_tag_failed"
    assert failure_key(WrongEncryptionKey("ek")) == "push_decryption_failed"
    assert failure_key(DecipheringError("x")) == "push_decryption_failed"
    assert failure_key(DecodeError("short")) == "push_undecodable"


def test_an_unknown_payload_shape_is_a_warning_not_an_error() -> None:
    judge = ListenJudge(encrypted_expected=False)
    judge.feed(received(PushValue(0, None, 5), PushValue(1, None, "x")))
    assert judge.error is None
    assert judge.warning == "push_unknown_shape"
    judge.feed(received(PushValue(0, None, 5), profile="aidon_v0001"))
    assert judge.warning is None
