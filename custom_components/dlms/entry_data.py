"""From the flows' form input to the entry's data, checked before any I/O.

Pure functions: each takes what a form posted and returns what the entry stores, or raises
``FlowInputError`` naming the field, the error's translation key and its placeholders. They
never put a secret into an error or its placeholders.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.const import CONF_PASSWORD, CONF_PORT

from .client_factory import build_client, is_secured
from .const import (
    ADDRESS_SIZE_AUTO,
    AUTH_HLS_ECDSA,
    AUTH_HLS_GMAC,
    AUTH_NONE,
    BAUDRATE,
    CLIENT_ADDRESS_CUSTOM,
    CONF_ADDRESS_SIZE,
    CONF_AUTHENTICATION,
    CONF_AUTHENTICATION_KEY,
    CONF_BAUDRATE,
    CONF_CLIENT_ADDRESS,
    CONF_CLIENT_ADDRESS_PRESET,
    CONF_CLIENT_PRIVATE_KEY,
    CONF_ENCRYPTION_KEY,
    CONF_IC_OBIS,
    CONF_IC_SOURCE,
    CONF_METER_PRESET,
    CONF_MODE_E,
    CONF_OBIS_CODES,
    CONF_OBJECTS,
    CONF_SECURITY_POLICY,
    CONF_SECURITY_SUITE,
    CONF_SERVER_LOGICAL_ADDRESS,
    CONF_SERVER_PHYSICAL_ADDRESS,
    CONF_SERVER_PUBLIC_KEY,
    CONF_SYSTEM_TITLE,
    DEFAULT_IC_OBIS,
    DEFAULT_SYSTEM_TITLE,
    IC_SOURCE_METER,
    IC_SOURCE_PERSISTED,
    METER_PRESET_CUSTOM,
    METER_PRESETS,
    POLICY_NONE,
    SYSTEM_TITLE_LENGTH,
)
from .libdlms import (
    ConfigurationError,
    DecodeError,
    DlmsError,
    Mechanism,
    Obis,
    SecurityKeys,
    ecdsa_private_key_from_pem,
    ecdsa_public_key_from_pem,
    key_length,
)

# The connection's fields: what the reconfigure step may change.
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
SECRET_FIELDS = frozenset(
    {
        CONF_PASSWORD,
        CONF_ENCRYPTION_KEY,
        CONF_AUTHENTICATION_KEY,
        CONF_CLIENT_PRIVATE_KEY,
        CONF_SERVER_PUBLIC_KEY,
    }
)


class FlowInputError(Exception):
    """Input that cannot work, found before any I/O: the form field it belongs to ("base"
    for the whole form), the error's translation key and its placeholders (never a
    secret)."""

    def __init__(self, field: str, key: str, **placeholders: str) -> None:
        super().__init__(key)
        self.field = field
        self.key = key
        self.placeholders = placeholders


def _parse_hex(field: str, text: str) -> bytes:
    try:
        return bytes.fromhex(text.replace(" ", "").replace(":", ""))
    except ValueError:
        raise FlowInputError(field, "invalid_hex") from None


def parse_key(field: str, text: str, suite: int) -> bytes:
    """A key typed as hex into ``field``, of the length ``suite`` takes."""
    return _key(field, text, suite)


def _key(field: str, text: str, suite: int) -> bytes:
    """A key typed as hex, of the length ``suite`` takes (the library's own check)."""
    key = _parse_hex(field, text)
    try:
        SecurityKeys(key).validate(suite)
    except ConfigurationError:
        length = key_length(suite)
        raise FlowInputError(
            field, "key_length", suite=str(suite), expected=str(length), digits=str(2 * length)
        ) from None
    return key


def parse_obis(field: str, code: str) -> Obis:
    """One OBIS code typed into ``field``."""
    try:
        return Obis.parse(code)
    except DecodeError:
        raise FlowInputError(field, "invalid_obis", obis=code) from None


def connection_data_from_input(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """The connection settings to store from the first step (and the reconfigure step)."""
    return {
        CONF_PORT: str(user_input[CONF_PORT]).strip(),
        CONF_BAUDRATE: int(user_input.get(CONF_BAUDRATE, BAUDRATE)),
        CONF_MODE_E: bool(user_input.get(CONF_MODE_E, False)),
    }


def check_addresses(data: Mapping[str, Any]) -> None:
    """Raise unless the addresses fit the address size (building a client checks them;
    nothing else in ``data`` matters for their encoding)."""
    try:
        build_client({key: data[key] for key in ADDRESS_FIELDS if key in data})
    except DlmsError as err:
        raise FlowInputError("base", "invalid_address") from err


def client_address_from_input(user_input: Mapping[str, Any]) -> int:
    """The client SAP: the chosen preset, or the numeric field for "custom" (and when no
    preset is posted at all)."""
    preset = user_input.get(CONF_CLIENT_ADDRESS_PRESET, CLIENT_ADDRESS_CUSTOM)
    if preset == CLIENT_ADDRESS_CUSTOM:
        return int(user_input[CONF_CLIENT_ADDRESS])
    return int(preset)


def addressing_data_from_input(
    user_input: Mapping[str, Any], connection: Mapping[str, Any]
) -> dict[str, Any]:
    """The HDLC addresses to store: the client preset or typed client address, the meter
    preset's server addressing or the typed one."""
    data: dict[str, Any] = {CONF_CLIENT_ADDRESS: client_address_from_input(user_input)}
    logical = int(user_input[CONF_SERVER_LOGICAL_ADDRESS])
    physical = int(user_input[CONF_SERVER_PHYSICAL_ADDRESS])
    size = str(user_input[CONF_ADDRESS_SIZE])
    if (
        preset := METER_PRESETS.get(user_input.get(CONF_METER_PRESET, METER_PRESET_CUSTOM))
    ) is not None:
        # What the preset knows; a physical address that is the meter's own stays typed.
        logical = preset.server_logical
        if preset.server_physical is not None:
            physical = preset.server_physical
        size = str(preset.address_size) if preset.address_size else ADDRESS_SIZE_AUTO
    data[CONF_SERVER_LOGICAL_ADDRESS] = logical
    data[CONF_SERVER_PHYSICAL_ADDRESS] = physical
    data[CONF_ADDRESS_SIZE] = size
    check_addresses({**connection, **data})
    return data


def reconfigure_data_from_input(
    user_input: Mapping[str, Any], data: Mapping[str, Any]
) -> dict[str, Any]:
    """The reconfigure step's changes to the entry's ``data``: the port and addresses."""
    updates = {key: user_input[key] for key in ADDRESS_FIELDS if key in user_input}
    updates |= connection_data_from_input(user_input)
    check_addresses({**data, **updates})
    return updates


def security_data_from_input(
    user_input: Mapping[str, Any], previous: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The authentication and security settings to store (keys as lower-case hex). A
    secret left empty is taken from ``previous`` (the form shown again after a failed
    connection test) so it need not be typed twice."""

    def secret(field: str) -> str:
        text = str(user_input.get(field) or "").strip()
        return text or str((previous or {}).get(field) or "")

    authentication = user_input.get(CONF_AUTHENTICATION, AUTH_NONE)
    result: dict[str, Any] = {CONF_AUTHENTICATION: authentication}
    if Mechanism.from_name(authentication).needs_secret:
        if not (password := secret(CONF_PASSWORD)):
            raise FlowInputError(CONF_PASSWORD, "password_required")
        result[CONF_PASSWORD] = password
    policy = user_input.get(CONF_SECURITY_POLICY, POLICY_NONE)
    if policy != POLICY_NONE:
        result[CONF_SECURITY_POLICY] = policy
    if not is_secured(result):
        return result

    suite = int(user_input.get(CONF_SECURITY_SUITE, 0))
    result[CONF_SECURITY_SUITE] = suite
    system_title = _parse_hex(
        CONF_SYSTEM_TITLE, str(user_input.get(CONF_SYSTEM_TITLE, DEFAULT_SYSTEM_TITLE))
    )
    if len(system_title) != SYSTEM_TITLE_LENGTH:
        raise FlowInputError(CONF_SYSTEM_TITLE, "system_title_length")
    result[CONF_SYSTEM_TITLE] = system_title.hex()

    gmac = authentication == AUTH_HLS_GMAC
    needs_ek = policy != POLICY_NONE or gmac
    needs_ak = policy in ("authentication", "authenticated-encryption") or gmac
    for field, needed in ((CONF_ENCRYPTION_KEY, needs_ek), (CONF_AUTHENTICATION_KEY, needs_ak)):
        if text := secret(field):
            result[field] = _key(field, text, suite).hex()
        elif needed:
            raise FlowInputError(field, "key_required")
    if CONF_AUTHENTICATION_KEY in result and CONF_ENCRYPTION_KEY not in result:
        raise FlowInputError(CONF_ENCRYPTION_KEY, "key_required")

    if authentication == AUTH_HLS_ECDSA:
        result |= _ecdsa_keys(
            secret(CONF_CLIENT_PRIVATE_KEY), secret(CONF_SERVER_PUBLIC_KEY), suite
        )

    result[CONF_IC_SOURCE] = user_input.get(CONF_IC_SOURCE, IC_SOURCE_PERSISTED)
    if result[CONF_IC_SOURCE] == IC_SOURCE_METER:
        code = str(user_input.get(CONF_IC_OBIS) or DEFAULT_IC_OBIS)
        result[CONF_IC_OBIS] = parse_obis(CONF_IC_OBIS, code).dotted
    return result


def _ecdsa_keys(private_pem: str, public_pem: str, suite: int) -> dict[str, str]:
    """HLS-ECDSA's keys as PEM, each loaded and checked against the suite's curve (suite 1
    P-256, 2 P-384) before any I/O."""
    if suite not in (1, 2):
        raise FlowInputError(CONF_SECURITY_SUITE, "ecdsa_suite")
    keys = {}
    for field, text, load in (
        (CONF_CLIENT_PRIVATE_KEY, private_pem, ecdsa_private_key_from_pem),
        (CONF_SERVER_PUBLIC_KEY, public_pem, ecdsa_public_key_from_pem),
    ):
        if not text:
            raise FlowInputError(field, "key_required")
        try:
            load(text, suite=suite)
        except DlmsError as err:
            raise FlowInputError(field, "ecdsa_key_invalid", reason=str(err)) from None
        keys[field] = text.strip()
    return keys


def reauth_updates(data: Mapping[str, Any], user_input: Mapping[str, Any]) -> dict[str, Any]:
    """The new secrets, keys checked against the entry's suite."""
    updates: dict[str, Any] = {}
    if CONF_PASSWORD in user_input:
        updates[CONF_PASSWORD] = user_input[CONF_PASSWORD]
    suite = int(data.get(CONF_SECURITY_SUITE, 0))
    for field in (CONF_ENCRYPTION_KEY, CONF_AUTHENTICATION_KEY):
        if field in user_input:
            updates[field] = _key(field, str(user_input[field]).strip(), suite).hex()
    if CONF_CLIENT_PRIVATE_KEY in user_input:
        keys = _ecdsa_keys(
            str(user_input[CONF_CLIENT_PRIVATE_KEY]), str(data[CONF_SERVER_PUBLIC_KEY]), suite
        )
        updates[CONF_CLIENT_PRIVATE_KEY] = keys[CONF_CLIENT_PRIVATE_KEY]
    if CONF_IC_SOURCE in user_input:
        updates[CONF_IC_SOURCE] = user_input[CONF_IC_SOURCE]
        if user_input[CONF_IC_SOURCE] == IC_SOURCE_METER and not data.get(CONF_IC_OBIS):
            updates[CONF_IC_OBIS] = DEFAULT_IC_OBIS
    return updates


def parse_obis_codes(codes: list[str]) -> list[Obis]:
    """The chosen codes, parsed, without duplicates, in the order given."""
    parsed: list[Obis] = []
    for code in codes:
        if (obis := parse_obis(CONF_OBIS_CODES, code)) not in parsed:
            parsed.append(obis)
    if not parsed:
        raise FlowInputError(CONF_OBIS_CODES, "no_obis_codes")
    return parsed


def objects_data(codes: list[Obis], classes: Mapping[Obis, int]) -> list[dict[str, Any]]:
    """The objects to store (``CONF_OBJECTS``): each chosen code with its class id from the
    meter's object list (``classes``); a code the meter lacks is an error."""
    if missing := [obis.reduced for obis in codes if obis not in classes]:
        raise FlowInputError(CONF_OBIS_CODES, "object_not_found", obis=", ".join(missing))
    return [{"obis": obis.dotted, "class_id": classes[obis]} for obis in codes]


def configured_objects(data: Mapping[str, Any], options: Mapping[str, Any]) -> dict[Obis, int]:
    """The objects an entry reads, with their class ids: the options' choice, else the
    config flow's."""
    return {
        Obis.parse(obj["obis"]): int(obj["class_id"])
        for obj in options.get(CONF_OBJECTS, data[CONF_OBJECTS])
    }
