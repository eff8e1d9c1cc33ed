"""The command line as a user runs it: the simulator (``python -m simulator``, what
``scripts/dlms simulate`` runs) in one process, ``python -m libdlms read`` in another,
talking over a real socket; and ``scripts/dlms`` itself, the wrapper.

The tests are async and use asyncio subprocesses, since Home Assistant's blocking-call
guard (enabled for the whole suite) forbids waiting on a process in the loop's thread.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from libdlms.cosem.clock import CosemDateTime

ROOT = Path(__file__).resolve().parents[2]
PYTHON = (sys.executable, "-m")
# scripts/dlms runs on the machine's own Python in .venv-lib: there is none inside the Python 3.14
# root (its interpreter link points outside), so the wrapper is tested on the library's run only.
WRAPPER_RUNS = (ROOT / ".venv-lib" / "bin" / "python").exists()


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


async def _run(*command: str) -> Result:
    process = await asyncio.create_subprocess_exec(
        *command, cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    async with asyncio.timeout(120):
        stdout, stderr = await process.communicate()
    assert process.returncode is not None
    return Result(process.returncode, stdout.decode(), stderr.decode())


async def _dlms(*args: str) -> Result:
    return await _run(*PYTHON, "libdlms", *args)


@pytest.fixture
def simulator_options() -> list[str]:
    return []


@pytest.fixture
async def simulated_meter(socket_enabled: None, simulator_options: list[str]) -> AsyncIterator[str]:
    process = await asyncio.create_subprocess_exec(
        *PYTHON,
        "simulator",
        "--port",
        "0",
        *simulator_options,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        async with asyncio.timeout(120):
            line = (await process.stdout.readline()).decode()
        assert line.startswith("serving on socket://127.0.0.1:")
        yield line.removeprefix("serving on ").strip()
    finally:
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(20):
            assert await process.wait() == 0


def _lines(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


async def test_read_as_a_user_would(simulated_meter: str) -> None:
    result = await _dlms(
        "read", simulated_meter, "--json", "1-0:1.8.0*255", "3/1.0.32.7.0.255/2", "0.0.96.1.0.255"
    )
    assert result.returncode == 0, result.stderr
    energy, voltage, serial = _lines(result.stdout)
    assert energy["object"] == "3/1.0.1.8.0.255/2"
    assert energy["class_id"] == 3
    assert energy["unit"] == "Wh"
    assert energy["scaler"] == 0
    assert isinstance(energy["scaled_value"], int)
    assert energy["scaled_value"] >= 1_234_567
    assert voltage["scaler"] == -1
    assert voltage["unit"] == "V"
    assert 228 <= voltage["scaled_value"] <= 232  # type: ignore[operator]
    assert serial["value"] == {"type": "octet-string", "value": b"12345678".hex()}
    assert serial["scaled_value"] is None


async def test_repeat_keeps_reading(simulated_meter: str) -> None:
    result = await _dlms(
        "read", simulated_meter, "--json", "--repeat", "2", "--keep-open", "3/1.0.1.7.0.255/2"
    )
    assert result.returncode == 0, result.stderr
    assert [line["unit"] for line in _lines(result.stdout)] == ["W", "W"]


async def test_read_failure_and_usage_exit_codes(simulated_meter: str) -> None:
    missing = await _dlms("read", simulated_meter, "--json", "3/1.0.99.7.0.255/2")
    assert missing.returncode == 1
    assert _lines(missing.stdout) == [
        {
            "object": "3/1.0.99.7.0.255/2",
            "obis": "1.0.99.7.0.255",
            "class_id": 3,
            "attribute": 2,
            "error": "object-undefined",
        }
    ]
    not_there = await _dlms("read", simulated_meter, "--json", "1.0.99.7.0.255")
    assert not_there.returncode == 2
    assert "not in the meter's object list" in _lines(not_there.stdout)[0]["error"]  # type: ignore[operator]
    with socket.socket() as bound:  # bound, never listening: the connection is refused
        bound.bind(("127.0.0.1", 0))
        port = bound.getsockname()[1]
        closed = await _dlms("read", f"socket://127.0.0.1:{port}", "--json", "1.0.1.8.0.255")
    assert closed.returncode == 2
    assert "Traceback" not in closed.stderr


async def test_objects_lists_the_meter(simulated_meter: str) -> None:
    result = await _dlms("objects", simulated_meter, "--json")
    assert result.returncode == 0, result.stderr
    listed = {(line["class_id"], line["obis"]) for line in _lines(result.stdout)}
    assert (3, "1.0.1.8.0.255") in listed
    assert (15, "0.0.40.0.0.255") in listed


async def test_decode_is_a_translator() -> None:
    frame = (
        "7EA0382102233034E7E6E7006129A109060760857405080101A203020100A305A103020100"
        "BE10040E0800065F1F0400001E1D04C80007B86A7E"
    )
    result = await _dlms("decode", frame)
    assert result.returncode == 0, result.stderr
    (decoded,) = _lines(result.stdout)
    assert decoded["frames"][0]["type"] == "I"  # type: ignore[index]
    assert decoded["frames"][0]["hcs_ok"] is True  # type: ignore[index]
    assert decoded["apdu"]["tag"] == "aare"  # type: ignore[index]
    assert decoded["apdu"]["result"] == "accepted"  # type: ignore[index]
    garbled = await _dlms("decode", "7EA0")
    assert garbled.returncode == 1
    assert "error" in _lines(garbled.stdout)[0]
    assert "Traceback" not in garbled.stderr
    data = await _dlms("decode", "--as", "data", "02020FFF161E")
    assert _lines(data.stdout) == [
        {
            "data": {
                "type": "structure",
                "value": [{"type": "integer", "value": -1}, {"type": "enum", "value": 30}],
            }
        }
    ]


@pytest.mark.parametrize(
    "simulator_options", [["--server-physical", "1", "--password", "12345678"]]
)
async def test_probe_finds_what_the_meter_accepts(simulated_meter: str) -> None:
    result = await _dlms(
        "probe", simulated_meter, "--json", "--timeout", "0.5", "--password", "12345678"
    )
    assert result.returncode == 0, result.stderr
    attempts = _lines(result.stdout)
    assert attempts[0] == {
        "client_address": 16,
        "server_logical": 1,
        "server_physical": 17,
        "auth": "none",
        "result": "no answer",
    }
    accepted = [a for a in attempts if a["result"] == "accepted"]
    assert accepted[0]["client_address"] == 1
    assert accepted[0]["server_physical"] == 1
    assert accepted[0]["auth"] == "lls"
    assert accepted[0]["serial_number"] == "12345678"
    assert "12345678" not in [a.get("password") for a in attempts]


EK = "000102030405060708090A0B0C0D0E0F"
AK = "D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF"
SECURED = ["--auth", "hls-gmac", "--security", "authenticated-encryption", "--ek", EK, "--ak", AK]


@pytest.mark.parametrize("simulator_options", [SECURED])
async def test_secured_read_with_the_meters_invocation_counter(simulated_meter: str) -> None:
    """HLS-GMAC with authenticated encryption, the client counter taken from the meter's
    frame counter object (read with the public client first), twice: the second run only
    works because the counter read the first time moved on."""
    for _ in range(2):
        result = await _dlms(
            "read",
            simulated_meter,
            "--json",
            "--client-address",
            "1",
            *SECURED,
            "--system-title",
            "4D4D4D0000000001",
            "--invocation-counter",
            "0.0.43.1.0.255",
            "3/1.0.1.8.0.255/2",
        )
        assert result.returncode == 0, result.stdout + result.stderr
        (energy,) = _lines(result.stdout)
        assert energy["unit"] == "Wh"
        assert EK.lower() not in (result.stdout + result.stderr).lower()
    wrong_key = await _dlms(
        "read", simulated_meter, "--json", *SECURED[:-1], "00" * 16, "3/1.0.1.8.0.255/2"
    )
    assert wrong_key.returncode == 2
    assert "error" in _lines(wrong_key.stdout)[0]
    bad_length = await _dlms(
        "read", simulated_meter, "--json", *SECURED[:-1], "00" * 15, "3/1.0.1.8.0.255/2"
    )
    assert bad_length.returncode == 2
    assert "16" in _lines(bad_length.stdout)[0]["error"]  # type: ignore[operator]


@pytest.mark.parametrize(
    "simulator_options", [["--inactivity-timeout", "1.0", "--bus", "18", "--echo"]]
)
async def test_keep_open_outlives_the_meters_inactivity_timeout(simulated_meter: str) -> None:
    """--keep-open holds one association; when the meter has dropped it between polls the
    read goes on in a new one. The second meter on the bus answers its own address."""
    result = await _dlms(
        "read",
        simulated_meter,
        "--json",
        "--repeat",
        "2",
        "--interval",
        "2.0",  # the meter (timeout 1 s) drops the idle association in between
        "--keep-open",
        "3/1.0.1.8.0.255/2",
    )
    assert result.returncode == 0, result.stderr
    assert [line["unit"] for line in _lines(result.stdout)] == ["Wh", "Wh"]
    other = await _dlms(
        "read", simulated_meter, "--json", "--server-physical", "18", "1/0.0.96.1.0.255/2"
    )
    assert other.returncode == 0, other.stderr
    assert _lines(other.stdout)[0]["value"] == {"type": "octet-string", "value": b"00000001".hex()}


@pytest.mark.skipif(not WRAPPER_RUNS, reason="scripts/dlms runs on the machine's own Python")
async def test_scripts_dlms_reads_a_serial_device_anywhere(
    socket_enabled: None, tmp_path: Path
) -> None:
    """The wrapper runs on this machine's Python, not in a root of its own: a serial device
    outside /dev (here a link in a temporary folder to the simulator's pseudo-terminal) and a
    relative path from another working directory are what they are here."""
    wrapper = str(ROOT / "scripts" / "dlms")
    process = await asyncio.create_subprocess_exec(
        wrapper, "simulate", "--pty", stdout=asyncio.subprocess.PIPE
    )
    try:
        assert process.stdout is not None
        async with asyncio.timeout(120):
            line = (await process.stdout.readline()).decode()
        assert line.startswith("serving on /dev/")
        (tmp_path / "ttyMETER").symlink_to(line.removeprefix("serving on ").strip())
        reader = await asyncio.create_subprocess_exec(
            wrapper,
            "read",
            "ttyMETER",
            "--json",
            "1-0:1.8.0*255",
            cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": ""},
        )
        async with asyncio.timeout(120):
            stdout, stderr = await reader.communicate()
        assert reader.returncode == 0, stderr.decode()
        (energy,) = _lines(stdout.decode())
        assert energy["unit"] == "Wh"
    finally:
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(20):
            assert await process.wait() == 0


WRITER = ["--client-address", "1", "--auth", "lls", "--password", "12345678"]


def _clock_json(seconds_ahead: float) -> str:
    when = datetime.datetime.now().astimezone() + datetime.timedelta(seconds=seconds_ahead)
    stamp = CosemDateTime.from_datetime(when.replace(microsecond=0))
    return json.dumps({"type": "octet-string", "value": stamp.to_bytes().hex()})


@pytest.mark.parametrize("simulator_options", [["--writable", "--password", "12345678"]])
async def test_write_call_and_sync_clock_as_a_user_would(simulated_meter: str) -> None:
    point = '{"type": "octet-string", "value": "4d502d31"}'
    done = await _dlms("write", simulated_meter, *WRITER, "1/0.0.96.1.10.255/2", point)
    assert (done.returncode, _lines(done.stdout)) == (
        0,
        [{"object": "1/0.0.96.1.10.255/2", "result": "success"}],
    )
    denied = await _dlms("write", simulated_meter, *WRITER, "1/0.0.96.1.0.255/2", point)
    assert (denied.returncode, _lines(denied.stdout)) == (
        1,
        [{"object": "1/0.0.96.1.0.255/2", "error": "read-write-denied"}],
    )
    bad = await _dlms("write", simulated_meter, *WRITER, "1/0.0.96.1.10.255/2", '{"type": "x"}')
    assert bad.returncode == 2
    assert "unknown A-XDR type" in bad.stderr

    switched = await _dlms(
        "call", simulated_meter, *WRITER, "70/0.0.96.3.10.255/1", '{"type": "integer", "value": 0}'
    )
    assert _lines(switched.stdout) == [
        {"object": "70/0.0.96.3.10.255/1", "result": "success", "return": None}
    ]
    state = await _dlms("read", simulated_meter, *WRITER, "--json", "70/0.0.96.3.10.255/2")
    assert _lines(state.stdout)[0]["value"] == {"type": "boolean", "value": False}
    unknown = await _dlms("call", simulated_meter, *WRITER, "70/0.0.96.3.10.255/9")
    assert (unknown.returncode, _lines(unknown.stdout)[0]["error"]) == (1, "object-unavailable")

    # A clock 8 s ahead is shifted back (waiting, if it must, for the load profile's
    # capture); one 50 minutes ahead, beyond a capture period, only with --allow-gap.
    for ahead, method in ((8, "shift_time"), (3000, "set")):
        skew = await _dlms(
            "write", simulated_meter, *WRITER, "8/0.0.1.0.0.255/2", _clock_json(ahead)
        )
        assert skew.returncode == 0, skew
        gap = ["--allow-gap"] if ahead > 900 else []
        if gap:
            refused = await _dlms("sync-clock", simulated_meter, *WRITER)
            assert refused.returncode == 1
            assert "capture period or more" in _lines(refused.stdout)[0]["error"]  # type: ignore[operator]
        synced = await _dlms("sync-clock", simulated_meter, *WRITER, *gap)
        assert synced.returncode == 0, synced
        (result,) = _lines(synced.stdout)
        assert result["method"] == method
        assert abs(float(result["offset_before_s"]) - ahead) < 3  # type: ignore[arg-type]
        assert abs(float(result["offset_after_s"])) < 3  # type: ignore[arg-type]
