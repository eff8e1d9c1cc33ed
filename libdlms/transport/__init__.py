"""Byte transports under the client: serialx for every URL Home Assistant can hand us, and
the DLMS wrapper's TCP and UDP (``tcp://``, ``udp://``)."""

from .base import Transport
from .ip import TcpTransport, UdpTransport, is_wrapper_url, transport_for_url, wrapper_address
from .serial import SerialTransport, normalize_url

__all__ = [
    "SerialTransport",
    "TcpTransport",
    "Transport",
    "UdpTransport",
    "is_wrapper_url",
    "normalize_url",
    "transport_for_url",
    "wrapper_address",
]
