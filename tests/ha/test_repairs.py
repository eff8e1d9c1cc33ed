"""Repair issues: a local serial port that is gone, and an unusable invocation counter."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from custom_components.dlms.const import DOMAIN
from simulator import MeterSimulator

from ..conftest import SimulatorFactory
from .conftest import make_entry
from .test_security import GMAC_SERVER, secured_entry_data


async def test_missing_port(
    hass: HomeAssistant, simulator: MeterSimulator, issue_registry: ir.IssueRegistry
) -> None:
    port = "/dev/serial/by-id/usb-no-such-probe-if00-port0"
    entry = make_entry(port)
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY
    issue = issue_registry.async_get_issue(DOMAIN, f"port_missing_{entry.entry_id}")
    assert issue is not None
    assert issue.translation_key == "port_missing"
    assert issue.translation_placeholders == {"title": entry.title, "port": port}
    assert issue.severity is ir.IssueSeverity.ERROR

    # The port is back (here: the meter is reached another way): the issue goes.
    hass.config_entries.async_update_entry(entry, data={**entry.data, "port": simulator.url})
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert issue_registry.async_get_issue(DOMAIN, f"port_missing_{entry.entry_id}") is None


async def test_unreachable_network_port_is_no_missing_port(
    hass: HomeAssistant, simulator: MeterSimulator, issue_registry: ir.IssueRegistry
) -> None:
    await simulator.stop()
    entry = make_entry(simulator.url)
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert not issue_registry.issues


async def test_exhausted_invocation_counter(
    hass: HomeAssistant, simulator_factory: SimulatorFactory, issue_registry: ir.IssueRegistry
) -> None:
    simulator = await simulator_factory(settings=GMAC_SERVER)
    entry = make_entry(simulator.url, **secured_entry_data(invocation_counter=2**32))
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert entry.error_reason_translation_key == "invocation_counter"
    issue_id = f"invocation_counter_rejected_{entry.entry_id}"
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "invocation_counter_rejected"
