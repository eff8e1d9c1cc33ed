"""Listening to a push meter: a port (serial device, TCP bridge, ESPHome proxy) read for
ever, its bytes handed to the sans-IO ``PushReceiver``, its events handed on.

A push meter's line is one-way and never ends: a bridge restarts, a USB adapter is
re-plugged, a Wi-Fi bridge drops its TCP connection after a router restart. So the
listener never gives up: every way the port can fail becomes a ``Disconnected`` event,
the receiver drops its partial frames (``connection_lost``), and the port is opened again
after the next of ``reconnect_delays`` (the last one repeats); the delays start over once
a connection has delivered bytes. ``idle_timeout`` reconnects a connection that stays
silent that long: a TCP connection whose far end vanished without a FIN only ever shows
itself that way (set it to a few push intervals).

The loop is never blocked: decoding a chunk costs microseconds, and control is given back
to the event loop after every chunk. Nothing grows without bound: the receiver's buffer
is bounded (``max_buffer``), and events are produced only as the caller consumes them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Final, Protocol, TypeVar

from ..errors import CommunicationError, ConfigurationError, DlmsError, DlmsTimeoutError
from ..security import SecurityKeys
from ..session.push.events import Framing, PushEvent
from ..session.push.receiver import PushReceiver
from ..transport import SerialTransport, Transport

DEFAULT_RECONNECT_DELAYS: Final = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
BURST_GAP: Final = 0.2
"""Seconds of quiet, with bytes pending, after which the burst is over (``line_idle``):
many character times at any push baud rate, far below any push interval."""
PARITIES: Final = {"N": "N", "E": "E", "O": "O", "NONE": "N", "EVEN": "E", "ODD": "O"}

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class Connected:
    """The port is open; bytes may come."""

    url: str


@dataclass(frozen=True, slots=True)
class Disconnected:
    """The port could not be opened, failed, closed, or stayed silent past
    ``idle_timeout``; ``retry_in`` seconds until the next attempt."""

    error: DlmsError
    retry_in: float = 0.0


ListenerEvent = PushEvent | Connected | Disconnected


class Receiver(Protocol):
    """What the listener needs of ``session.push.receiver.PushReceiver``."""

    @property
    def framing(self) -> Framing | None: ...

    @property
    def pending(self) -> int: ...

    def receive_data(self, data: bytes) -> list[PushEvent]: ...

    def line_idle(self) -> list[PushEvent]: ...

    def connection_lost(self) -> None: ...


def push_receiver(
    framing: Framing | None, keys: SecurityKeys | None, profile: str | None
) -> Receiver:
    """The library's sans-IO push receiver for these settings."""
    return PushReceiver(framing=framing, keys=keys, profile=profile)


class _Closed(Exception):
    """``close()`` was called while the listener waited."""


class PushListener:
    """Listens on ``url`` until ``close()``; ``events()`` yields what happens.

    ``framing`` None finds the framing by itself; ``keys`` decipher general-glo ciphered
    notifications (with ``authentication_key`` the tag is checked); ``profile`` forces a
    format profile. ``transport_factory`` replaces the serial transport (a caller with its
    own port); ``receiver`` replaces the receiver the settings describe (a caller that
    keeps one across listeners, for its statistics and its frame counters)."""

    def __init__(
        self,
        url: str,
        *,
        baudrate: int = 2400,
        parity: str = "N",
        byte_size: int = 8,
        framing: Framing | None = None,
        keys: SecurityKeys | None = None,
        profile: str | None = None,
        reconnect_delays: Sequence[float] = DEFAULT_RECONNECT_DELAYS,
        idle_timeout: float | None = None,
        transport_factory: Callable[[], Transport] | None = None,
        receiver: Receiver | None = None,
    ) -> None:
        if parity.upper() not in PARITIES:
            raise ConfigurationError(f"parity {parity!r} is not none, even or odd")
        if not reconnect_delays or any(delay < 0 for delay in reconnect_delays):
            raise ConfigurationError("reconnect delays must be one or more seconds >= 0")
        if idle_timeout is not None and idle_timeout <= 0:
            raise ConfigurationError("idle timeout must be positive")
        self.url = url
        self.baudrate = baudrate
        self.parity = PARITIES[parity.upper()]
        self.byte_size = byte_size
        self.reconnect_delays = tuple(reconnect_delays)
        self.idle_timeout = idle_timeout
        self.receiver = receiver or push_receiver(framing, keys, profile)
        self._transport_factory = transport_factory or self._serial_transport
        self._closing = asyncio.Event()
        self._transport: Transport | None = None
        self.connections = 0
        """How many times the port was opened (a caller's statistics)."""
        self.bytes_received = 0

    def _serial_transport(self) -> Transport:
        return SerialTransport(
            self.url, baudrate=self.baudrate, parity=self.parity, byte_size=self.byte_size
        )

    @property
    def closed(self) -> bool:
        return self._closing.is_set()

    async def close(self) -> None:
        """Stop listening: ``events()`` ends, and the port is closed now, not when the
        abandoned generator is collected (a serial port stays locked while open, and the
        next listener on it, an entry's after the config flow's, could not open it)."""
        self._closing.set()
        transport, self._transport = self._transport, None
        if transport is not None:
            with contextlib.suppress(DlmsError, OSError):
                await transport.close()

    async def events(self) -> AsyncGenerator[ListenerEvent, None]:
        """Every event until ``close()``: ``Connected``, the receiver's events for the
        bytes of each connection, ``Disconnected`` when it ends; and again."""
        failures = 0
        while not self.closed:
            transport = self._transport = self._transport_factory()
            error: DlmsError
            try:
                await self._unless_closed(transport.open())
                self.connections += 1
                yield Connected(self.url)
                received = self.bytes_received
                try:
                    async for event in self._read(transport):
                        yield event
                finally:
                    if self.bytes_received > received:
                        failures = 0  # bytes came: the delays start over
                raise CommunicationError(f"{self.url} closed the connection")
            except _Closed:
                break
            except DlmsError as err:
                error = err
            finally:
                self._transport = None
                with contextlib.suppress(DlmsError, OSError):
                    await transport.close()
                self.receiver.connection_lost()
            delay = self.reconnect_delays[min(failures, len(self.reconnect_delays) - 1)]
            failures += 1
            yield Disconnected(error, delay)
            try:
                await self._unless_closed(asyncio.sleep(delay))
            except _Closed:
                break

    async def _read(self, transport: Transport) -> AsyncIterator[PushEvent]:
        while True:
            if self.closed:
                raise _Closed
            read: Awaitable[bytes] = transport.read()
            burst = self.receiver.pending > 0
            timeout = BURST_GAP if burst else self.idle_timeout
            if timeout is not None:
                read = asyncio.wait_for(read, timeout)
            try:
                data = await self._unless_closed(read)
            except TimeoutError:
                if burst:
                    for event in self.receiver.line_idle():
                        yield event
                    continue
                raise DlmsTimeoutError(
                    f"nothing received from {self.url} for {self.idle_timeout:g} s"
                ) from None
            self.bytes_received += len(data)
            for event in self.receiver.receive_data(data):
                yield event
            await asyncio.sleep(0)  # a flood of bytes must not starve the loop

    async def _unless_closed(self, awaitable: Awaitable[_T]) -> _T:
        """``awaitable``'s result, or ``_Closed`` as soon as ``close()`` is called."""
        if self.closed:
            if asyncio.iscoroutine(awaitable):
                awaitable.close()
            raise _Closed
        work = asyncio.ensure_future(awaitable)
        closing = asyncio.ensure_future(self._closing.wait())
        try:
            await asyncio.wait((work, closing), return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:  # the caller's task was cancelled: take work along
            work.cancel()
            raise
        finally:
            closing.cancel()
        if work.done():
            return work.result()
        work.cancel()
        with contextlib.suppress(asyncio.CancelledError, DlmsError, OSError):
            await work
        raise _Closed
