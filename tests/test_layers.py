"""The layer rule (../shared/DESIGN.md, "Layers and seams"): no registered plugin imports another.

A registered plugin is a package under plugins/ that Muse loads as one: it has a ``plugin.py``
(what the built-in loader imports) or any of its modules carries a ``@hookimpl``. Every other
package there is a library (plugins/imagekit): it registers nothing and anyone may import it.
The walk reads every import of every module (top level and inside functions, absolute and
relative) with ast, so a lazy import inside a method counts as much as one at the top.
"""

from __future__ import annotations

import ast
from pathlib import Path


PLUGINS = Path(__file__).resolve().parents[1] / "plugins"


def _packages(root: Path = PLUGINS) -> dict[str, list[Path]]:
    return {folder.name: sorted(folder.rglob("*.py")) for folder in sorted(root.iterdir())
            if (folder / "__init__.py").is_file()}


def _carries_hookimpl(module: Path) -> bool:
    tree = ast.parse(module.read_text(encoding="utf-8"), str(module))
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for decorator in node.decorator_list:
                target = decorator.func if isinstance(decorator, ast.Call) else decorator
                name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
                if name == "hookimpl":
                    return True
    return False


def registered_plugins(root: Path = PLUGINS) -> set[str]:
    return {name for name, modules in _packages(root).items()
            if (root / name / "plugin.py").is_file() or any(map(_carries_hookimpl, modules))}


def imported_modules(module: Path, root: Path = PLUGINS) -> list[tuple[int, str]]:
    """(line, dotted module) of every import in ``module``, relative ones made absolute;
    ``from plugins import gan`` and ``from .. import gan`` name the module ``plugins.gan``."""
    tree = ast.parse(module.read_text(encoding="utf-8"), str(module))
    package = list(module.relative_to(root.parent).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - (node.level - 1)] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            if target.count(".") == 0:  # ``from plugins import x``, ``from .. import x``: x is a package
                found += [(node.lineno, f"{target}.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, target))
    return found


def crossings(root: Path = PLUGINS) -> list[str]:
    """Every import by a registered plugin of another registered plugin's modules."""
    registered = registered_plugins(root)
    bad = []
    for owner, modules in _packages(root).items():
        if owner not in registered:
            continue
        for module in modules:
            for line, name in imported_modules(module, root):
                parts = name.split(".")
                if len(parts) >= 2 and parts[0] == "plugins" and parts[1] in registered and parts[1] != owner:
                    bad.append(f"{module.relative_to(root.parent).as_posix()}:{line} imports {name}")
    return sorted(set(bad))


def test_no_registered_plugin_imports_another():
    found = crossings()
    assert not found, ("a registered plugin imports another one's modules; move what they share into a "
                       "library package (no plugin.py, no hookimpl) or the engine:\n" + "\n".join(found))


def test_the_rule_sees_the_plugins_and_libraries():
    """The walk is not vacuous: it finds the built-in plugins, and imagekit is a library they use."""
    registered = registered_plugins()
    assert {"gan", "vae", "images", "melody", "poem", "compose", "synth", "renderers"} <= registered
    assert "imagekit" in _packages() and "imagekit" not in registered
    users = {owner for owner, modules in _packages().items() for m in modules
             for _, name in imported_modules(m) if name.startswith("plugins.imagekit")}
    assert {"gan", "vae", "images"} <= users


def test_the_walk_catches_lazy_relative_and_package_imports(tmp_path):
    """A made-up tree: one plugin imports another inside a function, one through ``..`` and
    ``from plugins import``; a library may import anyone, and a plugin its own modules."""
    root = tmp_path / "plugins"
    for name in ("alpha", "beta", "gamma", "kit"):
        (root / name).mkdir(parents=True)
        (root / name / "__init__.py").write_text("")
    (root / "__init__.py").write_text("")
    (root / "alpha" / "plugin.py").write_text("from .model import Net\n\ndef register_generators(register):\n"
                                              "    from plugins.beta.model import Net\n")
    (root / "beta" / "plugin.py").write_text("from ..alpha import helpers\nfrom plugins.kit import tools\n")
    (root / "gamma" / "hooks.py").write_text("from engine import hookimpl\nfrom plugins import alpha\n\n"
                                             "@hookimpl\ndef register_composers(register):\n    pass\n")
    (root / "kit" / "tools.py").write_text("import plugins.alpha.plugin\n")
    assert registered_plugins(root) == {"alpha", "beta", "gamma"}
    assert crossings(root) == ["plugins/alpha/plugin.py:4 imports plugins.beta.model",
                               "plugins/beta/plugin.py:1 imports plugins.alpha",
                               "plugins/gamma/hooks.py:2 imports plugins.alpha"]


def test_a_library_registers_nothing():
    from engine import Engine

    assert "imagekit" not in Engine().host.plugins


# -- one home per concept ------------------------------------------------------------------------
def test_the_checkpoint_cache_is_bounded_and_sees_a_rewritten_file(tmp_path):
    import os

    from engine.checkpoints import MODEL_CACHE_SIZE, cached_model

    loads: list[str] = []

    @cached_model
    def load(path: Path) -> str:
        loads.append(path.name)
        return path.read_text()

    files = [tmp_path / f"m{i}.safetensors" for i in range(MODEL_CACHE_SIZE + 1)]
    for i, file in enumerate(files):
        file.write_text(f"v{i}")
    assert [load(f) for f in files[:2]] == ["v0", "v1"] and load(files[0]) == "v0" and loads == ["m0.safetensors", "m1.safetensors"]
    for file in files[2:]:
        load(file)
    assert len(load) == MODEL_CACHE_SIZE  # the least recently used (m1) went
    loads.clear()
    load(files[0]), load(files[1])
    assert loads == ["m1.safetensors"]
    files[0].write_text("new")  # a training run saved again: same path, new file
    os.utime(files[0], ns=(1, 1))
    assert load(files[0]) == "new"


def test_fp16_packing_halves_floats_and_keeps_the_rest():
    import torch

    from engine.checkpoints import pack_fp16, unpack_fp16

    tensors = {"w": torch.linspace(-1, 1, 7), "ids": torch.arange(3), "bytes": torch.tensor([1, 2], dtype=torch.uint8)}
    packed = pack_fp16(tensors)
    assert [packed[k].dtype for k in tensors] == [torch.float16, torch.int64, torch.uint8]
    back = unpack_fp16(packed)
    assert back["w"].dtype == torch.float32 and torch.allclose(back["w"], tensors["w"], atol=1e-3)
    assert torch.equal(back["ids"], tensors["ids"])


# -- a component that needs another asks its context ------------------------------------------
def _context_plugin():
    from engine import Composer, Generator, Image, Param, Stylizer, hookimpl

    class Dots(Generator):
        name, description, output = "dots", "a tiny picture", Image
        params = (Param("shade", int, 10, "grey level", min=0, max=255),)

        def generate(self, params, seed):
            import numpy as np

            return Image(np.full((2, 2, 1), (params["shade"] + seed) % 256, np.uint8))

    class Invert(Stylizer):
        name, description, input, output = "invert", "negative", Image, Image

        def stylize(self, work, params, seed):
            return Image(255 - work.pixels)

    class Pair(Composer):
        """Takes one image and makes a second one itself, through its context."""

        name, description, output = "pair", "an image beside a generated one", Image
        inputs = (Image,)

        def compose(self, works, params, seed):
            import numpy as np

            other = self.context.generate("dots", seed=seed, shade=100)
            negative = self.context.stylize("invert", other, seed=seed)
            return Image(np.concatenate([works[0].pixels, other.pixels, negative.pixels], axis=1))

    class Plugin:
        @hookimpl
        def register_generators(self, register):
            register(Dots())

        @hookimpl
        def register_stylizers(self, register):
            register(Invert())

        @hookimpl
        def register_composers(self, register):
            register(Pair())

    return Plugin(), Pair


def test_context_records_what_a_component_makes_and_reproduce_replays_it(tmp_path):
    import pytest

    from engine import MuseError
    from engine.testing import make_engine

    plugin, _ = _context_plugin()
    engine = make_engine(plugin)
    with pytest.raises(MuseError, match="only available while the engine calls"):
        _ = engine.get("composer", "pair").context
    source = engine.generate("dots", seed=1)
    made = engine.compose("pair", source, seed=5)
    assert made.meta["made_inputs"] == 2
    assert [m["component"] for m in made.meta["inputs"]] == ["dots", "dots", "invert"]
    assert made.meta["inputs"][2]["inputs"][0]["params"] == {"shade": 100}
    assert made.meta["inputs"][1]["params"] == {"shade": 100} and made.meta["inputs"][1]["seed"] == 5
    path = engine.render(made, tmp_path / "pair.png")
    assert engine.reproduce(path).detail == "identical"
    from engine.testing import run_cli

    shown = run_cli("info", str(path), engine=engine)
    assert shown.code == 0 and shown.out.count("made on the way:") == 2 and "made_inputs" not in shown.out
    assert run_cli("reproduce", str(path), engine=engine).out.strip().endswith("identical")
    # Replaying hands the recorded work back; a call that asks for something else is refused.
    other = engine.generate("dots", seed=9, shade=0)
    replayed = engine.run("composer", "pair", [source], seed=5, replay=[other, engine.stylize("invert", other)])
    assert replayed.pixels[0, 2, 0] == 9 and replayed.pixels[0, 4, 0] == 246  # the replayed works, not new ones
    with pytest.raises(MuseError, match="recorded one of composer 'pair'"):
        engine.run("composer", "pair", [source], seed=5, replay=[made, made])
    with pytest.raises(MuseError, match="recorded 3"):  # provenance that lists more than the call makes
        engine.run("composer", "pair", [source], seed=5, replay=[other, engine.stylize("invert", other), other])


def test_made_inputs_is_checked_at_the_door():
    import pytest

    from engine.provenance import BadProvenance, parse

    meta = {"kind": "composer", "component": "pair", "seed": 1, "params": {}, "inputs": [{"source": "a.png"}]}
    assert parse({**meta, "made_inputs": 1}, "x").made_inputs == 1
    for bad in (2, -1, "1", True):
        with pytest.raises(BadProvenance, match="made_inputs"):
            parse({**meta, "made_inputs": bad}, "x")
    with pytest.raises(BadProvenance, match="a stylizer has exactly one input, not 0"):
        parse({**meta, "kind": "stylizer", "made_inputs": 1}, "x")


def test_thread_count_is_computed_one_way(monkeypatch):
    import pytest

    from engine import MuseError
    from engine.threads import available_cores, thread_count

    monkeypatch.delenv("MUSE_THREADS", raising=False)
    cores = available_cores()
    assert thread_count() == cores and thread_count(cores * 4) == 1 and thread_count(2) == max(1, cores // 2)
    monkeypatch.setenv("MUSE_THREADS", "3")
    assert thread_count() == 3 and thread_count(8) == 3  # the count for each process
    for bad in ("0", "two", "-1"):
        monkeypatch.setenv("MUSE_THREADS", bad)
        with pytest.raises(MuseError, match="MUSE_THREADS"):
            thread_count()
