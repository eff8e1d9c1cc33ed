"""High level security passes 3 and 4, the meter's side: check the client's f(StoC), and
answer with f(CtoS), for each HLS mechanism the simulator offers (MD5, SHA-1, SHA-256,
GMAC and ECDSA). Pure functions of the settings and the two challenges."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import TYPE_CHECKING

from libdlms.codecs.acse import Mechanism
from libdlms.errors import SecurityError
from libdlms.security import (
    InvocationCounter,
    ecdsa,
    gmac_response,
    md5_response,
    sha1_response,
    sha256_response,
    verify_gmac_response,
)

if TYPE_CHECKING:
    from .session import ServerSettings


@dataclass(frozen=True, slots=True)
class Challenges:
    """The challenges of one association, and the client's system title (the HLS
    functions of SHA-256, GMAC and ECDSA bind both parties)."""

    ctos: bytes  # the client's, from the AARQ
    stoc: bytes  # ours, from the AARE
    client_system_title: bytes


def verifies(settings: ServerSettings, challenges: Challenges, f_stoc: bytes) -> bool:
    """Whether the client's f(StoC) proves it holds the secret (or key)."""
    secret = settings.password or b""
    client = challenges.client_system_title
    stoc, ctos = challenges.stoc, challenges.ctos
    match settings.mechanism:
        case Mechanism.HIGH_MD5:
            expected = md5_response(stoc, secret)
        case Mechanism.HIGH_SHA1:
            expected = sha1_response(stoc, secret)
        case Mechanism.HIGH_SHA256:
            expected = sha256_response(secret, client, settings.system_title, stoc, ctos)
        case Mechanism.HIGH_GMAC:
            assert settings.keys is not None
            try:
                verify_gmac_response(f_stoc, stoc, keys=settings.keys, system_title=client)
            except SecurityError:
                return False
            return True
        case Mechanism.HIGH_ECDSA:
            assert settings.client_public_key is not None
            signed = client + settings.system_title + stoc + ctos
            try:
                ecdsa.verify(
                    settings.client_public_key, signed, f_stoc, suite=settings.security_suite
                )
            except SecurityError:
                return False
            return True
        case _:
            return False
    return hmac.compare_digest(expected, f_stoc)


def answer(settings: ServerSettings, challenges: Challenges, counter: InvocationCounter) -> bytes:
    """Our f(CtoS); GMAC spends a value of the meter's invocation ``counter``."""
    secret = settings.password or b""
    client = challenges.client_system_title
    stoc, ctos = challenges.stoc, challenges.ctos
    match settings.mechanism:
        case Mechanism.HIGH_MD5:
            return md5_response(ctos, secret)
        case Mechanism.HIGH_SHA1:
            return sha1_response(ctos, secret)
        case Mechanism.HIGH_SHA256:
            return sha256_response(secret, settings.system_title, client, ctos, stoc)
        case Mechanism.HIGH_ECDSA:
            assert settings.server_signing_key is not None
            signed = settings.system_title + client + ctos + stoc
            return ecdsa.sign(settings.server_signing_key, signed, suite=settings.security_suite)
        case _:
            assert settings.keys is not None
            return gmac_response(
                ctos,
                keys=settings.keys,
                system_title=settings.system_title,
                invocation_counter=counter.next(),
                suite=settings.security_suite,
            )
