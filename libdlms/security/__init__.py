"""DLMS/COSEM security: suites 0-2, ciphered APDUs, HLS, key wrap, invocation counters.

Sans-IO: pure functions and small frozen values; nothing here does I/O or keeps a session.
Keys never appear in ``repr()``, ``str()`` or exception messages. Every error is a
``DlmsError``: ``SecurityError`` (configuration: key length vs suite, missing key),
``DecipheringError`` (a tag, HLS response or signature does not verify),
``InvocationCounterError`` (our counter exhausted, or a peer counter that does not increase),
``DecodeError``/``EncodeError`` (malformed APDUs).

Typical client use (``counter`` an ``InvocationCounter`` restored from storage, ``guard`` an
``InvocationCounterGuard``, ``keys = SecurityKeys(ek, ak)``, ``ours``/``theirs`` the client's
and the server's 8-byte system titles; ``control = SecurityControl.for_policy(
"authenticated-encryption", suite=0)``)::

    # AARQ user-information: glo-initiateRequest (0x21) instead of the InitiateRequest
    user_info = cipher_apdu(initiate_request_bytes, kind="glo", control=control,
                            system_title=ours, invocation_counter=counter.next(), keys=keys)
    # plaintext of the AARE's glo-initiateResponse (0x28), server ST from responding-AP-title
    initiate_response = decipher_apdu(aare_user_info, keys=keys, system_title=theirs,
                                      counter_guard=guard).plaintext

    # GET: 0xC0 -> glo-get-request 0xC8; response 0xCC -> plaintext GET-Response 0xC4
    request = cipher_apdu(get_request, kind="glo", control=control, system_title=ours,
                          invocation_counter=counter.next(), keys=keys)
    response = decipher_apdu(reply, keys=keys, system_title=theirs,
                             require_authentication=control.authentication,
                             counter_guard=guard).plaintext

    # HLS-GMAC (mechanism 5)
    params = HlsParameters(Mechanism.HIGH_GMAC, keys=keys, client_system_title=ours,
                           server_system_title=theirs)
    f_stoc = client_response(params, stoc=stoc, ctos=ctos, invocation_counter=counter.next())
    server_ic = verify_server_response(params, f_ctos, stoc=stoc, ctos=ctos)
    guard.accept(theirs, server_ic)

    # translator: any ciphered APDU (general-* carry their own system title)
    parsed = parse_ciphered_apdu(apdu)          # SC, IC, kind without keys
    plain = decipher_apdu(parsed, keys=keys, system_title=theirs_or_none)
"""

from __future__ import annotations

from . import ecdsa
from .ciphering import (
    CIPHERING_KINDS,
    GENERAL_DED_CIPHERING,
    GENERAL_GLO_CIPHERING,
    SERVICE_SPECIFIC,
    CipheredApdu,
    CipheringKind,
    apdu_name,
    cipher_apdu,
    ciphered_tag,
    decipher_apdu,
    is_ciphered,
    parse_ciphered_apdu,
)
from .control import SUITES, SecurityControl, SecurityPolicy
from .counter import IC_MAX, InvocationCounter, InvocationCounterGuard
from .gcm import Deciphered, decrypt, encrypt, make_iv
from .hls import (
    HlsParameters,
    client_response,
    gmac_response,
    md5_response,
    new_challenge,
    sha1_response,
    sha256_response,
    verify_gmac_response,
    verify_server_response,
)
from .keywrap import unwrap_key, wrap_key
from .suite import TAG_LENGTH, SecurityKeys, check_system_title, key_length

__all__ = [
    "CIPHERING_KINDS",
    "GENERAL_DED_CIPHERING",
    "GENERAL_GLO_CIPHERING",
    "IC_MAX",
    "SERVICE_SPECIFIC",
    "SUITES",
    "TAG_LENGTH",
    "CipheredApdu",
    "CipheringKind",
    "Deciphered",
    "HlsParameters",
    "InvocationCounter",
    "InvocationCounterGuard",
    "SecurityControl",
    "SecurityKeys",
    "SecurityPolicy",
    "apdu_name",
    "check_system_title",
    "cipher_apdu",
    "ciphered_tag",
    "client_response",
    "decipher_apdu",
    "decrypt",
    "ecdsa",
    "encrypt",
    "gmac_response",
    "is_ciphered",
    "key_length",
    "make_iv",
    "md5_response",
    "new_challenge",
    "parse_ciphered_apdu",
    "sha1_response",
    "sha256_response",
    "unwrap_key",
    "verify_gmac_response",
    "verify_server_response",
    "wrap_key",
]
