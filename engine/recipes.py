"""Recipes: multimodal pipelines as TOML files, run with `muse run recipe.toml`.

A recipe is a list of named steps; each step loads a file or runs one generator, stylizer or
composer, may take earlier steps' works as inputs, and may save its work to files. The whole
recipe is checked before anything runs, so a typo in the last step costs no minutes of
generation; every error names the step and the key at fault.

```toml
seed = 7                        # base seed; step i defaults to seed + i

[[steps]]
name = "poem"
generate = "poem"
params = { form = "quatrain" }
save = ["poem.md"]

[[steps]]
name = "song"
compose = "song"
inputs = ["poem", "tune"]
save = ["song.mid", "song.wav"]
render = { reverb = 0.3 }       # renderer parameters; each saved format takes those it declares
```
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast
from collections.abc import Callable

from .api import Engine
from .components import Maker, Renderer
from .errors import MuseError
from .io import atomic_path, check_output, prepare_output
from .params import MAX_SEED, resolve
from .works import Work

ACTIONS = ("generate", "stylize", "compose", "load")
KIND_OF = {"generate": "generator", "stylize": "stylizer", "compose": "composer"}
MAX_RECIPE_BYTES = 1_000_000
MAX_NAME = 100  # step names appear in messages and manifests; file names are checked on their own
STEP_KEYS = {"name", *ACTIONS, "input", "inputs", "params", "seed", "save", "render"}


class RecipeError(MuseError):
    """A recipe that cannot run, with the step and key at fault."""


@dataclass
class Step:
    name: str
    action: str
    target: str  # component name, or the file to load
    inputs: list[str]
    params: dict[str, Any]
    seed: int
    save: list[str]
    render: dict[str, Any] = field(default_factory=dict)


@dataclass
class Recipe:
    path: Path
    steps: list[Step]

    @classmethod
    def load(cls, path: Path | str, seed: int | None = None) -> Recipe:
        import tomllib

        path = Path(path)
        try:
            if path.stat().st_size > MAX_RECIPE_BYTES:
                raise RecipeError(f"{path}: a recipe of {path.stat().st_size:,} bytes is too large (at most {MAX_RECIPE_BYTES:,})")
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise RecipeError(f"{path}: no such recipe") from None
        except IsADirectoryError:
            raise RecipeError(f"{path} is a folder, not a recipe") from None
        except RecursionError:
            raise RecipeError(f"{path}: not valid TOML (nested too deeply)") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise RecipeError(f"{path}: not valid TOML ({error})") from None
        unknown = set(data) - {"seed", "steps"}
        if unknown:
            raise RecipeError(f"{path}: unknown top-level key {sorted(unknown)[0]!r}; valid: seed, steps")
        base = data.get("seed", 0) if seed is None else seed
        if not isinstance(base, int) or not 0 <= base <= MAX_SEED:
            raise RecipeError(f"{path}: seed must be an integer in 0..{MAX_SEED}")
        raw_steps = data.get("steps")
        if not isinstance(raw_steps, list) or not raw_steps:
            raise RecipeError(f"{path}: no steps; add [[steps]] tables")
        return cls(path, [_parse_step(raw, index, base, path) for index, raw in enumerate(raw_steps)])

    def check(self, eng: Engine, out: Path, force: bool) -> dict[str, type[Work]]:
        """Validate every step against the installed components before anything runs."""
        produced: dict[str, type[Work]] = {}
        for step in self.steps:
            where = f"step {step.name!r}"
            if step.name in produced:
                raise RecipeError(f"{where}: the name is used twice")
            for source in step.inputs:
                if source not in produced:
                    raise RecipeError(f"{where}: input {source!r} is not an earlier step (earlier: {', '.join(produced) or 'none'})")
            produced[step.name] = self._check_step(eng, step, [produced[s] for s in step.inputs], where)
            declared: set[str] = set()
            for name in step.save:
                target = contained(out, name, where)
                try:
                    renderer = eng.renderer_for(produced[step.name], target.suffix)
                    resolve(renderer.params, _for_renderer(renderer, step.render), f"renderer {renderer.name}")
                    check_output(target, force)
                except MuseError as error:
                    raise RecipeError(f"{where}: save {name!r}: {error}") from None
                declared |= {p.name for p in renderer.params}
            unused = sorted(set(step.render) - declared)
            if unused:
                raise RecipeError(f"{where}: render parameter {unused[0]!r} is not used by the formats it saves "
                                  f"(they take: {', '.join(sorted(declared)) or 'nothing'})")
        return produced

    def _check_step(self, eng: Engine, step: Step, input_types: list[type[Work]], where: str) -> type[Work]:
        if step.action == "load":
            file = (self.path.parent / step.target) if not Path(step.target).is_absolute() else Path(step.target)
            try:
                return type(eng.load(file))
            except MuseError as error:
                raise RecipeError(f"{where}: load: {error}") from None
        try:
            component = cast(Maker, eng.get(KIND_OF[step.action], step.target))  # KIND_OF names maker kinds only
            resolve(component.params, step.params, f"{where} ({step.target})")
        except MuseError as error:
            raise RecipeError(f"{where}: {error}") from None
        try:
            component.check_inputs(input_types)
        except MuseError as error:
            raise RecipeError(f"{where}: {error}") from None
        return component.output

    def run(self, eng: Engine, out: Path, *, force: bool = False, echo: Callable[[str], None] = print) -> Path:
        """Check, then run every step; write the saved files and ``manifest.json``."""
        self.check(eng, out, force)
        manifest = out / "manifest.json"
        prepare_output(manifest, force)
        works: dict[str, Work] = {}
        entries = []
        for step in self.steps:
            inputs = [works[name] for name in step.inputs]
            works[step.name] = work = self._run_step(eng, step, inputs)
            files = [str(eng.render(work, contained(out, name, step.name), force=force,
                                    **_for_renderer(eng.renderer_for(type(work), Path(name).suffix), step.render)))
                     for name in step.save]
            entries.append({"step": step.name, "files": files, "meta": work.meta})
            echo(f"{step.name}: {step.action} {step.target}" + (f" -> {', '.join(files)}" if files else ""))
        with atomic_path(manifest, replace=force) as temporary:
            temporary.write_text(json.dumps({"recipe": str(self.path), "steps": entries}, indent=2) + "\n", encoding="utf-8")
        return manifest

    def _run_step(self, eng: Engine, step: Step, inputs: list[Work]) -> Work:
        if step.action == "load":
            file = Path(step.target)
            return eng.load(file if file.is_absolute() else self.path.parent / file)
        return eng.run(KIND_OF[step.action], step.target, inputs, seed=step.seed, params=step.params)


def contained(out: Path, name: str, where: str) -> Path:
    """``out / name``, refused unless it stays inside ``out``: a recipe writes only where the
    user pointed -o (no absolute names, no ``..``, no symlink in ``out`` leading elsewhere)."""
    relative = Path(name)
    if relative.is_absolute() or ".." in relative.parts or not relative.parts:
        raise RecipeError(f"{where}: save {name!r} must be a file name inside the output folder "
                          "(no absolute path, no '..')")
    target = out / relative
    if not target.resolve().is_relative_to(out.resolve()):
        raise RecipeError(f"{where}: save {name!r} leads outside the output folder {out} (through a symlink)")
    return target


def _for_renderer(renderer: Renderer, values: dict[str, Any]) -> dict[str, Any]:
    """The render parameters this format declares: one table serves a step's .mid and .flac."""
    names = {p.name for p in renderer.params}
    return {k: v for k, v in values.items() if k in names}


def _parse_step(raw: Any, index: int, base_seed: int, path: Path) -> Step:
    if not isinstance(raw, dict):
        raise RecipeError(f"{path}: step {index + 1} is not a table")
    name = raw.get("name")
    where = f"step {name!r}" if isinstance(name, str) else f"step {index + 1}"
    if not isinstance(name, str) or not name:
        raise RecipeError(f"{path}: {where} needs a name")
    if len(name) > MAX_NAME:
        raise RecipeError(f"{path}: step {index + 1}: a name of {len(name)} characters is too long (at most {MAX_NAME})")
    unknown = sorted(set(raw) - STEP_KEYS)
    if unknown:
        raise RecipeError(f"{where}: unknown key {unknown[0]!r}; valid: {', '.join(sorted(STEP_KEYS))}")
    actions = [a for a in ACTIONS if a in raw]
    if len(actions) != 1:
        raise RecipeError(f"{where}: give exactly one of {', '.join(ACTIONS)}")
    action = actions[0]
    inputs = raw.get("inputs", [raw["input"]] if "input" in raw else [])
    if isinstance(inputs, str):
        inputs = [inputs]
    save = raw.get("save", [])
    save = [save] if isinstance(save, str) else save
    for key, value, kind in (("params", raw.get("params", {}), dict), ("render", raw.get("render", {}), dict),
                             ("inputs", inputs, list), ("save", save, list)):
        if not isinstance(value, kind):
            raise RecipeError(f"{where}: {key} must be a {'table' if kind is dict else 'list'}")
    for item in save:
        if not isinstance(item, str) or not item:
            raise RecipeError(f"{where}: save items must be file names, got {item!r}")
    if not all(isinstance(item, str) for item in inputs):
        raise RecipeError(f"{where}: inputs must be step names")
    if not isinstance(raw[action], str):
        raise RecipeError(f"{where}: {action} must be a name, got {raw[action]!r}")
    seed = raw.get("seed", base_seed + index)
    if not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise RecipeError(f"{where}: seed must be an integer in 0..{MAX_SEED}")
    return Step(name, action, str(raw[action]), list(inputs), dict(raw.get("params", {})), seed, list(save),
                dict(raw.get("render", {})))
