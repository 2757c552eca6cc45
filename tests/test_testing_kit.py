"""engine.testing: the engine a plugin test builds, the conformance check, the CLI runner.

The check must pass good components and name the rule a bad one breaks, so most tests here feed
it a deliberately broken component and read the message.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np
import pytest

import muse_testplugin
from engine import Generator, Image, Param, PluginError, Renderer, Score, Stylizer, Text, hookimpl
from engine.testing import (ConformanceError, assert_light_import, check_component, make_engine, run_cli,
                            sample_work)


def plugin_of(*components, renderers=()):
    """A plugin object registering the given components (what a module with @hookimpl does)."""

    class Plugin:
        __name__ = "inline"

        @hookimpl
        def register_generators(self, register):
            for component in components:
                if component.kind == "generator":
                    register(component)

        @hookimpl
        def register_stylizers(self, register):
            for component in components:
                if component.kind == "stylizer":
                    register(component)

        @hookimpl
        def register_renderers(self, register):
            for renderer in renderers:
                register(renderer)

    return Plugin()


class Flat(Generator):
    """A correct generator: a flat grey image whose shade comes from the seed."""

    name = "flat"
    description = "a flat grey square"
    output = Image
    params = (Param("size", int, 4, "side in pixels", min=1, max=64),
              Param("mode", str, "grey", "colour mode", choices=("grey", "rgb")))

    def generate(self, params, seed):
        channels = 1 if params["mode"] == "grey" else 3
        return Image(np.full((params["size"], params["size"], channels), seed % 256, np.uint8))


def check(component, **kwargs):
    return check_component(make_engine(plugin_of(component)), component.kind, component.name, **kwargs)


@pytest.mark.parametrize("kind, name", [("generator", "noise"), ("generator", "arpeggio"), ("stylizer", "invert"),
                                        ("composer", "caption")])
def test_well_behaved_components_pass(kind, name):
    report = check_component(make_engine(muse_testplugin), kind, name, params={"size": 4} if name == "noise" else None)
    assert report.work.meta["component"] == name and report.work.meta["plugin"] == "muse_testplugin"
    assert any(check.startswith("renders to") for check in report.checks)


def test_the_check_refuses_every_bad_value_the_declaration_allows_it_to_name():
    report = check(Flat(), seed=3)
    # size: not-a-number, 0, 65, 1.5; mode: a flag, a list, a value outside its choices
    assert "refuses 7 bad value(s)" in " ".join(report.checks)
    assert report.work.pixels[0, 0, 0] == 3


class Traced(Flat):
    """Takes a path to an image it would trace (unused here): the kit must try wrong-typed ones."""

    name = "traced"
    params = (*Flat.params, Param("outline", Path, None, "an image to trace"))


def test_the_check_tries_wrong_typed_paths_and_text():
    report = check(Traced())
    # Flat's 7, and outline: a number and a list
    assert "refuses 9 bad value(s)" in " ".join(report.checks)


def test_kept_files_carry_the_provenance(tmp_path):
    report = check(Flat(), out=tmp_path, suffixes=[".png"])
    assert [p.name for p in report.files] == ["flat-png.png"]
    assert make_engine().load(report.files[0]).meta["component"] == "flat"


class Restless(Flat):
    name = "restless"

    def generate(self, params, seed):
        return Image(np.random.default_rng().integers(0, 255, (4, 4), dtype=np.uint8))


class BadBatch(Flat):
    name = "badbatch"

    def generate_many(self, params, seeds):
        return [self.generate(params, seeds[0]) for _ in seeds]


class Unhelpful(Flat):
    name = "unhelpful"
    params = (Param("size", int, 4, ""),)


class WrongType(Flat):
    name = "wrongtype"

    def generate(self, params, seed):
        return Text(["not an image"])


class OddMeta(Flat):
    name = "oddmeta"

    def generate(self, params, seed):
        work = super().generate(params, seed)
        work.meta["mean"] = np.float32(1.5)
        return work


class Uncheckpointed(Flat):
    name = "uncheckpointed"
    params = (Param("model", str, "default", "shipped model name or a .safetensors path"),)

    def generate(self, params, seed):
        return Image(np.zeros((2, 2), np.uint8))


@pytest.mark.parametrize("component, message", [
    (Restless(), "is not deterministic"),
    (BadBatch(), "generate_many does not match generate"),
    (Unhelpful(), "parameter 'size' has no help text"),
    (WrongType(), "returned a Text, not the declared Image"),
    (OddMeta(), "not JSON"),
    (Uncheckpointed(), "was given a model but its work has no meta['checkpoint']"),
])
def test_broken_components_fail_with_the_rule_they_break(component, message):
    with pytest.raises(ConformanceError, match=r"generator '\w+' .*" + re.escape(message)):
        check(component)


def test_a_format_that_loses_provenance_is_caught():
    class Forgetful(Renderer):
        name = "forgetful"
        description = "writes pixels, forgets where they came from"
        work_type = Image
        suffixes = (".raw",)
        readable = True

        def write(self, work, path, params):
            np.save(path.with_suffix(".npy"), work.pixels)
            path.write_bytes(b"")

        def read(self, path):
            return Image(np.load(path.with_suffix(".npy")))

    eng = make_engine(plugin_of(Flat(), renderers=[Forgetful()]))
    with pytest.raises(ConformanceError, match="lost its provenance through flat-forgetful.raw"):
        check_component(eng, "generator", "flat", suffixes=[".raw"])


def test_a_stylizer_gets_a_sample_of_the_type_it_takes():
    class Transpose(Stylizer):
        name = "transpose"
        description = "swap rows and columns"
        input = Image
        output = Image

        def stylize(self, work, params, seed):
            return Image(work.pixels.transpose(1, 0, 2).copy())

    report = check(Transpose())
    assert report.work.meta["inputs"] == [{"source": "sample"}]


def test_samples_exist_for_every_work_type():
    for kind in (Image, Score, Text):
        assert isinstance(sample_work(kind), kind)


def test_make_engine_holds_only_the_given_plugins_and_raises_on_broken_ones():
    eng = make_engine("muse_testplugin")
    assert {c.name for c in eng.components("generator")} == {c.name for c in make_engine(muse_testplugin).components("generator")}
    assert {"noise", "arpeggio"} <= {c.name for c in eng.components("generator")}
    assert {plugin.name for plugin in eng.host.plugins.values()} == {"renderers", "muse_testplugin"}  # a built-in keeps its own name
    assert "png" in {c.name for c in eng.components("renderer")}
    assert make_engine(muse_testplugin, renderers=False).components("renderer") == []
    with pytest.raises(PluginError, match="this plugin is broken on purpose"):
        make_engine("muse_brokenplugin")


def test_run_cli_uses_the_given_engine_and_cleans_up(tmp_path, monkeypatch):
    import engine.cli as cli

    class Greeter:
        __name__ = "greeter"

        @hookimpl
        def register_commands(self, cli):
            import click

            @cli.command("hello")
            def hello():
                """Say hello."""
                click.echo("hello from a plugin")

    eng = make_engine(muse_testplugin, Greeter())
    result = run_cli("hello", engine=eng)
    assert (result.code, result.out) == (0, "hello from a plugin\n")
    assert "hello" not in cli.cli.commands and not hasattr(cli, "_engine")

    made = run_cli("generate", "noise", "-p", "size=3", "--seed", "5", "-o", tmp_path / "n.png", engine=eng)
    assert made.code == 0, made.err
    info = json.loads(run_cli("info", tmp_path / "n.png", "--json", engine=eng).out)
    assert (info["component"], info["seed"], info["params"]["size"]) == ("noise", 5, 3)

    bad = run_cli("generate", "noise", "-p", "size=0", "-o", tmp_path / "m.png", engine=eng)
    assert bad.code == 1 and "size=0 is out of range" in bad.err


def test_run_cli_sets_the_environment_for_one_call_only(monkeypatch):
    monkeypatch.delenv("MUSE_TRACE_PLUGINS", raising=False)
    lazy = make_engine(muse_testplugin, strict=False)  # hooks run when `list` first asks
    result = run_cli("list", "generator", engine=lazy, env={"MUSE_TRACE_PLUGINS": "1"})
    assert result.code == 0
    assert re.search(r"muse: trace muse_testplugin\.register_generators\(register\) [\d.]+ ms", result.err)
    assert "MUSE_TRACE_PLUGINS" not in os.environ


def test_assert_light_import(tmp_path, monkeypatch):
    assert_light_import("muse_testplugin", heavy=("torch",))
    (tmp_path / "heavy_plugin.py").write_text("import numpy\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ConformanceError, match="imports numpy"):
        assert_light_import("heavy_plugin", heavy=("numpy",))
