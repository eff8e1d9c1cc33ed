"""Config flow: pick the port, type the addresses and password from the grid operator's
letter, tick the values; one session with the meter proves it all before anything is saved.

Steps: ``user`` (the port), ``addressing`` (client and server HDLC addresses), ``security``
(authentication, policy, suite, keys and where the invocation counter comes from; keys never
reach a log or an error message), then the connection test (``probe``), then ``objects``:
what the meter's object list has (every register and the Data objects the OBIS catalogue
names), the defaults the meter has preselected; codes can still be typed. A failed test
sends the user back to the step whose fields caused it. Reauth asks for the secrets,
reconfigure for the port and addresses; the options flow for the interval, the objects and
the load profile. The forms are in ``flow_schemas``, the checks of their input in
``entry_data``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from typing import Any, override

import probatio
from homeassistant import data_entry_flow
from homeassistant.config_entries import (
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlowWithReload,
)
from homeassistant.const import CONF_PORT, CONF_SCAN_INTERVAL
from homeassistant.core import callback

from .const import (
    BAUDRATE,
    CONF_AUTHENTICATION_KEY,
    CONF_BACKFILL_DAYS,
    CONF_BAUDRATE,
    CONF_CLIENT_ADDRESS,
    CONF_CLIENT_ADDRESS_PRESET,
    CONF_CLOCK_TOLERANCE,
    CONF_DISCONNECTOR,
    CONF_ENCRYPTION_KEY,
    CONF_INVOCATION_COUNTER,
    CONF_KEEP_SESSION,
    CONF_LOAD_PROFILE,
    CONF_LOAD_PROFILE_IMPORT,
    CONF_METER_PRESET,
    CONF_MIN_UPDATE_INTERVAL,
    CONF_MODE,
    CONF_MODE_E,
    CONF_OBIS_CODES,
    CONF_OBJECTS,
    CONF_PARITY,
    CONF_SECURITY_POLICY,
    CONF_SENSOR_KEYS,
    CONF_SENSORS,
    CONF_SILENCE,
    DEFAULT_CLIENT_ADDRESS,
    DEFAULT_OBIS_CODES,
    DOMAIN,
    LISTEN_SECONDS,
    METER_PRESET_CUSTOM,
    MODE_PUSH,
)
from .coordinator import DlmsConfigEntry
from .detect_flow import (
    CONF_SETUP,
    NOTHING_ERRORS,
    SETUP_DETECT,
    START_SCHEMA,
    ProgressNotes,
    async_detect,
    client_schema,
    found_placeholders,
    is_public_client,
    object_classes,
    poll_data,
    push_data,
)
from .entry_data import (
    SECRET_FIELDS,
    SECURITY_FIELDS,
    FlowInputError,
    addressing_data_from_input,
    client_address_from_input,
    configured_objects,
    connection_data_from_input,
    objects_data,
    parse_obis,
    parse_obis_codes,
    reauth_updates,
    reconfigure_data_from_input,
    security_data_from_input,
)
from .flow_schemas import (
    ADDRESSING_SCHEMA,
    RECONFIGURE_SCHEMA,
    SECURITY_SCHEMA,
    USER_SCHEMA,
    objects_schema,
    options_schema,
    reauth_schema,
)
from .libdlms import (
    Detection,
    NothingDetected,
    NotificationReceived,
    Obis,
    PollDetected,
    PushDetected,
    PushPreset,
    SecurityKeys,
    load_push_presets,
)
from .obis_catalogue import async_object_labels, offered_objects
from .probe import (
    PROBE_ERROR_STEPS,
    async_probe,
    async_probe_entry,
    note_disconnector,
    probe_error,
)
from .push_flow import (
    CONF_VALUES,
    PUSH_KEYS_SCHEMA,
    default_keys,
    listen_placeholders,
    push_connection_from_input,
    push_keys_from_input,
    push_options_schema,
    push_schema,
    sensors_from_keys,
    sensors_schema,
    spec_label,
    value_label,
    value_spec,
)
from .push_listen import PUSH_ERROR_STEPS, ListenJudge, async_listen, listener_keys
from .push_state import meter_serial


def show_input_error(
    err: FlowInputError, errors: dict[str, str], placeholders: dict[str, str]
) -> None:
    """Put an input error on its form field, with its placeholders."""
    errors[err.field] = err.key
    placeholders.update(err.placeholders)


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
        self._presets: tuple[PushPreset, ...] = ()
        self._detect_task: asyncio.Task[Detection] | None = None
        self._detection: Detection | None = None
        self._notes = ProgressNotes(self._progress_changed)
        self._listen_task: asyncio.Task[ListenJudge] | None = None
        self._judge: ListenJudge | None = None

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
        """The port, and whether dlms finds the settings (the default) or the user types
        them; a local serial device, or a bridge as socket:// or rfc2217://."""
        if user_input is not None:
            self._input["user"] = dict(user_input)
            self._data = {CONF_PORT: str(user_input[CONF_PORT]).strip()}
            self._detection = None
            if user_input.get(CONF_SETUP, SETUP_DETECT) == SETUP_DETECT:
                return await self.async_step_detect()
            return await self.async_step_meter_talks()
        return self._show("user", START_SCHEMA, {}, {})

    async def async_step_meter_talks(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Typing the settings: does the meter answer a client, or send by itself?"""
        return self.async_show_menu(step_id="meter_talks", menu_options=["poll", "push"])

    async def async_step_poll(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """The meter answers a client: the poll path, starting with its connection form."""
        return await self.async_step_connection(user_input)

    async def async_step_connection(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The poll path's connection: the port, its speed and the mode E sign-on."""
        if user_input is not None:
            self._input["connection"] = dict(user_input)
            self._data.update(connection_data_from_input(user_input))
            return await self.async_step_addressing()
        return self._show("connection", USER_SCHEMA, {}, {}, self._port_suggested())

    def _port_suggested(self) -> dict[str, Any]:
        """The port typed on the first step, for the manual forms that ask it again."""
        return {CONF_PORT: self._data[CONF_PORT]} if CONF_PORT in self._data else {}

    # ------------------------------------------------------------------ detection

    async def async_step_detect(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Detection in the background (listen, then poll with the public client), its
        current attempt in the description; then the summary."""
        port = self._data[CONF_PORT]
        started = self._detect_task is None
        if self._detect_task is None:
            self._notes.text = ""
            self._detect_task = self.hass.async_create_task(
                async_detect(self.hass, port, self._notes), "dlms flow detection"
            )
        # Shown at least once, even when the task ended at once (a port that does not
        # exist): "progress done" may only follow a progress step.
        if started or not self._detect_task.done():
            return self.async_show_progress(
                step_id="detect",
                progress_action="detecting",
                progress_task=self._detect_task,
                description_placeholders={"port": port, "attempt": self._notes.text or "…"},
            )
        detection = self._detect_task.result()
        self._detect_task = None
        self._detection = detection
        if isinstance(detection, PollDetected):
            return self.async_show_progress_done(next_step_id="found_poll")
        if isinstance(detection, PushDetected):
            return self.async_show_progress_done(next_step_id="found_push")
        return self.async_show_progress_done(next_step_id="found_nothing")

    def _progress_changed(self) -> None:
        """A new attempt: show it (the frontend follows a changed progress step)."""
        task = self._detect_task
        if task is not None and not task.done():
            self.hass.async_create_task(self._async_show_attempt(), eager_start=False)

    async def _async_show_attempt(self) -> None:
        task = self._detect_task
        if task is None or task.done():
            return
        with contextlib.suppress(data_entry_flow.UnknownFlow, ValueError):
            await self.hass.config_entries.flow.async_configure(self.flow_id)

    @override
    def async_remove(self) -> None:
        """The user closed the flow: stop detecting or listening (the port is closed)."""
        for task in (self._detect_task, self._listen_task):
            if task is not None and not task.done():
                task.cancel()

    async def async_step_found_poll(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """What detection found: a meter that answers the public client."""
        found = self._detection
        assert isinstance(found, PollDetected)
        if user_input is not None:
            self._data = {**poll_data(self._data[CONF_PORT], found)}
            return await self.async_step_client()
        errors: dict[str, str] = {}
        if found.association_error:
            errors["base"] = "detect_public_refused"
        return self.async_show_form(
            step_id="found_poll",
            errors=errors,
            description_placeholders=found_placeholders(self._data[CONF_PORT], found),
        )

    async def async_step_found_push(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """What detection found: a meter that sends by itself; the keys next when its
        frames are encrypted, else the values (heard already, or listened for)."""
        found = self._detection
        assert isinstance(found, PushDetected)
        if user_input is not None:
            self._data = push_data(self._data[CONF_PORT], found)
            if found.encrypted:
                return await self.async_step_push_keys()
            judge = ListenJudge(encrypted_expected=False)
            assert found.notification is not None
            if judge.feed(NotificationReceived(found.notification)):
                self._judge = judge
                return await self.async_step_push_sensors()
            return await self.async_step_push_listen()
        return self.async_show_form(
            step_id="found_push",
            description_placeholders=found_placeholders(self._data[CONF_PORT], found),
        )

    async def async_step_found_nothing(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Detection found nothing: what was tried, then the manual steps (the port kept)."""
        found = self._detection
        assert isinstance(found, NothingDetected)
        if user_input is not None:
            return await self.async_step_meter_talks()
        key = NOTHING_ERRORS.get(found.stream, "detect_nothing")
        if found.stream is None and found.tried and "cannot open" in found.tried[0].result:
            key = "cannot_connect"
        return self.async_show_form(
            step_id="found_nothing",
            errors={"base": key},
            description_placeholders=found_placeholders(self._data[CONF_PORT], found),
        )

    async def async_step_client(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """After a detection: the public client as found, or another client with its
        password or keys (then proven on the meter)."""
        found = self._detection
        assert isinstance(found, PollDetected)
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            self._input["client"] = dict(user_input)
            keep_secrets, self._keep_secrets = self._keep_secrets, False
            try:
                client = {CONF_CLIENT_ADDRESS: client_address_from_input(user_input)}
                security = security_data_from_input(
                    user_input, self._data if keep_secrets else None
                )
            except FlowInputError as err:
                show_input_error(err, errors, placeholders)
                self._keep_secrets = keep_secrets
            else:
                for field in (*SECRET_FIELDS, CONF_SECURITY_POLICY, *SECURITY_FIELDS):
                    self._data.pop(field, None)
                self._data.update(client | security)
                if is_public_client(self._data) and found.association_error is None:
                    # What detection did already: its identity and object list serve.
                    identity = found.identity
                    serial = identity and (identity.serial_number or identity.logical_device_name)
                    if serial:
                        await self.async_set_unique_id(serial)
                        self._abort_if_unique_id_configured()
                        self._classes = object_classes(found)
                        note_disconnector(self._data, found.objects or ())
                        return await self.async_step_objects()
                if (result := await self._async_probe(errors, placeholders, "client")) is not None:
                    return result
        return self._show(
            "client",
            client_schema(),
            errors,
            placeholders,
            {
                CONF_CLIENT_ADDRESS_PRESET: str(DEFAULT_CLIENT_ADDRESS),
                CONF_CLIENT_ADDRESS: DEFAULT_CLIENT_ADDRESS,
            },
        )

    async def _async_presets(self) -> tuple[PushPreset, ...]:
        if not self._presets:
            self._presets = await self.hass.async_add_executor_job(load_push_presets)
        return self._presets

    async def async_step_push(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """The meter sends by itself: the port and its serial settings."""
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        presets = await self._async_presets()
        if user_input is not None:
            self._input["push"] = dict(user_input)
            try:
                connection = push_connection_from_input(user_input, presets)
            except FlowInputError as err:
                show_input_error(err, errors, placeholders)
            else:
                self._data = {**connection, **push_keys_only(self._data)}
                return await self.async_step_push_keys()
        return self._show(
            "push", push_schema(presets), errors, placeholders, self._port_suggested()
        )

    async def async_step_push_keys(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The keys: none, the encryption key (EK), or both; checked before listening."""
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            try:
                keys = push_keys_from_input(user_input)
            except FlowInputError as err:
                show_input_error(err, errors, placeholders)
            else:
                for field in (CONF_ENCRYPTION_KEY, CONF_AUTHENTICATION_KEY):
                    self._data.pop(field, None)
                self._data.update(keys)
                return await self.async_step_push_listen()
        return self._show("push_keys", PUSH_KEYS_SCHEMA, errors, placeholders)

    async def async_step_push_listen(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Listen (bounded) for the meter's first notification, in the background."""
        if self._listen_task is None:
            data = self._data
            self._listen_task = self.hass.async_create_task(
                async_listen(
                    data[CONF_PORT],
                    baudrate=data[CONF_BAUDRATE],
                    parity=PARITY_LETTER[data[CONF_PARITY]],
                    keys=_keys(data),
                    seconds=LISTEN_SECONDS,
                ),
                "dlms push flow listen",
            )
        if not self._listen_task.done():
            return self.async_show_progress(
                step_id="push_listen",
                progress_action="listening",
                progress_task=self._listen_task,
                description_placeholders={
                    "port": self._data[CONF_PORT],
                    "seconds": str(int(LISTEN_SECONDS)),
                },
            )
        judge = self._listen_task.result()
        self._listen_task = None
        if (key := judge.error) is not None:
            step = PUSH_ERROR_STEPS[key]
            self._pending = (
                step,
                {"base": key},
                {"port": self._data[CONF_PORT], "seconds": str(int(LISTEN_SECONDS))},
            )
            return self.async_show_progress_done(next_step_id=step)
        self._judge = judge
        return self.async_show_progress_done(next_step_id="push_sensors")

    async def async_step_push_sensors(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """What arrived, and the values that become sensors (energy and power ticked)."""
        judge = self._judge
        assert judge is not None
        assert judge.notification is not None
        notification = judge.notification
        serial = meter_serial(judge.info)
        specs = [value_spec(value) for value in notification.values]
        if user_input is not None:
            keys = sensors_from_keys(specs, user_input.get(CONF_SENSOR_KEYS, []))
            if keys:
                await self.async_set_unique_id(serial or f"push {self._data[CONF_PORT]}")
                self._abort_if_unique_id_configured()
                info = judge.info
                data = {
                    **self._data,
                    CONF_VALUES: specs,
                    CONF_SENSORS: keys,
                    "framing": str(notification.framing),
                    "meter": {
                        "meter_id": info.meter_id,
                        "meter_type": info.meter_type,
                        "list_version": info.list_version,
                        "manufacturer": info.manufacturer,
                    },
                }
                return self.async_create_entry(title=f"Meter {self.unique_id}", data=data)
        errors: dict[str, str] = {}
        if user_input is not None:
            errors[CONF_SENSOR_KEYS] = "no_obis_codes"
        elif judge.warning is not None:
            errors["base"] = "push_unknown_shape"
        names = await async_object_labels(
            self.hass, [Obis.parse(spec["obis"]) for spec in specs if spec["obis"]]
        )
        by_key = {
            obis.dotted: label.removeprefix(obis.reduced).strip() for obis, label in names.items()
        }
        labels = {
            spec["key"]: value_label(spec, by_key, value)
            for spec, value in zip(specs, notification.values, strict=True)
        }
        return self.async_show_form(
            step_id="push_sensors",
            data_schema=sensors_schema(labels, default_keys(specs)),
            errors=errors,
            description_placeholders=listen_placeholders(notification, serial),
        )

    async def async_step_addressing(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Client and server HDLC addresses, or a known meter's server addressing."""
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            self._input["addressing"] = dict(user_input)
            try:
                self._data.update(addressing_data_from_input(user_input, self._data))
            except FlowInputError as err:
                show_input_error(err, errors, placeholders)
            else:
                return await self.async_step_security()
        return self._show(
            "addressing",
            ADDRESSING_SCHEMA,
            errors,
            placeholders,
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
        placeholders: dict[str, str] = {}
        if user_input is not None:
            self._input["security"] = dict(user_input)
            keep_secrets, self._keep_secrets = self._keep_secrets, False
            try:
                security = security_data_from_input(
                    user_input, self._data if keep_secrets else None
                )
            except FlowInputError as err:
                show_input_error(err, errors, placeholders)
                self._keep_secrets = keep_secrets  # still the form after the failed test
            else:
                for field in (*SECRET_FIELDS, CONF_SECURITY_POLICY, *SECURITY_FIELDS):
                    self._data.pop(field, None)
                self._data.update(security)
                if (result := await self._async_probe(errors, placeholders)) is not None:
                    return result
        return self._show("security", SECURITY_SCHEMA, errors, placeholders)

    async def _async_probe(
        self, errors: dict[str, str], placeholders: dict[str, str], form: str = "security"
    ) -> ConfigFlowResult | None:
        """Prove the settings on the meter, then the objects step; on failure the form of
        the step the error belongs to, or None with ``errors`` filled in (``form``: the
        security step, or the client step after a detection, whose addresses answered)."""
        data = self._data
        try:
            serial, classes = await async_probe(self.hass, data)
        except Exception as err:  # every failure becomes a form error (probe_error says which)
            key = probe_error(err, data)
            step = form if form != "security" else PROBE_ERROR_STEPS.get(key, "security")
            if step == form:
                errors["base"] = key
                return None
            self._pending = (step, {"base": key}, {})
            self._keep_secrets = True
            return await (
                self.async_step_connection()
                if step == "connection"
                else self.async_step_addressing()
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
                objects = objects_data(codes, self._classes)
            except FlowInputError as err:
                show_input_error(err, errors, placeholders)
            else:
                self._abort_if_unique_id_configured()
                data = {**self._data, CONF_OBJECTS: objects}
                return self.async_create_entry(title=f"Meter {self.unique_id}", data=data)
        defaults = [
            obis for code in DEFAULT_OBIS_CODES if (obis := Obis.parse(code)) in self._classes
        ]
        labels = await async_object_labels(self.hass, offered_objects(self._classes, defaults))
        schema = objects_schema(labels, defaults)
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

    async def async_step_push_reauth(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """New keys for a push meter (the old ones stopped deciphering); the entry's
        listener proves them after the reload."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            try:
                keys = push_keys_from_input(user_input)
            except FlowInputError as err:
                show_input_error(err, errors, placeholders)
            else:
                data = {
                    key: value
                    for key, value in entry.data.items()
                    if key not in (CONF_ENCRYPTION_KEY, CONF_AUTHENTICATION_KEY)
                }
                return self.async_update_reload_and_abort(entry, data={**data, **keys})
        return self.async_show_form(
            step_id="push_reauth",
            data_schema=PUSH_KEYS_SCHEMA,
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        entry = self._get_reauth_entry()
        if entry.data.get(CONF_MODE) == MODE_PUSH:
            return await self.async_step_push_reauth(user_input)
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            try:
                updates = reauth_updates(entry.data, user_input)
            except FlowInputError as err:
                show_input_error(err, errors, placeholders)
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
        if entry.data.get(CONF_MODE) == MODE_PUSH:
            return await self.async_step_push_reconfigure(user_input)
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            try:
                updates = reconfigure_data_from_input(user_input, entry.data)
            except FlowInputError as err:
                show_input_error(err, errors, placeholders)
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
            description_placeholders=placeholders,
        )

    async def async_step_push_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Another port or other serial settings for the same push meter."""
        entry = self._get_reconfigure_entry()
        presets = await self._async_presets()
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            try:
                updates = push_connection_from_input(user_input, presets)
            except FlowInputError as err:
                show_input_error(err, errors, placeholders)
            else:
                return self.async_update_reload_and_abort(entry, data_updates=updates)
        suggested = user_input or {
            CONF_PORT: entry.data[CONF_PORT],
            CONF_BAUDRATE: str(entry.data[CONF_BAUDRATE]),
            CONF_PARITY: entry.data[CONF_PARITY],
        }
        return self.async_show_form(
            step_id="push_reconfigure",
            data_schema=self.add_suggested_values_to_schema(push_schema(presets), suggested),
            errors=errors,
            description_placeholders=placeholders,
        )


PARITY_LETTER = {"none": "N", "even": "E", "odd": "O"}


def push_keys_only(data: Mapping[str, Any]) -> dict[str, Any]:
    """The keys typed before (kept when the port step is shown again after an error)."""
    return {key: data[key] for key in (CONF_ENCRYPTION_KEY, CONF_AUTHENTICATION_KEY) if key in data}


def _keys(data: Mapping[str, Any]) -> SecurityKeys | None:
    return listener_keys(data.get(CONF_ENCRYPTION_KEY), data.get(CONF_AUTHENTICATION_KEY))


class DlmsOptionsFlow(OptionsFlowWithReload):
    """Scan interval, the objects to read (offered from the meter's object list, read when
    the form opens), keep-session-open and the load profile import."""

    config_entry: DlmsConfigEntry

    def __init__(self) -> None:
        self._classes: dict[Obis, int] | None = None
        # Whether the object list read for the form lets the client operate the
        # disconnector (None: not read in this options flow).
        self._disconnector: bool | None = None

    async def _async_object_list(self, errors: dict[str, str]) -> dict[Obis, int]:
        """The meter's objects, read once per options flow; {} with ``errors`` filled when
        the meter cannot be asked now."""
        if self._classes is None:
            data = dict(self.config_entry.data)
            try:
                _, self._classes = await async_probe_entry(self.hass, self.config_entry, data)
                self._disconnector = bool(data.get(CONF_DISCONNECTOR, False))
            except Exception as err:  # every failure becomes a form error (probe_error says which)
                errors["base"] = probe_error(err, data)
                return {}
        return self._classes

    async def _async_schema(self, current: list[Obis], classes: dict[Obis, int]) -> probatio.Schema:
        """The form: what the meter's object list has (else the catalogue), the ``current``
        choice preselected."""
        labels = await async_object_labels(self.hass, offered_objects(classes, current))
        return options_schema(self.config_entry.options, labels, current)

    async def async_step_push_options(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """A push meter: the silence before unavailable, the update throttle, the sensors."""
        entry = self.config_entry
        specs: list[dict[str, Any]] = entry.data[CONF_VALUES]
        chosen = list(entry.options.get(CONF_SENSORS, entry.data[CONF_SENSORS]))
        errors: dict[str, str] = {}
        if user_input is not None:
            keys = sensors_from_keys(specs, user_input.get(CONF_SENSOR_KEYS, []))
            if keys:
                return self.async_create_entry(
                    data={
                        CONF_SILENCE: int(user_input[CONF_SILENCE]),
                        CONF_MIN_UPDATE_INTERVAL: int(user_input[CONF_MIN_UPDATE_INTERVAL]),
                        CONF_SENSORS: keys,
                    }
                )
            errors[CONF_SENSOR_KEYS] = "no_obis_codes"
        labels = {spec["key"]: spec_label(spec) for spec in specs}
        return self.async_show_form(
            step_id="push_options",
            data_schema=push_options_schema(entry.options, labels, chosen),
            errors=errors,
        )

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        entry = self.config_entry
        if entry.data.get(CONF_MODE) == MODE_PUSH:
            return await self.async_step_push_options(user_input)
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        current = configured_objects(entry.data, entry.options)
        if user_input is None:
            classes = await self._async_object_list(errors)
            return self.async_show_form(
                step_id="init",
                data_schema=await self._async_schema(list(current), classes),
                errors=errors,
                description_placeholders=placeholders,
            )
        classes = {**current, **(self._classes or {})}
        try:
            codes = parse_obis_codes(user_input[CONF_OBIS_CODES])
            profile = parse_obis(CONF_LOAD_PROFILE, user_input[CONF_LOAD_PROFILE])
            if any(obis not in classes for obis in codes) and not self._classes:
                # A new code and no object list yet: ask the meter now.
                self._classes = None
                classes |= await self._async_object_list(errors)
            if not errors:
                return self.async_create_entry(
                    data={
                        CONF_SCAN_INTERVAL: user_input[CONF_SCAN_INTERVAL],
                        CONF_OBJECTS: objects_data(codes, classes),
                        CONF_KEEP_SESSION: user_input[CONF_KEEP_SESSION],
                        CONF_LOAD_PROFILE_IMPORT: user_input[CONF_LOAD_PROFILE_IMPORT],
                        CONF_LOAD_PROFILE: profile.dotted,
                        CONF_BACKFILL_DAYS: user_input[CONF_BACKFILL_DAYS],
                        CONF_CLOCK_TOLERANCE: int(user_input.get(CONF_CLOCK_TOLERANCE, 0)),
                        **(
                            {CONF_DISCONNECTOR: self._disconnector}
                            if self._disconnector is not None
                            else {}
                        ),
                    }
                )
        except FlowInputError as err:
            show_input_error(err, errors, placeholders)
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                await self._async_schema(list(current), self._classes or {}), user_input
            ),
            errors=errors,
            description_placeholders=placeholders,
        )
