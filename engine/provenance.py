"""Provenance read from a file: checked once, at the door, into typed values.

A file's provenance may come from anyone, so `muse info` and `muse reproduce` never index into
the raw JSON. :func:`parse` turns it into :class:`Made` (a work a component made) and
:class:`SourceFile` (a file Muse did not make) nodes, or raises :class:`BadProvenance` naming
the field (``inputs[0].params``). A file without any Muse keys has no provenance at all.

This module also holds the reproduce trust model (:class:`Trust`): which files the provenance
may make Muse read. It stays free of heavy imports; `muse --help` loads the CLI that names it.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from collections.abc import Iterator

from .errors import MuseError

Scalar = str | int | float | bool | None
KINDS = ("generator", "stylizer", "composer")
#: Keys that mark a dict as Muse provenance (a made work, or a file it was made from).
MARKERS = ("component", "kind", "source")
#: A chain deeper than this is not one anybody made; refuse it before recursing.
MAX_DEPTH = 64
MAX_NODES = 10_000


class BadProvenance(MuseError):
    """Provenance that Muse did not write (or that was edited): names the first bad field."""


class NoProvenance(MuseError):
    """A file that carries no Muse provenance."""


@dataclass(frozen=True)
class FilePass:
    """A trip of the work through a file: its format (suffix) and the render options given."""

    format: str
    params: dict[str, Scalar]

    def to_json(self) -> dict[str, Any]:
        return {"format": self.format, "params": dict(self.params)}


@dataclass(frozen=True)
class SourceFile:
    """An input Muse did not make: a file, known by its path and content hash."""

    path: str
    sha256: str | None
    files: tuple[FilePass, ...]
    meta: dict[str, Any]


@dataclass(frozen=True)
class Made:
    """A work a component made, and the provenance of the works it was made from."""

    kind: str
    component: str
    plugin: str | None
    version: str | None
    package: str | None
    params: dict[str, Scalar]
    seed: int
    inputs: tuple[Node, ...]
    checkpoint: str | None
    files: tuple[FilePass, ...]
    meta: dict[str, Any]
    #: How many of the last ``inputs`` the component made itself on the way (through its
    #: context, e.g. the melody a song asked the melody generator for); the others were given.
    made_inputs: int = 0

    @property
    def given(self) -> tuple[Node, ...]:
        return self.inputs[:len(self.inputs) - self.made_inputs]

    @property
    def made(self) -> tuple[Node, ...]:
        return self.inputs[len(self.inputs) - self.made_inputs:]

    @property
    def label(self) -> str:
        return f"{self.kind} {self.component!r}"

    @property
    def maker(self) -> str:
        """Who made it, as a user would install it: plugin, version and package."""
        text = f"plugin {self.plugin or '?'}"
        if self.version:
            text += f" {self.version}"
        if self.package:
            text += f", package {self.package}"
        return text


Node = Made | SourceFile


def has_provenance(meta: Any) -> bool:
    return isinstance(meta, dict) and any(key in meta for key in MARKERS)


def parse(meta: Any, where: str = "provenance") -> Node:
    """The typed provenance in ``meta``; NoProvenance or BadProvenance (naming a field) otherwise."""
    if not has_provenance(meta):
        raise NoProvenance(f"no Muse provenance in {where}")
    count = [0]
    return _node(meta, "", 0, count, where)


def nodes(node: Node, path: tuple[int, ...] = ()) -> Iterator[tuple[tuple[int, ...], Node]]:
    """Every node of the tree with its position (input indexes from the top), top first."""
    yield path, node
    if isinstance(node, Made):
        for index, child in enumerate(node.inputs):
            yield from nodes(child, (*path, index))


def step_name(top: Node, path: tuple[int, ...]) -> str:
    """A node's place in words: ``input 1 of composer 'poster'`` (1-based, as users count)."""
    if not path:
        return "the work itself"
    parent: Node = top
    for index in path[:-1]:
        assert isinstance(parent, Made)
        parent = parent.inputs[index]
    assert isinstance(parent, Made)
    return f"input {path[-1] + 1} of {parent.label}"


# -- the schema --------------------------------------------------------------------------------
def _node(meta: Any, field: str, depth: int, count: list[int], where: str) -> Node:
    here = field or "provenance"
    if not isinstance(meta, dict):
        _bad(where, here, "is not a mapping", meta)
    if depth > MAX_DEPTH:
        raise BadProvenance(f"{where}: provenance is nested deeper than {MAX_DEPTH} steps")
    count[0] += 1
    if count[0] > MAX_NODES:
        raise BadProvenance(f"{where}: provenance has more than {MAX_NODES} steps")
    prefix = f"{field}." if field else ""
    files = _files(meta, prefix, where)
    if "component" not in meta and "kind" not in meta:
        source = _text(meta, "source", prefix, where, required=True)
        assert source is not None
        return SourceFile(source, _sha(meta, "sha256", prefix, where), files, meta)
    kind = _text(meta, "kind", prefix, where, required=True)
    if kind not in KINDS:
        raise BadProvenance(f"{where}: provenance field {prefix}kind={kind!r} is not one of {', '.join(KINDS)}")
    seed = meta.get("seed")
    if isinstance(seed, bool) or not isinstance(seed, int):
        _bad(where, prefix + "seed", "is missing" if "seed" not in meta else "is not an integer", seed)
    if not 0 <= seed < 2**64:
        raise BadProvenance(f"{where}: provenance field {prefix}seed={seed} is out of range 0..2**64-1")
    raw_inputs = meta.get("inputs", [])
    if not isinstance(raw_inputs, list):
        _bad(where, prefix + "inputs", "is not a list", raw_inputs)
    made_inputs = meta.get("made_inputs", 0)
    if isinstance(made_inputs, bool) or not isinstance(made_inputs, int) or not 0 <= made_inputs <= len(raw_inputs):
        raise BadProvenance(f"{where}: provenance field {prefix}made_inputs={made_inputs!r} is not a count of its "
                            f"{len(raw_inputs)} input(s)")
    given = len(raw_inputs) - made_inputs
    if kind == "generator" and given:
        raise BadProvenance(f"{where}: provenance field {prefix}inputs: a generator has no inputs")
    if kind == "stylizer" and given != 1:
        raise BadProvenance(f"{where}: provenance field {prefix}inputs: a stylizer has exactly one input, not {given}")
    inputs = tuple(_node(child, f"{prefix}inputs[{i}]", depth + 1, count, where) for i, child in enumerate(raw_inputs))
    return Made(
        kind=kind,
        component=_text(meta, "component", prefix, where, required=True) or "",
        plugin=_text(meta, "plugin", prefix, where),
        version=_text(meta, "version", prefix, where),
        package=_text(meta, "package", prefix, where),
        params=_scalars(meta, "params", prefix, where),
        seed=seed,
        inputs=inputs,
        checkpoint=_sha(meta, "checkpoint", prefix, where),
        files=files,
        meta=meta,
        made_inputs=made_inputs,
    )


def _files(meta: dict[str, Any], prefix: str, where: str) -> tuple[FilePass, ...]:
    if "files" not in meta:
        if "render" in meta:  # written before the file passes were recorded: the last one only
            return (FilePass("", _scalars(meta, "render", prefix, where)),)
        return ()
    raw = meta["files"]
    if not isinstance(raw, list):
        _bad(where, prefix + "files", "is not a list", raw)
    passes = []
    for index, item in enumerate(raw):
        field = f"{prefix}files[{index}]"
        if not isinstance(item, dict):
            _bad(where, field, "is not a mapping", item)
        suffix = _text(item, "format", field + ".", where, required=True) or ""
        if not (suffix.startswith(".") and 1 < len(suffix) <= 16 and suffix[1:].isalnum()):
            raise BadProvenance(f"{where}: provenance field {field}.format={suffix!r} is not a file suffix such as '.png'")
        passes.append(FilePass(suffix, _scalars(item, "params", field + ".", where)))
    return tuple(passes)


def _text(meta: dict[str, Any], key: str, prefix: str, where: str, *, required: bool = False) -> str | None:
    if key not in meta or meta[key] is None:
        if required:
            raise BadProvenance(f"{where}: provenance field {prefix}{key} is missing")
        return None
    value = meta[key]
    if not isinstance(value, str) or not value or len(value) > 4096:
        _bad(where, prefix + key, "is not a (short) non-empty string", value)
    return str(value)


def _sha(meta: dict[str, Any], key: str, prefix: str, where: str) -> str | None:
    value = _text(meta, key, prefix, where)
    if value is not None and not (len(value) == 64 and all(c in "0123456789abcdef" for c in value)):
        _bad(where, prefix + key, "is not a sha256 hex digest", value)
    return value


def _scalars(meta: dict[str, Any], key: str, prefix: str, where: str) -> dict[str, Scalar]:
    value = meta.get(key, {})
    if not isinstance(value, dict):
        _bad(where, prefix + key, "is not a mapping", value)
    for name, item in value.items():
        ok = item is None or isinstance(item, (str, bool, int)) or (isinstance(item, float) and math.isfinite(item))
        if not ok:
            _bad(where, f"{prefix}{key}.{name}", "is not a string, number or true/false", item)
    return dict(value)


def _bad(where: str, field: str, problem: str, value: Any) -> None:
    raise BadProvenance(f"{where}: provenance field {field} {problem} (got {_kind_of(value)})")


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    names = {dict: "a mapping", list: "a list", str: "a string", int: "a number", float: "a number", type(None): "null"}
    return names.get(type(value), type(value).__name__)


# -- the reproduce trust model -----------------------------------------------------------------
class Untrusted(MuseError):
    """Provenance that would make reproduce read a file outside the places the user trusts."""


@dataclass(frozen=True)
class Trust:
    """Where reproduce may read files named by a file's provenance.

    ``roots`` are the work's own folder and the paths given with ``--allow-path`` (files or
    folders). A path counts as inside when it resolves (symlinks followed) to a root or below it.
    """

    roots: tuple[Path, ...]

    @classmethod
    def for_work(cls, path: Path | str, allow: tuple[Path | str, ...] = ()) -> Trust:
        own = Path(path).expanduser().resolve().parent
        return cls(tuple(dict.fromkeys([own, *(Path(p).expanduser().resolve() for p in allow)])))

    def allows(self, path: Path | str) -> bool:
        resolved = Path(path).expanduser().resolve()
        return any(resolved == root or resolved.is_relative_to(root) for root in self.roots)

    def check(self, path: Path | str, what: str, where: str) -> None:
        if not self.allows(path):
            outside = f"outside {self.roots[0]}" if self.roots else "and no folder is allowed"
            raise Untrusted(
                f"{where}: {what} reads {path}, {outside}; reproduce reads only files in the work's "
                f"folder: rerun with --allow-path {path} if you trust this file")


def named_paths(value: Scalar, is_path: bool) -> list[str]:
    """The file paths a parameter value may name: all of it for a Path parameter; for a string,
    each comma-separated piece that looks like a path (a separator, ``~``, a file suffix such as
    ``.mid``) or names an existing file. ``default``, ``en`` or ``60 62 64`` name none."""
    if not isinstance(value, str) or not value:
        return []
    if is_path:
        return [value]
    found = []
    for piece in (p.strip() for p in value.split(",")):
        if not piece:
            continue
        suffix = os.path.splitext(piece)[1][1:]
        looks = ("/" in piece or os.sep in piece or piece.startswith("~")
                 or (suffix[:1].isalpha() and suffix.isalnum() and " " not in piece))
        if looks or _exists(piece):
            found.append(piece)
    return found


def _exists(piece: str) -> bool:
    try:
        return os.path.lexists(piece)
    except (OSError, ValueError):  # a name too long for the file system, or with a NUL byte
        return False
