"""The small frictions of a new user's first hour, each held by a test."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from engine import Engine
from engine.io import numbered


def test_batch_names_sort_in_batch_order_past_999():
    names = [p.name for p in numbered(Path("gan.png"), 1001)]
    assert names[0] == "gan-0000.png" and names[-1] == "gan-1000.png"
    assert names == sorted(names)
    assert numbered(Path("x.mid"), 4)[3].name == "x-003.mid"  # small batches keep three digits


def test_checkpoints_follow_the_umask_like_every_other_file(tmp_path):
    import torch

    from engine.training import save_checkpoint

    old = os.umask(0o022)
    try:
        ckpt = save_checkpoint(tmp_path / "m.safetensors", {"w": torch.zeros(2)}, model="toy", config={})
    finally:
        os.umask(old)
    assert stat.S_IMODE(ckpt.stat().st_mode) == 0o644


def test_stylize_and_compose_seed_help_does_not_mention_batches(muse):
    assert "SEED+i" in muse("generate", "--help").out
    for command in ("stylize", "compose"):
        assert "SEED+i" not in muse(command, "--help").out


def test_messages_use_the_right_article(muse, test_plugin, in_tmp):
    result = muse("generate", "noise", "-o", "x.docx")
    assert "for an image" in result.err and "for a image" not in result.err


def test_info_shows_render_settings_and_decisions(muse, test_plugin, in_tmp):
    assert muse("generate", "noise", "--seed", "1", "-o", "n.png", "-r", "scale=2").code == 0
    out = muse("info", "n.png").out
    assert "saved as .png (scale=2)" in out


def test_convert_gives_what_the_file_loads_back_as(tmp_path):
    import muse_testplugin
    import plugins.renderers.plugin as renderers

    eng = Engine(plugins=[muse_testplugin, renderers])
    image = eng.generate("noise", seed=4)
    jpeg = eng.convert(image, ".jpg", quality=30)
    assert jpeg.pixels.shape[:2] == image.pixels.shape[:2]
    assert (jpeg.pixels != image.pixels).any()  # lossy, as the file would be
    eng.render(image, tmp_path / "n.jpg", quality=30)
    assert (eng.load(tmp_path / "n.jpg").pixels == jpeg.pixels).all()


def test_a_walk_to_gif_animates_by_default_and_jpeg_refuses_frames(muse, in_tmp):
    from PIL import Image

    assert muse("generate", "gan", "-p", "interpolate=4", "--seed", "2", "-o", "walk.gif").code == 0
    with Image.open("walk.gif") as walk:
        assert walk.n_frames == 4
    assert muse("generate", "gan", "-p", "interpolate=4", "-p", "animate=false", "-o", "strip.png").code == 0
    with Image.open("strip.png") as strip:
        assert strip.width > 3 * strip.height  # four frames side by side
    refused = muse("generate", "gan", "-p", "interpolate=4", "-o", "walk.jpg")
    assert refused.code != 0 and "JPEG holds one picture" in refused.err and not Path("walk.jpg").exists()


def test_style_prints_one_line_per_level_without_a_terminal(capsys):
    import torch

    from plugins.style.model import RandomEncoder
    from plugins.style.optimize import Plan, stylize_image

    content, style = torch.rand(1, 3, 48, 48), torch.rand(1, 3, 48, 48)
    stylize_image(content, [style], [1.0], RandomEncoder(), Plan(size=48, steps=2, levels=2))
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("muse: style level")]
    assert [line.split(" (")[0] for line in lines] == ["muse: style level 1/2", "muse: style level 2/2"]


def fresh_process_lines(code: str) -> list[str]:
    """What ``code`` prints in a new interpreter: the only way to see whether it imported torch."""
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()


def test_bad_key_and_meter_are_refused_before_any_model_loads():
    code = (
        "import sys\n"
        "from engine import Engine, ParamError\n"
        "eng = Engine()\n"
        "for bad in ({'key': 'X minor'}, {'time_signature': '5/9'}):\n"
        "    try:\n"
        "        eng.generate('melody', seed=1, **bad)\n"
        "    except ParamError as error:\n"
        "        print(error)\n"
        "print('torch' in sys.modules)\n"
    )
    out = fresh_process_lines(code)
    assert out[0].startswith("melody: key='X minor' is not a key")
    assert out[1].startswith("melody: time_signature='5/9'")
    assert out[2] == "False"


def test_missing_style_image_is_refused_before_torch_loads(tmp_path):
    from PIL import Image as PILImage

    content = tmp_path / "c.png"
    PILImage.new("RGB", (8, 8)).save(content)
    code = (
        "import sys\n"
        "from engine import BadInput, Engine\n"
        "eng = Engine()\n"
        f"work = eng.load({str(content)!r})\n"
        "try:\n"
        f"    eng.stylize('style', work, style={str(tmp_path / 'nowhere.jpg')!r})\n"
        "except BadInput as error:\n"
        "    print(error)\n"
        "print('torch' in sys.modules)\n"
    )
    out = fresh_process_lines(code)
    assert out == [f"{tmp_path / 'nowhere.jpg'}: no such style image", "False"]


def test_demo_gives_stylizers_one_plain_work_of_the_generator_they_name():
    """Not the 6x6 contact sheet: a classifier names one garment, a halftone prints one."""
    from engine import Engine
    from engine.demo import plan

    eng = Engine()
    steps = {step.component: step for step in plan(eng, seed=1) if step.kind == "stylizer"}  # `muse demo`'s default seed
    for name in ("classifier", "vae-reconstruct"):
        work = steps[name].make([])
        source = work.meta["inputs"][0]
        assert source["component"] == "gan" and source["params"]["grid"] == 0 and source["params"]["interpolate"] == 0
    label = steps["classifier"].make([])
    assert len(label.lines) == 3 and float(label.lines[0].split()[-1]) > 0.5


def test_unknown_label_is_refused_from_the_checkpoint_header_before_torch_loads():
    code = (
        "import sys\n"
        "from engine import Engine, MuseError\n"
        "eng = Engine()\n"
        "for name in ('gan', 'vae'):\n"
        "    try:\n"
        "        eng.generate(name, label='hatt')\n"
        "    except MuseError as error:\n"
        "        print(error)\n"
        "print('torch' in sys.modules)\n"
    )
    out = fresh_process_lines(code)
    assert out[0].startswith("unknown label of gan: 'hatt'; valid: ankle boot")
    assert out[1].startswith("unknown label of vae: 'hatt'")
    assert out[2] == "False"
