"""What HACS installs: the release zip (scripts/package_integration.py), the integration with
the library vendored. Built here as a release builds it, then loaded on its own."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import sys
import tomllib
import zipfile
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def _packager() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "package_integration", ROOT / "scripts" / "package_integration.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_zip_holds_the_integration_and_the_library(tmp_path: Path) -> None:
    archive = _packager().build(tmp_path / "dlms.zip")
    with zipfile.ZipFile(archive) as opened:
        names = set(opened.namelist())
        modes = {info.external_attr >> 16 for info in opened.infolist()}
    assert modes == {0o644}  # files only: no links, nothing executable
    assert "manifest.json" in names  # the integration's folder is the zip's root
    library = {
        f"libdlms/{p.relative_to(ROOT / 'libdlms').as_posix()}"
        for p in (ROOT / "libdlms").rglob("*.py")
    }
    integration = {p.name for p in (ROOT / "custom_components" / "dlms").glob("*.py")}
    assert library <= names
    assert integration <= names
    assert not any("__pycache__" in name for name in names)


def test_one_version_everywhere() -> None:
    """The release process (CONTRIBUTING.md) bumps one version in three places."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    manifest = json.loads((ROOT / "custom_components/dlms/manifest.json").read_text("utf-8"))
    init = (ROOT / "libdlms" / "__init__.py").read_text(encoding="utf-8")
    assert f'__version__ = "{project["version"]}"' in init
    assert manifest["version"] == project["version"]
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## {project['version']}" in changelog


async def test_the_unpacked_zip_imports_on_its_own(tmp_path: Path) -> None:
    """Unpacked where Home Assistant looks (config/custom_components/dlms) and imported in a
    fresh interpreter that sees neither this checkout nor its libdlms/: every module loads."""
    packager = _packager()
    target = tmp_path / "config" / "custom_components" / "dlms"
    packager.unpack(packager.build(tmp_path / "dlms.zip"), target)
    (target.parent / "__init__.py").write_text("")
    script = """
import importlib, pkgutil, sys
import custom_components.dlms as integration
names = [
    m.name
    for m in pkgutil.walk_packages(integration.__path__, "custom_components.dlms.")
    if not m.name.endswith("__main__")
]
for name in names:
    importlib.import_module(name)
assert not [m for m in sys.modules if m.split(".")[0] == "libdlms"], "a top-level libdlms"
print(len(names))
"""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-I",  # isolated: no PYTHONPATH, no current directory, no user site
        "-c",
        f"import sys; sys.path.insert(0, {str(tmp_path / 'config')!r})\n{script}",
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(120):
        stdout, stderr = await process.communicate()
    assert process.returncode == 0, stderr.decode()
    assert int(stdout) > 40  # the integration's modules and the vendored library's
