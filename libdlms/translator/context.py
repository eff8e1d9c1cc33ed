"""What deciphering an APDU needs, passed explicitly down the translator: the keys and the
sender's system title, as given, and as a capture teaches them (``CaptureContext``)."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, replace

from ..codecs.acse import AARE_TAG, AARQ_TAG, Aare, Aarq
from ..codecs.xdlms import INITIATE_REQUEST_TAG, InitiateRequest
from ..errors import ConfigurationError, DecodeError, SecurityError
from ..security import SecurityKeys, decipher_apdu, is_ciphered


@dataclass(frozen=True, slots=True)
class DescribeContext:
    """``keys`` decipher ciphered APDUs (none: their security header only);
    ``system_title`` is the sender's, which service-specific ciphering needs
    (general-ciphering APDUs carry their own)."""

    keys: SecurityKeys | None = None
    system_title: bytes | None = None

    def with_sender(self, system_title: bytes | None) -> DescribeContext:
        """The system title an enclosing or earlier APDU names (an AARQ's calling AP
        title), unless one was given."""
        if system_title is None or self.system_title is not None:
            return self
        return replace(self, system_title=system_title)

    def with_dedicated_key(self, dedicated_key: bytes | None) -> DescribeContext:
        """The dedicated key an AARQ carried, unless one was given (or no keys were)."""
        if dedicated_key is None or self.keys is None or self.keys.dedicated_key is not None:
            return self
        return replace(self, keys=replace(self.keys, dedicated_key=dedicated_key))


NO_KEYS = DescribeContext()


class CaptureContext:
    """What the association at the start of a capture teaches about its later APDUs: each
    direction's system title (the AARQ's calling AP title, the AARE's responding AP
    title) and the dedicated key, which the AARQ's InitiateRequest carries (deciphered
    with the keys given). What was given wins; a later AARQ starts a new association."""

    def __init__(self, given: DescribeContext) -> None:
        self.given = given
        self._titles: dict[Hashable, bytes] = {}
        self._dedicated_key: bytes | None = None

    def for_direction(self, direction: Hashable) -> DescribeContext:
        sender = self.given.with_sender(self._titles.get(direction))
        return sender.with_dedicated_key(self._dedicated_key)

    def learn(self, direction: Hashable, apdu: bytes) -> None:
        """Take what an AARQ or AARE says. Anything else teaches nothing, nor does an APDU
        that does not decode or decipher (its description says why)."""
        try:
            if apdu[:1] == bytes((AARQ_TAG,)):
                self._learn_aarq(direction, Aarq.decode(apdu))
            elif apdu[:1] == bytes((AARE_TAG,)):
                title = Aare.decode(apdu).responding_ap_title
                if title:
                    self._titles[direction] = title
        except (DecodeError, SecurityError, ConfigurationError):
            return

    def _learn_aarq(self, direction: Hashable, aarq: Aarq) -> None:
        self._dedicated_key = None
        if aarq.calling_ap_title:
            self._titles[direction] = aarq.calling_ap_title
        initiate = aarq.user_information
        if not initiate:
            return
        if is_ciphered(initiate[0]):
            context = self.for_direction(direction)
            if context.keys is None:
                return
            deciphered = decipher_apdu(
                initiate, keys=context.keys, system_title=context.system_title
            )
            initiate = deciphered.plaintext
        if initiate[:1] == bytes((INITIATE_REQUEST_TAG,)):
            self._dedicated_key = InitiateRequest.decode(initiate).dedicated_key
