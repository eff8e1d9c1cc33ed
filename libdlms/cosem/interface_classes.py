"""The common COSEM interface classes (Blue Book, DLMS UA 1000-1), the one home of what the
library knows about them: their class ids (``InterfaceClass``), their attributes' numbers,
the standard's names, the A-XDR types they carry, a parser per attribute, and which
attribute holds the scaler_unit of a value (``scaler_unit_attribute``).

``parse_attribute(class_id, attribute, data)`` gives a typed value (``Obis``,
``ScalerUnit``, ``CosemDateTime``, ``int``, ``bool``, ``bytes``, capture objects, the object
list...) or raises ``DecodeError`` when the meter sent another type than the standard says.
Attributes whose type is "CHOICE of simple types" (a Register's value, a status) come back
as the ``Data`` itself: their tag is part of their meaning. Attributes not modelled here
(manufacturer-specific ones, unknown classes) come back unchanged.

Date-time attributes are octet-strings of 12 bytes in the Blue Book; a few meters use the
``date-time`` tag (25) instead, which is accepted too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Final, TypeAlias, TypeVar

from ..codecs.axdr import NUMERIC_TYPES, BitString, Data, DataType
from ..errors import DecodeError
from ..obis import Obis
from ._fields import elements, expect, fields
from .clock import CosemDateTime
from .units import ScalerUnit

ASSOCIATION_LN: Final = Obis(0, 0, 40, 0, 0, 255)
"""The current association's Association LN object, whose object list the client may read."""


class InterfaceClass(IntEnum):
    """The class ids modelled here (``CLASSES``)."""

    DATA = 1
    REGISTER = 3
    EXTENDED_REGISTER = 4
    DEMAND_REGISTER = 5
    PROFILE_GENERIC = 7
    CLOCK = 8
    ASSOCIATION_LN = 15
    SECURITY_SETUP = 64


Parser: TypeAlias = Callable[[Data], Any]
_E = TypeVar("_E", bound=IntEnum)

# "CHOICE of simple types": anything but the constructed types.
SIMPLE_TYPES: Final = frozenset(DataType) - {
    DataType.ARRAY,
    DataType.STRUCTURE,
    DataType.COMPACT_ARRAY,
    DataType.DONT_CARE,
}


class SortMethod(IntEnum):
    """Profile Generic attribute 5."""

    FIFO = 1
    LIFO = 2
    LARGEST = 3
    SMALLEST = 4
    NEAREST_TO_ZERO = 5
    FAREST_FROM_ZERO = 6  # sic: the standard's spelling


class AssociationStatus(IntEnum):
    """Association LN attribute 8."""

    NON_ASSOCIATED = 0
    ASSOCIATION_PENDING = 1
    ASSOCIATED = 2


@dataclass(frozen=True, slots=True)
class AssociatedPartners:
    """Association LN attribute 3: ``{client_SAP integer, server_SAP long-unsigned}``."""

    client_sap: int
    server_sap: int


@dataclass(frozen=True, slots=True)
class XdlmsContextInfo:
    """Association LN attribute 5."""

    conformance: BitString
    max_receive_pdu_size: int
    max_send_pdu_size: int
    dlms_version_number: int
    quality_of_service: int
    cyphering_info: bytes


@dataclass(frozen=True, slots=True)
class CertificateInfo:
    """One element of Security Setup attribute 6 (certificates)."""

    certificate_entity: int
    certificate_type: int
    serial_number: bytes
    issuer: bytes
    subject: bytes
    subject_alt_name: bytes


@dataclass(frozen=True, slots=True)
class CaptureObjectDefinition:
    """A capture object (Profile Generic): ``{class_id, logical_name, attribute_index,
    data_index}``, as a range descriptor's restricting object and selected values use it."""

    class_id: int
    logical_name: Obis
    attribute_index: int
    data_index: int = 0

    def to_data(self) -> Data:
        return Data(
            DataType.STRUCTURE,
            [
                Data(DataType.LONG_UNSIGNED, self.class_id),
                Data(DataType.OCTET_STRING, self.logical_name.to_bytes()),
                Data(DataType.INTEGER, self.attribute_index),
                Data(DataType.LONG_UNSIGNED, self.data_index),
            ],
        )

    @classmethod
    def from_data(cls, data: Data) -> CaptureObjectDefinition:
        items = fields(data, 4, "capture object definition")
        class_id = expect(items[0], DataType.LONG_UNSIGNED, what="class_id")
        name = expect(items[1], DataType.OCTET_STRING, what="logical_name")
        attribute = expect(items[2], DataType.INTEGER, what="attribute_index")
        index = expect(items[3], DataType.LONG_UNSIGNED, what="data_index")
        return cls(class_id, Obis.from_bytes(name), attribute, index)


@dataclass(frozen=True, slots=True)
class ObjectListElement:
    """One object of an association's object list, with what this association may do:
    read and write which attributes, call which methods (its access rights)."""

    class_id: int
    version: int
    logical_name: Obis
    readable_attributes: tuple[int, ...]
    writable_attributes: tuple[int, ...] = ()
    methods: tuple[int, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {
            "class_id": self.class_id,
            "obis": self.logical_name.dotted,
            "version": self.version,
            "readable_attributes": list(self.readable_attributes),
            "writable_attributes": list(self.writable_attributes),
            "methods": list(self.methods),
        }


# ---------------------------------------------------------------------------- field parsers


def parse_obis(data: Data) -> Obis:
    return Obis.from_bytes(expect(data, DataType.OCTET_STRING, what="logical name"))


def parse_date_time(data: Data) -> CosemDateTime:
    raw = expect(data, DataType.OCTET_STRING, DataType.DATE_TIME, what="date-time")
    return CosemDateTime.from_bytes(raw)


def parse_scaler_unit(data: Data) -> ScalerUnit:
    """``structure {scaler integer, unit enum}``. Meters in the field also send the scaler
    as another integer type (unsigned, long) or the unit as unsigned: the numbers mean the
    same, so they are taken when they fit (scaler -128..127, unit 0..255). Anything else is a
    DecodeError, never a value scaled by a guess."""
    scaler, unit = fields(data, 2, "scaler_unit")
    scaler_value: int = expect(scaler, *_INTEGER_TYPES, what="scaler")
    unit_value: int = expect(unit, DataType.ENUM, DataType.UNSIGNED, what="unit")
    return ScalerUnit.from_codes(scaler_value, unit_value)


_INTEGER_TYPES: Final = (
    DataType.INTEGER,
    DataType.UNSIGNED,
    DataType.LONG,
    DataType.LONG_UNSIGNED,
    DataType.DOUBLE_LONG,
    DataType.DOUBLE_LONG_UNSIGNED,
)


def parse_simple(data: Data) -> Data:
    """A CHOICE of simple types: kept as Data, its tag checked."""
    if data.type not in SIMPLE_TYPES:
        raise DecodeError(f"value must be a simple type, got {data.type.kebab}")
    return data


def parse_capture_object(data: Data) -> CaptureObjectDefinition:
    return CaptureObjectDefinition.from_data(data)


def parse_capture_objects(data: Data) -> tuple[CaptureObjectDefinition, ...]:
    """Profile Generic attribute 3: ``array of capture_object_definition``."""
    return tuple(parse_capture_object(item) for item in elements(data, "capture_objects"))


def parse_buffer_rows(data: Data) -> tuple[tuple[Data, ...], ...]:
    """Profile Generic attribute 2: ``array of structure`` (or a compact-array of them)."""
    rows = []
    for row in elements(data, "buffer"):
        rows.append(tuple(expect(row, DataType.STRUCTURE, what="buffer entry")))
    return tuple(rows)


def _enum(kind: type[_E]) -> Callable[[Data], _E | int]:
    def parse(data: Data) -> _E | int:
        value: int = expect(data, DataType.ENUM, what=kind.__name__)
        try:
            return kind(value)
        except ValueError:
            return value

    return parse


def _typed(*types: DataType) -> Parser:
    def parse(data: Data) -> Any:
        return expect(data, *types)

    return parse


def _associated_partners(data: Data) -> AssociatedPartners:
    client, server = fields(data, 2, "associated_partners_id")
    return AssociatedPartners(
        expect(client, DataType.INTEGER, what="client_SAP"),
        expect(server, DataType.LONG_UNSIGNED, what="server_SAP"),
    )


def _xdlms_context_info(data: Data) -> XdlmsContextInfo:
    items = fields(data, 6, "xDLMS_context_info")
    return XdlmsContextInfo(
        expect(items[0], DataType.BIT_STRING, what="conformance"),
        expect(items[1], DataType.LONG_UNSIGNED, what="max_receive_pdu_size"),
        expect(items[2], DataType.LONG_UNSIGNED, what="max_send_pdu_size"),
        expect(items[3], DataType.UNSIGNED, what="dlms_version_number"),
        expect(items[4], DataType.INTEGER, what="quality_of_service"),
        expect(items[5], DataType.OCTET_STRING, what="cyphering_info"),
    )


def _name_or_structure(data: Data) -> bytes | Data:
    """application_context_name / authentication_mechanism_name: an octet-string (the
    encoded object identifier) since version 1, a structure of 7 arcs in version 0."""
    if data.type is DataType.STRUCTURE:
        return data
    value: bytes = expect(data, DataType.OCTET_STRING, DataType.STRUCTURE, what="name")
    return value


def _certificates(data: Data) -> tuple[CertificateInfo, ...]:
    infos = []
    for item in elements(data, "certificates"):
        entity, kind, serial, issuer, subject, alt = fields(item, 6, "certificate_info")
        infos.append(
            CertificateInfo(
                expect(entity, DataType.ENUM, what="certificate_entity"),
                expect(kind, DataType.ENUM, what="certificate_type"),
                expect(serial, DataType.OCTET_STRING, what="serial_number"),
                expect(issuer, DataType.OCTET_STRING, what="issuer"),
                expect(subject, DataType.OCTET_STRING, what="subject"),
                expect(alt, DataType.OCTET_STRING, what="subject_alt_name"),
            )
        )
    return tuple(infos)


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
        readable, writable, methods = _access(fields)
        elements.append(
            ObjectListElement(class_id, version, Obis.from_bytes(name), readable, writable, methods)
        )
    return elements


READ_MODES = frozenset({1, 3, 4, 6})
WRITE_MODES = frozenset({2, 3, 5, 6})


def _modes(access: Data | None) -> list[tuple[int, int]]:
    """``(id, access mode)`` of an attribute- or method-access list (a boolean mode, as
    version 0 of Association LN has for methods, is 1 or 0)."""
    pairs = []
    for entry in (access.value or ()) if access is not None else ():
        if entry.type is DataType.STRUCTURE and len(entry.value) >= 2:
            item, mode = entry.value[0].value, entry.value[1].value
            if isinstance(item, int) and isinstance(mode, int | bool):
                pairs.append((item, int(mode)))
    return pairs


def _access(fields: list[Data]) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """Readable attributes, writable ones and callable methods from the element's access
    rights (attribute modes: 1 read-only, 2 write-only, 3 read-and-write, 4-6 the same
    authenticated; method modes: 1 access, 2 authenticated access)."""
    if len(fields) < 4 or fields[3].type is not DataType.STRUCTURE or not fields[3].value:
        return (), (), ()
    rights = fields[3].value
    attributes = _modes(rights[0])
    methods = _modes(rights[1] if len(rights) > 1 else None)
    return (
        tuple(a for a, mode in attributes if mode in READ_MODES),
        tuple(a for a, mode in attributes if mode in WRITE_MODES),
        tuple(m for m, mode in methods if mode in (1, 2)),
    )


# ---------------------------------------------------------------------------- the model


@dataclass(frozen=True, slots=True)
class AttributeSpec:
    """One attribute: its number, the standard's name, the A-XDR types it may carry (for
    documentation and tools; ``parse`` is what checks them) and, for values with a scaler,
    the attribute holding their scaler_unit."""

    number: int
    name: str
    types: tuple[DataType, ...]
    parse: Parser
    scaler_unit: int | None = None


@dataclass(frozen=True, slots=True)
class ClassSpec:
    class_id: int
    name: str
    attributes: dict[int, AttributeSpec]

    def attribute(self, name: str) -> AttributeSpec:
        """An attribute by its standard name (``capture_period``)."""
        for spec in self.attributes.values():
            if spec.name == name:
                return spec
        raise KeyError(f"{self.name} has no attribute {name!r}")


_OCTETS = (DataType.OCTET_STRING,)
_DATE_TIME = (DataType.OCTET_STRING, DataType.DATE_TIME)
_SIMPLE = tuple(sorted(SIMPLE_TYPES))
_STRUCTURE = (DataType.STRUCTURE,)
_ARRAY = (DataType.ARRAY,)


def _spec(
    number: int,
    name: str,
    types: tuple[DataType, ...],
    parse: Parser | None = None,
    scaler_unit: int | None = None,
) -> AttributeSpec:
    return AttributeSpec(number, name, types, parse or _typed(*types), scaler_unit)


def _class(class_id: int, name: str, *specs: AttributeSpec) -> ClassSpec:
    logical_name = _spec(1, "logical_name", _OCTETS, parse_obis)
    return ClassSpec(class_id, name, {s.number: s for s in (logical_name, *specs)})


_SCALER_UNIT = (_STRUCTURE, parse_scaler_unit)

CLASSES: Final[dict[int, ClassSpec]] = {
    spec.class_id: spec
    for spec in (
        _class(InterfaceClass.DATA, "Data", _spec(2, "value", _SIMPLE, parse_simple)),
        _class(
            InterfaceClass.REGISTER,
            "Register",
            _spec(2, "value", _SIMPLE, parse_simple, scaler_unit=3),
            _spec(3, "scaler_unit", *_SCALER_UNIT),
        ),
        _class(
            InterfaceClass.EXTENDED_REGISTER,
            "Extended register",
            _spec(2, "value", _SIMPLE, parse_simple, scaler_unit=3),
            _spec(3, "scaler_unit", *_SCALER_UNIT),
            _spec(4, "status", _SIMPLE, parse_simple),
            _spec(5, "capture_time", _DATE_TIME, parse_date_time),
        ),
        _class(
            InterfaceClass.DEMAND_REGISTER,
            "Demand register",
            _spec(2, "current_average_value", _SIMPLE, parse_simple, scaler_unit=4),
            _spec(3, "last_average_value", _SIMPLE, parse_simple, scaler_unit=4),
            _spec(4, "scaler_unit", *_SCALER_UNIT),
            _spec(5, "status", _SIMPLE, parse_simple),
            _spec(6, "capture_time", _DATE_TIME, parse_date_time),
            _spec(7, "start_time_current", _DATE_TIME, parse_date_time),
            _spec(8, "period", (DataType.DOUBLE_LONG_UNSIGNED,)),
            _spec(9, "number_of_periods", (DataType.LONG_UNSIGNED,)),
        ),
        _class(
            InterfaceClass.PROFILE_GENERIC,
            "Profile generic",
            _spec(2, "buffer", (DataType.ARRAY, DataType.COMPACT_ARRAY), parse_buffer_rows),
            _spec(3, "capture_objects", _ARRAY, parse_capture_objects),
            _spec(4, "capture_period", (DataType.DOUBLE_LONG_UNSIGNED,)),
            _spec(5, "sort_method", (DataType.ENUM,), _enum(SortMethod)),
            _spec(6, "sort_object", _STRUCTURE, parse_capture_object),
            _spec(7, "entries_in_use", (DataType.DOUBLE_LONG_UNSIGNED,)),
            _spec(8, "profile_entries", (DataType.DOUBLE_LONG_UNSIGNED,)),
        ),
        _class(
            InterfaceClass.CLOCK,
            "Clock",
            _spec(2, "time", _DATE_TIME, parse_date_time),
            _spec(3, "time_zone", (DataType.LONG,)),
            _spec(4, "status", (DataType.UNSIGNED,)),
            _spec(5, "daylight_savings_begin", _DATE_TIME, parse_date_time),
            _spec(6, "daylight_savings_end", _DATE_TIME, parse_date_time),
            _spec(7, "daylight_savings_deviation", (DataType.INTEGER,)),
            _spec(8, "daylight_savings_enabled", (DataType.BOOLEAN,)),
            _spec(9, "clock_base", (DataType.ENUM,)),
        ),
        _class(
            InterfaceClass.ASSOCIATION_LN,
            "Association LN",
            _spec(2, "object_list", _ARRAY, parse_object_list),
            _spec(3, "associated_partners_id", _STRUCTURE, _associated_partners),
            _spec(4, "application_context_name", _OCTETS + _STRUCTURE, _name_or_structure),
            _spec(5, "xDLMS_context_info", _STRUCTURE, _xdlms_context_info),
            _spec(6, "authentication_mechanism_name", _OCTETS + _STRUCTURE, _name_or_structure),
            _spec(7, "secret", _OCTETS),
            _spec(8, "association_status", (DataType.ENUM,), _enum(AssociationStatus)),
            _spec(9, "security_setup_reference", _OCTETS, parse_obis),
        ),
        _class(
            InterfaceClass.SECURITY_SETUP,
            "Security setup",
            _spec(2, "security_policy", (DataType.ENUM,)),
            _spec(3, "security_suite", (DataType.ENUM,)),
            _spec(4, "client_system_title", _OCTETS),
            _spec(5, "server_system_title", _OCTETS),
            _spec(6, "certificates", _ARRAY, _certificates),
        ),
    )
}


def attribute_spec(class_id: int, attribute: int) -> AttributeSpec | None:
    spec = CLASSES.get(class_id)
    return spec.attributes.get(attribute) if spec else None


def parse_attribute(class_id: int, attribute: int, data: Data) -> Any:
    """The typed value of ``attribute`` of an object of ``class_id``; DecodeError when
    ``data`` is not of the type the standard gives it. Attributes this module does not
    model are returned as the Data they are."""
    spec = attribute_spec(class_id, attribute)
    if spec is None:
        return data
    try:
        return spec.parse(data)
    except DecodeError as err:
        raise DecodeError(f"{CLASSES[class_id].name} attribute {spec.name}: {err}") from None


def scaler_unit_attribute(class_id: int, attribute: int) -> int | None:
    """The attribute holding the scaler_unit of ``attribute``, if it has one (Register and
    Extended register 2 -> 3, Demand register 2 and 3 -> 4)."""
    spec = attribute_spec(class_id, attribute)
    return spec.scaler_unit if spec else None


__all__ = [
    "ASSOCIATION_LN",
    "CLASSES",
    "NUMERIC_TYPES",
    "SIMPLE_TYPES",
    "AssociatedPartners",
    "AssociationStatus",
    "AttributeSpec",
    "CaptureObjectDefinition",
    "CertificateInfo",
    "ClassSpec",
    "InterfaceClass",
    "ObjectListElement",
    "SortMethod",
    "XdlmsContextInfo",
    "attribute_spec",
    "parse_attribute",
    "parse_buffer_rows",
    "parse_capture_objects",
    "parse_date_time",
    "parse_object_list",
    "parse_scaler_unit",
    "scaler_unit_attribute",
]
