"""Pushed payloads: the values a meter's Data-Notification carries, and the format profiles
(one small data file per meter or DSO layout) that name the values a meter sends without
OBIS codes, scalers or units.

Public modules: ``values``.
"""

from . import values

__all__ = ["values"]
