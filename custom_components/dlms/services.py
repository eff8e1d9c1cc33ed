"""The actions: ``dlms.read_attribute`` reads any attribute of any object on demand and
returns the decoded value; ``dlms.write_attribute`` and ``dlms.call_method`` SET an
attribute and ACTION a method with a typed value (``{"type": "long-unsigned", "value": 5}``,
as the read action's response types them).

A write or call the entry's client may not make according to the meter's object list
(its access rights, read once per entry on the first write or call) is refused before the
SET or ACTION is sent; a refusal by the meter names the standard's result."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, Final

import probatio
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv

from .const import DOMAIN
from .coordinator import DlmsConfigEntry, DlmsCoordinator
from .errors import error_key
from .libdlms import (
    ActionError,
    AttributeDescriptor,
    BitString,
    Data,
    DataAccessError,
    DataType,
    DecodeError,
    DlmsError,
    EncodeError,
    MethodDescriptor,
    Obis,
    ObjectListElement,
    data_from_json,
)

SERVICE_READ_ATTRIBUTE = "read_attribute"
SERVICE_WRITE_ATTRIBUTE = "write_attribute"
SERVICE_CALL_METHOD = "call_method"
ATTR_VALUE = "value"
ATTR_METHOD = "method"
ATTR_PARAMETERS = "parameters"
ATTR_CONFIG_ENTRY_ID = "config_entry_id"
ATTR_CLASS_ID = "class_id"
ATTR_OBIS = "obis"
ATTR_ATTRIBUTE = "attribute"

READ_ATTRIBUTE_SCHEMA = probatio.Schema(
    {
        probatio.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        probatio.Required(ATTR_CLASS_ID): probatio.All(
            probatio.Coerce(int), probatio.Range(min=0, max=0xFFFF)
        ),
        probatio.Required(ATTR_OBIS): cv.string,
        probatio.Optional(ATTR_ATTRIBUTE, default=2): probatio.All(
            probatio.Coerce(int), probatio.Range(min=1, max=127)
        ),
    }
)


WRITE_ATTRIBUTE_SCHEMA = READ_ATTRIBUTE_SCHEMA.extend({probatio.Required(ATTR_VALUE): dict})
CALL_METHOD_SCHEMA = probatio.Schema(
    {
        probatio.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        probatio.Required(ATTR_CLASS_ID): probatio.All(
            probatio.Coerce(int), probatio.Range(min=0, max=0xFFFF)
        ),
        probatio.Required(ATTR_OBIS): cv.string,
        probatio.Required(ATTR_METHOD): probatio.All(
            probatio.Coerce(int), probatio.Range(min=1, max=127)
        ),
        probatio.Optional(ATTR_PARAMETERS): dict,
    }
)


def _bits(value: BitString) -> str:
    """Bits as "0"/"1", the first bit first (the library's own rendering)."""
    return str(Data(DataType.BIT_STRING, value).to_json()["value"])


# How each decoded value becomes JSON; the first type that matches decides.
_JSON: Final[tuple[tuple[type | tuple[type, ...], Callable[[Any], Any]], ...]] = (
    (bytes, bytes.hex),
    (BitString, _bits),
    ((list, tuple), lambda value: [json_value(item) for item in value]),
    (dict, lambda value: {str(key): json_value(item) for key, item in value.items()}),
    (Decimal, float),
    ((datetime, date, time), lambda value: value.isoformat()),
    ((type(None), bool, int, float, str), lambda value: value),
)


def json_value(value: Any) -> Any:
    """A decoded COSEM value as JSON: octet-strings as hex, numbers as numbers, structures
    and arrays as lists, dates as ISO text; anything else as its text."""
    for kinds, convert in _JSON:
        if isinstance(value, kinds):
            return convert(value)
    return str(value)


def _entry(hass: HomeAssistant, entry_id: str) -> DlmsConfigEntry:
    entry: DlmsConfigEntry | None = hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.domain != DOMAIN:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_found",
            translation_placeholders={"entry_id": entry_id},
        )
    if entry.state is not ConfigEntryState.LOADED:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_loaded",
            translation_placeholders={"title": entry.title},
        )
    return entry


async def async_read_attribute(call: ServiceCall) -> ServiceResponse:
    entry, coordinator, obis = _polled(call)
    descriptor = AttributeDescriptor(call.data[ATTR_CLASS_ID], obis, call.data[ATTR_ATTRIBUTE])
    name = f"{descriptor.class_id}/{obis.reduced}/{descriptor.attribute}"
    try:
        result = await coordinator.async_read_attribute(descriptor)
    except DataAccessError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="attribute_not_readable",
            translation_placeholders={"attribute": name, "error": str(err)},
        ) from err
    except DlmsError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="read_attribute_failed",
            translation_placeholders={
                "attribute": name,
                "error": str(err),
                "reason": error_key(err, entry.data),
            },
        ) from err
    raw = result.value
    return {
        "class_id": descriptor.class_id,
        "obis": obis.reduced,
        "attribute": descriptor.attribute,
        "type": result.type.name.lower(),
        "value": json_value(result.to_python()),
        "text": (
            raw.decode("ascii")
            if isinstance(raw, bytes) and raw and all(0x20 <= b < 0x7F for b in raw)
            else None
        ),
    }


def _polled(call: ServiceCall) -> tuple[DlmsConfigEntry, DlmsCoordinator, Obis]:
    """The call's entry (loaded, polled) and the object's OBIS code, or a validation error."""
    entry = _entry(call.hass, call.data[ATTR_CONFIG_ENTRY_ID])
    code = call.data[ATTR_OBIS]
    try:
        obis = Obis.parse(code)
    except DecodeError:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invalid_obis",
            translation_placeholders={"obis": code},
        ) from None
    coordinator = entry.runtime_data.coordinator
    if not isinstance(coordinator, DlmsCoordinator):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="push_meter",
            translation_placeholders={"title": entry.title},
        )
    return entry, coordinator, obis


def _typed_value(value: dict[str, Any]) -> Data:
    try:
        return data_from_json(value)
    except EncodeError as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invalid_value",
            translation_placeholders={"error": str(err)},
        ) from None


def _failed(
    entry: DlmsConfigEntry, target: str, err: DlmsError, *, translation_key: str
) -> HomeAssistantError:
    """A write or call the meter refused, or could not be asked (no key or secret in it)."""
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key=translation_key,
        translation_placeholders={
            "target": target,
            "error": str(err),
            "reason": error_key(err, entry.data),
        },
    )


async def _rights(
    entry: DlmsConfigEntry, coordinator: DlmsCoordinator, class_id: int, obis: Obis, name: str
) -> ObjectListElement:
    """The object's entry in the meter's object list for this client."""
    try:
        rights = await coordinator.async_access_rights()
    except DlmsError as err:
        raise _failed(entry, name, err, translation_key="write_failed") from err
    element = rights.get(obis)
    if element is None or element.class_id != class_id:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="object_not_in_list",
            translation_placeholders={"target": name},
        )
    return element


async def async_write_attribute(call: ServiceCall) -> None:
    entry, coordinator, obis = _polled(call)
    descriptor = AttributeDescriptor(call.data[ATTR_CLASS_ID], obis, call.data[ATTR_ATTRIBUTE])
    name = f"{descriptor.class_id}/{obis.reduced}/{descriptor.attribute}"
    value = _typed_value(call.data[ATTR_VALUE])
    element = await _rights(entry, coordinator, descriptor.class_id, obis, name)
    if descriptor.attribute not in element.writable_attributes:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="not_writable",
            translation_placeholders={"target": name},
        )
    try:
        await coordinator.async_write_attribute(descriptor, value)
    except DataAccessError as err:
        raise _failed(entry, name, err, translation_key="write_refused") from err
    except DlmsError as err:
        raise _failed(entry, name, err, translation_key="write_failed") from err


async def async_call_method(call: ServiceCall) -> ServiceResponse:
    entry, coordinator, obis = _polled(call)
    method = MethodDescriptor(call.data[ATTR_CLASS_ID], obis, call.data[ATTR_METHOD])
    name = f"{method.class_id}/{obis.reduced}/{method.method}"
    raw = call.data.get(ATTR_PARAMETERS)
    parameters = None if raw is None else _typed_value(raw)
    element = await _rights(entry, coordinator, method.class_id, obis, name)
    if method.method not in element.methods:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="not_callable",
            translation_placeholders={"target": name},
        )
    try:
        returned = await coordinator.async_call_method(method, parameters)
    except (ActionError, DataAccessError) as err:
        raise _failed(entry, name, err, translation_key="call_refused") from err
    except DlmsError as err:
        raise _failed(entry, name, err, translation_key="write_failed") from err
    return {"return": None if returned is None else returned.to_json()}


def async_setup_services(hass: HomeAssistant) -> None:
    """Register the actions once, whatever entries exist (rule action-setup)."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_READ_ATTRIBUTE,
        async_read_attribute,
        schema=READ_ATTRIBUTE_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_WRITE_ATTRIBUTE,
        async_write_attribute,
        schema=WRITE_ATTRIBUTE_SCHEMA,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_CALL_METHOD,
        async_call_method,
        schema=CALL_METHOD_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
