"""The files of a new plugin package, as ``string.Template`` text.

Placeholders: ``$slug`` (the component and entry-point name, e.g. ``flow-field``), ``$dist``
(``muse-flow-field``), ``$module`` (``muse_flow_field``), ``$cls`` (``FlowField``) and
``$engine_version``. Kept as strings in a module, not data files, so they ship inside any
install of muse-engine without package-data rules.
"""

PYPROJECT = '''\
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "$dist"
version = "0.1.0"
description = "A Muse plugin: $slug"
readme = "README.md"
requires-python = ">=3.10"
dependencies = ["muse-engine>=$engine_version"]

[project.optional-dependencies]
test = ["pytest>=7.4"]

# This table is what makes Muse find the plugin: group "muse", name = module with @hookimpl.
[project.entry-points.muse]
$slug = "$module.plugin"

[tool.setuptools]
packages = ["$module"]

[tool.pytest.ini_options]
testpaths = ["tests"]
'''

INIT = '''\
"""$dist: a Muse plugin. The components live in plugin.py."""
'''

PLUGIN = '''\
"""The $slug generator, registered with Muse through the `muse` entry point in pyproject.toml.

Muse imports this module for `muse --help` and `muse list`, so keep heavy imports (numpy,
torch, your model code) inside the methods that need them.
"""

from engine import Generator, Image, Param, hookimpl


class ${cls}Generator(Generator):
    """Horizontal bands of seeded random colours; replace ``generate`` with your own art."""

    name = "$slug"
    description = "horizontal bands of seeded random colours"
    output = Image
    # Declared once: the CLI (-p bands=8), recipes, validation and `muse list` all read these.
    params = (
        Param("width", int, 64, "image width in pixels", min=1, max=4096),
        Param("height", int, 64, "image height in pixels", min=1, max=4096),
        Param("bands", int, 4, "how many colour bands", min=1, max=256),
    )

    def generate(self, params, seed):
        import numpy as np

        # Everything random comes from the seed, so the same seed gives the same image.
        rng = np.random.default_rng(seed)
        colours = rng.integers(0, 256, size=(params["bands"], 3), dtype=np.uint8)
        band_of_row = np.arange(params["height"]) * params["bands"] // params["height"]
        pixels = np.repeat(colours[band_of_row][:, None, :], params["width"], axis=1)
        return Image(pixels)


@hookimpl
def register_generators(register):
    register(${cls}Generator())
'''

TEST = '''\
"""Tests for $dist, written with the kit Muse gives plugin authors (engine.testing)."""

from importlib import metadata

from engine.testing import assert_light_import, check_component, make_engine, run_cli

from $module import plugin


def test_generator_keeps_the_muse_contract():
    # Parameters declared and validated, deterministic per seed, provenance filled,
    # and written and read back by every registered image format.
    report = check_component(make_engine(plugin), "generator", "$slug", params={"width": 16, "height": 8})
    assert (report.work.width, report.work.height) == (16, 8)


def test_bands_follow_the_parameter():
    work = make_engine(plugin).generate("$slug", seed=1, width=4, height=6, bands=3)
    assert len({tuple(pixel) for pixel in work.pixels[:, 0]}) <= 3


def test_cli_writes_a_png_with_provenance(tmp_path):
    out = tmp_path / "bands.png"
    result = run_cli("generate", "$slug", "--seed", "7", "-p", "width=8", "-o", out, engine=make_engine(plugin))
    assert result.code == 0, result.err
    meta = make_engine().load(out).meta
    assert (meta["component"], meta["seed"], meta["params"]["width"]) == ("$slug", 7, 8)


def test_the_plugin_module_imports_no_torch():
    # `muse --help` and `muse list` import every plugin; keep them fast.
    assert_light_import("$module.plugin")


def test_muse_finds_the_installed_entry_point():
    assert "$slug" in {entry.name for entry in metadata.entry_points(group="muse")}, \\
        "the package is not installed; run: pip install -e ."
    result = run_cli("plugins", env={"MUSE_LOAD_PLUGINS": "$slug"})
    assert result.code == 0, result.err
    assert "$slug 0.1.0  [entry point ($dist)]" in result.out
    assert "generator $slug" in result.out
'''

README = '''\
# $dist

A [Muse](https://pypi.org/project/muse-engine/) plugin that adds the `$slug` generator:
horizontal bands of seeded random colours. It was made with `muse plugin new $slug`;
replace the art in `$module/plugin.py` with your own.

## Install

```bash
pip install -e .          # from this folder; or, once published: pip install $dist
muse plugins              # shows $slug, its version, hooks and components
```

## Use

```bash
muse list $slug                                  # its parameters
muse generate $slug -p bands=8 --seed 1 -o bands.png
muse info bands.png                              # how the file was made
```

```python
from engine import Engine

image = Engine().generate("$slug", seed=1, bands=8)
```

## Test

```bash
pip install -e ".[test]"
python -m pytest
```

The tests use `engine.testing`: `check_component` holds the generator to the contract every
Muse component keeps (declared and validated parameters, same seed same work, provenance that
survives every file format).

## Publish

```bash
python -m pip install build twine
python -m build
twine upload dist/*
```
'''

GITIGNORE = '''\
__pycache__/
*.egg-info/
build/
dist/
'''

#: Relative path (with placeholders) -> template.
FILES = {
    "pyproject.toml": PYPROJECT,
    "README.md": README,
    ".gitignore": GITIGNORE,
    "$module/__init__.py": INIT,
    "$module/plugin.py": PLUGIN,
    "tests/test_$module.py": TEST,
}
