"""General-Block-Transfer runs: a link without segmentation may deliver several GBT APDUs
back to back (E450 pushes several blocks in a run of UI frames). Collecting the blocks of
one transfer is state: ``session.gbt.GbtReceiver``."""

from __future__ import annotations

from ..errors import DecodeError
from .axdr import Reader
from .xdlms import GENERAL_BLOCK_TRANSFER_TAG


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
