"""The asyncio client: one transport, one HDLC link, one association at a time."""

from .client import ClientSettings, DlmsClient
from .reader import MeterReader, ObjectReading, ObjectRef

__all__ = ["ClientSettings", "DlmsClient", "MeterReader", "ObjectReading", "ObjectRef"]
