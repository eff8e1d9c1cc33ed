"""The OBIS codes this integration knows by name: one catalogue for the sensors and the flows.

Each code has a translation key: ``entity.sensor.<key>.name`` in the translations names the
sensor, and the same text labels the code in the objects step (the config flow and the
options flow), in Home Assistant's language. The catalogue's order is the order the objects
step offers them in. A code the catalogue does not know is named after itself ("OBIS
1-0:15.8.0*255", the ``obis`` translation key with the code as placeholder).

Why the flow does not let the frontend translate the labels itself (a select selector's
``translation_key``): those translations are keyed by the option's value, a translation key
may hold only ``[a-z0-9-_]`` (hassfest's rule), and the values here are dotted OBIS codes,
which the same field also takes typed by the user. So the flow looks the names up itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from homeassistant.const import (
    UnitOfApparentPower,
    UnitOfElectricCurrent,
    UnitOfElectricPotential,
    UnitOfEnergy,
    UnitOfFrequency,
    UnitOfPower,
    UnitOfReactiveEnergy,
    UnitOfReactivePower,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.translation import async_get_translations

from .const import DOMAIN
from .libdlms import InterfaceClass, Obis

# The name of a code the catalogue does not know: "OBIS {obis}".
GENERIC_TRANSLATION_KEY: Final = "obis"

# Value objects the objects step offers from a meter's object list: every register; Data
# objects only when the catalogue names them.
REGISTER_CLASSES: Final = frozenset(
    {InterfaceClass.REGISTER, InterfaceClass.EXTENDED_REGISTER, InterfaceClass.DEMAND_REGISTER}
)


@dataclass(frozen=True, slots=True)
class KnownObis:
    """What the standard says about a code, before the meter tells us: the sensor's
    translation key, the unit it measures in, and whether its value is a number."""

    translation_key: str
    unit: str | None
    numeric: bool = True


def _electricity(c: int, d: int, e: int) -> Obis:
    return Obis(1, 0, c, d, e, 255)


CATALOGUE: Final[dict[Obis, KnownObis]] = {
    _electricity(1, 8, 0): KnownObis("active_energy_import", UnitOfEnergy.WATT_HOUR),
    _electricity(1, 8, 1): KnownObis("active_energy_import_tariff_1", UnitOfEnergy.WATT_HOUR),
    _electricity(1, 8, 2): KnownObis("active_energy_import_tariff_2", UnitOfEnergy.WATT_HOUR),
    _electricity(2, 8, 0): KnownObis("active_energy_export", UnitOfEnergy.WATT_HOUR),
    _electricity(2, 8, 1): KnownObis("active_energy_export_tariff_1", UnitOfEnergy.WATT_HOUR),
    _electricity(2, 8, 2): KnownObis("active_energy_export_tariff_2", UnitOfEnergy.WATT_HOUR),
    _electricity(3, 8, 0): KnownObis(
        "reactive_energy_import", UnitOfReactiveEnergy.VOLT_AMPERE_REACTIVE_HOUR
    ),
    _electricity(4, 8, 0): KnownObis(
        "reactive_energy_export", UnitOfReactiveEnergy.VOLT_AMPERE_REACTIVE_HOUR
    ),
    _electricity(1, 7, 0): KnownObis("active_power_import", UnitOfPower.WATT),
    _electricity(2, 7, 0): KnownObis("active_power_export", UnitOfPower.WATT),
    _electricity(3, 7, 0): KnownObis(
        "reactive_power_import", UnitOfReactivePower.VOLT_AMPERE_REACTIVE
    ),
    _electricity(4, 7, 0): KnownObis(
        "reactive_power_export", UnitOfReactivePower.VOLT_AMPERE_REACTIVE
    ),
    _electricity(9, 7, 0): KnownObis("apparent_power_import", UnitOfApparentPower.VOLT_AMPERE),
    _electricity(21, 7, 0): KnownObis("active_power_import_l1", UnitOfPower.WATT),
    _electricity(41, 7, 0): KnownObis("active_power_import_l2", UnitOfPower.WATT),
    _electricity(61, 7, 0): KnownObis("active_power_import_l3", UnitOfPower.WATT),
    _electricity(32, 7, 0): KnownObis("voltage_l1", UnitOfElectricPotential.VOLT),
    _electricity(52, 7, 0): KnownObis("voltage_l2", UnitOfElectricPotential.VOLT),
    _electricity(72, 7, 0): KnownObis("voltage_l3", UnitOfElectricPotential.VOLT),
    _electricity(31, 7, 0): KnownObis("current_l1", UnitOfElectricCurrent.AMPERE),
    _electricity(51, 7, 0): KnownObis("current_l2", UnitOfElectricCurrent.AMPERE),
    _electricity(71, 7, 0): KnownObis("current_l3", UnitOfElectricCurrent.AMPERE),
    _electricity(13, 7, 0): KnownObis("power_factor", None),
    _electricity(14, 7, 0): KnownObis("frequency", UnitOfFrequency.HERTZ),
    _electricity(1, 6, 0): KnownObis("maximum_demand_import", UnitOfPower.WATT),
    _electricity(2, 6, 0): KnownObis("maximum_demand_export", UnitOfPower.WATT),
    Obis(0, 0, 96, 1, 0, 255): KnownObis("serial_number", None, numeric=False),
    Obis(0, 0, 96, 14, 0, 255): KnownObis("active_tariff", None, numeric=False),
}


def offered_objects(classes: Mapping[Obis, int], chosen: Iterable[Obis]) -> list[Obis]:
    """What the objects step offers from the meter's object list (OBIS -> class id): the
    catalogue's codes the meter has as a register or a Data object, in catalogue order,
    then its other registers by code; the codes already ``chosen`` are always offered.
    Without an object list (``classes`` empty: the meter could not be asked) the whole
    catalogue is offered."""
    if classes:
        offered = [
            obis
            for obis in CATALOGUE
            if classes.get(obis) in REGISTER_CLASSES or classes.get(obis) == InterfaceClass.DATA
        ]
        offered += sorted(
            obis
            for obis, class_id in classes.items()
            if class_id in REGISTER_CLASSES and obis not in offered
        )
    else:
        offered = list(CATALOGUE)
    offered += [obis for obis in chosen if obis not in offered]
    return offered


async def async_object_labels(hass: HomeAssistant, codes: Iterable[Obis]) -> dict[Obis, str]:
    """Labels for the objects step: the code and, when the catalogue knows it, the name its
    sensor gets, in Home Assistant's language (English where a translation lacks it)."""
    names = await async_get_translations(hass, hass.config.language, "entity", {DOMAIN})
    labels: dict[Obis, str] = {}
    for obis in codes:
        known = CATALOGUE.get(obis)
        key = f"component.{DOMAIN}.entity.sensor.{known.translation_key}.name" if known else ""
        name = names.get(key)
        labels[obis] = f"{obis.reduced} {name}" if name else obis.reduced
    return labels
