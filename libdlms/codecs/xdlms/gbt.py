"""General-Block-Transfer (Green Book "GBT"): a long APDU, or a ciphered one, cut into
numbered blocks, each carried in a GBT APDU; ``split_blocks`` cuts a run of them apart.
Collecting the blocks of a transfer (windows, acknowledgements) is state:
``session.gbt.GbtReceiver``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from ...errors import DecodeError, EncodeError
from ..axdr import Reader
from ._fields import _octet_string, _read_octet_string, _uint
from .tags import GENERAL_BLOCK_TRANSFER_TAG

GBT_LAST_BLOCK: Final = 0x80
GBT_STREAMING: Final = 0x40
GBT_WINDOW_MASK: Final = 0x3F


@dataclass(frozen=True, slots=True)
class GeneralBlockTransfer:
    """General-Block-Transfer: ``E0``, block-control (bit 7 last-block, bit 6 streaming,
    bits 0-5 window), block-number and block-number-ack (Unsigned16 each), block-data (an
    OCTET STRING: a slice of the APDU being transferred, or empty in an acknowledgement)."""

    last_block: bool
    streaming: bool
    window: int
    block_number: int
    block_number_ack: int
    block_data: bytes = b""

    @property
    def block_control(self) -> int:
        if not 0 <= self.window <= GBT_WINDOW_MASK:
            raise EncodeError(f"GBT window {self.window} is outside 0..63")
        return (
            (GBT_LAST_BLOCK if self.last_block else 0)
            | (GBT_STREAMING if self.streaming else 0)
            | self.window
        )

    def encode(self) -> bytes:
        return (
            bytes((GENERAL_BLOCK_TRANSFER_TAG, self.block_control))
            + _uint(self.block_number, 2, "block number")
            + _uint(self.block_number_ack, 2, "block number ack")
            + _octet_string(self.block_data)
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "last_block": self.last_block,
            "streaming": self.streaming,
            "window": self.window,
            "block_number": self.block_number,
            "block_number_ack": self.block_number_ack,
            "block_data": self.block_data.hex(),
        }

    @classmethod
    def decode(cls, data: bytes) -> GeneralBlockTransfer:
        reader = Reader(data)
        if reader.byte() != GENERAL_BLOCK_TRANSFER_TAG:
            raise DecodeError("not a General-Block-Transfer")
        control = reader.byte()
        block_number = reader.u16()
        block_number_ack = reader.u16()
        block_data = _read_octet_string(reader)
        reader.expect_end()
        return cls(
            last_block=bool(control & GBT_LAST_BLOCK),
            streaming=bool(control & GBT_STREAMING),
            window=control & GBT_WINDOW_MASK,
            block_number=block_number,
            block_number_ack=block_number_ack,
            block_data=block_data,
        )


def split_blocks(data: bytes) -> list[bytes]:
    """Cut back-to-back GBT APDUs apart (each is delimited by its block-data length), as
    a link without segmentation delivers them: E450 pushes several blocks in a run of UI
    frames. ``data`` must be GBT APDUs and nothing else, or this is a DecodeError."""
    reader = Reader(data)
    blocks: list[bytes] = []
    while reader.remaining:
        start = reader.pos
        if reader.byte() != GENERAL_BLOCK_TRANSFER_TAG:
            raise DecodeError(f"not a General-Block-Transfer at offset {start}")
        reader.take(5)  # block control, block number, block number ack
        reader.take(reader.length())
        blocks.append(data[start : reader.pos])
    return blocks
