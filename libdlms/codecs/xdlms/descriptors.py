"""Which attribute or method of which object: the Cosem-Attribute- and -Method-Descriptors
(class id, instance id, attribute or method id), and the selective access an attribute
descriptor may carry (an access selector and its parameters; what they mean for a
Profile Generic is ``cosem.selective_access``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from ...errors import DecodeError, EncodeError
from ...obis import Obis
from ..axdr import Data, Reader, encode_data, encode_length, read_data
from ._fields import _int8, _uint


def _encode_descriptor(class_id: int, instance: Obis, member: int, what: str) -> bytes:
    """Class id (Unsigned16), instance id (6 bytes), attribute or method id (Integer8)."""
    return _uint(class_id, 2, "class id") + instance.to_bytes() + _int8(member, what)


def _read_descriptor(reader: Reader) -> tuple[int, Obis, int]:
    class_id = reader.u16()
    instance = Obis.from_bytes(reader.take(6))
    return class_id, instance, int.from_bytes(reader.take(1), "big", signed=True)


@dataclass(frozen=True, slots=True, order=True)
class AttributeDescriptor:
    """Cosem-Attribute-Descriptor: which attribute (by default the value, 2) of which object,
    written ``CLASS/OBIS/ATTRIBUTE``."""

    class_id: int
    instance: Obis
    attribute: int = 2

    @classmethod
    def parse(cls, text: str) -> AttributeDescriptor:
        """``3/1.0.1.8.0.255/2`` or ``3/1-0:1.8.0*255`` (the attribute defaults to 2)."""
        parts = text.strip().split("/")
        if len(parts) not in (2, 3):
            raise DecodeError(f"not CLASS/OBIS/ATTRIBUTE: {text!r}")
        try:
            class_id = int(parts[0])
            attribute = int(parts[2]) if len(parts) == 3 else 2
        except ValueError:
            raise DecodeError(f"not CLASS/OBIS/ATTRIBUTE: {text!r}") from None
        return cls(class_id, Obis.parse(parts[1]), attribute)

    def encode(self) -> bytes:
        return _encode_descriptor(self.class_id, self.instance, self.attribute, "attribute id")

    @classmethod
    def read(cls, reader: Reader) -> AttributeDescriptor:
        return cls(*_read_descriptor(reader))

    def __str__(self) -> str:
        return f"{self.class_id}/{self.instance.dotted}/{self.attribute}"


@dataclass(frozen=True, slots=True, order=True)
class MethodDescriptor:
    """Cosem-Method-Descriptor: which method of which object (method id is Integer8)."""

    class_id: int
    instance: Obis
    method: int

    def encode(self) -> bytes:
        return _encode_descriptor(self.class_id, self.instance, self.method, "method id")

    @classmethod
    def parse(cls, text: str) -> MethodDescriptor:
        """``70/0.0.96.3.10.255/1`` or ``8/0-0:1.0.0*255/6``."""
        parts = text.strip().split("/")
        try:
            if len(parts) != 3:
                raise ValueError
            class_id, method = int(parts[0]), int(parts[2])
        except ValueError:
            raise DecodeError(f"not CLASS/OBIS/METHOD: {text!r}") from None
        return cls(class_id, Obis.parse(parts[1]), method)

    @classmethod
    def read(cls, reader: Reader) -> MethodDescriptor:
        return cls(*_read_descriptor(reader))

    def __str__(self) -> str:
        return f"{self.class_id}/{self.instance.dotted}/{self.method}"


DESCRIPTOR_SIZE: Final = 9
"""The encoded size of a Cosem-Attribute- or -Method-Descriptor: class id (2), instance
id (6), attribute or method id (1)."""
DESCRIPTOR_WITH_SELECTION_SIZE: Final = DESCRIPTOR_SIZE + 1
"""A Cosem-Attribute-Descriptor-With-Selection without selective access: the descriptor
and the absent-selection byte, what one more attribute costs a with-list request."""


def _encode_access_selection(access_selection: bytes | None) -> bytes:
    return b"\x00" if access_selection is None else b"\x01" + access_selection


def _read_access_selection(reader: Reader) -> bytes | None:
    """Selective access is kept as the raw selector + parameters bytes."""
    if not reader.byte():
        return None
    start = reader.pos
    reader.byte()  # access selector
    read_data(reader)  # access parameters
    return reader.data[start : reader.pos]


def _normalise_selections(
    count: int, selections: tuple[bytes | None, ...]
) -> tuple[bytes | None, ...]:
    """``()`` when no descriptor has selective access, else one entry per descriptor."""
    if not selections or all(s is None for s in selections):
        return ()
    if len(selections) != count:
        raise EncodeError(f"{len(selections)} access selections for {count} descriptors")
    return selections


def _read_descriptors_with_selection(
    reader: Reader,
) -> tuple[tuple[AttributeDescriptor, ...], tuple[bytes | None, ...]]:
    count = reader.count(min_item_size=DESCRIPTOR_WITH_SELECTION_SIZE)
    descriptors: list[AttributeDescriptor] = []
    selections: list[bytes | None] = []
    for _ in range(count):
        descriptors.append(AttributeDescriptor.read(reader))
        selections.append(_read_access_selection(reader))
    return tuple(descriptors), _normalise_selections(count, tuple(selections))


@dataclass(frozen=True, slots=True)
class AccessSelection:
    """Selective-Access-Descriptor: an access selector and its parameters (a Data).

    The APDU dataclasses keep selective access as these bytes (``encode()``), so what was
    received is what is sent back; this class reads them."""

    selector: int
    parameters: Data

    def encode(self) -> bytes:
        return _uint(self.selector, 1, "access selector") + encode_data(self.parameters)

    @classmethod
    def decode(cls, data: bytes) -> AccessSelection:
        reader = Reader(data)
        selector = reader.byte()
        parameters = read_data(reader)
        reader.expect_end()
        return cls(selector, parameters)


def access_selection_json(raw: bytes | None) -> dict[str, Any]:
    """The selective access of a descriptor: raw hex, selector and parameters (nothing
    when there is none)."""
    if raw is None:
        return {}
    selection = AccessSelection.decode(raw)
    return {
        "access_selection": raw.hex(),
        "access_selector": selection.selector,
        "access_parameters": selection.parameters.to_json(),
    }


class WithSelections:
    """The list alternatives of GET and SET, which name attributes with their selective
    access: ``access_selections`` is empty when no attribute is accessed selectively, else
    one entry (raw selector + parameters, or None) per descriptor."""

    __slots__ = ()
    descriptors: tuple[AttributeDescriptor, ...]
    access_selections: tuple[bytes | None, ...]

    def __post_init__(self) -> None:
        normalised = _normalise_selections(len(self.descriptors), self.access_selections)
        object.__setattr__(self, "access_selections", normalised)

    def _descriptors_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"attributes": [str(d) for d in self.descriptors]}
        if self.access_selections:
            selections = [access_selection_json(s) or None for s in self.access_selections]
            out["access_selections"] = selections
        return out

    def _encode_descriptors(self) -> bytes:
        """SEQUENCE OF Cosem-Attribute-Descriptor-With-Selection."""
        selections = self.access_selections or (None,) * len(self.descriptors)
        return encode_length(len(self.descriptors)) + b"".join(
            d.encode() + _encode_access_selection(s)
            for d, s in zip(self.descriptors, selections, strict=True)
        )
