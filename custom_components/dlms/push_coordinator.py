"""The push coordinator: no polling; the meter's notifications are the updates.

A background task runs the library's ``PushListener`` on the entry's port for as long as the
entry is loaded. The listener reconnects by itself with backoff (a bridge restart, a USB
replug, a TCP drop), so the entry never needs a reload; the coordinator only turns events
into state (``push_state.PushState``): each notification updates the entities (at most every
N seconds with the throttle option), a silence of a few push intervals makes them
unavailable, the first notification after it makes them available again.

Keys that stop working (the grid operator changed them) show up as notifications that fail
to decipher: after a few in a row the reauth flow starts. The last few frames and their
decode are kept for diagnostics.
"""

from __future__ import annotations

import asyncio
from collections import deque
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Final, override

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_PORT
from homeassistant.core import CALLBACK_TYPE, HassJob, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later, async_track_time_interval
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util

from .const import (
    CONF_AUTHENTICATION_KEY,
    CONF_BAUDRATE,
    CONF_ENCRYPTION_KEY,
    CONF_MIN_UPDATE_INTERVAL,
    CONF_PARITY,
    CONF_SENSORS,
    CONF_SILENCE,
    LOGGER,
    PARITY_LETTERS,
    PUSH_BAUDRATE,
)
from .libdlms import (
    BytesSkipped,
    Connected,
    Disconnected,
    Notification,
    NotificationFailed,
    NotificationReceived,
    StreamNotDlms,
)
from .push_listen import failure_key, listener_keys, new_listener
from .push_state import PushState
from .values import MeterData

# How often silence is checked (the silence itself is at least 30 s).
SILENCE_CHECK: Final = timedelta(seconds=5)
FRAMES_KEPT: Final = 5
# Notifications in a row that fail to decipher before the keys are asked again.
DECIPHER_FAILURES_BEFORE_REAUTH: Final = 3
KEY_FAILURES: Final = frozenset({"push_key_required", "push_decryption_failed", "push_tag_failed"})


def configured_sensors(data: dict[str, Any], options: dict[str, Any]) -> list[dict[str, Any]]:
    """The values an entry shows (their specs, from ``data["values"]``, everything the
    flow's listening step saw): the options' choice of keys, else the config flow's."""
    chosen = set(options.get(CONF_SENSORS, data[CONF_SENSORS]))
    return [spec for spec in data["values"] if spec["key"] in chosen]


class PushCoordinator(DataUpdateCoordinator[MeterData]):
    """Listens to one push meter for as long as its entry is loaded."""

    config_entry: ConfigEntry[Any]

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry[Any]) -> None:
        super().__init__(hass, LOGGER, config_entry=entry, name=entry.title, update_interval=None)
        self.sensors = configured_sensors(dict(entry.data), dict(entry.options))
        self.state = PushState(
            entry.title,
            silence=float(entry.options.get(CONF_SILENCE) or 0) or None,
            min_update_interval=float(entry.options.get(CONF_MIN_UPDATE_INTERVAL, 0)),
            keys=frozenset(sensor["key"] for sensor in self.sensors),
        )
        self.data = self.state.data
        # Unavailable until the first notification.
        self.last_update_success = False
        self.connected = False
        self.frames: deque[dict[str, Any]] = deque(maxlen=FRAMES_KEPT)
        self.counts = {"notifications": 0, "failed": 0, "skipped_bytes": 0, "not_dlms": 0}
        self.last_error: str | None = None
        self._decipher_failures = 0
        self._listener: Any = None
        self._publish_unsub: CALLBACK_TYPE | None = None

    def _new_listener(self) -> Any:
        data = self.config_entry.data
        return new_listener(
            data[CONF_PORT],
            baudrate=int(data.get(CONF_BAUDRATE, PUSH_BAUDRATE)),
            parity=PARITY_LETTERS.get(data.get(CONF_PARITY, "none"), "N"),
            keys=listener_keys(data.get(CONF_ENCRYPTION_KEY), data.get(CONF_AUTHENTICATION_KEY)),
        )

    async def async_start(self) -> None:
        """Start listening (in the background; setup does not wait for the meter) and the
        silence check; both end with the entry."""
        entry = self.config_entry
        self._listener = self._new_listener()
        entry.async_create_background_task(
            self.hass, self._async_listen(self._listener), f"dlms push listener {entry.title}"
        )
        entry.async_on_unload(
            async_track_time_interval(
                self.hass, self._async_check_silence, SILENCE_CHECK, cancel_on_shutdown=True
            )
        )
        entry.async_on_unload(self.async_stop)

    async def async_stop(self) -> None:
        if self._publish_unsub is not None:
            self._publish_unsub()
            self._publish_unsub = None
        if self._listener is not None:
            await self._listener.close()
            self._listener = None

    async def _async_listen(self, listener: Any) -> None:
        try:
            async for event in listener.events():
                self.handle_event(event)
        except asyncio.CancelledError:
            raise
        except Exception:  # the listener does not raise; if it ever does, say so
            LOGGER.exception("%s: the push listener stopped", self.name)

    @override
    async def _async_update_data(self) -> MeterData:
        """Nothing to fetch: the meter sends (a manual refresh republishes)."""
        return self.state.data

    def restore_published(self, key: str, value: Decimal, unit: str | None) -> None:
        self.state.restore(key, value, unit)

    @callback
    def handle_event(self, event: object) -> None:
        """One event of the listener."""
        if isinstance(event, NotificationReceived):
            self._notification(event.notification)
        elif isinstance(event, NotificationFailed):
            self._failed(event)
        elif isinstance(event, Connected):
            self.connected = True
            LOGGER.debug("%s: listening on %s", self.name, event.url)
        elif isinstance(event, Disconnected):
            if self.connected:
                LOGGER.info("%s: connection lost (%s); reconnecting", self.name, event.error)
            self.connected = False
        elif isinstance(event, BytesSkipped):
            self.counts["skipped_bytes"] += event.count
        elif isinstance(event, StreamNotDlms):
            self.counts["not_dlms"] += 1

    def _notification(self, notification: Notification) -> None:
        now = dt_util.utcnow()
        self.counts["notifications"] += 1
        self._decipher_failures = 0
        self.last_error = None
        # Kept as they came: their JSON is made only when diagnostics are asked for.
        self.frames.append({"received": now, "raw": notification.raw, "decode": notification})
        if self.state.receive(notification, now.timestamp(), now):
            self._publish()
        elif self._publish_unsub is None:
            wait = self.state.publish_due(now.timestamp()) or 0.0
            self._publish_unsub = async_call_later(
                self.hass, wait, HassJob(self._publish_later, cancel_on_shutdown=True)
            )

    @callback
    def _publish_later(self, _now: datetime) -> None:
        self._publish_unsub = None
        if self.state.pending:
            self._publish()

    def _publish(self) -> None:
        self.state.published(dt_util.utcnow().timestamp())
        self.async_set_updated_data(self.state.data)

    def _failed(self, event: NotificationFailed) -> None:
        self.counts["failed"] += 1
        key = failure_key(event.error)
        self.frames.append(
            {"received": dt_util.utcnow(), "raw": event.raw, "error": key, "decode": event}
        )
        if key != self.last_error:
            LOGGER.warning("%s: a notification could not be used: %s", self.name, event.error)
        self.last_error = key
        if key not in KEY_FAILURES:
            return
        self._decipher_failures += 1
        if self._decipher_failures == DECIPHER_FAILURES_BEFORE_REAUTH:
            self.config_entry.async_start_reauth(self.hass)

    @callback
    def _async_check_silence(self, _now: datetime) -> None:
        """Unavailable after the silence timeout; available again with the next one."""
        if self.last_update_success and self.state.is_silent(dt_util.utcnow().timestamp()):
            LOGGER.info(
                "%s: no notification for %.0f s; the values are unavailable until the next",
                self.name,
                self.state.silence_timeout,
            )
            self.last_update_success = False
            self.async_update_listeners()
