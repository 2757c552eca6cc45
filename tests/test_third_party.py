"""The example third-party package, pip-installed, works everywhere a built-in plugin does.

examples/muse-procedural is found only through its `muse` entry point (CI runs
`pip install -e examples/muse-procedural`); these tests check that its components appear in
`muse list` and `muse plugins`, and work from the CLI, recipes and the Python API.
"""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path

import pytest

from engine import Engine
from engine.testing import check_component, run_cli

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "examples" / "muse-procedural"
COMPONENTS = {"generator": ["groove", "truchet"], "stylizer": ["halftone", "palette"]}

try:
    DIST = metadata.distribution("muse-procedural")
except metadata.PackageNotFoundError:
    DIST = None

pytestmark = pytest.mark.skipif(
    DIST is None, reason="muse-procedural is not installed; run `pip install -e examples/muse-procedural` (CI does)")


@pytest.fixture(autouse=True)
def only_this_third_party_plugin(monkeypatch):
    monkeypatch.setenv("MUSE_LOAD_PLUGINS", "procedural")


def test_the_entry_point_is_the_only_way_in():
    [entry] = [e for e in metadata.entry_points(group="muse") if e.name == "procedural"]
    assert entry.value == "muse_procedural.plugin" and DIST.version == "0.1.0"


def test_muse_list_shows_the_components():
    result = run_cli("list")
    assert result.code == 0, result.err
    for names in COMPONENTS.values():
        for name in names:
            assert f"  {name} (" in result.out, name
    assert "truchet (-> image)" in result.out and "halftone (image -> image)" in result.out
    detail = run_cli("list", "palette").out
    assert "train parameters (muse train):" in detail and "colours (int, default 8" in detail


def test_muse_plugins_shows_version_source_hooks_and_components():
    result = run_cli("plugins")
    assert result.code == 0, result.err
    assert "procedural 0.1.0  [entry point (muse-procedural)]" in result.out
    assert "hooks: register_generators, register_stylizers" in result.out
    assert "generator truchet, generator groove, stylizer halftone, stylizer palette" in result.out


def test_cli_generate_stylize_info_reproduce(in_tmp):
    assert run_cli("generate", "truchet", "--seed", "5", "-p", "tiles=4", "-p", "tile_size=8", "-o", "t.png").code == 0
    styled = run_cli("stylize", "halftone", "t.png", "-p", "cell=4", "--seed", "1", "-o", "h.png")
    assert styled.code == 0, styled.err
    info = run_cli("info", "h.png")
    assert "stylizer halftone (plugin procedural 0.1.0), seed 1" in info.out
    assert "generator truchet (plugin procedural 0.1.0), seed 5" in info.out
    again = run_cli("reproduce", "h.png")
    assert again.code == 0 and "identical" in again.out
    assert run_cli("generate", "groove", "-p", "bars=2", "-o", "g.mid").code == 0
    painted = run_cli("stylize", "palette", "t.png", "-o", "p.png")
    assert painted.code == 0, painted.err
    assert json.loads(run_cli("info", "p.png", "--json").out)["checkpoint"]


def test_cli_errors_name_the_parameter(in_tmp):
    result = run_cli("generate", "truchet", "-p", "motif=spirals", "-o", "x.png")
    assert result.code == 1
    assert "truchet: motif='spirals' is not valid; choose one of arcs, diagonals, triangles" in result.err


def test_the_shipped_recipe_runs(in_tmp):
    result = run_cli("run", PACKAGE / "recipes" / "print-shop.toml", "-o", "shop")
    assert result.code == 0, result.err
    manifest = json.loads(Path("shop/manifest.json").read_text())
    assert [s["step"] for s in manifest["steps"]] == ["tiles", "dots", "wave", "groove"]
    assert manifest["steps"][1]["meta"]["plugin"] == "procedural"
    assert sorted(p.name for p in Path("shop").iterdir()) == [
        "groove.mid", "manifest.json", "tiles-great-wave.png", "tiles-halftone.png", "tiles.png"]


def test_python_api_with_the_installed_plugin(tmp_path):
    eng = Engine()
    tiles = eng.generate("truchet", seed=2, tiles=3, tile_size=8)
    assert (tiles.meta["plugin"], tiles.meta["version"]) == ("procedural", "0.1.0")
    batch = eng.generate_batch("groove", 2, seed=2, bars=1)
    assert batch[0].same_content(eng.generate("groove", seed=2, bars=1))
    for kind, names in COMPONENTS.items():
        for name in names:
            small = {"tiles": 3, "tile_size": 8} if name == "truchet" else {"bars": 1} if name == "groove" else {}
            check_component(eng, kind, name, params=small, suffixes=[".png", ".mid"])
