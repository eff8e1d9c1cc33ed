"""The config flow's listening step: listen to the port for a bounded time and say what came.

``ListenJudge`` is the pure part: it takes the listener's events one by one and decides when
enough is known (a notification that decodes and names its meter) and, when nothing usable
came, which error the user sees, on which step. ``async_listen`` runs a ``PushListener`` for
at most ``seconds`` and feeds the judge.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Final

from .const import LOGGER
from .libdlms import (
    AuthenticationTagMismatch,
    BytesSkipped,
    Connected,
    DecipheringError,
    Disconnected,
    InvocationCounterError,
    KeyRequired,
    Notification,
    NotificationFailed,
    NotificationReceived,
    PushListener,
    SecurityKeys,
    StreamKind,
    StreamNotDlms,
)
from .push_state import MeterInfo, meter_info, meter_serial

# The flow's error keys (config.error) and the step each is shown on: the port and serial
# settings, or the keys.
PUSH_ERROR_STEPS: Final[dict[str, str]] = {
    "cannot_connect": "push",
    "push_nothing_received": "push",
    "push_not_dlms": "push",
    "push_dsmr": "push",
    "push_key_required": "push_keys",
    "push_decryption_failed": "push_keys",
    "push_tag_failed": "push_keys",
    "push_not_encrypted": "push_keys",
    "push_undecodable": "push",
}
# Shown on the sensors step, which can still be submitted: the values are kept by position.
PUSH_WARNINGS: Final = frozenset({"push_unknown_shape"})
PUSH_FLOW_ERRORS: Final = frozenset(PUSH_ERROR_STEPS) | PUSH_WARNINGS

# After a first good notification without the meter's id, how much longer to wait for one
# that has it (Norwegian meters: the 2 s list has no id, the 10 s list has).
IDENTITY_GRACE: Final = 12.0


@dataclass(slots=True)
class ListenJudge:
    """What the events so far say. ``encrypted_expected``: keys were given."""

    encrypted_expected: bool
    notification: Notification | None = None
    info: MeterInfo = field(default_factory=MeterInfo)
    connected: bool = False
    connect_error: str | None = None
    received_bytes: int = 0
    failure: str | None = None
    stream: StreamKind | None = None
    failures: int = 0

    def feed(self, event: object) -> bool:
        """Take one event; True when listening can stop (a decoded notification that names
        its meter, or a plain notification although keys were given)."""
        if isinstance(event, Connected):
            self.connected = True
        elif isinstance(event, Disconnected):
            if not self.connected:
                self.connect_error = str(event.error)
        elif isinstance(event, NotificationReceived):
            notification = event.notification
            self.received_bytes += len(notification.raw) or 1
            self.notification = notification
            self.info = meter_info(notification, self.info)
            if self.encrypted_expected and not notification.encrypted:
                return True
            return meter_serial(self.info) is not None
        elif isinstance(event, NotificationFailed):
            self.received_bytes += len(event.raw) or 1
            self.failures += 1
            if not isinstance(event.error, InvocationCounterError):
                self.failure = failure_key(event.error)
        elif isinstance(event, StreamNotDlms):
            self.received_bytes += len(event.sample) or 1
            self.stream = event.kind
        elif isinstance(event, BytesSkipped):
            self.received_bytes += event.count
        return False

    @property
    def error(self) -> str | None:
        """The error key when nothing usable came (None: there is a notification)."""
        notification = self.notification
        if notification is not None:
            if self.encrypted_expected and not notification.encrypted:
                return "push_not_encrypted"
            return None
        if self.failure is not None:
            key = self.failure
        elif self.stream is StreamKind.DSMR:
            key = "push_dsmr"
        elif self.stream is not None or self.received_bytes:
            key = "push_not_dlms"
        elif not self.connected and self.connect_error is not None:
            key = "cannot_connect"
        else:
            key = "push_nothing_received"
        return key

    @property
    def warning(self) -> str | None:
        """``push_unknown_shape`` when no value came with an OBIS code or a profile."""
        notification = self.notification
        if notification is None or notification.profile is not None:
            return None
        if any(value.obis is not None for value in notification.values):
            return None
        return "push_unknown_shape"


def failure_key(error: Exception) -> str:
    """The error key of a notification that failed: the receiver's ways a ciphered
    notification fails each have their own message for the user."""
    if isinstance(error, KeyRequired):
        return "push_key_required"
    if isinstance(error, AuthenticationTagMismatch):
        return "push_tag_failed"
    if isinstance(error, DecipheringError):
        return "push_decryption_failed"
    return "push_undecodable"


def new_listener(
    url: str, *, baudrate: int, parity: str, keys: SecurityKeys | None, **kwargs: Any
) -> PushListener:
    """The library's PushListener for these settings."""
    return PushListener(url, baudrate=baudrate, parity=parity, keys=keys, **kwargs)


def listener_keys(
    encryption_key: str | None, authentication_key: str | None
) -> SecurityKeys | None:
    """The keys the listener deciphers with (hex as stored in the entry)."""
    if not encryption_key:
        return None
    return SecurityKeys(
        bytes.fromhex(encryption_key),
        bytes.fromhex(authentication_key) if authentication_key else None,
    )


async def async_listen(
    url: str,
    *,
    baudrate: int,
    parity: str,
    keys: SecurityKeys | None,
    seconds: float,
) -> ListenJudge:
    """Listen to ``url`` for at most ``seconds`` (less once a notification names its
    meter) and return the judge."""
    judge = ListenJudge(encrypted_expected=keys is not None)
    listener = new_listener(
        url, baudrate=baudrate, parity=parity, keys=keys, reconnect_delays=(1.0,)
    )
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds

    async def run() -> None:
        nonlocal deadline
        async for event in listener.events():
            if judge.feed(event):
                return
            if judge.notification is not None:
                deadline = min(deadline, loop.time() + IDENTITY_GRACE)

    task = asyncio.ensure_future(run())
    try:
        while not task.done() and (remaining := deadline - loop.time()) > 0:
            await asyncio.wait({task}, timeout=min(remaining, 0.5))
    finally:
        task.cancel()
        await listener.close()
        try:
            await task
        except asyncio.CancelledError:
            pass
        except Exception as err:  # the listener does not raise; never let the flow die of it
            LOGGER.debug("listening to %s ended with %r", url, err)
            judge.connect_error = judge.connect_error or str(err)
    return judge
