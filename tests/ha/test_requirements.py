"""Our manifest requirements must install under Home Assistant's own constraints.

Home Assistant installs an integration's requirements with
``--constraint homeassistant/package_constraints.txt``; a requirement (or one of its own
dependencies) that conflicts with a pin there cannot be installed, and the integration
does not load for anyone. These tests resolve our requirements against the constraints of
the Home Assistant that is installed.
"""

from __future__ import annotations

import ast
import json
import sys
from importlib import metadata
from pathlib import Path

import homeassistant
import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

MANIFEST = Path(__file__).parents[2] / "custom_components" / "dlms" / "manifest.json"
TEST_REQUIREMENTS = Path(__file__).parents[2] / "requirements_test.txt"
LIBRARY = Path(__file__).parents[2] / "libdlms"
CONSTRAINTS = Path(homeassistant.__file__).parent / "package_constraints.txt"
BANNED = Version("1000000000.0.0")  # how Home Assistant forbids a package


def load_constraints(text: str) -> dict[str, list[Requirement]]:
    """Constraints that apply here, by canonical package name."""
    constraints: dict[str, list[Requirement]] = {}
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        constraint = Requirement(line)
        if constraint.marker is None or constraint.marker.evaluate():
            constraints.setdefault(canonicalize_name(constraint.name), []).append(constraint)
    return constraints


def conflicts(requirement: Requirement, constraints: dict[str, list[Requirement]]) -> list[str]:
    """Why ``requirement`` cannot be installed under ``constraints`` (empty: it can)."""
    problems = []
    pins = constraints.get(canonicalize_name(requirement.name), [])
    for pin in pins:
        exact = [spec for spec in pin.specifier if spec.operator in ("==", "===")]
        for spec in exact:
            version = Version(spec.version)
            if version == BANNED:
                problems.append(f"{requirement}: Home Assistant bans {pin.name}")
            elif not requirement.specifier.contains(version, prereleases=True):
                problems.append(f"{requirement}: Home Assistant pins {pin}")
    ranges = [pin for pin in pins if not any(s.operator in ("==", "===") for s in pin.specifier)]
    if ranges:
        # A range constraint: the installed version proves the two ranges overlap.
        try:
            installed = Version(metadata.version(requirement.name))
        except metadata.PackageNotFoundError:
            problems.append(f"{requirement}: not installed, cannot check against {ranges}")
        else:
            for pin in [requirement, *ranges]:
                if not pin.specifier.contains(installed, prereleases=True):
                    problems.append(f"{requirement}: installed {installed} does not meet {pin}")
    return problems


@pytest.fixture(scope="module")
def constraints() -> dict[str, list[Requirement]]:
    return load_constraints(CONSTRAINTS.read_text(encoding="utf-8"))


def manifest_requirements() -> list[Requirement]:
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    return [Requirement(text) for text in manifest["requirements"]]


def test_manifest_requirements_meet_home_assistant_pins(
    constraints: dict[str, list[Requirement]],
) -> None:
    requirements = manifest_requirements()
    assert [canonicalize_name(r.name) for r in requirements] == ["cryptography", "serialx"]
    for requirement in requirements:
        assert conflicts(requirement, constraints) == []
        # And the version the tests run with is one the manifest accepts.
        assert requirement.specifier.contains(metadata.version(requirement.name))


def test_dependencies_of_requirements_meet_home_assistant_pins(
    constraints: dict[str, list[Requirement]],
) -> None:
    """serialx's own dependencies (for this platform, without extras) fit the pins too."""
    for requirement in manifest_requirements():
        for text in metadata.requires(requirement.name) or []:
            dependency = Requirement(text)
            if dependency.marker is not None and not dependency.marker.evaluate({"extra": ""}):
                continue
            assert conflicts(dependency, constraints) == [], text


@pytest.mark.parametrize(
    "text",
    ["serialx==1.10.0", "serialx<1.11", "serialx>=2", "pycrypto>=2.6", "typing-extensions<4.16"],
)
def test_the_check_catches_conflicts(constraints: dict[str, list[Requirement]], text: str) -> None:
    """The check is not vacuous: requirements Home Assistant could not install fail it."""
    assert conflicts(Requirement(text), constraints)


def imported_distributions() -> set[str]:
    """The third-party distributions the integration's code imports (not the standard
    library, not Home Assistant, not its own modules)."""
    modules: set[str] = set()
    # The integration's own modules and the library vendored with it (in the repository a link
    # to libdlms/, which a directory walk does not follow).
    for path in [*MANIFEST.parent.rglob("*.py"), *LIBRARY.rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    modules -= set(sys.stdlib_module_names) | {"homeassistant", "__future__"}
    distributions = metadata.packages_distributions()
    return {canonicalize_name(distributions[module][0]) for module in modules}


def test_every_import_is_declared() -> None:
    """Dependency transparency: what the code imports beyond Home Assistant is declared
    (probatio, the schema library, comes with Home Assistant's own helpers)."""
    declared = {canonicalize_name(r.name) for r in manifest_requirements()}
    assert imported_distributions() - {"probatio"} == declared


# Test pins ahead of the Home Assistant that the harness installs, on purpose: what the next
# Home Assistant pins, so the suite runs with what users are about to get.
AHEAD_OF_THE_HARNESS = {"serialx"}


def test_test_pins_follow_home_assistant(constraints: dict[str, list[Requirement]]) -> None:
    """The test environment's pins of packages Home Assistant also pins are Home
    Assistant's, or (listed above) newer ones; either way ones the manifest accepts."""
    declared = {canonicalize_name(r.name): r for r in manifest_requirements()}
    for text in load_constraints(TEST_REQUIREMENTS.read_text(encoding="utf-8")).values():
        (pin,) = text
        (spec,) = pin.specifier
        name = canonicalize_name(pin.name)
        if name in declared:
            assert declared[name].specifier.contains(spec.version), pin
        for ha_pin in constraints.get(name, []):
            (ha_spec,) = ha_pin.specifier
            if name in AHEAD_OF_THE_HARNESS:
                assert Version(spec.version) >= Version(ha_spec.version), pin
            else:
                assert spec.version == ha_spec.version, f"{pin}: Home Assistant pins {ha_pin}"
