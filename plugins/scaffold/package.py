"""Writing a new plugin package: names derived from one NAME, then the templates filled in."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from string import Template

from engine import MuseError

from . import templates

_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


@dataclass(frozen=True)
class PackageNames:
    """Every spelling of a plugin's name: what users type, what pip installs, what Python imports."""

    slug: str  # the component and entry-point name: "flow-field"
    dist: str  # the distribution: "muse-flow-field"
    module: str  # the import package: "muse_flow_field"
    cls: str  # the class-name stem: "FlowField"

    @classmethod
    def from_name(cls, name: str) -> PackageNames:
        slug = name.strip().removeprefix("muse-")
        if not _NAME.match(slug):
            raise MuseError(f"plugin name {name!r} is not valid; use lower-case letters, digits and single "
                            f"hyphens, starting with a letter (e.g. flow-field)")
        return cls(slug=slug, dist=f"muse-{slug}", module=f"muse_{slug.replace('-', '_')}",
                   cls="".join(part.capitalize() for part in slug.split("-")))


def write_package(names: PackageNames, folder: Path, engine_version: str) -> list[Path]:
    """Write the package into ``folder`` (new or empty) and return the files, in writing order."""
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise MuseError(f"{folder} already exists and is not an empty folder; choose another with --dir")
    values = {**vars(names), "engine_version": _release(engine_version)}
    written = []
    for relative, text in templates.FILES.items():
        path = folder / Template(relative).substitute(values)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(Template(text).substitute(values), encoding="utf-8")
        written.append(path)
    return written


def _release(version: str) -> str:
    """The ``X.Y`` of the running engine, the lowest muse-engine the new package asks for."""
    parts = re.findall(r"\d+", version)[:2]
    return ".".join(parts) if len(parts) == 2 else "0.1"
