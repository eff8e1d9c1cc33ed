"""libdlms: a sans-IO DLMS/COSEM client core with a thin asyncio client on top.

Layers, bottom up (each imports only those below it):

- ``codecs``: HDLC frames, A-XDR data, ACSE (BER) and xDLMS APDUs. Pure functions.
- ``cosem``: OBIS codes, units and ScalerUnit, date-time.
- ``session``: sans-IO state machines (HDLC link, application association).
- ``transport`` / ``client``: the asyncio side, on serialx.
- ``cli``: the ``scripts/dlms`` command line.

Nothing in this package imports Home Assistant, so it can be published on its own.
"""

__version__ = "0.2.0"
