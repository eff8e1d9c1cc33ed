"""The simulated meter's object model: a small, realistic electricity meter.

Energy registers integrate the simulated power over wall-clock time, so they grow
between polls as a real meter's do and never go backwards.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from custom_components.dlms.libdlms.codecs.axdr import Data, DataType
from custom_components.dlms.libdlms.codecs.xdlms import DataAccessResult, GetDataResult
from custom_components.dlms.libdlms.cosem.clock import CosemDateTime
from custom_components.dlms.libdlms.cosem.obis import Obis
from custom_components.dlms.libdlms.cosem.objects import ASSOCIATION_LN, InterfaceClass

type AttributeGetter = Callable[[], Data]

# Unit codes (IEC 62056-6-2): Wh 30, W 27, V 35, A 33, Hz 44.
WH, W, V, A, HZ = 30, 27, 35, 33, 44


def _scaler_unit(scaler: int, unit: int) -> Data:
    return Data(DataType.STRUCTURE, [Data(DataType.INTEGER, scaler), Data(DataType.ENUM, unit)])


@dataclass
class CosemObject:
    class_id: int
    obis: Obis
    attributes: dict[int, AttributeGetter]
    version: int = 0


@dataclass
class SimulatedMeter:
    serial_number: str = "12345678"
    logical_device_name: str = "DLMSIM0012345678"
    import_power_w: float = 1500.0
    export_power_w: float = 0.0
    start_import_wh: int = 1_234_567
    start_export_wh: int = 45_678
    clock: Callable[[], float] = time.time
    # The last invocation counter accepted from clients (IDIS 0-0:43.1.0.255), so that a
    # client can read it with the public client before a ciphered association.
    frame_counter: Callable[[], int] = lambda: 0
    objects: dict[Obis, CosemObject] = field(init=False)

    def __post_init__(self) -> None:
        self._started = self.clock()
        objects = [
            self._data(
                "0.0.42.0.0.255",
                lambda: Data(DataType.OCTET_STRING, self.logical_device_name.encode()),
            ),
            self._data(
                "0.0.96.1.0.255", lambda: Data(DataType.OCTET_STRING, self.serial_number.encode())
            ),
            self._data(
                "0.0.43.1.0.255",
                lambda: Data(DataType.DOUBLE_LONG_UNSIGNED, self.frame_counter()),
            ),
            CosemObject(
                InterfaceClass.CLOCK,
                Obis(0, 0, 1, 0, 0, 255),
                {1: self._name(Obis(0, 0, 1, 0, 0, 255)), 2: self._now},
            ),
            self._register(
                "1.0.1.8.0.255", lambda: Data(DataType.DOUBLE_LONG_UNSIGNED, self.import_wh), 0, WH
            ),
            self._register(
                "1.0.2.8.0.255", lambda: Data(DataType.DOUBLE_LONG_UNSIGNED, self.export_wh), 0, WH
            ),
            self._register(
                "1.0.1.7.0.255",
                lambda: Data(DataType.DOUBLE_LONG_UNSIGNED, round(self.power_w)),
                0,
                W,
            ),
            self._register(
                "1.0.2.7.0.255",
                lambda: Data(DataType.DOUBLE_LONG_UNSIGNED, round(self.export_power_w)),
                0,
                W,
            ),
            self._register(
                "1.0.32.7.0.255", lambda: Data(DataType.LONG_UNSIGNED, self.voltage_dv), -1, V
            ),
            self._register(
                "1.0.31.7.0.255", lambda: Data(DataType.LONG_UNSIGNED, self.current_ca), -2, A
            ),
            self._register("1.0.14.7.0.255", lambda: Data(DataType.LONG_UNSIGNED, 5000), -2, HZ),
        ]
        association = CosemObject(
            InterfaceClass.ASSOCIATION_LN,
            ASSOCIATION_LN,
            {1: self._name(ASSOCIATION_LN), 2: self._object_list},
            version=2,
        )
        self.objects = {obj.obis: obj for obj in [association, *objects]}

    # ------------------------------------------------------------------ live values

    @property
    def elapsed_hours(self) -> float:
        return max(0.0, self.clock() - self._started) / 3600

    @property
    def power_w(self) -> float:
        """Import power with a gentle wobble, as a household's is."""
        return self.import_power_w * (1 + 0.05 * math.sin(self.clock() / 60))

    @property
    def import_wh(self) -> int:
        return self.start_import_wh + int(self.import_power_w * self.elapsed_hours)

    @property
    def export_wh(self) -> int:
        return self.start_export_wh + int(self.export_power_w * self.elapsed_hours)

    @property
    def voltage_dv(self) -> int:
        return 2300 + round(15 * math.sin(self.clock() / 90))

    @property
    def current_ca(self) -> int:
        return round(self.power_w / (self.voltage_dv / 10) * 100)

    def _now(self) -> Data:
        now = dt.datetime.fromtimestamp(self.clock()).astimezone()
        return Data(DataType.OCTET_STRING, CosemDateTime.from_datetime(now).to_bytes())

    # ------------------------------------------------------------------ service

    def get(self, class_id: int, obis: Obis, attribute: int) -> GetDataResult:
        obj = self.objects.get(obis)
        if obj is None:
            return DataAccessResult.OBJECT_UNDEFINED
        if obj.class_id != class_id:
            return DataAccessResult.OBJECT_CLASS_INCONSISTENT
        getter = obj.attributes.get(attribute)
        if getter is None:
            return DataAccessResult.OBJECT_UNDEFINED
        return getter()

    # ------------------------------------------------------------------ builders

    @staticmethod
    def _name(obis: Obis) -> AttributeGetter:
        return lambda: Data(DataType.OCTET_STRING, obis.to_bytes())

    def _data(self, obis: str, value: AttributeGetter) -> CosemObject:
        code = Obis.parse(obis)
        return CosemObject(InterfaceClass.DATA, code, {1: self._name(code), 2: value})

    def _register(self, obis: str, value: AttributeGetter, scaler: int, unit: int) -> CosemObject:
        code = Obis.parse(obis)
        return CosemObject(
            InterfaceClass.REGISTER,
            code,
            {1: self._name(code), 2: value, 3: lambda: _scaler_unit(scaler, unit)},
        )

    def _object_list(self) -> Data:
        elements = []
        for obj in self.objects.values():
            attribute_access = Data(
                DataType.ARRAY,
                [
                    Data(
                        DataType.STRUCTURE,
                        [
                            Data(DataType.INTEGER, attribute),
                            Data(DataType.ENUM, 1),  # read-only
                            Data(DataType.NULL_DATA),
                        ],
                    )
                    for attribute in sorted(obj.attributes)
                ],
            )
            elements.append(
                Data(
                    DataType.STRUCTURE,
                    [
                        Data(DataType.LONG_UNSIGNED, obj.class_id),
                        Data(DataType.UNSIGNED, obj.version),
                        Data(DataType.OCTET_STRING, obj.obis.to_bytes()),
                        Data(DataType.STRUCTURE, [attribute_access, Data(DataType.ARRAY, [])]),
                    ],
                )
            )
        return Data(DataType.ARRAY, elements)
