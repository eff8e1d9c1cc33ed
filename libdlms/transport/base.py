"""What the client needs from a link: open, read some bytes, write, close."""

from __future__ import annotations

from typing import Protocol


class Transport(Protocol):
    async def open(self) -> None: ...

    async def read(self) -> bytes:
        """Some bytes as soon as any arrive; raises CommunicationError at end of stream."""
        ...

    async def write(self, data: bytes) -> None: ...

    async def close(self) -> None: ...

    async def set_line(self, *, baudrate: int, byte_size: int, parity: str) -> None:
        """Change speed and character format (mode E: 300 Bd 7E1 first, then 8N1).
        Links without a UART (a TCP bridge without RFC 2217) may ignore it."""
        ...
