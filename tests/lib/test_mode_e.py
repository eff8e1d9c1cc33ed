"""The mode E sign-on machine, in memory: request at 300 Bd 7E1, the identification in any
chunking (echo and noise skipped), the acknowledgement and the line it switches to."""

from __future__ import annotations

import pytest

from libdlms.errors import CommunicationError, DecodeError, LocalProtocolError
from libdlms.session.mode_e import SIGN_ON_LINE, LineSettings, ModeESignOn, ModeEState

REQUEST = b"/?!\r\n"
IDENTIFICATION = b"/ISK5\\2MT382-1000\r\n"


def _started(max_baudrate: int = 19200) -> ModeESignOn:
    sign_on = ModeESignOn(max_baudrate)
    assert sign_on.line == SIGN_ON_LINE == LineSettings(300, 7, "E")
    sign_on.start()
    assert sign_on.data_to_send() == REQUEST
    return sign_on


@pytest.mark.parametrize("chunk", [1, 2, 5, 100])
def test_identification_in_any_chunking_after_echo_and_noise(chunk: int) -> None:
    sign_on = _started()
    stream = b"\x00\xff" + REQUEST + b"garbage\r\n" + IDENTIFICATION
    events = []
    for i in range(0, len(stream), chunk):
        events += sign_on.receive_data(stream[i : i + chunk])
    (event,) = events
    assert event.identification.manufacturer == "ISK"
    assert event.line == sign_on.line == LineSettings(9600, 8, "N")
    assert sign_on.data_to_send() == b"\x06" + b"252\r\n"  # ACK, HDLC, 9600 Bd, binary
    assert sign_on.state is ModeEState.SWITCHING
    assert sign_on.receive_data(IDENTIFICATION) == []  # nothing more is awaited


@pytest.mark.parametrize(
    ("cap", "baudrate", "character"), [(4800, 4800, b"4"), (14400, 9600, b"5"), (100, 300, b"0")]
)
def test_the_speed_is_the_fastest_both_allow(cap: int, baudrate: int, character: bytes) -> None:
    sign_on = _started(cap)
    (event,) = sign_on.receive_data(b"/XYZ6\\2ID\r\n")
    assert event.line.baudrate == baudrate
    assert sign_on.data_to_send() == b"\x062" + character + b"2\r\n"


def test_a_meter_without_hdlc_or_a_garbled_identification_ends_in_error() -> None:
    sign_on = _started()
    with pytest.raises(CommunicationError, match="does not offer HDLC"):
        sign_on.receive_data(b"/ABC5MT174\r\n")
    assert sign_on.state is ModeEState.ERROR
    assert sign_on.data_to_send() == b""
    garbled = _started()
    with pytest.raises(DecodeError):
        garbled.receive_data(b"/AB\r\n")
    assert garbled.state is ModeEState.ERROR


def test_start_twice_is_refused() -> None:
    sign_on = _started()
    with pytest.raises(LocalProtocolError):
        sign_on.start()
    assert sign_on.data_to_send() == b""
