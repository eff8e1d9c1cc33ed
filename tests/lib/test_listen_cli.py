"""``dlms decode`` on push bytes adds ``notifications`` (the same objects a ``dlms listen``
line is), for real captures and for what the push simulator sends; ``dlms listen``'s lines
for what is not a notification, and its usage errors."""

from __future__ import annotations

import asyncio
import io
import json
import sys
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import pytest

from libdlms import DecodeError, SecurityKeys
from libdlms.cli.app import main
from libdlms.cli.listen import event_line
from libdlms.session.push.events import (
    BytesSkipped,
    Framing,
    NotificationFailed,
    StreamKind,
    StreamNotDlms,
)
from libdlms.translator import describe
from simulator.push import PushMeter, PushSettings, PushShape, PushSimulator

# Real sockets on 127.0.0.1 (pytest-socket blocks others under the Home Assistant harness).
pytestmark = pytest.mark.usefixtures("socket_enabled")

CAPTURES = Path(__file__).resolve().parents[1] / "captures" / "push-captures.json"
VECTORS = json.loads(CAPTURES.read_text(encoding="utf-8"))["vectors"]
LINE_KEYS = ["time", "invoke_id", "framing", "system_title", "frame_counter", "profile", "values"]


def _run(args: list[str]) -> tuple[int, list[dict[str, Any]]]:
    out = io.StringIO()
    with redirect_stdout(out):
        status = main(args)
    return status, [json.loads(line) for line in out.getvalue().splitlines()]


def _vector(vector_id: str) -> dict[str, Any]:
    (vector,) = [v for v in VECTORS if v["id"] == vector_id]
    found: dict[str, Any] = vector
    return found


def _decode(vector_id: str, *keys: str) -> dict[str, Any]:
    vector = _vector(vector_id)
    args = ["decode", vector["hex"].replace(" ", "")]
    for name in keys:
        args += [f"--{name}", vector["keys"][name]]
    status, (line,) = _run(args)
    assert status == 0, line
    return line


@pytest.mark.parametrize(
    "vector",
    [v for v in VECTORS if v["kind"] != "push-mbus"],
    ids=lambda v: v["id"],
)
def test_decode_adds_a_notification_for_every_capture(vector: dict[str, Any]) -> None:
    keys = [name for name in ("ek", "ak") if name in vector.get("keys", {})]
    line = _decode(vector["id"], *keys)
    (notification,) = line["notifications"]
    assert list(notification)[: len(LINE_KEYS)] == LINE_KEYS
    assert notification["values"]
    expected = {"push-llc": "raw", "push-raw": "raw"}.get(vector["kind"], "hdlc")
    assert notification["framing"] == expected


def test_a_segmented_iskra_notification_has_its_aware_time_and_obis_values() -> None:
    (notification,) = _decode("dlmsparser-iskra-am550-segmented")["notifications"]
    assert notification["time"] == "2023-04-01T21:32:35+02:00"
    values = {v["obis"]: v for v in notification["values"]}
    assert values["0.0.96.1.0.255"]["value"] == "84895126"
    assert values["1.0.1.8.0.255"]["scaler"] is not None


def test_a_ciphered_kamstrup_notification_names_its_meter_and_counter() -> None:
    line = _decode("dlmsparser-kamstrup-omnipower-dk-encrypted", "ek", "ak")
    (notification,) = line["notifications"]
    assert notification["system_title"].startswith("4B414D")  # "KAM"
    assert notification["frame_counter"] == line["apdu"]["invocation_counter"]
    assert notification["security_control"] == "0x30"


def test_without_keys_a_ciphered_capture_has_no_notification() -> None:
    line = _decode("dlmsparser-kamstrup-omnipower-dk-encrypted")
    assert "notifications" not in line
    assert line["apdu"]["security_control"] == "0x30"


def test_llc_prefixed_bytes_decode_as_a_raw_apdu() -> None:
    line = _decode("amshan-kaifa-no-list2")
    assert line["llc"] == "e6e700"
    assert line["apdu"]["tag"] == "data-notification"
    assert line["notifications"][0]["profile"] is not None


def test_untyped_czech_descriptors_and_typed_kaifa_header_decode() -> None:
    czech = _decode("dlmsparser-egd-cz-raw-docexample")
    assert czech["apdu"]["tag"] == "data-notification"
    assert len(czech["notifications"][0]["values"]) > 10
    kaifa = _decode("dlmsparser-kaifa-ma304h3e-no-typed-datetime")
    assert kaifa["apdu"]["date_time_text"]
    assert kaifa["notifications"][0]["time"] == "2017-09-15T05:33:40"


@pytest.mark.parametrize("framing", ["hdlc", "wrapper", "raw"])
@pytest.mark.parametrize("shape", list(PushShape))
def test_what_the_simulator_pushes_decodes_to_its_values(framing: str, shape: PushShape) -> None:
    keys = SecurityKeys(bytes(range(16)), bytes(range(16, 32)))
    push = PushMeter(settings=PushSettings(framing=framing, shape=shape, keys=keys))  # type: ignore[arg-type]
    (notification,) = describe(push.transmission(), keys=keys)["notifications"]
    assert notification["framing"] == framing
    assert notification["system_title"] == b"DLMSIM01".hex().upper()
    assert notification["frame_counter"] == 1
    texts = [v["value"] for v in notification["values"]]
    assert "12345678" in texts
    assert push.meter.import_wh in texts
    if shape is not PushShape.POSITIONAL:
        energy = [v for v in notification["values"] if v["obis"] == "1.0.1.8.0.255"]
        assert energy[0]["value"] == push.meter.import_wh


def test_a_truncated_notification_header_is_a_decode_error() -> None:
    with pytest.raises(DecodeError):
        describe(bytes.fromhex("0F00000001"))  # ends inside its header


# ---------------------------------------------------------------------------- listen


def test_lines_for_what_is_not_a_notification() -> None:
    failed = NotificationFailed(DecodeError("bad"), Framing.MBUS, b"\x68\x01", bytes(8), 7, 0x20)
    assert event_line(failed, Framing.MBUS) == {
        "error": "bad",
        "framing": "mbus",
        "system_title": "0000000000000000",
        "frame_counter": 7,
        "hex": "6801",
    }
    skipped = event_line(BytesSkipped(3, "garbage", b"\x01\x02\x03"), Framing.HDLC)
    assert skipped == {"error": "3 bytes skipped: garbage", "framing": "hdlc", "hex": "010203"}
    dsmr = event_line(StreamNotDlms(StreamKind.DSMR, b"/ISK5"), None)
    assert dsmr is not None
    assert "dsmr" in dsmr["error"]
    assert dsmr["hex"] == b"/ISK5".hex().upper()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--ek", "zz"], "--ek must be hexadecimal"),
        (["--ak", "00" * 16], "--ak needs --ek"),
        (["--ek", "00" * 15], "keys are 16 bytes"),
        (["--count", "0"], "--count must be at least 1"),
        (["--timeout", "0"], "--timeout must be positive"),
    ],
)
def test_listen_usage_errors_exit_2(args: list[str], message: str) -> None:
    status, (line,) = _run(["listen", "socket://127.0.0.1:1", *args])
    assert status == 2
    assert message in line["error"]


# ---------------------------------------------------------------------------- listen, end to end


async def _listen(*args: str) -> tuple[int, list[dict[str, Any]], str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "libdlms",
        "listen",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(20):
        out, err = await process.communicate()
    lines = [json.loads(line) for line in out.decode().splitlines()]
    assert process.returncode is not None
    return process.returncode, lines, err.decode()


@pytest.mark.parametrize("framing", ["hdlc", "mbus", "raw"])
async def test_listen_prints_the_push_simulators_notifications(framing: str) -> None:
    keys = SecurityKeys.from_hex(
        "000102030405060708090A0B0C0D0E0F", "D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF"
    )
    meter = PushMeter(settings=PushSettings(framing=framing, interval=0.2, keys=keys))  # type: ignore[arg-type]
    async with PushSimulator(meter) as simulator:
        status, lines, _ = await _listen(
            simulator.url,
            "--count",
            "2",
            "--ek",
            "000102030405060708090A0B0C0D0E0F",
            "--ak",
            "D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF",
        )
    assert status == 0
    notifications = [line for line in lines if "values" in line]
    assert len(notifications) == 2
    first = notifications[0]
    assert first["framing"] == framing
    assert first["system_title"] == "444C4D53494D3031"
    assert notifications[1]["frame_counter"] == first["frame_counter"] + 1
    assert any(
        value["obis"] == "1.0.1.8.0.255" and value["unit"] == "Wh" for value in first["values"]
    )


async def test_listen_with_a_wrong_key_prints_error_lines_with_the_meter() -> None:
    keys = SecurityKeys.from_hex("000102030405060708090A0B0C0D0E0F")
    meter = PushMeter(settings=PushSettings(interval=0.2, keys=keys))
    async with PushSimulator(meter) as simulator:
        status, lines, _ = await _listen(simulator.url, "--ek", "FF" * 16, "--timeout", "1.5")
    assert status == 1
    errors = [line for line in lines if "error" in line and line.get("system_title")]
    assert errors
    assert "encryption key" in errors[0]["error"]
    assert errors[0]["framing"] == "hdlc"
    assert "FF" * 16 not in json.dumps(lines).upper()


async def test_listen_times_out_on_a_silent_meter_and_exits_2_without_a_port() -> None:
    async with PushSimulator(PushMeter(settings=PushSettings(interval=3600))) as simulator:
        status, lines, _ = await _listen(simulator.url, "--timeout", "0.5")
    assert status == 1
    assert "error" in lines[-1]
    status, lines, err = await _listen("socket://127.0.0.1:1", "--timeout", "5")
    assert status == 2
    assert "127.0.0.1:1" in json.dumps(lines) + err
