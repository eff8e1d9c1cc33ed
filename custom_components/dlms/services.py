"""The ``dlms.read_attribute`` action: read any attribute of any object on demand and
return the decoded value (a response-only action)."""

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
    AttributeDescriptor,
    BitString,
    Data,
    DataAccessError,
    DataType,
    DecodeError,
    DlmsError,
    Obis,
)

SERVICE_READ_ATTRIBUTE = "read_attribute"
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
    descriptor = AttributeDescriptor(call.data[ATTR_CLASS_ID], obis, call.data[ATTR_ATTRIBUTE])
    name = f"{descriptor.class_id}/{obis.reduced}/{descriptor.attribute}"
    coordinator = entry.runtime_data.coordinator
    if not isinstance(coordinator, DlmsCoordinator):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="push_meter",
            translation_placeholders={"title": entry.title},
        )
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


def async_setup_services(hass: HomeAssistant) -> None:
    """Register the actions once, whatever entries exist (rule action-setup)."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_READ_ATTRIBUTE,
        async_read_attribute,
        schema=READ_ATTRIBUTE_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
