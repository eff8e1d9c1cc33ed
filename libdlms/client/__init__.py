"""The asyncio client: one transport, one HDLC link, one association at a time."""

from .client import ClientSettings, DlmsClient, read_invocation_counter
from .keeper import KeptSession
from .reader import MeterReader, ObjectReading, read_object_list

__all__ = [
    "ClientSettings",
    "DlmsClient",
    "KeptSession",
    "MeterReader",
    "ObjectReading",
    "read_invocation_counter",
    "read_object_list",
]
