"""``python -m libdlms decode`` prints what it printed before: the translator's JSON is a
contract (every key, every value, their order). ``decode_golden.json`` holds the command
lines (every published vector, each APDU kind, ciphered ones with and without keys,
captures, errors) with the exit status and the JSON line they gave.

A deliberate change of the output is made by editing the expected output in that file by
hand, so that the diff shows it; ``python -m tests.lib.test_decode_golden --add`` only fills
in the output of cases added without one.
"""

from __future__ import annotations

import io
import json
import sys
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import pytest

from libdlms.cli.app import main

GOLDEN = Path(__file__).with_name("decode_golden.json")


def _cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = json.loads(GOLDEN.read_text(encoding="utf-8"))
    return cases


def _run(args: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    with redirect_stdout(out):
        status = main(args)
    return status, out.getvalue()


@pytest.mark.parametrize("case", [pytest.param(c, id=c["name"]) for c in _cases()])
def test_decode_prints_what_it_printed(case: dict[str, Any]) -> None:
    status, printed = _run(case["args"])
    assert printed.endswith("\n")
    assert printed.count("\n") == 1
    assert printed[:-1] == json.dumps(case["output"])
    assert status == case["exit"]


def _add() -> None:
    cases = _cases()
    for case in cases:
        if "output" not in case:
            status, printed = _run(case["args"])
            case["exit"], case["output"] = status, json.loads(printed)
    GOLDEN.write_text(json.dumps(cases, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    if sys.argv[1:] != ["--add"]:
        raise SystemExit("usage: python -m tests.lib.test_decode_golden --add")
    _add()
