"""What a plugin author imports in their own tests.

Three tools, so that every plugin is held to the same contract the built-in ones are:

- :func:`make_engine` builds an :class:`~engine.Engine` from exactly the plugins a test names
  (plus the built-in file formats), so a test sees neither the machine's other plugins nor
  their failures.
- :func:`check_component` runs the conformance check: the component declares its parameters,
  the engine refuses bad values, the same seed gives the same work, the work has the declared
  type and full provenance, and every registered file format writes it and reads the
  provenance back.
- :func:`run_cli` runs the `muse` command line in this process and returns its exit code and
  output, optionally against an engine made by :func:`make_engine`.

Like the rest of ``engine``, importing this module imports neither torch nor numpy.
"""

from __future__ import annotations

import importlib
import io
import json
import math
import os
import subprocess
import sys
import tempfile
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, cast
from collections.abc import Iterator, Mapping, Sequence

from .api import Engine
from .components import Component, Composer, Generator, Maker, Renderer, Stylizer
from .errors import ParamError, PluginError, UnknownName
from .params import Param, resolve, to_jsonable
from .works import Audio, Image, Note, Score, Text, Track, Work, a_kind

__all__ = [
    "make_engine", "check_component", "run_cli", "sample_work", "assert_light_import",
    "CliResult", "Conformance", "ConformanceError",
]

BUILTIN_RENDERERS = "plugins.renderers.plugin"
PROVENANCE_KEYS = ("muse", "kind", "component", "plugin", "version", "params", "seed", "inputs")


class ConformanceError(AssertionError):
    """A component breaks the plugin contract; the message names the component and the rule."""


# -- engines -----------------------------------------------------------------------------------
def make_engine(*plugins: ModuleType | object | str, renderers: bool = True, strict: bool = True) -> Engine:
    """An engine with only ``plugins`` registered (modules, objects, or dotted module names).

    The built-in renderers are added unless ``renderers=False``, so works can be written and read
    back. With ``strict`` (the default) a plugin that fails to register raises
    :class:`~engine.PluginError` here instead of a warning later: in a test, that is the bug.
    """
    loaded = [importlib.import_module(p) if isinstance(p, str) else p for p in plugins]
    if renderers:
        builtin = importlib.import_module(BUILTIN_RENDERERS)
        if builtin not in loaded:
            loaded.insert(0, builtin)
    engine = Engine(plugins=loaded)
    if strict:
        _ = engine.host.components  # calls the registration hooks
        if engine.host.errors:
            raise PluginError("; ".join(engine.host.errors))
    return engine


# -- sample inputs -----------------------------------------------------------------------------
def sample_work(work_type: type[Work]) -> Work:
    """A small, fixed work of ``work_type`` to feed stylizers and composers in tests.

    Deterministic and cheap: a 32x32 colour gradient, a one-bar C major scale, a quarter second
    of a 440 Hz tone, two lines of text.
    """
    import numpy as np

    if issubclass(work_type, Image):
        ramp = np.linspace(0, 255, 32, dtype=np.float32)
        red, green = np.meshgrid(ramp, ramp)
        blue = np.full_like(red, 96.0)
        return Image(np.stack([red, green, blue], axis=2).round().astype(np.uint8), meta={"source": "sample"})
    if issubclass(work_type, Score):
        notes = [Note(pitch, i * 0.25, i * 0.25 + 0.24, 90) for i, pitch in enumerate((60, 62, 64, 65, 67, 69, 71, 72))]
        return Score([Track(notes, program=0, name="scale")], tempo=120.0, key="C major", meta={"source": "sample"})
    if issubclass(work_type, Audio):
        rate = 16000
        time = np.arange(rate // 4, dtype=np.float32) / rate
        return Audio(0.3 * np.sin(2 * math.pi * 440.0 * time), rate, meta={"source": "sample"})
    if issubclass(work_type, Text):
        return Text(["the quiet river runs", "beneath a paper moon"], title="Sample", language="en",
                    meta={"source": "sample"})
    raise TypeError(f"no sample for work type {work_type.__name__}; pass inputs=[...] to check_component")


# -- the conformance check ---------------------------------------------------------------------
@dataclass
class Conformance:
    """What :func:`check_component` verified: the work it made, the files it wrote, the checks."""

    component: Component
    work: Work
    files: list[Path] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)


def check_component(engine: Engine, kind: str, name: str, *, params: Mapping[str, Any] | None = None,
                    seed: int = 0, inputs: Sequence[Work] | None = None, suffixes: Sequence[str] | None = None,
                    out: Path | str | None = None, batch: bool = True) -> Conformance:
    """Check that component ``name`` of ``kind`` keeps the Muse plugin contract; raise
    :class:`ConformanceError` (an ``AssertionError``) naming the first rule it breaks.

    ``params`` are used for every call (keep them small so the check is fast); ``inputs`` feed a
    stylizer or composer (default: :func:`sample_work` of each declared input type);
    ``suffixes`` limits the file formats tried (default: every registered one for the work
    type); ``out`` keeps the written files in that folder (default: a temporary folder);
    ``batch=False`` skips the check that ``generate_many`` matches ``generate`` item by item.
    """
    if kind == "renderer":
        raise ConformanceError("check_component checks generators, stylizers and composers; renderers are "
                               "checked through them (every work is written and read back by each format)")
    component = cast(Maker, engine.get(kind, name))  # kind is one of the three, checked above
    given = dict(params or {})
    report = Conformance(component, work=None)  # type: ignore[arg-type]
    _check_declaration(component, report)
    _check_validation(engine, component, given, inputs, report)
    try:
        first = _make(engine, component, given, seed, inputs)
    except TypeError as error:  # the engine's check of the declared output type, or a bug
        raise _fail(component, f"failed on valid parameters: {error}") from None
    report.work = first
    _check_type_and_meta(engine, component, first, given, seed, report)
    again = _make(engine, component, given, seed, inputs)
    if not first.same_content(again):
        raise _fail(component, f"is not deterministic: seed {seed} gave two different works")
    report.checks.append(f"deterministic for seed {seed}")
    if batch and isinstance(component, Generator):
        works = engine.generate_batch(name, 2, seed=seed, **given)
        if not works[0].same_content(first) or not works[1].same_content(_make(engine, component, given, seed + 1, inputs)):
            raise _fail(component, "generate_many does not match generate: item i must equal generate(params, seed + i)")
        report.checks.append("batch item i equals the work of seed + i")
    if out is None:
        with tempfile.TemporaryDirectory(prefix="muse-check-") as folder:
            _check_rendering(engine, component, first, Path(folder), suffixes, report)
            report.files = []  # they are gone with the folder
    else:
        _check_rendering(engine, component, first, Path(out), suffixes, report)
    return report


def _fail(component: Component, problem: str) -> ConformanceError:
    return ConformanceError(f"{component.kind} {component.name!r} {problem}")


def _check_declaration(component: Component, report: Conformance) -> None:
    if not component.name or not component.name.replace("-", "_").isidentifier():
        raise _fail(component, "needs a name made of letters, digits, '-' and '_' (it is typed at the command line)")
    if not component.description.strip():
        raise _fail(component, "needs a one-line description (muse list shows it)")
    for group in ("params", "train_params", "eval_params"):
        declared = getattr(component, group)
        if not isinstance(declared, tuple) or not all(isinstance(p, Param) for p in declared):
            raise _fail(component, f"must declare {group} as a tuple of engine.Param")
        names = [p.name for p in declared]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise _fail(component, f"declares {group} {', '.join(duplicates)} more than once")
        for param in declared:
            if not param.name.isidentifier():
                raise _fail(component, f"parameter {param.name!r} is not a Python identifier")
            if not param.help.strip():
                raise _fail(component, f"parameter {param.name!r} has no help text")
    output = getattr(component, "output", None)
    if not (isinstance(output, type) and issubclass(output, Work) and output is not Work):
        raise _fail(component, "must declare its output work type (Image, Score, Audio or Text)")
    report.checks.append(f"declares {len(component.params)} parameter(s) with help text and an output type")


def _bad_values(param: Param) -> list[Any]:
    """Values the declaration says are wrong; the engine must refuse each one."""
    bad: list[Any] = []
    if param.type in (int, float):
        bad.append("not-a-number")
        if param.min is not None:
            bad.append(param.min - 1)
        if param.max is not None:
            bad.append(param.max + 1)
    if param.type is int:
        bad.append(1.5)
    if param.type is bool:
        bad.append("maybe")
    if param.type is Path:
        bad += [3, ["a.png"]]  # what a recipe or a script might pass by mistake
    if param.type is str:
        bad += [True, ["text"]]
    if param.choices is not None:
        bad.append(next(v for v in ("not-a-choice", -987654321, "") if v not in param.choices))
    return bad


def _check_validation(engine: Engine, component: Component, given: dict[str, Any], inputs: Sequence[Work] | None,
                      report: Conformance) -> None:
    try:
        resolve(component.params, given, component.name)
    except ParamError as error:
        raise _fail(component, f"rejects the parameters given to the check: {error}") from None
    refused = 0
    for param in component.params:
        for value in _bad_values(param):
            try:
                _make(engine, component, {**given, param.name: value}, 0, inputs)
            except ParamError:
                refused += 1
                continue
            raise _fail(component, f"accepted {param.name}={value!r}, which its declaration forbids")
    try:
        _make(engine, component, {**given, "no_such_parameter_xyz": 1}, 0, inputs)
    except UnknownName:
        pass
    else:
        raise _fail(component, "accepted an undeclared parameter")
    report.checks.append(f"refuses {refused} bad value(s) with ParamError and unknown names with UnknownName")


def _make(engine: Engine, component: Component, params: dict[str, Any], seed: int, inputs: Sequence[Work] | None) -> Work:
    if not isinstance(component, (Generator, Stylizer, Composer)):
        raise _fail(component, "is not a generator, stylizer or composer")
    sources = [] if isinstance(component, Generator) else list(inputs) if inputs else [sample_work(t) for t in component.takes]
    return engine.run(component.kind, component.name, sources, seed=seed, params=params)


def _check_type_and_meta(engine: Engine, component: Maker, work: Work, given: dict[str, Any], seed: int,
                         report: Conformance) -> None:
    declared = component.output
    if not isinstance(work, declared):
        raise _fail(component, f"returned a {type(work).__name__}, not the declared {declared.__name__}")
    meta = work.meta
    missing = [key for key in PROVENANCE_KEYS if key not in meta]
    if missing:
        raise _fail(component, f"work meta lacks {', '.join(missing)}")
    expected = to_jsonable(resolve(component.params, given, component.name))
    if (meta["component"], meta["kind"], meta["seed"], meta["params"]) != (component.name, component.kind, seed, expected):
        raise _fail(component, f"work meta does not record its component, parameters and seed: {meta}")
    try:
        json.dumps(meta)
    except (TypeError, ValueError) as error:
        raise _fail(component, f"put a value in work.meta that is not JSON ({error}); files could not carry it") from None
    if resolve(component.params, given, component.name).get("model") not in (None, "") and not meta.get("checkpoint"):
        raise _fail(component, "was given a model but its work has no meta['checkpoint'] (the weights' sha256)")
    report.checks.append(f"returns the declared {declared.__name__} with full provenance")


def _check_rendering(engine: Engine, component: Component, work: Work, folder: Path, suffixes: Sequence[str] | None,
                     report: Conformance) -> None:
    renderers = [r for r in engine.components("renderer") if isinstance(work, r.work_type)]
    wanted = {s.lower() for s in suffixes} if suffixes is not None else None
    targets = [(r, s) for r in renderers for s in r.suffixes if wanted is None or s in wanted]
    if not targets:
        raise _fail(component, f"makes {a_kind(work.kind)} that no registered renderer writes"
                               + (f" as {', '.join(sorted(wanted))}" if wanted else ""))
    expected = json.loads(json.dumps(work.meta))
    folder.mkdir(parents=True, exist_ok=True)
    for renderer, suffix in targets:
        assert isinstance(renderer, Renderer)
        path = folder / f"{component.name}-{renderer.name}{suffix}"
        try:
            renderer.write(work, path, resolve(renderer.params, {}, renderer.name))
        except Exception as error:
            raise _fail(component, f"made a work that renderer {renderer.name!r} cannot write as {suffix}: "
                                   f"{type(error).__name__}: {error}") from None
        report.files.append(path)
        if renderer.readable:
            back = renderer.read(path)
            if back.meta != expected:
                raise _fail(component, f"lost its provenance through {path.name}: read back {back.meta}")
    report.checks.append(f"renders to {', '.join(s for _, s in targets)} and reads the provenance back")


# -- the command line --------------------------------------------------------------------------
@dataclass
class CliResult:
    """The outcome of one :func:`run_cli` call."""

    code: int
    out: str
    err: str

    @property
    def output(self) -> str:
        return self.out + self.err


@contextmanager
def _environment(env: Mapping[str, str | None]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in env}
    try:
        for key, value in env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def run_cli(*args: Any, engine: Engine | None = None, env: Mapping[str, str | None] | None = None) -> CliResult:
    """Run ``muse ARGS...`` in this process and return its exit code, stdout and stderr.

    With ``engine`` (from :func:`make_engine`) the command sees exactly those plugins; without,
    it builds a fresh engine the way the real `muse` does (built-ins plus installed plugins).
    ``env`` sets environment variables for this call only (None removes one). Each call has its
    own CLI state (engine, the commands plugins added), so calls do not leak into each other.
    """
    from . import cli

    out, err = io.StringIO(), io.StringIO()
    code = 0
    with _environment(env or {}), redirect_stdout(out), redirect_stderr(err):
        try:
            cli.main([str(a) for a in args], engine=engine)
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    return CliResult(code, out.getvalue(), err.getvalue())


# -- import weight -----------------------------------------------------------------------------
def assert_light_import(module: str, heavy: Sequence[str] = ("torch",)) -> None:
    """Fail when importing ``module`` (in a fresh interpreter) imports any of ``heavy``.

    `muse --help` and `muse list` import every plugin module; a plugin that imports torch at
    module level makes them slow for everyone. Import model code inside methods instead.
    """
    code = ("import importlib, json, sys; importlib.import_module(sys.argv[1]); "
            "print(json.dumps([m for m in sys.argv[2:] if m in sys.modules]))")
    done = subprocess.run([sys.executable, "-c", code, module, *heavy], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)})
    if done.returncode != 0:
        raise ConformanceError(f"importing {module} failed: {done.stderr.strip().splitlines()[-1:]}")
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    if loaded:
        raise ConformanceError(f"importing {module} imports {', '.join(loaded)}; import it inside the methods that need it")
