"""The Python API: one :class:`Engine` that generates, stylizes, composes, renders and trains.

The CLI and recipes are thin layers over this class, so a script gets exactly what a user at the
terminal gets: the same validation, the same provenance, the same files.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Literal, overload
from collections.abc import Iterable, Mapping, Sequence

from .components import Component, Composer, Context, Generator, Renderer, Stylizer, TrainJob, calling
from .errors import BadInput, MuseError, UnknownName
from .io import file_sha256, numbered, overwrite_policy, prepare_output, resume_path
from .params import check_seed, resolve, to_jsonable
from .plugins import REGISTRATION_HOOKS, PluginHost, engine_version
from .works import Work, a_kind, refuse_unwritable, with_meta


class PluginWarning(UserWarning):
    """A plugin failed to load or to register; the others still work."""


@dataclass
class Reproduction:
    """The outcome of making a file's work again from its provenance.

    ``remade`` is None when the chain could not run (a component that is not installed);
    ``detail`` then names it, its plugin and package. Otherwise ``detail`` is ``identical``, or
    says how the remake differs (shape, sample count, largest difference) and which steps
    changed since (checkpoint, plugin version)."""

    original: Work
    remade: Work | None
    identical: bool
    detail: str


def new_seed() -> int:
    import secrets

    return secrets.randbelow(2**31)


class Engine:
    """The entry point for scripts.

    ``Engine()`` loads the built-in plugins and the third-party ones allowed by
    ``MUSE_LOAD_PLUGINS``; ``Engine(plugins=[module, ...])`` uses exactly the given plugin objects
    (what tests and `engine.testing` want).
    """

    def __init__(self, plugins: Iterable[ModuleType | object] | None = None):
        self.host = PluginHost(plugins)
        self._warned = False

    # -- discovery -----------------------------------------------------------------------------
    # The overloads give each kind its class, so callers may use e.g. a renderer's suffixes.
    @overload
    def components(self, kind: Literal["generator"]) -> list[Generator]: ...
    @overload
    def components(self, kind: Literal["stylizer"]) -> list[Stylizer]: ...
    @overload
    def components(self, kind: Literal["composer"]) -> list[Composer]: ...
    @overload
    def components(self, kind: Literal["renderer"]) -> list[Renderer]: ...
    @overload
    def components(self, kind: str | None = None) -> list[Component]: ...

    def components(self, kind: str | None = None) -> list[Component] | list[Generator] | list[Stylizer] | list[Composer] | list[Renderer]:
        """Registered components, optionally of one kind, sorted by kind and name."""
        table = self._registry()
        kinds = [kind] if kind else list(table)
        if kind and kind not in table:
            raise UnknownName("component kind", kind, table)
        return [table[k][name] for k in kinds for name in sorted(table[k])]

    @overload
    def get(self, kind: Literal["generator"], name: str) -> Generator: ...
    @overload
    def get(self, kind: Literal["stylizer"], name: str) -> Stylizer: ...
    @overload
    def get(self, kind: Literal["composer"], name: str) -> Composer: ...
    @overload
    def get(self, kind: Literal["renderer"], name: str) -> Renderer: ...
    @overload
    def get(self, kind: str, name: str) -> Component: ...

    def get(self, kind: str, name: str) -> Component:
        self._registry()
        return self.host.get(kind, name)

    def find_trainable(self, name: str) -> Component:
        """The trainable component called ``name``, whatever its kind."""
        candidates = {c.name: c for c in self.components() if c.trainable}
        if name not in candidates:
            raise UnknownName("trainable model", name, candidates)
        return candidates[name]

    def find_evaluable(self, name: str) -> Component:
        candidates = {c.name: c for c in self.components() if c.evaluable}
        if name not in candidates:
            raise UnknownName("model with an evaluation", name, candidates)
        return candidates[name]

    def _registry(self) -> dict[str, dict[str, Component]]:
        table = self.host.components
        if self.host.errors and not self._warned:
            self._warned = True
            for error in self.host.errors:
                warnings.warn(error, PluginWarning, stacklevel=3)
        return table

    # -- making works --------------------------------------------------------------------------
    def generate(self, name: str, *, seed: int | None = None, **params: Any) -> Work:
        """One work of generator ``name``; :meth:`generate_batch` makes several."""
        if "n" in params and "n" not in {p.name for p in self.get("generator", name).params}:
            raise MuseError(f"generate makes one work; for {params['n']!r} use generate_batch({name!r}, n, ...)")
        return self.run("generator", name, (), seed=seed, params=params)

    def generate_batch(self, name: str, n: int, *, seed: int | None = None, **params: Any) -> list[Work]:
        """``n`` works of generator ``name``: item i used seed ``seed + i`` and equals
        ``generate(name, seed=seed + i, ...)``; the generator may make them as one batch."""
        generator = self.get("generator", name)
        assert isinstance(generator, Generator)
        values = resolve(generator.params, params, name)
        generator.check(values)
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise MuseError(f"n must be a whole number of at least 1, got {n!r}")
        base = new_seed() if seed is None else check_seed(seed, n)
        seeds = [base + i for i in range(n)]
        context = Context(self, generator)
        with calling(context):
            works = generator.generate_many(values, seeds)
        if context.made:  # each work records what it was made from: make them one by one
            return [self.run("generator", name, (), seed=s, params=params) for s in seeds]
        return [self._stamp(generator, work, values, s, []) for work, s in zip(works, seeds)]

    def stylize(self, name: str, work: Work, *, seed: int | None = None, **params: Any) -> Work:
        return self.run("stylizer", name, (work,), seed=seed, params=params)

    def compose(self, name: str, *works: Work, seed: int | None = None, **params: Any) -> Work:
        return self.run("composer", name, works, seed=seed, params=params)

    def run(self, kind: str, name: str, works: Sequence[Work] = (), *, seed: int | None = None,
            params: Mapping[str, Any] | None = None, replay: Sequence[Work] = ()) -> Work:
        """Run component ``name`` of ``kind`` (generator, stylizer or composer) on ``works``: the
        one place where inputs are checked, parameters resolved, the component called in its
        :class:`~engine.components.Context` and the work stamped with provenance. ``replay`` are
        the works the component made on the way when it first ran (its recorded made inputs),
        handed back to it by ``context.generate`` when a work is rebuilt from provenance."""
        if kind not in REGISTRATION_HOOKS or kind == "renderer":
            raise UnknownName("component kind that makes works", kind, ("generator", "stylizer", "composer"))
        component = self.get(kind, name)
        component.check_inputs([type(w) for w in works])
        values = resolve(component.params, dict(params or {}), name)
        component.check(values)
        seed = new_seed() if seed is None else check_seed(seed)
        context = Context(self, component, replay)
        with calling(context):
            work = component.call(list(works), values, seed)
        if context.unused():
            raise MuseError(f"{kind} {name!r} made {len(context.made)} work(s) on the way, but its provenance "
                            f"recorded {len(context.made) + context.unused()}; it cannot be rebuilt as it was")
        return self._stamp(component, work, values, seed, list(works), context.made)

    def _stamp(self, component: Component, work: Work, values: dict[str, Any], seed: int, inputs: list[Work],
               made: Sequence[Work] = ()) -> Work:
        """Fill in provenance; a component may already have set extra keys such as ``checkpoint``.
        ``made`` (works the component made through its context) follow the given inputs, and
        ``made_inputs`` says how many there are."""
        declared: type[Work] = getattr(component, "output", Work)
        if not isinstance(work, declared):
            raise TypeError(f"{component!r} returned a {type(work).__name__}, not the declared {declared.__name__}")
        plugin = self.host.owner(component)
        meta = {
            **{k: v for k, v in work.meta.items() if k != "made_inputs"},
            "muse": engine_version(),
            "kind": component.kind,
            "component": component.name,
            "plugin": plugin,
            "version": self.host.plugins[plugin].version,
            "package": self.host.plugins[plugin].package,
            "params": to_jsonable(values),
            "seed": seed,
            "inputs": [w.meta for w in [*inputs, *made]],
        }
        if made:
            meta["made_inputs"] = len(made)
        work.meta = meta
        return work

    # -- files ---------------------------------------------------------------------------------
    def renderer_for(self, work_type: type[Work], suffix: str) -> Renderer:
        suffix = suffix.lower()
        matches = [r for r in self.components("renderer") if issubclass(work_type, r.work_type)]
        for renderer in matches:
            if suffix in renderer.suffixes:
                assert isinstance(renderer, Renderer)
                return renderer
        valid = sorted({s for r in matches for s in r.suffixes})
        raise UnknownName(f"file type for {a_kind(work_type.kind)}:", suffix or "(no suffix)", valid)

    def render(self, work: Work, path: Path | str, *, force: bool = False, **params: Any) -> Path:
        """Write ``work`` to ``path`` in the format its suffix names; atomic, no silent overwrite."""
        path = Path(path)
        renderer = self.renderer_for(type(work), path.suffix)
        values = resolve(renderer.params, params, f"renderer {renderer.name}")
        prepare_output(path, force)
        if work.meta:
            # Each file the work goes through is recorded, with the options given, so `reproduce`
            # sends the rebuilt work through the same formats (a JPEG input, MIDI then WAV).
            passes = [*work.meta.get("files", []), {"format": path.suffix.lower(), "params": to_jsonable({k: values[k] for k in params})}]
            work = with_meta(work, {**{k: v for k, v in work.meta.items() if k != "render"}, "files": passes})
        refuse_unwritable(work, path)
        try:
            with overwrite_policy(force):
                renderer.write(work, path, values)
        except OSError as error:
            raise MuseError(f"cannot write {path}: {error.strerror or error}") from None
        return path

    def convert(self, work: Work, suffix: str, **params: Any) -> Work:
        """The work as it comes back from a file of type ``suffix``, in memory: a Score as
        ``Audio`` through the synthesizer (``convert(score, ".wav")``), an Image as its lossy
        JPEG self. It is written to a private temporary file and read back, so it is exactly
        what ``render`` then ``load`` would give, provenance included."""
        import tempfile

        with tempfile.TemporaryDirectory(prefix="muse-convert-") as folder:
            path = self.render(work, Path(folder) / f"work{suffix}", **params)
            return self.load(path)

    def render_many(self, works: Sequence[Work], path: Path | str, *, force: bool = False, **params: Any) -> list[Path]:
        """Render a batch to ``out-000.png, out-001.png...`` (or ``out.png`` for one work)."""
        paths = numbered(Path(path), len(works))
        for target in paths:  # refuse before writing anything
            self.renderer_for(type(works[0]), target.suffix)
            prepare_output(target, force)
        return [self.render(w, p, force=force, **params) for w, p in zip(works, paths)]

    def load(self, path: Path | str) -> Work:
        """Read a file back into a work; files made elsewhere (or whose provenance does not
        check out) get ``source`` provenance: their path and content hash."""
        from .provenance import BadProvenance, has_provenance, parse

        work = self._read(path)
        if has_provenance(work.meta):
            try:
                parse(work.meta, str(path))
                return work
            except BadProvenance:
                pass
        work.meta = {"source": str(path), "sha256": file_sha256(path)}
        return work

    def _read(self, path: Path | str) -> Work:
        """A file's work with whatever provenance the file holds, unchecked."""
        path = Path(path)
        if not path.is_file():
            raise BadInput(f"{path}: no such file")
        readers = [r for r in self.components("renderer") if r.readable and path.suffix.lower() in r.suffixes]
        if not readers:
            valid = sorted({s for r in self.components("renderer") if r.readable for s in r.suffixes})
            raise UnknownName("input file type", path.suffix or "(no suffix)", valid)
        reader = readers[0]
        assert isinstance(reader, Renderer)
        try:
            work = reader.read(path)
        except MuseError:
            raise
        except Exception as error:
            raise BadInput(f"{path}: cannot read as {reader.work_type.kind} ({type(error).__name__}: {error})") from None
        return work

    def info(self, path: Path | str) -> dict[str, Any]:
        """The provenance embedded in a file (empty for files Muse did not make); provenance
        that does not check out raises BadProvenance naming the field."""
        from .provenance import Made, has_provenance, parse

        meta = self._read(path).meta
        if not has_provenance(meta):
            return {}
        return meta if isinstance(parse(meta, str(path)), Made) else {}

    # -- provenance ----------------------------------------------------------------------------
    def rebuild(self, meta: dict[str, Any], *, allow_paths: Sequence[Path | str] = ()) -> Work:
        """Make a work again from its provenance, inputs first, through the file formats it went
        through; it reads only files under ``allow_paths`` (see engine/reproduce.py)."""
        from .reproduce import rebuild

        return rebuild(self, meta, tuple(allow_paths))

    def reproduce(self, path: Path | str, *, allow_paths: Sequence[Path | str] = ()) -> Reproduction:
        """Remake a file's work and compare; it reads only files in the file's own folder and
        under ``allow_paths``, and never replays side effects such as snapshots."""
        from .reproduce import reproduce

        return reproduce(self, path, tuple(allow_paths))

    # -- training ------------------------------------------------------------------------------
    def train(self, name: str, *, data: Path | str | None, out: Path | str, seed: int = 0, dry_run: bool = False,
              resume: bool = True, progress: bool = True, force: bool = False, **params: Any) -> dict[str, Any]:
        component = self.find_trainable(name)
        values = resolve(component.train_params, params, f"train {name}")
        out = Path(out)
        self.check_train_output(out, resume=resume, force=force, dry_run=dry_run)
        if data is not None:
            check_training_data(Path(data))
        job = TrainJob(data=Path(data) if data is not None else None, out=out, params=values, seed=seed,
                       dry_run=dry_run, resume=resume and not force, progress=progress)
        from .training import configure_threads, seed_everything

        threads = configure_threads()
        seed_everything(seed)  # before the component builds anything, so its initial weights repeat
        return {**component.train(job), "threads": threads}

    @staticmethod
    def check_train_output(out: Path, *, resume: bool, force: bool, dry_run: bool = False) -> None:
        """A checkpoint is continued (resume state beside it) or replaced (--force), never lost.

        A dry run's checkpoint is marked as one: a real run replaces it (and says so), another
        dry run may too; a dry run never replaces a real checkpoint or touches its resume state.
        """
        from .checkpoints import is_dry_run_checkpoint

        resumable = resume_path(out).is_file()
        if out.exists() and is_dry_run_checkpoint(out) and not resumable:
            return
        if dry_run and out.exists():
            raise MuseError(f"{out} holds a trained checkpoint; a dry run never replaces one: pass another --out")
        if out.exists() and not force and not (resume and resumable):
            hint = "" if resumable else " (it has no resume state beside it)"
            raise MuseError(f"{out} already exists{hint}; use --force to train a new model over it")
        if resumable and not out.exists() and not force:
            raise MuseError(f"{resume_path(out)} already exists without its checkpoint {out.name}; "
                            "use --force to replace it, or another --out")

    def evaluate(self, name: str, *, data: Path | str | None = None, **params: Any) -> dict[str, Any]:
        component = self.find_evaluable(name)
        values = resolve(component.eval_params, params, f"eval {name}")
        if data is not None:
            check_training_data(Path(data))
        return component.evaluate(Path(data) if data is not None else None, values)


def check_training_data(path: Path) -> None:
    """Training data is a regular file or a folder: a device (``/dev/zero``), a FIFO or a socket
    would be read forever (or block), so it is refused at the door, before anything loads."""
    import stat

    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise BadInput(f"{path}: no such file or folder") from None
    except OSError as error:
        raise BadInput(f"{path}: cannot be read ({error.strerror or error})") from None
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        kind = "a FIFO" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode) else "a device"
        raise BadInput(f"{path} is {kind}, not a file or folder of training data")
