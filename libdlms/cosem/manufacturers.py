"""Manufacturer names from FLAG ids, as data (``manufacturers.json`` names its source).

A COSEM logical device name starts with the manufacturer's three-letter FLAG id, and so do
system titles and IEC 62056-21 identifications (``/ISK5…``). Only ids from the published
list are named; any other id stays what it is (three letters still tell a user more than
"Unknown")."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources


@cache
def load_manufacturers() -> dict[str, str]:
    """FLAG id -> manufacturer, read from the packaged JSON once (the first call does file
    I/O: in an event loop, make it from an executor or at import)."""
    text = resources.files(__package__).joinpath("manufacturers.json").read_text("utf-8")
    names: dict[str, str] = json.loads(text)["manufacturers"]
    return names


def manufacturer_for_flag(flag: str) -> str | None:
    """The manufacturer of a FLAG id (any case), or None for an id not listed. Reads the
    packaged JSON on the first call (file I/O: from an executor in an event loop)."""
    return load_manufacturers().get(flag.upper())


def manufacturer_name(flag: str | None) -> str | None:
    """What a device page shows: the manufacturer's name, else the FLAG id itself (when it
    is three letters), else None."""
    if flag is None:
        return None
    return manufacturer_for_flag(flag) or (flag.upper() if _is_flag(flag) else None)


def _is_flag(text: str) -> bool:
    return len(text) == 3 and text.isascii() and text.isalpha()
