"""How much event-loop time one poll of 20 registers costs the client.

    scripts/py314 .venv/bin/python -m benchmarks.loop_time [--polls 200]

The meter simulator runs in a thread with a loop of its own; the client runs on the main
thread's loop, as it does inside Home Assistant. ``time.thread_time()`` of the main thread
around each poll is therefore the CPU the client spent in the event loop (codecs, state
machines, serialx): the time Home Assistant's loop cannot do anything else. Wall time per
poll is shown beside it (it includes the simulator's and the kernel's share).

Two polls are measured: the steady state of the integration (a new session per poll,
scaler_units cached: SNRM, AARQ, one GET with-list, RLRQ, DISC) and a kept session (one
GET with-list).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import threading
import time
from collections.abc import Awaitable, Callable

from libdlms import ClientSettings, DlmsClient, KeptSession, MeterReader, SerialTransport
from simulator import MeterSimulator

from .poll_9600 import REFS, make_meter


class SimulatorThread:
    """The simulator on its own loop in a thread, so that it costs the client nothing."""

    def __init__(self) -> None:
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self.url = ""
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> SimulatorThread:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the simulator did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._loop is not None
        assert self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    def _run(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with MeterSimulator(make_meter()) as sim:
            self.url = sim.url
            self._ready.set()
            await self._stop.wait()


async def _measure(
    poll: Callable[[], Awaitable[object]], polls: int
) -> tuple[list[float], list[float]]:
    cpu: list[float] = []
    wall: list[float] = []
    for _ in range(polls):
        cpu_start, wall_start = time.thread_time(), time.perf_counter()
        await poll()
        cpu.append(time.thread_time() - cpu_start)
        wall.append(time.perf_counter() - wall_start)
    return cpu, wall


async def run(polls: int) -> list[tuple[str, list[float], list[float]]]:
    with SimulatorThread() as sim:
        reader = MeterReader()
        settings = ClientSettings()

        async def new_session_poll() -> None:
            async with DlmsClient(SerialTransport(sim.url), settings) as client:
                readings = await reader.read(client, REFS)
            assert all(r.error is None for r in readings)

        await new_session_poll()  # scaler_units cached from here on
        results = [("new session per poll", *await _measure(new_session_poll, polls))]

        kept = KeptSession(lambda: DlmsClient(SerialTransport(sim.url), settings))

        async def kept_poll() -> None:
            await kept.run(lambda client: reader.read(client, REFS))

        await kept_poll()
        try:
            results.append(("session kept open", *await _measure(kept_poll, polls)))
        finally:
            await kept.close()
        return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.loop_time", description=__doc__)
    parser.add_argument("--polls", type=int, default=200)
    args = parser.parse_args(argv)
    print(f"event-loop CPU per poll of {len(REFS)} registers ({args.polls} polls each)")
    print("| poll | loop CPU median | loop CPU p95 | wall median |")
    print("|---|---|---|---|")
    for label, cpu, wall in asyncio.run(run(args.polls)):
        p95 = statistics.quantiles(cpu, n=20)[-1]
        print(
            f"| {label} | {statistics.median(cpu) * 1000:.2f} ms | {p95 * 1000:.2f} ms "
            f"| {statistics.median(wall) * 1000:.2f} ms |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
