"""Every key the code uses has English text (custom integrations get no hassfest check)."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

from custom_components.dlms.const import (
    ADDRESS_SIZES,
    AUTHENTICATIONS,
    CLIENT_ADDRESS_PRESETS,
    IC_SOURCES,
    METER_PRESET_OPTIONS,
    SECURITY_POLICIES,
    SECURITY_SUITES,
)
from custom_components.dlms.detect_flow import NOTHING_ERRORS, START_SCHEMA, client_schema
from custom_components.dlms.errors import (
    AUTH_FAILED_EXCEPTIONS,
    SESSION_ERRORS,
    SETUP_ERROR_EXCEPTIONS,
    UPDATE_FAILED_EXCEPTIONS,
)
from custom_components.dlms.flow_schemas import (
    ADDRESSING_SCHEMA,
    RECONFIGURE_SCHEMA,
    SECURITY_SCHEMA,
    USER_SCHEMA,
    objects_schema,
    reauth_schema,
)
from custom_components.dlms.obis_catalogue import CATALOGUE, GENERIC_TRANSLATION_KEY
from custom_components.dlms.push_listen import PUSH_FLOW_ERRORS
from custom_components.dlms.services import (
    CALL_METHOD_SCHEMA,
    READ_ATTRIBUTE_SCHEMA,
    WRITE_ATTRIBUTE_SCHEMA,
)

INTEGRATION = Path(__file__).parents[2] / "custom_components" / "dlms"
EN = json.loads((INTEGRATION / "translations" / "en.json").read_text(encoding="utf-8"))


def string_constants_after(keyword: str, module: str) -> set[str]:
    """String values passed as ``keyword=`` anywhere in a module."""
    tree = ast.parse((INTEGRATION / module).read_text(encoding="utf-8"))
    return {
        node.value.value
        for node in ast.walk(tree)
        if isinstance(node, ast.keyword)
        and node.arg == keyword
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    }


def flow_input_errors() -> set[str]:
    """The error keys ``entry_data`` raises: ``FlowInputError(field, "key", ...)``."""
    tree = ast.parse((INTEGRATION / "entry_data.py").read_text(encoding="utf-8"))
    keys = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "FlowInputError"
        ):
            key = node.args[1]
            assert isinstance(key, ast.Constant), ast.unparse(node)
            keys.add(key.value)
    return keys


def test_form_fields() -> None:
    # Every secret a reauth can ask for: an LLS password and both keys of a ciphered entry.
    reauth = reauth_schema(
        {
            "authentication": "lls",
            "security_policy": "authenticated-encryption",
            "encryption_key": "00" * 16,
            "authentication_key": "00" * 16,
            "client_private_key": "-----BEGIN PRIVATE KEY-----",  # an HLS-ECDSA entry's
        }
    )
    steps = {
        "user": {str(key) for key in START_SCHEMA.schema},
        "connection": {str(key) for key in USER_SCHEMA.schema},
        "client": {str(key) for key in client_schema().schema},
        "addressing": {str(key) for key in ADDRESSING_SCHEMA.schema},
        "security": {str(key) for key in SECURITY_SCHEMA.schema},
        "objects": {str(key) for key in objects_schema({}, []).schema},
        "reconfigure": {str(key) for key in RECONFIGURE_SCHEMA.schema},
        "reauth_confirm": {str(key) for key in reauth.schema},
    }
    for step_id, fields in steps.items():
        step = EN["config"]["step"][step_id]
        assert set(step["data"]) == fields
        assert set(step["data_description"]) == fields
    options = EN["options"]["step"]["init"]
    assert (
        set(options["data"])
        == set(options["data_description"])
        == {
            "scan_interval",
            "obis_codes",
            "keep_session",
            "load_profile_import",
            "load_profile",
            "backfill_days",
            "clock_tolerance",
        }
    )


def test_flow_errors_and_aborts() -> None:
    source = (INTEGRATION / "config_flow.py").read_text(encoding="utf-8")
    errors = set(re.findall(r'errors\[[^\]]+\] = "([a-z_]+)"', source))
    errors |= SESSION_ERRORS | flow_input_errors() | {"unknown"}  # probe_error's last resort
    errors |= PUSH_FLOW_ERRORS  # the push path's listening step (push_listen)
    errors |= set(NOTHING_ERRORS.values())  # a detection that found nothing
    assert errors == set(EN["config"]["error"])
    assert {"already_configured", "wrong_meter"} <= set(EN["config"]["abort"])
    # The options flow shows the meter's errors and the OBIS errors.
    assert set(EN["options"]["error"]) <= set(EN["config"]["error"])
    assert set(EN["options"]["error"]) >= SESSION_ERRORS | {"invalid_obis", "object_not_found"}


def test_exceptions() -> None:
    keys = string_constants_after("translation_key", "coordinator.py")
    keys |= string_constants_after("translation_key", "services.py")
    keys |= string_constants_after("translation_key", "button.py") - set(EN["entity"]["button"])
    keys |= string_constants_after("translation_key", "switch.py") - set(EN["entity"]["switch"])
    keys |= set(AUTH_FAILED_EXCEPTIONS.values()) | set(UPDATE_FAILED_EXCEPTIONS.values())
    keys |= set(SETUP_ERROR_EXCEPTIONS.values())
    assert keys == set(EN["exceptions"])
    assert "{error}" in EN["exceptions"]["communication_error"]["message"]


def test_entity_names_and_icons() -> None:
    keys = {known.translation_key for known in CATALOGUE.values()} | {GENERIC_TRANSLATION_KEY}
    keys |= {"last_read", "clock_offset", "push_value"}
    assert set(EN["entity"]["sensor"]) == keys
    assert EN["entity"]["sensor"][GENERIC_TRANSLATION_KEY]["name"] == "OBIS {obis}"
    icons = json.loads((INTEGRATION / "icons.json").read_text(encoding="utf-8"))
    assert set(icons["entity"]["sensor"]) <= keys


def test_selectors() -> None:
    assert set(EN["selector"]["address_size"]["options"]) == set(ADDRESS_SIZES)
    assert set(EN["selector"]["client_address_preset"]["options"]) == set(CLIENT_ADDRESS_PRESETS)
    assert set(EN["selector"]["authentication"]["options"]) == set(AUTHENTICATIONS)
    assert set(EN["selector"]["security_policy"]["options"]) == set(SECURITY_POLICIES)
    assert set(EN["selector"]["security_suite"]["options"]) == set(SECURITY_SUITES)
    assert set(EN["selector"]["invocation_counter_source"]["options"]) == set(IC_SOURCES)
    assert set(EN["selector"]["meter_preset"]["options"]) == set(METER_PRESET_OPTIONS)


def test_actions() -> None:
    services = EN["services"]
    for name, schema in (
        ("read_attribute", READ_ATTRIBUTE_SCHEMA),
        ("write_attribute", WRITE_ATTRIBUTE_SCHEMA),
        ("call_method", CALL_METHOD_SCHEMA),
    ):
        assert set(services[name]["fields"]) == {str(key) for key in schema.schema}, name


def test_issues() -> None:
    from custom_components.dlms.issues import ISSUES

    assert set(EN["issues"]) == set(ISSUES)
    for issue in EN["issues"].values():
        assert "{title}" in issue["title"]
