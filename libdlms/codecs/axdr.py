"""A-XDR encoding of COSEM ``Data`` (IEC 62056-6-2, DLMS UA Green Book).

Every length is checked against the bytes actually present before anything is
allocated, and nesting depth is bounded, so a truncated or hostile input is a
``DecodeError`` in time linear in its size: never a loop, a hang or a huge list.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Final

from ..errors import DecodeError, EncodeError

MAX_DEPTH: Final = 32


class DataType(IntEnum):
    """The ``Data`` CHOICE tags."""

    NULL_DATA = 0
    ARRAY = 1
    STRUCTURE = 2
    BOOLEAN = 3
    BIT_STRING = 4
    DOUBLE_LONG = 5
    DOUBLE_LONG_UNSIGNED = 6
    OCTET_STRING = 9
    VISIBLE_STRING = 10
    UTF8_STRING = 12
    BCD = 13
    INTEGER = 15
    LONG = 16
    UNSIGNED = 17
    LONG_UNSIGNED = 18
    COMPACT_ARRAY = 19
    LONG64 = 20
    LONG64_UNSIGNED = 21
    ENUM = 22
    FLOAT32 = 23
    FLOAT64 = 24
    DATE_TIME = 25
    DATE = 26
    TIME = 27
    DONT_CARE = 255

    @property
    def kebab(self) -> str:
        """The standard's name in kebab case (``double-long-unsigned``)."""
        return _KEBAB[self]


_KEBAB: Final[dict[DataType, str]] = {
    kind: kind.name.lower().replace("_", "-") for kind in DataType
}
# Types whose value is a number a scaler can be applied to.
NUMERIC_TYPES: Final = frozenset(
    {
        DataType.INTEGER,
        DataType.LONG,
        DataType.DOUBLE_LONG,
        DataType.LONG64,
        DataType.UNSIGNED,
        DataType.LONG_UNSIGNED,
        DataType.DOUBLE_LONG_UNSIGNED,
        DataType.LONG64_UNSIGNED,
        DataType.FLOAT32,
        DataType.FLOAT64,
    }
)

# Fixed-size integer types: struct format.
_INTEGERS: Final[dict[DataType, str]] = {
    DataType.INTEGER: ">b",
    DataType.LONG: ">h",
    DataType.DOUBLE_LONG: ">i",
    DataType.LONG64: ">q",
    DataType.UNSIGNED: ">B",
    DataType.LONG_UNSIGNED: ">H",
    DataType.DOUBLE_LONG_UNSIGNED: ">I",
    DataType.LONG64_UNSIGNED: ">Q",
    DataType.ENUM: ">B",
    DataType.BCD: ">b",
}
_FLOATS: Final[dict[DataType, str]] = {DataType.FLOAT32: ">f", DataType.FLOAT64: ">d"}
# The hot path of a push payload: a tag byte to its type, and fixed-size numbers unpacked
# in place (a 40-value list is some 240 elements, decoded every second or two).
_BY_TAG: Final[tuple[DataType | None, ...]] = tuple(
    DataType(tag) if tag in DataType._value2member_map_ else None for tag in range(256)
)
_STRUCTURE: Final = int(DataType.STRUCTURE)
_ARRAY: Final = int(DataType.ARRAY)
_OCTET_STRING: Final = int(DataType.OCTET_STRING)
_UNPACK: Final[dict[int, struct.Struct]] = {
    int(kind): struct.Struct(fmt) for kind, fmt in (_INTEGERS | _FLOATS).items()
}
# Fixed-size octet types carried without a length: their size in bytes.
_FIXED_OCTETS: Final[dict[DataType, int]] = {
    DataType.DATE_TIME: 12,
    DataType.DATE: 5,
    DataType.TIME: 4,
}


@dataclass(frozen=True, slots=True)
class BitString:
    """A bit-string: ``length`` bits, most significant bit of ``data[0]`` first."""

    data: bytes
    length: int


@dataclass(frozen=True, slots=True)
class Data:
    """A typed COSEM value.

    ``value`` is ``None`` (null-data, don't-care), ``bool``, ``int``, ``float``,
    ``bytes`` (octet-string, date-time, date, time), ``str`` (visible/utf8 string),
    ``BitString``, or ``list[Data]`` (array, structure, compact-array).
    """

    type: DataType
    value: Any = None

    def to_json(self) -> dict[str, Any]:
        """``{"type": "<kebab>", "value": …}`` as the command-line contract prints it."""
        return {"type": self.type.kebab, "value": _json_value(self)}

    def to_python(self) -> Any:
        """The bare value, with nested Data unwrapped (for callers that know the shape)."""
        if isinstance(self.value, list):
            return [item.to_python() for item in self.value]
        return self.value


def _json_value(data: Data) -> Any:
    value = data.value
    if isinstance(value, list):
        return [item.to_json() for item in value]
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, BitString):
        return "".join(
            "1" if value.data[i // 8] & (0x80 >> (i % 8)) else "0" for i in range(value.length)
        )
    return value


_BY_KEBAB: Final[dict[str, DataType]] = {name: kind for kind, name in _KEBAB.items()}


def data_from_json(obj: Any) -> Data:
    """The inverse of ``Data.to_json``: ``{"type": "long-unsigned", "value": 5}``, octet
    strings as hex, structures and arrays as lists of such values. A shape or a value the
    type cannot carry raises ``EncodeError`` (before anything is sent)."""
    if not isinstance(obj, dict) or "type" not in obj or set(obj) - {"type", "value"}:
        raise EncodeError('a value is {"type": "<A-XDR type>", "value": …}')
    kind = _BY_KEBAB.get(str(obj["type"]))
    if kind is None:
        raise EncodeError(f"unknown A-XDR type {obj['type']!r}")
    value = obj.get("value")
    data: Data
    if kind in (DataType.NULL_DATA, DataType.DONT_CARE):
        data = Data(kind)
    elif kind in (DataType.ARRAY, DataType.STRUCTURE, DataType.COMPACT_ARRAY):
        if not isinstance(value, list):
            raise EncodeError(f"{kind.kebab} takes a list of values")
        data = Data(kind, [data_from_json(item) for item in value])
    elif kind is DataType.BOOLEAN:
        if not isinstance(value, bool):
            raise EncodeError("boolean takes true or false")
        data = Data(kind, value)
    elif kind in _INTEGERS:
        if not isinstance(value, int) or isinstance(value, bool):
            raise EncodeError(f"{kind.kebab} takes an integer")
        data = Data(kind, value)
    elif kind in _FLOATS:
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise EncodeError(f"{kind.kebab} takes a number")
        data = Data(kind, float(value))
    elif kind in (DataType.VISIBLE_STRING, DataType.UTF8_STRING):
        if not isinstance(value, str):
            raise EncodeError(f"{kind.kebab} takes a string")
        data = Data(kind, value)
    elif kind is DataType.BIT_STRING:
        if not isinstance(value, str) or set(value) - {"0", "1"}:
            raise EncodeError("bit-string takes a string of 0 and 1")
        bits = value.ljust((len(value) + 7) // 8 * 8, "0")
        raw = bytes(int(bits[i : i + 8], 2) for i in range(0, len(bits), 8))
        data = Data(kind, BitString(raw, len(value)))
    else:  # octet-string, date-time, date, time: hex
        try:
            raw = bytes.fromhex(str(value).replace(" ", ""))
        except ValueError:
            raise EncodeError(f"{kind.kebab} takes hexadecimal digits") from None
        data = Data(kind, raw)
    encode_data(data)  # ranges and fixed sizes are checked by encoding
    return data


# ---------------------------------------------------------------------------- lengths


def encode_length(length: int) -> bytes:
    """A-XDR/BER definite length: short form below 128, else 0x8N + N big-endian bytes."""
    if length < 0:
        raise EncodeError(f"negative length {length}")
    if length < 0x80:
        return bytes((length,))
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(body),)) + body


class Reader:
    """A cursor over bytes whose every read is bounds-checked."""

    __slots__ = ("data", "pos")

    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.data = data
        self.pos = pos

    @property
    def remaining(self) -> int:
        return len(self.data) - self.pos

    def take(self, count: int) -> bytes:
        pos = self.pos
        end = pos + count
        if count < 0 or end > len(self.data):
            raise DecodeError(
                f"need {count} bytes at offset {self.pos}, only {self.remaining} left"
            )
        self.pos = end
        return self.data[pos:end]

    def byte(self) -> int:
        pos = self.pos
        if pos >= len(self.data):
            self.take(1)  # raises the truncation error
        self.pos = pos + 1
        return self.data[pos]

    def u16(self) -> int:
        return int.from_bytes(self.take(2), "big")

    def u32(self) -> int:
        return int.from_bytes(self.take(4), "big")

    def _definite(self) -> int:
        """A length or count in BER/A-XDR definite form: short below 0x80, else 0x8N
        followed by N big-endian bytes (N at most 4)."""
        first = self.byte()
        if first < 0x80:
            return first
        size = first & 0x7F
        if size == 0 or size > 4:
            raise DecodeError(f"unsupported length form 0x{first:02X} at offset {self.pos - 1}")
        return int.from_bytes(self.take(size), "big")

    def length(self) -> int:
        """A byte length that must fit in what is left."""
        length = self._definite()
        if length > self.remaining:
            raise DecodeError(
                f"length {length} at offset {self.pos} exceeds the {self.remaining} bytes left"
            )
        return length

    def count(self, min_item_size: int = 1) -> int:
        """An element count, refused when the items could not fit in what is left."""
        start = self.pos
        count = self._definite()
        if count * min_item_size > self.remaining:
            raise DecodeError(
                f"{count} elements at offset {start} cannot fit in {self.remaining} bytes"
            )
        return count

    def expect_end(self) -> None:
        if self.remaining:
            raise DecodeError(f"{self.remaining} unexpected trailing bytes at offset {self.pos}")


# ---------------------------------------------------------------------------- decode


def decode_data(data: bytes) -> Data:
    """Decode exactly one Data value that fills ``data``."""
    reader = Reader(data)
    value = read_data(reader)
    reader.expect_end()
    return value


def read_data(reader: Reader, depth: int = 0) -> Data:
    """Read one Data value at the reader's position."""
    if depth > MAX_DEPTH:
        raise DecodeError(f"data nested deeper than {MAX_DEPTH} levels")
    tag = reader.byte()
    kind = _BY_TAG[tag]
    if kind is None:
        raise DecodeError(f"unknown data type tag {tag} at offset {reader.pos - 1}")
    unpack = _UNPACK.get(tag)
    if unpack is not None:
        data, pos = reader.data, reader.pos
        if pos + unpack.size > len(data):
            reader.take(unpack.size)  # raises the truncation error
        reader.pos = pos + unpack.size
        return Data(kind, unpack.unpack_from(data, pos)[0])
    if tag in (_STRUCTURE, _ARRAY):
        count = reader.count()
        depth += 1
        return Data(kind, [read_data(reader, depth) for _ in range(count)])
    if tag == _OCTET_STRING:
        return Data(kind, reader.take(reader.length()))
    return _read_body(reader, kind, depth)


def _read_body(reader: Reader, kind: DataType, depth: int) -> Data:
    if kind in (DataType.NULL_DATA, DataType.DONT_CARE):
        return Data(kind)
    if kind in (DataType.ARRAY, DataType.STRUCTURE):
        count = reader.count()
        return Data(kind, [read_data(reader, depth + 1) for _ in range(count)])
    if kind is DataType.BOOLEAN:
        return Data(kind, reader.byte() != 0)
    if kind is DataType.BIT_STRING:
        bits = reader.count(min_item_size=0)
        nbytes = (bits + 7) // 8
        return Data(kind, BitString(reader.take(nbytes), bits))
    if kind in _INTEGERS:
        fmt = _INTEGERS[kind]
        return Data(kind, struct.unpack(fmt, reader.take(struct.calcsize(fmt)))[0])
    if kind in _FLOATS:
        fmt = _FLOATS[kind]
        return Data(kind, struct.unpack(fmt, reader.take(struct.calcsize(fmt)))[0])
    if kind is DataType.OCTET_STRING:
        return Data(kind, reader.take(reader.length()))
    if kind is DataType.VISIBLE_STRING:
        return Data(kind, reader.take(reader.length()).decode("latin-1"))
    if kind is DataType.UTF8_STRING:
        raw = reader.take(reader.length())
        try:
            return Data(kind, raw.decode("utf-8"))
        except UnicodeDecodeError as err:
            raise DecodeError(f"invalid utf8-string: {err}") from None
    if kind in _FIXED_OCTETS:
        return Data(kind, reader.take(_FIXED_OCTETS[kind]))
    if kind is DataType.COMPACT_ARRAY:
        return _read_compact_array(reader, depth)
    raise DecodeError(f"data type {kind.kebab} is not decodable")  # pragma: no cover


@dataclass(frozen=True, slots=True)
class TypeDescription:
    """The type description of a compact-array (Green Book 9.5): a tag plus, for
    arrays, the element count and element type, and for structures, the member types."""

    type: DataType
    count: int = 0
    members: tuple[TypeDescription, ...] = ()


def _read_type_description(reader: Reader, depth: int) -> TypeDescription:
    if depth > MAX_DEPTH:
        raise DecodeError(f"type description nested deeper than {MAX_DEPTH} levels")
    tag = reader.byte()
    try:
        kind = DataType(tag)
    except ValueError:
        raise DecodeError(f"unknown type tag {tag} in compact-array description") from None
    if kind is DataType.ARRAY:
        count = reader.u16()
        member = _read_type_description(reader, depth + 1)
        if count and _min_size(member) == 0:
            # Null-data and dont-care take no bytes: the count would multiply without input.
            raise DecodeError("compact-array description: an array of zero-size elements")
        return TypeDescription(kind, count, (member,))
    if kind is DataType.STRUCTURE:
        count = reader.count()
        members = tuple(_read_type_description(reader, depth + 1) for _ in range(count))
        return TypeDescription(kind, count, members)
    if kind is DataType.COMPACT_ARRAY:
        raise DecodeError("a compact-array cannot contain a compact-array")
    return TypeDescription(kind)


def _min_size(description: TypeDescription) -> int:
    """The fewest content bytes a value of this description takes (null-data and
    dont-care: none)."""
    if description.type in (DataType.NULL_DATA, DataType.DONT_CARE):
        return 0
    if description.type is DataType.ARRAY:
        return description.count * _min_size(description.members[0])
    if description.type is DataType.STRUCTURE:
        return sum(_min_size(member) for member in description.members)
    return 1


def _read_described(reader: Reader, description: TypeDescription, depth: int) -> Data:
    if depth > MAX_DEPTH:
        raise DecodeError(f"data nested deeper than {MAX_DEPTH} levels")
    if description.type is DataType.ARRAY:
        element = description.members[0]
        return Data(
            DataType.ARRAY,
            [_read_described(reader, element, depth + 1) for _ in range(description.count)],
        )
    if description.type is DataType.STRUCTURE:
        return Data(
            DataType.STRUCTURE,
            [_read_described(reader, member, depth + 1) for member in description.members],
        )
    return _read_body(reader, description.type, depth)


def _read_compact_array(reader: Reader, depth: int) -> Data:
    description = _read_type_description(reader, depth + 1)
    if _min_size(description) == 0:
        raise DecodeError("compact-array element of zero size")
    contents = Reader(reader.take(reader.length()))
    elements: list[Data] = []
    while contents.remaining:
        before = contents.remaining
        elements.append(_read_described(contents, description, depth + 1))
        if contents.remaining == before:
            raise DecodeError("compact-array element of zero size")
    return Data(DataType.COMPACT_ARRAY, elements)


# ---------------------------------------------------------------------------- encode


def encode_data(data: Data) -> bytes:
    """Encode one Data value with its tag."""
    kind = data.type
    value = data.value
    head = bytes((kind,))
    if kind in (DataType.NULL_DATA, DataType.DONT_CARE):
        return head
    if kind in (DataType.ARRAY, DataType.STRUCTURE):
        items: list[Data] = value
        return head + encode_length(len(items)) + b"".join(encode_data(item) for item in items)
    if kind is DataType.BOOLEAN:
        return head + (b"\x01" if value else b"\x00")
    if kind is DataType.BIT_STRING:
        bits: BitString = value
        return head + encode_length(bits.length) + bits.data
    try:
        if kind in _INTEGERS:
            return head + struct.pack(_INTEGERS[kind], value)
        if kind in _FLOATS:
            return head + struct.pack(_FLOATS[kind], value)
    except struct.error as err:
        raise EncodeError(f"{kind.kebab} cannot hold {value!r}: {err}") from None
    if kind is DataType.OCTET_STRING:
        return head + encode_length(len(value)) + bytes(value)
    if kind in (DataType.VISIBLE_STRING, DataType.UTF8_STRING):
        text: str = value
        raw = text.encode("latin-1" if kind is DataType.VISIBLE_STRING else "utf-8")
        return head + encode_length(len(raw)) + raw
    if kind in _FIXED_OCTETS:
        if len(value) != _FIXED_OCTETS[kind]:
            raise EncodeError(f"{kind.kebab} is {_FIXED_OCTETS[kind]} bytes, got {len(value)}")
        return head + bytes(value)
    raise EncodeError(f"encoding {kind.kebab} is not supported")
