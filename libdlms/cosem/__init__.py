"""The COSEM object model: interface classes and their attributes, units and ScalerUnit,
date-time, profile buffers and their selective access.

Public modules: ``interface_classes``, ``objects``, ``units``, ``clock``, ``profile``,
``selective_access``.
"""

from . import clock, interface_classes, objects, profile, selective_access, units

__all__ = ["clock", "interface_classes", "objects", "profile", "selective_access", "units"]
