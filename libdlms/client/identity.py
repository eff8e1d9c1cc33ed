"""What a meter says about itself: serial number, logical device name, firmware.

The logical device name (0-0:42.0.0, mandatory in every logical device) starts with the
manufacturer's three-letter FLAG id; the serial number (0-0:96.1.0) is what a user finds
printed on the meter. Both are read in one GET with-list.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..codecs.axdr import Data
from ..codecs.xdlms import AttributeDescriptor
from ..cosem.interface_classes import InterfaceClass
from ..obis import Obis
from .client import DlmsClient

SERIAL_NUMBER = Obis(0, 0, 96, 1, 0, 255)
LOGICAL_DEVICE_NAME = Obis(0, 0, 42, 0, 0, 255)
FIRMWARE = Obis(1, 0, 0, 2, 0, 255)
"""The active firmware identifier (electricity)."""


@dataclass(frozen=True, slots=True)
class MeterIdentity:
    serial_number: str | None
    logical_device_name: str | None
    firmware: str | None = None

    @property
    def flag_id(self) -> str | None:
        """The logical device name's first three letters: the manufacturer's FLAG id."""
        name = self.logical_device_name
        if name is None or len(name) < 3 or not name[:3].isalpha():
            return None
        return name[:3].upper()


def data_text(data: Data) -> str:
    """An identifier as text: printable octet strings as text (trailing NULs and spaces
    dropped), other octet strings as hex, anything else as its Python value."""
    value = data.value
    if isinstance(value, bytes):
        value = value.rstrip(b"\x00 ")
        if value and all(0x20 <= byte < 0x7F for byte in value):
            return value.decode("ascii")
        return value.hex()
    return str(data.to_python())


async def read_identity(client: DlmsClient) -> MeterIdentity:
    """The serial number, logical device name and firmware identifier, each None when the
    meter does not give it."""
    results = await client.get_many(
        [
            AttributeDescriptor(InterfaceClass.DATA, SERIAL_NUMBER, 2),
            AttributeDescriptor(InterfaceClass.DATA, LOGICAL_DEVICE_NAME, 2),
            AttributeDescriptor(InterfaceClass.DATA, FIRMWARE, 2),
        ]
    )
    serial, name, firmware = (
        data_text(result) if isinstance(result, Data) and result.value not in (None, b"") else None
        for result in results
    )
    return MeterIdentity(serial, name, firmware)
