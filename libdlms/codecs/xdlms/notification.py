"""Notifications a meter sends unasked: Data-Notification (push: a date-time and a body
of data, usually a structure of values) and Event-Notification-Request (one attribute's
value, when it changed)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...errors import DecodeError, EncodeError
from ..axdr import Data, Reader, encode_data, read_data
from ._fields import _octet_string, _read_octet_string, _uint
from .descriptors import AttributeDescriptor
from .tags import DATA_NOTIFICATION_TAG, EVENT_NOTIFICATION_REQUEST_TAG


@dataclass(frozen=True, slots=True)
class DataNotification:
    """Data-Notification (push): ``0F``, Long-Invoke-Id-And-Priority (Unsigned32),
    date-time (an OCTET STRING: ``00`` when absent, usually ``0C`` + 12 bytes), body (Data).

    ``date_time`` is None when absent; the empty octet string is how absence is encoded,
    so ``b""`` cannot be encoded."""

    long_invoke_id_and_priority: int
    date_time: bytes | None
    body: Data

    def encode(self) -> bytes:
        if self.date_time == b"":
            raise EncodeError("an absent date-time is None, not b''")
        return (
            bytes((DATA_NOTIFICATION_TAG,))
            + _uint(self.long_invoke_id_and_priority, 4, "long-invoke-id-and-priority")
            + _octet_string(self.date_time or b"")
            + encode_data(self.body)
        )

    @classmethod
    def decode(cls, data: bytes) -> DataNotification:
        reader = Reader(data)
        if reader.byte() != DATA_NOTIFICATION_TAG:
            raise DecodeError("not a Data-Notification")
        long_invoke_id = reader.u32()
        date_time = _read_octet_string(reader) or None
        body = read_data(reader)
        reader.expect_end()
        return cls(long_invoke_id, date_time, body)

    def to_json(self) -> dict[str, Any]:
        return {
            "long_invoke_id": self.long_invoke_id_and_priority,
            "invoke_id": self.invoke_id,
            "confirmed": self.confirmed,
            "high_priority": self.high_priority,
            "date_time": None if self.date_time is None else self.date_time.hex(),
            "body": self.body.to_json(),
        }

    # Long-Invoke-Id-And-Priority: bits 0-23 invoke id, 28 self-descriptive,
    # 29 processing option (break on error), 30 service class (confirmed), 31 priority (high).
    @property
    def invoke_id(self) -> int:
        return self.long_invoke_id_and_priority & 0xFFFFFF

    @property
    def self_descriptive(self) -> bool:
        return bool(self.long_invoke_id_and_priority & (1 << 28))

    @property
    def break_on_error(self) -> bool:
        return bool(self.long_invoke_id_and_priority & (1 << 29))

    @property
    def confirmed(self) -> bool:
        return bool(self.long_invoke_id_and_priority & (1 << 30))

    @property
    def high_priority(self) -> bool:
        return bool(self.long_invoke_id_and_priority & (1 << 31))


_OCTET_STRING_TAG = 0x09
_DATE_TIME_LENGTH = 12


def read_notification_header(apdu: bytes) -> tuple[int, bytes | None, bytes]:
    """(Long-Invoke-Id-And-Priority, date-time or None, body bytes) of a Data-Notification
    as meters send it: the date-time as the standard's bare octet string (``0C`` + 12 bytes,
    ``00`` when absent) or typed like a Data value (``09 0C`` + 12 bytes: Norwegian Kaifa
    meters). A length of 9 cannot be a date-time, so ``09 0C`` is unambiguous. The body is
    left undecoded: push bodies need the lenient reading of ``cosem.push.payload``."""
    reader = Reader(apdu)
    if reader.byte() != DATA_NOTIFICATION_TAG:
        raise DecodeError("not a Data-Notification")
    long_invoke_id = reader.u32()
    length = reader.byte()
    if length == _OCTET_STRING_TAG and apdu[reader.pos : reader.pos + 1] == bytes(
        (_DATE_TIME_LENGTH,)
    ):
        length = reader.byte()
    date_time = reader.take(length) if length else None
    return long_invoke_id, date_time, bytes(apdu[reader.pos :])


@dataclass(frozen=True, slots=True)
class EventNotificationRequest:
    """EventNotificationRequest: ``C2``, time (OPTIONAL OCTET STRING), the attribute
    descriptor and the attribute value."""

    descriptor: AttributeDescriptor
    value: Data
    time: bytes | None = None

    def encode(self) -> bytes:
        time = b"\x00" if self.time is None else b"\x01" + _octet_string(self.time)
        return (
            bytes((EVENT_NOTIFICATION_REQUEST_TAG,))
            + time
            + self.descriptor.encode()
            + encode_data(self.value)
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "time": None if self.time is None else self.time.hex(),
            "attribute": str(self.descriptor),
            "value": self.value.to_json(),
        }

    @classmethod
    def decode(cls, data: bytes) -> EventNotificationRequest:
        reader = Reader(data)
        if reader.byte() != EVENT_NOTIFICATION_REQUEST_TAG:
            raise DecodeError("not an Event-Notification-Request")
        time = _read_octet_string(reader) if reader.byte() else None
        descriptor = AttributeDescriptor.read(reader)
        value = read_data(reader)
        reader.expect_end()
        return cls(descriptor, value, time)
