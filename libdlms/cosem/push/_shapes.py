"""The shapes push payloads come in, read into one flat list of values.

Meters in the field lay out a Data-Notification body in a handful of ways (docs/push-meters.md):

- ``obis-pairs``: OBIS code and value as consecutive elements of one structure, sometimes
  followed by the value's scaler_unit (Kamstrup, Kaifa SE, L+G E450, Kaifa MA309M);
- ``obis-value``: a structure ``{OBIS, value}`` per value;
- ``obis-scaler``: a structure ``{OBIS, value, scaler_unit}`` per value (Aidon, Iskra, Kaifa AT);
- ``class-obis``: ``{class id, OBIS, attribute, value}`` or ``{descriptor, value}`` (Czech
  meters), with a Register's scaler_unit as a separate attribute-3 entry;
- ``positional``: values only, their meaning given by the order (Kaifa NO, AM550 in Austria).

Every element becomes a value with its ``position`` (its index among the values): a shape
nobody foresaw still comes out whole, its leaves with ``obis`` None, so a user can share it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace

from ...codecs.axdr import Data, DataType
from ...obis import Obis
from ..units import unit_for_code
from .render import printable_text, render, scaled
from .values import PushValue

# Interface classes whose attribute 3 is scaler_unit (Register, Extended and Demand Register).
_SCALED_CLASSES = frozenset({3, 4, 5})
_INTEGER_TYPES = frozenset(
    {
        DataType.INTEGER,
        DataType.LONG,
        DataType.UNSIGNED,
        DataType.LONG_UNSIGNED,
        DataType.DOUBLE_LONG,
        DataType.DOUBLE_LONG_UNSIGNED,
    }
)


@dataclass(frozen=True, slots=True)
class RawValue:
    """One value before a format profile: where it came from and its type."""

    obis: Obis | None
    data: Data
    scaler: int | None = None
    unit_code: int | None = None
    class_id: int | None = None
    attribute: int | None = None
    kind: str = "positional"


def obis_of(data: Data) -> Obis | None:
    """The OBIS code an element holds: a 6-byte octet string that is not printable text."""
    if data.type is not DataType.OCTET_STRING or len(data.value) != 6:
        return None
    if printable_text(data.value) is not None:
        return None
    return Obis.from_bytes(data.value)


def scaler_unit_of(data: Data) -> tuple[int, int] | None:
    """(scaler, unit code) of a ``structure {integer, enum}``, else None."""
    if data.type is not DataType.STRUCTURE or len(data.value) != 2:
        return None
    scaler, unit = data.value
    if scaler.type not in _INTEGER_TYPES or unit.type not in (DataType.ENUM, DataType.UNSIGNED):
        return None
    if not -128 <= scaler.value <= 127:
        return None
    return scaler.value, unit.value


def descriptor_of(data: Data) -> tuple[int, Obis, int] | None:
    """(class id, OBIS, attribute) of a COSEM attribute descriptor written as a structure
    ``{long-unsigned, octet-string(6), integer}``."""
    if data.type is not DataType.STRUCTURE or len(data.value) != 3:
        return None
    class_id, obis, attribute = data.value
    if class_id.type is not DataType.LONG_UNSIGNED or attribute.type not in _INTEGER_TYPES:
        return None
    if obis.type is not DataType.OCTET_STRING or len(obis.value) != 6:
        return None
    return class_id.value, Obis.from_bytes(obis.value), attribute.value


def _entry(item: Data) -> list[RawValue] | None:
    """A structure that is one value with its OBIS code (and maybe more), or None."""
    if item.type is not DataType.STRUCTURE or not item.value:
        return None
    members: list[Data] = item.value
    first = members[0]
    obis = obis_of(first)
    if obis is not None and len(members) == 2:
        return [RawValue(obis, members[1], kind="obis-value")]
    if obis is not None and len(members) == 3:
        pair = scaler_unit_of(members[2])
        if pair is not None:
            return [RawValue(obis, members[1], pair[0], pair[1], kind="obis-scaler")]
        return None
    descriptor = descriptor_of(first)
    if descriptor is not None and len(members) >= 2:
        class_id, obis, attribute = descriptor
        scaler_unit = scaler_unit_of(members[2]) if len(members) == 3 else None
        if len(members) > 2 and scaler_unit is None:
            return None
        return [
            RawValue(
                obis,
                members[1],
                None if scaler_unit is None else scaler_unit[0],
                None if scaler_unit is None else scaler_unit[1],
                class_id,
                attribute,
                "class-obis",
            )
        ]
    if first.type is DataType.LONG_UNSIGNED and len(members) in (3, 4):
        obis = obis_of(members[1])
        if obis is None:
            return None
        if len(members) == 4:
            pair = scaler_unit_of(members[3])
            if pair is not None:  # {class, OBIS, value, scaler_unit}
                return [RawValue(obis, members[2], pair[0], pair[1], first.value, 2, "class-obis")]
            if members[2].type not in _INTEGER_TYPES:
                return None
            # {class, OBIS, attribute, value}
            return [
                RawValue(obis, members[3], None, None, first.value, members[2].value, "class-obis")
            ]
        return [RawValue(obis, members[2], None, None, first.value, 2, "class-obis")]
    return None


def _walk(items: list[Data], out: list[RawValue]) -> None:
    index = 0
    while index < len(items):
        item = items[index]
        entry = _entry(item)
        if entry is not None:
            out.extend(entry)
            index += 1
            continue
        following = items[index + 1] if index + 1 < len(items) else None
        obis = obis_of(item)
        if obis is not None and following is not None and _entry(following) is None:
            pair = scaler_unit_of(items[index + 2]) if index + 2 < len(items) else None
            if pair is not None:
                out.append(RawValue(obis, following, pair[0], pair[1], kind="obis-pairs"))
                index += 3
            else:
                out.append(RawValue(obis, following, kind="obis-pairs"))
                index += 2
            continue
        if (
            item.type is DataType.NULL_DATA
            and following is not None
            and following.type is DataType.NULL_DATA
        ):
            index += 2  # an absent phase (Kamstrup 1-phase): neither OBIS nor value
            continue
        if item.type in (DataType.ARRAY, DataType.STRUCTURE, DataType.COMPACT_ARRAY):
            _walk(item.value, out)
        else:
            out.append(RawValue(None, item))
        index += 1


def raw_values(body: Data) -> list[RawValue]:
    """The body's values in order, with the OBIS codes and scalers the payload carries."""
    out: list[RawValue] = []
    if body.type in (DataType.ARRAY, DataType.STRUCTURE, DataType.COMPACT_ARRAY):
        _walk(body.value, out)
    else:
        out.append(RawValue(None, body))
    return _fold_scalers(out)


def _fold_scalers(values: list[RawValue]) -> list[RawValue]:
    """Czech layouts send a Register's scaler_unit as its own attribute-3 entry: apply it
    to the attribute-2 value of the same object and drop the entry."""
    scalers = {
        value.obis: pair
        for value in values
        if value.attribute == 3
        and value.class_id in _SCALED_CLASSES
        and (pair := scaler_unit_of(value.data)) is not None
    }
    if not scalers:
        return values
    folded: list[RawValue] = []
    for value in values:
        if value.obis in scalers and value.class_id in _SCALED_CLASSES:
            if value.attribute == 3:
                continue
            if value.scaler is None:
                scaler, unit = scalers[value.obis]
                folded.append(replace(value, scaler=scaler, unit_code=unit))
                continue
        folded.append(value)
    return folded


def shape_of(values: list[RawValue]) -> str:
    """The payload's shape: the commonest kind among values with an OBIS code,
    ``positional`` when none has one, ``empty`` for a body without values."""
    if not values:
        return "empty"
    kinds = Counter(value.kind for value in values if value.obis is not None)
    if not kinds:
        return "positional"
    return kinds.most_common(1)[0][0]


def to_push_value(position: int, raw: RawValue) -> PushValue:
    value = render(raw.data)
    unit = None if raw.unit_code is None else (unit_for_code(raw.unit_code).symbol or None)
    return PushValue(
        position=position,
        obis=raw.obis,
        value=value,
        scaler=raw.scaler,
        unit=unit,
        unit_code=raw.unit_code,
        scaled_value=scaled(value, raw.scaler),
    )
