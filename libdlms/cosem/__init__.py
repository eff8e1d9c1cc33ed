"""The COSEM object model: interface classes and their attributes, units and ScalerUnit,
date-time, profile buffers and their selective access.

Public modules: ``interface_classes``, ``objects``, ``units``, ``clock``, ``profile``.
"""

from . import clock, interface_classes, objects, profile, units

__all__ = ["clock", "interface_classes", "objects", "profile", "units"]
