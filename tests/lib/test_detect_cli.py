"""``dlms detect URL`` as a user runs it (a subprocess, the real command line) against the
simulators: the contract's JSON for a polled and a pushing meter, and for nothing found."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import pytest

from simulator import MeterSimulator
from simulator.push import PushMeter, PushSettings, PushSimulator
from simulator.session import ServerSettings

pytestmark = pytest.mark.usefixtures("socket_enabled")

POLL_KEYS = {
    "mode",
    "baudrate",
    "mode_e",
    "client_address",
    "server_logical",
    "server_physical",
    "address_size",
    "logical_device_name",
    "serial_number",
    "manufacturer",
    "objects",
}
PUSH_KEYS = {
    "mode",
    "baudrate",
    "parity",
    "framing",
    "encrypted",
    "system_title",
    "profile",
    "values",
}


async def _detect(*args: str) -> tuple[int, dict[str, Any], str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "libdlms",
        "detect",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    lines = out.decode().splitlines()
    assert len(lines) == 1, (out, err)
    assert process.returncode is not None
    return process.returncode, json.loads(lines[0]), err.decode()


async def test_a_polled_meter_found_with_physical_first() -> None:
    async with MeterSimulator(settings=ServerSettings(physical_address=866)) as sim:
        status, found, progress = await _detect(
            sim.url, "--seconds", "0.3", "--physical", "866", "-v"
        )
    assert status == 0
    assert set(found) == POLL_KEYS
    assert found["mode"] == "poll"
    assert (found["server_physical"], found["address_size"]) == (866, 4)
    assert (found["client_address"], found["server_logical"]) == (16, 1)
    assert found["baudrate"] is None  # a TCP bridge
    assert found["logical_device_name"] == "DLMSIM0012345678"
    assert found["manufacturer"] == "DLM"  # not in the FLAG list: the id itself
    assert found["serial_number"] == "12345678"
    assert found["objects"] > 5
    assert "listening at the bridge's speed" in progress


async def test_a_pushing_meter() -> None:
    sim = PushSimulator(PushMeter(settings=PushSettings(framing="mbus", interval=0.2)))
    await sim.start()
    try:
        status, found, _ = await _detect(sim.url, "--seconds", "3")
    finally:
        await sim.stop()
    assert status == 0
    assert set(found) == PUSH_KEYS
    assert (found["mode"], found["framing"], found["encrypted"]) == ("push", "mbus", False)
    assert found["values"] > 0


async def test_nothing_found_exits_1_with_what_was_tried() -> None:
    status, found, _ = await _detect("/dev/does-not-exist-dlms")
    assert status == 1
    assert set(found) == {"error", "tried"}
    (tried,) = found["tried"]
    assert tried["step"] == "listen"
    assert tried["baudrate"] == 2400
    assert tried["parity"] == "none"
    assert tried["result"].startswith("cannot open the port")
