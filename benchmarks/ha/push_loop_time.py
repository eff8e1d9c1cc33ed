"""How much of Home Assistant's event-loop time one pushed notification costs, from the bytes
on the line to the entity states written.

    scripts/py314 .venv/bin/python -m benchmarks.ha.push_loop_time [--notifications 300]
        [--changing 40]

A real Home Assistant (the test instance of pytest-homeassistant-custom-component, the same
as the tests use) with a push entry of 40 sensors: a 40-value list ({OBIS, value,
scaler_unit}, HDLC, segmented over 7 frames as the simulator sends it) whose values all change
with every notification (the worst case; ``--changing N``: only N of them, as on a meter whose
energy registers move slowly). Per notification, ``time.thread_time()`` of the loop's thread around:
the bytes through the integration's ``PushReceiver`` (framing, reassembly, payload, profile),
the push coordinator's handling (energy guard, silence timer, publishing) and
``async_block_till_done()`` (every sensor writing its state, the state machine's events).
That is the CPU Home Assistant's loop cannot spend on anything else. The recorder is not
loaded (it writes in its own thread).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

from homeassistant import loader
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import (  # type: ignore[import-untyped]
    MockConfigEntry,
    async_test_home_assistant,
)

from custom_components.dlms.const import DOMAIN
from custom_components.dlms.libdlms import (
    Data,
    DataType,
    NotificationReceived,
    Obis,
    PushReceiver,
)
from custom_components.dlms.libdlms.codecs.xdlms import DataNotification
from custom_components.dlms.push_coordinator import PushCoordinator
from custom_components.dlms.push_flow import value_spec
from simulator.push import hdlc_frames

VALUES = 40
SERIAL = "40VALUES"


def notification_bytes(step: int, changing: int = VALUES) -> bytes:
    """40 registers (energy, power, voltage, current... in C groups 1..40); the last
    ``changing`` of them change with every notification, the others repeat."""
    items = [
        Data(
            DataType.STRUCTURE,
            [
                Data(DataType.OCTET_STRING, Obis(1, 0, n, 8 if n <= 4 else 7, 0, 255).to_bytes()),
                Data(
                    DataType.DOUBLE_LONG_UNSIGNED,
                    100_000 * n + (step if n > VALUES - changing else 0),
                ),
                Data(
                    DataType.STRUCTURE,
                    [Data(DataType.INTEGER, 0), Data(DataType.ENUM, 30 if n <= 4 else 27)],
                ),
            ],
        )
        for n in range(1, VALUES + 1)
    ]
    body = Data(
        DataType.STRUCTURE,
        [
            Data(
                DataType.STRUCTURE,
                [
                    Data(DataType.OCTET_STRING, Obis(0, 0, 96, 1, 0, 255).to_bytes()),
                    Data(DataType.OCTET_STRING, SERIAL.encode()),
                ],
            ),
            Data(DataType.ARRAY, items),
        ],
    )
    apdu = DataNotification(step, None, body).encode()
    return b"".join(hdlc_frames(apdu, max_info_length=128))


async def measure(hass: HomeAssistant, notifications: int, changing: int) -> dict[str, Any]:
    hass.data.pop(loader.DATA_CUSTOM_COMPONENTS, None)  # let custom_components load
    receiver = PushReceiver()
    (first,) = [
        event.notification
        for event in receiver.receive_data(notification_bytes(0))
        if isinstance(event, NotificationReceived)
    ]
    specs = [value_spec(value) for value in first.values]
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=f"Meter {SERIAL}",
        unique_id=SERIAL,
        data={
            "mode": "push",
            "port": "socket://127.0.0.1:1",
            "baudrate": 2400,
            "parity": "none",
            "values": specs,
            "sensors": [spec["key"] for spec in specs if spec["key"] != "0.0.96.1.0.255"],
            "meter": {"meter_id": SERIAL},
        },
        version=1,
        minor_version=2,
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    coordinator = entry.runtime_data.coordinator
    assert isinstance(coordinator, PushCoordinator)
    sensors = len(hass.states.async_entity_ids("sensor"))
    samples = []
    for step in range(1, notifications + 1):
        raw = notification_bytes(step, changing)
        start = time.thread_time()
        for event in receiver.receive_data(raw):
            coordinator.handle_event(event)
        await hass.async_block_till_done()
        samples.append((time.thread_time() - start) * 1000)
    states = hass.states.async_all("sensor")
    changed = sum(state.state not in ("unknown", "unavailable") for state in states)
    await hass.config_entries.async_unload(entry.entry_id)
    samples.sort()
    return {
        "sensors": sensors,
        "with_values": changed,
        "median_ms": statistics.median(samples),
        "p95_ms": samples[int(len(samples) * 0.95) - 1],
    }


async def run(notifications: int, changing: int) -> dict[str, Any]:
    async with async_test_home_assistant() as hass:
        return await measure(hass, notifications, changing)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notifications", type=int, default=300)
    parser.add_argument(
        "--changing", type=int, default=VALUES, help="values that change every time (40: all)"
    )
    args = parser.parse_args()
    result = asyncio.run(run(args.notifications, args.changing))
    print(
        f"{VALUES}-value notification ({args.changing} changing), bytes to "
        f"{result['sensors']} entity states ({result['with_values']} with values): median "
        f"{result['median_ms']:.2f} ms, p95 {result['p95_ms']:.2f} ms of event-loop CPU"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
