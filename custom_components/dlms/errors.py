"""What a failed session means to the user: one key per kind of failure, by the library's
exception type, shared by the config flow's form errors, the coordinator's exceptions and the
actions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from .client_factory import is_secured
from .libdlms import (
    AssociationRejected,
    AuthenticationFailed,
    CommunicationError,
    ConfigurationError,
    DecipheringError,
    DecipheringRefused,
    DlmsError,
    InvocationCounterError,
    NoLinkError,
)

# Session error keys (config flow errors) -> exception translation keys. Rejected secrets
# and keys need the user (reauth), and so do settings that cannot work (a setup error: a
# retry would fail the same way); the rest is retried.
AUTH_FAILED_EXCEPTIONS: Final[dict[str, str]] = {
    "invalid_auth": "authentication_failed",
    "decryption_failed": "decryption_failed",
}
SETUP_ERROR_EXCEPTIONS: Final[dict[str, str]] = {"invalid_settings": "invalid_settings"}
UPDATE_FAILED_EXCEPTIONS: Final[dict[str, str]] = {
    "no_answer": "no_answer",
    "association_rejected": "association_rejected",
    "invocation_counter": "invocation_counter",
    "cannot_connect": "communication_error",
    "unexpected_answer": "communication_error",
}
SESSION_ERRORS: Final = (
    frozenset(AUTH_FAILED_EXCEPTIONS)
    | frozenset(SETUP_ERROR_EXCEPTIONS)
    | frozenset(UPDATE_FAILED_EXCEPTIONS)
)

# The first type that matches decides; subclasses come before their bases.
# InvocationCounterRefused (the meter's word) is an InvocationCounterError (our own check);
# DecipheringRefused (the meter could not decipher us) goes with DecipheringError (we could
# not decipher the meter). Anything else the meter did (DecodeError, RemoteProtocolError,
# ServiceError, DataAccessError...) is an unexpected answer.
_KEYS: Final[tuple[tuple[type[DlmsError], str], ...]] = (
    (ConfigurationError, "invalid_settings"),
    (AuthenticationFailed, "invalid_auth"),
    (InvocationCounterError, "invocation_counter"),
    (DecipheringError, "decryption_failed"),
    (DecipheringRefused, "decryption_failed"),
    (AssociationRejected, "association_rejected"),
    (NoLinkError, "no_answer"),
    (CommunicationError, "cannot_connect"),
)


def error_key(err: DlmsError, data: Mapping[str, Any]) -> str:
    """The translation key (config flow error and exception) for a failed session."""
    key = next((key for kind, key in _KEYS if isinstance(err, kind)), "unexpected_answer")
    if key == "association_rejected" and is_secured(data):
        # A secured meter refuses an AARQ it cannot decipher or authenticate.
        return "decryption_failed"
    return key
