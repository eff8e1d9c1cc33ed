"""The COSEM object model: interface classes and their attributes, units and ScalerUnit,
date-time, profile buffers and their selective access.

Public modules: ``interface_classes`` (the classes, their attributes and the object list),
``units``, ``clock``, ``profile``, ``selective_access``.
"""

from . import clock, interface_classes, profile, push, selective_access, units

__all__ = ["clock", "interface_classes", "profile", "push", "selective_access", "units"]
