"""ECDSA for security suites 1 (P-256, SHA-256) and 2 (P-384, SHA-384).

DLMS carries signatures as the raw concatenation ``r ‖ s`` (each the curve's field size:
32 bytes for P-256, 48 for P-384), not as DER.
"""

from __future__ import annotations

from typing import Final

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from ..errors import ConfigurationError, DecipheringError

_CURVES: Final[dict[int, tuple[type[ec.EllipticCurve], type[hashes.HashAlgorithm], int]]] = {
    1: (ec.SECP256R1, hashes.SHA256, 32),
    2: (ec.SECP384R1, hashes.SHA384, 48),
}
_NAMES: Final = {1: "secp256r1 (P-256)", 2: "secp384r1 (P-384)"}


def _suite(suite: int, curve: ec.EllipticCurve) -> tuple[hashes.HashAlgorithm, int]:
    entry = _CURVES.get(suite)
    if entry is None:
        raise ConfigurationError(
            f"security suite {suite} has no digital signature (only suites 1 and 2)"
        )
    curve_type, hash_type, size = entry
    if not isinstance(curve, curve_type):
        raise ConfigurationError(
            f"security suite {suite} signs with {_NAMES[suite]}, not with {curve.name}"
        )
    return hash_type(), size


def generate_private_key(suite: int) -> ec.EllipticCurvePrivateKey:
    """A fresh signing key on the suite's curve (tests, simulators)."""
    entry = _CURVES.get(suite)
    if entry is None:
        raise ConfigurationError(
            f"security suite {suite} has no digital signature (only suites 1 and 2)"
        )
    return ec.generate_private_key(entry[0]())


def sign(private_key: ec.EllipticCurvePrivateKey, data: bytes, *, suite: int) -> bytes:
    """``r ‖ s`` over ``data`` with the suite's hash."""
    algorithm, size = _suite(suite, private_key.curve)
    r, s = decode_dss_signature(private_key.sign(data, ec.ECDSA(algorithm)))
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def verify(
    public_key: ec.EllipticCurvePublicKey, data: bytes, signature: bytes, *, suite: int
) -> None:
    """Raise ``DecipheringError`` unless ``signature`` (``r ‖ s``) signs ``data``."""
    algorithm, size = _suite(suite, public_key.curve)
    if len(signature) != 2 * size:
        raise DecipheringError(
            f"signature of {len(signature)} bytes; suite {suite} signatures are {2 * size}"
        )
    r = int.from_bytes(signature[:size], "big")
    s = int.from_bytes(signature[size:], "big")
    try:
        public_key.verify(encode_dss_signature(r, s), data, ec.ECDSA(algorithm))
    except InvalidSignature:
        raise DecipheringError("the signature does not verify") from None


def load_private_key(pem: str, *, suite: int) -> ec.EllipticCurvePrivateKey:
    """The client's signing key from PEM (PKCS#8 or SEC 1), on the suite's curve; a key that
    does not load, is not EC, or is on another curve raises ``ConfigurationError``."""
    try:
        key = serialization.load_pem_private_key(pem.strip().encode(), password=None)
    except (ValueError, TypeError) as err:
        raise ConfigurationError(f"not a PEM private key without a password: {err}") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ConfigurationError("the private key is not an elliptic-curve key")
    _suite(suite, key.curve)
    return key


def load_public_key(pem: str, *, suite: int) -> ec.EllipticCurvePublicKey:
    """The meter's public key from PEM: a public key or an X.509 certificate, on the
    suite's curve; anything else raises ``ConfigurationError``."""
    data = pem.strip().encode()
    key: object
    try:
        if b"CERTIFICATE" in data:
            key = x509.load_pem_x509_certificate(data).public_key()
        else:
            key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as err:
        raise ConfigurationError(f"not a PEM public key or certificate: {err}") from None
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise ConfigurationError("the meter's key is not an elliptic-curve key")
    _suite(suite, key.curve)
    return key
