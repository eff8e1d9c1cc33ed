"""What a meter answers instead of (or besides) a value: the data-access-result of GET and
SET, the action-result of ACTION, and the Get-Data-Result CHOICE (a value or a
data-access-result) that GET responses and ACTION return parameters carry."""

from __future__ import annotations

from typing import Any, TypeAlias

from ...errors import DecodeError
from ..axdr import Data, Reader, encode_data, read_data
from ._fields import NamedCode, _uint, code_name


class DataAccessResult(NamedCode):
    SUCCESS = 0
    HARDWARE_FAULT = 1
    TEMPORARY_FAILURE = 2
    READ_WRITE_DENIED = 3
    OBJECT_UNDEFINED = 4
    OBJECT_CLASS_INCONSISTENT = 9
    OBJECT_UNAVAILABLE = 11
    TYPE_UNMATCHED = 12
    SCOPE_OF_ACCESS_VIOLATED = 13
    DATA_BLOCK_UNAVAILABLE = 14
    LONG_GET_ABORTED = 15
    NO_LONG_GET_IN_PROGRESS = 16
    LONG_SET_ABORTED = 17
    NO_LONG_SET_IN_PROGRESS = 18
    DATA_BLOCK_NUMBER_INVALID = 19
    OTHER_REASON = 250


class ActionResult(NamedCode):
    SUCCESS = 0
    HARDWARE_FAULT = 1
    TEMPORARY_FAILURE = 2
    READ_WRITE_DENIED = 3
    OBJECT_UNDEFINED = 4
    OBJECT_CLASS_INCONSISTENT = 9
    OBJECT_UNAVAILABLE = 11
    TYPE_UNMATCHED = 12
    SCOPE_OF_ACCESS_VIOLATED = 13
    DATA_BLOCK_UNAVAILABLE = 14
    LONG_ACTION_ABORTED = 15
    NO_LONG_ACTION_IN_PROGRESS = 16
    OTHER_REASON = 250


AccessResult: TypeAlias = DataAccessResult | int
"""A data-access-result (an int if not in our enum)."""

GetDataResult: TypeAlias = Data | DataAccessResult | int
"""A value, or the data-access-result the meter gave instead (an int if not in our enum)."""


def data_access_result_name(value: DataAccessResult | int) -> str:
    return code_name(DataAccessResult, value, "data-access-result")


def action_result_name(value: ActionResult | int) -> str:
    return code_name(ActionResult, value, "action-result")


def get_data_result_json(result: GetDataResult) -> dict[str, Any]:
    """``{"data": <value>}`` or ``{"data_access_result": "<name>"}``."""
    if isinstance(result, Data):
        return {"data": result.to_json()}
    return {"data_access_result": data_access_result_name(result)}


def _encode_get_data_result(result: GetDataResult) -> bytes:
    if isinstance(result, Data):
        return b"\x00" + encode_data(result)
    return b"\x01" + _uint(int(result), 1, "data-access-result")


def _read_get_data_result(reader: Reader) -> GetDataResult:
    choice = reader.byte()
    if choice == 0:
        return read_data(reader)
    if choice == 1:
        return DataAccessResult.parse(reader.byte())
    raise DecodeError(f"unknown Get-Data-Result choice {choice}")
