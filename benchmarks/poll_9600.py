"""A poll of 20 registers over an emulated 9600 Bd optical link, against the physical limit.

    scripts/py314 .venv/bin/python -m benchmarks.poll_9600 [--turnaround-ms 50] [--polls N]
        [--baud 9600] [--save]

Scenarios (each measured on the modelled wire, first byte to last byte):

* cold: a new session (SNRM, AARQ), the scaler_units and the values of 20 registers, release;
* steady, new session: the scaler_units are cached (``MeterReader``), a session per poll;
* steady, kept session: the scaler_units are cached and the association stays open between
  polls (``KeptSession``): a poll is the GETs only;
* simple way (the baseline): per poll a new ``DlmsClient`` and, for every register, one GET
  of its value and one GET of its scaler_unit: 40 GETs and a new association every poll.

The limit of each scenario is computed by ``benchmarks.limit`` (its docstring states the
model); the line by ``benchmarks.line``. ``--save`` writes ``benchmarks/results/poll_9600.json``
and ``.md`` and the plot ``docs/benchmark-poll-9600.svg``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from libdlms import (
    AttributeDescriptor,
    ClientSettings,
    Data,
    DataType,
    DlmsClient,
    KeptSession,
    MeterReader,
    Obis,
    ObjectReading,
    SerialTransport,
)
from simulator import MeterSimulator, SimulatedMeter
from simulator.meter import CosemObject

from .limit import Limit, physical_limit
from .line import LineProxy, WireStats

ROOT = Path(__file__).resolve().parent.parent
REGISTER = 3
# Unit codes (IEC 62056-6-2).
WH, VARH, W, V, A, COUNT = 30, 32, 27, 35, 33, 255

# The simulator's seven registers, plus thirteen more of a three-phase meter's usual set.
SIMULATOR_REGISTERS = (
    "1.0.1.8.0.255",
    "1.0.2.8.0.255",
    "1.0.1.7.0.255",
    "1.0.2.7.0.255",
    "1.0.32.7.0.255",
    "1.0.31.7.0.255",
    "1.0.14.7.0.255",
)
EXTRA_REGISTERS: tuple[tuple[str, DataType, int, int, int], ...] = (
    # obis, type, value, scaler, unit
    ("1.0.1.8.1.255", DataType.DOUBLE_LONG_UNSIGNED, 823_411, 0, WH),
    ("1.0.1.8.2.255", DataType.DOUBLE_LONG_UNSIGNED, 411_156, 0, WH),
    ("1.0.2.8.1.255", DataType.DOUBLE_LONG_UNSIGNED, 30_452, 0, WH),
    ("1.0.2.8.2.255", DataType.DOUBLE_LONG_UNSIGNED, 15_226, 0, WH),
    ("1.0.3.8.0.255", DataType.DOUBLE_LONG_UNSIGNED, 98_765, 0, VARH),
    ("1.0.21.7.0.255", DataType.DOUBLE_LONG_UNSIGNED, 512, 0, W),
    ("1.0.41.7.0.255", DataType.DOUBLE_LONG_UNSIGNED, 488, 0, W),
    ("1.0.61.7.0.255", DataType.DOUBLE_LONG_UNSIGNED, 500, 0, W),
    ("1.0.52.7.0.255", DataType.LONG_UNSIGNED, 2_312, -1, V),
    ("1.0.72.7.0.255", DataType.LONG_UNSIGNED, 2_297, -1, V),
    ("1.0.51.7.0.255", DataType.LONG_UNSIGNED, 212, -2, A),
    ("1.0.71.7.0.255", DataType.LONG_UNSIGNED, 218, -2, A),
    ("1.0.13.7.0.255", DataType.LONG, 987, -3, COUNT),
)
REFS = tuple(
    AttributeDescriptor(REGISTER, Obis.parse(obis))
    for obis in (*SIMULATOR_REGISTERS, *(extra[0] for extra in EXTRA_REGISTERS))
)


def _constant(data: Data) -> Callable[[], Data]:
    return lambda: data


def make_meter() -> SimulatedMeter:
    """The simulator's meter with 20 registers."""
    meter = SimulatedMeter()
    for obis, kind, value, scaler, unit in EXTRA_REGISTERS:
        code = Obis.parse(obis)
        scaler_unit = Data(
            DataType.STRUCTURE, [Data(DataType.INTEGER, scaler), Data(DataType.ENUM, unit)]
        )
        meter.objects[code] = CosemObject(
            REGISTER,
            code,
            {
                1: _constant(Data(DataType.OCTET_STRING, code.to_bytes())),
                2: _constant(Data(kind, value)),
                3: _constant(scaler_unit),
            },
        )
    return meter


# ---------------------------------------------------------------------- measurement


@dataclass
class Scenario:
    key: str
    title: str
    client: list[WireStats]
    limit: Limit

    @property
    def median(self) -> WireStats:
        """The poll with the median wall time (the model is the same for every poll)."""
        ordered = sorted(self.client, key=lambda s: s.wall_seconds)
        return ordered[(len(ordered) - 1) // 2]


@dataclass
class Report:
    baudrate: int
    turnaround: float
    polls: int
    scenarios: list[Scenario]
    simple: list[WireStats]

    @property
    def simple_median(self) -> WireStats:
        ordered = sorted(self.simple, key=lambda s: s.wall_seconds)
        return ordered[(len(ordered) - 1) // 2]


def _check(readings: list[ObjectReading], count: int) -> None:
    errors = [r.error for r in readings if r.error or r.scaler_unit is None]
    if len(readings) != count or errors:
        raise RuntimeError(f"the poll failed: {errors}")


async def _simple_poll(client: DlmsClient) -> None:
    for ref in REFS:
        value = await client.get(ref)
        scaler_unit = await client.get(AttributeDescriptor(REGISTER, ref.instance, 3))
        if value.type is DataType.NULL_DATA or scaler_unit.type is not DataType.STRUCTURE:
            raise RuntimeError(f"{ref}: unexpected answer")


async def run_benchmark(
    *, baudrate: int = 9600, turnaround: float = 0.050, polls: int = 5
) -> Report:
    byte_time = 10 / baudrate
    values = [ref for ref in REFS]
    scalers = [AttributeDescriptor(REGISTER, ref.instance, 3) for ref in REFS]
    interleaved = [d for pair in zip(scalers, values, strict=True) for d in pair]

    def limit(orders: list[list[AttributeDescriptor]], session: bool) -> Limit:
        return physical_limit(
            make_meter, orders, session=session, byte_time=byte_time, turnaround=turnaround
        )

    cold_limit = limit([scalers + values, interleaved], True)
    steady_session_limit = limit([values], True)
    steady_kept_limit = limit([values], False)

    meter = make_meter()
    async with (
        MeterSimulator(meter) as simulator,
        LineProxy("127.0.0.1", simulator.port, baudrate=baudrate, turnaround=turnaround) as line,
    ):
        settings = ClientSettings(response_timeout=max(5.0, 20 * turnaround))

        def make_client() -> DlmsClient:
            return DlmsClient(SerialTransport(line.url, baudrate=baudrate), settings)

        reader = MeterReader()
        # Cold start: nothing known, a session of its own.
        line.begin()
        async with make_client() as client:
            _check(await reader.read(client, REFS), len(REFS))
        cold = [line.end()]
        if len(reader.scaler_units) != len(REFS):
            raise RuntimeError("the cold poll did not cache every scaler_unit")

        # Steady state, a new session every poll.
        steady_session = []
        for _ in range(polls):
            line.begin()
            async with make_client() as client:
                _check(await reader.read(client, REFS), len(REFS))
            steady_session.append(line.end())

        # Steady state, the session kept open (opened before the measured polls).
        kept = KeptSession(make_client)
        steady_kept = []
        try:
            await kept.run(lambda client: reader.read(client, REFS))
            for _ in range(polls):
                line.begin()
                _check(await kept.run(lambda client: reader.read(client, REFS)), len(REFS))
                steady_kept.append(line.end())
            if kept.reopened:
                raise RuntimeError("the kept session was dropped during the benchmark")
        finally:
            await kept.close()

        # The simple way: a GET per attribute, everything every time, a session per poll.
        simple = []
        for _ in range(polls):
            line.begin()
            async with make_client() as client:
                await _simple_poll(client)
            simple.append(line.end())

    scenarios = [
        Scenario("cold", "cold start (scaler_units + values)", cold, cold_limit),
        Scenario(
            "steady_session",
            "steady state, new session per poll",
            steady_session,
            steady_session_limit,
        ),
        Scenario("steady_kept", "steady state, session kept open", steady_kept, steady_kept_limit),
    ]
    return Report(baudrate, turnaround, polls, scenarios, simple)


# ---------------------------------------------------------------------- output


def _stats_row(label: str, stats: WireStats, limit: float) -> str:
    wall = f"{stats.wall_seconds:.3f}"
    return (
        f"| {label} | {stats.bytes_to_meter} / {stats.bytes_to_client} | "
        f"{stats.frames_to_meter} / {stats.frames_to_client} | {stats.rr_to_meter} / "
        f"{stats.rr_to_client} | {stats.round_trips} | {stats.model_seconds:.3f} | {wall} | "
        f"{stats.model_seconds / limit:.2f}x |"
    )


def markdown(report: Report) -> str:
    simple = report.simple_median
    lines = [
        f"{report.baudrate} Bd 8N1 half-duplex, meter turnaround "
        f"{report.turnaround * 1000:g} ms, 20 registers, {report.polls} polls per steady "
        "scenario (median by wall time; the model is the same every poll).",
        "",
        "| scenario | way | bytes → meter / → client | frames → / ← | RR → / ← | "
        "round trips | wire s (model) | wire s (wall) | x limit |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for scenario in report.scenarios:
        lim = scenario.limit
        lines.append(
            f"| {scenario.title} | limit (batches {'+'.join(map(str, lim.batches))}) | "
            f"{lim.bytes_to_meter} / {lim.bytes_to_client} | | | {lim.round_trips} | "
            f"{lim.seconds:.3f} | | 1.00x |"
        )
        lines.append(_stats_row(f"{scenario.title} | client", scenario.median, lim.seconds))
        lines.append(_stats_row(f"{scenario.title} | simple way", simple, lim.seconds))
    lines += [
        "",
        "| scenario | limit s | client s | simple way s | client / limit | "
        "simple / client | simple / limit |",
        "|---|---|---|---|---|---|---|",
    ]
    for scenario in report.scenarios:
        client = scenario.median.model_seconds
        bound = scenario.limit.seconds
        lines.append(
            f"| {scenario.title} | {bound:.3f} | {client:.3f} | {simple.model_seconds:.3f} | "
            f"{client / bound:.2f}x | {simple.model_seconds / client:.2f}x | "
            f"{simple.model_seconds / bound:.2f}x |"
        )
    return "\n".join(lines) + "\n"


def to_json(report: Report) -> dict[str, Any]:
    def stats(s: WireStats) -> dict[str, Any]:
        data = asdict(s)
        data.pop("_wall_first", None)
        return data

    return {
        "baudrate": report.baudrate,
        "turnaround_s": report.turnaround,
        "polls": report.polls,
        "scenarios": {
            s.key: {
                "title": s.title,
                "limit": asdict(s.limit),
                "client_median": stats(s.median),
                "client_polls": [stats(p) for p in s.client],
            }
            for s in report.scenarios
        },
        "simple_median": stats(report.simple_median),
        "simple_polls": [stats(p) for p in report.simple],
    }


def svg(report: Report) -> str:
    """Horizontal bars: limit, client and simple way per scenario, model seconds."""
    simple = report.simple_median.model_seconds
    top = max([simple] + [s.median.model_seconds for s in report.scenarios])
    width, left, right, bar, gap = 760, 100, 250, 18, 4
    scale = (width - left - right) / top
    colours = {"limit": "#4c956c", "client": "#2c6e9b", "simple way": "#c8553d"}
    rows: list[str] = []
    y = 44
    for scenario in report.scenarios:
        rows.append(f'<text x="10" y="{y + 12}" font-weight="bold">{scenario.title}</text>')
        y += 20
        lim = scenario.limit.seconds
        client = scenario.median.model_seconds
        for name, value in (("limit", lim), ("client", client), ("simple way", simple)):
            length = max(1.0, value * scale)
            note = f"{value:.2f} s, {value / lim:.2f}x limit"
            if name == "client":
                note += f", {simple / value:.1f}x faster than simple"
            rows.append(
                f'<rect x="{left}" y="{y}" width="{length:.1f}" height="{bar}" '
                f'fill="{colours[name]}"/>'
            )
            rows.append(f'<text x="{left - 6}" y="{y + bar - 5}" text-anchor="end">{name}</text>')
            rows.append(f'<text x="{left + length + 6:.1f}" y="{y + bar - 5}">{note}</text>')
            y += bar + gap
        y += 14
    ticks = []
    step = next(
        mantissa * 10.0**exponent
        for exponent in range(-4, 4)
        for mantissa in (1, 2, 5)
        if top / (mantissa * 10.0**exponent) <= 10
    )
    tick = 0.0
    while tick <= top + 1e-9:
        x = left + tick * scale
        ticks.append(
            f'<line x1="{x:.1f}" y1="40" x2="{x:.1f}" y2="{y - 6}" stroke="#ddd"/>'
            f'<text x="{x:.1f}" y="{y + 6}" text-anchor="middle">{round(tick, 6):g}</text>'
        )
        tick += step
    height = y + 30
    title = (
        f"20-register poll on the wire: {report.baudrate} Bd 8N1 half-duplex, "
        f"{report.turnaround * 1000:g} ms meter turnaround"
    )
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
            f'<rect width="{width}" height="{height}" fill="white"/>',
            f'<text x="10" y="22" font-size="14" font-weight="bold">{title}</text>',
            *ticks,
            *rows,
            f'<text x="{left + (width - left - right) / 2:.0f}" y="{y + 22}" '
            'text-anchor="middle">seconds on the wire, first byte to last (model)</text>',
            "</svg>",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.poll_9600", description=__doc__)
    parser.add_argument("--turnaround-ms", type=float, default=50.0, help="meter turnaround")
    parser.add_argument("--polls", type=int, default=5, help="polls per steady scenario")
    parser.add_argument("--baud", type=int, default=9600, help="line rate (8N1)")
    parser.add_argument(
        "--save", action="store_true", help="write benchmarks/results/ and docs/ outputs"
    )
    args = parser.parse_args(argv)
    if args.polls < 1 or args.baud < 1 or args.turnaround_ms < 0:
        parser.error("--polls and --baud must be positive, --turnaround-ms not negative")
    report = asyncio.run(
        run_benchmark(baudrate=args.baud, turnaround=args.turnaround_ms / 1000, polls=args.polls)
    )
    table = markdown(report)
    sys.stdout.write(table)
    if args.save:
        results = ROOT / "benchmarks" / "results"
        results.mkdir(parents=True, exist_ok=True)
        (results / "poll_9600.json").write_text(json.dumps(to_json(report), indent=2) + "\n")
        (results / "poll_9600.md").write_text(table)
        (ROOT / "docs" / "benchmark-poll-9600.svg").write_text(svg(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
