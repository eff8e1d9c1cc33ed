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

from collections.abc import Mapping
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

from .const import (
    ADDRESS_SIZE_AUTO,
    ADDRESS_SIZES,
    AUTH_HLS_GMAC,
    AUTH_NONE,
    AUTHENTICATIONS,
    AUTHS_WITH_SECRET,
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
    CONF_LOAD_PROFILE,
    CONF_LOAD_PROFILE_IMPORT,
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
    POLICY_NONE,
    REGISTER_CLASS_IDS,
    SCAN_INTERVAL,
    SECURITY_POLICIES,
    SECURITY_SUITES,
    SYSTEM_TITLE_LENGTH,
)
from .coordinator import (
    DlmsConfigEntry,
    build_client,
    error_key,
    invocation_counter_store,
    is_secured,
    port_lock,
    read_identity,
    read_meter_invocation_counter,
    uses_invocation_counter,
)
from .libdlms.codecs.xdlms import AttributeDescriptor
from .libdlms.cosem.obis import Obis
from .libdlms.cosem.objects import ASSOCIATION_LN, InterfaceClass, parse_object_list
from .libdlms.errors import DecodeError, DlmsError, SecurityError
from .libdlms.security import InvocationCounter, SecurityKeys


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
        # No default: a post without it (the REST API, older scripts) keeps the numeric
        # field; the form shows "16" as its suggested value.
        probatio.Optional(CONF_CLIENT_ADDRESS_PRESET): _dropdown(
            CLIENT_ADDRESS_PRESETS, CONF_CLIENT_ADDRESS_PRESET
        ),
        probatio.Required(CONF_CLIENT_ADDRESS, default=DEFAULT_CLIENT_ADDRESS): _address(0x7F),
        probatio.Required(
            CONF_SERVER_LOGICAL_ADDRESS, default=DEFAULT_SERVER_LOGICAL_ADDRESS
        ): _address(0x3FFF),
        probatio.Required(
            CONF_SERVER_PHYSICAL_ADDRESS, default=DEFAULT_SERVER_PHYSICAL_ADDRESS
        ): _address(0x3FFF),
        probatio.Required(CONF_ADDRESS_SIZE, default=ADDRESS_SIZE_AUTO): _dropdown(
            ADDRESS_SIZES, CONF_ADDRESS_SIZE
        ),
        probatio.Required(CONF_AUTHENTICATION, default=AUTH_NONE): _dropdown(
            AUTHENTICATIONS, CONF_AUTHENTICATION
        ),
        probatio.Optional(CONF_PASSWORD): TextSelector(
            TextSelectorConfig(type=TextSelectorType.PASSWORD)
        ),
        probatio.Required(CONF_SECURITY_POLICY, default=POLICY_NONE): _dropdown(
            SECURITY_POLICIES, CONF_SECURITY_POLICY
        ),
        probatio.Required(CONF_OBIS_CODES, default=DEFAULT_OBIS_CODES): SelectSelector(
            SelectSelectorConfig(
                options=[
                    SelectOptionDict(value=code, label=f"{Obis.parse(code).reduced} {label}")
                    for code, label in COMMON_OBIS_CODES.items()
                ],
                multiple=True,
                custom_value=True,
                sort=False,
                mode=SelectSelectorMode.DROPDOWN,
            )
        ),
    }
)


_SECRET_TEXT = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))

SECURITY_SCHEMA = probatio.Schema(
    {
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

# Security fields never shown again as suggested values.
SECRET_FIELDS = frozenset({CONF_PASSWORD, CONF_ENCRYPTION_KEY, CONF_AUTHENTICATION_KEY})


# Errors found in the security step's fields before any I/O.
FIELD_ERRORS = frozenset(
    {"invalid_hex", "key_length", "key_required", "system_title_length", "invalid_obis"}
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


def security_data_from_input(data: dict[str, Any], user_input: dict[str, Any]) -> dict[str, Any]:
    """The security settings to store (keys as lower-case hex); raises ``FieldError`` before
    any I/O when a key or the system title cannot work with the chosen suite."""
    suite = int(user_input[CONF_SECURITY_SUITE])
    policy = data.get(CONF_SECURITY_POLICY, POLICY_NONE)
    gmac = data[CONF_AUTHENTICATION] == AUTH_HLS_GMAC
    length = key_length(suite)
    result: dict[str, Any] = {CONF_SECURITY_SUITE: suite}

    system_title = _parse_hex(CONF_SYSTEM_TITLE, user_input.get(CONF_SYSTEM_TITLE, ""))
    if len(system_title) != SYSTEM_TITLE_LENGTH:
        raise FieldError(CONF_SYSTEM_TITLE, "system_title_length")
    result[CONF_SYSTEM_TITLE] = system_title.hex()

    keys: dict[str, bytes] = {}
    needs_ek = policy != POLICY_NONE or gmac
    needs_ak = policy in ("authentication", "authenticated-encryption") or gmac
    for field, needed in ((CONF_ENCRYPTION_KEY, needs_ek), (CONF_AUTHENTICATION_KEY, needs_ak)):
        text = (user_input.get(field) or "").strip()
        if not text:
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
        except SecurityError:
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


class PasswordRequired(Exception):
    """LLS without a password."""


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


def entry_data_from_input(user_input: dict[str, Any]) -> dict[str, Any]:
    """The connection settings to store; raises before any I/O when they cannot work."""
    password = user_input.get(CONF_PASSWORD) or None
    if user_input[CONF_AUTHENTICATION] in AUTHS_WITH_SECRET and not password:
        raise PasswordRequired
    data: dict[str, Any] = {
        CONF_PORT: user_input[CONF_PORT].strip(),
        CONF_BAUDRATE: int(user_input.get(CONF_BAUDRATE, BAUDRATE)),
        CONF_MODE_E: bool(user_input.get(CONF_MODE_E, False)),
        CONF_CLIENT_ADDRESS: client_address_from_input(user_input),
        CONF_SERVER_LOGICAL_ADDRESS: user_input[CONF_SERVER_LOGICAL_ADDRESS],
        CONF_SERVER_PHYSICAL_ADDRESS: user_input[CONF_SERVER_PHYSICAL_ADDRESS],
        CONF_ADDRESS_SIZE: user_input[CONF_ADDRESS_SIZE],
        CONF_AUTHENTICATION: user_input[CONF_AUTHENTICATION],
    }
    if data[CONF_AUTHENTICATION] in AUTHS_WITH_SECRET:
        data[CONF_PASSWORD] = password
    policy = user_input.get(CONF_SECURITY_POLICY, POLICY_NONE)
    if policy != POLICY_NONE:
        data[CONF_SECURITY_POLICY] = policy
    try:  # the addresses alone: the keys come in the security step
        build_client({key: data[key] for key in data if key in ADDRESS_FIELDS})
    except DlmsError as err:  # an address that does not fit the address size
        raise InvalidAddress from err
    return data


async def async_probe(
    hass: HomeAssistant, data: dict[str, Any], counter: InvocationCounter | None = None
) -> tuple[str, dict[Obis, int]]:
    """One session with the meter: its identity and its object list (OBIS -> class id).

    A secured session starts its invocation counter at the meter's (read with the public
    client) or at 0, and leaves the next value in ``data`` for the entry's coordinator.
    """
    async with port_lock(hass, data[CONF_PORT]):
        if uses_invocation_counter(data):
            start = counter.value if counter is not None else data.get(CONF_INVOCATION_COUNTER, 0)
            if data.get(CONF_IC_SOURCE) == IC_SOURCE_METER:
                last = await read_meter_invocation_counter(data)
                if last >= start:
                    counter = InvocationCounter.after(last)
            if counter is None:
                counter = InvocationCounter(start=start)
        else:
            counter = None
        try:
            async with build_client(data, counter=counter) as client:
                object_list = parse_object_list(
                    await client.get(
                        AttributeDescriptor(InterfaceClass.ASSOCIATION_LN, ASSOCIATION_LN, 2)
                    )
                )
                serial, logical_device_name = await read_identity(client)
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
    store = invocation_counter_store(hass, entry.entry_id)
    if uses_invocation_counter(data):
        if entry.state is ConfigEntryState.LOADED and entry.runtime_data.coordinator.counter:
            counter = entry.runtime_data.coordinator.counter
        else:
            stored = await store.async_load() or {}
            counter = InvocationCounter(
                start=max(
                    int(stored.get("next", 0)), int(entry.data.get(CONF_INVOCATION_COUNTER, 0))
                )
            )
    try:
        return await async_probe(hass, data, counter)
    finally:
        if CONF_INVOCATION_COUNTER in data:
            await store.async_save({"next": data[CONF_INVOCATION_COUNTER]})


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
    if data.get(CONF_AUTHENTICATION) in AUTHS_WITH_SECRET:
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
    {key: value for key, value in USER_SCHEMA.schema.items() if str(key) in ADDRESS_FIELDS}
)

MIN_SCAN_INTERVAL = 5
MAX_SCAN_INTERVAL = 3600


class DlmsConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up one meter."""

    VERSION = 1
    MINOR_VERSION = 1

    def __init__(self) -> None:
        self._data: dict[str, Any] = {}
        self._obis_codes: list[Obis] = []
        self._classes: dict[Obis, int] = {}

    @override
    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            try:
                self._obis_codes = parse_obis_codes(user_input[CONF_OBIS_CODES])
                data = entry_data_from_input(user_input)
            except InvalidObis as err:
                errors[CONF_OBIS_CODES] = "invalid_obis"
                placeholders["obis"] = err.code
            except NoObisCodes:
                errors[CONF_OBIS_CODES] = "no_obis_codes"
            except PasswordRequired:
                errors[CONF_PASSWORD] = "password_required"
            except InvalidAddress:
                errors["base"] = "invalid_address"
            else:
                if is_secured(data):
                    self._data = data
                    return await self.async_step_security()
                if (
                    result := await self._async_probe_and_create(
                        data, errors, placeholders, CONF_OBIS_CODES
                    )
                ) is not None:
                    return result
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(
                USER_SCHEMA,
                {
                    CONF_CLIENT_ADDRESS_PRESET: str(DEFAULT_CLIENT_ADDRESS),
                    **{k: v for k, v in (user_input or {}).items() if k not in SECRET_FIELDS},
                },
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_security(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Keys, system title and invocation counter of a secured meter."""
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {
            "policy": self._data.get(CONF_SECURITY_POLICY, POLICY_NONE),
            "expected": "16",
            "suite": "0",
        }
        if user_input is not None:
            try:
                security = security_data_from_input(self._data, user_input)
            except FieldError as err:
                errors[err.field] = err.key
                placeholders.update(err.placeholders)
            else:
                data = {**self._data, **security}
                if (
                    result := await self._async_probe_and_create(data, errors, placeholders, "base")
                ) is not None:
                    return result
        return self.async_show_form(
            step_id="security",
            data_schema=self.add_suggested_values_to_schema(
                SECURITY_SCHEMA,
                {k: v for k, v in (user_input or {}).items() if k not in SECRET_FIELDS},
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def _async_probe_and_create(
        self,
        data: dict[str, Any],
        errors: dict[str, str],
        placeholders: dict[str, str],
        objects_field: str,
    ) -> ConfigFlowResult | None:
        """Prove the settings on the meter; the entry, or None with ``errors`` filled in.
        ``objects_field``: where a missing object is shown (the security step has no OBIS
        field, so its form shows it at the top)."""
        port = data[CONF_PORT]
        try:
            serial, classes = await async_probe(self.hass, data)
        except ConfigEntryNotReady as err:  # serialx stub for an ESPHome proxy not loaded
            LOGGER.debug("Port %s is not ready: %s", port, err)
            errors["base"] = "cannot_connect"
            return None
        except DlmsError as err:
            # str(err) never carries keys or passwords (the library keeps them out).
            LOGGER.debug("The meter on %s did not work out: %s", port, err)
            errors["base"] = error_key(err, data)
            return None
        except Exception:
            LOGGER.exception("Unexpected exception while probing the meter on %s", port)
            errors["base"] = "unknown"
            return None
        finally:
            # The counter values this probe used are never used again by the entry.
            if CONF_INVOCATION_COUNTER in data:
                self._data[CONF_INVOCATION_COUNTER] = data[CONF_INVOCATION_COUNTER]
        await self.async_set_unique_id(serial)
        self._abort_if_unique_id_configured()
        # The defaults the meter lacks are left out (the objects step offers what it has);
        # a code the user chose that the meter lacks is shown.
        self._obis_codes = [
            obis
            for obis in self._obis_codes
            if obis in classes or obis.dotted not in DEFAULT_OBIS_CODES
        ]
        if missing := [obis.reduced for obis in self._obis_codes if obis not in classes]:
            errors[objects_field] = "object_not_found"
            placeholders["obis"] = ", ".join(missing)
            return None
        self._data = data
        self._classes = classes
        return await self.async_step_objects()

    async def async_step_objects(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Object selection from the meter's object list (read by the connection test)."""
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
        schema = objects_schema(offered_objects(self._classes, self._obis_codes), self._obis_codes)
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


def options_schema(entry: DlmsConfigEntry) -> probatio.Schema:
    current = [obj["obis"] for obj in entry.options.get(CONF_OBJECTS, entry.data[CONF_OBJECTS])]
    options = [
        SelectOptionDict(value=code, label=f"{Obis.parse(code).reduced} {label}")
        for code, label in COMMON_OBIS_CODES.items()
    ]
    options += [
        SelectOptionDict(value=code, label=Obis.parse(code).reduced)
        for code in current
        if code not in COMMON_OBIS_CODES
    ]
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
            probatio.Required(CONF_OBIS_CODES, default=current): SelectSelector(
                SelectSelectorConfig(
                    options=options,
                    multiple=True,
                    custom_value=True,
                    sort=False,
                    mode=SelectSelectorMode.DROPDOWN,
                )
            ),
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
    """Scan interval and the objects to read; new objects are looked up on the meter."""

    config_entry: DlmsConfigEntry

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        entry = self.config_entry
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            current = {
                obj["obis"]: obj["class_id"]
                for obj in entry.options.get(CONF_OBJECTS, entry.data[CONF_OBJECTS])
            }
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
                classes = {obis: current[obis.dotted] for obis in codes if obis.dotted in current}
                if len(classes) < len(codes):
                    # Only new objects need the meter's object list.
                    data = dict(entry.data)
                    try:
                        _, classes = await async_probe_entry(self.hass, entry, data)
                    except Exception as err:
                        errors["base"] = probe_error(err, data)
                if not errors:
                    if missing := [obis.reduced for obis in codes if obis not in classes]:
                        errors[CONF_OBIS_CODES] = "object_not_found"
                        placeholders["obis"] = ", ".join(missing)
                    else:
                        return self.async_create_entry(
                            data={
                                CONF_SCAN_INTERVAL: user_input[CONF_SCAN_INTERVAL],
                                CONF_OBJECTS: [
                                    {"obis": obis.dotted, "class_id": classes[obis]}
                                    for obis in codes
                                ],
                                CONF_LOAD_PROFILE_IMPORT: user_input[CONF_LOAD_PROFILE_IMPORT],
                                CONF_LOAD_PROFILE: profile,
                                CONF_BACKFILL_DAYS: user_input[CONF_BACKFILL_DAYS],
                            }
                        )
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(options_schema(entry), user_input),
            errors=errors,
            description_placeholders=placeholders,
        )
