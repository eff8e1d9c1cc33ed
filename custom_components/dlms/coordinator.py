"""The poller: one DLMS session per update interval for one meter.

Each poll opens the port, associates, reads every configured object with the entry's single
``MeterReader`` (so a Register's scaler_unit is read once per config entry, not once per
poll), releases and closes the port. Keeping the port closed between polls lets several
config entries share one port (an RS-485 bus, one optical head moved between meters), one
session at a time under a per-port lock.

Authentication failures raise ``ConfigEntryAuthFailed``. There is no reauth flow yet; that
is still the honest choice, because Home Assistant then:

- ends setup in ``SETUP_ERROR`` instead of retrying. Many meters lock the association for
  minutes or hours after a few wrong LLS passwords, so retrying on a timer would do harm;
- stops scheduling polls when it happens during polling, for the same reason;
- starts a reauth flow only if the flow handler has ``async_step_reauth``
  (``ConfigEntry.async_start_reauth_if_available``), so no broken flow is started today,
  and the reauth flow, when it comes, works without changing this module.

The user's fix until then is to remove the entry and add it again with the right password.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, override

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_PASSWORD, CONF_PORT
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util.hass_dict import HassKey

from .const import (
    ADDRESS_SIZE_AUTO,
    AUTH_LLS,
    BAUDRATE,
    CONF_ADDRESS_SIZE,
    CONF_AUTHENTICATION,
    CONF_CLIENT_ADDRESS,
    CONF_OBJECTS,
    CONF_SERVER_LOGICAL_ADDRESS,
    CONF_SERVER_PHYSICAL_ADDRESS,
    DOMAIN,
    ENERGY_GLITCH_RATIO,
    LOGGER,
    LOGICAL_DEVICE_NAME_OBIS,
    MANUFACTURERS,
    RESPONSE_TIMEOUT,
    SCAN_INTERVAL,
    SERIAL_NUMBER_OBIS,
    UNKNOWN_MANUFACTURER,
)
from .libdlms.client import ClientSettings, DlmsClient, MeterReader, ObjectReading, ObjectRef
from .libdlms.codecs.acse import Mechanism
from .libdlms.codecs.axdr import Data, DataType
from .libdlms.codecs.xdlms import AttributeDescriptor
from .libdlms.cosem.obis import Obis
from .libdlms.errors import AuthenticationFailed, DlmsError
from .libdlms.transport import SerialTransport, normalize_url

type DlmsConfigEntry = ConfigEntry[DlmsRuntimeData]

DATA_PORT_LOCKS: HassKey[dict[str, asyncio.Lock]] = HassKey(f"{DOMAIN}_port_locks")

# Units of energy registers that only ever count up (within one billing cycle at most).
CUMULATIVE_UNITS = frozenset({"Wh", "varh", "VAh"})


@dataclass(frozen=True, slots=True)
class MeterIdentity:
    """What the meter says about itself, read once per setup."""

    serial_number: str
    logical_device_name: str | None

    @property
    def manufacturer(self) -> str:
        """The manufacturer behind the logical device name's three-letter FLAG id."""
        if self.logical_device_name is None:
            return UNKNOWN_MANUFACTURER
        return MANUFACTURERS.get(self.logical_device_name[:3].upper(), UNKNOWN_MANUFACTURER)


@dataclass(frozen=True, slots=True)
class ObisValue:
    """One object's published value: a number with its scaler applied exactly, or text."""

    value: Decimal | str | None
    unit: str | None
    scaler: int | None


# Published values by dotted OBIS code. An object whose read failed is absent.
type MeterData = dict[str, ObisValue]


@dataclass(slots=True)
class DlmsRuntimeData:
    coordinator: DlmsCoordinator
    identity: MeterIdentity


def is_cumulative(obis: Obis, unit: str | None) -> bool:
    """Energy registers that never go backwards: time integral 1 (D=8, since the start of
    measurement) and time integral 2 (D=9, since the start of the billing period, which only
    resets). The net register (C=16, import minus export) can go down."""
    return unit in CUMULATIVE_UNITS and obis.d in (8, 9) and obis.c != 16


def build_client(data: Mapping[str, Any]) -> DlmsClient:
    """A client for the settings of a config entry (or the config flow's input).

    Does no I/O. Raises ``EncodeError`` (a ``DlmsError``) for addresses that do not fit the
    chosen HDLC address size. A 1-byte server address has no physical part, so the physical
    address is ignored then.
    """
    size_text = data.get(CONF_ADDRESS_SIZE, ADDRESS_SIZE_AUTO)
    address_size = None if size_text == ADDRESS_SIZE_AUTO else int(size_text)
    lls = data.get(CONF_AUTHENTICATION) == AUTH_LLS
    password = data.get(CONF_PASSWORD)
    settings = ClientSettings(
        client_address=int(data[CONF_CLIENT_ADDRESS]),
        server_logical_address=int(data[CONF_SERVER_LOGICAL_ADDRESS]),
        server_physical_address=(
            None if address_size == 1 else int(data[CONF_SERVER_PHYSICAL_ADDRESS])
        ),
        address_size=address_size,
        mechanism=Mechanism.LOW if lls else Mechanism.NONE,
        password=password.encode() if lls and password else None,
        response_timeout=RESPONSE_TIMEOUT,
    )
    return DlmsClient(SerialTransport(data[CONF_PORT], baudrate=BAUDRATE), settings)


def port_lock(hass: HomeAssistant, port: str) -> asyncio.Lock:
    """One session at a time per port, across config entries and config flows."""
    locks = hass.data.setdefault(DATA_PORT_LOCKS, {})
    return locks.setdefault(normalize_url(port), asyncio.Lock())


def data_text(data: Data) -> str:
    """An identifier as text: ASCII octet-strings as text, other octet-strings as hex."""
    value = data.value
    if isinstance(value, bytes):
        value = value.rstrip(b"\x00 ")
        if value and all(0x20 <= byte < 0x7F for byte in value):
            return value.decode("ascii")
        return value.hex()
    return str(data.to_python())


async def read_identity(client: DlmsClient) -> tuple[str | None, str | None]:
    """The serial number (0-0:96.1.0) and logical device name (0-0:42.0.0), each None when
    the meter does not give it."""
    results = await client.get_many(
        [
            AttributeDescriptor(1, SERIAL_NUMBER_OBIS, 2),
            AttributeDescriptor(1, LOGICAL_DEVICE_NAME_OBIS, 2),
        ]
    )
    serial, name = (
        data_text(result) if isinstance(result, Data) and result.value not in (None, b"") else None
        for result in results
    )
    return serial, name


def _obis_value(reading: ObjectReading) -> ObisValue:
    scaler_unit = reading.scaler_unit
    scaled = reading.scaled_value
    value: Decimal | str | None = scaled
    raw = reading.value
    if scaled is None and raw is not None and raw.type is not DataType.NULL_DATA:
        display = reading.display_value()
        value = None if display is None else str(display)[:255]
    return ObisValue(
        value=value,
        unit=reading.unit,
        scaler=scaler_unit.scaler if scaler_unit is not None else None,
    )


class DlmsCoordinator(DataUpdateCoordinator[MeterData]):
    """Polls one meter."""

    config_entry: DlmsConfigEntry

    def __init__(self, hass: HomeAssistant, entry: DlmsConfigEntry) -> None:
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=entry.title,
            update_interval=SCAN_INTERVAL,
            always_update=False,
        )
        self.refs = [
            ObjectRef(int(obj["class_id"]), Obis.parse(obj["obis"]), 2)
            for obj in entry.data[CONF_OBJECTS]
        ]
        self.reader = MeterReader()  # keeps scaler_units across sessions
        self.identity: MeterIdentity | None = None
        self._object_errors: dict[str, str] = {}
        self._glitching: set[str] = set()
        # The last published value of each cumulative register, kept through failed reads.
        self._published: dict[str, ObisValue] = {}

    @override
    async def _async_update_data(self) -> MeterData:
        entry = self.config_entry
        identity = None
        try:
            client = build_client(entry.data)
            async with port_lock(self.hass, entry.data[CONF_PORT]), client:
                if self.identity is None:
                    identity = await read_identity(client)
                readings = await self.reader.read(client, self.refs)
        except AuthenticationFailed as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="authentication_failed"
            ) from err
        except DlmsError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="communication_error",
                translation_placeholders={"error": str(err)},
            ) from err

        if identity is not None:
            self._set_identity(*identity)
        return self._publish(readings)

    def _set_identity(self, serial: str | None, logical_device_name: str | None) -> None:
        expected = self.config_entry.unique_id
        if serial is not None and expected is not None and serial != expected:
            # Another meter answers on this port and address: never show its values as ours.
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="wrong_meter",
                translation_placeholders={"expected": expected, "found": serial},
            )
        self.identity = MeterIdentity(
            serial_number=serial or expected or self.config_entry.entry_id,
            logical_device_name=logical_device_name,
        )

    def _publish(self, readings: list[ObjectReading]) -> MeterData:
        data: MeterData = {}
        for reading in readings:
            key = reading.ref.obis.dotted
            if reading.error is not None:
                if self._object_errors.get(key) != reading.error:
                    LOGGER.warning("%s: reading %s failed: %s", self.name, key, reading.error)
                self._object_errors[key] = reading.error
                continue
            if self._object_errors.pop(key, None) is not None:
                LOGGER.info("%s: reading %s recovered", self.name, key)
            value = _obis_value(reading)
            if not is_cumulative(reading.ref.obis, value.unit):
                data[key] = value
                continue
            old = self._published.get(key)
            if (
                old is not None
                and isinstance(value.value, Decimal)
                and isinstance(old.value, Decimal)
                and old.unit == value.unit
                and value.value < old.value
                and old.value - value.value < old.value * ENERGY_GLITCH_RATIO
            ):
                if key not in self._glitching:
                    LOGGER.warning(
                        "%s: %s went backwards from %s to %s %s; keeping the last value",
                        self.name,
                        key,
                        old.value,
                        value.value,
                        value.unit,
                    )
                    self._glitching.add(key)
                data[key] = old
                continue
            self._glitching.discard(key)
            data[key] = value
            if isinstance(value.value, Decimal):
                self._published[key] = value
        if readings and not data:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="read_failed",
                translation_placeholders={"error": "; ".join(self._object_errors.values())},
            )
        return data
