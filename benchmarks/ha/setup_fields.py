"""What a newcomer types from "Add integration" to live sensors, and how long detection takes.

    scripts/py314 .venv/bin/python -m benchmarks.ha.setup_fields

A real Home Assistant (the test instance of pytest-homeassistant-custom-component) and the
simulators over real sockets and ptys (the pty push meter sends at its own speed: noise at
any other), with the detection's real facts (10 s per listen, 1.5 s per
address). For each meter the config flow is walked twice in the same run:

- "typed": "I know the settings" and the manual steps, as a user who knows the answers
  (the flow before detection existed is this path without its first choice);
- "found": the port alone, detection, then every later form as it comes.

A field counts when the user types into it or changes it from what the form offers
(the port always; the answers the manual path needs); a menu choice counts as a click.
Detection time is from submitting the port to the summary step.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from homeassistant import loader
from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import (  # type: ignore[import-untyped]
    async_test_home_assistant,
)

from custom_components.dlms.const import DOMAIN
from libdlms import SecurityKeys
from simulator import MeterSimulator
from simulator.pty import PtyMeterSimulator
from simulator.push import PtyPushSimulator, PushMeter, PushSettings, PushSimulator
from simulator.session import ServerSettings
from simulator.uart import UartSettings

EK = "000102030405060708090A0B0C0D0E0F"
PROGRESS_POLLS = 2400  # 0.05 s each: two minutes


@dataclass
class Walk:
    fields: int = 0
    clicks: int = 0
    detection_s: float | None = None
    steps: list[str] = field(default_factory=list)
    created: bool = False


async def _walk(
    hass: HomeAssistant, port: str, answers: dict[str, dict[str, Any]], menu: str | None
) -> Walk:
    """Walk one flow: the first step gets the port (and ``answers["user"]``), each later
    form ``answers.get(step_id, {})``; a menu gets ``menu``; progress steps are waited for."""
    walk = Walk()
    flows = hass.config_entries.flow
    result: Any = await flows.async_init(DOMAIN, context={"source": SOURCE_USER})
    flow_id: str = result["flow_id"]
    answer = {"port": port, **answers.get("user", {})}
    started = time.monotonic()
    while True:
        kind = result["type"]
        step = str(result.get("step_id"))
        if kind is FlowResultType.CREATE_ENTRY:
            walk.created = True
            await hass.config_entries.async_unload(result["result"].entry_id)
            await hass.config_entries.async_remove(result["result"].entry_id)
            return walk
        if kind is FlowResultType.MENU:
            walk.clicks += 1
            walk.steps.append(f"{step}:{menu}")
            result = await flows.async_configure(flow_id, {"next_step_id": menu})
            continue
        if kind is FlowResultType.SHOW_PROGRESS:
            for _ in range(PROGRESS_POLLS):  # until the progress task moved the flow on
                if flows.async_get(flow_id)["step_id"] != step:
                    break
                await asyncio.sleep(0.05)
            if step == "detect":
                walk.detection_s = time.monotonic() - started
            result = await flows.async_configure(flow_id)
            continue
        if kind is not FlowResultType.FORM or result["errors"]:
            raise RuntimeError(f"the flow stopped at {step}: {result}")
        if step != "user":
            answer = answers.get(step, {})
        walk.steps.append(step)
        # The port the first step took is offered again on the manual forms: not typed.
        walk.fields += sum(1 for key in answer if step == "user" or key != "port")
        if step == "user":
            started = time.monotonic()
        result = await flows.async_configure(flow_id, answer)


Start = Callable[[], Awaitable[tuple[str, Callable[[], Awaitable[None]]]]]


def _polled(settings: ServerSettings) -> Start:
    async def start() -> tuple[str, Callable[[], Awaitable[None]]]:
        sim = MeterSimulator(settings=settings)
        await sim.start()
        return sim.url, sim.stop

    return start


def _pushing(settings: PushSettings) -> Start:
    async def start() -> tuple[str, Callable[[], Awaitable[None]]]:
        sim = PushSimulator(PushMeter(settings=settings))
        await sim.start()
        return sim.url, sim.stop

    return start


def _polled_pty(settings: ServerSettings) -> Start:
    async def start() -> tuple[str, Callable[[], Awaitable[None]]]:
        sim = PtyMeterSimulator(settings=settings)
        await sim.start()
        return sim.path, sim.stop

    return start


def _pushing_pty(settings: PushSettings, line: UartSettings) -> Start:
    async def start() -> tuple[str, Callable[[], Awaitable[None]]]:
        sim = PtyPushSimulator(PushMeter(settings=settings), line=line)
        await sim.start()
        return sim.path, sim.stop

    return start


MANUAL = {"user": {"setup": "manual"}}
METERS: list[tuple[str, Start, dict[str, dict[str, Any]], str]] = [
    (
        "polled, public client, IDIS address 17 (AM550)",
        _polled(ServerSettings()),
        {**MANUAL, "connection": {"port": "…"}},
        "poll",
    ),
    (
        "polled, public client, physical 16, 4-byte addressing",
        _polled(ServerSettings(physical_address=16, address_size=4)),
        {
            **MANUAL,
            "connection": {"port": "…"},
            "addressing": {"server_physical_address": 16, "address_size": "4"},
        },
        "poll",
    ),
    (
        "polled, public client, mode E sign-on first",
        _polled(ServerSettings(mode_e=True)),
        {**MANUAL, "connection": {"port": "…", "mode_e": True}},
        "poll",
    ),
    (
        "push, plain HDLC every 2 s (Norway)",
        _pushing(PushSettings(framing="hdlc", interval=2.0)),
        {**MANUAL, "push": {"port": "…", "push_preset": "no_kamstrup"}},
        "push",
    ),
    (
        "push, encrypted M-Bus every 5 s (Austria)",
        _pushing(PushSettings(framing="mbus", interval=5.0, keys=SecurityKeys.from_hex(EK, None))),
        {
            **MANUAL,
            "push": {"port": "…", "push_preset": "at_mbus"},
            "push_keys": {"encryption_key": EK},
        },
        "push",
    ),
    (
        "polled, on a serial port (pty): one silent listen, then polling",
        _polled_pty(ServerSettings()),
        {**MANUAL, "connection": {"port": "…"}},
        "poll",
    ),
    (
        "push on a serial port (pty) at 115200 Bd, every 1 s: the last setting tried",
        _pushing_pty(PushSettings(framing="hdlc", interval=1.0), UartSettings(115200)),
        {**MANUAL, "push": {"port": "…", "push_preset": "ch_p1"}},
        "push",
    ),
]


async def measure() -> list[tuple[str, Walk, Walk]]:
    rows = []
    async with async_test_home_assistant() as hass:
        hass.data.pop(loader.DATA_CUSTOM_COMPONENTS, None)  # let custom_components load
        for name, start, manual, menu in METERS:
            url, stop = await start()
            try:
                typed_answers = {
                    step: {k: (url if v == "…" else v) for k, v in answer.items()}
                    for step, answer in manual.items()
                }
                typed = await _walk(hass, url, typed_answers, menu)
                found_answers = {"push_keys": manual["push_keys"]} if "push_keys" in manual else {}
                found = await _walk(hass, url, found_answers, None)
            finally:
                await stop()
            rows.append((name, typed, found))
    return rows


def main() -> int:
    rows = asyncio.run(measure())
    print("| meter | typed: fields, clicks | found: fields, clicks | detection |")
    print("|---|---|---|---|")
    for name, typed, found in rows:
        detection = f"{found.detection_s:.1f} s" if found.detection_s is not None else "-"
        print(
            f"| {name} | {typed.fields}, {typed.clicks} | {found.fields}, {found.clicks} "
            f"| {detection} |"
        )
    for name, typed, found in rows:
        print(f"{name}:\n  typed: {' > '.join(typed.steps)}\n  found: {' > '.join(found.steps)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
