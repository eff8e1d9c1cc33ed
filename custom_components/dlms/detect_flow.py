"""The config flow's detection path: its forms, the detection run under the port lock, and
what a detection turns into (entry data, the summary's placeholders).

The flow asks for the port and whether to find the settings (the default); detection runs
as a progress step, and a summary step says what was found before the next steps, filled
in, ask only for what detection cannot know: for a polled meter, what the user wants
beyond the public client (another client, its password or keys); for a push meter, the
keys when its frames are encrypted. The library does the detecting (``libdlms.Detector``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import probatio
from homeassistant.const import CONF_PORT
from homeassistant.core import HomeAssistant
from homeassistant.helpers.selector import (
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    SerialPortSelector,
)

from .client_factory import port_lock
from .const import (
    ADDRESS_SIZE_AUTO,
    AUTH_NONE,
    CONF_ADDRESS_SIZE,
    CONF_AUTHENTICATION,
    CONF_BAUDRATE,
    CONF_CLIENT_ADDRESS,
    CONF_CLIENT_ADDRESS_PRESET,
    CONF_MODE,
    CONF_MODE_E,
    CONF_MODEL,
    CONF_PARITY,
    CONF_SECURITY_POLICY,
    CONF_SERVER_LOGICAL_ADDRESS,
    CONF_SERVER_PHYSICAL_ADDRESS,
    DEFAULT_SERVER_PHYSICAL_ADDRESS,
    LOGGER,
    MODE_PUSH,
    POLICY_NONE,
    PUBLIC_CLIENT_ADDRESS,
    PUSH_BAUDRATE,
)
from .flow_schemas import ADDRESSING_SCHEMA, SECURITY_SCHEMA
from .libdlms import (
    Detection,
    Detector,
    NothingDetected,
    Obis,
    PollDetected,
    PushDetected,
    StreamKind,
    load_detection_facts,
    preset_addresses,
)

CONF_SETUP: Final = "setup"  # form field only: find the settings, or type them
SETUP_DETECT: Final = "detect"
SETUP_MANUAL: Final = "manual"

START_SCHEMA = probatio.Schema(
    {
        probatio.Required(CONF_PORT): SerialPortSelector(),
        probatio.Required(CONF_SETUP, default=SETUP_DETECT): SelectSelector(
            SelectSelectorConfig(
                options=[SETUP_DETECT, SETUP_MANUAL],
                mode=SelectSelectorMode.LIST,
                translation_key=CONF_SETUP,
            )
        ),
    }
)

# The error a detection that found nothing shows on its summary, by what it recognised.
NOTHING_ERRORS: Final[dict[StreamKind | None, str]] = {
    StreamKind.DSMR: "push_dsmr",
    StreamKind.SML: "push_not_dlms",
    StreamKind.IEC62056_21: "push_not_dlms",
    None: "detect_nothing",
}
MAX_TRIED_SHOWN: Final = 12


async def async_detect(
    hass: HomeAssistant, port: str, progress: Callable[[str], None]
) -> Detection:
    """Detect the meter on ``port`` (under the port's lock: no entry's session meanwhile).
    Never raises for what the port or the line did: that is a ``NothingDetected``."""
    facts = await hass.async_add_executor_job(load_detection_facts)
    presets = await hass.async_add_executor_job(preset_addresses)
    async with port_lock(hass, port):
        detector = Detector(port, facts=facts, presets=presets, progress=progress)
        try:
            return await detector.run()
        except Exception as err:  # a detection must end in a result the form can show
            LOGGER.exception("Detection on %s failed unexpectedly", port)
            return NothingDetected(str(err) or type(err).__name__, tuple(detector.tried), 0.0)


def poll_data(port: str, found: PollDetected) -> dict[str, Any]:
    """The connection and addressing a polled meter answered with (the public client)."""
    line = found.line
    candidate = found.candidate  # None over the DLMS wrapper: the wPort is the address
    physical = candidate.physical if candidate else None
    model = {CONF_MODEL: found.identification} if found.identification else {}
    return model | {
        CONF_PORT: port,
        # With mode E the line starts at 300 Bd; this is then the fastest speed accepted.
        CONF_BAUDRATE: line.baudrate if line else 9600,
        CONF_MODE_E: found.mode_e,
        CONF_CLIENT_ADDRESS: found.client_address,
        CONF_SERVER_LOGICAL_ADDRESS: found.server_logical,
        CONF_SERVER_PHYSICAL_ADDRESS: DEFAULT_SERVER_PHYSICAL_ADDRESS
        if physical is None
        else physical,
        CONF_ADDRESS_SIZE: str(candidate.size) if candidate else ADDRESS_SIZE_AUTO,
    }


def push_data(port: str, found: PushDetected) -> dict[str, Any]:
    """The connection a push meter was heard on."""
    line = found.line
    return {
        CONF_MODE: MODE_PUSH,
        CONF_PORT: port,
        CONF_BAUDRATE: line.baudrate if line else PUSH_BAUDRATE,
        CONF_PARITY: line.parity_name if line else "none",
    }


def object_classes(found: PollDetected) -> dict[Obis, int]:
    return {element.logical_name: element.class_id for element in found.objects or ()}


def tried_text(detection: Detection) -> str:
    """What was tried, one Markdown list item each (the last ones when there are many)."""
    lines = [f"- {attempt}" for attempt in detection.tried]
    if len(lines) > MAX_TRIED_SHOWN:
        hidden = len(lines) - MAX_TRIED_SHOWN
        lines = [f"- … {hidden} more", *lines[-MAX_TRIED_SHOWN:]]
    return "\n".join(lines)


def found_placeholders(port: str, detection: Detection) -> dict[str, str]:
    """The summary step's placeholders."""
    placeholders = {
        "port": port,
        "seconds": f"{detection.elapsed:.0f}",
        "tried": tried_text(detection),
    }
    if isinstance(detection, PollDetected):
        identity = detection.identity
        line = detection.line
        connection = f"{line.baudrate} Bd" if line else "the bridge's speed"
        if detection.mode_e:
            connection += ", after the IEC 62056-21 mode E sign-on"
        placeholders |= {
            "meter": detection.meter_name,
            "serial": (identity.serial_number if identity else None) or "-",
            "logical_device_name": (identity.logical_device_name if identity else None) or "-",
            "physical": "-"
            if detection.server_physical is None
            else str(detection.server_physical),
            "address_size": str(detection.candidate.size) if detection.candidate else "-",
            "connection": connection,
            "objects": str(len(detection.objects or ())),
            "error": detection.association_error or "",
        }
    elif isinstance(detection, PushDetected):
        line = detection.line
        placeholders |= {
            "framing": detection.framing_name,
            "line": line.label if line else "the bridge's speed",
            "system_title": detection.system_title.hex().upper() if detection.system_title else "-",
            "values": str(detection.values),
        }
    return placeholders


class ProgressNotes:
    """Detection's progress, for the progress step: the attempt under way, and a fraction
    of the time bound spent. ``changed`` is called when the text changes."""

    def __init__(self, changed: Callable[[], None]) -> None:
        self.text = ""
        self._changed = changed

    def __call__(self, text: str) -> None:
        self.text = text
        LOGGER.debug("Detection: %s", text)
        self._changed()


def client_schema() -> probatio.Schema:
    """After a detection: the client (the public one, answered already, or the one the
    grid operator gave) and its security; every field has the public client's default."""
    client_fields = {
        key: value
        for key, value in ADDRESSING_SCHEMA.schema.items()
        if str(key) in (CONF_CLIENT_ADDRESS_PRESET, CONF_CLIENT_ADDRESS)
    }
    return probatio.Schema({**client_fields, **SECURITY_SCHEMA.schema})


def is_public_client(data: dict[str, Any]) -> bool:
    """Whether ``data`` asks for what detection already did: the public client, no
    authentication and no security."""
    return (
        int(data.get(CONF_CLIENT_ADDRESS, PUBLIC_CLIENT_ADDRESS)) == PUBLIC_CLIENT_ADDRESS
        and data.get(CONF_AUTHENTICATION, AUTH_NONE) == AUTH_NONE
        and data.get(CONF_SECURITY_POLICY, POLICY_NONE) == POLICY_NONE
    )
