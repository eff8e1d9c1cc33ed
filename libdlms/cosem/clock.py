"""COSEM date-time (the 12-byte octet-string of the Clock's attribute 2).

Deviation is minutes with UTC = local + deviation (Blue Book; Gurux and dlms-cosem agree,
and real meters confirm it): CET is -60, CEST is -120, and 0x8000 means "not specified".
Fields set to 0xFF (0xFFFF for the year) are "not specified". The day of week is kept but
never checked: meters get it wrong (the dlms-cosem load profile says Friday on a Monday).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

from ..errors import DecodeError

DEVIATION_NOT_SPECIFIED: Final = -0x8000
CLOCK_STATUS_DST: Final = 0x80
MAX_DEVIATION: Final = 24 * 60 - 1  # minutes; a UTC offset is less than a day


@dataclass(frozen=True, slots=True)
class CosemDateTime:
    year: int | None
    month: int | None
    day: int | None
    day_of_week: int | None
    hour: int | None
    minute: int | None
    second: int | None
    hundredths: int | None
    deviation: int | None
    clock_status: int | None

    @classmethod
    def from_bytes(cls, data: bytes) -> CosemDateTime:
        if len(data) != 12:
            raise DecodeError(f"a date-time is 12 bytes, got {len(data)}")

        def field(value: int) -> int | None:
            return None if value == 0xFF else value

        year = int.from_bytes(data[0:2], "big")
        deviation = int.from_bytes(data[9:11], "big", signed=True)
        return cls(
            year=None if year == 0xFFFF else year,
            month=field(data[2]),
            day=field(data[3]),
            day_of_week=field(data[4]),
            hour=field(data[5]),
            minute=field(data[6]),
            second=field(data[7]),
            hundredths=field(data[8]),
            deviation=None if deviation == DEVIATION_NOT_SPECIFIED else deviation,
            clock_status=field(data[11]),
        )

    @classmethod
    def from_datetime(cls, value: dt.datetime, *, clock_status: int = 0) -> CosemDateTime:
        """From an aware datetime: the deviation is minus its UTC offset."""
        offset = value.utcoffset()
        deviation = None if offset is None else -int(offset.total_seconds() // 60)
        return cls(
            year=value.year,
            month=value.month,
            day=value.day,
            day_of_week=value.isoweekday(),
            hour=value.hour,
            minute=value.minute,
            second=value.second,
            hundredths=value.microsecond // 10_000,
            deviation=deviation,
            clock_status=clock_status,
        )

    def to_bytes(self) -> bytes:
        def field(value: int | None) -> int:
            return 0xFF if value is None else value

        year = 0xFFFF if self.year is None else self.year
        deviation = DEVIATION_NOT_SPECIFIED if self.deviation is None else self.deviation
        return (
            year.to_bytes(2, "big")
            + bytes(
                field(v)
                for v in (
                    self.month,
                    self.day,
                    self.day_of_week,
                    self.hour,
                    self.minute,
                    self.second,
                    self.hundredths,
                )
            )
            + deviation.to_bytes(2, "big", signed=True)
            + bytes((field(self.clock_status),))
        )

    def to_datetime(self, default_tz: dt.tzinfo | None = None) -> dt.datetime:
        """An aware datetime when the meter gives its deviation; else in ``default_tz``
        (naive if that is None). Unspecified date fields cannot be guessed: DecodeError."""
        if None in (self.year, self.month, self.day):
            raise DecodeError("date-time without a complete date")
        tz: dt.tzinfo | None
        if self.deviation is not None:
            if not -MAX_DEVIATION <= self.deviation <= MAX_DEVIATION:
                raise DecodeError(f"date-time deviation {self.deviation} min is beyond ±24 h")
            tz = dt.timezone(dt.timedelta(minutes=-self.deviation))
        else:
            tz = default_tz
        try:
            return dt.datetime(
                self.year,  # type: ignore[arg-type]
                self.month,  # type: ignore[arg-type]
                self.day,  # type: ignore[arg-type]
                self.hour or 0,
                self.minute or 0,
                self.second or 0,
                (self.hundredths or 0) * 10_000,
                tzinfo=tz,
            )
        except ValueError as err:
            raise DecodeError(f"invalid date-time: {err}") from None

    def __str__(self) -> str:
        def part(value: int | None, width: int) -> str:
            return "*" * width if value is None else f"{value:0{width}d}"

        deviation = "not-specified(0x8000)" if self.deviation is None else f"{self.deviation}min"
        status = "*" if self.clock_status is None else f"0x{self.clock_status:02X}"
        dow = "*" if self.day_of_week is None else f"{self.day_of_week:02d}"
        return (
            f"{part(self.year, 4)}-{part(self.month, 2)}-{part(self.day, 2)} "
            f"{part(self.hour, 2)}:{part(self.minute, 2)}:{part(self.second, 2)}."
            f"{part(self.hundredths, 2)} dow={dow} deviation={deviation} clock_status={status}"
        )
