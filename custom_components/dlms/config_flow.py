"""Config flow: pick the port, type the addresses and password from the grid operator's
letter, tick the values; one session with the meter proves it all before anything is saved.

Every field but the port has a default, so ``{"port": "socket://127.0.0.1:4059"}`` alone is
a complete answer (``scripts/develop`` posts exactly that). The fields are kept flat rather
than in a collapsed section for that reason: a required section must be posted, even empty.
"""

from __future__ import annotations

from typing import Any, override

import probatio
from homeassistant.config_entries import ConfigFlow, ConfigFlowResult
from homeassistant.const import CONF_PASSWORD, CONF_PORT
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryNotReady
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
    ADDRESS_SIZE_AUTO,
    ADDRESS_SIZES,
    AUTH_LLS,
    AUTH_NONE,
    AUTHENTICATIONS,
    COMMON_OBIS_CODES,
    CONF_ADDRESS_SIZE,
    CONF_AUTHENTICATION,
    CONF_CLIENT_ADDRESS,
    CONF_OBIS_CODES,
    CONF_OBJECTS,
    CONF_SERVER_LOGICAL_ADDRESS,
    CONF_SERVER_PHYSICAL_ADDRESS,
    DEFAULT_CLIENT_ADDRESS,
    DEFAULT_OBIS_CODES,
    DEFAULT_SERVER_LOGICAL_ADDRESS,
    DEFAULT_SERVER_PHYSICAL_ADDRESS,
    DOMAIN,
    LOGGER,
)
from .coordinator import build_client, port_lock, read_identity
from .libdlms.codecs.xdlms import AttributeDescriptor
from .libdlms.cosem.obis import Obis
from .libdlms.cosem.objects import ASSOCIATION_LN, InterfaceClass, parse_object_list
from .libdlms.errors import AuthenticationFailed, CommunicationError, DecodeError, DlmsError


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
        probatio.Required(CONF_CLIENT_ADDRESS, default=DEFAULT_CLIENT_ADDRESS): _address(0x7F),
        probatio.Required(
            CONF_SERVER_LOGICAL_ADDRESS, default=DEFAULT_SERVER_LOGICAL_ADDRESS
        ): _address(0x3FFF),
        probatio.Required(
            CONF_SERVER_PHYSICAL_ADDRESS, default=DEFAULT_SERVER_PHYSICAL_ADDRESS
        ): _address(0x3FFF),
        probatio.Required(CONF_ADDRESS_SIZE, default=ADDRESS_SIZE_AUTO): SelectSelector(
            SelectSelectorConfig(
                options=ADDRESS_SIZES,
                mode=SelectSelectorMode.DROPDOWN,
                translation_key=CONF_ADDRESS_SIZE,
            )
        ),
        probatio.Required(CONF_AUTHENTICATION, default=AUTH_NONE): SelectSelector(
            SelectSelectorConfig(
                options=AUTHENTICATIONS,
                mode=SelectSelectorMode.DROPDOWN,
                translation_key=CONF_AUTHENTICATION,
            )
        ),
        probatio.Optional(CONF_PASSWORD): TextSelector(
            TextSelectorConfig(type=TextSelectorType.PASSWORD)
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


def entry_data_from_input(user_input: dict[str, Any]) -> dict[str, Any]:
    """The connection settings to store; raises before any I/O when they cannot work."""
    password = user_input.get(CONF_PASSWORD) or None
    if user_input[CONF_AUTHENTICATION] == AUTH_LLS and not password:
        raise PasswordRequired
    data: dict[str, Any] = {
        CONF_PORT: user_input[CONF_PORT].strip(),
        CONF_CLIENT_ADDRESS: user_input[CONF_CLIENT_ADDRESS],
        CONF_SERVER_LOGICAL_ADDRESS: user_input[CONF_SERVER_LOGICAL_ADDRESS],
        CONF_SERVER_PHYSICAL_ADDRESS: user_input[CONF_SERVER_PHYSICAL_ADDRESS],
        CONF_ADDRESS_SIZE: user_input[CONF_ADDRESS_SIZE],
        CONF_AUTHENTICATION: user_input[CONF_AUTHENTICATION],
    }
    if data[CONF_AUTHENTICATION] == AUTH_LLS:
        data[CONF_PASSWORD] = password
    try:
        build_client(data)
    except DlmsError as err:  # an address that does not fit the address size
        raise InvalidAddress from err
    return data


async def async_probe(hass: HomeAssistant, data: dict[str, Any]) -> tuple[str, dict[Obis, int]]:
    """One session with the meter: its identity and its object list (OBIS -> class id)."""
    async with port_lock(hass, data[CONF_PORT]), build_client(data) as client:
        object_list = parse_object_list(
            await client.get(AttributeDescriptor(InterfaceClass.ASSOCIATION_LN, ASSOCIATION_LN, 2))
        )
        serial, logical_device_name = await read_identity(client)
    # The serial number identifies the meter; a meter without one has at least its
    # logical device name (mandatory in every logical device).
    identifier = serial or logical_device_name
    if identifier is None:
        raise DecodeError("the meter gives neither a serial number nor a logical device name")
    return identifier, {element.logical_name: element.class_id for element in object_list}


class DlmsConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up one meter."""

    VERSION = 1
    MINOR_VERSION = 1

    @override
    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            port = user_input[CONF_PORT]
            try:
                obis_codes = parse_obis_codes(user_input[CONF_OBIS_CODES])
                data = entry_data_from_input(user_input)
                serial, classes = await async_probe(self.hass, data)
            except InvalidObis as err:
                errors[CONF_OBIS_CODES] = "invalid_obis"
                placeholders["obis"] = err.code
            except NoObisCodes:
                errors[CONF_OBIS_CODES] = "no_obis_codes"
            except PasswordRequired:
                errors[CONF_PASSWORD] = "password_required"
            except InvalidAddress:
                errors["base"] = "invalid_address"
            except AuthenticationFailed:
                errors["base"] = "invalid_auth"
            except CommunicationError as err:  # DlmsTimeoutError included
                LOGGER.debug("Cannot connect to %s: %s", port, err)
                errors["base"] = "cannot_connect"
            except ConfigEntryNotReady as err:  # serialx stub for an ESPHome proxy not loaded
                LOGGER.debug("Port %s is not ready: %s", port, err)
                errors["base"] = "cannot_connect"
            except DlmsError as err:
                LOGGER.debug("The meter on %s did not work out: %r", port, err)
                errors["base"] = "cannot_connect"
            except Exception:
                LOGGER.exception("Unexpected exception while probing the meter on %s", port)
                errors["base"] = "unknown"
            else:
                await self.async_set_unique_id(serial)
                self._abort_if_unique_id_configured()
                if missing := [obis.reduced for obis in obis_codes if obis not in classes]:
                    errors[CONF_OBIS_CODES] = "object_not_found"
                    placeholders["obis"] = ", ".join(missing)
                else:
                    data[CONF_OBJECTS] = [
                        {"obis": obis.dotted, "class_id": classes[obis]} for obis in obis_codes
                    ]
                    return self.async_create_entry(title=f"Meter {serial}", data=data)
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(
                USER_SCHEMA,
                {k: v for k, v in (user_input or {}).items() if k != CONF_PASSWORD},
            ),
            errors=errors,
            description_placeholders=placeholders,
        )
