"""Invocation counters (Green Book 9.2.7.2.4.4, Security setup attribute "invocation counter").

The IV of every ciphered APDU contains the sender's invocation counter (IC). Per key, an IV
must never repeat, so:

- ``InvocationCounter`` is *our* counter: ``next()`` hands out strictly increasing values and
  consumes each one, even when the APDU it protected is never sent. ``value`` (the next value
  to hand out) is what to persist across restarts; restore with ``InvocationCounter(start=…)``.
  Exhaustion (the last value 2^32-1 used) raises ``InvocationCounterError``: the key must be
  changed.
- ``InvocationCounterGuard`` remembers the highest IC accepted from each peer system title
  (per key: a dedicated key has its own counter) and rejects one that does not increase.

Meters publish the IC they expect in a Data object 0-0:43.1.x.255 (x = the client's security
setup), readable with the public client before a ciphered association. Gurux starts its
client at the value read plus one; ``InvocationCounter.after(value_read)`` does the same.
"""

from __future__ import annotations

from typing import Final, Self

from ..errors import InvocationCounterError
from .gcm import IC_MAX

__all__ = ["IC_MAX", "InvocationCounter", "InvocationCounterGuard"]

GLOBAL: Final = "global"


class InvocationCounter:
    """The client's (sending) invocation counter."""

    __slots__ = ("_next",)

    def __init__(self, start: int = 0) -> None:
        if isinstance(start, bool) or not isinstance(start, int) or not 0 <= start <= IC_MAX + 1:
            raise InvocationCounterError(f"invocation counter start {start!r} is out of range")
        self._next = start

    @classmethod
    def after(cls, last_used: int) -> Self:
        """A counter whose first value is ``last_used + 1`` (e.g. the value read from the
        meter's invocation counter object)."""
        return cls(start=last_used + 1)

    @property
    def value(self) -> int:
        """The next value ``next()`` will hand out: persist this."""
        return self._next

    @property
    def exhausted(self) -> bool:
        return self._next > IC_MAX

    def next(self) -> int:
        """Consume and return the next value. Never returns the same value twice."""
        if self._next > IC_MAX:
            raise InvocationCounterError(
                "the invocation counter is exhausted (2^32-1 used); the key must be changed"
            )
        value = self._next
        self._next = value + 1
        return value

    def __repr__(self) -> str:
        return f"InvocationCounter(start={self._next})"


class InvocationCounterGuard:
    """Rejects a peer invocation counter that is not above the last one accepted from the same
    system title and key.

    ``check`` only tests (use it before deciphering, to drop replays cheaply); ``accept``
    tests and records (use it only *after* the tag verified, so forged APDUs cannot push the
    counter up). ``decipher_apdu(…, counter_guard=guard)`` does both in that order.
    """

    __slots__ = ("_last",)

    def __init__(self, last_seen: dict[tuple[bytes, str], int] | None = None) -> None:
        self._last: dict[tuple[bytes, str], int] = dict(last_seen or {})

    def last_seen(self, system_title: bytes, *, key: str = GLOBAL) -> int | None:
        return self._last.get((bytes(system_title), key))

    def check(self, system_title: bytes, invocation_counter: int, *, key: str = GLOBAL) -> None:
        last = self._last.get((bytes(system_title), key))
        if last is not None and invocation_counter <= last:
            raise InvocationCounterError(
                f"invocation counter {invocation_counter} from system title "
                f"{bytes(system_title).hex().upper()} is not above the last accepted ({last}): "
                "replayed or stale APDU"
            )

    def accept(self, system_title: bytes, invocation_counter: int, *, key: str = GLOBAL) -> None:
        self.check(system_title, invocation_counter, key=key)
        self._last[(bytes(system_title), key)] = invocation_counter

    def forget(self, system_title: bytes, *, key: str = GLOBAL) -> None:
        """Drop what was recorded (e.g. for a dedicated key when its association ends)."""
        self._last.pop((bytes(system_title), key), None)

    def snapshot(self) -> dict[tuple[bytes, str], int]:
        """A copy of what was recorded, for persistence (restore with the constructor)."""
        return dict(self._last)
