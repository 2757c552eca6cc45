"""Plugin discovery through real entry points, load control, and isolation of bad plugins."""

import os
import subprocess
import sys

import pytest

from engine import Engine, PluginWarning
from engine.hookspecs import hookspec

from conftest import TESTS, install_dist


def names(eng, kind):
    return [c.name for c in eng.components(kind)]


def test_entry_point_plugin_is_discovered(test_plugin):
    eng = Engine()
    assert {"noise", "arpeggio"} <= set(names(eng, "generator"))
    info = eng.host.plugins["testplugin"]
    assert info.source == "entry point (muse-testplugin)" and info.version == "0.1"
    assert "register_generators" in info.hooks and "generator noise" in info.components


@pytest.mark.parametrize("setting, loaded", [("", False), ("testplugin", True), ("muse-testplugin", True), ("other", False)])
def test_muse_load_plugins_controls_third_party_loading(test_plugin, monkeypatch, setting, loaded):
    monkeypatch.setenv("MUSE_LOAD_PLUGINS", setting)
    eng = Engine()
    assert ("noise" in names(eng, "generator")) is loaded
    assert "png" in names(eng, "renderer")  # built-in plugins always load


def test_broken_plugins_are_reported_and_isolated(tmp_path, monkeypatch, test_plugin):
    site = install_dist(tmp_path / "more", "muse-broken", {"broken": "muse_brokenplugin", "missing": "no_such_module_xyz"})
    monkeypatch.syspath_prepend(str(site))
    with pytest.warns(PluginWarning) as caught:
        eng = Engine()
        generators = names(eng, "generator")
    assert "noise" in generators
    messages = [str(w.message) for w in caught]
    assert any("plugin 'broken': register_generators raised RuntimeError: this plugin is broken on purpose" in m for m in messages)
    assert any("plugin 'missing': failed to load: ModuleNotFoundError" in m for m in messages)


def test_name_clash_names_both_plugins(test_plugin, tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(install_dist(tmp_path / "clash", "muse-clash", {"clash": "muse_clashplugin"})))
    with pytest.warns(PluginWarning, match=r"generator 'noise' is registered by both plugin '(testplugin|clash)' and plugin '(clash|testplugin)'"):
        Engine().components()


def test_given_plugins_only():
    import muse_testplugin
    import plugins.renderers.plugin as renderers

    eng = Engine(plugins=[muse_testplugin, renderers])
    assert names(eng, "generator") == ["arpeggio", "line", "noise"]


def test_every_hook_has_a_docstring_that_says_when():
    import engine.hookspecs as specs

    hooks = [getattr(specs, n) for n in dir(specs) if n.startswith("register_")]
    assert len(hooks) == 5
    for hook in hooks:
        assert hook.__doc__ and hook.__doc__.startswith("Called "), hook.__name__
    assert hookspec  # the marker is public for plugin authors reading the module


def test_cli_start_up_does_not_import_torch(test_plugin):
    code = "import sys; from engine.cli import main\n" \
           "try:\n    main(sys.argv[1:])\nexcept SystemExit: pass\n" \
           "print('TORCH' if 'torch' in sys.modules else 'NO-TORCH', 'NUMPY' if 'numpy' in sys.modules else '')"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(test_plugin), str(TESTS / "fixtures")])}
    for args in (["--help"], ["list"], ["plugins", "--all"]):
        out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, check=True).stdout
        assert out.strip().endswith("NO-TORCH"), (args, out[-300:])


def test_entry_point_reader_agrees_with_importlib_metadata(tmp_path, monkeypatch):
    """Muse reads dist-info folders itself (for start-up speed); it must list what pip's metadata lists."""
    from importlib.metadata import entry_points

    from engine.plugins import muse_entry_points

    install_dist(tmp_path / "a", "muse-first", {"one": "pkg_one:plugin", "two": "pkg_two"})
    install_dist(tmp_path / "b", "Muse_First", {"shadowed": "never"}, version="9.9")  # same normalized name, later on the path
    install_dist(tmp_path / "b", "muse-other", {"three": "pkg.three:obj.attr"})
    monkeypatch.syspath_prepend(str(tmp_path / "b"))
    monkeypatch.syspath_prepend(str(tmp_path / "a"))

    ours = [(ep.name, ep.value) for ep in muse_entry_points()]
    theirs = [(ep.name, ep.value) for ep in entry_points(group="muse")]
    assert ours == theirs
    assert ("shadowed", "never") not in ours and ("three", "pkg.three:obj.attr") in ours
