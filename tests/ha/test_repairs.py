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


async def test_removing_the_entry_removes_its_issues(
    hass: HomeAssistant, simulator_factory: SimulatorFactory, issue_registry: ir.IssueRegistry
) -> None:
    """An entry removed while its issues are open takes them along: nothing is left that
    points at a meter Home Assistant no longer has. Another entry's issues stay."""
    simulator = await simulator_factory(settings=GMAC_SERVER)
    gone = make_entry("/dev/serial/by-id/usb-no-such-probe-if00-port0")
    exhausted = make_entry(
        simulator.url, unique_id="87654321", **secured_entry_data(invocation_counter=2**32)
    )
    for entry in (gone, exhausted):
        entry.add_to_hass(hass)
        await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
    keep = f"port_missing_{gone.entry_id}"
    removed = f"invocation_counter_rejected_{exhausted.entry_id}"
    assert {issue_id for _, issue_id in issue_registry.issues} == {keep, removed}

    await hass.config_entries.async_remove(exhausted.entry_id)
    await hass.async_block_till_done()
    assert {issue_id for _, issue_id in issue_registry.issues} == {keep}
    await hass.config_entries.async_remove(gone.entry_id)
    await hass.async_block_till_done()
    assert not issue_registry.issues
