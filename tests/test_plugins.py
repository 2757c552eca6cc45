"""Plugin discovery through real entry points, load control, and isolation of bad plugins."""

import os
import re
import subprocess
import sys

import pytest

from engine import Engine, PluginWarning
from engine.hookspecs import hookspec

from conftest import TESTS, enable_plugins, install_dist


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
    enable_plugins(monkeypatch, "broken", "missing")
    with pytest.warns(PluginWarning) as caught:
        eng = Engine()
        generators = names(eng, "generator")
    assert "noise" in generators
    messages = [str(w.message) for w in caught]
    assert any("plugin 'broken': register_generators raised RuntimeError: this plugin is broken on purpose" in m for m in messages)
    assert any("plugin 'missing': failed to load: ModuleNotFoundError" in m for m in messages)


def test_name_clash_names_both_plugins(test_plugin, tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(install_dist(tmp_path / "clash", "muse-clash", {"clash": "muse_clashplugin"})))
    enable_plugins(monkeypatch, "clash")
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


# -- pluggy's contract, and plugins that try to end the process ---------------------------------
def write_plugin(site, module: str, source: str, dist: str, name: str):
    """A plugin module ``module`` installed in ``site`` as distribution ``dist``, entry point ``name``."""
    site.mkdir(parents=True, exist_ok=True)
    (site / f"{module}.py").write_text(source)
    return install_dist(site, dist, {name: module})


WRAPPERS = '''
from engine import Generator, Image, hookimpl

class Flat(Generator):
    description = "flat"
    output = Image
    def __init__(self, name):
        self.name = name
    def generate(self, params, seed):
        import numpy as np
        return Image(np.zeros((2, 2), dtype="uint8"))

@hookimpl(wrapper=True)
def register_generators(register):
    register(Flat("new_style_wrapper"))
    return (yield)

@hookimpl(hookwrapper=True)
def register_stylizers(register):
    yield
'''


def test_wrapper_impls_register_through_pluggy(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(write_plugin(tmp_path / "site", "muse_wrapping", WRAPPERS, "muse-wrapping", "wrapping")))
    monkeypatch.setenv("MUSE_LOAD_PLUGINS", "wrapping")
    eng = Engine()
    assert "new_style_wrapper" in names(eng, "generator")
    info = eng.host.plugins["wrapping"]
    assert info.errors == [] and info.components == ["generator new_style_wrapper"]
    assert {"register_generators", "register_stylizers"} <= set(info.hooks)


@pytest.mark.parametrize("where", ["import", "hook"])
def test_a_plugin_calling_sys_exit_is_reported_by_name(tmp_path, monkeypatch, test_plugin, where):
    source = ("import sys\nsys.exit('bye')\n" if where == "import" else
              "import sys\nfrom engine import hookimpl\n@hookimpl\ndef register_generators(register):\n    sys.exit(3)\n")
    monkeypatch.syspath_prepend(str(write_plugin(tmp_path / "exit", f"muse_exiting_{where}", source, "muse-exiting", "exiting")))
    monkeypatch.setenv("MUSE_LOAD_PLUGINS", "testplugin,exiting")
    with pytest.warns(PluginWarning) as caught:
        generators = names(Engine(), "generator")
    assert "noise" in generators
    expected = "failed to load: SystemExit: bye" if where == "import" else "register_generators raised SystemExit: 3"
    assert any(str(w.message) == f"plugin 'exiting': {expected}" for w in caught), [str(w.message) for w in caught]


def test_sys_exit_at_import_does_not_kill_help(tmp_path, muse, monkeypatch):
    monkeypatch.syspath_prepend(str(write_plugin(tmp_path / "exit", "muse_exiting_help", "import sys\nsys.exit(0)\n",
                                                 "muse-exiting", "exiting")))
    result = muse("--help", env={"MUSE_LOAD_PLUGINS": "exiting"})
    assert result.code == 0 and "generate" in result.out
    assert "muse: warning: plugin 'exiting': failed to load: SystemExit: 0" in result.err


def test_a_failing_register_commands_warns(tmp_path, muse, monkeypatch):
    source = "from engine import hookimpl\n@hookimpl\ndef register_commands(cli):\n    raise ValueError('no commands today')\n"
    monkeypatch.syspath_prepend(str(write_plugin(tmp_path / "cmd", "muse_cmdfail", source, "muse-cmdfail", "cmdfail")))
    result = muse("--help", env={"MUSE_LOAD_PLUGINS": "cmdfail"})
    assert result.code == 0 and "generate" in result.out
    assert result.err.count("plugin 'cmdfail': register_commands raised ValueError: no commands today") == 1


# -- MUSE_LOAD_PLUGINS says what it did --------------------------------------------------------
@pytest.mark.parametrize("setting, hint", [
    ("nosuch", "'nosuch'"),
    ("TestPlugin", "'TestPlugin' (did you mean 'testplugin'?)"),
    ("testplugins, procedural", "'testplugins'"),
])
def test_a_name_that_matches_no_plugin_warns_once_with_the_installed_names(test_plugin, muse, setting, hint):
    result = muse("list", "generator", env={"MUSE_LOAD_PLUGINS": setting})
    assert result.code == 0 and "noise" not in result.out
    warnings = [line for line in result.err.splitlines() if "MUSE_LOAD_PLUGINS" in line]
    assert len(warnings) == 1, result.err
    assert f"MUSE_LOAD_PLUGINS names {hint}, which no installed plugin is called; installed: " in warnings[0]
    assert "testplugin (muse-testplugin)" in warnings[0]


@pytest.mark.parametrize("setting", ["testplugin", "muse-testplugin", "Muse_TestPlugin"])
def test_entry_point_and_distribution_names_load_without_a_warning(test_plugin, muse, setting):
    result = muse("list", "generator", env={"MUSE_LOAD_PLUGINS": setting})
    assert "noise" in result.out and "MUSE_LOAD_PLUGINS" not in result.err


def test_muse_plugins_says_which_were_left_out(test_plugin, muse):
    result = muse("plugins", env={"MUSE_LOAD_PLUGINS": ""})
    assert result.code == 0 and "No third-party plugins installed" not in result.out
    assert re.search(r"^\d+ installed, not loaded \(MUSE_LOAD_PLUGINS\): .*testplugin \(muse-testplugin\)", result.out, re.M)


# -- provenance names the plugin as a user installs it -----------------------------------------
def test_make_engine_records_the_installed_name_and_version(test_plugin):
    import muse_testplugin

    from engine.testing import make_engine

    meta = make_engine(muse_testplugin).generate("noise", seed=1).meta
    assert (meta["plugin"], meta["version"], meta["package"]) == ("testplugin", "0.1", "muse-testplugin")
    builtin = make_engine("plugins.renderers.plugin").host.plugins
    assert list(builtin) == ["renderers"] and builtin["renderers"].builtin


def test_reproduce_without_the_plugin_names_it_and_its_distribution(test_plugin, tmp_path, monkeypatch):
    import muse_testplugin

    from engine.testing import make_engine

    make_engine(muse_testplugin).render(make_engine(muse_testplugin).generate("noise", seed=1), tmp_path / "n.png")
    result = make_engine().reproduce(tmp_path / "n.png")
    assert not result.identical and result.remade is None
    assert "generator 'noise' is not installed; it was made by plugin testplugin 0.1, package muse-testplugin" in result.detail


def test_tests_do_not_see_the_venvs_own_plugins():
    """examples/muse-procedural is installed in the venv; a test that did not ask for it must not
    get its components (tests/test_third_party.py enables it explicitly)."""
    assert os.environ["MUSE_LOAD_PLUGINS"] == ""
    assert not {"truchet", "groove", "halftone", "palette"} & {c.name for c in Engine().components()}
