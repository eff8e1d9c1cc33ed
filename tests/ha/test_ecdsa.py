"""HLS-ECDSA (mechanism 7, suites 1 and 2) in Home Assistant: the keys pasted as PEM, checked
against the suite's curve before any I/O, the association made with the simulator, the
entry polling, and the keys kept out of diagnostics."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType

from custom_components.dlms.diagnostics import async_get_config_entry_diagnostics
from libdlms import SecurityKeys
from libdlms.codecs.acse import Mechanism
from libdlms.security import ecdsa
from simulator.session import ServerSettings

from ..conftest import SimulatorFactory
from .test_config_flow import finish_objects_step
from .test_security import AK, EK, POLICY, SYSTEM_TITLE, security_form


def _pem_private(key: ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def _pem_public(key: ec.EllipticCurvePrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


CLIENT_KEY = ecdsa.generate_private_key(1)
SERVER_KEY = ecdsa.generate_private_key(1)
USER = {"client_address": 1, "authentication": "hls_ecdsa", "security_policy": POLICY}


def _input(**changes: Any) -> dict[str, Any]:
    return {
        "authentication": "hls_ecdsa",
        "security_policy": POLICY,
        "security_suite": "1",
        "encryption_key": EK,
        "authentication_key": AK,
        "system_title": SYSTEM_TITLE,
        "client_private_key": _pem_private(CLIENT_KEY),
        "server_public_key": _pem_public(SERVER_KEY),
        **changes,
    }


@pytest.fixture
async def ecdsa_meter(simulator_factory: SimulatorFactory) -> Any:
    return await simulator_factory(
        settings=ServerSettings(
            mechanism=Mechanism.HIGH_ECDSA,
            security_policy=POLICY,
            security_suite=1,
            keys=SecurityKeys(bytes.fromhex(EK), bytes.fromhex(AK)),
            server_signing_key=SERVER_KEY,
            client_public_key=CLIENT_KEY.public_key(),
        )
    )


async def test_an_ecdsa_association_creates_the_entry(
    hass: HomeAssistant, ecdsa_meter: Any
) -> None:
    flow_id = await security_form(hass, ecdsa_meter.url, **USER)
    result = await hass.config_entries.flow.async_configure(flow_id, _input())
    await hass.async_block_till_done()
    result = await finish_objects_step(hass, result)
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    entry = result["result"]
    assert entry.data["authentication"] == "hls_ecdsa"
    assert entry.data["client_private_key"].startswith("-----BEGIN PRIVATE KEY-----")
    assert entry.state is ConfigEntryState.LOADED
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    text = str(diagnostics)
    assert "BEGIN PRIVATE KEY" not in text
    assert "BEGIN PUBLIC KEY" not in text
    await hass.config_entries.async_unload(entry.entry_id)


async def test_keys_on_the_wrong_curve_or_suite_are_refused_before_any_io(
    hass: HomeAssistant, ecdsa_meter: Any
) -> None:
    flow_id = await security_form(hass, ecdsa_meter.url, **USER)
    sessions = len(ecdsa_meter.sessions)
    p384 = _pem_private(ecdsa.generate_private_key(2))
    result = await hass.config_entries.flow.async_configure(
        flow_id, _input(client_private_key=p384)
    )
    assert result["errors"] == {"client_private_key": "ecdsa_key_invalid"}
    assert "secp384r1" in result["description_placeholders"]["reason"]
    result = await hass.config_entries.flow.async_configure(
        flow_id, _input(server_public_key="not a key")
    )
    assert result["errors"] == {"server_public_key": "ecdsa_key_invalid"}
    result = await hass.config_entries.flow.async_configure(flow_id, _input(security_suite="0"))
    assert result["errors"] == {"security_suite": "ecdsa_suite"}
    assert len(ecdsa_meter.sessions) == sessions  # the meter heard nothing
