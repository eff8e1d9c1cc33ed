"""A virtual clock for async tests: ``@virtual_time`` runs the test on an event loop whose
clock stands still while anything is ready to run, and jumps to the next timer as soon as
nothing is. Sleeps, ``asyncio.timeout`` and ``call_later`` keep their meaning (a 5 s
response timeout still comes after 5 s of ``loop.time()``), but waiting for them costs no
wall-clock time, and every run sees the same times, however slow the machine.

Only for tests whose I/O stays in the loop (``simulator.LoopbackTransport``): bytes from a
socket or a pseudo-terminal arrive in real time, which this clock does not wait for.

Why not the ``looptime`` plugin: it works on Python 3.11 with pytest-asyncio, but Home
Assistant's test harness (loaded for the Python 3.14 run) binds ``time.monotonic`` as
every test loop's ``time`` in an autouse fixture, which silently turns its clock back
into the wall clock. A loop of our own, run by the test itself, is out of that reach.
"""

from __future__ import annotations

import asyncio
import functools
import selectors
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec

P = ParamSpec("P")

# Nothing ready and no timer: in memory that is a test waiting for ever. Real events (a
# thread's call_soon_threadsafe, an executor shutting down) get this long to come.
STUCK_AFTER = 10.0  # wall-clock seconds


class _VirtualTimeSelector(selectors.DefaultSelector):
    def __init__(self, loop: VirtualTimeLoop) -> None:
        super().__init__()
        self._loop = loop

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = super().select(0)
        if ready or timeout == 0:
            return ready
        if timeout is None:
            ready = super().select(STUCK_AFTER)
            if not ready:
                raise RuntimeError("stuck in virtual time: nothing to run and no timer")
            return ready
        self._loop.advance(timeout)  # to the next timer: asyncio runs it on this turn
        return []


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    def __init__(self) -> None:
        self._now = 0.0
        super().__init__(_VirtualTimeSelector(self))

    def time(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds


def virtual_time(test: Callable[P, Coroutine[Any, Any, None]]) -> Callable[P, None]:
    """Run the async test function ``test`` on a ``VirtualTimeLoop`` of its own (to
    pytest it is a plain test; its fixtures are plain ones)."""

    @functools.wraps(test)
    def run(*args: P.args, **kwargs: P.kwargs) -> None:
        with asyncio.Runner(loop_factory=VirtualTimeLoop) as runner:
            runner.run(test(*args, **kwargs))

    return run
