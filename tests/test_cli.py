"""The `muse` command line: happy paths, provenance, and every error path a user meets."""

import json
import re
from pathlib import Path

import numpy as np
import pytest

from engine import Engine


def test_generate_one_work(muse, test_plugin, in_tmp):
    result = muse("generate", "noise", "--seed", "3", "-p", "size=4", "-o", "n.png")
    assert result.code == 0, result.err
    assert "wrote n.png" in result.out
    meta = Engine().load("n.png").meta
    assert (meta["component"], meta["seed"], meta["params"]) == ("noise", 3, {"size": 4, "level": 1.0})


def test_batch_uses_consecutive_seeds_and_numbered_files(muse, test_plugin, in_tmp):
    assert muse("generate", "noise", "-n", "3", "--seed", "10", "-o", "out.png").code == 0
    eng = Engine()
    seeds = [eng.load(f"out-{i:03d}.png").meta["seed"] for i in range(3)]
    assert seeds == [10, 11, 12]
    single = eng.generate("noise", seed=11)
    assert single.same_content(eng.load("out-001.png"))


def test_output_folder_gets_component_named_files(muse, test_plugin, in_tmp):
    assert muse("generate", "arpeggio", "-n", "2", "--seed", "1", "-o", "songs/").code == 0
    assert sorted(p.name for p in Path("songs").iterdir()) == ["arpeggio-000.mid", "arpeggio-001.mid"]


def test_stylize_and_compose_chain_provenance(muse, test_plugin, in_tmp):
    assert muse("generate", "noise", "--seed", "1", "-o", "a.png").code == 0
    assert muse("stylize", "invert", "a.png", "-p", "amount=0.5", "--seed", "2", "-o", "b.png").code == 0
    assert muse("compose", "caption", "b.png", "--seed", "4", "-o", "c.md").code == 0
    meta = Engine().load("c.md").meta
    assert meta["component"] == "caption"
    assert meta["inputs"][0]["component"] == "invert"
    assert meta["inputs"][0]["inputs"][0]["component"] == "noise"
    info = muse("info", "c.md")
    assert "composer caption" in info.out and "stylizer invert" in info.out and "generator noise" in info.out


def test_reproduce_remakes_the_whole_chain(muse, test_plugin, in_tmp):
    muse("generate", "noise", "--seed", "5", "-o", "a.png")
    muse("stylize", "invert", "a.png", "--seed", "2", "-o", "b.png")
    result = muse("reproduce", "b.png")
    assert result.code == 0 and "b.png: identical" in result.out


def test_reproduce_renders_with_the_recorded_render_options(muse, test_plugin, in_tmp):
    muse("generate", "noise", "--seed", "5", "-r", "scale=3", "-o", "big.png")
    assert '"scale": 3' in muse("info", "big.png", "--json").out
    result = muse("reproduce", "big.png")
    assert result.code == 0 and "big.png: identical" in result.out


def test_reproduce_notices_a_changed_file(muse, test_plugin, in_tmp):
    muse("generate", "noise", "--seed", "5", "-o", "a.png")
    eng = Engine()
    work = eng.load("a.png")
    work.pixels = np.zeros_like(work.pixels)
    eng.render(work, "a.png", force=True)
    result = muse("reproduce", "a.png")
    assert result.code == 1 and "differs" in result.out


def test_reproduce_a_foreign_file_explains(muse, test_plugin, in_tmp):
    from PIL import Image

    Image.new("L", (2, 2)).save("plain.png")
    result = muse("reproduce", "plain.png")
    assert result.code == 1 and "no Muse provenance in" in result.err


def test_render_converts_between_formats(muse, test_plugin, in_tmp):
    muse("generate", "noise", "--seed", "1", "-o", "a.png")
    result = muse("render", "a.png", "-o", "a.webp", "-p", "quality=80")
    assert result.code == 0 and Path("a.webp").exists()
    assert Engine().load("a.webp").meta["component"] == "noise"


@pytest.mark.parametrize(
    "args, message",
    [
        (["generate", "nosuch", "-o", "x.png"], "unknown generator 'nosuch'; valid: arpeggio, "),
        (["generate", "noise", "-p", "size=0", "-o", "x.png"], "noise: size=0 is out of range; valid: 1..256"),
        (["generate", "noise", "-p", "colour=red", "-o", "x.png"], "unknown parameter of noise: 'colour'; valid: level, size"),
        (["generate", "noise", "-p", "size", "-o", "x.png"], "expected key=value, got 'size'"),
        (["generate", "noise", "-o", "x.docx"], "unknown file type for an image: '.docx'; valid: .gif, .jpeg, .jpg, .png, .webp"),
        (["stylize", "invert", "missing.png", "-o", "x.png"], "missing.png: no such file"),
        (["stylize", "invert", "notes.xyz", "-o", "x.png"], "unknown input file type '.xyz'"),
        (["compose", "caption", "tune.mid", "-o", "x.txt"], "composer 'caption' takes (image), got (score)"),
        (["info", "missing.mid"], "missing.mid: no such file"),
        (["list", "nosuch"], "unknown component 'nosuch'"),
    ],
)
def test_errors_are_one_clear_line(muse, test_plugin, in_tmp, args, message):
    Path("notes.xyz").write_text("?")
    muse("generate", "arpeggio", "--seed", "1", "-o", "tune.mid")
    result = muse(*args)
    assert result.code == 1
    assert result.err.startswith("muse: error: ") and message in result.err, result.err
    assert "Traceback" not in result.err and len(result.err.strip().splitlines()) == 1


def test_existing_output_is_refused_before_any_work(muse, test_plugin, in_tmp):
    Path("x.png").write_bytes(b"keep me")
    result = muse("generate", "noise", "-o", "x.png")
    assert result.code == 1 and "x.png already exists; use --force" in result.err
    assert Path("x.png").read_bytes() == b"keep me"
    assert muse("generate", "noise", "-o", "x.png", "--force").code == 0


def test_batch_refuses_if_any_numbered_output_exists(muse, test_plugin, in_tmp):
    Path("x-001.png").write_bytes(b"keep me")
    assert muse("generate", "noise", "-n", "3", "-o", "x.png").code == 1
    assert not Path("x-000.png").exists()


def test_unwritable_output_is_a_clear_error(muse, test_plugin, in_tmp):
    result = muse("generate", "noise", "-o", "/proc/muse-test/x.png")
    assert result.code == 1 and "cannot create folder /proc/muse-test" in result.err


def test_output_path_under_a_file_is_a_clear_error(muse, test_plugin, in_tmp):
    Path("afile").write_text("x")
    result = muse("generate", "noise", "-o", "afile/x.png")
    assert result.code == 1 and "cannot create folder afile" in result.err


def test_debug_shows_the_traceback(muse, test_plugin, in_tmp):
    from engine import UnknownName

    with pytest.raises(UnknownName):
        muse("--debug", "generate", "nosuch", "-o", "x.png")


def test_list_and_plugins_describe_components(muse, test_plugin):
    listing = muse("list", "generator").out
    assert "noise (-> image): random grey pixels" in listing
    assert "size (int, default 8; 1..256): width and height in pixels" in listing
    plugins = muse("plugins").out
    assert "testplugin 0.1  [entry point (muse-testplugin)]" in plugins and "renderers" not in plugins
    assert "renderers" in muse("plugins", "--all").out
    assert "testplugin" not in muse("plugins", "--hook", "register_renderers").out
    data = json.loads(muse("plugins", "--all", "--json").out)
    assert any(p["name"] == "testplugin" for p in data)


def test_trace_prints_each_hook_call(muse, test_plugin):
    result = muse("list", env={"MUSE_TRACE_PLUGINS": "1"})
    assert "muse: trace testplugin.register_generators(register)" in result.err


def test_demo_writes_a_gallery(in_tmp):
    import muse_testplugin
    import plugins.renderers.plugin as renderers

    from engine.demo import run_demo
    from engine.errors import MuseError

    eng = Engine(plugins=[muse_testplugin, renderers])
    lines = []
    index = run_demo(eng, Path("show"), seed=2, force=False, echo=lines.append)
    page = index.read_text()
    for name in ("noise.png", "arpeggio.mid", "invert.png", "caption.txt"):
        assert name in page and Path("show", name).exists()
    assert any(" made invert of noise in " in line for line in lines)
    progress = [re.match(r"\[(\d+)/(\d+)\] (made|skipped) ", line) for line in lines]  # item k of N on every line
    assert all(progress) and len({m.group(2) for m in progress}) == 1
    assert [int(m.group(1)) for m in progress] == sorted(int(m.group(1)) for m in progress)
    # A rerun replaces the folder's own previous demo...
    before = sorted(p.name for p in Path("show").iterdir())
    run_demo(eng, Path("show"), seed=2, force=False, echo=lines.append)
    assert sorted(p.name for p in Path("show").iterdir()) == before
    # ...but never a folder that holds anything else.
    Path("show", "mine.txt").write_text("keep me")
    with pytest.raises(MuseError, match="not a previous Muse demo"):
        run_demo(eng, Path("show"), seed=2, force=False, echo=lines.append)
    assert Path("show", "mine.txt").read_text() == "keep me"
    Path("elsewhere").mkdir()
    Path("elsewhere", "notes.md").write_text("mine")
    with pytest.raises(MuseError, match="not a previous Muse demo"):
        run_demo(eng, Path("elsewhere"), seed=2, force=False, echo=lines.append)


def test_render_options_are_dash_r_everywhere(muse, test_plugin, in_tmp):
    muse("generate", "noise", "--seed", "1", "-o", "a.png")
    assert muse("render", "a.png", "-o", "b.webp", "-r", "quality=70").code == 0  # was refused: only -p
    assert muse("render", "a.png", "-o", "c.png", "--render-param", "scale=2").code == 0
    assert Engine().load("c.png").pixels.shape[0] == 2 * Engine().load("a.png").pixels.shape[0]
    assert "-r, -p, --render-param, --param KEY=VALUE" in muse("render", "--help").out


def test_train_help_lists_the_models_parameters(muse, test_plugin):
    result = muse("train", "line", "--help")
    assert result.code == 0
    assert re.search(r"--steps INT\s+batches to train on\s+\[int, default 8; >= 1\]", result.out), result.out
    assert "--hidden INT" in result.out and "--nproc" in result.out
    listing = muse("train", "--help").out
    assert "line" in listing and "noise" not in listing  # only models that train


def test_train_options_are_checked_like_params(muse, test_plugin, in_tmp):
    unknown = muse("train", "line", "--stepz", "3", "--out", "x.safetensors")
    assert unknown.code == 1 and "unknown parameter of train line: 'stepz'; valid: hidden, steps" in unknown.err
    bad = muse("train", "line", "--steps", "0", "--out", "x.safetensors")
    assert bad.code == 1 and "steps=0 is out of range" in bad.err
    assert "unknown trainable model 'noise'; valid: " in muse("train", "noise").err
    done = muse("train", "line", "--steps=2", "--hidden_units" if False else "--hidden", "4", "--out", "x.safetensors")
    assert done.code == 0, done.err


def test_each_invocation_has_its_own_state(muse, test_plugin):
    import engine.cli as cli

    assert muse("--debug", "list", "generator").code == 0
    result = muse("generate", "nosuch", "-o", "x.png")  # --debug above does not stick
    assert result.code == 1 and "Traceback" not in result.err
    assert not any(hasattr(cli, name) for name in ("_engine", "_debug", "_argv", "_owns_process"))
