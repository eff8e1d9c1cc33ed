"""Taking a Data apart as the standard shapes it: the type checks every attribute parser
and selective-access descriptor makes, each a ``DecodeError`` that names the field."""

from __future__ import annotations

from typing import Any

from ..codecs.axdr import Data, DataType
from ..errors import DecodeError


def expect(data: Data, *types: DataType, what: str = "value") -> Any:
    """``data.value`` when ``data`` has one of ``types``, else DecodeError."""
    if data.type not in types:
        expected = " or ".join(t.kebab for t in types)
        raise DecodeError(f"{what} must be {expected}, got {data.type.kebab}")
    return data.value


def fields(data: Data, count: int, what: str) -> list[Data]:
    """The members of a structure of exactly ``count`` elements."""
    if data.type is not DataType.STRUCTURE or len(data.value) != count:
        raise DecodeError(f"{what} must be a structure of {count} elements")
    members: list[Data] = data.value
    return members


def elements(data: Data, what: str) -> list[Data]:
    """The elements of an array (or of a compact-array, which decodes to the same)."""
    items: list[Data] = expect(data, DataType.ARRAY, DataType.COMPACT_ARRAY, what=what)
    return items
