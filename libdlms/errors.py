"""One exception hierarchy for the whole library.

Callers (the Home Assistant glue, the command line) catch ``DlmsError`` and map its
subclasses to user-facing messages; nothing else should escape the library. Messages
never contain key material or passwords.
"""

from __future__ import annotations


class DlmsError(Exception):
    """Base class of every error raised by libdlms."""


class DecodeError(DlmsError):
    """Bytes that do not decode: truncated, lying lengths, unknown tags."""


class EncodeError(DlmsError):
    """A value that cannot be encoded (out of range, wrong type)."""


class FrameError(DecodeError):
    """An HDLC frame that is malformed or fails its header/frame check."""


class ProtocolError(DlmsError):
    """The peer did something the protocol state does not allow."""


class LocalProtocolError(ProtocolError):
    """We were asked to do something the protocol state does not allow."""


class AssociationRejected(DlmsError):
    """The meter answered the AARQ with a rejection."""

    def __init__(self, message: str, *, result: int, diagnostic: int | None) -> None:
        super().__init__(message)
        self.result = result
        self.diagnostic = diagnostic


class AuthenticationFailed(AssociationRejected):
    """The meter rejected our credentials (wrong LLS password or HLS secret)."""


class DataAccessError(DlmsError):
    """The meter answered a GET with a data-access-result other than success."""

    def __init__(self, message: str, *, result: int) -> None:
        super().__init__(message)
        self.result = result


class ServiceError(DlmsError):
    """The meter answered with an Exception-Response or Confirmed-Service-Error."""


class CommunicationError(DlmsError):
    """The link failed: port missing, connection refused or lost, meter silent."""


class DlmsTimeoutError(CommunicationError, TimeoutError):
    """The meter did not answer in time."""


class SecurityError(DlmsError):
    """A security misconfiguration or failure: wrong key length for the suite, a missing key,
    an unsupported security control. Messages name the problem, never the key material."""


class DecipheringError(SecurityError):
    """An authentication check failed: a GCM/GMAC tag, an HLS f(CtoS) response or an ECDSA
    signature does not verify (wrong key, wrong system title or tampered bytes), or a wrapped
    key does not unwrap."""


class InvocationCounterError(SecurityError):
    """An invocation counter that cannot be used: the client counter is exhausted (2^32-1
    used), or the peer sent a counter not above the last one accepted from it."""


class NoLinkError(DlmsTimeoutError):
    """Nobody answered the connection request (SNRM): wrong port, baud rate, probe
    orientation or server address."""
