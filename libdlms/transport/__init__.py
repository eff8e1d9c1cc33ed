"""Byte transports under the client: serialx for every URL Home Assistant can hand us."""

from .base import Transport
from .serial import SerialTransport, normalize_url

__all__ = ["SerialTransport", "Transport", "normalize_url"]
