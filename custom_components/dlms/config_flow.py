"""Config flow: pick the port, type the addresses and password from the grid operator's
letter, tick the values; one session with the meter proves it all before anything is saved.

Every field but the port has a default, so ``{"port": "socket://127.0.0.1:4059"}`` alone is
a complete answer to the first step, and the objects step's defaults complete the flow
(``scripts/develop`` posts exactly that, then the defaults). The fields are kept flat rather
than in a collapsed section for that reason: a required section must be posted, even empty.

A secured meter (a security policy, HLS-GMAC or HLS-SHA256) gets a second step, ``security``:
suite, EK, AK and the client system title as hex, checked against the suite before any I/O,
and where the invocation counter comes from. Keys never reach a log or an error message.

After the connection test, the ``objects`` step offers what the meter's object list has
(every register and the Data objects the OBIS catalogue names), with the first step's codes
preselected (the defaults only where the meter has them); codes can still be typed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, override

import probatio
from homeassistant.config_entries import (
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlowWithReload,
)
from homeassistant.const import CONF_PASSWORD, CONF_PORT, CONF_SCAN_INTERVAL
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryNotReady
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

from .client_factory import (
    build_client,
    is_secured,
    port_lock,
    read_identity,
    uses_invocation_counter,
)
from .const import (
    ADDRESS_SIZE_AUTO,
    ADDRESS_SIZES,
    AUTH_HLS_GMAC,
    AUTH_NONE,
    AUTHENTICATIONS,
    BAUDRATE,
    BAUDRATES,
    CLIENT_ADDRESS_CUSTOM,
    CLIENT_ADDRESS_PRESETS,
    COMMON_OBIS_CODES,
    CONF_ADDRESS_SIZE,
    CONF_AUTHENTICATION,
    CONF_AUTHENTICATION_KEY,
    CONF_BACKFILL_DAYS,
    CONF_BAUDRATE,
    CONF_CLIENT_ADDRESS,
    CONF_CLIENT_ADDRESS_PRESET,
    CONF_ENCRYPTION_KEY,
    CONF_IC_OBIS,
    CONF_IC_SOURCE,
    CONF_INVOCATION_COUNTER,
    CONF_KEEP_SESSION,
    CONF_LOAD_PROFILE,
    CONF_LOAD_PROFILE_IMPORT,
    CONF_METER_PRESET,
    CONF_MODE_E,
    CONF_OBIS_CODES,
    CONF_OBJECTS,
    CONF_SECURITY_POLICY,
    CONF_SECURITY_SUITE,
    CONF_SERVER_LOGICAL_ADDRESS,
    CONF_SERVER_PHYSICAL_ADDRESS,
    CONF_SYSTEM_TITLE,
    DATA_CLASS_ID,
    DEFAULT_BACKFILL_DAYS,
    DEFAULT_CLIENT_ADDRESS,
    DEFAULT_IC_OBIS,
    DEFAULT_LOAD_PROFILE,
    DEFAULT_OBIS_CODES,
    DEFAULT_SERVER_LOGICAL_ADDRESS,
    DEFAULT_SERVER_PHYSICAL_ADDRESS,
    DEFAULT_SYSTEM_TITLE,
    DOMAIN,
    IC_SOURCE_METER,
    IC_SOURCE_PERSISTED,
    IC_SOURCES,
    LOGGER,
    METER_PRESET_CUSTOM,
    METER_PRESET_OPTIONS,
    METER_PRESETS,
    POLICY_NONE,
    REGISTER_CLASS_IDS,
    SCAN_INTERVAL,
    SECURITY_POLICIES,
    SECURITY_SUITES,
    SYSTEM_TITLE_LENGTH,
)
from .coordinator import DlmsConfigEntry
from .counter_store import CounterStore, counter_after_meter
from .errors import error_key
from .libdlms import (
    ConfigurationError,
    DecodeError,
    DlmsError,
    InvocationCounter,
    Mechanism,
    Obis,
    SecurityKeys,
    read_object_list,
)


def _dropdown(options: list[str], translation_key: str) -> SelectSelector:
    """A translated drop-down: the option labels come from ``selector.<translation_key>``."""
    return SelectSelector(
        SelectSelectorConfig(
            options=options, mode=SelectSelectorMode.DROPDOWN, translation_key=translation_key
        )
    )


def _address(maximum: int) -> probatio.All[int]:
    return probatio.All(
        NumberSelector(
            NumberSelectorConfig(min=0, max=maximum, step=1, mode=NumberSelectorMode.BOX)
        ),
        probatio.Coerce(int),
    )


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
        probatio.Required(CONF_CLIENT_ADDRESS, default=DEFAULT_CLIENT_ADDRESS): _address(0x7F),
        probatio.Optional(CONF_METER_PRESET): _dropdown(METER_PRESET_OPTIONS, CONF_METER_PRESET),
        probatio.Required(
            CONF_SERVER_LOGICAL_ADDRESS, default=DEFAULT_SERVER_LOGICAL_ADDRESS
        ): _address(0x3FFF),
        probatio.Required(
            CONF_SERVER_PHYSICAL_ADDRESS, default=DEFAULT_SERVER_PHYSICAL_ADDRESS
        ): _address(0x3FFF),
        probatio.Required(CONF_ADDRESS_SIZE, default=ADDRESS_SIZE_AUTO): _dropdown(
            ADDRESS_SIZES, CONF_ADDRESS_SIZE
        ),
    }
)

_SECRET_TEXT = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))

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
        probatio.Required(CONF_SYSTEM_TITLE, default=DEFAULT_SYSTEM_TITLE): TextSelector(),
        probatio.Required(CONF_IC_SOURCE, default=IC_SOURCE_PERSISTED): _dropdown(
            IC_SOURCES, CONF_IC_SOURCE
        ),
        probatio.Required(CONF_IC_OBIS, default=DEFAULT_IC_OBIS): TextSelector(),
    }
)

ADDRESS_FIELDS = frozenset(
    {
        CONF_PORT,
        CONF_BAUDRATE,
        CONF_MODE_E,
        CONF_CLIENT_ADDRESS,
        CONF_SERVER_LOGICAL_ADDRESS,
        CONF_SERVER_PHYSICAL_ADDRESS,
        CONF_ADDRESS_SIZE,
    }
)

# The security step's stored settings besides the secrets and the policy.
SECURITY_FIELDS = frozenset({CONF_SECURITY_SUITE, CONF_SYSTEM_TITLE, CONF_IC_SOURCE, CONF_IC_OBIS})

# Security fields never shown again as suggested values.
SECRET_FIELDS = frozenset({CONF_PASSWORD, CONF_ENCRYPTION_KEY, CONF_AUTHENTICATION_KEY})


# Errors found in the security step's fields before any I/O.
FIELD_ERRORS = frozenset(
    {
        "invalid_hex",
        "key_length",
        "key_required",
        "system_title_length",
        "invalid_obis",
        "password_required",
    }
)


class FieldError(Exception):
    """Input that cannot work, found before any I/O: the field, the error key and the
    placeholders (never the secret itself)."""

    def __init__(self, field: str, key: str, **placeholders: str) -> None:
        super().__init__(key)
        self.field = field
        self.key = key
        self.placeholders = placeholders


def _parse_hex(field: str, text: str) -> bytes:
    try:
        return bytes.fromhex(text.replace(" ", "").replace(":", ""))
    except ValueError:
        raise FieldError(field, "invalid_hex") from None


def key_length(suite: int) -> int:
    """EK and AK length in bytes: 16 for suites 0 and 1 (AES-128), 32 for suite 2."""
    return 32 if suite == 2 else 16


def security_data_from_input(
    user_input: Mapping[str, Any], previous: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The authentication and security settings to store (keys as lower-case hex); raises
    ``FieldError`` before any I/O when they cannot work (a missing password, a key or system
    title that does not fit the suite). A secret left empty is taken from ``previous`` (the
    form shown again after a failed connection test) so it need not be typed twice."""

    def secret(field: str) -> str:
        text = str(user_input.get(field) or "").strip()
        return text or str((previous or {}).get(field) or "")

    authentication = user_input.get(CONF_AUTHENTICATION, AUTH_NONE)
    result: dict[str, Any] = {CONF_AUTHENTICATION: authentication}
    if Mechanism.from_name(authentication).needs_secret:
        if not (password := secret(CONF_PASSWORD)):
            raise FieldError(CONF_PASSWORD, "password_required")
        result[CONF_PASSWORD] = password
    policy = user_input.get(CONF_SECURITY_POLICY, POLICY_NONE)
    if policy != POLICY_NONE:
        result[CONF_SECURITY_POLICY] = policy
    if not is_secured(result):
        return result

    suite = int(user_input.get(CONF_SECURITY_SUITE, 0))
    gmac = authentication == AUTH_HLS_GMAC
    length = key_length(suite)
    result[CONF_SECURITY_SUITE] = suite
    system_title = _parse_hex(
        CONF_SYSTEM_TITLE, str(user_input.get(CONF_SYSTEM_TITLE, DEFAULT_SYSTEM_TITLE))
    )
    if len(system_title) != SYSTEM_TITLE_LENGTH:
        raise FieldError(CONF_SYSTEM_TITLE, "system_title_length")
    result[CONF_SYSTEM_TITLE] = system_title.hex()

    keys: dict[str, bytes] = {}
    needs_ek = policy != POLICY_NONE or gmac
    needs_ak = policy in ("authentication", "authenticated-encryption") or gmac
    for field, needed in ((CONF_ENCRYPTION_KEY, needs_ek), (CONF_AUTHENTICATION_KEY, needs_ak)):
        if not (text := secret(field)):
            if needed:
                raise FieldError(field, "key_required")
            continue
        key = _parse_hex(field, text)
        if len(key) != length:
            raise FieldError(field, "key_length", expected=str(length), suite=str(suite))
        keys[field] = key
    if CONF_AUTHENTICATION_KEY in keys and CONF_ENCRYPTION_KEY not in keys:
        raise FieldError(CONF_ENCRYPTION_KEY, "key_required")
    if CONF_ENCRYPTION_KEY in keys:
        try:  # the library's own check, so both always agree
            SecurityKeys(keys[CONF_ENCRYPTION_KEY], keys.get(CONF_AUTHENTICATION_KEY)).validate(
                suite
            )
        except ConfigurationError:
            raise FieldError(
                CONF_ENCRYPTION_KEY, "key_length", expected=str(length), suite=str(suite)
            ) from None
        result.update({field: key.hex() for field, key in keys.items()})

    result[CONF_IC_SOURCE] = user_input.get(CONF_IC_SOURCE, IC_SOURCE_PERSISTED)
    if result[CONF_IC_SOURCE] == IC_SOURCE_METER:
        code = str(user_input.get(CONF_IC_OBIS) or DEFAULT_IC_OBIS)
        try:
            result[CONF_IC_OBIS] = Obis.parse(code).dotted
        except DecodeError:
            raise FieldError(CONF_IC_OBIS, "invalid_obis", obis=code) from None
    return result


def object_label(obis: Obis) -> str:
    """A human name from the OBIS catalogue, else the code itself (reduced form)."""
    if (name := COMMON_OBIS_CODES.get(obis.dotted)) is not None:
        return f"{obis.reduced} {name}"
    return obis.reduced


def offered_objects(classes: Mapping[Obis, int], chosen: list[Obis]) -> list[Obis]:
    """What the objects step offers from the meter's object list: every register (class
    3/4/5) and the Data objects the catalogue names, catalogue entries first, then the
    other registers by OBIS code; the codes already chosen are always offered."""
    catalogue = [Obis.parse(code) for code in COMMON_OBIS_CODES]
    offered = [
        obis
        for obis in catalogue
        if classes.get(obis) in REGISTER_CLASS_IDS or classes.get(obis) == DATA_CLASS_ID
    ]
    offered += sorted(
        obis
        for obis, class_id in classes.items()
        if class_id in REGISTER_CLASS_IDS and obis not in offered
    )
    offered += [obis for obis in chosen if obis not in offered]
    return offered


def objects_schema(offered: list[Obis], preselected: list[Obis]) -> probatio.Schema:
    """The objects step: the meter's objects with their names, the chosen ones preselected;
    codes can still be typed."""
    return probatio.Schema(
        {
            probatio.Required(
                CONF_OBIS_CODES, default=[obis.dotted for obis in preselected]
            ): SelectSelector(
                SelectSelectorConfig(
                    options=[
                        SelectOptionDict(value=obis.dotted, label=object_label(obis))
                        for obis in offered
                    ],
                    multiple=True,
                    custom_value=True,
                    sort=False,
                    mode=SelectSelectorMode.DROPDOWN,
                )
            )
        }
    )


class InvalidObis(Exception):
    """An OBIS code the user typed does not parse."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class NoObisCodes(Exception):
    """Nothing to read."""


class InvalidAddress(Exception):
    """The addresses do not fit the chosen HDLC address size."""


def parse_obis_codes(codes: list[str]) -> list[Obis]:
    """The chosen codes, parsed, without duplicates, in the order given."""
    parsed: list[Obis] = []
    for code in codes:
        try:
            obis = Obis.parse(code)
        except DecodeError:
            raise InvalidObis(code) from None
        if obis not in parsed:
            parsed.append(obis)
    if not parsed:
        raise NoObisCodes
    return parsed


def client_address_from_input(user_input: Mapping[str, Any]) -> int:
    """The client SAP: the chosen preset, or the numeric field for "custom" (and when no
    preset is posted at all)."""
    preset = user_input.get(CONF_CLIENT_ADDRESS_PRESET, CLIENT_ADDRESS_CUSTOM)
    if preset == CLIENT_ADDRESS_CUSTOM:
        return int(user_input[CONF_CLIENT_ADDRESS])
    return int(preset)


def connection_data_from_input(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """The connection settings to store from the first step."""
    return {
        CONF_PORT: str(user_input[CONF_PORT]).strip(),
        CONF_BAUDRATE: int(user_input.get(CONF_BAUDRATE, BAUDRATE)),
        CONF_MODE_E: bool(user_input.get(CONF_MODE_E, False)),
    }


def addressing_data_from_input(
    user_input: Mapping[str, Any], connection: Mapping[str, Any]
) -> dict[str, Any]:
    """The HDLC addresses to store: the client preset or typed client address, the meter
    preset's server addressing or the typed one. Raises ``InvalidAddress`` before any I/O
    when they do not fit the address size."""
    data: dict[str, Any] = {CONF_CLIENT_ADDRESS: client_address_from_input(user_input)}
    preset = user_input.get(CONF_METER_PRESET, METER_PRESET_CUSTOM)
    if preset in METER_PRESETS:
        logical, physical, size = METER_PRESETS[preset]
    else:
        logical = int(user_input[CONF_SERVER_LOGICAL_ADDRESS])
        physical = int(user_input[CONF_SERVER_PHYSICAL_ADDRESS])
        size = str(user_input[CONF_ADDRESS_SIZE])
    data[CONF_SERVER_LOGICAL_ADDRESS] = logical
    data[CONF_SERVER_PHYSICAL_ADDRESS] = physical
    data[CONF_ADDRESS_SIZE] = size
    try:  # the addresses alone: nothing else matters for their encoding
        build_client({**connection, **data})
    except DlmsError as err:  # an address that does not fit the address size
        raise InvalidAddress from err
    return data


async def async_probe(
    hass: HomeAssistant,
    data: dict[str, Any],
    counter: InvocationCounter | None = None,
    release: Callable[[], Awaitable[None]] | None = None,
) -> tuple[str, dict[Obis, int]]:
    """One session with the meter: its identity and its object list (OBIS -> class id).

    A secured session starts its invocation counter at the meter's (read with the public
    client) or at 0, and leaves the next value in ``data`` for the entry's coordinator.
    ``release``: frees the port first, under the port lock (an entry's kept session).
    """
    async with port_lock(hass, data[CONF_PORT]):
        if release is not None:
            await release()
        if uses_invocation_counter(data):
            counter = await counter_after_meter(
                data, counter or InvocationCounter(start=data.get(CONF_INVOCATION_COUNTER, 0))
            )
        else:
            counter = None
        try:
            async with build_client(data, counter=counter) as client:
                object_list = await read_object_list(client)
                serial, logical_device_name, _ = await read_identity(client)
        finally:
            if counter is not None:
                data[CONF_INVOCATION_COUNTER] = counter.value
    # The serial number identifies the meter; a meter without one has at least its
    # logical device name (mandatory in every logical device).
    identifier = serial or logical_device_name
    if identifier is None:
        raise DecodeError("the meter gives neither a serial number nor a logical device name")
    return identifier, {element.logical_name: element.class_id for element in object_list}


async def async_probe_entry(
    hass: HomeAssistant, entry: DlmsConfigEntry, data: dict[str, Any]
) -> tuple[str, dict[Obis, int]]:
    """``async_probe`` for an existing entry (reauth, reconfigure, options): it goes on from
    the entry's invocation counter (the running coordinator's own counter object, else the
    stored one) and stores where it left off, so the entry never reuses a value."""
    counter: InvocationCounter | None = None
    release = None
    store = CounterStore(hass, entry.entry_id)
    if entry.state is ConfigEntryState.LOADED:
        release = entry.runtime_data.coordinator.async_release_session
    if uses_invocation_counter(data):
        if entry.state is ConfigEntryState.LOADED and entry.runtime_data.coordinator.counter:
            counter = entry.runtime_data.coordinator.counter
        else:
            counter = await store.async_load_start(entry.data)
    try:
        return await async_probe(hass, data, counter, release)
    finally:
        if CONF_INVOCATION_COUNTER in data:
            await store.async_save(data[CONF_INVOCATION_COUNTER])


def probe_error(err: Exception, data: Mapping[str, Any]) -> str:
    """The form error for a failed probe (logged without secrets)."""
    port = data[CONF_PORT]
    if isinstance(err, ConfigEntryNotReady):  # serialx stub for an ESPHome proxy not loaded
        LOGGER.debug("Port %s is not ready: %s", port, err)
        return "cannot_connect"
    if isinstance(err, DlmsError):
        # str(err) never carries keys or passwords (the library keeps them out).
        LOGGER.debug("The meter on %s did not work out: %s", port, err)
        return error_key(err, data)
    LOGGER.exception("Unexpected exception while probing the meter on %s", port)
    return "unknown"


REAUTH_FIELDS = (CONF_PASSWORD, CONF_ENCRYPTION_KEY, CONF_AUTHENTICATION_KEY, CONF_IC_SOURCE)


def reauth_schema(data: Mapping[str, Any]) -> probatio.Schema:
    """The secrets this entry uses: the password or HLS secret, and its keys."""
    fields: dict[Any, Any] = {}
    if Mechanism.from_name(data.get(CONF_AUTHENTICATION, AUTH_NONE)).needs_secret:
        fields[probatio.Required(CONF_PASSWORD)] = _SECRET_TEXT
    if data.get(CONF_ENCRYPTION_KEY):
        fields[probatio.Required(CONF_ENCRYPTION_KEY)] = _SECRET_TEXT
    if data.get(CONF_AUTHENTICATION_KEY):
        fields[probatio.Required(CONF_AUTHENTICATION_KEY)] = _SECRET_TEXT
    if uses_invocation_counter(data):
        # A meter that saw higher counters refuses the association like wrong keys do.
        fields[
            probatio.Required(CONF_IC_SOURCE, default=data.get(CONF_IC_SOURCE, IC_SOURCE_PERSISTED))
        ] = _dropdown(IC_SOURCES, CONF_IC_SOURCE)
    return probatio.Schema(fields)


def reauth_updates(data: Mapping[str, Any], user_input: dict[str, Any]) -> dict[str, Any]:
    """The new secrets, keys checked against the entry's suite before any I/O."""
    updates: dict[str, Any] = {}
    if CONF_PASSWORD in user_input:
        updates[CONF_PASSWORD] = user_input[CONF_PASSWORD]
    suite = int(data.get(CONF_SECURITY_SUITE, 0))
    for field in (CONF_ENCRYPTION_KEY, CONF_AUTHENTICATION_KEY):
        if field in user_input:
            key = _parse_hex(field, str(user_input[field]).strip())
            if len(key) != key_length(suite):
                raise FieldError(
                    field, "key_length", expected=str(key_length(suite)), suite=str(suite)
                )
            updates[field] = key.hex()
    if CONF_IC_SOURCE in user_input:
        updates[CONF_IC_SOURCE] = user_input[CONF_IC_SOURCE]
        if user_input[CONF_IC_SOURCE] == IC_SOURCE_METER and not data.get(CONF_IC_OBIS):
            updates[CONF_IC_OBIS] = DEFAULT_IC_OBIS
    return updates


RECONFIGURE_SCHEMA = probatio.Schema(
    {
        key: value
        for key, value in (USER_SCHEMA.schema | ADDRESSING_SCHEMA.schema).items()
        if str(key) in ADDRESS_FIELDS
    }
)

MIN_SCAN_INTERVAL = 5
MAX_SCAN_INTERVAL = 3600


# Where a failed connection test sends the user back to: the step whose fields cause it.
PROBE_ERROR_STEPS: dict[str, str] = {
    "cannot_connect": "user",
    "no_answer": "user",
    "association_rejected": "addressing",
}


class DlmsConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up one meter: connection, addressing, security, connection test, objects."""

    VERSION = 1
    MINOR_VERSION = 2

    def __init__(self) -> None:
        self._data: dict[str, Any] = {}
        self._classes: dict[Obis, int] = {}
        # The form input of each step, shown again as suggested values (never secrets).
        self._input: dict[str, dict[str, Any]] = {}
        # A failed connection test's errors, shown on the step they belong to; the secrets
        # typed before are kept when left empty the next time the security step is shown.
        self._pending: tuple[str, dict[str, str], dict[str, str]] | None = None
        self._keep_secrets = False

    def _show(
        self,
        step_id: str,
        schema: probatio.Schema,
        errors: dict[str, str],
        placeholders: dict[str, str],
        suggested: Mapping[str, Any] | None = None,
    ) -> ConfigFlowResult:
        if self._pending is not None and self._pending[0] == step_id and not errors:
            _, errors, pending_placeholders = self._pending
            placeholders = {**placeholders, **pending_placeholders}
            self._pending = None
        values = {**(suggested or {}), **self._input.get(step_id, {})}
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(
                schema, {k: v for k, v in values.items() if k not in SECRET_FIELDS}
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    @override
    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """The port: a local serial device, or a bridge as socket:// or rfc2217://."""
        if user_input is not None:
            self._input["user"] = dict(user_input)
            self._data.update(connection_data_from_input(user_input))
            return await self.async_step_addressing()
        return self._show("user", USER_SCHEMA, {}, {})

    async def async_step_addressing(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Client and server HDLC addresses, or a known meter's server addressing."""
        errors: dict[str, str] = {}
        if user_input is not None:
            self._input["addressing"] = dict(user_input)
            try:
                self._data.update(addressing_data_from_input(user_input, self._data))
            except InvalidAddress:
                errors["base"] = "invalid_address"
            else:
                return await self.async_step_security()
        return self._show(
            "addressing",
            ADDRESSING_SCHEMA,
            errors,
            {},
            {
                CONF_CLIENT_ADDRESS_PRESET: str(DEFAULT_CLIENT_ADDRESS),
                CONF_METER_PRESET: METER_PRESET_CUSTOM,
            },
        )

    async def async_step_security(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Authentication, security policy and keys; then the connection test."""
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {"expected": "16", "suite": "0"}
        if user_input is not None:
            self._input["security"] = dict(user_input)
            keep_secrets, self._keep_secrets = self._keep_secrets, False
            try:
                security = security_data_from_input(
                    user_input, self._data if keep_secrets else None
                )
            except FieldError as err:
                errors[err.field] = err.key
                placeholders.update(err.placeholders)
                self._keep_secrets = keep_secrets  # still the form after the failed test
            else:
                for field in (*SECRET_FIELDS, CONF_SECURITY_POLICY, *SECURITY_FIELDS):
                    self._data.pop(field, None)
                self._data.update(security)
                if (result := await self._async_probe(errors, placeholders)) is not None:
                    return result
        return self._show("security", SECURITY_SCHEMA, errors, placeholders)

    async def _async_probe(
        self, errors: dict[str, str], placeholders: dict[str, str]
    ) -> ConfigFlowResult | None:
        """Prove the settings on the meter, then the objects step; on failure the form of
        the step the error belongs to, or None with ``errors`` filled in (security step)."""
        data = self._data
        try:
            serial, classes = await async_probe(self.hass, data)
        except Exception as err:  # every failure becomes a form error (probe_error says which)
            key = probe_error(err, data)
            step = PROBE_ERROR_STEPS.get(key, "security")
            if step == "security":
                errors["base"] = key
                return None
            self._pending = (step, {"base": key}, {})
            self._keep_secrets = True
            return await (
                self.async_step_user() if step == "user" else self.async_step_addressing()
            )
        await self.async_set_unique_id(serial)
        self._abort_if_unique_id_configured()
        self._classes = classes
        return await self.async_step_objects()

    async def async_step_objects(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Object selection from the meter's object list (read by the connection test):
        the default values the meter has are preselected; codes can still be typed."""
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            try:
                codes = parse_obis_codes(user_input[CONF_OBIS_CODES])
            except InvalidObis as err:
                errors[CONF_OBIS_CODES] = "invalid_obis"
                placeholders["obis"] = err.code
            except NoObisCodes:
                errors[CONF_OBIS_CODES] = "no_obis_codes"
            else:
                if missing := [obis.reduced for obis in codes if obis not in self._classes]:
                    errors[CONF_OBIS_CODES] = "object_not_found"
                    placeholders["obis"] = ", ".join(missing)
                else:
                    self._abort_if_unique_id_configured()
                    data = {
                        **self._data,
                        CONF_OBJECTS: [
                            {"obis": obis.dotted, "class_id": self._classes[obis]} for obis in codes
                        ],
                    }
                    return self.async_create_entry(title=f"Meter {self.unique_id}", data=data)
        defaults = [
            obis for code in DEFAULT_OBIS_CODES if (obis := Obis.parse(code)) in self._classes
        ]
        schema = objects_schema(offered_objects(self._classes, defaults), defaults)
        return self.async_show_form(
            step_id="objects",
            data_schema=self.add_suggested_values_to_schema(schema, user_input),
            errors=errors,
            description_placeholders=placeholders,
        )

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: DlmsConfigEntry) -> DlmsOptionsFlow:
        return DlmsOptionsFlow()

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """The meter rejected the password, the HLS secret or the keys."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {"expected": "16", "suite": "0"}
        if user_input is not None:
            try:
                updates = reauth_updates(entry.data, user_input)
            except FieldError as err:
                errors[err.field] = err.key
                placeholders.update(err.placeholders)
            else:
                if result := await self._async_prove_and_update(entry, updates, errors):
                    return result
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=reauth_schema(entry.data),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def _async_prove_and_update(
        self, entry: DlmsConfigEntry, updates: dict[str, Any], errors: dict[str, str]
    ) -> ConfigFlowResult | None:
        """Prove the entry's data with ``updates`` on the meter (under the port lock: the
        coordinator's session finishes first) and save them, unless another meter answers;
        None with ``errors`` filled when the meter could not be reached or refused."""
        data = {**entry.data, **updates}
        try:
            serial, _ = await async_probe_entry(self.hass, entry, data)
        except Exception as err:  # every failure becomes a form error (probe_error says which)
            errors["base"] = probe_error(err, data)
            return None
        await self.async_set_unique_id(serial)
        self._abort_if_unique_id_mismatch(reason="wrong_meter")
        if CONF_INVOCATION_COUNTER in data:
            updates[CONF_INVOCATION_COUNTER] = data[CONF_INVOCATION_COUNTER]
        return self.async_update_reload_and_abort(entry, data_updates=updates)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Another port or other addresses for the same meter."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            updates = {key: user_input[key] for key in ADDRESS_FIELDS if key in user_input}
            updates[CONF_PORT] = str(updates[CONF_PORT]).strip()
            updates[CONF_BAUDRATE] = int(updates.get(CONF_BAUDRATE, BAUDRATE))
            updates[CONF_MODE_E] = bool(updates.get(CONF_MODE_E, False))
            data = {**entry.data, **updates}
            try:
                build_client({key: data[key] for key in ADDRESS_FIELDS})
            except DlmsError:
                errors["base"] = "invalid_address"
            else:
                if result := await self._async_prove_and_update(entry, updates, errors):
                    return result
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                RECONFIGURE_SCHEMA,
                user_input
                or {
                    **entry.data,
                    CONF_BAUDRATE: str(entry.data.get(CONF_BAUDRATE, BAUDRATE)),
                    CONF_MODE_E: entry.data.get(CONF_MODE_E, False),
                },
            ),
            errors=errors,
        )


def options_schema(entry: DlmsConfigEntry, classes: Mapping[Obis, int]) -> probatio.Schema:
    """Scan interval, the objects (what the meter's object list has, else the catalogue and
    the current choice), keep-session-open and the load profile import."""
    current = [
        Obis.parse(obj["obis"]) for obj in entry.options.get(CONF_OBJECTS, entry.data[CONF_OBJECTS])
    ]
    if classes:
        offered = offered_objects(classes, current)
    else:  # the meter could not be asked: the catalogue, and what is chosen now
        offered = [Obis.parse(code) for code in COMMON_OBIS_CODES]
        offered += [obis for obis in current if obis not in offered]
    return probatio.Schema(
        {
            probatio.Required(
                CONF_SCAN_INTERVAL,
                default=int(entry.options.get(CONF_SCAN_INTERVAL, SCAN_INTERVAL.total_seconds())),
            ): probatio.All(
                NumberSelector(
                    NumberSelectorConfig(
                        min=MIN_SCAN_INTERVAL,
                        max=MAX_SCAN_INTERVAL,
                        step=1,
                        mode=NumberSelectorMode.BOX,
                        unit_of_measurement="s",
                    )
                ),
                probatio.Coerce(int),
            ),
            **objects_schema(offered, current).schema,
            probatio.Required(
                CONF_KEEP_SESSION, default=bool(entry.options.get(CONF_KEEP_SESSION, False))
            ): BooleanSelector(),
            probatio.Required(
                CONF_LOAD_PROFILE_IMPORT,
                default=bool(entry.options.get(CONF_LOAD_PROFILE_IMPORT, True)),
            ): BooleanSelector(),
            probatio.Required(
                CONF_LOAD_PROFILE,
                default=entry.options.get(CONF_LOAD_PROFILE, DEFAULT_LOAD_PROFILE),
            ): TextSelector(),
            probatio.Required(
                CONF_BACKFILL_DAYS,
                default=int(entry.options.get(CONF_BACKFILL_DAYS, DEFAULT_BACKFILL_DAYS)),
            ): probatio.All(
                NumberSelector(
                    NumberSelectorConfig(
                        min=0, max=365, step=1, mode=NumberSelectorMode.BOX, unit_of_measurement="d"
                    )
                ),
                probatio.Coerce(int),
            ),
        }
    )


class DlmsOptionsFlow(OptionsFlowWithReload):
    """Scan interval, the objects to read (offered from the meter's object list, read when
    the form opens), keep-session-open and the load profile import."""

    config_entry: DlmsConfigEntry

    def __init__(self) -> None:
        self._classes: dict[Obis, int] | None = None

    async def _async_object_list(self, errors: dict[str, str]) -> dict[Obis, int]:
        """The meter's objects, read once per options flow; {} with ``errors`` filled when
        the meter cannot be asked now."""
        if self._classes is None:
            data = dict(self.config_entry.data)
            try:
                _, self._classes = await async_probe_entry(self.hass, self.config_entry, data)
            except Exception as err:  # every failure becomes a form error (probe_error says which)
                errors["base"] = probe_error(err, data)
                return {}
        return self._classes

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        entry = self.config_entry
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is None:
            classes = await self._async_object_list(errors)
            return self.async_show_form(
                step_id="init",
                data_schema=options_schema(entry, classes),
                errors=errors,
                description_placeholders=placeholders,
            )
        current = {
            Obis.parse(obj["obis"]): int(obj["class_id"])
            for obj in entry.options.get(CONF_OBJECTS, entry.data[CONF_OBJECTS])
        }
        classes = {**current, **(self._classes or {})}
        try:
            codes = parse_obis_codes(user_input[CONF_OBIS_CODES])
            profile = Obis.parse(user_input[CONF_LOAD_PROFILE]).dotted
        except InvalidObis as err:
            errors[CONF_OBIS_CODES] = "invalid_obis"
            placeholders["obis"] = err.code
        except NoObisCodes:
            errors[CONF_OBIS_CODES] = "no_obis_codes"
        except DecodeError:
            errors[CONF_LOAD_PROFILE] = "invalid_obis"
            placeholders["obis"] = user_input[CONF_LOAD_PROFILE]
        else:
            if any(obis not in classes for obis in codes) and not self._classes:
                # A new code and no object list yet: ask the meter now.
                self._classes = None
                classes |= await self._async_object_list(errors)
            if not errors:
                if missing := [obis.reduced for obis in codes if obis not in classes]:
                    errors[CONF_OBIS_CODES] = "object_not_found"
                    placeholders["obis"] = ", ".join(missing)
                else:
                    return self.async_create_entry(
                        data={
                            CONF_SCAN_INTERVAL: user_input[CONF_SCAN_INTERVAL],
                            CONF_OBJECTS: [
                                {"obis": obis.dotted, "class_id": classes[obis]} for obis in codes
                            ],
                            CONF_KEEP_SESSION: user_input[CONF_KEEP_SESSION],
                            CONF_LOAD_PROFILE_IMPORT: user_input[CONF_LOAD_PROFILE_IMPORT],
                            CONF_LOAD_PROFILE: profile,
                            CONF_BACKFILL_DAYS: user_input[CONF_BACKFILL_DAYS],
                        }
                    )
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                options_schema(entry, self._classes or {}), user_input
            ),
            errors=errors,
            description_placeholders=placeholders,
        )
