"""General-Block-Transfer, the receive side (IEC 62056-5-3, Green Book "GBT"), sans-IO.

A long APDU (or a ciphered one) is cut into blocks numbered from 1, each carried in a
General-Block-Transfer APDU (``codecs.xdlms.GeneralBlockTransfer``); the block with
``last_block`` ends the transfer. The sender may stream a window of blocks without waiting
(``streaming`` set on all but the last block of the window); the receiver then acknowledges
with a GBT APDU of its own, with empty block data and ``block_number_ack`` = the highest
block received in sequence, which also asks for the missing blocks again.

``GbtReceiver`` collects blocks by number (in any order, duplicates ignored when they
carry the same bytes), says when an acknowledgement is due, builds it, and returns the
joined APDU once every block from 1 to the last one is there. Memory is bounded by
``max_size``. Inconsistent input (a block 0, a block past the last one, the same block
with different bytes, a block after completion) is a ``DecodeError``; a window outside
1..63 a ``ConfigurationError``.
"""

from __future__ import annotations

from typing import Final

from ..codecs.xdlms import GeneralBlockTransfer
from ..errors import ConfigurationError, DecodeError

DEFAULT_MAX_SIZE: Final = 1 << 20
MAX_WINDOW: Final = 63


class GbtReceiver:
    """Collects the blocks of one transfer.

    ``window`` is the receive window advertised in our acknowledgements (1 to 63).
    ``next_block_number`` is the block number our first acknowledgement carries (each
    GBT APDU we send increments it).
    """

    def __init__(
        self,
        *,
        window: int = 1,
        max_size: int = DEFAULT_MAX_SIZE,
        next_block_number: int = 1,
    ) -> None:
        if not 1 <= window <= MAX_WINDOW:
            raise ConfigurationError(f"GBT window must be 1..{MAX_WINDOW}, not {window}")
        self.window = window
        self.max_size = max_size
        self.next_block_number = next_block_number
        self._blocks: dict[int, bytes] = {}
        self._size = 0
        self._last: int | None = None
        self._in_sequence = 0
        self.ack_due = False
        self.result: bytes | None = None

    @property
    def complete(self) -> bool:
        return self.result is not None

    @property
    def highest_in_sequence(self) -> int:
        """The highest block number n such that blocks 1..n have all arrived."""
        return self._in_sequence

    @property
    def missing(self) -> tuple[int, ...]:
        """Blocks not received below the highest one seen (or the last one, once known)."""
        top = self._last if self._last is not None else max(self._blocks, default=0)
        return tuple(n for n in range(self._in_sequence + 1, top + 1) if n not in self._blocks)

    def receive(self, block: GeneralBlockTransfer) -> bytes | None:
        """Take one block; return the joined APDU when the transfer is complete."""
        if self.result is not None:
            raise DecodeError("GBT block after the transfer was complete")
        number = block.block_number
        if number == 0:
            raise DecodeError("GBT block number 0 (blocks are numbered from 1)")
        if self._last is not None and number > self._last:
            raise DecodeError(f"GBT block {number} after the last block {self._last}")
        if block.last_block:
            if self._blocks and max(self._blocks) > number:
                raise DecodeError(f"GBT last block {number} below block {max(self._blocks)}")
            self._last = number
        known = self._blocks.get(number)
        if known is not None:
            if known != block.block_data:
                raise DecodeError(f"GBT block {number} received twice with different data")
        else:
            self._size += len(block.block_data)
            if self._size > self.max_size:
                raise DecodeError(f"GBT transfer exceeds {self.max_size} bytes")
            self._blocks[number] = block.block_data
            while self._in_sequence + 1 in self._blocks:
                self._in_sequence += 1
        if self._last is not None and self._in_sequence == self._last:
            self.ack_due = False
            self.result = b"".join(self._blocks[n] for n in range(1, self._last + 1))
            self._blocks.clear()
            return self.result
        # The end of a window (streaming clear), or a last block with gaps before it.
        self.ack_due = not block.streaming or block.last_block
        return None

    def ack(self, *, last_block: bool = True) -> GeneralBlockTransfer:
        """Our acknowledgement: empty block data, ``block_number_ack`` = the highest block
        received in sequence (the sender resends from the one after it).

        ``last_block`` describes our own block stream, which is complete while we only
        receive (the Green Book's streaming example shows the client's acknowledgements
        with the last-block bit set); pass False while a request of ours is still being
        sent in blocks."""
        block = GeneralBlockTransfer(
            last_block=last_block,
            streaming=False,
            window=self.window,
            block_number=self.next_block_number & 0xFFFF,
            block_number_ack=self._in_sequence & 0xFFFF,
        )
        self.next_block_number += 1
        self.ack_due = False
        return block
