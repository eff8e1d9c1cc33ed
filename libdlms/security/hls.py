"""High Level Security authentication, mechanisms 3-7 (Green Book 9.2.7.4, "Authentication
mechanisms"; HLS pass 3 and 4).

1. The client sends CtoS (8-64 random bytes) in the AARQ; the AARE carries StoC and the
   server's system title (responding-AP-title).
2. The client invokes method 1 (reply_to_HLS_authentication) of the current Association LN
   (class 15, 0-0:40.0.0.255) with f(StoC) as an octet-string: ``client_response``.
3. The action response returns f(CtoS) as an octet-string: ``verify_server_response``.

The functions f, with STc/STs the client's/server's system titles:

- 3 MD5: f(StoC) = MD5(StoC ‖ secret); f(CtoS) = MD5(CtoS ‖ secret).
- 4 SHA-1: f(StoC) = SHA-1(StoC ‖ secret); f(CtoS) = SHA-1(CtoS ‖ secret).
- 5 GMAC: f(StoC) = SC ‖ IC ‖ GMAC(SC ‖ AK ‖ StoC) with IV = STc ‖ IC (the client's IC);
  f(CtoS) = SC ‖ IC ‖ GMAC(SC ‖ AK ‖ CtoS) with IV = STs ‖ IC (the server's IC).
- 6 SHA-256: f(StoC) = SHA-256(secret ‖ STc ‖ STs ‖ StoC ‖ CtoS);
  f(CtoS) = SHA-256(secret ‖ STs ‖ STc ‖ CtoS ‖ StoC).
- 7 ECDSA: f(StoC) = ECDSA-sign(client key, STc ‖ STs ‖ StoC ‖ CtoS);
  f(CtoS) = ECDSA-sign(server key, STs ‖ STc ‖ CtoS ‖ StoC).

GMAC uses the global unicast encryption key EK as the block cipher key and SC = 0x10 | suite
(authentication only); the 12-byte tag is the last part. Mechanism 6 follows the Green Book
(as Gurux implements it). jDLMS computes SHA-256(StoC ‖ secret) instead - a meter built
against that variant will reject our f(StoC); it is not supported here. Mechanism 7 signs
with P-256/SHA-256 (suite 1) or P-384/SHA-384 (suite 2), signatures as raw ``r ‖ s``.

Sources checked: the Green Book tables as reproduced by the HLS-GMAC vectors (Green Book
Table 43, in dlms-cosem and jDLMS tests), Gurux.DLMS.Net GXDLMSAssociationLogicalName.
ReplyToHlsAuthentication and GXSecure.Secure (SHA-256 and ECDSA concatenation orders).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Final

from cryptography.hazmat.primitives.asymmetric import ec

from ..codecs.acse import Mechanism
from ..errors import ConfigurationError, DecipheringError, SecurityError
from . import ecdsa
from .control import SecurityControl
from .gcm import HEADER_LENGTH, check_invocation_counter, gmac_tag, make_iv, verify_gmac_tag
from .suite import TAG_LENGTH, SecurityKeys, check_system_title

CHALLENGE_MIN: Final = 8
CHALLENGE_MAX: Final = 64
DEFAULT_CHALLENGE_LENGTH: Final = 16  # dlms-cosem uses 32; some meters (TI-based) accept only 16


def new_challenge(length: int = DEFAULT_CHALLENGE_LENGTH) -> bytes:
    """A fresh CtoS: ``length`` (8-64) bytes from the operating system's CSPRNG."""
    if not CHALLENGE_MIN <= length <= CHALLENGE_MAX:
        raise ConfigurationError(
            f"an HLS challenge is {CHALLENGE_MIN}-{CHALLENGE_MAX} bytes, not {length}"
        )
    return secrets.token_bytes(length)


# ------------------------------------------------------------------------- the functions f


def md5_response(challenge: bytes, secret: bytes) -> bytes:
    """Mechanism 3: MD5(challenge ‖ secret)."""
    return hashlib.md5(challenge + secret, usedforsecurity=True).digest()


def sha1_response(challenge: bytes, secret: bytes) -> bytes:
    """Mechanism 4: SHA-1(challenge ‖ secret)."""
    return hashlib.sha1(challenge + secret, usedforsecurity=True).digest()


def sha256_response(
    secret: bytes,
    own_system_title: bytes,
    peer_system_title: bytes,
    received_challenge: bytes,
    sent_challenge: bytes,
) -> bytes:
    """Mechanism 6 (Green Book): SHA-256(secret ‖ own ST ‖ peer ST ‖ challenge received ‖
    challenge sent). For the client's f(StoC): own = STc, peer = STs, received = StoC,
    sent = CtoS."""
    return hashlib.sha256(
        secret + own_system_title + peer_system_title + received_challenge + sent_challenge
    ).digest()


def gmac_response(
    challenge: bytes,
    *,
    keys: SecurityKeys,
    system_title: bytes,
    invocation_counter: int,
    suite: int = 0,
) -> bytes:
    """Mechanism 5: SC ‖ IC ‖ GMAC tag, SC = 0x10 | suite, IV = system_title ‖ IC, AAD =
    SC ‖ AK ‖ challenge. ``system_title`` and ``invocation_counter`` are the computing side's:
    the client's for f(StoC)."""
    control = SecurityControl(suite=suite, authentication=True, encryption=False)
    iv = make_iv(system_title, invocation_counter)
    key = keys.cipher_key(control)
    ak = keys.auth_key(suite)
    sc = bytes((control.to_byte(),))
    return sc + invocation_counter.to_bytes(4, "big") + gmac_tag(key, iv, sc + ak + challenge)


def verify_gmac_response(
    response: bytes,
    challenge: bytes,
    *,
    keys: SecurityKeys,
    system_title: bytes,
) -> int:
    """Check a mechanism-5 response computed by the peer with ``system_title`` (the server's,
    for f(CtoS)); return the peer's invocation counter it carried. ``DecipheringError`` when
    it does not verify."""
    check_system_title(system_title, what="peer's system title")
    if len(response) != HEADER_LENGTH + TAG_LENGTH:
        raise DecipheringError(
            f"an HLS-GMAC response is {HEADER_LENGTH + TAG_LENGTH} bytes, not {len(response)}"
        )
    control = SecurityControl.from_byte(response[0])
    if not control.authentication or control.encryption or control.compression:
        raise DecipheringError(
            f"an HLS-GMAC response has security control 0x1s, not 0x{response[0]:02X}"
        )
    invocation_counter = int.from_bytes(response[1:HEADER_LENGTH], "big")
    key = keys.cipher_key(control)
    ak = keys.auth_key(control.suite)
    verify_gmac_tag(
        key,
        make_iv(system_title, invocation_counter),
        response[:1] + ak + challenge,
        response[HEADER_LENGTH:],
    )
    return invocation_counter


# ------------------------------------------------------------------------- one exchange


def _hidden(value: object) -> str:
    if value is None:
        return "None"
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return "<set>"


@dataclass(frozen=True, slots=True, repr=False)
class HlsParameters:
    """What one client needs for an HLS mechanism. Which fields are required:

    - MD5, SHA-1: ``secret``.
    - GMAC: ``keys`` (EK and AK), ``client_system_title``, ``server_system_title``, ``suite``.
    - SHA-256: ``secret``, both system titles.
    - ECDSA: ``client_signing_key``, ``server_public_key``, both system titles, ``suite``
      1 or 2.

    ``repr()`` hides the secret and keys.
    """

    mechanism: Mechanism
    secret: bytes | None = None
    keys: SecurityKeys | None = None
    client_system_title: bytes | None = None
    server_system_title: bytes | None = None
    suite: int = 0
    client_signing_key: ec.EllipticCurvePrivateKey | None = None
    server_public_key: ec.EllipticCurvePublicKey | None = None

    def __repr__(self) -> str:
        titles = (
            None if t is None else t.hex().upper()
            for t in (self.client_system_title, self.server_system_title)
        )
        client_st, server_st = titles
        return (
            f"HlsParameters(mechanism={self.mechanism.cli_name}, secret={_hidden(self.secret)}, "
            f"keys={self.keys!r}, client_system_title={client_st}, "
            f"server_system_title={server_st}, suite={self.suite}, "
            f"client_signing_key={_hidden(self.client_signing_key)}, "
            f"server_public_key={_hidden(self.server_public_key)})"
        )

    __str__ = __repr__

    def _secret(self) -> bytes:
        if not self.secret:
            raise ConfigurationError(f"{self.mechanism.cli_name} needs the HLS secret")
        return self.secret

    def _keys(self) -> SecurityKeys:
        if self.keys is None:
            raise ConfigurationError("HLS GMAC needs the encryption and authentication keys")
        return self.keys

    def _titles(self) -> tuple[bytes, bytes]:
        client, server = self.client_system_title, self.server_system_title
        if client is None or server is None:
            raise SecurityError(
                f"{self.mechanism.cli_name} needs the client's and the server's system titles"
            )
        check_system_title(client, what="client system title")
        check_system_title(server, what="server system title")
        return client, server


def _check_challenges(stoc: bytes, ctos: bytes) -> None:
    if not stoc:
        raise SecurityError("the server sent no challenge (StoC)")
    if not CHALLENGE_MIN <= len(ctos) <= CHALLENGE_MAX:
        raise ConfigurationError(f"CtoS is {CHALLENGE_MIN}-{CHALLENGE_MAX} bytes, not {len(ctos)}")


def client_response(
    params: HlsParameters,
    *,
    stoc: bytes,
    ctos: bytes,
    invocation_counter: int | None = None,
) -> bytes:
    """f(StoC): the octet-string to send as the parameter of reply_to_HLS_authentication.

    ``invocation_counter`` (GMAC only) is a fresh value of the client counter
    (``counter.next()``): it is carried in the response and must not be reused.
    """
    _check_challenges(stoc, ctos)
    match params.mechanism:
        case Mechanism.HIGH_MD5:
            return md5_response(stoc, params._secret())
        case Mechanism.HIGH_SHA1:
            return sha1_response(stoc, params._secret())
        case Mechanism.HIGH_SHA256:
            secret = params._secret()
            client, server = params._titles()
            return sha256_response(secret, client, server, stoc, ctos)
        case Mechanism.HIGH_GMAC:
            client, _ = params._titles()
            if invocation_counter is None:
                raise ConfigurationError("HLS GMAC needs the client's invocation counter")
            check_invocation_counter(invocation_counter)
            return gmac_response(
                stoc,
                keys=params._keys(),
                system_title=client,
                invocation_counter=invocation_counter,
                suite=params.suite,
            )
        case Mechanism.HIGH_ECDSA:
            client, server = params._titles()
            if params.client_signing_key is None:
                raise ConfigurationError("HLS ECDSA needs the client's signing key")
            return ecdsa.sign(
                params.client_signing_key, client + server + stoc + ctos, suite=params.suite
            )
    raise ConfigurationError(
        f"authentication mechanism {params.mechanism.cli_name} is not supported"
    )


def verify_server_response(
    params: HlsParameters,
    response: bytes,
    *,
    stoc: bytes,
    ctos: bytes,
) -> int | None:
    """Check f(CtoS) from the ACTION response's return parameter. Returns the server's
    invocation counter for GMAC (feed it to an ``InvocationCounterGuard``), else None.

    Raises ``DecipheringError`` when the server did not prove knowledge of the secret or
    keys: the association must then be released, not used.
    """
    _check_challenges(stoc, ctos)
    expected: bytes
    match params.mechanism:
        case Mechanism.HIGH_MD5:
            expected = md5_response(ctos, params._secret())
        case Mechanism.HIGH_SHA1:
            expected = sha1_response(ctos, params._secret())
        case Mechanism.HIGH_SHA256:
            client, server = params._titles()
            expected = sha256_response(params._secret(), server, client, ctos, stoc)
        case Mechanism.HIGH_GMAC:
            _, server = params._titles()
            return verify_gmac_response(response, ctos, keys=params._keys(), system_title=server)
        case Mechanism.HIGH_ECDSA:
            client, server = params._titles()
            if params.server_public_key is None:
                raise ConfigurationError("HLS ECDSA needs the server's public signing key")
            ecdsa.verify(
                params.server_public_key,
                server + client + ctos + stoc,
                response,
                suite=params.suite,
            )
            return None
        case _:
            raise ConfigurationError(
                f"authentication mechanism {params.mechanism.cli_name} is not supported"
            )
    if not hmac.compare_digest(expected, response):
        raise DecipheringError(f"the meter's HLS {params.mechanism.name} response does not verify")
    return None
