"""Every real push capture, end to end from the bytes a meter sent, against what its source
states (tests/captures/push-captures.json; the check kinds are described in README.md there).

The bytes go through ``PushReceiver`` as a listener hands them over from the line: framing
found by itself (HDLC, segmented or carrying general block transfer, M-Bus long frames, the
LLC, bare APDUs), deciphered with the published keys, the payload decoded and named by its
format profile. The same bytes split at every byte boundary give the same notification.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from libdlms.cosem.clock import CosemDateTime
from libdlms.cosem.push.values import PushValue
from libdlms.errors import KeyRequired
from libdlms.security import SecurityKeys
from libdlms.session.push.events import (
    Notification,
    NotificationFailed,
    NotificationReceived,
    PushEvent,
)
from libdlms.session.push.receiver import PushReceiver

CAPTURES = Path(__file__).resolve().parents[1] / "captures" / "push-captures.json"
VECTORS: list[dict[str, Any]] = json.loads(CAPTURES.read_text(encoding="utf-8"))["vectors"]
CHECK_KINDS = {
    "obis",
    "obis_scaled",
    "leaf",
    "leaf_count",
    "contains_text",
    "datetime",
    "system_title",
    "invocation_counter",
    "security_byte",
    "invoke_id",
    "apdu_hex_prefix",
    "golden",
}


# ---------------------------------------------------------------------------- receiving


@dataclass
class Received:
    """What one capture carried, as far as it can be known."""

    security: dict[str, str]
    apdu: bytes | None = None
    long_invoke_id: int | None = None
    time: CosemDateTime | None = None
    payload: Notification | None = None


def _keys(vector: dict[str, Any]) -> SecurityKeys | None:
    keys = vector.get("keys")
    if not keys:
        return None
    return SecurityKeys.from_hex(keys["ek"], keys.get("ak"))


def notifications(vector: dict[str, Any], chunk: int = 0) -> list[PushEvent]:
    """The receiver's events for a capture's bytes, whole or ``chunk`` bytes at a time."""
    raw = bytes.fromhex(vector["hex"].replace(" ", ""))
    receiver = PushReceiver(keys=_keys(vector))
    events: list[PushEvent] = []
    for pos in range(0, len(raw), chunk or len(raw)):
        events += receiver.receive_data(raw[pos : pos + (chunk or len(raw))])
    return events + receiver.line_idle()


def _comparable(event: PushEvent) -> Any:
    if isinstance(event, NotificationReceived):
        return event.notification
    assert isinstance(event, NotificationFailed), event
    return event.to_json()


def receive(vector: dict[str, Any]) -> Received:
    """The capture through the push receiver, as a listener gets it from the line."""
    (event,) = notifications(vector)
    if isinstance(event, NotificationFailed):
        assert isinstance(event.error, KeyRequired), event
        assert not vector.get("keys")
        return Received(_security(event))
    assert isinstance(event, NotificationReceived), event
    notification = event.notification
    return Received(
        _security(notification),
        notification.apdu,
        notification.long_invoke_id,
        notification.time,
        notification,
    )


def _security(source: Notification | NotificationFailed) -> dict[str, str]:
    if source.security_control is None:
        return {}
    assert source.system_title is not None
    return {
        "system_title": source.system_title.hex().upper(),
        "invocation_counter": f"{source.frame_counter:08X}",
        "security_byte": f"{source.security_control:02X}",
    }


# ---------------------------------------------------------------------------- checks


def _as_source(value: Any) -> Any:
    """A value as the captures' sources write it (date-times without offset)."""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, Decimal):
        return float(value)
    return value


def _by_obis(values: tuple[PushValue, ...], code: str, *, match_cd: bool = False) -> PushValue:
    groups = code.split(".")
    found = [
        value
        for value in values
        if value.obis is not None
        and (
            value.obis.dotted.split(".")[2:5] == groups[2:5]
            if match_cd
            else value.obis.dotted == code
        )
    ]
    assert found, f"no value with OBIS {code}"
    return found[0]


def _close(actual: Any, expected: float, tol: float) -> bool:
    return isinstance(actual, int | float | Decimal) and abs(float(actual) - expected) <= tol


def _check_header(received: Received, spec: dict[str, Any]) -> None:
    what = spec["what"]
    if what in ("system_title", "invocation_counter", "security_byte"):
        assert received.security[what] == spec["value"].upper()
    elif what == "apdu_hex_prefix":
        assert received.apdu is not None
        assert received.apdu.hex().upper().startswith(spec["value"].upper())
    elif what == "invoke_id":
        assert f"{received.long_invoke_id:08X}" == spec["value"].upper()
    else:
        assert what == "datetime"
        assert received.time is not None
        assert _as_source(received.time.to_datetime()) == spec["equals"]


def _check_obis(values: tuple[PushValue, ...], spec: dict[str, Any]) -> None:
    assert _as_source(_by_obis(values, spec["obis"]).value) == spec["value"]


def _check_obis_scaled(values: tuple[PushValue, ...], spec: dict[str, Any]) -> None:
    value = _by_obis(values, spec["obis"], match_cd=spec.get("match_cd", False))
    scaler = spec.get("scaler", value.scaler or 0)
    assert isinstance(value.value, int | float)
    assert _close(value.value * 10.0**scaler, spec["expect"], spec["tol"]), value
    if "scaler" not in spec:
        assert value.scaled_value is not None
        assert _close(value.scaled_value, spec["expect"], spec["tol"]), value
    if "unit" in spec:
        assert value.unit_code == spec["unit"], value


def _check_leaf(values: tuple[PushValue, ...], spec: dict[str, Any]) -> None:
    (value,) = [item for item in values if item.position == spec["index"]]
    if "scale" not in spec:
        assert _as_source(value.value) == spec["value"], value
        return
    tol = spec.get("tol", 1e-6)
    assert isinstance(value.value, int | float)
    assert _close(value.value * 10.0 ** spec["scale"], spec["value"], tol), value
    # The format profile gives positional values the scaler their source applied.
    assert value.scaler == spec["scale"], value
    assert _close(value.scaled_value, spec["value"], tol), value


def _check_leaf_count(values: tuple[PushValue, ...], spec: dict[str, Any]) -> None:
    assert len(values) == spec["value"]


def _check_contains_text(values: tuple[PushValue, ...], spec: dict[str, Any]) -> None:
    assert any(isinstance(value.value, str) and spec["value"] in value.value for value in values)


def _check_golden(values: tuple[PushValue, ...], spec: dict[str, Any]) -> None:
    """A peer's field list mapped to OBIS value groups C.D.E: ``{"C.D.E": expected}``."""
    for cde, expected in spec["values"].items():
        value = _by_obis(values, f"0.0.{cde}.255", match_cd=True)
        actual = value.scaled_value if value.scaled_value is not None else value.value
        if isinstance(expected, int | float) and not isinstance(expected, bool):
            assert _close(actual, expected, spec.get("tol", 1e-6)), (cde, value)
        else:
            assert _as_source(actual) == expected, (cde, value)


_PAYLOAD_CHECKS = {
    "obis": _check_obis,
    "obis_scaled": _check_obis_scaled,
    "leaf": _check_leaf,
    "leaf_count": _check_leaf_count,
    "contains_text": _check_contains_text,
    "golden": _check_golden,
}


def check(received: Received, spec: dict[str, Any]) -> None:
    """One check of a capture's source against what was received."""
    what = spec["what"]
    assert what in CHECK_KINDS, f"unknown check {what}"
    if what not in _PAYLOAD_CHECKS:
        _check_header(received, spec)
        return
    assert received.payload is not None, "no payload decoded"
    _PAYLOAD_CHECKS[what](received.payload.values, spec)


# ---------------------------------------------------------------------------- tests

# The format profile each capture is picked for (None: the payload names its values itself).
PROFILES = {
    "dlmsparser-kaifa-ma304h3e-no-typed-datetime": "kaifa-no-list2-3phase",
    "dlmsparser-kamstrup-omnipower-dk-encrypted": "kamstrup-v0001",
    "dlmsparser-lg-e450-gbt-encrypted-1": "lg-e450-at",
    "dlmsparser-lg-e450-gbt-encrypted-2": "lg-e450-at",
    "amshan-kaifa-no-list1": "kaifa-no-list1",
    "amshan-kaifa-no-list2": "kaifa-no-list2-3phase",
    "amshan-kaifa-no-list3": "kaifa-no-list3-3phase",
    "amshan-kaifa-se-list": "kaifa-se",
    "amshan-kamstrup-no-1phase-list1-real": "kamstrup-v0001",
    "amshan-kamstrup-no-1phase-list2-real": "kamstrup-v0001",
    "amshan-kamstrup-se-3phase-real": "kamstrup-v0001",
    "amshan-hdlc-kaifa-7e-in-info": "kaifa-no-list1",
}


def test_every_check_kind_is_known() -> None:
    kinds = {spec["what"] for vector in VECTORS for spec in vector["checks"]}
    assert kinds <= CHECK_KINDS, kinds - CHECK_KINDS


@pytest.mark.parametrize("vector", VECTORS, ids=[vector["id"] for vector in VECTORS])
def test_capture(vector: dict[str, Any]) -> None:
    received = receive(vector)
    for spec in vector["checks"]:
        check(received, spec)
    if received.payload is not None:
        assert received.payload.profile == PROFILES.get(vector["id"])
        assert received.payload.values, "a body without values"
        positions = [value.position for value in received.payload.values]
        assert positions == list(range(len(positions)))
        json.dumps([value.to_json() for value in received.payload.values])
        json.dumps(received.payload.tree)
        json.dumps(received.payload.to_json())


@pytest.mark.parametrize("vector", VECTORS, ids=[vector["id"] for vector in VECTORS])
def test_capture_split_at_every_byte(vector: dict[str, Any]) -> None:
    whole = [_comparable(event) for event in notifications(vector)]
    assert [_comparable(event) for event in notifications(vector, chunk=1)] == whole
    assert [_comparable(event) for event in notifications(vector, chunk=7)] == whole


def _vector(vector_id: str) -> dict[str, Any]:
    (found,) = [vector for vector in VECTORS if vector["id"] == vector_id]
    return found


def test_check_kinds_without_a_vector_yet_work_and_can_fail() -> None:
    """``golden`` and ``match_cd`` appear in no vector today: run them on a real capture
    so a future vector that uses them meets working code."""
    received = receive(_vector("dlmsparser-aidon-se-3phase-tekniskaverken"))
    check(received, {"what": "golden", "values": {"1.7.0": 1122, "32.7.0": 230.7}, "tol": 0.01})
    check(
        received,
        {
            "what": "obis_scaled",
            "obis": "1.1.1.8.0.255",
            "expect": 10049926,
            "tol": 0.5,
            "match_cd": True,
        },
    )
    with pytest.raises(AssertionError):
        check(received, {"what": "golden", "values": {"1.7.0": 1123}})
    with pytest.raises(AssertionError):
        check(received, {"what": "obis_scaled", "obis": "1.1.1.8.0.255", "expect": 1, "tol": 0})


def test_a_wrong_expectation_fails() -> None:
    received = receive(_vector("amshan-kaifa-no-list3"))
    for spec in (
        {"what": "leaf", "index": 7, "value": 14.572, "scale": -3},
        {"what": "leaf_count", "value": 17},
        {"what": "datetime", "equals": "2020-01-25 14:00:11"},
        {"what": "invoke_id", "value": "40000001"},
        {"what": "contains_text", "value": "KFM_002"},
        {"what": "obis", "obis": "1.0.1.8.0.255", "value": 79591145},
    ):
        with pytest.raises(AssertionError):
            check(received, spec)
