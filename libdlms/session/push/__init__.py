"""The push receiver: bytes from a meter's customer port in, notifications out.

Public modules: ``events`` (what the receiver hands out), ``receiver`` (``PushReceiver``),
``framing`` (the frame scanner), ``notification`` (an APDU or a DSMR telegram to a
``Notification``) and ``sniff`` (streams that are not DLMS).
"""

from . import events, framing, notification, receiver, sniff
from .events import (
    BytesSkipped,
    Framing,
    Notification,
    NotificationFailed,
    NotificationReceived,
    PushEvent,
    StreamKind,
    StreamNotDlms,
)
from .receiver import PushReceiver, PushStatistics

__all__ = [
    "BytesSkipped",
    "Framing",
    "Notification",
    "NotificationFailed",
    "NotificationReceived",
    "PushEvent",
    "PushReceiver",
    "PushStatistics",
    "StreamKind",
    "StreamNotDlms",
    "events",
    "framing",
    "notification",
    "receiver",
    "sniff",
]
