"""What deciphering an APDU needs, passed explicitly down the translator: the keys and the
sender's system title."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..security import SecurityKeys


@dataclass(frozen=True, slots=True)
class DescribeContext:
    """``keys`` decipher ciphered APDUs (none: their security header only);
    ``system_title`` is the sender's, which service-specific ciphering needs
    (general-ciphering APDUs carry their own)."""

    keys: SecurityKeys | None = None
    system_title: bytes | None = None

    def with_sender(self, system_title: bytes | None) -> DescribeContext:
        """The system title an enclosing APDU names (an AARQ's calling AP title for the
        InitiateRequest inside it), unless one was given."""
        if system_title is None or self.system_title is not None:
            return self
        return replace(self, system_title=system_title)


NO_KEYS = DescribeContext()
