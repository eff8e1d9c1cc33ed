"""A Data-Notification's body read into values: the standard A-XDR first, the Czech form with
untyped attribute descriptors when that fails, then the values named by their OBIS codes or
by a format profile.

The receiver calls ``read_push_body`` on the bytes after the notification header and
``decode_payload`` on what it returns; neither raises for what a meter sent beyond
``DecodeError`` for bytes that are no Data at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from ...codecs.axdr import MAX_DEPTH, Data, DataType, Reader, decode_data, read_data
from ...errors import DecodeError
from . import formats
from ._shapes import raw_values, shape_of, to_push_value
from .values import PushValue

# The lenient reader tries the descriptor reading at every structure whose first bytes
# could be a descriptor; each try reads one value ahead. The budget keeps a hostile body
# linear-ish: past it, the standard reading alone decides.
_DESCRIPTOR_TRIES: Final = 4096
_DESCRIPTOR_SIZE: Final = 9  # class id (2), OBIS (6), attribute (1)
_VALID_TAGS: Final = frozenset(int(tag) for tag in DataType)


@dataclass(frozen=True, slots=True)
class DecodedPayload:
    """A notification body's values. ``profile`` names the format profile applied (None
    when the payload named its values itself); ``tree`` is the body as the translator's
    JSON (what a user shares when the shape is unknown); ``shape`` is one of
    ``obis-pairs``, ``obis-value``, ``obis-scaler``, ``class-obis``, ``positional``,
    ``empty``. ``body`` is the Data itself; its JSON is made only when asked for (a
    listener decodes a notification every second or two and rarely shows the tree)."""

    values: tuple[PushValue, ...]
    profile: str | None
    body: Data
    shape: str

    @property
    def tree(self) -> Any:
        return self.body.to_json()


def read_push_body(body: bytes) -> Data:
    """The body as Data: standard A-XDR, else with untyped COSEM attribute descriptors
    (class id, OBIS, attribute written as 9 bare bytes as the first member of a typed
    structure, as Czech meters send them), read as ``structure {long-unsigned,
    octet-string, integer}``. ``DecodeError`` when neither reading fits."""
    try:
        return decode_data(body)
    except DecodeError as standard:
        try:
            return _LenientReader(body).read_all()
        except DecodeError:
            raise standard from None


def decode_payload(body: Data, *, profile: str | None = None) -> DecodedPayload:
    """The values of ``body``, named by the OBIS codes it carries and by a format profile:
    the one named ``profile`` (``ConfigurationError`` when there is none of that name),
    else the first that matches the payload's shape, list identifier and value count."""
    raws = raw_values(body)
    shape = shape_of(raws)
    values = tuple(to_push_value(position, raw) for position, raw in enumerate(raws))
    chosen = (
        formats.format_named(profile) if profile is not None else formats.match_values(raws, shape)
    )
    if chosen is not None:
        values = chosen.apply(values)
    return DecodedPayload(
        values=values,
        profile=None if chosen is None else chosen.name,
        body=body,
        shape=shape,
    )


class _LenientReader:
    """A-XDR with one exception: a structure may start with an untyped descriptor."""

    def __init__(self, data: bytes) -> None:
        self.reader = Reader(data)
        self.tries = 0

    def read_all(self) -> Data:
        value = self.read(0)
        self.reader.expect_end()
        return value

    def read(self, depth: int) -> Data:
        if depth > MAX_DEPTH:
            raise DecodeError(f"data nested deeper than {MAX_DEPTH} levels")
        reader = self.reader
        start = reader.pos
        tag = reader.byte()
        if tag not in (DataType.ARRAY, DataType.STRUCTURE):
            reader.pos = start
            return read_data(reader, depth)
        count = reader.count()
        members: list[Data] = []
        for index in range(count):
            descriptor = self._descriptor() if tag == DataType.STRUCTURE and index == 0 else None
            members.append(descriptor if descriptor is not None else self.read(depth + 1))
        return Data(DataType(tag), members)

    def _descriptor(self) -> Data | None:
        """An untyped descriptor at the reader's position, when its bytes look like one
        and a typed value follows it; else None with the position unchanged."""
        reader = self.reader
        data = reader.data
        start = reader.pos
        if self.tries >= _DESCRIPTOR_TRIES or reader.remaining < _DESCRIPTOR_SIZE + 1:
            return None
        class_high, class_low = data[start], data[start + 1]
        attribute = data[start + 8]
        if class_high != 0 or class_low == 0 or not 1 <= attribute <= 0x7F:
            return None
        if data[start + _DESCRIPTOR_SIZE] not in _VALID_TAGS:
            return None
        self.tries += 1
        after = start + _DESCRIPTOR_SIZE
        try:
            read_data(Reader(data, after))
        except DecodeError:
            return None
        reader.pos = after
        return Data(
            DataType.STRUCTURE,
            [
                Data(DataType.LONG_UNSIGNED, class_low),
                Data(DataType.OCTET_STRING, bytes(data[start + 2 : start + 8])),
                Data(DataType.INTEGER, attribute),
            ],
        )
