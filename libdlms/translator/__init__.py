"""The translator: captured bytes (HDLC frames, M-Bus long frames, wrapper PDUs, APDUs,
A-XDR data, IEC 62056-21 messages) described as JSON, what ``dlms decode`` prints.
Ciphered APDUs show their security header, and with keys their plaintext.

Modules: ``describe`` (the entry, which recognises the framing), ``reassembly`` (HDLC
segments, wrapper PDUs and GBT blocks joined into whole APDUs), ``apdu`` (one APDU, with
the deciphering hook), ``iec``, ``push`` (pushed Data-Notifications as ``dlms listen``
lines) and ``context`` (the keys and system title, passed down explicitly).
"""

from .apdu import describe_apdu
from .context import DescribeContext
from .describe import KINDS, describe
from .iec import describe_iec
from .push import notifications
from .reassembly import (
    describe_apdus,
    describe_hdlc,
    describe_mbus,
    describe_wrapper,
    hdlc_apdus,
)

__all__ = [
    "KINDS",
    "DescribeContext",
    "describe",
    "describe_apdu",
    "describe_apdus",
    "describe_hdlc",
    "describe_iec",
    "describe_mbus",
    "describe_wrapper",
    "hdlc_apdus",
    "notifications",
]
