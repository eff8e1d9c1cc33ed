"""Secured associations end to end against the simulator (in memory): every
authentication mechanism we implement, every security policy, suites 0 and 2, and the
failures a user can cause (wrong secret, wrong keys, a reused invocation counter)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from libdlms import AttributeDescriptor
from libdlms.client import ClientSettings, DlmsClient, MeterReader
from libdlms.codecs.acse import Mechanism
from libdlms.errors import (
    AssociationRejected,
    AuthenticationFailed,
    DlmsError,
)
from libdlms.obis import Obis
from libdlms.security import InvocationCounter, SecurityKeys, SecurityPolicy, ecdsa
from libdlms.session.association import AssociationState
from simulator import LoopbackTransport, MeterSimulator
from simulator.session import ServerSettings
from tests.virtual_time import virtual_time

ENERGY = AttributeDescriptor(3, Obis.parse("1.0.1.8.0.255"))
VOLTAGE = AttributeDescriptor(3, Obis.parse("1.0.32.7.0.255"))
OBJECT_LIST = AttributeDescriptor(15, Obis.parse("0.0.40.0.0.255"))
EK = bytes.fromhex("000102030405060708090A0B0C0D0E0F")
AK = bytes.fromhex("D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF")
KEYS = SecurityKeys(EK, AK)
KEYS_256 = SecurityKeys(bytes(range(32)), bytes(range(32, 64)))
CLIENT_ST = bytes.fromhex("4D4D4D0000000001")
SECRET = b"hls-secret-0001"


def _settings(**overrides: Any) -> ClientSettings:
    base = ClientSettings(client_address=1, response_timeout=1.0, client_system_title=CLIENT_ST)
    return replace(base, **overrides)


async def _read(
    sim: MeterSimulator, settings: ClientSettings, counter: InvocationCounter | None = None
) -> Decimal:
    client = DlmsClient(LoopbackTransport(sim), settings, counter=counter)
    async with client:
        energy, voltage = await MeterReader().read(client, [ENERGY, VOLTAGE])
        # A long response: GET block transfer with every block ciphered.
        objects = await MeterReader().read(client, [OBJECT_LIST])
    assert objects[0].error is None
    assert voltage.unit == "V"
    assert client.association.state is AssociationState.RELEASED
    assert energy.scaled_value is not None
    return energy.scaled_value


@pytest.mark.parametrize(
    ("mechanism", "policy", "suite", "keys"),
    [
        (Mechanism.NONE, SecurityPolicy.AUTHENTICATED_ENCRYPTION, 0, KEYS),
        (Mechanism.LOW, SecurityPolicy.AUTHENTICATED_ENCRYPTION, 0, KEYS),
        (Mechanism.HIGH_GMAC, SecurityPolicy.AUTHENTICATED_ENCRYPTION, 0, KEYS),
        (Mechanism.HIGH_GMAC, SecurityPolicy.AUTHENTICATION, 0, KEYS),
        (Mechanism.HIGH_GMAC, SecurityPolicy.ENCRYPTION, 0, KEYS),
        (Mechanism.HIGH_GMAC, SecurityPolicy.NONE, 0, KEYS),
        (Mechanism.HIGH_GMAC, SecurityPolicy.AUTHENTICATED_ENCRYPTION, 2, KEYS_256),
        (Mechanism.HIGH_MD5, SecurityPolicy.NONE, 0, None),
        (Mechanism.HIGH_SHA1, SecurityPolicy.NONE, 0, None),
        (Mechanism.HIGH_SHA256, SecurityPolicy.NONE, 0, None),
        (Mechanism.HIGH_SHA256, SecurityPolicy.AUTHENTICATED_ENCRYPTION, 0, KEYS),
    ],
)
@virtual_time
async def test_secured_association(
    mechanism: Mechanism,
    policy: SecurityPolicy,
    suite: int,
    keys: SecurityKeys | None,
) -> None:
    secret = b"12345678" if mechanism is Mechanism.LOW else SECRET
    server = ServerSettings(
        mechanism=mechanism,
        password=None if mechanism is Mechanism.NONE else secret,
        security_policy=policy,
        security_suite=suite,
        keys=keys,
    )
    sim = MeterSimulator(settings=server)
    settings = _settings(
        mechanism=mechanism,
        password=None if mechanism is Mechanism.NONE else secret,
        security_policy=policy,
        security_suite=suite,
        keys=keys,
    )
    assert await _read(sim, settings) == Decimal(sim.meter.import_wh)


@virtual_time
async def test_wrong_hls_secret_is_an_authentication_failure() -> None:
    sim = MeterSimulator(settings=ServerSettings(mechanism=Mechanism.HIGH_SHA256, password=SECRET))
    settings = _settings(mechanism=Mechanism.HIGH_SHA256, password=b"not-the-secret")
    with pytest.raises(AuthenticationFailed, match="rejected our HLS response") as err:
        await _read(sim, settings)
    assert "not-the-secret" not in str(err.value)


@virtual_time
async def test_wrong_gmac_keys() -> None:
    sim = MeterSimulator(settings=ServerSettings(mechanism=Mechanism.HIGH_GMAC, keys=KEYS))
    wrong = SecurityKeys(EK, bytes(16))
    with pytest.raises(AuthenticationFailed):
        await _read(sim, _settings(mechanism=Mechanism.HIGH_GMAC, keys=wrong))


@virtual_time
async def test_wrong_encryption_key_is_refused() -> None:
    server = ServerSettings(security_policy=SecurityPolicy.AUTHENTICATED_ENCRYPTION, keys=KEYS)
    sim = MeterSimulator(settings=server)
    wrong = SecurityKeys(bytes(16), AK)
    settings = _settings(security_policy=SecurityPolicy.AUTHENTICATED_ENCRYPTION, keys=wrong)
    with pytest.raises(AssociationRejected, match="check the EK") as err:
        await _read(sim, settings)
    assert EK.hex() not in str(err.value).lower()


@virtual_time
async def test_invocation_counter_is_never_reused() -> None:
    """One counter across sessions keeps working; restarting it from zero (a client
    that forgot it) is refused by the meter's replay guard."""
    server = ServerSettings(security_policy=SecurityPolicy.AUTHENTICATED_ENCRYPTION, keys=KEYS)
    settings = _settings(security_policy=SecurityPolicy.AUTHENTICATED_ENCRYPTION, keys=KEYS)
    sim = MeterSimulator(settings=server)
    counter = InvocationCounter(start=100)
    for _ in range(2):
        await _read(sim, settings, counter=counter)
    assert counter.value > 100
    with pytest.raises(DlmsError):
        await _read(sim, settings, counter=InvocationCounter(start=100))
    # Carrying on from the persisted value works again.
    await _read(sim, settings, counter=InvocationCounter(start=counter.value))


@pytest.mark.parametrize(("suite", "keys"), [(1, KEYS), (2, KEYS_256)])
@virtual_time
async def test_hls_ecdsa(suite: int, keys: SecurityKeys) -> None:
    """Mechanism 7: each side signs the other's challenge with its own key (P-256 for
    suite 1, P-384 for suite 2); a signature from the wrong key is refused."""
    client_key = ecdsa.generate_private_key(suite)
    server_key = ecdsa.generate_private_key(suite)
    server = ServerSettings(
        mechanism=Mechanism.HIGH_ECDSA,
        security_policy=SecurityPolicy.AUTHENTICATED_ENCRYPTION,
        security_suite=suite,
        keys=keys,
        server_signing_key=server_key,
        client_public_key=client_key.public_key(),
    )
    sim = MeterSimulator(settings=server)
    settings = _settings(
        mechanism=Mechanism.HIGH_ECDSA,
        security_policy=SecurityPolicy.AUTHENTICATED_ENCRYPTION,
        security_suite=suite,
        keys=keys,
        client_signing_key=client_key,
        server_public_key=server_key.public_key(),
    )
    assert await _read(sim, settings) == Decimal(sim.meter.import_wh)
    impostor = replace(settings, client_signing_key=ecdsa.generate_private_key(suite))
    with pytest.raises(AuthenticationFailed):
        # A fresh counter above the first session's, so that only the signature fails.
        await _read(sim, impostor, counter=InvocationCounter(start=1000))
