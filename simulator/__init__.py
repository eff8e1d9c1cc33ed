"""A DLMS/COSEM meter simulator: the server role of the same protocol path the client
speaks (HDLC over a TCP socket or a pseudo-terminal, AARQ/AARE with no or low-level
security, GET normal, with-list and block transfer, release). It serves tests and
``scripts/develop``; it is not shipped to users (it lives outside ``custom_components/``)."""

from .meter import SimulatedMeter
from .proxy import LinkFaults, LinkProxy
from .pty import PtyMeterSimulator
from .server import MeterSimulator

__all__ = ["LinkFaults", "LinkProxy", "MeterSimulator", "PtyMeterSimulator", "SimulatedMeter"]
