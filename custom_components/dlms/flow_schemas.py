"""The flows' forms: one schema per step, with the selectors Home Assistant's frontend shows.

Every field but the port has a default, so ``{"port": "socket://127.0.0.1:4059"}`` alone is
a complete answer to the first step, and the objects step's defaults complete the flow. The
fields are kept flat rather than in a collapsed section for that reason: a required section
must be posted, even empty. Drop-down option labels are translated (``selector.<key>`` in
the translations).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import probatio
from homeassistant.const import CONF_PASSWORD, CONF_PORT, CONF_SCAN_INTERVAL
from homeassistant.helpers.selector import (
    BooleanSelector,
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

from .client_factory import uses_invocation_counter
from .const import (
    ADDRESS_SIZE_AUTO,
    ADDRESS_SIZES,
    AUTH_NONE,
    AUTHENTICATIONS,
    BAUDRATE,
    BAUDRATES,
    CLIENT_ADDRESS_PRESETS,
    CONF_ADDRESS_SIZE,
    CONF_AUTHENTICATION,
    CONF_AUTHENTICATION_KEY,
    CONF_BACKFILL_DAYS,
    CONF_BAUDRATE,
    CONF_CLIENT_ADDRESS,
    CONF_CLIENT_ADDRESS_PRESET,
    CONF_CLIENT_PRIVATE_KEY,
    CONF_CLOCK_TOLERANCE,
    CONF_ENCRYPTION_KEY,
    CONF_IC_OBIS,
    CONF_IC_SOURCE,
    CONF_KEEP_SESSION,
    CONF_LOAD_PROFILE,
    CONF_LOAD_PROFILE_IMPORT,
    CONF_METER_PRESET,
    CONF_MODE_E,
    CONF_OBIS_CODES,
    CONF_SECURITY_POLICY,
    CONF_SECURITY_SUITE,
    CONF_SERVER_LOGICAL_ADDRESS,
    CONF_SERVER_PHYSICAL_ADDRESS,
    CONF_SERVER_PUBLIC_KEY,
    CONF_SYSTEM_TITLE,
    DEFAULT_BACKFILL_DAYS,
    DEFAULT_CLIENT_ADDRESS,
    DEFAULT_IC_OBIS,
    DEFAULT_LOAD_PROFILE,
    DEFAULT_SERVER_LOGICAL_ADDRESS,
    DEFAULT_SERVER_PHYSICAL_ADDRESS,
    DEFAULT_SYSTEM_TITLE,
    IC_SOURCE_PERSISTED,
    IC_SOURCES,
    METER_PRESET_OPTIONS,
    POLICY_NONE,
    SCAN_INTERVAL,
    SECURITY_POLICIES,
    SECURITY_SUITES,
)
from .entry_data import ADDRESS_FIELDS
from .libdlms import Mechanism, Obis

MIN_SCAN_INTERVAL = 5
MAX_SCAN_INTERVAL = 3600


def _dropdown(options: list[str], translation_key: str) -> SelectSelector:
    """A translated drop-down: the option labels come from ``selector.<translation_key>``."""
    return SelectSelector(
        SelectSelectorConfig(
            options=options, mode=SelectSelectorMode.DROPDOWN, translation_key=translation_key
        )
    )


def _number(minimum: int, maximum: int, unit: str | None = None) -> probatio.All[int]:
    config = NumberSelectorConfig(min=minimum, max=maximum, step=1, mode=NumberSelectorMode.BOX)
    if unit is not None:
        config["unit_of_measurement"] = unit
    return probatio.All(NumberSelector(config), probatio.Coerce(int))


USER_SCHEMA = probatio.Schema(
    {
        probatio.Required(CONF_PORT): SerialPortSelector(),
        probatio.Required(CONF_BAUDRATE, default=str(BAUDRATE)): SelectSelector(
            SelectSelectorConfig(options=BAUDRATES, mode=SelectSelectorMode.DROPDOWN)
        ),
        probatio.Required(CONF_MODE_E, default=False): BooleanSelector(),
    }
)

ADDRESSING_SCHEMA = probatio.Schema(
    {
        # No defaults for the presets: a post without them (the REST API, older scripts)
        # keeps the numeric fields; the form shows the suggested values.
        probatio.Optional(CONF_CLIENT_ADDRESS_PRESET): _dropdown(
            CLIENT_ADDRESS_PRESETS, CONF_CLIENT_ADDRESS_PRESET
        ),
        probatio.Required(CONF_CLIENT_ADDRESS, default=DEFAULT_CLIENT_ADDRESS): _number(0, 0x7F),
        probatio.Optional(CONF_METER_PRESET): _dropdown(METER_PRESET_OPTIONS, CONF_METER_PRESET),
        probatio.Required(
            CONF_SERVER_LOGICAL_ADDRESS, default=DEFAULT_SERVER_LOGICAL_ADDRESS
        ): _number(0, 0x3FFF),
        probatio.Required(
            CONF_SERVER_PHYSICAL_ADDRESS, default=DEFAULT_SERVER_PHYSICAL_ADDRESS
        ): _number(0, 0x3FFF),
        probatio.Required(CONF_ADDRESS_SIZE, default=ADDRESS_SIZE_AUTO): _dropdown(
            ADDRESS_SIZES, CONF_ADDRESS_SIZE
        ),
    }
)

_SECRET_TEXT = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
# PEM keys and certificates: several lines (not shown again: they are kept as secrets).
_PEM_TEXT = TextSelector(TextSelectorConfig(multiline=True))

SECURITY_SCHEMA = probatio.Schema(
    {
        probatio.Required(CONF_AUTHENTICATION, default=AUTH_NONE): _dropdown(
            AUTHENTICATIONS, CONF_AUTHENTICATION
        ),
        probatio.Optional(CONF_PASSWORD): _SECRET_TEXT,
        probatio.Required(CONF_SECURITY_POLICY, default=POLICY_NONE): _dropdown(
            SECURITY_POLICIES, CONF_SECURITY_POLICY
        ),
        probatio.Required(CONF_SECURITY_SUITE, default="0"): _dropdown(
            SECURITY_SUITES, CONF_SECURITY_SUITE
        ),
        probatio.Optional(CONF_ENCRYPTION_KEY): _SECRET_TEXT,
        probatio.Optional(CONF_AUTHENTICATION_KEY): _SECRET_TEXT,
        probatio.Optional(CONF_CLIENT_PRIVATE_KEY): _PEM_TEXT,
        probatio.Optional(CONF_SERVER_PUBLIC_KEY): _PEM_TEXT,
        probatio.Required(CONF_SYSTEM_TITLE, default=DEFAULT_SYSTEM_TITLE): TextSelector(),
        probatio.Required(CONF_IC_SOURCE, default=IC_SOURCE_PERSISTED): _dropdown(
            IC_SOURCES, CONF_IC_SOURCE
        ),
        probatio.Required(CONF_IC_OBIS, default=DEFAULT_IC_OBIS): TextSelector(),
    }
)

RECONFIGURE_SCHEMA = probatio.Schema(
    {
        key: value
        for key, value in (USER_SCHEMA.schema | ADDRESSING_SCHEMA.schema).items()
        if str(key) in ADDRESS_FIELDS
    }
)


def reauth_schema(data: Mapping[str, Any]) -> probatio.Schema:
    """The secrets this entry uses: the password or HLS secret, and its keys."""
    fields: dict[Any, Any] = {}
    if Mechanism.from_name(data.get(CONF_AUTHENTICATION, AUTH_NONE)).needs_secret:
        fields[probatio.Required(CONF_PASSWORD)] = _SECRET_TEXT
    if data.get(CONF_ENCRYPTION_KEY):
        fields[probatio.Required(CONF_ENCRYPTION_KEY)] = _SECRET_TEXT
    if data.get(CONF_AUTHENTICATION_KEY):
        fields[probatio.Required(CONF_AUTHENTICATION_KEY)] = _SECRET_TEXT
    if data.get(CONF_CLIENT_PRIVATE_KEY):
        fields[probatio.Required(CONF_CLIENT_PRIVATE_KEY)] = _PEM_TEXT
    if uses_invocation_counter(data):
        # A meter that saw higher counters refuses the association like wrong keys do.
        fields[
            probatio.Required(CONF_IC_SOURCE, default=data.get(CONF_IC_SOURCE, IC_SOURCE_PERSISTED))
        ] = _dropdown(IC_SOURCES, CONF_IC_SOURCE)
    return probatio.Schema(fields)


def objects_schema(labels: Mapping[Obis, str], preselected: list[Obis]) -> probatio.Schema:
    """The objects step: the offered objects with their ``labels`` (in the order offered),
    the chosen ones preselected; codes can still be typed."""
    return probatio.Schema(
        {
            probatio.Required(
                CONF_OBIS_CODES, default=[obis.dotted for obis in preselected]
            ): SelectSelector(
                SelectSelectorConfig(
                    options=[
                        SelectOptionDict(value=obis.dotted, label=label)
                        for obis, label in labels.items()
                    ],
                    multiple=True,
                    custom_value=True,
                    sort=False,
                    mode=SelectSelectorMode.DROPDOWN,
                )
            )
        }
    )


def options_schema(
    options: Mapping[str, Any], labels: Mapping[Obis, str], current: list[Obis]
) -> probatio.Schema:
    """Scan interval, the objects (offered with their ``labels``, the ``current`` choice
    preselected), keep-session-open and the load profile import; defaults from the entry's
    ``options``."""
    return probatio.Schema(
        {
            probatio.Required(
                CONF_SCAN_INTERVAL,
                default=int(options.get(CONF_SCAN_INTERVAL, SCAN_INTERVAL.total_seconds())),
            ): _number(MIN_SCAN_INTERVAL, MAX_SCAN_INTERVAL, "s"),
            **objects_schema(labels, current).schema,
            probatio.Required(
                CONF_KEEP_SESSION, default=bool(options.get(CONF_KEEP_SESSION, False))
            ): BooleanSelector(),
            probatio.Required(
                CONF_LOAD_PROFILE_IMPORT,
                default=bool(options.get(CONF_LOAD_PROFILE_IMPORT, True)),
            ): BooleanSelector(),
            probatio.Required(
                CONF_LOAD_PROFILE,
                default=options.get(CONF_LOAD_PROFILE, DEFAULT_LOAD_PROFILE),
            ): TextSelector(),
            probatio.Required(
                CONF_BACKFILL_DAYS,
                default=int(options.get(CONF_BACKFILL_DAYS, DEFAULT_BACKFILL_DAYS)),
            ): _number(0, 365, "d"),
            probatio.Required(
                CONF_CLOCK_TOLERANCE, default=int(options.get(CONF_CLOCK_TOLERANCE, 0))
            ): _number(0, 900, "s"),
        }
    )
