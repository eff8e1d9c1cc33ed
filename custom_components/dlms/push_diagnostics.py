"""Diagnostics of a push meter: the entry (keys redacted), what the listener saw and the
last few frames with their decode, the meter's serial number and system title redacted
everywhere (in the raw bytes too), so a user can share an unknown payload's tree."""

from __future__ import annotations

from typing import Any, Final

from homeassistant.components.diagnostics import REDACTED, async_redact_data

from .const import CONF_AUTHENTICATION_KEY, CONF_ENCRYPTION_KEY
from .libdlms import Notification
from .push_coordinator import PushCoordinator
from .push_state import METER_ID_OBIS

TO_REDACT: Final = {CONF_ENCRYPTION_KEY, CONF_AUTHENTICATION_KEY, "meter_id", "system_title"}
_METER_IDS: Final = {obis.dotted for obis in METER_ID_OBIS}


def _secrets(coordinator: PushCoordinator) -> list[str]:
    """What must not appear in the frames: the meter id as text and as the bytes that carry
    it, the system title as hex, the entry's unique id."""
    info = coordinator.state.info
    texts = [t for t in (info.meter_id, info.system_title, coordinator.config_entry.unique_id) if t]
    secrets = {text.upper() for text in texts}
    secrets |= {text.encode().hex().upper() for text in texts}
    return sorted(secrets, key=len, reverse=True)


def _scrub(value: Any, secrets: list[str]) -> Any:
    if isinstance(value, dict):
        if value.get("obis") in _METER_IDS:
            return {**value, "value": REDACTED}
        return {key: _scrub(item, secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub(item, secrets) for item in value]
    if isinstance(value, str):
        scrubbed = value
        for secret in secrets:
            if len(secret) >= 4:
                scrubbed = scrubbed.replace(secret, REDACTED).replace(secret.lower(), REDACTED)
        return scrubbed
    return value


def _frame(frame: dict[str, Any]) -> dict[str, Any]:
    """One kept frame as JSON: the bytes, the notification as ``listen`` prints it, and for a
    notification its decoded tree (what a user shares when the layout is unknown)."""
    decoded = frame["decode"]
    out = {
        **frame,
        "received": frame["received"].isoformat(),
        "raw": frame["raw"].hex().upper(),
        "decode": decoded.to_json(),
    }
    if isinstance(decoded, Notification):
        out["tree"] = decoded.tree
    return out


def push_diagnostics(coordinator: PushCoordinator) -> dict[str, Any]:
    entry = coordinator.config_entry
    state = coordinator.state
    secrets = _secrets(coordinator)
    frames = [_frame(frame) for frame in coordinator.frames]
    scrubbed: dict[str, Any] = _scrub(
        {
            "entry": {
                "title": entry.title,
                "unique_id": REDACTED,
                "version": f"{entry.version}.{entry.minor_version}",
                "data": async_redact_data(dict(entry.data), TO_REDACT),
                "options": dict(entry.options),
            },
            "listener": {
                "connected": coordinator.connected,
                "available": coordinator.last_update_success,
                "last_error": coordinator.last_error,
                "counts": dict(coordinator.counts),
                "push_interval": state.interval,
                "silence_timeout": state.silence_timeout,
            },
            "meter": async_redact_data(
                {
                    "meter_id": state.info.meter_id,
                    "meter_type": state.info.meter_type,
                    "list_version": state.info.list_version,
                    "manufacturer": state.info.manufacturer,
                    "system_title": state.info.system_title,
                },
                TO_REDACT,
            ),
            "frames": frames,
            "data": {
                key: {
                    "value": None if value.value is None else str(value.value),
                    "unit": value.unit,
                    "scaler": value.scaler,
                    "obis": key,
                }
                for key, value in state.data.items()
            },
        },
        secrets,
    )
    return scrubbed
