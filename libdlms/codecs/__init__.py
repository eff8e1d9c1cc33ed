"""The wire formats: bytes in, values out, and back. No I/O; the only state is a frame
reader's receive buffer (``hdlc.FrameReader``).

Public modules: ``hdlc`` (frames, addresses, SNRM/UA parameters), ``axdr`` (data values),
``acse`` (AARQ/AARE/RLRQ/RLRE), ``xdlms`` (the xDLMS APDUs, a package of one module per
service), ``wrapper`` (IEC 62056-47) and ``iec62056_21`` (mode E sign-on messages).
"""

from . import acse, axdr, dsmr, hdlc, iec62056_21, mbus, wrapper, xdlms

__all__ = ["acse", "axdr", "dsmr", "hdlc", "iec62056_21", "mbus", "wrapper", "xdlms"]
