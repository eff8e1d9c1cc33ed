"""The rules of the two checks GitHub runs on this repository, applied here first.

``.github/workflows/hassfest.yml`` runs Home Assistant's hassfest on custom_components/dlms and
``.github/workflows/hacs.yml`` runs HACS's repository validation. Both run only on GitHub,
after a push; these tests apply the same rules to our files so that a push does not find a
broken manifest, translation or hacs.json first. Each check says which upstream rule it
mirrors (hassfest: home-assistant/core ``script/hassfest/``; HACS: hacs/integration
``custom_components/hacs/``). What they check on GitHub itself (the repository's description,
topics, issues, releases) is not checked here.
"""

from __future__ import annotations

import ast
import json
import os
import re
import string
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import homeassistant
import pytest
import yaml
from awesomeversion import AwesomeVersion, AwesomeVersionStrategy
from homeassistant.components.brands.const import ALLOWED_IMAGES
from homeassistant.const import Platform
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import selector
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
INTEGRATION = ROOT / "custom_components" / "dlms"
MANIFEST: dict[str, Any] = json.loads((INTEGRATION / "manifest.json").read_text("utf-8"))
HACS: dict[str, Any] = json.loads((ROOT / "hacs.json").read_text("utf-8"))
EN: dict[str, Any] = json.loads((INTEGRATION / "translations" / "en.json").read_text("utf-8"))
SERVICES: dict[str, Any] = yaml.safe_load((INTEGRATION / "services.yaml").read_text("utf-8"))
ICONS: dict[str, Any] = json.loads((INTEGRATION / "icons.json").read_text("utf-8"))


def integration_files(pattern: str) -> list[Path]:
    """The integration's own files (not the library, which the repository links in)."""
    return sorted(p for p in INTEGRATION.rglob(pattern) if "libdlms" not in p.parts)


# --- hassfest: manifest.py ----------------------------------------------------------------

# CUSTOM_INTEGRATION_MANIFEST_SCHEMA: INTEGRATION_MANIFEST_SCHEMA extended with version,
# issue_tracker and import_executor; any other key is an error (the schema allows no extra).
MANIFEST_KEYS = {
    "domain",
    "name",
    "integration_type",
    "config_flow",
    "mqtt",
    "zeroconf",
    "ssdp",
    "bluetooth",
    "homekit",
    "dhcp",
    "usb",
    "documentation",
    "quality_scale",
    "requirements",
    "dependencies",
    "after_dependencies",
    "codeowners",
    "loggers",
    "disabled",
    "iot_class",
    "single_config_entry",
    "preview_features",
    "version",
    "issue_tracker",
    "import_executor",
}
# SUPPORTED_IOT_CLASSES, and IntegrationType without "virtual".
IOT_CLASSES = {
    "assumed_state",
    "calculated",
    "cloud_polling",
    "cloud_push",
    "local_polling",
    "local_push",
}
INTEGRATION_TYPES = {"device", "entity", "hardware", "helper", "hub", "service", "system"}
LIST_OF_STR_KEYS = ("requirements", "dependencies", "after_dependencies", "codeowners", "loggers")


def is_url(value: object) -> bool:
    """probatio.Url / vol.Url: a string with a scheme and a host."""
    parsed = urlparse(str(value))
    return isinstance(value, str) and bool(parsed.scheme) and bool(parsed.netloc)


# Folders a fresh checkout does not have (made by the tools, or ignored by git).
NOT_IN_A_CHECKOUT = {"build", "dist", "node_modules", "__pycache__"}


def test_one_manifest_in_the_repository() -> None:
    """The hassfest action (script/hassfest/docker/entrypoint.sh) validates every folder
    holding a manifest.json (``find . -name manifest.json``): only the integration has one."""
    found = []
    for folder, subfolders, files in os.walk(ROOT):
        subfolders[:] = [
            name
            for name in subfolders
            if not name.startswith(".")
            and name not in NOT_IN_A_CHECKOUT
            and not name.endswith(".egg-info")
        ]
        if "manifest.json" in files:
            found.append(Path(folder) / "manifest.json")
    assert found == [INTEGRATION / "manifest.json"]


def test_manifest_keys_are_known_and_sorted() -> None:
    """manifest.py: unknown keys are rejected; sort_manifest: "domain, name, then
    alphabetical order"."""
    keys = list(MANIFEST)
    assert set(keys) <= MANIFEST_KEYS, set(keys) - MANIFEST_KEYS
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])


def test_manifest_values() -> None:
    """manifest.py validate_manifest: the domain is the folder's name, an IoT class is
    required, the documentation is https and not core's, a custom integration needs a
    version (verify_version's strategies); config_flow.py: a config flow lives in
    config_flow.py."""
    assert MANIFEST["domain"] == INTEGRATION.name
    assert isinstance(MANIFEST["name"], str)
    assert MANIFEST["iot_class"] in IOT_CLASSES
    assert MANIFEST.get("integration_type", "hub") in INTEGRATION_TYPES
    for key in LIST_OF_STR_KEYS:
        assert all(isinstance(item, str) for item in MANIFEST.get(key, [])), key
    documentation = MANIFEST["documentation"]
    assert is_url(documentation)
    assert urlparse(documentation).scheme == "https"
    assert not documentation.startswith("https://www.home-assistant.io/integrations")
    assert is_url(MANIFEST["issue_tracker"])
    version = AwesomeVersion(
        MANIFEST["version"],
        ensure_strategy=[
            AwesomeVersionStrategy.CALVER,
            AwesomeVersionStrategy.SEMVER,
            AwesomeVersionStrategy.SIMPLEVER,
            AwesomeVersionStrategy.BUILDVER,
            AwesomeVersionStrategy.PEP440,
        ],
    )
    assert version.strategy is not AwesomeVersionStrategy.UNKNOWN
    assert MANIFEST["config_flow"] is True
    assert (INTEGRATION / "config_flow.py").is_file()
    assert not (Path(homeassistant.__file__).parent / "components" / MANIFEST["domain"]).exists()


# requirements.py validate_requirements_format: PACKAGE_REGEX, and no spaces.
PACKAGE_REGEX = re.compile(r"^(?:--.+\s)?([-_,\.\w\d\[\]]+)(==|>=|<=|~=|!=|<|>|===)*(.*)$")


def test_requirements_format() -> None:
    for requirement in MANIFEST["requirements"]:
        assert " " not in requirement
        assert PACKAGE_REGEX.match(requirement)
        Requirement(requirement)  # and pip can read it


# --- hassfest: dependencies.py ------------------------------------------------------------


def referenced_components(path: Path) -> set[str]:
    """ImportCollector: the integrations a module imports from homeassistant.components."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module.startswith("homeassistant.components."):
                found.add(node.module.split(".")[2])
            elif node.module == "homeassistant.components":
                found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {
                alias.name.split(".")[2]
                for alias in node.names
                if alias.name.startswith("homeassistant.components.")
            }
    return found


def test_imported_integrations_are_dependencies() -> None:
    """dependencies.py: "Using component X but it's not in 'dependencies' or
    'after_dependencies'". Entity platforms are allowed, and so is an integration this one
    provides a platform for (diagnostics.py)."""
    allowed = (
        {platform.value for platform in Platform}
        | set(MANIFEST.get("dependencies", []))
        | set(MANIFEST.get("after_dependencies", []))
        | {path.stem for path in integration_files("*.py")}
    )
    for path in integration_files("*.py"):
        assert referenced_components(path) <= allowed, path.name


# --- hassfest: json.py, translations.py ---------------------------------------------------


def test_json_files_parse() -> None:
    """json.py: every JSON file of the integration is valid JSON."""
    for path in integration_files("*.json"):
        json.loads(path.read_text("utf-8"))


# translations.py: RE_TRANSLATION_KEY, RE_URL, RE_PLACEHOLDER_IN_SINGLE_QUOTES,
# RE_COMBINED_REFERENCE.
TRANSLATION_KEY = re.compile(r"^(?!.+[_-]{2})(?![_-])[a-z0-9-_]+(?<![_-])$")
URL = re.compile(
    r"(((ftp|ftps|scp|http|https|mqtt|mqtts|socket|socks5):\/\/|www\.)"
    r"[a-z0-9]+([\-\.]{1}[a-z0-9]+)*\.[a-z]{2,5}(:[0-9]{1,5})?(\/.*)?)",
    re.IGNORECASE,
)
SINGLE_QUOTED_PLACEHOLDER = re.compile(r"'{\w+}'")
COMBINED_REFERENCE = re.compile(r"(.+\[%)|(%\].+)")


def strings(tree: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str]]:
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from strings(value, (*path, key))
    else:
        yield path, tree


@pytest.mark.parametrize("path", [p for p, _ in strings(EN)], ids=".".join)
def test_translation_values(path: tuple[str, ...]) -> None:
    """translations.py validate_translation_value: no HTML, no placeholder in single
    quotes, placeholders are identifiers, no combined reference, no leading or trailing
    space, no URL (URLs go into placeholders)."""
    value = dict(strings(EN))[path]
    assert isinstance(value, str)
    cv.string_with_no_html(value)
    assert not SINGLE_QUOTED_PLACEHOLDER.search(value)
    for _, field, _, _ in string.Formatter().parse(value):
        assert not field or field.isidentifier(), field
    assert not COMBINED_REFERENCE.search(value)
    assert value == value.strip()
    assert not URL.search(value), URL.search(value)


def test_translation_keys() -> None:
    """translations.py gen_strings_schema: selector options, entity translation keys and
    service fields are translation keys; exceptions and platforms are slugs; a
    data_description needs its field in data; an issue has a title and a description."""
    for name, selector_strings in EN["selector"].items():
        assert cv.slug(name) == name
        assert all(TRANSLATION_KEY.match(option) for option in selector_strings["options"])
    for platform, entities in EN["entity"].items():
        assert cv.slug(platform) == platform
        assert all(TRANSLATION_KEY.match(key) for key in entities)
    assert all(cv.slug(key) == key for key in EN["exceptions"])
    for service, texts in EN["services"].items():
        assert TRANSLATION_KEY.match(service)
        assert all(TRANSLATION_KEY.match(field) for field in texts.get("fields", {}))
    for flow in ("config", "options"):
        for step in EN[flow]["step"].values():
            assert set(step.get("data_description", {})) <= set(step.get("data", {}))
    for issue in EN["issues"].values():
        assert set(issue) == {"title", "description"}


# --- hassfest: services.py ----------------------------------------------------------------

# CUSTOM_INTEGRATION_SERVICE_SCHEMA and CUSTOM_INTEGRATION_FIELD_SCHEMA.
SERVICE_KEYS = {"description", "name", "target", "fields"}
FIELD_KEYS = {
    "example",
    "default",
    "required",
    "advanced",
    "selector",
    "filter",
    "description",
    "name",
}


def test_services_yaml() -> None:
    """services.py: the integration registers actions, so services.yaml exists and follows
    the custom-integration schema, selectors validate, and every action and field has a
    name and a description (in services.yaml or in translations/en.json)."""
    assert set(SERVICES) == {"read_attribute", "write_attribute", "call_method"}
    for service, schema in SERVICES.items():
        assert cv.slug(service) == service
        assert set(schema) <= SERVICE_KEYS
        texts = EN["services"][service]
        assert {"name", "description"} <= set(schema) | set(texts)
        for field, field_schema in schema["fields"].items():
            assert set(field_schema) <= FIELD_KEYS, field
            if "selector" in field_schema:
                selector.validate_selector(field_schema["selector"])
            assert {"name", "description"} <= set(field_schema) | set(texts["fields"][field])


# --- hassfest: icons.py -------------------------------------------------------------------


def is_icon(value: object) -> bool:
    """icon_value_validator: a Material Design Icon."""
    return isinstance(value, str) and value.startswith("mdi:")


def test_icons() -> None:
    """icons.py icon_schema (an integration of type device): entity icons by platform and
    translation key, each with a default icon; action icons (a service icon and optional
    section icons, or the short form)."""
    assert set(ICONS) <= {"config", "issues", "options", "services", "entity"}
    for platform, entities in ICONS["entity"].items():
        assert cv.slug(platform) == platform
        for key, icons in entities.items():
            assert TRANSLATION_KEY.match(key)
            assert set(icons) <= {"default", "state", "state_attributes"}
            assert is_icon(icons["default"])
            assert all(is_icon(icon) for icon in icons.get("state", {}).values())
    for service, icons in ICONS["services"].items():
        assert TRANSLATION_KEY.match(service)
        if isinstance(icons, dict):
            assert set(icons) <= {"service", "sections"}
            assert is_icon(icons["service"])
            assert all(is_icon(icon) for icon in icons.get("sections", {}).values())
        else:
            assert is_icon(icons)


# --- hassfest: quality_scale.py (core only; kept to its schema all the same) ----------------

QUALITY_SCALE_RULES = {
    # Bronze
    "action-setup",
    "appropriate-polling",
    "brands",
    "common-modules",
    "config-flow",
    "config-flow-test-coverage",
    "dependency-transparency",
    "docs-actions",
    "docs-conditions",
    "docs-high-level-description",
    "docs-installation-instructions",
    "docs-removal-instructions",
    "docs-triggers",
    "entity-event-setup",
    "entity-unique-id",
    "has-entity-name",
    "runtime-data",
    "test-before-configure",
    "test-before-setup",
    "unique-config-entry",
    # Silver
    "action-exceptions",
    "config-entry-unloading",
    "docs-configuration-parameters",
    "docs-installation-parameters",
    "entity-unavailable",
    "integration-owner",
    "log-when-unavailable",
    "parallel-updates",
    "reauthentication-flow",
    "test-coverage",
    # Gold
    "devices",
    "diagnostics",
    "discovery",
    "discovery-update-info",
    "docs-data-update",
    "docs-examples",
    "docs-known-limitations",
    "docs-supported-devices",
    "docs-supported-functions",
    "docs-troubleshooting",
    "docs-use-cases",
    "dynamic-devices",
    "entity-category",
    "entity-device-class",
    "entity-disabled-by-default",
    "entity-translations",
    "exception-translations",
    "icon-translations",
    "reconfiguration-flow",
    "repair-issues",
    "stale-devices",
    # Platinum
    "async-dependency",
    "inject-websession",
    "strict-typing",
}


def test_quality_scale_yaml() -> None:
    """quality_scale.py SCHEMA: every rule, each "done" or "todo" (bare or with a comment)
    or "exempt" with the reason in a comment."""
    rules = yaml.safe_load((INTEGRATION / "quality_scale.yaml").read_text("utf-8"))["rules"]
    assert set(rules) == QUALITY_SCALE_RULES
    for name, value in rules.items():
        if isinstance(value, str):
            assert value in {"done", "todo"}, name
        else:
            assert value["status"] in {"done", "todo", "exempt"}, name
            assert set(value) <= {"status", "comment"}, name
            if value["status"] == "exempt":
                assert value["comment"].strip(), name


# --- HACS ---------------------------------------------------------------------------------

# utils/validate.py HACS_MANIFEST_JSON_SCHEMA (extra keys prevented): key -> type.
HACS_KEYS: dict[str, type] = {
    "content_in_root": bool,
    "country": str,
    "filename": str,
    "hacs": str,
    "hide_default_branch": bool,
    "homeassistant": str,
    "persistent_directory": str,
    "render_readme": bool,
    "zip_release": bool,
    "name": str,
}


def test_hacs_json() -> None:
    """validate/hacsjson.py: hacs.json follows HACS_MANIFEST_JSON_SCHEMA (a name, known keys
    only), and "zip_release is True, but filename is not set" is an error for
    integrations. The minimum Home Assistant is a version, and one the tests meet."""
    assert "name" in HACS
    for key, value in HACS.items():
        assert key in HACS_KEYS, key
        assert isinstance(value, HACS_KEYS[key]), key
    assert HACS["zip_release"] is True
    assert HACS["filename"]
    minimum = AwesomeVersion(HACS["homeassistant"])
    assert minimum.strategy is AwesomeVersionStrategy.CALVER
    assert minimum <= AwesomeVersion(homeassistant.const.__version__)


def test_the_release_asset_is_the_one_scripts_package_builds() -> None:
    """With zip_release HACS installs the release asset hacs.json names; scripts/package
    builds the asset a release publishes."""
    assert f'"$out/{HACS["filename"]}"' in (ROOT / "scripts" / "package").read_text("utf-8")


def test_hacs_integration_manifest() -> None:
    """utils/validate.py INTEGRATION_MANIFEST_JSON_SCHEMA: codeowners (a list),
    documentation and issue_tracker (URLs), domain, name and version (a version)."""
    assert isinstance(MANIFEST["codeowners"], list)
    assert MANIFEST["codeowners"]
    assert is_url(MANIFEST["documentation"])
    assert is_url(MANIFEST["issue_tracker"])
    assert isinstance(MANIFEST["domain"], str)
    assert isinstance(MANIFEST["name"], str)
    assert AwesomeVersion(MANIFEST["version"]).strategy is not AwesomeVersionStrategy.UNKNOWN


def test_hacs_repository_layout() -> None:
    """repositories/integration.py: the integration is the first folder in
    custom_components/ (so the only one), with its manifest.json (validate/
    integration_manifest.py); validate/information.py: a README; validate/license.py: a
    license."""
    folders = [path for path in (ROOT / "custom_components").iterdir() if path.is_dir()]
    assert folders == [INTEGRATION]
    assert (INTEGRATION / "manifest.json").is_file()
    assert (ROOT / "README.md").is_file()
    assert (ROOT / "LICENSE").is_file()


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path.name
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_brand_images() -> None:
    """validate/brands.py: an integration without custom_components/<domain>/brand/icon.png
    must be listed in the brands repository (closed to custom integrations now), so the icon
    is here; Home Assistant's brands integration serves only the names in ALLOWED_IMAGES.
    Sizes as the brands repository asks: icon 256x256, icon@2x 512x512."""
    brand = INTEGRATION / "brand"
    names = {path.name for path in brand.iterdir()}
    assert "icon.png" in names
    assert names <= ALLOWED_IMAGES
    assert not any(path.is_symlink() for path in brand.iterdir())
    assert png_size(brand / "icon.png") == (256, 256)
    if "icon@2x.png" in names:
        assert png_size(brand / "icon@2x.png") == (512, 512)
    for path in brand.iterdir():
        png_size(path)
