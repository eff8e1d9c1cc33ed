"""Repair issues: what the user has to fix by hand, one issue of each kind per entry.

A local serial port that is gone (the probe unplugged, renamed), an invocation counter
the meter refuses or that is used up, and a disconnector the meter refuses to operate (not
allowed to this client, or locked by the utility). A good read (or switch) clears them;
removing the entry does too. Rejected passwords and keys get Home Assistant's own reauth
issue instead.
"""

from __future__ import annotations

import os
from typing import Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_PORT
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN

ISSUE_PORT_MISSING: Final = "port_missing"
ISSUE_INVOCATION_COUNTER: Final = "invocation_counter_rejected"
ISSUE_DISCONNECT_REFUSED: Final = "disconnect_refused"
ISSUES: Final = (ISSUE_PORT_MISSING, ISSUE_INVOCATION_COUNTER, ISSUE_DISCONNECT_REFUSED)


def _issue_id(key: str, entry_id: str) -> str:
    return f"{key}_{entry_id}"


async def async_update_issues(hass: HomeAssistant, entry: ConfigEntry, error: str | None) -> None:
    """The entry's issues after a session that ended with ``error`` (a session error key,
    None for a good read)."""
    port = entry.data[CONF_PORT]
    missing = (
        error == "cannot_connect"
        and "://" not in port
        and not await hass.async_add_executor_job(os.path.exists, port)
    )
    for key, active in (
        (ISSUE_PORT_MISSING, missing),
        (ISSUE_INVOCATION_COUNTER, error == "invocation_counter"),
    ):
        if active:
            ir.async_create_issue(
                hass,
                DOMAIN,
                _issue_id(key, entry.entry_id),
                is_fixable=False,
                severity=ir.IssueSeverity.ERROR,
                translation_key=key,
                translation_placeholders={"title": entry.title, "port": port},
            )
        else:
            ir.async_delete_issue(hass, DOMAIN, _issue_id(key, entry.entry_id))


@callback
def async_disconnect_refused(hass: HomeAssistant, entry: ConfigEntry, error: str | None) -> None:
    """The meter refused to operate its disconnector (``error``), or (None) it just did."""
    issue_id = _issue_id(ISSUE_DISCONNECT_REFUSED, entry.entry_id)
    if error is None:
        ir.async_delete_issue(hass, DOMAIN, issue_id)
        return
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key=ISSUE_DISCONNECT_REFUSED,
        translation_placeholders={"title": entry.title, "error": error},
    )


@callback
def async_delete_issues(hass: HomeAssistant, entry_id: str) -> None:
    """The entry is removed: its issues go with it."""
    for key in ISSUES:
        ir.async_delete_issue(hass, DOMAIN, _issue_id(key, entry_id))
