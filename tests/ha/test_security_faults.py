"""Security faults, seen from Home Assistant, against the simulator over 127.0.0.1: a meter
that refuses the association, a secured meter whose keys were changed, a client invocation
counter rolled back (an old backup restored) and a meter counter rolled back (a replayed
response). For each fault: a refresh returns promptly and the event loop keeps running, the
sensors go unavailable and come back with the first poll after the fault clears, every
session ends on the meter's side, no traceback reaches the log at INFO, the energy never goes
backwards, and the client invocation counters the meter accepts strictly increase."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState, ConfigFlowResult
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.update_coordinator import UpdateFailed
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.dlms.const import DOMAIN
from custom_components.dlms.libdlms import InvocationCounter as IntegrationCounter
from libdlms import Mechanism
from libdlms.security import (
    InvocationCounter,
    InvocationCounterGuard,
    SecurityKeys,
)
from libdlms.security.counter import GLOBAL
from simulator import MeterSimulator
from simulator.session import ServerSession, ServerSettings

from ..conftest import ManualClock, SimulatorFactory
from .conftest import make_entry
from .test_security import AK, EK, POLICY, STORE_KEY, secured_entry_data

ENERGY = "sensor.meter_12345678_active_energy_import"
# The grid operator's new keys after re-keying the meter.
NEW_EK = "F0E1D2C3B4A5968778695A4B3C2D1E0F"
NEW_AK = "0F1E2D3C4B5A69788796A5B4C3D2E1F0"
KEY_MATERIAL = (EK, AK, NEW_EK, NEW_AK)
ISSUE = "invocation_counter_rejected"
# A refused session takes milliseconds; a hung one would run into the answer timeouts.
PROMPT = 10.0
# The longest the event loop may be held up while a poll runs.
LOOP_STALL = 1.0


class RecordingGuard(InvocationCounterGuard):
    """The meter's guard of the client's invocation counter, remembering every value it was
    shown (``seen``, refused ones included) and every value it accepted."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[int] = []
        self.accepted: list[int] = []
        self._mark = 0

    def mark(self) -> None:
        """Remember where ``seen_since_mark`` starts."""
        self._mark = len(self.seen)

    @property
    def seen_since_mark(self) -> list[int]:
        return self.seen[self._mark :]

    def check(self, system_title: bytes, invocation_counter: int, *, key: str = GLOBAL) -> None:
        self.seen.append(invocation_counter)
        super().check(system_title, invocation_counter, key=key)

    def accept(self, system_title: bytes, invocation_counter: int, *, key: str = GLOBAL) -> None:
        super().accept(system_title, invocation_counter, key=key)
        self.seen.pop()  # accept() checks once more: the same value, not a second one
        self.accepted.append(invocation_counter)


def strictly_increasing(values: list[int]) -> bool:
    return all(a < b for a, b in itertools.pairwise(values))


def gmac_server() -> ServerSettings:
    """A fresh HLS-GMAC meter with authenticated encryption (its keys get changed)."""
    return ServerSettings(
        mechanism=Mechanism.HIGH_GMAC,
        security_policy=POLICY,
        keys=SecurityKeys(bytes.fromhex(EK), bytes.fromhex(AK)),
    )


class Harness:
    """One entry polled against one simulator, with the checks every fault shares."""

    def __init__(
        self,
        hass: HomeAssistant,
        simulator: MeterSimulator,
        clock: ManualClock,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        self.hass = hass
        self.simulator = simulator
        self.clock = clock
        self.caplog = caplog
        self.values: list[float] = []
        self.entry: MockConfigEntry | None = None

    async def setup(self, entry: MockConfigEntry) -> None:
        self.entry = entry
        entry.add_to_hass(self.hass)
        assert await self.hass.config_entries.async_setup(entry.entry_id)
        await self.hass.async_block_till_done()
        self.record(self.state())

    @property
    def coordinator(self) -> Any:
        assert self.entry is not None
        return self.entry.runtime_data.coordinator

    def state(self) -> str:
        state = self.hass.states.get(ENERGY)
        return STATE_UNAVAILABLE if state is None else state.state

    def record(self, state: str) -> None:
        if state != STATE_UNAVAILABLE:
            self.values.append(float(state))

    async def poll(self, *, advance: float = 600) -> str:
        """One poll as the coordinator's timer would run it, timed, while a ticker checks
        that the event loop keeps running."""
        self.clock.advance(advance)
        loop = asyncio.get_running_loop()
        gaps: list[float] = []
        done = asyncio.Event()

        async def ticker() -> None:
            last = loop.time()
            while not done.is_set():
                await asyncio.sleep(0.02)
                now = loop.time()
                gaps.append(now - last)
                last = now

        ticking = asyncio.create_task(ticker())
        start = loop.time()
        await self.coordinator.async_refresh()
        elapsed = loop.time() - start
        done.set()
        await ticking
        await self.hass.async_block_till_done()
        assert elapsed < PROMPT, f"the refresh took {elapsed:.1f} s"
        assert max(gaps, default=0.0) < LOOP_STALL, "the event loop was blocked"
        state = self.state()
        self.record(state)
        return state

    def check(self, guard: RecordingGuard | None = None) -> None:
        """What must hold after every fault."""
        tracebacks = [
            text
            for record in self.caplog.records
            if record.levelno >= logging.INFO
            and "Traceback" in (text := self.caplog.handler.format(record))
        ]
        assert not tracebacks, tracebacks[0]
        logged = self.caplog.text.lower()
        for key in KEY_MATERIAL:
            assert key.lower() not in logged, "key material in the log"
        assert self.values == sorted(self.values), f"energy went backwards: {self.values}"
        assert self.simulator.sessions
        for number, session in enumerate(self.simulator.sessions):
            assert not session.connected, f"session {number} was not released"
            assert not session.associated, f"session {number} is still associated"
        if guard is not None:
            assert guard.accepted, "the meter accepted no counter at all"
            assert strictly_increasing(guard.accepted), guard.accepted


@pytest.fixture(autouse=True)
def capture_everything(caplog: pytest.LogCaptureFixture) -> None:
    """Everything is captured (DEBUG, to look for key material); tracebacks are looked for
    at INFO and above, where Home Assistant users see them."""
    caplog.set_level(logging.DEBUG)


def issue(hass: HomeAssistant, entry: MockConfigEntry) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(DOMAIN, f"{ISSUE}_{entry.entry_id}")


def reauth_flows(hass: HomeAssistant, entry: MockConfigEntry) -> list[ConfigFlowResult]:
    return [
        flow
        for flow in hass.config_entries.flow.async_progress()
        if flow["handler"] == DOMAIN
        and flow["context"]["source"] == SOURCE_REAUTH
        and flow["context"].get("entry_id") == entry.entry_id
    ]


async def secured_harness(
    hass: HomeAssistant,
    simulator_factory: SimulatorFactory,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
    **changes: Any,
) -> tuple[Harness, RecordingGuard]:
    simulator = await simulator_factory(settings=gmac_server())
    guard = RecordingGuard()
    simulator.security.guard = guard
    harness = Harness(hass, simulator, clock, caplog)
    await harness.setup(
        make_entry(simulator.url, **secured_entry_data(invocation_counter=10, **changes))
    )
    assert harness.entry is not None
    assert harness.entry.state is ConfigEntryState.LOADED
    assert harness.values, "no first reading"
    return harness, guard


type SecuredStart = Callable[..., Awaitable[tuple[Harness, RecordingGuard]]]


@pytest.fixture
def secured(
    hass: HomeAssistant,
    simulator_factory: SimulatorFactory,
    meter_clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> SecuredStart:
    """Starts an HLS-GMAC meter and a loaded entry for it (entry data changes as keywords)."""

    async def start(**changes: Any) -> tuple[Harness, RecordingGuard]:
        return await secured_harness(hass, simulator_factory, meter_clock, caplog, **changes)

    return start


# ---------------------------------------------------------------------------- (a)


@pytest.mark.parametrize(
    "fault",
    [
        ("refuse", "communication_error"),  # the meter answers SNRM with DM
        ("reject_association", "association_rejected"),  # the AARQ is rejected
    ],
    ids=["refuse", "reject_association"],
)
async def test_refused_association_recovers_with_the_next_poll(
    hass: HomeAssistant,
    simulator: MeterSimulator,
    meter_clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
    fault: tuple[str, str],
) -> None:
    fault_name, translation_key = fault
    harness = Harness(hass, simulator, meter_clock, caplog)
    await harness.setup(make_entry(simulator.url))
    coordinator = harness.coordinator
    interval = coordinator.update_interval.total_seconds()
    assert await harness.poll() != STATE_UNAVAILABLE

    setattr(simulator.faults, fault_name, True)
    for failure in range(1, 4):
        assert await harness.poll() == STATE_UNAVAILABLE
        err = coordinator.last_exception
        assert isinstance(err, UpdateFailed)
        assert (err.translation_domain, err.translation_key) == (DOMAIN, translation_key)
        assert coordinator.consecutive_failures == failure
        if failure == 1:
            # A glitch costs one interval: the next try is the regular poll.
            assert coordinator.retry_after() == interval
    assert not reauth_flows(hass, harness.entry)  # nothing the user could fix

    setattr(simulator.faults, fault_name, False)
    assert await harness.poll() != STATE_UNAVAILABLE
    assert coordinator.last_update_success
    assert coordinator.consecutive_failures == 0
    assert len(harness.values) == 3
    assert harness.values[-1] > harness.values[0]
    harness.check()


# ---------------------------------------------------------------------------- (b)


async def test_rekeyed_meter_asks_for_reauth_and_recovers_at_once(
    hass: HomeAssistant,
    secured: SecuredStart,
) -> None:
    """The grid operator re-keyed the meter: the entry stops with ConfigEntryAuthFailed, one
    reauth flow is started, nothing secret is logged; the new keys bring it back at once."""
    harness, guard = await secured()
    entry = harness.entry
    assert entry is not None
    assert await harness.poll() != STATE_UNAVAILABLE

    harness.simulator.settings.keys = SecurityKeys(bytes.fromhex(NEW_EK), bytes.fromhex(NEW_AK))
    for _ in range(2):
        assert await harness.poll() == STATE_UNAVAILABLE
        err = harness.coordinator.last_exception
        assert isinstance(err, ConfigEntryAuthFailed)
        assert err.translation_key == "decryption_failed"
    flows = reauth_flows(hass, entry)
    assert len(flows) == 1, "exactly one reauth flow"
    assert flows[0]["step_id"] == "reauth_confirm"
    harness.check(guard)
    # The refused sessions never reused a counter value either.
    assert strictly_increasing(guard.seen), guard.seen

    result = await hass.config_entries.flow.async_configure(
        flows[0]["flow_id"], {"encryption_key": NEW_EK, "authentication_key": NEW_AK}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.state is ConfigEntryState.LOADED
    assert entry.data["encryption_key"] == NEW_EK.lower()
    # The reload's first refresh read the meter: no waiting for the next interval.
    state = harness.state()
    assert state != STATE_UNAVAILABLE
    harness.record(state)
    assert harness.coordinator.last_update_success
    assert not reauth_flows(hass, entry)
    assert await harness.poll() != STATE_UNAVAILABLE
    assert harness.values[-1] > harness.values[0]
    harness.check(guard)
    assert strictly_increasing(guard.seen), guard.seen


# ---------------------------------------------------------------------------- (c)


async def restore_old_backup(
    hass: HomeAssistant, entry: MockConfigEntry, hass_storage: dict[str, Any], backup: int
) -> None:
    """The stored counter is put back to an old value and Home Assistant restarts (the
    entry is reloaded: the counter is read from the Store only at setup)."""
    hass_storage[STORE_KEY.format(entry.entry_id)]["data"] = {"next": backup}
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()


async def rolled_back_persisted_entry(
    hass: HomeAssistant, secured: SecuredStart, hass_storage: dict[str, Any]
) -> tuple[Harness, RecordingGuard]:
    harness, guard = await secured()
    entry = harness.entry
    assert entry is not None
    backup = hass_storage[STORE_KEY.format(entry.entry_id)]["data"]["next"]
    for _ in range(2):
        assert await harness.poll() != STATE_UNAVAILABLE
    assert guard.accepted[-1] > backup
    guard.mark()
    await restore_old_backup(hass, entry, hass_storage, backup)
    return harness, guard


async def test_rolled_back_client_counter_is_found_out_and_overtaken(
    hass: HomeAssistant,
    secured: SecuredStart,
    hass_storage: dict[str, Any],
) -> None:
    """An old backup puts the stored counter below what the meter has seen: the meter
    refuses the association like wrong keys; the coordinator reads the meter's frame counter
    with the public client, finds it ahead, raises the repair issue instead of a reauth and
    goes on after the meter's counter, so the next try works by itself. No accepted value
    comes again; the one stale value sent is never sent again either."""
    harness, guard = await rolled_back_persisted_entry(hass, secured, hass_storage)
    entry = harness.entry
    assert entry is not None
    accepted_before = list(guard.accepted)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert harness.state() == STATE_UNAVAILABLE
    assert guard.accepted == accepted_before, "the meter accepted a rolled-back counter"
    assert reauth_flows(hass, entry) == []
    found = issue(hass, entry)
    assert found is not None
    assert found.translation_key == ISSUE
    # One stale value went out (the restored counter cannot be known stale without asking
    # the meter); the stored counter is now past everything the meter has seen.
    refused = guard.seen_since_mark
    assert len(refused) == 1, refused
    assert refused[0] <= accepted_before[-1]
    assert hass_storage[STORE_KEY.format(entry.entry_id)]["data"]["next"] > accepted_before[-1]
    harness.check(guard)

    # The next try (Home Assistant retries the setup) works with the same keys.
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    state = harness.state()
    assert state != STATE_UNAVAILABLE
    harness.record(state)
    assert await harness.poll() != STATE_UNAVAILABLE
    assert issue(hass, entry) is None
    harness.check(guard)
    assert len(set(guard.accepted)) == len(guard.accepted)


async def test_counter_read_from_the_meter_survives_a_rollback(
    hass: HomeAssistant,
    secured: SecuredStart,
    hass_storage: dict[str, Any],
) -> None:
    """With ``invocation_counter_source = meter`` each session first reads the meter's frame
    counter with the public client: an old backup, or a counter rolled back in memory, is
    overtaken before a single stale value is sent, and no poll fails."""
    harness, guard = await secured(
        invocation_counter_source="meter",
        invocation_counter_obis="0.0.43.1.0.255",
    )
    entry = harness.entry
    assert entry is not None
    backup = hass_storage[STORE_KEY.format(entry.entry_id)]["data"]["next"]
    for _ in range(2):
        assert await harness.poll() != STATE_UNAVAILABLE
    assert guard.accepted[-1] > backup

    await restore_old_backup(hass, entry, hass_storage, backup)
    assert entry.state is ConfigEntryState.LOADED
    state = harness.state()
    assert state != STATE_UNAVAILABLE
    harness.record(state)

    # The same in a running entry: its counter goes back to the backup's value.
    harness.coordinator.counter = IntegrationCounter(start=backup)
    assert await harness.poll() != STATE_UNAVAILABLE
    assert harness.coordinator.last_update_success
    assert issue(hass, entry) is None
    assert not reauth_flows(hass, entry)
    assert harness.values[-1] > harness.values[0]
    harness.check(guard)
    # Not even a refused session: the meter was never shown a stale value.
    assert strictly_increasing(guard.seen), guard.seen


class ResponseReplayer:
    """A meter (or a man in the middle) that answers GET requests with a ciphered
    GET.response recorded earlier: its invocation counter goes backwards."""

    def __init__(self) -> None:
        self.recording = True
        self.replaying = False
        self.recorded: bytes | None = None
        self.replayed = 0

    def protect(
        self, session: ServerSession, apdu: bytes, original: Callable[[ServerSession, bytes], bytes]
    ) -> bytes:
        if apdu[:1] != b"\xc4":  # only GET.response
            return original(session, apdu)
        if self.replaying and self.recorded is not None:
            self.replayed += 1
            return self.recorded
        ciphered = original(session, apdu)
        if self.recording:
            self.recorded = ciphered
        return ciphered


@pytest.mark.parametrize("replay", ["stale_meter_counter", "replayed_get_response"])
async def test_replayed_meter_counter_is_rejected_and_recovers(
    hass: HomeAssistant,
    secured: SecuredStart,
    monkeypatch: pytest.MonkeyPatch,
    replay: str,
) -> None:
    """The meter's own invocation counter goes backwards: either it starts again from a
    stale value (its AARE fails the client's guard), or an old GET.response is replayed
    (carrying an older, smaller energy value). The client's guard rejects it, nothing from
    it is published, and the first poll after it stops reads the meter again."""
    replayer = ResponseReplayer()
    original = ServerSession._protect
    monkeypatch.setattr(
        ServerSession,
        "_protect",
        lambda session, apdu: replayer.protect(session, apdu, original),
    )
    harness, guard = await secured()
    entry = harness.entry
    assert entry is not None
    coordinator = harness.coordinator
    interval = coordinator.update_interval.total_seconds()
    simulator = harness.simulator

    assert await harness.poll() != STATE_UNAVAILABLE  # this GET.response is recorded
    replayer.recording = False
    assert await harness.poll() != STATE_UNAVAILABLE
    published = dict(coordinator.data)

    meter_counter = simulator.security.counter
    if replay == "stale_meter_counter":
        simulator.security.counter = InvocationCounter(start=1)
    else:
        replayer.replaying = True
    for failure in range(1, 4):
        assert await harness.poll() == STATE_UNAVAILABLE
        err = coordinator.last_exception
        assert isinstance(err, UpdateFailed)
        assert err.translation_key == "invocation_counter"
        assert coordinator.data == published, "a value from the replay was published"
        if failure == 1:
            assert coordinator.retry_after() == interval
    if replay == "replayed_get_response":
        assert replayer.replayed == 3
    assert issue(hass, entry) is not None
    assert not reauth_flows(hass, entry)

    simulator.security.counter = meter_counter
    replayer.replaying = False
    assert await harness.poll() != STATE_UNAVAILABLE
    assert coordinator.last_update_success
    assert coordinator.data != published
    assert issue(hass, entry) is None, "the repair issue outlived the fault"
    assert harness.values[-1] > harness.values[0]
    harness.check(guard)
    assert strictly_increasing(guard.seen), guard.seen
