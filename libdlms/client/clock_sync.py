"""Setting a meter's clock (0-0:1.0.0) to ours without losing or doubling a load-profile
interval.

Moving a clock across a capture boundary of the load profile does harm: forward past it,
the meter never captures that interval; back past one it already captured, it captures it
again. So the move waits, when it must, until no boundary lies between the meter's time and
the true time (at most the offset, plus a second); beyond ``max_wait`` it is refused. The
Clock's own shift_time (method 6, -900..900 s) moves the time by the difference; a larger
offset, or a meter without shift_time, gets its time SET.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from ..codecs.axdr import Data, DataType
from ..codecs.xdlms import AttributeDescriptor, MethodDescriptor
from ..cosem.clock import CosemDateTime
from ..errors import ActionError, DecodeError, DlmsError
from ..obis import Obis
from .client import DlmsClient

CLOCK = Obis(0, 0, 1, 0, 0, 255)
CLOCK_TIME = AttributeDescriptor(8, CLOCK, 2)
SHIFT_TIME = MethodDescriptor(8, CLOCK, 6)
SHIFT_LIMIT_S = 900
SETTLE_S = 1.0


class ClockSyncRefused(DlmsError):
    """The move would cross a capture boundary and waiting for it would take too long."""


@dataclass(frozen=True, slots=True)
class ClockSync:
    offset_before_s: float
    offset_after_s: float
    method: str
    """``shift_time`` or ``set``."""
    waited_s: float = 0.0

    def to_json(self) -> dict[str, float | str]:
        return {
            "offset_before_s": round(self.offset_before_s, 3),
            "offset_after_s": round(self.offset_after_s, 3),
            "method": self.method,
        }


def boundary_wait(meter_time: float, offset: float, period: float | None) -> float:
    """Seconds to wait so that moving the clock from ``meter_time`` by ``-offset`` crosses
    no multiple of ``period`` (0: none in the way, or no load profile)."""
    if not period or not offset:
        return 0.0
    if abs(offset) >= period:
        return math.inf  # a whole interval or more: any move loses or repeats one
    low, high = sorted((meter_time, meter_time - offset))
    boundary = math.floor(high / period) * period
    if boundary <= low:
        return 0.0
    # Both ends move with time; the boundary is behind both once the lower end passes it.
    return boundary - low + SETTLE_S


async def meter_offset(client: DlmsClient, now: Callable[[], float] = time.time) -> float:
    """The meter's clock minus ours, in seconds (to the read's round trip)."""
    data = await client.get(CLOCK_TIME)
    if not isinstance(data.value, bytes):
        raise DecodeError("the clock's time is not an octet string")
    stamp = CosemDateTime.from_bytes(data.value)
    local = dt.datetime.fromtimestamp(now()).astimezone().tzinfo
    return stamp.to_datetime(local).timestamp() - now()


async def synchronise_clock(
    client: DlmsClient,
    *,
    capture_period: float | None = None,
    max_wait: float = 60.0,
    allow_gap: bool = False,
    now: Callable[[], float] = time.time,
) -> ClockSync:
    """Bring the meter's clock to ours (see the module docstring). Raises ``DlmsError``:
    ``ClockSyncRefused`` when the wait would exceed ``max_wait`` or the clock is off by a
    capture period or more (unless ``allow_gap``: then the profile loses or repeats the
    intervals in between), ``DataAccessError`` when the meter refuses the SET."""
    before = await meter_offset(client, now)
    wait = 0.0 if allow_gap else boundary_wait(now() + before, before, capture_period)
    if math.isinf(wait):
        raise ClockSyncRefused(
            f"the clock is {before:+.0f} s off, a load-profile capture period or more: any "
            f"move loses or repeats intervals (allow it explicitly to set the clock anyway)"
        )
    if wait > max_wait:
        raise ClockSyncRefused(
            f"moving the clock by {-before:+.0f} s now would cross a load-profile capture; "
            f"try again in {wait:.0f} s"
        )
    if wait:
        await asyncio.sleep(wait)
        before = await meter_offset(client, now)
    method = "shift_time"
    try:
        if abs(before) > SHIFT_LIMIT_S:
            raise ActionError("beyond shift_time's range", result=-1)
        await client.action(SHIFT_TIME, Data(DataType.LONG, -round(before)))
    except ActionError:
        method = "set"
        local = dt.datetime.fromtimestamp(now()).astimezone().replace(microsecond=0)
        stamp = CosemDateTime.from_datetime(local)
        await client.set(CLOCK_TIME, Data(DataType.OCTET_STRING, stamp.to_bytes()))
    after = await meter_offset(client, now)
    return ClockSync(before, after, method, wait)
