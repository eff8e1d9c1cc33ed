"""One exception hierarchy for the whole library, arranged by what a caller does about it.

::

    DlmsError
    ├── ConfigurationError        settings that cannot work (fix them; raised before any I/O)
    ├── EncodeError               a value that does not fit its type on the wire
    ├── DecodeError               bytes that do not decode
    │   └── FrameError            a link frame (HDLC, M-Bus) malformed or failing its checks
    ├── ProtocolError             a rule of the protocol broken
    │   ├── LocalProtocolError    by us: a call the state machine does not allow (a bug)
    │   └── RemoteProtocolError   by the meter: an answer the state does not allow
    ├── CommunicationError        the link failed: port missing, connection lost
    │   └── DlmsTimeoutError      the meter did not answer in time
    │       └── NoLinkError       nobody answered the connection request (SNRM)
    ├── AssociationRejected       the meter refused the association (AARE)
    │   └── AuthenticationFailed  the password, secret or keys were wrong
    ├── DataAccessError           a GET or SET answered with a data-access-result
    ├── ActionError               an ACTION answered with an action-result
    ├── ServiceError              the meter refused a request (exception-response,
    │   │                         confirmed-service-error), with the standard's codes
    │   ├── DecipheringRefused    ... because it could not decipher or authenticate it
    │   └── InvocationCounterRefused ... because our invocation counter was too low
    └── SecurityError             a security check failed here
        ├── KeyRequired           ciphered push data and no key given
        ├── DecipheringError      a tag, f(CtoS) or signature does not verify
        │   ├── WrongEncryptionKey        pushed frames the key does not decipher
        │   └── AuthenticationTagMismatch deciphered, but the tag fails (the AK)
        └── InvocationCounterError a counter that cannot be used (or a push
                                  frame counter that went back)

``DecipheringRefused`` is also a ``SecurityError`` and ``InvocationCounterRefused`` also an
``InvocationCounterError``: the meter's word and our own check mean the same to a caller.
Messages never contain key material or passwords.
"""

from __future__ import annotations


class DlmsError(Exception):
    """Base class of every error raised by libdlms."""


class ConfigurationError(DlmsError, ValueError):
    """Settings that cannot work, found before any I/O: a key of the wrong length for the
    suite, a mechanism without its secret, an address that does not fit its size."""


class DecodeError(DlmsError):
    """Bytes that do not decode: truncated, lying lengths, unknown tags."""


class EncodeError(DlmsError):
    """A value that cannot be encoded (out of range, wrong type)."""


class FrameError(DecodeError):
    """A link-layer frame (HDLC, M-Bus) that is malformed or fails its checks."""


class ProtocolError(DlmsError):
    """A rule of the protocol was broken; the subclass says by whom."""


class LocalProtocolError(ProtocolError):
    """We were asked to do something the protocol state does not allow (a caller's bug)."""


class RemoteProtocolError(ProtocolError):
    """The meter did something the protocol state does not allow."""


class AssociationRejected(DlmsError):
    """The meter answered the AARQ with a rejection."""

    def __init__(self, message: str, *, result: int, diagnostic: int | None) -> None:
        super().__init__(message)
        self.result = result
        self.diagnostic = diagnostic


class AuthenticationFailed(AssociationRejected):
    """The meter rejected our credentials (wrong LLS password or HLS secret)."""


class DataAccessError(DlmsError):
    """The meter answered a GET or SET with a data-access-result other than success."""

    def __init__(self, message: str, *, result: int) -> None:
        super().__init__(message)
        self.result = result


class ActionError(DlmsError):
    """The meter answered an ACTION with an action-result other than success (``result``:
    the standard's code, e.g. 3 read-write-denied, 11 object-unavailable)."""

    def __init__(self, message: str, *, result: int) -> None:
        super().__init__(message)
        self.result = result


class ServiceError(DlmsError):
    """The meter refused a request. An Exception-Response carries ``state_error``
    (1 service-not-allowed, 2 service-unknown) and ``service_error`` (1 operation-not-possible,
    2 service-not-supported, 3 other-reason, 4 pdu-too-long, 5 deciphering-error,
    6 invocation-counter-error, then with the meter's ``invocation_counter``); a
    Confirmed-Service-Error carries ``confirmed_service``, ``error_class`` (the ServiceError
    CHOICE: 6 initiate, 5 access, …) and ``error``. Fields the answer does not have are None."""

    def __init__(
        self,
        message: str,
        *,
        state_error: int | None = None,
        service_error: int | None = None,
        invocation_counter: int | None = None,
        confirmed_service: int | None = None,
        error_class: int | None = None,
        error: int | None = None,
    ) -> None:
        super().__init__(message)
        self.state_error = state_error
        self.service_error = service_error
        self.invocation_counter = invocation_counter
        self.confirmed_service = confirmed_service
        self.error_class = error_class
        self.error = error


class CommunicationError(DlmsError):
    """The link failed: port missing, connection refused or lost, meter silent."""


class DlmsTimeoutError(CommunicationError, TimeoutError):
    """The meter did not answer in time."""


class NoLinkError(DlmsTimeoutError):
    """Nobody answered the connection request (SNRM): wrong port, baud rate, probe
    orientation or server address."""


class SecurityError(DlmsError):
    """A security failure found here: a ciphered APDU that cannot be handled (compression,
    a counter outside 32 bits, a challenge or system title the meter did not send). Keys
    missing or of the wrong length are a ``ConfigurationError``."""


class DecipheringError(SecurityError):
    """An authentication check failed: a GCM/GMAC tag, an HLS f(CtoS) response or an ECDSA
    signature does not verify (wrong key, wrong system title or tampered bytes), or a wrapped
    key does not unwrap."""


class InvocationCounterError(SecurityError):
    """An invocation counter that cannot be used: the client counter is exhausted (2^32-1
    used), or the peer sent a counter not above the last one accepted from it."""


class DecipheringRefused(ServiceError, SecurityError):
    """The meter could not decipher or authenticate our request (exception-response
    deciphering-error): the keys, the suite or the system title differ from the meter's."""


class InvocationCounterRefused(ServiceError, InvocationCounterError):
    """The meter refused our invocation counter as too low (exception-response
    invocation-counter-error); ``invocation_counter`` is the one it expects, when it says."""


class KeyRequired(SecurityError):
    """A ciphered notification arrived and no encryption key was given."""


class WrongEncryptionKey(DecipheringError):
    """The encryption key does not decipher the meter's frames: the plaintext it gives has
    no structure (found without a tag to check, or confirmed after a tag failed)."""


class AuthenticationTagMismatch(DecipheringError):
    """The encryption key deciphers the frames but their authentication tag does not verify:
    the authentication key is wrong, or the meter does not use the one given."""
