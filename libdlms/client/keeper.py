"""An association kept open between polls, re-made transparently when the meter has
dropped it.

Opening a session costs a 9600-baud link four round trips (SNRM, AARQ, and RLRQ and DISC
at the end); keeping it open saves them on every poll. Meters drop idle associations
(their inactivity timeout, a reboot, another client on the port), and the next request
then meets DM, an exception-response or silence. The keeper closes what is left, opens a
new session and runs the same operation once more; a second failure is the caller's.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from ..errors import CommunicationError, ServiceError
from .client import DlmsClient

_LOGGER = logging.getLogger(__name__)
_T = TypeVar("_T")


class KeptSession:
    def __init__(self, make_client: Callable[[], DlmsClient]) -> None:
        self._make_client = make_client
        self._client: DlmsClient | None = None
        self.reopened = 0  # sessions re-made after the meter dropped one

    @property
    def is_open(self) -> bool:
        return self._client is not None

    async def run(self, operation: Callable[[DlmsClient], Awaitable[_T]]) -> _T:
        """Run ``operation`` on the open session, opening one first when needed."""
        if self._client is None:
            return await operation(await self._open())
        try:
            return await operation(self._client)
        except (CommunicationError, ServiceError) as err:
            _LOGGER.debug("the kept session failed (%s); opening a new one", err)
            await self.close()
            self.reopened += 1
            return await operation(await self._open())

    async def _open(self) -> DlmsClient:
        client = self._make_client()
        await client.open()  # closes the port itself when it fails
        self._client = client
        return client

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.close()
