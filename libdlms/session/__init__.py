"""Sans-IO state machines: bytes and APDUs in, events and bytes out. No clocks, no I/O.

Public modules: ``link`` (the client side of HDLC), ``association`` (the client side of an
application association), ``mode_e`` (the IEC 62056-21 mode E sign-on) and ``gbt`` (the
general block transfer receiver) and ``push`` (the push receiver).
"""

from . import association, gbt, link, mode_e, push

__all__ = ["association", "gbt", "link", "mode_e", "push"]
