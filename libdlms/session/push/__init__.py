"""The push receiver: bytes from a meter's customer port in, notifications out.

Public modules: ``events``.
"""

from . import events

__all__ = ["events"]
