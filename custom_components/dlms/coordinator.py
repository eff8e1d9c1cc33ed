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

Secured meters carry one invocation counter per entry from session to session
(``counter_store``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, override

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.const import CONF_PORT, CONF_SCAN_INTERVAL
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryError
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .client_factory import (
    MeterIdentity,
    build_client,
    port_lock,
    read_identity,
    uses_invocation_counter,
)
from .const import (
    CONF_CLOCK_TOLERANCE,
    CONF_KEEP_SESSION,
    CONF_LOAD_PROFILE,
    CONF_MODEL,
    DEFAULT_LOAD_PROFILE,
    DOMAIN,
    FAILURES_BEFORE_BACKOFF,
    LOGGER,
    MAX_BACKOFF,
    SCAN_INTERVAL,
)
from .counter_store import CounterStore, counter_after_meter, counter_behind_meter
from .entry_data import configured_objects
from .errors import (
    AUTH_FAILED_EXCEPTIONS,
    SETUP_ERROR_EXCEPTIONS,
    UPDATE_FAILED_EXCEPTIONS,
    error_key,
)
from .issues import async_update_issues
from .libdlms import (
    AttributeDescriptor,
    ClockSync,
    ClockSyncRefused,
    CosemDateTime,
    Data,
    DecodeError,
    DlmsClient,
    DlmsError,
    InterfaceClass,
    InvocationCounter,
    InvocationCounterError,
    InvocationCounterGuard,
    KeptSession,
    MeterReader,
    MethodDescriptor,
    Obis,
    ObjectListElement,
    ObjectReading,
    normalize_url,
    read_object_list,
    synchronise_clock,
)
from .values import MeterData, MonotonicFilter, obis_value

if TYPE_CHECKING:
    from .push_coordinator import PushCoordinator

type DlmsConfigEntry = ConfigEntry[DlmsRuntimeData]

# The meter's clock (0-0:1.0.0, time attribute), read with the values when its diagnostic
# sensor is enabled.
CLOCK_REF = AttributeDescriptor(InterfaceClass.CLOCK, Obis(0, 0, 1, 0, 0, 255), 2)


@dataclass(slots=True)
class DlmsRuntimeData:
    """A polled meter's coordinator, or a push meter's."""

    coordinator: DlmsCoordinator | PushCoordinator


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
            AttributeDescriptor(class_id, obis, 2)
            for obis, class_id in configured_objects(entry.data, entry.options).items()
        ]
        self.reader = MeterReader()  # keeps scaler_units across sessions
        # The client's invocation counter (secured meters only), loaded in _async_setup, and
        # the guard against the meter's replayed counters; both outlive sessions.
        self.counter: InvocationCounter | None = None
        self.guard = InvocationCounterGuard()
        self._counter_store = CounterStore(hass, entry.entry_id)
        # With the keep-session option one association serves every poll, action and load
        # profile import; it is re-made when the meter dropped it (inactivity timeout).
        self._kept: KeptSession | None = (
            KeptSession(self._new_client) if entry.options.get(CONF_KEEP_SESSION, False) else None
        )
        self.consecutive_failures = 0
        self.last_read: datetime | None = None
        self._last_read_listeners: list[CALLBACK_TYPE] = []
        self._identity: MeterIdentity | None = None
        self._access: dict[Obis, ObjectListElement] | None = None
        self._object_errors: dict[str, str] = {}
        self._monotonic = MonotonicFilter(entry.title)
        # The meter's clock minus Home Assistant's, in seconds, when its sensor wants it or
        # the clock is kept within ``clock_tolerance`` seconds (0: never set).
        self.read_clock = False
        self.clock_offset: float | None = None
        self.clock_tolerance = int(entry.options.get(CONF_CLOCK_TOLERANCE, 0))
        self._keeping_clock = False

    @override
    async def _async_setup(self) -> None:
        data = self.config_entry.data
        if not uses_invocation_counter(data):
            return
        self.counter = await self._counter_store.async_load_start(data)

    async def _async_counter_from_meter(self) -> None:
        """Go on from the meter's frame counter object when the entry asks for it."""
        if self.counter is not None:
            self.counter = await counter_after_meter(self.config_entry.data, self.counter)

    async def _async_counter_behind_meter(self, start: int) -> bool:
        """After a refused secured association: whether the meter had seen ``start``
        already; then the counter goes on after the meter's (``counter_behind_meter``)."""
        if self.counter is None:
            return False
        ahead = await counter_behind_meter(self.config_entry.data, self.counter, start, self.name)
        if ahead is None:
            return False
        self.counter = ahead
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

    def _keep_clock(self) -> None:
        """After a poll: set the meter's clock when it is off by more than the tolerance
        (in the background, after the poll's session; at most one at a time)."""
        offset = self.clock_offset
        if not self.clock_tolerance or offset is None or abs(offset) <= self.clock_tolerance:
            return
        if self._keeping_clock:
            return
        self._keeping_clock = True
        self.config_entry.async_create_background_task(
            self.hass, self._async_keep_clock(), f"{self.name} clock"
        )

    async def _async_keep_clock(self) -> None:
        try:
            done = await self.async_sync_clock(max_wait=0)
        except ClockSyncRefused as err:
            # A capture is in the way: a later poll tries again.
            LOGGER.debug("%s: clock not set now: %s", self.name, err)
        except DlmsError as err:
            # The meter will not have it (a utility meter, a client that may not): stop
            # trying until the entry is reloaded, rather than ask at every poll.
            LOGGER.warning("%s: the meter refused to have its clock set: %s", self.name, err)
            self.clock_tolerance = 0
        else:
            LOGGER.info(
                "%s: clock set by %s, %+.1f s off before",
                self.name,
                done.method,
                done.offset_before_s,
            )
            self.clock_offset = round(done.offset_after_s, 1)
        finally:
            self._keeping_clock = False

    async def async_sync_clock(self, max_wait: float = 60.0) -> ClockSync:
        """The meter's clock set to ours, in its own session (``synchronise_clock``), never
        across a capture of the entry's load profile (its capture period read first)."""
        profile = Obis.parse(self.config_entry.options.get(CONF_LOAD_PROFILE, DEFAULT_LOAD_PROFILE))

        async def sync(client: DlmsClient) -> ClockSync:
            try:
                period = (await client.get(AttributeDescriptor(7, profile, 4))).value
            except DlmsError:
                period = None  # no load profile: no capture to respect
            return await synchronise_clock(
                client,
                capture_period=float(period) if isinstance(period, int) else None,
                max_wait=max_wait,
            )

        return await self.async_session(sync)

    async def async_access_rights(self) -> dict[Obis, ObjectListElement]:
        """What this entry's client may read, write and call: the association's object
        list, read once (on the first write or call) and kept."""
        if self._access is None:
            elements = await self.async_session(read_object_list)
            self._access = {element.logical_name: element for element in elements}
        return self._access

    async def async_write_attribute(self, descriptor: AttributeDescriptor, value: Data) -> None:
        """SET one attribute in its own session. Raises ``DlmsError`` (``DataAccessError``
        with the meter's data-access-result)."""
        await self.async_session(lambda client: client.set(descriptor, value))

    async def async_call_method(
        self, method: MethodDescriptor, parameters: Data | None
    ) -> Data | None:
        """ACTION one method in its own session; its return parameters. Raises
        ``DlmsError`` (``ActionError`` with the meter's action-result)."""
        return await self.async_session(lambda client: client.action(method, parameters))

    async def _async_save_counter(self) -> None:
        if self.counter is not None:
            await self._counter_store.async_save(self.counter.value)

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
            await async_update_issues(self.hass, entry, key)
            if key in AUTH_FAILED_EXCEPTIONS:
                raise ConfigEntryAuthFailed(
                    translation_domain=DOMAIN, translation_key=AUTH_FAILED_EXCEPTIONS[key]
                ) from err
            if key in SETUP_ERROR_EXCEPTIONS:
                raise ConfigEntryError(
                    translation_domain=DOMAIN,
                    translation_key=SETUP_ERROR_EXCEPTIONS[key],
                    translation_placeholders={"error": str(err)},
                ) from err
            self.consecutive_failures += 1
            in_setup = entry.state is ConfigEntryState.SETUP_IN_PROGRESS  # see retry_after
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key=UPDATE_FAILED_EXCEPTIONS[key],
                translation_placeholders={"error": str(err)},
                retry_after=None if in_setup else self.retry_after(),
            ) from err

        if identity is not None:
            self._set_identity(*identity)
        published = self._publish(readings)
        self._keep_clock()
        await async_update_issues(self.hass, entry, None)
        self.consecutive_failures = 0
        self.last_read = dt_util.utcnow()
        for listener in list(self._last_read_listeners):
            listener()
        return published

    async def _read(
        self, client: DlmsClient
    ) -> tuple[tuple[str | None, str | None, str | None] | None, list[ObjectReading]]:
        """One poll's reads: the identity the first time, then every object."""
        identity = await read_identity(client) if self._identity is None else None
        clock = self.read_clock or self.clock_tolerance > 0
        refs = [*self.refs, CLOCK_REF] if clock else self.refs
        readings = await self.reader.read(client, refs)
        if clock:
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
        MAX_BACKOFF, so a meter that is away does not starve its neighbours.

        Not for the setup's first poll. A meter that does not answer while Home Assistant
        starts is most often one whose probe slipped off or whose bridge is still booting:
        its user wants it up as soon as it is back. Home Assistant's own setup backoff (5 s,
        doubling up to 10 min) does that, while this wait (the scan interval, up to an hour)
        would leave the entry in "retrying setup" long after. Home Assistant 2026.11 honours
        a retry_after raised by the first refresh (as the floor of its backoff), so the
        setup's first poll raises none; each setup try is one session, and the backoff soon
        spaces them out on a shared bus too."""
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

    @property
    def identity(self) -> MeterIdentity:
        """What the meter says about itself, read by the first successful poll (which
        setup waits for, so entities, actions and diagnostics always have it)."""
        if self._identity is None:
            raise RuntimeError(f"{self.name}: the meter's identity is read by the first poll")
        return self._identity

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
        self._identity = MeterIdentity(
            serial_number=serial or expected or self.config_entry.entry_id,
            logical_device_name=logical_device_name,
            firmware_version=firmware,
            model=self.config_entry.data.get(CONF_MODEL),
        )

    def restore_published(self, key: str, value: Decimal, unit: str | None) -> None:
        """The value a cumulative register's sensor showed before Home Assistant restarted:
        a lower first reading after the restart is held back (``MonotonicFilter.restore``)."""
        current = (self.data or {}).get(key)
        if (shown := self._monotonic.restore(key, value, unit, current)) is not None:
            self.data[key] = shown

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
            data[key] = self._monotonic.filter(reading.ref.instance, obis_value(reading))
        if readings and not data:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="read_failed",
                translation_placeholders={"error": "; ".join(self._object_errors.values())},
            )
        return data
