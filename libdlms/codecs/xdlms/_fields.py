"""The fields the xDLMS APDUs share: A-XDR integers, octet strings and lists, the named
enumerations of results and errors, the head of a service APDU (tag, CHOICE,
invoke-id-and-priority) and the DataBlock-SA of SET and ACTION block transfer."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, ClassVar, Final, Self, TypeVar

from ...errors import DecodeError, EncodeError
from ..axdr import Data, Reader, encode_length, read_data

DEFAULT_INVOKE_ID_AND_PRIORITY: Final = 0xC1  # high priority, confirmed, invoke id 1

_T = TypeVar("_T")


def _uint(value: int, size: int, name: str) -> bytes:
    """An unsigned big-endian field of ``size`` bytes; out of range is an EncodeError."""
    if not 0 <= value < 1 << (8 * size):
        raise EncodeError(f"{name} {value} does not fit in {size} unsigned byte(s)")
    return value.to_bytes(size, "big")


def _int8(value: int, name: str) -> bytes:
    if not -0x80 <= value <= 0x7F:
        raise EncodeError(f"{name} {value} is outside -128..127")
    return value.to_bytes(1, "big", signed=True)


def _octet_string(value: bytes) -> bytes:
    """An A-XDR OCTET STRING without a size constraint: length, then the bytes."""
    return encode_length(len(value)) + value


def _read_octet_string(reader: Reader) -> bytes:
    return reader.take(reader.length())


def _read_bool(reader: Reader) -> bool:
    """A-XDR BOOLEAN: any non-zero byte is TRUE (X.690), TRUE is encoded as 01."""
    return reader.byte() != 0


def _sequence(items: Iterable[_T], encode: Callable[[_T], bytes]) -> bytes:
    """A-XDR SEQUENCE OF: the count, then each item."""
    encoded = [encode(item) for item in items]
    return encode_length(len(encoded)) + b"".join(encoded)


def _read_sequence(
    reader: Reader, read: Callable[[Reader], _T], *, min_item_size: int
) -> tuple[_T, ...]:
    """SEQUENCE OF, its count checked against the bytes left (``min_item_size`` each)."""
    count = reader.count(min_item_size=min_item_size)
    return tuple(read(reader) for _ in range(count))


def _read_data_list(reader: Reader) -> tuple[Data, ...]:
    """SEQUENCE OF Data: the values of SET and the parameters of ACTION with-list."""
    return _read_sequence(reader, read_data, min_item_size=1)


def _expect(apdu: object, cls: type[_T]) -> _T:
    if not isinstance(apdu, cls):
        raise DecodeError(f"not a {cls.__name__}: {type(apdu).__name__}")
    return apdu


class NamedCode(IntEnum):
    """A code the standard names (a data-access-result, a state-error, ...): ``kebab`` is
    its name, and a code outside the enumeration stays a plain int (``parse``)."""

    @classmethod
    def parse(cls, value: int) -> Self | int:
        try:
            return cls(value)
        except ValueError:
            return value

    @property
    def kebab(self) -> str:
        return self.name.lower().replace("_", "-")


def code_name(kind: type[NamedCode], value: int, label: str) -> str:
    """The kebab name of ``value`` in ``kind``, or ``"<label> <value>"`` for a code the
    enumeration does not have."""
    code = kind.parse(int(value))
    return code.kebab if isinstance(code, kind) else f"{label} {value}"


def _kebab(class_name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", class_name).lower()


class ServiceApdu:
    """One alternative of a service's CHOICE (GET, SET and ACTION, request and response):
    ``TAG``, the alternative's number ``CHOICE`` and the invoke-id-and-priority byte, then
    the body the subclass encodes. ``NAME`` is the class name in kebab case, the standard's
    name (``GetRequestNormal``: ``get-request-normal``).

    ``decode`` takes any APDU of the service and checks that it is this alternative;
    ``to_json`` gives the translator's form, the head first, then the subclass's fields."""

    __slots__ = ()
    TAG: ClassVar[int]
    CHOICE: ClassVar[int]
    NAME: ClassVar[str]
    invoke_id_and_priority: int

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.__name__.startswith("_"):  # not the per-service bases
            cls.NAME = _kebab(cls.__name__)

    def encode(self) -> bytes:
        head = bytes((self.TAG, self.CHOICE))
        return head + _uint(self.invoke_id_and_priority, 1, "invoke-id-and-priority") + self.body()

    def body(self) -> bytes:
        raise NotImplementedError

    def to_json(self) -> dict[str, Any]:
        head = {"invoke_id_and_priority": self.invoke_id_and_priority, "tag": self.NAME}
        return head | self.fields_json()

    def fields_json(self) -> dict[str, Any]:
        raise NotImplementedError


class BlockNumberBody:
    """The alternatives whose body is a block number alone: the next block asked for
    (GET next, ACTION next parameter block) or the one taken (SET data block)."""

    __slots__ = ()
    block_number: int

    def body(self) -> bytes:
        return _uint(self.block_number, 4, "block number")

    def fields_json(self) -> dict[str, Any]:
        return {"block_number": self.block_number}


def _check_tag(reader: Reader, tag: int, name: str) -> tuple[int, int]:
    """The service CHOICE and the invoke-id-and-priority after ``tag``."""
    if reader.byte() != tag:
        raise DecodeError(f"not a {name}")
    return reader.byte(), reader.byte()


@dataclass(frozen=True, slots=True)
class DataBlockSA:
    """DataBlock-SA (SET and ACTION block transfer): a slice of an encoded value."""

    last_block: bool
    block_number: int
    raw_data: bytes

    def encode(self) -> bytes:
        return (
            bytes((int(self.last_block),))
            + _uint(self.block_number, 4, "block number")
            + _octet_string(self.raw_data)
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "last_block": self.last_block,
            "block_number": self.block_number,
            "raw_data": self.raw_data.hex(),
        }

    @classmethod
    def read(cls, reader: Reader) -> DataBlockSA:
        last_block = _read_bool(reader)
        block_number = reader.u32()
        return cls(last_block, block_number, _read_octet_string(reader))
