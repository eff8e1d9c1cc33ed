"""From a config entry's settings to a library client, and what the meter says about itself.

Everything that opens a session (the coordinator, the config flow's connection test, the
actions) builds its client here, so an entry is read the same way everywhere, and takes the
port's lock here, so only one session at a time uses a port (an RS-485 bus shared by several
entries, one optical head moved between meters).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from homeassistant.const import CONF_PASSWORD, CONF_PORT
from homeassistant.core import HomeAssistant
from homeassistant.util.hass_dict import HassKey

from .const import (
    ADDRESS_SIZE_AUTO,
    AUTH_HLS_ECDSA,
    AUTH_HLS_GMAC,
    AUTH_HLS_SHA256,
    AUTH_NONE,
    BAUDRATE,
    CONF_ADDRESS_SIZE,
    CONF_AUTHENTICATION,
    CONF_AUTHENTICATION_KEY,
    CONF_BAUDRATE,
    CONF_CLIENT_ADDRESS,
    CONF_CLIENT_PRIVATE_KEY,
    CONF_ENCRYPTION_KEY,
    CONF_MODE_E,
    CONF_SECURITY_POLICY,
    CONF_SECURITY_SUITE,
    CONF_SERVER_LOGICAL_ADDRESS,
    CONF_SERVER_PHYSICAL_ADDRESS,
    CONF_SERVER_PUBLIC_KEY,
    CONF_SYSTEM_TITLE,
    DOMAIN,
    POLICY_NONE,
    PUBLIC_CLIENT_ADDRESS,
    RESPONSE_TIMEOUT,
)
from .libdlms import (
    ClientSettings,
    DlmsClient,
    InvocationCounter,
    InvocationCounterGuard,
    Mechanism,
    SecurityKeys,
    SecurityPolicy,
    Transport,
    ecdsa_private_key_from_pem,
    ecdsa_public_key_from_pem,
    manufacturer_name,
    normalize_url,
    transport_for_url,
)
from .libdlms import read_identity as read_meter_identity

DATA_PORT_LOCKS: HassKey[dict[str, asyncio.Lock]] = HassKey(f"{DOMAIN}_port_locks")


def port_lock(hass: HomeAssistant, port: str) -> asyncio.Lock:
    """One session at a time per port, across config entries and config flows."""
    locks = hass.data.setdefault(DATA_PORT_LOCKS, {})
    return locks.setdefault(normalize_url(port), asyncio.Lock())


def uses_invocation_counter(data: Mapping[str, Any]) -> bool:
    """Whether sessions with these settings consume the client's invocation counter:
    ciphered APDUs (any security policy) and HLS-GMAC's authentication tag."""
    return (
        data.get(CONF_SECURITY_POLICY, POLICY_NONE) != POLICY_NONE
        or data.get(CONF_AUTHENTICATION) == AUTH_HLS_GMAC
    )


def is_secured(data: Mapping[str, Any]) -> bool:
    """Whether these settings use keys or a system title (the security step was shown)."""
    return uses_invocation_counter(data) or data.get(CONF_AUTHENTICATION) in (
        AUTH_HLS_SHA256,
        AUTH_HLS_ECDSA,
    )


def _hex(data: Mapping[str, Any], key: str) -> bytes | None:
    text = data.get(key)
    return bytes.fromhex(text) if text else None


def security_keys(data: Mapping[str, Any]) -> SecurityKeys | None:
    """The entry's EK and AK (hex in the entry), or None without an EK."""
    encryption_key = _hex(data, CONF_ENCRYPTION_KEY)
    if encryption_key is None:
        return None
    return SecurityKeys(encryption_key, _hex(data, CONF_AUTHENTICATION_KEY))


def signing_key(data: Mapping[str, Any]) -> ec.EllipticCurvePrivateKey | None:
    """The client's HLS-ECDSA signing key (PEM in the entry), or None."""
    pem = data.get(CONF_CLIENT_PRIVATE_KEY)
    suite = int(data.get(CONF_SECURITY_SUITE, 1))
    return ecdsa_private_key_from_pem(pem, suite=suite) if pem else None


def meter_public_key(data: Mapping[str, Any]) -> ec.EllipticCurvePublicKey | None:
    """The meter's HLS-ECDSA public key (PEM key or certificate in the entry), or None."""
    pem = data.get(CONF_SERVER_PUBLIC_KEY)
    suite = int(data.get(CONF_SECURITY_SUITE, 1))
    return ecdsa_public_key_from_pem(pem, suite=suite) if pem else None


def client_settings(data: Mapping[str, Any], *, public: bool = False) -> ClientSettings:
    """The library's settings for an entry. ``public``: the public client (16) without any
    security, which reads the meter's invocation counter before a secured session. A 1-byte
    server address has no physical part, so the physical address is ignored then."""
    size_text = data.get(CONF_ADDRESS_SIZE, ADDRESS_SIZE_AUTO)
    address_size = None if size_text == ADDRESS_SIZE_AUTO else int(size_text)
    authentication = AUTH_NONE if public else data.get(CONF_AUTHENTICATION, AUTH_NONE)
    mechanism = Mechanism.from_name(authentication)
    password = data.get(CONF_PASSWORD) if mechanism.needs_secret else None
    return ClientSettings(
        mode_e=bool(data.get(CONF_MODE_E, False)),
        # With mode E the line starts at 300 Bd and this is the fastest speed accepted.
        mode_e_max_baudrate=int(data.get(CONF_BAUDRATE, BAUDRATE)),
        client_address=PUBLIC_CLIENT_ADDRESS if public else int(data[CONF_CLIENT_ADDRESS]),
        server_logical_address=int(data[CONF_SERVER_LOGICAL_ADDRESS]),
        server_physical_address=(
            None if address_size == 1 else int(data[CONF_SERVER_PHYSICAL_ADDRESS])
        ),
        address_size=address_size,
        mechanism=mechanism,
        password=password.encode() if password else None,
        response_timeout=RESPONSE_TIMEOUT,
        security_policy=SecurityPolicy.NONE
        if public
        else SecurityPolicy.from_name(data.get(CONF_SECURITY_POLICY, POLICY_NONE)),
        security_suite=0 if public else int(data.get(CONF_SECURITY_SUITE, 0)),
        keys=None if public else security_keys(data),
        client_system_title=None if public else _hex(data, CONF_SYSTEM_TITLE),
        client_signing_key=None if public else signing_key(data),
        server_public_key=None if public else meter_public_key(data),
        # SET and ACTION proposed too, for the write and call actions; a meter grants what
        # it offers this client.
        writes=not public,
    )


def port_transport(data: Mapping[str, Any]) -> Transport:
    """The entry's port (not opened): a serial line or bridge at its line speed (HDLC), or
    the DLMS wrapper over ``tcp://`` or ``udp://``."""
    return transport_for_url(data[CONF_PORT], baudrate=int(data.get(CONF_BAUDRATE, BAUDRATE)))


def build_client(
    data: Mapping[str, Any],
    *,
    counter: InvocationCounter | None = None,
    guard: InvocationCounterGuard | None = None,
) -> DlmsClient:
    """A client for the settings of a config entry (or the config flow's input).

    Does no I/O. Raises a ``DlmsError`` for settings that cannot work, such as addresses
    that do not fit the chosen HDLC address size."""
    return DlmsClient(port_transport(data), client_settings(data), counter=counter, guard=guard)


@dataclass(frozen=True, slots=True)
class MeterIdentity:
    """What the meter says about itself, read once per setup."""

    serial_number: str
    logical_device_name: str | None
    firmware_version: str | None = None
    model: str | None = None
    """The model the IEC 62056-21 identification gave when detection found the meter (the
    device page shows it; else the logical device name)."""

    @property
    def manufacturer(self) -> str | None:
        """The manufacturer behind the logical device name's three-letter FLAG id (the id
        itself when the FLAG list does not name it; None without a name)."""
        name = self.logical_device_name
        return manufacturer_name(name[:3]) if name else None


async def read_identity(client: DlmsClient) -> tuple[str | None, str | None, str | None]:
    """The serial number (0-0:96.1.0), logical device name (0-0:42.0.0) and active firmware
    identifier (1-0:0.2.0), each None when the meter does not give it."""
    identity = await read_meter_identity(client)
    return identity.serial_number, identity.logical_device_name, identity.firmware
