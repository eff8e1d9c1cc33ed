"""Format profiles: what a meter leaves out of its push payload, as data.

Many meters push values without OBIS codes (Kaifa in Norway, the AM550 in Austria) or
without scalers (Kaifa, Kamstrup): the list layout, published by the DSO or the maker,
defines them. Each layout is one small JSON file in ``format_profiles/`` beside this module, with
the source it was taken from, so adding a meter is adding a file::

    {
      "name": "kaifa-no-list2-3phase",
      "description": "...", "sources": ["..."],
      "match": {"shape": ["positional"], "list_id": "KFM_001", "count": 13},
      "positions": [{"position": 3, "obis": "1.0.1.7.0.255", "unit": 27, "name": "..."}],
      "obis": {"1.0.31.7.0.255": {"scaler": -3, "unit": 33}}
    }

``match`` (every key given must hold): ``shape`` (one of the payload shapes), ``list_id``
(the payload's first text value, or the value of an OBIS ``x.x.0.2.129.255``), ``count``
(number of values), ``types`` (the A-XDR types of the first values, kebab case),
``obis_present`` (OBIS codes the payload must carry), ``text_prefix`` (``{"obis": ...,
"prefix": ...}``: that value is text starting so). The most specific profile that matches
wins (the one with most conditions; ties by name). ``positions`` give a value at a position
its OBIS code, scaler, unit code and name; ``obis`` gives values with that OBIS code a
scaler and unit. What the payload carries itself is never overridden.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from typing import Any

from ...codecs.axdr import Data
from ...errors import ConfigurationError, DecodeError
from ...obis import Obis
from ..units import unit_for_code
from ._shapes import RawValue, raw_values, shape_of
from .render import scaled
from .values import PushValue

_FORMATS_PACKAGE = "format_profiles"


@dataclass(frozen=True, slots=True)
class Naming:
    """What a profile says about one value: its OBIS code, scaler, unit code and name."""

    obis: Obis | None = None
    scaler: int | None = None
    unit: int | None = None
    name: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Naming:
        obis = data.get("obis")
        return cls(
            obis=None if obis is None else Obis.parse(obis),
            scaler=data.get("scaler"),
            unit=data.get("unit"),
            name=data.get("name"),
        )


@dataclass(frozen=True, slots=True)
class FormatProfile:
    """One meter's or DSO's list layout (see the module's docstring for the file format)."""

    name: str
    description: str
    sources: tuple[str, ...]
    match: Mapping[str, Any]
    positions: Mapping[int, Naming] = field(default_factory=dict)
    by_obis: Mapping[Obis, Naming] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FormatProfile:
        try:
            return cls(
                name=str(data["name"]),
                description=str(data.get("description", "")),
                sources=tuple(data.get("sources", ())),
                match=dict(data.get("match", {})),
                positions={
                    int(item["position"]): Naming.from_json(item)
                    for item in data.get("positions", ())
                },
                by_obis={
                    Obis.parse(code): Naming.from_json(item)
                    for code, item in data.get("obis", {}).items()
                },
            )
        except (KeyError, TypeError, ValueError, DecodeError) as err:
            raise ConfigurationError(f"format profile {data.get('name')!r}: {err}") from None

    @property
    def specificity(self) -> int:
        return len(self.match)

    def matches(self, values: list[RawValue], shape: str) -> bool:
        """Whether a payload with these (raw) values and shape is in this layout."""
        return all(_CONDITIONS[key](wanted, values, shape) for key, wanted in self.match.items())

    def apply(self, values: Iterable[PushValue]) -> tuple[PushValue, ...]:
        """The values with what this layout adds; the payload's own OBIS codes, scalers
        and units stay."""
        out: list[PushValue] = []
        for value in values:
            named = value
            for naming in (self.positions.get(value.position), _get(self.by_obis, value.obis)):
                if naming is not None:
                    named = _named(named, naming)
            out.append(named)
        return tuple(out)


def _get(table: Mapping[Obis, Naming], obis: Obis | None) -> Naming | None:
    return None if obis is None else table.get(obis)


def _named(value: PushValue, naming: Naming) -> PushValue:
    obis = value.obis if value.obis is not None else naming.obis
    name = value.name if value.name is not None else naming.name
    if value.scaler is not None or value.unit_code is not None:
        return replace(value, obis=obis, name=name)
    scaler = naming.scaler
    unit_code = naming.unit
    unit = None if unit_code is None else (unit_for_code(unit_code).symbol or None)
    return replace(
        value,
        obis=obis,
        name=name,
        scaler=scaler,
        unit=unit,
        unit_code=unit_code,
        scaled_value=scaled(value.value, scaler),
    )


# ---------------------------------------------------------------------------- conditions


def list_id(values: list[RawValue]) -> str | None:
    """The list identifier: the value of OBIS ``x.x.0.2.129.255``, else the first value
    when it is text (``AIDON_V0001``, ``KFM_001``, ``Kamstrup_V0001``)."""
    for value in values:
        if value.obis is not None and (value.obis.c, value.obis.d, value.obis.e) == (0, 2, 129):
            return _text(value.data)
    return _text(values[0].data) if values else None


def _text(data: Data) -> str | None:
    if isinstance(data.value, str):
        return data.value
    if isinstance(data.value, bytes) and data.value and all(0x20 <= b < 0x7F for b in data.value):
        return data.value.decode("ascii")
    return None


def _shape(wanted: Any, values: list[RawValue], shape: str) -> bool:
    return shape in (wanted if isinstance(wanted, list) else [wanted])


def _list_id(wanted: Any, values: list[RawValue], shape: str) -> bool:
    return bool(list_id(values) == wanted)


def _count(wanted: Any, values: list[RawValue], shape: str) -> bool:
    return bool(len(values) == wanted)


def _types(wanted: Any, values: list[RawValue], shape: str) -> bool:
    return len(values) >= len(wanted) and all(
        value.data.type.kebab == kind for value, kind in zip(values, wanted, strict=False)
    )


def _obis_present(wanted: Any, values: list[RawValue], shape: str) -> bool:
    present = {value.obis for value in values}
    return all(Obis.parse(code) in present for code in wanted)


def _text_prefix(wanted: Any, values: list[RawValue], shape: str) -> bool:
    obis = Obis.parse(wanted["obis"])
    return any(
        value.obis == obis
        and (text := _text(value.data)) is not None
        and text.startswith(wanted["prefix"])
        for value in values
    )


_CONDITIONS = {
    "shape": _shape,
    "list_id": _list_id,
    "count": _count,
    "types": _types,
    "obis_present": _obis_present,
    "text_prefix": _text_prefix,
}


# ---------------------------------------------------------------------------- loading


@cache
def load_formats() -> tuple[FormatProfile, ...]:
    """Every format profile shipped with the library, most specific first."""
    folder = resources.files(__package__ or __name__).joinpath(_FORMATS_PACKAGE)
    profiles = [
        FormatProfile.from_json(json.loads(entry.read_text(encoding="utf-8")))
        for entry in folder.iterdir()
        if entry.name.endswith(".json")
    ]
    for profile in profiles:
        unknown = set(profile.match) - set(_CONDITIONS)
        if unknown:
            raise ConfigurationError(f"format profile {profile.name}: unknown {sorted(unknown)}")
    return tuple(sorted(profiles, key=lambda p: (-p.specificity, p.name)))


def format_named(name: str) -> FormatProfile:
    """The profile called ``name``; ``ConfigurationError`` naming the known ones if none."""
    for profile in load_formats():
        if profile.name == name:
            return profile
    known = ", ".join(sorted(profile.name for profile in load_formats()))
    raise ConfigurationError(f"no push format profile named {name!r} (known: {known})")


def match_values(values: list[RawValue], shape: str) -> FormatProfile | None:
    for profile in load_formats():
        if profile.matches(values, shape):
            return profile
    return None


def match_format(body: Data) -> FormatProfile | None:
    """The profile a notification body is in, picked by its shape; None when no profile
    fits (the payload then names its values itself, or they keep their positions)."""
    values = raw_values(body)
    return match_values(values, shape_of(values))
