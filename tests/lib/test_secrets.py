"""No key, password or secret ever shows: full secured sessions at DEBUG level, their
failures, the translator and every repr are searched for the key material, raw, hex and
ASCII."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest

from libdlms import AttributeDescriptor
from libdlms.client import ClientSettings, DlmsClient, MeterReader
from libdlms.codecs.acse import Mechanism
from libdlms.errors import DlmsError
from libdlms.obis import Obis
from libdlms.security import InvocationCounter, SecurityKeys, SecurityPolicy
from libdlms.session.association import AssociationSettings
from libdlms.translator import describe
from simulator import LoopbackTransport, MeterSimulator
from simulator.session import ServerSettings
from tests.virtual_time import virtual_time

EK = bytes.fromhex("A1B2C3D4E5F60718293A4B5C6D7E8F90")
AK = bytes.fromhex("0F1E2D3C4B5A69788796A5B4C3D2E1F0")
SECRET = b"Sup3r-Secret-HLS"
PASSWORD = b"LlsPassw0rd"
ENERGY = AttributeDescriptor(3, Obis.parse("1.0.1.8.0.255"))


def _forms(secret: bytes) -> list[str]:
    text = secret.decode("latin-1")
    return [text, secret.hex(), secret.hex().upper(), repr(secret)[2:-1]]


FORBIDDEN = [form for secret in (EK, AK, SECRET, PASSWORD) for form in _forms(secret)]


def _assert_clean(text: str) -> None:
    for form in FORBIDDEN:
        assert form not in text, f"secret material {form!r} leaked"


@virtual_time
async def test_secured_sessions_and_their_failures_leak_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    keys = SecurityKeys(EK, AK)
    server = ServerSettings(
        mechanism=Mechanism.HIGH_GMAC,
        security_policy=SecurityPolicy.AUTHENTICATED_ENCRYPTION,
        keys=keys,
    )
    texts: list[str] = []
    sim = MeterSimulator(settings=server)
    counter = InvocationCounter(start=10)
    good = ClientSettings(
        client_address=1,
        mechanism=Mechanism.HIGH_GMAC,
        security_policy=SecurityPolicy.AUTHENTICATED_ENCRYPTION,
        keys=keys,
        client_system_title=b"CLIENT01",
    )
    async with DlmsClient(LoopbackTransport(sim), good, counter=counter) as client:
        (energy,) = await MeterReader().read(client, [ENERGY])
        texts += [repr(client.settings), repr(client.association.settings), repr(energy)]
    for wrong in (SecurityKeys(EK, bytes(16)), SecurityKeys(bytes(16), AK)):
        bad = replace(good, keys=wrong)
        with pytest.raises(DlmsError) as err:
            async with DlmsClient(LoopbackTransport(sim), bad, counter=counter):
                pass
        texts += [str(err.value), repr(err.value)]
    for settings in (
        AssociationSettings(
            mechanism=Mechanism.HIGH_SHA256, password=SECRET, client_system_title=b"CLIENT01"
        ),
        AssociationSettings(mechanism=Mechanism.LOW, password=PASSWORD),
        ClientSettings(mechanism=Mechanism.LOW, password=PASSWORD, keys=keys),
    ):
        texts += [repr(settings), str(settings)]
    texts += [repr(keys), str(keys)]
    _assert_clean("\n".join([caplog.text, *texts]))


@virtual_time
async def test_lls_password_never_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    sim = MeterSimulator(password=PASSWORD)
    for password in (PASSWORD, b"wrong-" + PASSWORD):
        settings = ClientSettings(mechanism=Mechanism.LOW, password=password)
        try:
            async with DlmsClient(LoopbackTransport(sim), settings) as client:
                await MeterReader().read(client, [ENERGY])
        except DlmsError as err:
            _assert_clean(str(err))
    _assert_clean(caplog.text)


def test_translator_shows_no_key() -> None:
    """The translator prints what it deciphered, never the keys it was given."""
    keys = SecurityKeys(EK, AK)
    apdu = bytes.fromhex("C81E3001234567411312FF935A47566827C467BC7D825C3BE4A77C3FCC056B6B")
    _assert_clean(repr(describe(apdu, keys=keys, system_title=b"MMM\x00\x00\xbcaN")))
