"""The push receiver in memory: framings found by themselves and kept apart from garbage,
the keys that are wrong told apart, frame counters that go back, streams that are not DLMS,
DSMR inside general-glo ciphering, and memory that stays bounded.

Every real capture, whole and split at every byte, is in ``test_push_captures.py``."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from libdlms.codecs import mbus
from libdlms.codecs.axdr import Data, DataType
from libdlms.codecs.dsmr import crc16, parse_telegram
from libdlms.codecs.wrapper import encode_wrapper
from libdlms.codecs.xdlms import DataNotification
from libdlms.errors import (
    AuthenticationTagMismatch,
    DecodeError,
    FrameError,
    InvocationCounterError,
    KeyRequired,
    WrongEncryptionKey,
)
from libdlms.obis import Obis
from libdlms.security import SecurityKeys
from libdlms.security.ciphering import cipher_apdu
from libdlms.security.control import SecurityControl, SecurityPolicy
from libdlms.session.push import (
    BytesSkipped,
    Framing,
    Notification,
    NotificationFailed,
    NotificationReceived,
    PushEvent,
    PushReceiver,
    StreamKind,
    StreamNotDlms,
)

CAPTURES = Path(__file__).resolve().parents[1] / "captures" / "push-captures.json"
VECTORS = {v["id"]: v for v in json.loads(CAPTURES.read_text(encoding="utf-8"))["vectors"]}
EK = "000102030405060708090A0B0C0D0E0F"
AK = "D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF"
TITLE = bytes.fromhex("4B464D1020304050")


def capture(vector_id: str) -> bytes:
    return bytes.fromhex(VECTORS[vector_id]["hex"].replace(" ", ""))


def keys_of(vector_id: str) -> dict[str, str]:
    keys: dict[str, str] = VECTORS[vector_id]["keys"]
    return keys


def received(events: list[PushEvent]) -> list[Notification]:
    return [event.notification for event in events if isinstance(event, NotificationReceived)]


def failed(events: list[PushEvent]) -> list[NotificationFailed]:
    return [event for event in events if isinstance(event, NotificationFailed)]


def feed(receiver: PushReceiver, data: bytes, chunk: int = 0) -> list[PushEvent]:
    events: list[PushEvent] = []
    step = chunk or len(data) or 1
    for pos in range(0, len(data), step):
        events += receiver.receive_data(data[pos : pos + step])
    return events + receiver.line_idle()


def notification_apdu(counter: int = 1, energy: int = 12345) -> bytes:
    body = Data(
        DataType.STRUCTURE,
        [
            Data(DataType.OCTET_STRING, Obis(1, 0, 1, 8, 0, 255).to_bytes()),
            Data(DataType.DOUBLE_LONG_UNSIGNED, energy),
        ],
    )
    return DataNotification(counter, None, body).encode()


def ciphered(
    plain: bytes, counter: int, *, keys: SecurityKeys, policy: str = "authenticated-encryption"
) -> bytes:
    return cipher_apdu(
        plain,
        kind="general-glo",
        control=SecurityControl.for_policy(SecurityPolicy.from_name(policy)),
        system_title=TITLE,
        invocation_counter=counter,
        keys=keys,
    )


# ---------------------------------------------------------------------------- framing

GARBAGE = bytes.fromhex("00 7E 7E A0 55 68 01 68 0F DB E6 13 37 FF 16 00 01 00")


@pytest.mark.parametrize(
    "vector_id",
    [
        "dlmsparser-aidon-no-1phase-list2",
        "dlmsparser-iskra-am550-segmented",
        "dlmsparser-lg-e450-gbt-encrypted-1",
        "dlmsparser-netznoe-p1-mbus-encrypted",
        "amshan-hdlc-kaifa-7e-in-info",
    ],
)
@pytest.mark.parametrize("chunk", [0, 1, 5])
def test_garbage_before_and_between_frames_is_skipped_and_counted(
    vector_id: str, chunk: int
) -> None:
    raw = capture(vector_id)
    keys = VECTORS[vector_id].get("keys")
    receiver = PushReceiver(
        keys=SecurityKeys.from_hex(keys["ek"], keys.get("ak")) if keys else None
    )
    events = feed(receiver, GARBAGE + raw + GARBAGE + raw, chunk)
    if keys:  # the same ciphered capture twice is a replay: refused the second time
        assert len(received(events)) == 1
        (replay,) = failed(events)
        assert isinstance(replay.error, InvocationCounterError)
        return
    assert len(received(events)) == 2
    assert not failed(events)
    skipped = sum(event.count for event in events if isinstance(event, BytesSkipped))
    assert skipped >= 2 * len(GARBAGE) - 2  # a leading 7E or 00 may be taken for idle fill
    assert receiver.statistics.notifications == 2
    assert receiver.statistics.bytes_skipped == skipped


def test_a_frame_failing_its_check_is_skipped_and_the_next_one_taken() -> None:
    raw = capture("dlmsparser-aidon-no-1phase-list2")
    broken = bytearray(raw)
    broken[40] ^= 0x01  # inside the information field: the FCS no longer holds
    receiver = PushReceiver()
    events = feed(receiver, raw + bytes(broken) + raw)
    assert len(received(events)) == 2
    assert any(isinstance(event, BytesSkipped) for event in events)


def test_a_truncated_frame_is_overtaken_by_the_whole_frame_after_it() -> None:
    raw = capture("dlmsparser-aidon-no-1phase-list2")
    receiver = PushReceiver()
    events = receiver.receive_data(raw[: len(raw) // 2] + raw)
    assert len(received(events)) == 1


def test_a_length_that_lies_does_not_hold_up_the_stream_for_ever() -> None:
    raw = capture("dlmsparser-aidon-no-1phase-list2")
    liar = bytes.fromhex("7EA7FF") + bytes(20)  # says 2047 bytes
    receiver = PushReceiver()
    events = feed(receiver, liar + raw)
    assert len(received(events)) == 1


def test_the_framing_found_is_kept_and_forgotten_after_a_lost_connection() -> None:
    receiver = PushReceiver()
    assert receiver.framing is None
    feed(receiver, capture("dlmsparser-aidon-no-1phase-list2"))
    assert receiver.framing is Framing.HDLC
    receiver.connection_lost()
    assert receiver.framing is None
    events = feed(receiver, capture("dlmsparser-salzburg-kaifa-raw"))
    assert len(received(events)) == 1
    assert receiver.framing is Framing.RAW


def test_a_partial_frame_is_dropped_when_the_connection_is_lost() -> None:
    raw = capture("dlmsparser-aidon-no-1phase-list2")
    receiver = PushReceiver()
    assert receiver.receive_data(raw[:50]) == []
    assert receiver.pending == 50
    receiver.connection_lost()
    assert receiver.pending == 0
    events = feed(receiver, raw)
    assert len(received(events)) == 1
    assert not failed(events)


def test_wrapper_framing_carries_notifications() -> None:
    apdu = notification_apdu()
    pdu = encode_wrapper(1, 16, apdu)
    receiver = PushReceiver()
    events = feed(receiver, pdu + GARBAGE + pdu, 3)
    notifications = received(events)
    assert [n.framing for n in notifications] == [Framing.WRAPPER, Framing.WRAPPER]
    assert notifications[0].values[0].value == 12345


def test_mbus_segments_out_of_sequence_are_dropped() -> None:
    frames = mbus.encode_frames(notification_apdu(), max_data=10)
    assert len(frames) > 2
    receiver = PushReceiver(framing=Framing.MBUS)
    events = feed(receiver, frames[0] + frames[2] + b"".join(frames))
    assert len(received(events)) == 1
    assert any(isinstance(event, BytesSkipped) for event in events)


# ---------------------------------------------------------------------------- keys


def kamstrup(**keys: str | None) -> list[PushEvent]:
    ek = keys.get("ek")
    receiver = PushReceiver(keys=None if ek is None else SecurityKeys.from_hex(ek, keys.get("ak")))
    return feed(receiver, capture("dlmsparser-kamstrup-omnipower-dk-encrypted"))


def test_both_keys_right_checks_the_tag_and_deciphers() -> None:
    keys = keys_of("dlmsparser-kamstrup-omnipower-dk-encrypted")
    (notification,) = received(kamstrup(ek=keys["ek"], ak=keys["ak"]))
    assert notification.security_control == 0x30
    assert notification.system_title == bytes.fromhex("4B414D4501349083")
    assert notification.frame_counter == 0x010F60A4


def test_the_encryption_key_alone_deciphers_without_the_tag() -> None:
    keys = keys_of("dlmsparser-kamstrup-omnipower-dk-encrypted")
    (notification,) = received(kamstrup(ek=keys["ek"]))
    assert len(notification.values) > 30


def test_a_wrong_authentication_key_is_told_apart_from_a_wrong_encryption_key() -> None:
    keys = keys_of("dlmsparser-kamstrup-omnipower-dk-encrypted")
    wrong = "00" * 16
    (tag,) = failed(kamstrup(ek=keys["ek"], ak=wrong))
    assert isinstance(tag.error, AuthenticationTagMismatch)
    assert "authentication key" in str(tag.error)
    (ek_with_ak,) = failed(kamstrup(ek=wrong, ak=keys["ak"]))
    assert isinstance(ek_with_ak.error, WrongEncryptionKey)
    (ek_alone,) = failed(kamstrup(ek=wrong))
    assert isinstance(ek_alone.error, WrongEncryptionKey)
    for event in (tag, ek_with_ak, ek_alone):
        assert event.system_title == bytes.fromhex("4B414D4501349083")
        assert event.frame_counter == 0x010F60A4
        for key in (keys["ek"], keys["ak"], wrong):
            assert key.lower() not in repr(event).lower()
            assert key.lower() not in json.dumps(event.to_json()).lower()


def test_no_key_for_a_ciphered_notification_is_its_own_error() -> None:
    (event,) = failed(kamstrup())
    assert isinstance(event.error, KeyRequired)
    assert event.security_control == 0x30
    assert event.to_json()["system_title"] == "4B414D4501349083"


def test_a_key_of_the_wrong_length_is_reported_not_raised() -> None:
    (event,) = failed(kamstrup(ek="0011"))
    assert "key" in str(event.error)


# ---------------------------------------------------------------------------- counters


def test_a_frame_counter_that_goes_back_is_refused_until_a_new_sequence_shows() -> None:
    keys = SecurityKeys.from_hex(EK, AK)
    receiver = PushReceiver(keys=keys, framing=Framing.RAW)

    def push(counter: int) -> PushEvent:
        (event,) = feed(receiver, ciphered(notification_apdu(counter), counter, keys=keys))
        return event

    assert isinstance(push(10), NotificationReceived)
    assert isinstance(push(11), NotificationReceived)
    replayed = push(11)
    assert isinstance(replayed, NotificationFailed)
    assert isinstance(replayed.error, InvocationCounterError)
    assert isinstance(push(9), NotificationFailed)
    # A replaced meter starts again low: three increasing counters in a row are taken.
    assert isinstance(push(1), NotificationFailed)
    assert isinstance(push(2), NotificationFailed)
    assert isinstance(push(3), NotificationReceived)
    assert isinstance(push(4), NotificationReceived)
    assert isinstance(push(2), NotificationFailed)


def test_a_notification_that_fails_to_decipher_does_not_move_the_counter() -> None:
    keys = SecurityKeys.from_hex(EK, AK)
    other = SecurityKeys.from_hex(EK, "11" * 16)
    receiver = PushReceiver(keys=keys, framing=Framing.RAW)
    forged = ciphered(notification_apdu(), 1000, keys=other)
    assert isinstance(feed(receiver, forged)[0], NotificationFailed)
    (event,) = feed(receiver, ciphered(notification_apdu(), 5, keys=keys))
    assert isinstance(event, NotificationReceived)


# ---------------------------------------------------------------------------- DSMR

TELEGRAM_BODY = (
    "/SMR5\r\n\r\n"
    "0-0:1.0.0(260312152430W)\r\n"
    "1-0:1.8.0(001234.567*kWh)\r\n"
    "1-0:1.7.0(01.234*kW)\r\n"
    "0-0:96.1.0(4E4C4E4C)\r\n"
    "!"
)


def telegram() -> bytes:
    data = TELEGRAM_BODY.encode()
    return data + f"{crc16(data):04X}\r\n".encode()


def test_a_dsmr_telegram_parses_with_its_crc() -> None:
    parsed = parse_telegram(telegram())
    assert parsed.crc_ok is True
    assert parsed.identification == "SMR5"
    assert [line.unit for line in parsed.lines] == [None, "kWh", "kW", None]
    with pytest.raises(DecodeError):
        parse_telegram(b"not a telegram")


@pytest.mark.parametrize("policy", ["encryption", "authenticated-encryption"])
def test_a_dsmr_telegram_inside_general_glo_ciphering_is_a_notification(policy: str) -> None:
    keys = SecurityKeys.from_hex(EK, AK)
    apdu = ciphered(telegram(), 7, keys=keys, policy=policy)
    receiver = PushReceiver(keys=SecurityKeys.from_hex(EK))  # Luxembourg: the EK alone
    (notification,) = received(feed(receiver, apdu))
    assert notification.invoke_id is None
    assert notification.frame_counter == 7
    line = notification.to_json()
    assert line["time"] == "2026-03-12T15:24:30+01:00"
    energy = line["values"][1]
    assert energy == {
        "obis": "1.0.1.8.0.255",
        "position": 1,
        "value": 1234.567,
        "scaler": None,
        "unit": "kWh",
        "scaled_value": 1234.567,
    }
    assert line["values"][3]["value"] == "4E4C4E4C"


# ---------------------------------------------------------------------------- not DLMS


def kinds(events: list[PushEvent]) -> list[StreamKind]:
    return [event.kind for event in events if isinstance(event, StreamNotDlms)]


def test_plain_dsmr_text_is_recognised() -> None:
    receiver = PushReceiver()
    events = feed(receiver, telegram() * 3, 64)
    assert kinds(events) == [StreamKind.DSMR]
    assert not received(events)


def test_sml_is_recognised() -> None:
    sml = bytes.fromhex("1B1B1B1B01010101 7605 0102030462 0062 0072 6301 0176 01") * 4
    assert kinds(feed(PushReceiver(), sml)) == [StreamKind.SML]


def test_an_iec_62056_21_readout_is_recognised() -> None:
    readout = b"/ISK5MT174-0001\r\n\x021.8.0(001234.5*kWh)\r\n2.8.0(000000.0*kWh)\r\n!\r\n\x03a"
    assert kinds(feed(PushReceiver(), readout * 2)) == [StreamKind.IEC62056_21]


def test_noise_from_a_wrong_baud_rate_is_recognised_and_memory_stays_bounded() -> None:
    rng = random.Random(14)
    noise = bytes(rng.randrange(256) for _ in range(200_000))
    receiver = PushReceiver(max_buffer=8192)
    events: list[PushEvent] = []
    for pos in range(0, len(noise), 512):
        events += receiver.receive_data(noise[pos : pos + 512])
        assert receiver.pending <= 8192 + 512
    assert StreamKind.NOISE in kinds(events)
    assert not received(events)
    assert receiver.statistics.bytes_skipped > 150_000


def test_a_flood_of_notification_tags_does_not_hold_the_buffer() -> None:
    receiver = PushReceiver(max_buffer=8192)
    for _ in range(100):
        receiver.receive_data(b"\x0f" * 1000)
        assert receiver.pending <= 8192 + 1000
    events = feed(receiver, capture("dlmsparser-aidon-no-1phase-list2"))
    assert received(events)


# ---------------------------------------------------------------------------- M-Bus codec


def test_mbus_frames_round_trip_and_are_checked() -> None:
    apdu = bytes(range(256)) * 2
    frames = mbus.encode_frames(apdu)
    decoded = [mbus.decode_frame(frame) for frame in frames]
    assert b"".join(frame.data for frame in decoded) == apdu
    assert [frame.last_segment for frame in decoded] == [False, False, True]
    assert [frame.sequence for frame in decoded] == [0, 1, 2]
    broken = bytearray(frames[0])
    broken[-2] ^= 0xFF
    with pytest.raises(FrameError):
        mbus.decode_frame(bytes(broken))
    with pytest.raises(FrameError):
        mbus.decode_frame(frames[0][:-1] + b"\x17")


def test_the_netz_noe_capture_is_two_frames_of_one_apdu() -> None:
    raw = capture("dlmsparser-netznoe-p1-mbus-encrypted")
    first = mbus.decode_frame(raw[: raw[1] + 6])
    assert (first.ci, first.stsap, first.dtsap, first.last_segment) == (0x00, 0x01, 0x67, False)
