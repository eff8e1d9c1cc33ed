"""The wire benchmark (benchmarks/poll_9600) still runs: one fast pass with no turnaround
and a very fast line. It measures; it asserts no timings."""

from __future__ import annotations

from benchmarks.poll_9600 import REFS, markdown, run_benchmark, svg, to_json


async def test_benchmark_runs_one_fast_pass(socket_enabled: None) -> None:
    report = await run_benchmark(baudrate=10_000_000, turnaround=0.0, polls=1)

    assert len(REFS) == 20
    assert [s.key for s in report.scenarios] == ["cold", "steady_session", "steady_kept"]
    for scenario in report.scenarios:
        (poll,) = scenario.client
        assert poll.bytes_to_meter > 0
        assert poll.bytes_to_client > 0
        # The limit is a lower bound of the same protocol: no client needs fewer answers.
        assert poll.round_trips >= scenario.limit.round_trips
    (simple,) = report.simple
    assert simple.round_trips >= 2 * len(REFS)  # a GET per value and per scaler_unit
    assert "simple way" in markdown(report)
    assert svg(report).startswith("<svg")
    assert set(to_json(report)["scenarios"]) == {"cold", "steady_session", "steady_kept"}
