"""The poller: one DLMS session per update interval for one meter.

Each poll opens the port, associates, reads every configured object with the entry's single
``MeterReader`` (so a Register's scaler_unit is read once per config entry, not once per
poll), releases and closes the port. Keeping the port closed between polls lets several
config entries share one port (an RS-485 bus, one optical head moved between meters), one
session at a time under a per-port lock.

Authentication failures (a rejected password or HLS secret) and, on a secured meter, a
rejected association or a failed deciphering (wrong EK/AK) raise ``ConfigEntryAuthFailed``:
Home Assistant then ends setup in ``SETUP_ERROR`` (or stops polling) instead of retrying, since
many meters lock the association after a few wrong secrets, and starts the reauth flow.

Secured meters (a security policy, HLS-GMAC or HLS-SHA256) need the client's invocation
counter: one ``InvocationCounter`` per entry is carried from session to session and its next
value is saved in a ``Store`` keyed by the entry id after every session, failed ones included,
so that no value is ever used twice, not even across restarts. The entry can also start each
session from the meter's own frame counter object (read with the public client first).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, override

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.const import CONF_PASSWORD, CONF_PORT, CONF_SCAN_INTERVAL
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.storage import Store
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from .const import (
    ADDRESS_SIZE_AUTO,
    AUTH_HLS_GMAC,
    AUTH_HLS_SHA256,
    AUTH_NONE,
    BAUDRATE,
    CONF_ADDRESS_SIZE,
    CONF_AUTHENTICATION,
    CONF_AUTHENTICATION_KEY,
    CONF_BAUDRATE,
    CONF_CLIENT_ADDRESS,
    CONF_ENCRYPTION_KEY,
    CONF_IC_OBIS,
    CONF_IC_SOURCE,
    CONF_INVOCATION_COUNTER,
    CONF_KEEP_SESSION,
    CONF_MODE_E,
    CONF_OBJECTS,
    CONF_SECURITY_POLICY,
    CONF_SECURITY_SUITE,
    CONF_SERVER_LOGICAL_ADDRESS,
    CONF_SERVER_PHYSICAL_ADDRESS,
    CONF_SYSTEM_TITLE,
    DEFAULT_IC_OBIS,
    DOMAIN,
    FAILURES_BEFORE_BACKOFF,
    FIRMWARE_OBIS,
    IC_SOURCE_METER,
    LOGGER,
    LOGICAL_DEVICE_NAME_OBIS,
    MANUFACTURERS,
    MAX_BACKOFF,
    POLICY_NONE,
    PUBLIC_CLIENT_ADDRESS,
    RESET_CONFIRMATIONS,
    RESPONSE_TIMEOUT,
    SCAN_INTERVAL,
    SERIAL_NUMBER_OBIS,
    UNKNOWN_MANUFACTURER,
)
from .libdlms import (
    AssociationRejected,
    AttributeDescriptor,
    AuthenticationFailed,
    ClientSettings,
    CommunicationError,
    CosemDateTime,
    Data,
    DataType,
    DecipheringError,
    DecipheringRefused,
    DecodeError,
    DlmsClient,
    DlmsError,
    InterfaceClass,
    InvocationCounter,
    InvocationCounterError,
    InvocationCounterGuard,
    KeptSession,
    Mechanism,
    MeterReader,
    NoLinkError,
    Obis,
    ObjectReading,
    SecurityKeys,
    SecurityPolicy,
    SerialTransport,
    normalize_url,
)

type DlmsConfigEntry = ConfigEntry[DlmsRuntimeData]

DATA_PORT_LOCKS: HassKey[dict[str, asyncio.Lock]] = HassKey(f"{DOMAIN}_port_locks")

# The meter's clock (0-0:1.0.0, time attribute), read with the values when its diagnostic
# sensor is enabled.
CLOCK_REF = AttributeDescriptor(InterfaceClass.CLOCK, Obis(0, 0, 1, 0, 0, 255), 2)

# Units of energy registers that only ever count up (within one billing cycle at most).
CUMULATIVE_UNITS = frozenset({"Wh", "varh", "VAh"})


@dataclass(frozen=True, slots=True)
class MeterIdentity:
    """What the meter says about itself, read once per setup."""

    serial_number: str
    logical_device_name: str | None
    firmware_version: str | None = None

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


ISSUE_PORT_MISSING = "port_missing"
ISSUE_INVOCATION_COUNTER = "invocation_counter_rejected"


def uses_invocation_counter(data: Mapping[str, Any]) -> bool:
    """Whether sessions with these settings consume the client's invocation counter:
    ciphered APDUs (any security policy) and HLS-GMAC's authentication tag."""
    return (
        data.get(CONF_SECURITY_POLICY, POLICY_NONE) != POLICY_NONE
        or data.get(CONF_AUTHENTICATION) == AUTH_HLS_GMAC
    )


def is_secured(data: Mapping[str, Any]) -> bool:
    """Whether these settings use keys or a system title (the security step was shown)."""
    return uses_invocation_counter(data) or data.get(CONF_AUTHENTICATION) == AUTH_HLS_SHA256


def _hex(data: Mapping[str, Any], key: str) -> bytes | None:
    text = data.get(key)
    return bytes.fromhex(text) if text else None


def security_keys(data: Mapping[str, Any]) -> SecurityKeys | None:
    """The entry's EK and AK (hex in the entry), or None without an EK."""
    encryption_key = _hex(data, CONF_ENCRYPTION_KEY)
    if encryption_key is None:
        return None
    return SecurityKeys(encryption_key, _hex(data, CONF_AUTHENTICATION_KEY))


def build_client(
    data: Mapping[str, Any],
    *,
    counter: InvocationCounter | None = None,
    guard: InvocationCounterGuard | None = None,
    public: bool = False,
) -> DlmsClient:
    """A client for the settings of a config entry (or the config flow's input).

    Does no I/O. Raises ``EncodeError`` (a ``DlmsError``) for addresses that do not fit the
    chosen HDLC address size. A 1-byte server address has no physical part, so the physical
    address is ignored then. ``public``: the public client (16) without any security, to
    read the meter's invocation counter before a secured session.
    """
    size_text = data.get(CONF_ADDRESS_SIZE, ADDRESS_SIZE_AUTO)
    address_size = None if size_text == ADDRESS_SIZE_AUTO else int(size_text)
    authentication = AUTH_NONE if public else data.get(CONF_AUTHENTICATION, AUTH_NONE)
    mechanism = Mechanism.from_name(authentication)
    password = data.get(CONF_PASSWORD) if mechanism.needs_secret else None
    # With mode E the line starts at 300 Bd and this is the fastest speed accepted.
    baudrate = int(data.get(CONF_BAUDRATE, BAUDRATE))
    settings = ClientSettings(
        mode_e=bool(data.get(CONF_MODE_E, False)),
        mode_e_max_baudrate=baudrate,
        client_address=PUBLIC_CLIENT_ADDRESS if public else int(data[CONF_CLIENT_ADDRESS]),
        server_logical_address=int(data[CONF_SERVER_LOGICAL_ADDRESS]),
        server_physical_address=(
            None if address_size == 1 else int(data[CONF_SERVER_PHYSICAL_ADDRESS])
        ),
        address_size=address_size,
        mechanism=mechanism,
        password=password.encode() if password else None,
        response_timeout=RESPONSE_TIMEOUT,
        security_policy=SecurityPolicy.NONE
        if public
        else SecurityPolicy.from_name(data.get(CONF_SECURITY_POLICY, POLICY_NONE)),
        security_suite=0 if public else int(data.get(CONF_SECURITY_SUITE, 0)),
        keys=None if public else security_keys(data),
        client_system_title=None if public else _hex(data, CONF_SYSTEM_TITLE),
    )
    return DlmsClient(
        SerialTransport(data[CONF_PORT], baudrate=baudrate),
        settings,
        counter=counter,
        guard=guard,
    )


async def read_meter_invocation_counter(data: Mapping[str, Any]) -> int:
    """The last invocation counter the meter accepted (its frame counter object, read with
    the public client without security). The caller holds the port lock."""
    obis = Obis.parse(data.get(CONF_IC_OBIS) or DEFAULT_IC_OBIS)
    async with build_client(data, public=True) as client:
        result = await client.get(AttributeDescriptor(1, obis, 2))
    value = result.to_python()
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise DecodeError(f"the invocation counter object {obis.reduced} holds no counter")
    return value


async def counter_after_meter(
    data: Mapping[str, Any], counter: InvocationCounter
) -> InvocationCounter:
    """``counter``, or one going on after the meter's own frame counter when the settings
    read it from the meter and the meter is ahead. The caller holds the port lock."""
    if data.get(CONF_IC_SOURCE) != IC_SOURCE_METER:
        return counter
    last = await read_meter_invocation_counter(data)
    return InvocationCounter.after(last) if last >= counter.value else counter


# Session error keys (config flow errors) -> exception translation keys. Rejected secrets
# and keys need the user (reauth); the rest is retried.
AUTH_FAILED_EXCEPTIONS: dict[str, str] = {
    "invalid_auth": "authentication_failed",
    "decryption_failed": "decryption_failed",
}
UPDATE_FAILED_EXCEPTIONS: dict[str, str] = {
    "no_answer": "no_answer",
    "association_rejected": "association_rejected",
    "invocation_counter": "invocation_counter",
    "cannot_connect": "communication_error",
    "unexpected_answer": "communication_error",
}
SESSION_ERRORS = frozenset(AUTH_FAILED_EXCEPTIONS) | frozenset(UPDATE_FAILED_EXCEPTIONS)


def error_key(err: DlmsError, data: Mapping[str, Any]) -> str:
    """The translation key (config flow error and exception) for a failed session."""
    if isinstance(err, AuthenticationFailed):
        return "invalid_auth"
    if isinstance(err, InvocationCounterError):
        return "invocation_counter"
    if isinstance(err, (DecipheringError, DecipheringRefused)):
        return "decryption_failed"
    if isinstance(err, AssociationRejected):
        # A secured meter refuses an AARQ it cannot decipher or authenticate.
        return "decryption_failed" if is_secured(data) else "association_rejected"
    if isinstance(err, NoLinkError):
        return "no_answer"
    if isinstance(err, CommunicationError):
        return "cannot_connect"
    return "unexpected_answer"


def invocation_counter_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, int]]:
    """Where an entry's next invocation counter value is kept across restarts."""
    return Store(hass, 1, f"{DOMAIN}.{entry_id}.invocation_counter")


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


async def read_identity(client: DlmsClient) -> tuple[str | None, str | None, str | None]:
    """The serial number (0-0:96.1.0), logical device name (0-0:42.0.0) and active firmware
    identifier (1-0:0.2.0), each None when the meter does not give it."""
    results = await client.get_many(
        [
            AttributeDescriptor(1, SERIAL_NUMBER_OBIS, 2),
            AttributeDescriptor(1, LOGICAL_DEVICE_NAME_OBIS, 2),
            AttributeDescriptor(1, FIRMWARE_OBIS, 2),
        ]
    )
    serial, name, firmware = (
        data_text(result) if isinstance(result, Data) and result.value not in (None, b"") else None
        for result in results
    )
    return serial, name, firmware


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
            update_interval=(
                timedelta(seconds=entry.options[CONF_SCAN_INTERVAL])
                if CONF_SCAN_INTERVAL in entry.options
                else SCAN_INTERVAL
            ),
            always_update=False,
        )
        self.refs = [
            AttributeDescriptor(int(obj["class_id"]), Obis.parse(obj["obis"]), 2)
            for obj in entry.options.get(CONF_OBJECTS, entry.data[CONF_OBJECTS])
        ]
        self.reader = MeterReader()  # keeps scaler_units across sessions
        # The client's invocation counter (secured meters only), loaded in _async_setup, and
        # the guard against the meter's replayed counters; both outlive sessions.
        self.counter: InvocationCounter | None = None
        self.guard = InvocationCounterGuard()
        self._counter_store: Store[dict[str, int]] = invocation_counter_store(hass, entry.entry_id)
        # With the keep-session option one association serves every poll, action and load
        # profile import; it is re-made when the meter dropped it (inactivity timeout).
        self._kept: KeptSession | None = (
            KeptSession(self._new_client) if entry.options.get(CONF_KEEP_SESSION, False) else None
        )
        self.consecutive_failures = 0
        self.last_read: datetime | None = None
        self._last_read_listeners: list[CALLBACK_TYPE] = []
        self.identity: MeterIdentity | None = None
        self._object_errors: dict[str, str] = {}
        # Lower readings of cumulative registers not published yet: the last one and how
        # many reads in a row gave a value that low.
        self._lower: dict[str, tuple[Decimal, int]] = {}
        # The meter's clock minus Home Assistant's, in seconds, when its sensor wants it.
        self.read_clock = False
        self.clock_offset: float | None = None
        # The last published value of each cumulative register, kept through failed reads.
        self._published: dict[str, ObisValue] = {}

    @override
    async def _async_setup(self) -> None:
        data = self.config_entry.data
        if not uses_invocation_counter(data):
            return
        stored = await self._counter_store.async_load() or {}
        start = max(int(stored.get("next", 0)), int(data.get(CONF_INVOCATION_COUNTER, 0)))
        self.counter = InvocationCounter(start=start)

    async def _async_update_issues(self, error: str | None) -> None:
        """Repair issues the user has to act on: a local serial port that is gone, and an
        invocation counter the meter refuses or that is used up. Cleared by a good read."""
        entry = self.config_entry
        port = entry.data[CONF_PORT]
        placeholders = {"title": entry.title, "port": port}
        missing = (
            error == "cannot_connect"
            and "://" not in port
            and not await self.hass.async_add_executor_job(os.path.exists, port)
        )
        for key, active in (
            (ISSUE_PORT_MISSING, missing),
            (ISSUE_INVOCATION_COUNTER, error == "invocation_counter"),
        ):
            issue_id = f"{key}_{entry.entry_id}"
            if active:
                ir.async_create_issue(
                    self.hass,
                    DOMAIN,
                    issue_id,
                    is_fixable=False,
                    severity=ir.IssueSeverity.ERROR,
                    translation_key=key,
                    translation_placeholders=placeholders,
                )
            else:
                ir.async_delete_issue(self.hass, DOMAIN, issue_id)

    async def _async_counter_from_meter(self) -> None:
        """Go on from the meter's frame counter object when the entry asks for it."""
        if self.counter is not None:
            self.counter = await counter_after_meter(self.config_entry.data, self.counter)

    async def _async_counter_behind_meter(self, start: int) -> bool:
        """After a refused secured association: whether the meter had already seen the
        counter the session started with (a restored backup, another client with the same
        keys), read from its frame counter object with the public client. Then the counter
        goes on after the meter's, so the next session works with the same keys; wrong keys
        stay wrong keys. A meter without a readable counter object says nothing."""
        if self.counter is None:
            return False
        try:
            last = await read_meter_invocation_counter(self.config_entry.data)
        except DlmsError as err:
            LOGGER.debug("%s: the meter's invocation counter is not readable: %s", self.name, err)
            return False
        if last < start or last == 0:  # 0: the meter has seen no counter at all
            return False
        LOGGER.warning(
            "%s: the meter has seen invocation counter %d already (this session started at %d);"
            " going on after it",
            self.name,
            last,
            start,
        )
        if last >= self.counter.value:
            self.counter = InvocationCounter.after(last)
        return True

    def _new_client(self) -> DlmsClient:
        return build_client(self.config_entry.data, counter=self.counter, guard=self.guard)

    async def _async_run[T](self, operation: Callable[[DlmsClient], Awaitable[T]]) -> T:
        """Run ``operation`` in the kept session, or in a session of its own. The caller
        holds the port lock. A kept session that failed is released, whatever failed."""
        if self._kept is None or not self._kept.is_open:  # a new association
            await self._async_counter_from_meter()
        if self._kept is None:
            async with self._new_client() as client:
                return await operation(client)
        try:
            return await self._kept.run(operation)
        except BaseException:
            await self.async_release_session()
            raise

    async def async_release_session(self) -> None:
        """Release the kept session (RLRQ, DISC, port closed), e.g. before another session
        on the port: a reconfigure or options probe. The caller holds the port lock."""
        if self._kept is not None and self._kept.is_open:
            with contextlib.suppress(DlmsError, OSError):
                await self._kept.close()

    @override
    async def async_shutdown(self) -> None:
        """Unload or Home Assistant stopping: the kept session is released."""
        await super().async_shutdown()
        if self._kept is not None and self._kept.is_open:
            async with port_lock(self.hass, self.config_entry.data[CONF_PORT]):
                await self.async_release_session()
                await self._async_save_counter()

    async def async_session[T](self, operation: Callable[[DlmsClient], Awaitable[T]]) -> T:
        """Run ``operation`` in this entry's session (an action, the load profile import),
        under the port lock and with the entry's invocation counter. Raises ``DlmsError``."""
        async with port_lock(self.hass, self.config_entry.data[CONF_PORT]):
            try:
                return await self._async_run(operation)
            finally:
                await self._async_save_counter()

    async def async_read_attribute(self, descriptor: AttributeDescriptor) -> Data:
        """One attribute on demand, in its own session. Raises ``DlmsError``."""
        return await self.async_session(lambda client: client.get(descriptor))

    async def _async_save_counter(self) -> None:
        if self.counter is not None:
            await self._counter_store.async_save({"next": self.counter.value})

    @override
    async def _async_update_data(self) -> MeterData:
        entry = self.config_entry
        data = entry.data
        try:
            async with port_lock(self.hass, data[CONF_PORT]):
                start = self.counter.value if self.counter is not None else 0
                try:
                    identity, readings = await self._async_run(self._read)
                except DlmsError as err:
                    if error_key(err, data) == "decryption_failed" and (
                        await self._async_counter_behind_meter(start)
                    ):
                        raise InvocationCounterError(
                            "the meter has seen this invocation counter before"
                        ) from err
                    raise
                finally:
                    # Every session consumes values, failed ones too: never reuse them.
                    await self._async_save_counter()
        except DlmsError as err:
            key = error_key(err, data)
            await self._async_update_issues(key)
            if key in AUTH_FAILED_EXCEPTIONS:
                raise ConfigEntryAuthFailed(
                    translation_domain=DOMAIN, translation_key=AUTH_FAILED_EXCEPTIONS[key]
                ) from err
            self.consecutive_failures += 1
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key=UPDATE_FAILED_EXCEPTIONS[key],
                translation_placeholders={"error": str(err)},
                retry_after=self.retry_after(),
            ) from err

        if identity is not None:
            self._set_identity(*identity)
        published = self._publish(readings)
        await self._async_update_issues(None)
        self.consecutive_failures = 0
        self.last_read = dt_util.utcnow()
        for listener in list(self._last_read_listeners):
            listener()
        return published

    async def _read(
        self, client: DlmsClient
    ) -> tuple[tuple[str | None, str | None, str | None] | None, list[ObjectReading]]:
        """One poll's reads: the identity the first time, then every object."""
        identity = await read_identity(client) if self.identity is None else None
        refs = [*self.refs, CLOCK_REF] if self.read_clock else self.refs
        readings = await self.reader.read(client, refs)
        if self.read_clock:
            self.clock_offset = self._clock_offset(readings.pop())
        return identity, readings

    def _clock_offset(self, reading: ObjectReading) -> float | None:
        """The meter's clock minus Home Assistant's, to about a second (the read's round
        trip); None when the clock could not be read or gives no complete date-time."""
        raw = reading.value
        if raw is None or not isinstance(raw.value, bytes):
            return None
        try:
            meter_time = CosemDateTime.from_bytes(raw.value).to_datetime(
                dt_util.get_default_time_zone()
            )
        except DecodeError as err:
            LOGGER.debug("%s: the meter's clock is unusable: %s", self.name, err)
            return None
        return round((meter_time - dt_util.utcnow()).total_seconds(), 1)

    def retry_after(self) -> float:
        """Seconds to the next try after ``consecutive_failures`` failed sessions in a row.

        A meter alone on its port is tried every update interval: a failed try costs
        nobody else anything, and the meter is back at the first poll after the fault
        clears. On a port shared with other entries (an RS-485 bus), a silent meter holds
        the port for its retries and timeouts; there the first FAILURES_BEFORE_BACKOFF
        failures are retried after one interval, then the wait doubles per failure up to
        MAX_BACKOFF, so a meter that is away does not starve its neighbours."""
        interval = (self.update_interval or SCAN_INTERVAL).total_seconds()
        if not self._port_shared():
            return interval
        exponent = min(max(self.consecutive_failures - FAILURES_BEFORE_BACKOFF, 0), 16)
        return float(max(interval, min(interval * 2**exponent, MAX_BACKOFF.total_seconds())))

    def _port_shared(self) -> bool:
        """Whether another loaded entry of this integration uses the same port."""
        port = normalize_url(self.config_entry.data[CONF_PORT])
        return any(
            entry.entry_id != self.config_entry.entry_id
            and entry.state is ConfigEntryState.LOADED
            and normalize_url(entry.data[CONF_PORT]) == port
            for entry in self.hass.config_entries.async_entries(DOMAIN)
        )

    @callback
    def async_add_last_read_listener(self, listener: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Called after every successful read, even when no value changed (the coordinator
        itself only tells its listeners about changes)."""
        self._last_read_listeners.append(listener)
        return lambda: self._last_read_listeners.remove(listener)

    def _set_identity(
        self, serial: str | None, logical_device_name: str | None, firmware: str | None
    ) -> None:
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
            firmware_version=firmware,
        )

    def restore_published(self, key: str, value: Decimal, unit: str | None) -> None:
        """The value a cumulative register's sensor showed before Home Assistant restarted
        (its restored state): a lower first reading after the restart is held back like any
        other lower reading, so the sensor never steps back across a restart either."""
        current = (self.data or {}).get(key)
        if (
            current is None
            or current.unit != unit
            or not isinstance(current.value, Decimal)
            or current.value >= value
        ):
            return
        if current.scaler is not None:  # the meter's resolution (the state is a float)
            value = value.quantize(Decimal(10) ** current.scaler)
        restored = ObisValue(value, unit, current.scaler)
        self._published[key] = restored
        if not self._confirmed_reset(key, restored, current):
            self.data[key] = restored

    def _confirmed_reset(self, key: str, old: ObisValue, value: ObisValue) -> bool:
        """Whether a cumulative register that reads lower than published has done so for
        RESET_CONFIRMATIONS reads in a row, counting on from there (a real reset); logs the
        first lower read of a run once and the accepted reset."""
        assert isinstance(value.value, Decimal)
        previous = self._lower.get(key)
        if previous is None or value.value < previous[0]:
            if previous is None:
                LOGGER.warning(
                    "%s: %s went backwards from %s to %s %s; keeping the last value",
                    self.name,
                    key,
                    old.value,
                    value.value,
                    value.unit,
                )
            count = 1
        else:
            count = previous[1] + 1
        if count < RESET_CONFIRMATIONS:
            self._lower[key] = (value.value, count)
            return False
        LOGGER.warning(
            "%s: %s reads %s %s for %d reads in a row, below %s: taken as a reset",
            self.name,
            key,
            value.value,
            value.unit,
            count,
            old.value,
        )
        return True

    def _publish(self, readings: list[ObjectReading]) -> MeterData:
        data: MeterData = {}
        for reading in readings:
            key = reading.ref.instance.dotted
            if reading.error is not None:
                if self._object_errors.get(key) != reading.error:
                    LOGGER.warning("%s: reading %s failed: %s", self.name, key, reading.error)
                self._object_errors[key] = reading.error
                continue
            if self._object_errors.pop(key, None) is not None:
                LOGGER.info("%s: reading %s recovered", self.name, key)
            value = _obis_value(reading)
            if not is_cumulative(reading.ref.instance, value.unit):
                data[key] = value
                continue
            old = self._published.get(key)
            if (
                old is not None
                and isinstance(value.value, Decimal)
                and isinstance(old.value, Decimal)
                and old.unit == value.unit
                and value.value < old.value
                and not self._confirmed_reset(key, old, value)
            ):
                data[key] = old
                continue
            self._lower.pop(key, None)
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
