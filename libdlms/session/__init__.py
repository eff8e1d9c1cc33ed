"""Sans-IO state machines: bytes and APDUs in, events and bytes out. No clocks, no I/O.

Public modules: ``link`` (the client side of HDLC) and ``association`` (the client side of
an application association).
"""

from . import association, link

__all__ = ["association", "link"]
