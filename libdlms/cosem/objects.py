"""Interface classes we read and the Association LN object list (attribute 2 of
0-0:40.0.0.255)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Final

from ..codecs.axdr import Data, DataType
from ..errors import DecodeError
from ..obis import Obis

ASSOCIATION_LN: Final = Obis(0, 0, 40, 0, 0, 255)


class InterfaceClass(IntEnum):
    DATA = 1
    REGISTER = 3
    EXTENDED_REGISTER = 4
    DEMAND_REGISTER = 5
    PROFILE_GENERIC = 7
    CLOCK = 8
    ASSOCIATION_LN = 15
    SECURITY_SETUP = 64


@dataclass(frozen=True, slots=True)
class ObjectListElement:
    class_id: int
    version: int
    logical_name: Obis
    readable_attributes: tuple[int, ...]

    def to_json(self) -> dict[str, object]:
        return {
            "class_id": self.class_id,
            "obis": self.logical_name.dotted,
            "version": self.version,
            "readable_attributes": list(self.readable_attributes),
        }


def parse_object_list(data: Data) -> list[ObjectListElement]:
    """``array of structure {class_id, version, logical_name, access_rights}``."""
    if data.type is not DataType.ARRAY:
        raise DecodeError("object list is not an array")
    elements = []
    for item in data.value:
        fields = item.value
        if item.type is not DataType.STRUCTURE or len(fields) < 3:
            raise DecodeError("object list element is not a structure of 4")
        class_id, version, name = fields[0].value, fields[1].value, fields[2].value
        if (
            not isinstance(class_id, int)
            or not isinstance(version, int)
            or not isinstance(name, bytes)
        ):
            raise DecodeError("object list element has wrong field types")
        elements.append(
            ObjectListElement(class_id, version, Obis.from_bytes(name), _readable(fields))
        )
    return elements


def _readable(fields: list[Data]) -> tuple[int, ...]:
    """Attributes whose access mode allows reading (1 read, 3 read-write, 5/7 authenticated)."""
    if len(fields) < 4 or fields[3].type is not DataType.STRUCTURE or not fields[3].value:
        return ()
    attribute_access = fields[3].value[0]
    readable = []
    for entry in attribute_access.value or ():
        if entry.type is DataType.STRUCTURE and len(entry.value) >= 2:
            attribute_id, mode = entry.value[0].value, entry.value[1].value
            if isinstance(attribute_id, int) and isinstance(mode, int) and mode & 1:
                readable.append(attribute_id)
    return tuple(readable)
