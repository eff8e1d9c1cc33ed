"""Polled meters' addressing and client, as data (``meter_presets.json`` names its source).

A polled meter answers only at its own HDLC address and only the clients it was set up for;
these presets, gathered from public trackers, let a user pick "Landis+Gyr E450" rather than
guess "1-byte address, client 1, LLS", and give detection the addresses to knock at after
the usual ones. ``reported``: no real meter confirmed the row (likely, not certain).
``server_physical`` None: the 1-byte form (``address_size`` 1), or an address that is the
meter's own (``physical_rule`` says how to find it).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from ..errors import ConfigurationError
from ._presets import preset_named, read_presets

PHYSICAL_RULES = ("fixed", "not_given", "per_meter", "serial_last4_plus_16", "user_entered")
AUTHENTICATIONS = ("none", "lls", "hls")


@dataclass(frozen=True, slots=True)
class MeterPreset:
    id: str
    manufacturer: str
    model: str
    flag_id: str | None
    client_address: int
    server_logical: int
    server_physical: int | None
    physical_rule: str
    address_size: int | None
    baudrate: int
    mode_e: bool
    authentication: str
    password_hint: str | None
    reported: bool
    notes: str = ""

    def __post_init__(self) -> None:
        if self.physical_rule not in PHYSICAL_RULES:
            raise ConfigurationError(f"meter preset {self.id}: unknown physical_rule")
        if self.authentication not in AUTHENTICATIONS:
            raise ConfigurationError(f"meter preset {self.id}: unknown authentication")
        if self.address_size not in (None, 1, 2, 4):
            raise ConfigurationError(f"meter preset {self.id}: address size 1, 2 or 4")
        if self.address_size == 1 and self.server_physical is not None:
            raise ConfigurationError(f"meter preset {self.id}: a 1-byte address has no physical")
        if not 0 <= self.client_address <= 0x7F or self.baudrate <= 0:
            raise ConfigurationError(f"meter preset {self.id}: impossible settings")

    @property
    def label(self) -> str:
        """ "Landis+Gyr E450 (reported)"."""
        text = f"{self.manufacturer} {self.model}"
        return f"{text} (reported)" if self.reported else text

    @property
    def address(self) -> tuple[int | None, int | None] | None:
        """The fixed server address as detection tries it, ``(physical, size)``; None when
        the address is the meter's own."""
        if self.server_physical is not None or self.address_size == 1:
            return self.server_physical, self.address_size
        return None


@cache
def load_meter_presets() -> tuple[MeterPreset, ...]:
    """Every preset, in the file's order. Reads the packaged JSON once (the first call
    does file I/O: in an event loop, make it from an executor)."""
    return read_presets("meter_presets.json", MeterPreset)


def meter_preset_named(preset_id: str) -> MeterPreset:
    """The preset with this id; ConfigurationError for an unknown id."""
    return preset_named(load_meter_presets(), preset_id, "meter")


def preset_addresses() -> list[tuple[int | None, int | None]]:
    """The presets' fixed server addresses, in order: detection's candidates after the
    usual ones."""
    return [address for preset in load_meter_presets() if (address := preset.address)]
