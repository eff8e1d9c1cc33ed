"""Build ``dlms.zip``: the integration as HACS installs it from a release.

HACS unpacks the release asset named in ``hacs.json`` into ``custom_components/dlms/``, so the
zip holds the integration folder's files at its root, with the library vendored as real files
at ``libdlms/`` (in the repository that folder is a link to ``libdlms/`` at the root). Nothing
else is in it: no caches, no links. Entries carry one fixed time, so the same tree gives the same
bytes. Standard library only, any Python >= 3.11: ``scripts/package`` and the tests run it.

    python scripts/package_integration.py OUT.zip [--unpack-to DIR]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
INTEGRATION = ROOT / "custom_components" / "dlms"
LIBRARY = ROOT / "libdlms"
VENDORED = "libdlms"
FIXED_TIME = (2020, 1, 1, 0, 0, 0)
SKIPPED_DIRS = {"__pycache__"}
SKIPPED_SUFFIXES = {".pyc", ".pyo"}


def _files(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.rglob("*")):
        if any(part in SKIPPED_DIRS for part in path.relative_to(folder).parts):
            continue
        if path.is_file() and path.suffix not in SKIPPED_SUFFIXES:
            yield path


def integration_files() -> dict[str, Path]:
    """Archive name -> file on disk: the integration's own files, then the library's."""
    files: dict[str, Path] = {}
    for path in _files(INTEGRATION):
        relative = path.relative_to(INTEGRATION)
        if relative.parts[0] == VENDORED:
            continue  # the link to the library, or a stale copy: replaced below
        files[relative.as_posix()] = path
    for path in _files(LIBRARY):
        files[f"{VENDORED}/{path.relative_to(LIBRARY).as_posix()}"] = path
    return files


def build(out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, path in integration_files().items():
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, path.read_bytes())
    return out


def unpack(archive: Path, target: Path) -> None:
    """Replace ``target`` with the archive's content, as HACS does on an update."""
    if target.is_symlink() or target.is_file():
        target.unlink()
    elif target.exists():
        shutil.rmtree(target)
    with zipfile.ZipFile(archive) as opened:
        opened.extractall(target)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="the zip to write")
    parser.add_argument("--unpack-to", type=Path, help="then unpack it into this folder")
    args = parser.parse_args(argv)
    built = build(args.out)
    if args.unpack_to is not None:
        unpack(built, args.unpack_to)
    return 0


if __name__ == "__main__":
    sys.exit(main())
