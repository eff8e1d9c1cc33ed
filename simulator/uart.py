"""What a UART receives when the sender's serial settings are not its own, bit by bit.

A push meter's port sends at its speed and parity whatever the reader set; a reader at
another speed or parity gets what its UART makes of the waveform. This is that, for tests:
the sender's characters go back to back (start bit 0, data bits least significant first,
the parity bit, stop bits 1; the line idles at 1); the receiver waits for the line to be low,
samples each of its own bit times in the middle, and checks the stop bit. Parity is not
checked (serialx leaves INPCK off); a stop bit read as 0 is a framing error, which Linux
delivers as a NUL in place of the character (no IGNPAR, no PARMRK), and the receiver starts
its next character where the line is low again, as a 16550 resynchronises.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class UartSettings:
    baudrate: int
    parity: str = "N"
    """``N``, ``E`` or ``O``."""
    byte_size: int = 8
    stop_bits: int = 1

    @property
    def parity_bits(self) -> int:
        return 0 if self.parity == "N" else 1


def _bits(data: bytes, settings: UartSettings) -> list[int]:
    """The line's levels, one per bit time, for ``data`` sent back to back."""
    bits: list[int] = []
    mask = (1 << settings.byte_size) - 1
    for byte in data:
        value = byte & mask
        bits.append(0)
        ones = 0
        for position in range(settings.byte_size):
            bit = (value >> position) & 1
            ones += bit
            bits.append(bit)
        if settings.parity == "E":
            bits.append(ones & 1)
        elif settings.parity == "O":
            bits.append(1 - (ones & 1))
        bits.extend([1] * settings.stop_bits)
    return bits


def received(data: bytes, sent: UartSettings, heard: UartSettings) -> bytes:
    """The bytes a receiver at ``heard`` delivers for ``data`` sent at ``sent``."""
    if sent == heard:
        return data
    bits = _bits(data, sent)
    sender_bit = 1.0 / sent.baudrate
    receiver_bit = 1.0 / heard.baudrate
    end = len(bits) * sender_bit

    def level(time: float) -> int:
        index = math.floor(time / sender_bit)
        return bits[index] if 0 <= index < len(bits) else 1

    def next_low(time: float) -> float | None:
        if level(time) == 0:
            return time
        index = math.floor(time / sender_bit) + 1
        while index < len(bits):
            if bits[index] == 0:
                return index * sender_bit
            index += 1
        return None

    out = bytearray()
    frame_bits = heard.byte_size + heard.parity_bits
    time = 0.0
    while time < end:
        start = next_low(time)
        if start is None:
            break
        value = 0
        for position in range(heard.byte_size):
            value |= level(start + (1 + position + 0.5) * receiver_bit) << position
        stop_at = start + (1 + frame_bits + 0.5) * receiver_bit
        out.append(value if level(stop_at) == 1 else 0)
        time = stop_at
    return bytes(out)
