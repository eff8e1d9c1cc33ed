"""A DLMS/COSEM meter simulator: the server role of the same protocol path the client
speaks (mode E, HDLC over a TCP socket, a pseudo-terminal or an in-memory loopback,
AARQ/AARE with LLS, HLS and ciphering, GET normal, with-list and block transfer,
release). It serves tests and ``scripts/develop``; it is not shipped to users (it lives
outside ``custom_components/``)."""

from .loopback import LoopbackTransport
from .meter import SimulatedMeter
from .proxy import LinkFaults, LinkProxy
from .pty import PtyMeterSimulator
from .server import MeterSimulator

__all__ = [
    "LinkFaults",
    "LinkProxy",
    "LoopbackTransport",
    "MeterSimulator",
    "PtyMeterSimulator",
    "SimulatedMeter",
]
