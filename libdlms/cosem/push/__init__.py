"""Pushed payloads: the values a meter's Data-Notification carries, and the format profiles
(one small data file per meter or DSO layout) that name the values a meter sends without
OBIS codes, scalers or units.

Public modules: ``values`` (PushValue), ``payload`` (``read_push_body``, ``decode_payload``,
``DecodedPayload``), ``formats`` (``FormatProfile``, ``load_formats``, ``format_named``,
``match_format``), ``render`` (how a leaf is shown: text, date-time, hex, exact numbers).
"""

from . import formats, payload, render, values
from .formats import FormatProfile, format_named, load_formats, match_format
from .payload import DecodedPayload, decode_payload, read_push_body

__all__ = [
    "DecodedPayload",
    "FormatProfile",
    "decode_payload",
    "format_named",
    "formats",
    "load_formats",
    "match_format",
    "payload",
    "read_push_body",
    "render",
    "values",
]
