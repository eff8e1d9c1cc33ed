"""The config flow's push path: the port and its serial settings (a country/DSO preset or
typed), the keys (none, the encryption key, or both), then a bounded listening step that
shows what arrived and lets the user pick the sensors (energy and power ticked).

Nothing is saved before a notification decoded: a wrong baud rate or parity, plain DSMR
text, a missing or wrong key, plain frames although keys were given each send the user
back to the step whose fields are wrong, with a translated error (``push_listen``).
Reconfigure (port and serial settings), reauth (new keys) and the options (silence,
update throttle, sensors) of a push entry need no listening: the entry's own listener
proves them after the reload.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import probatio
from homeassistant.const import CONF_PORT
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    SerialPortSelector,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from .const import (
    BAUDRATES,
    CONF_AUTHENTICATION_KEY,
    CONF_BAUDRATE,
    CONF_ENCRYPTION_KEY,
    CONF_MIN_UPDATE_INTERVAL,
    CONF_MODE,
    CONF_PARITY,
    CONF_PUSH_PRESET,
    CONF_SENSOR_KEYS,
    CONF_SILENCE,
    MODE_PUSH,
    PARITIES,
    PUSH_BAUDRATE,
    PUSH_PRESET_CUSTOM,
)
from .entry_data import FlowInputError, parse_key
from .libdlms import Notification, Obis, PushPreset, PushValue
from .push_state import meter_info, value_key
from .values import is_cumulative

CONF_VALUES = "values"  # entry data: every value the listening step saw (sensor specs)
PARITY_NAMES = {"N": "none", "E": "even", "O": "odd"}
_SECRET = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))


def _dropdown(options: list[str], translation_key: str | None = None) -> SelectSelector:
    config = SelectSelectorConfig(options=options, mode=SelectSelectorMode.DROPDOWN)
    if translation_key is not None:
        config["translation_key"] = translation_key
    return SelectSelector(config)


def push_schema(presets: tuple[PushPreset, ...]) -> probatio.Schema:
    """The port and the serial settings: a preset by country and DSO, or Custom with the
    typed baud rate and parity."""
    options = [SelectOptionDict(value=preset.id, label=preset.label) for preset in presets]
    options.append(SelectOptionDict(value=PUSH_PRESET_CUSTOM, label="Custom"))
    return probatio.Schema(
        {
            probatio.Required(CONF_PORT): SerialPortSelector(),
            probatio.Required(CONF_PUSH_PRESET, default=PUSH_PRESET_CUSTOM): SelectSelector(
                SelectSelectorConfig(options=options, mode=SelectSelectorMode.DROPDOWN, sort=False)
            ),
            probatio.Required(CONF_BAUDRATE, default=str(PUSH_BAUDRATE)): _dropdown(BAUDRATES),
            probatio.Required(CONF_PARITY, default="none"): _dropdown(PARITIES, CONF_PARITY),
        }
    )


PUSH_KEYS_SCHEMA = probatio.Schema(
    {
        probatio.Optional(CONF_ENCRYPTION_KEY): _SECRET,
        probatio.Optional(CONF_AUTHENTICATION_KEY): _SECRET,
    }
)


def push_connection_from_input(
    user_input: Mapping[str, Any], presets: tuple[PushPreset, ...]
) -> dict[str, Any]:
    """The port and line settings to store: the preset's, or the typed ones."""
    chosen = user_input.get(CONF_PUSH_PRESET, PUSH_PRESET_CUSTOM)
    preset = next((preset for preset in presets if preset.id == chosen), None)
    if preset is not None:
        baudrate, parity = preset.baudrate, PARITY_NAMES[preset.parity]
    else:
        baudrate = int(user_input.get(CONF_BAUDRATE, PUSH_BAUDRATE))
        parity = str(user_input.get(CONF_PARITY, "none"))
        if parity not in PARITIES:
            raise FlowInputError(CONF_PARITY, "invalid_settings")
    return {
        CONF_MODE: MODE_PUSH,
        CONF_PORT: str(user_input[CONF_PORT]).strip(),
        CONF_BAUDRATE: baudrate,
        CONF_PARITY: parity,
    }


def push_keys_from_input(user_input: Mapping[str, Any]) -> dict[str, str]:
    """The keys as lower-case hex: none, the EK, or both (an AK alone cannot decipher);
    a wrong length is the library's ConfigurationError, found before any I/O."""
    keys: dict[str, str] = {}
    for field in (CONF_ENCRYPTION_KEY, CONF_AUTHENTICATION_KEY):
        if text := str(user_input.get(field) or "").strip():
            keys[field] = parse_key(field, text, 0).hex()
    if CONF_AUTHENTICATION_KEY in keys and CONF_ENCRYPTION_KEY not in keys:
        raise FlowInputError(CONF_ENCRYPTION_KEY, "key_required")
    return keys


def value_spec(value: PushValue) -> dict[str, Any]:
    """What a sensor needs to know of a value the listening step saw."""
    scaled = value.scaled_value
    numeric = scaled is not None and not isinstance(scaled, bool)
    return {
        "key": value_key(value),
        "obis": None if value.obis is None else value.obis.dotted,
        "position": value.position,
        "unit": value.unit,
        "scaler": value.scaler,
        "name": value.name,
        "numeric": numeric,
    }


def default_keys(specs: list[dict[str, Any]]) -> list[str]:
    """The values ticked at first: energy registers and power; every number when the
    payload named none of them."""
    ticked = [
        spec["key"]
        for spec in specs
        if spec["numeric"]
        and (
            spec["unit"] == "W"
            or (spec["obis"] and is_cumulative(Obis.parse(spec["obis"]), spec["unit"]))
        )
    ]
    return ticked or [spec["key"] for spec in specs if spec["numeric"]]


def sensors_schema(labels: Mapping[str, str], ticked: list[str]) -> probatio.Schema:
    return probatio.Schema(
        {
            probatio.Required(CONF_SENSOR_KEYS, default=ticked): SelectSelector(
                SelectSelectorConfig(
                    options=[
                        SelectOptionDict(value=key, label=label) for key, label in labels.items()
                    ],
                    multiple=True,
                    sort=False,
                    mode=SelectSelectorMode.LIST,
                )
            )
        }
    )


def _number(maximum: int) -> probatio.All[int]:
    config = NumberSelectorConfig(
        min=0, max=maximum, step=1, mode=NumberSelectorMode.BOX, unit_of_measurement="s"
    )
    return probatio.All(NumberSelector(config), probatio.Coerce(int))


def push_options_schema(
    options: Mapping[str, Any], labels: Mapping[str, str], chosen: list[str]
) -> probatio.Schema:
    return probatio.Schema(
        {
            probatio.Required(CONF_SILENCE, default=int(options.get(CONF_SILENCE, 0))): _number(
                86400
            ),
            probatio.Required(
                CONF_MIN_UPDATE_INTERVAL, default=int(options.get(CONF_MIN_UPDATE_INTERVAL, 0))
            ): _number(3600),
            **sensors_schema(labels, chosen).schema,
        }
    )


def listen_placeholders(notification: Notification, serial: str | None) -> dict[str, str]:
    """What the sensors step tells about the notification that arrived."""
    info = meter_info(notification)
    meter = " ".join(part for part in (info.manufacturer, info.meter_type) if part) or "—"
    return {
        "framing": str(notification.framing),
        "meter": meter,
        "profile": notification.profile or "—",
        "count": str(len(notification.values)),
        "serial": serial or "—",
        "encrypted": "yes" if notification.encrypted else "no",
    }


def value_label(spec: dict[str, Any], names: Mapping[str, str], reading: PushValue) -> str:
    """A value in the sensors list: its code or position, its name, what it read."""
    where = Obis.parse(spec["obis"]).reduced if spec["obis"] else f"#{spec['position']}"
    name = names.get(spec["key"]) or spec["name"] or ""
    shown = reading.scaled_value if spec["numeric"] else reading.value
    unit = f" {spec['unit']}" if spec["unit"] else ""
    return " ".join(part for part in (where, name, f"= {shown}{unit}") if part)


def spec_label(spec: dict[str, Any]) -> str:
    """A value in the options' list: its code or position, and its name."""
    where = Obis.parse(spec["obis"]).reduced if spec["obis"] else f"#{spec['position']}"
    return f"{where} {spec['name']}" if spec["name"] else where


def sensors_from_keys(values: list[dict[str, Any]], keys: list[str]) -> list[str]:
    """The chosen keys, in the payload's order, unknown ones dropped."""
    chosen = set(keys)
    return [spec["key"] for spec in values if spec["key"] in chosen]
