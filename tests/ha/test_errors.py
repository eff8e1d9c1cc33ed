"""What a failed session means to the user, by the library's exception type, without Home
Assistant running: one key per kind, shared by the flows' form errors, the coordinator's
exceptions and the actions."""

from __future__ import annotations

import pytest

from custom_components.dlms.errors import SESSION_ERRORS, error_key
from custom_components.dlms.libdlms import (
    AssociationRejected,
    AuthenticationFailed,
    CommunicationError,
    ConfigurationError,
    DataAccessError,
    DecipheringError,
    DecipheringRefused,
    DecodeError,
    DlmsError,
    DlmsTimeoutError,
    InvocationCounterError,
    InvocationCounterRefused,
    NoLinkError,
    RemoteProtocolError,
    ServiceError,
)

PLAIN = {"authentication": "none"}
SECURED = {"authentication": "none", "security_policy": "encryption"}


@pytest.mark.parametrize(
    ("err", "key"),
    [
        (ConfigurationError("lls needs a password"), "invalid_settings"),
        (AuthenticationFailed("no", result=1, diagnostic=13), "invalid_auth"),
        (AssociationRejected("no", result=1, diagnostic=1), "association_rejected"),
        (InvocationCounterError("exhausted"), "invocation_counter"),
        (InvocationCounterRefused("too low", service_error=6), "invocation_counter"),
        (DecipheringError("tag"), "decryption_failed"),
        (DecipheringRefused("no", service_error=5), "decryption_failed"),
        (NoLinkError("silence"), "no_answer"),
        (DlmsTimeoutError("late"), "cannot_connect"),
        (CommunicationError("gone"), "cannot_connect"),
        (DecodeError("garbage"), "unexpected_answer"),
        (RemoteProtocolError("out of turn"), "unexpected_answer"),
        (ServiceError("refused", state_error=1), "unexpected_answer"),
        (DataAccessError("undefined", result=4), "unexpected_answer"),
        (DlmsError("anything else"), "unexpected_answer"),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else value,
)
def test_error_keys(err: DlmsError, key: str) -> None:
    assert error_key(err, PLAIN) == key
    assert key in SESSION_ERRORS


def test_a_secured_meter_refusing_the_association_means_the_keys() -> None:
    """A secured meter refuses an AARQ it cannot decipher or authenticate as a plain
    rejection: for the user that is a key problem (reauth), not an addressing one."""
    rejected = AssociationRejected("no", result=1, diagnostic=1)
    assert error_key(rejected, SECURED) == "decryption_failed"
    refused = AuthenticationFailed("no", result=1, diagnostic=13)
    assert error_key(refused, SECURED) == "invalid_auth"
