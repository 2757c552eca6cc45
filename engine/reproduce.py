"""Making a file's work again from its provenance, under the reproduce trust model.

The chain is rebuilt as it was made: generators first, then each stylizer and composer, and every
work that went through a file on the way (a JPEG input, a MIDI file rendered to WAV, a PNG at
``scale=4``) goes through the same format with the same render options again, so the next step
reads what it read then.

Provenance comes from a file that may come from anyone, so a rebuild reads only files in the
work's own folder or under a path the user allowed (:class:`engine.provenance.Trust`), and turns
off parameters that write elsewhere (``Param(writes=True)``, such as style's ``snapshots``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from .api import Reproduction
from .compare import difference
from .errors import MuseError
from .io import file_sha256
from .params import Param
from .provenance import FilePass, Made, Node, SourceFile, Trust, named_paths, nodes, parse, step_name
from .works import Work

if TYPE_CHECKING:
    from .api import Engine


def reproduce(engine: Engine, path: Path | str, allow: tuple[Path | str, ...] = ()) -> Reproduction:
    path = Path(path)
    original = engine._read(path)
    top = parse(original.meta, str(path))
    missing = _missing(engine, top)
    if missing:
        return Reproduction(original, None, False, missing)
    builder = _Builder(engine, Trust.for_work(path, allow), str(path), top)
    own = top.files[-1] if top.files else FilePass(path.suffix, {})
    remade = builder.build(top, (), passes=top.files[:-1])
    # Compare through the file's own format, so precision the format drops is not a difference.
    remade = _through_file(engine, remade, path.suffix, builder.render_params(own, type(remade), path.suffix, ()))
    how = difference(original, remade)
    changes = _changes(top, remade.meta)
    detail = "identical" if how is None else f"differs: {how}"
    if changes:
        detail += ("; " if how is None else "; since then ") + "; ".join(changes)
    return Reproduction(original, remade, how is None, detail)


def rebuild(engine: Engine, meta: Any, allow: tuple[Path | str, ...] = (), where: str = "provenance") -> Work:
    """A work remade from provenance ``meta``, through every file format it went through; files
    it names are read from ``allow`` only (nothing, when empty: a generator chain needs none)."""
    top = parse(meta, where)
    missing = _missing(engine, top)
    if missing:
        raise MuseError(f"{where}: cannot rebuild: {missing}")
    trust = Trust(tuple(Path(p).expanduser().resolve() for p in allow))
    return _Builder(engine, trust, where, top).build(top, ())


class _Builder:
    """Rebuilds the nodes of one provenance tree (``top``), checking each against ``trust``."""

    def __init__(self, engine: Engine, trust: Trust, where: str, top: Node):
        self.engine, self.trust, self.where, self._top = engine, trust, where, top

    def build(self, node: Node, at: tuple[int, ...], passes: tuple[FilePass, ...] | None = None) -> Work:
        work = self._make(node, at)
        for step in node.files if passes is None else passes:
            if step.format:  # "" is an old file's own pass, with no format recorded
                work = _through_file(self.engine, work, step.format, self.render_params(step, type(work), step.format, at))
        return work

    def _make(self, node: Node, at: tuple[int, ...]) -> Work:
        step = step_name(self._top, at) if at else "the work"
        if isinstance(node, SourceFile):
            self.trust.check(node.path, f"{step} (a file it was made from)", self.where)
            source = Path(node.path).expanduser()
            if not source.is_file():
                raise MuseError(f"{self.where}: {step} was made from {node.path}, which is gone; cannot rebuild")
            if node.sha256 and file_sha256(source) != node.sha256:
                raise MuseError(f"{self.where}: {node.path} ({step}) has changed since the work was made")
            return self.engine.load(source)
        component = self.engine.get(node.kind, node.component)
        params = self._params(component.params, node.params, f"{step} ({node.label}), parameter")
        inputs = [self.build(child, (*at, i)) for i, child in enumerate(node.inputs)]
        given = len(node.given)
        # What the component made on the way is rebuilt like any input, and handed back to it
        # by its context when it asks again, so the remake depends on the recorded input.
        return self.engine.run(node.kind, node.component, inputs[:given], seed=node.seed, params=params,
                               replay=inputs[given:])

    def render_params(self, step: FilePass, work_type: type, suffix: str, at: tuple[int, ...]) -> dict[str, Any]:
        renderer = self.engine.renderer_for(work_type, suffix)
        where = step_name(self._top, at) if at else "the work"
        return self._params(renderer.params, step.params, f"{where} saved as {suffix}, render option")

    def _params(self, declared: tuple[Param, ...], given: dict[str, Any], what: str) -> dict[str, Any]:
        """The recorded values, less those that write files; every file a value names must be trusted."""
        by_name = {p.name: p for p in declared}
        kept = {}
        for name, value in given.items():
            param = by_name.get(name)
            if param is not None and param.writes:
                continue  # a side effect such as snapshots: never replayed
            for named in named_paths(value, param is not None and param.type is Path):
                self.trust.check(named, f"{what} {name}", self.where)
            kept[name] = value
        return kept


def _through_file(engine: Engine, work: Work, suffix: str, params: dict[str, Any]) -> Work:
    """``work`` as a file of type ``suffix`` gives it back (lossy formats, MIDI ticks, synthesis)."""
    import tempfile  # not at import time: `muse --help` loads this module

    with tempfile.TemporaryDirectory(prefix="muse-reproduce-") as folder:
        return engine.load(engine.render(work, Path(folder) / f"work{suffix}", **params))


def _missing(engine: Engine, top: Node) -> str:
    """Which component of the chain is not installed, with the plugin and package that made it."""
    for at, node in nodes(top):
        if isinstance(node, Made) and node.component not in engine.host.components.get(node.kind, {}):
            place = "" if not at else f" ({step_name(top, at)})"
            return f"{node.label}{place} is not installed; it was made by {node.maker}"
    return ""


def _changes(top: Node, remade_meta: dict[str, Any]) -> list[str]:
    """Steps whose checkpoint or plugin version differ now from when the work was made."""
    try:
        now = parse(remade_meta, "the remake")
    except MuseError:
        return []
    old_nodes, new_nodes = dict(nodes(top)), dict(nodes(now))
    found = []
    for at, old in old_nodes.items():
        new = new_nodes.get(at)
        if not isinstance(old, Made) or not isinstance(new, Made):
            continue
        place = "" if not at else f" ({step_name(top, at)})"
        if old.checkpoint != new.checkpoint:
            found.append(f"{old.label}{place} checkpoint was {_short(old.checkpoint)}, now {_short(new.checkpoint)}")
        if (old.plugin, old.version) != (new.plugin, new.version):
            found.append(f"{old.label}{place} was made by {old.maker}, now by {new.maker}")
    return found


def _short(digest: str | None) -> str:
    return f"{digest[:12]}..." if digest else "none"
