"""Hostile inputs: every malformed file, parameter, recipe and checkpoint gets one clear line.

Each case drives a real CLI entry in-process and asserts the promise of the project brief: a
non-zero exit, exactly one line on stderr, no "a bug" text, no traceback, and no file in the
working folder changed, created or left half-written. The parsers are also fuzzed with
hypothesis, on a fixed small budget so the suite stays fast.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from engine import Audio, BadInput, Engine, Image, MuseError, OutputExists
from engine.errors import ParamError

FUZZ = settings(max_examples=40, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
GAN_WEIGHTS = Path(__file__).parents[1] / "plugins" / "gan" / "weights" / "default.safetensors"
POEM_WEIGHTS = Path(__file__).parents[1] / "plugins" / "poem" / "weights" / "en.safetensors"
CLASSIFIER_WEIGHTS = Path(__file__).parents[1] / "plugins" / "imagekit" / "weights" / "default.safetensors"


# -- the promise -------------------------------------------------------------------------------
def snapshot(folder: Path) -> dict[str, str]:
    """Every entry under ``folder`` (hidden temporaries included) with a hash of its bytes."""
    state = {}
    for path in sorted(folder.rglob("*")):
        if path.is_symlink():
            state[str(path.relative_to(folder))] = "-> " + os.readlink(path)
        elif path.is_file():
            state[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            state[str(path.relative_to(folder))] = "dir"
    return state


def refused(muse, folder: Path, *args: str, match: str | None = None) -> str:
    """Run ``muse *args`` and check the refusal promise; return the error line."""
    before = snapshot(folder)
    return check_refusal(muse(*args), args, folder, before, match)


def check_refusal(result, args, folder: Path, before: dict[str, str], match: str | None = None) -> str:
    # click's usage errors add their usage and --help hint above the one line that says what is wrong
    lines = [line for line in result.err.splitlines()
             if line.strip() and "warning" not in line and not line.startswith(("Usage: ", "Try 'muse"))]
    assert result.code != 0, f"{args} exited 0: {result.out}"
    assert len(lines) == 1, f"{args}: expected one line, got {result.err!r}"
    assert "a bug" not in result.err and "Traceback" not in result.err, result.err
    assert lines[0].startswith("muse: error:") or lines[0].startswith("Error:"), lines[0]
    assert snapshot(folder) == before, f"{args} changed the folder"
    if match is not None:
        assert match in lines[0], lines[0]
    return lines[0]


# -- malformed files of every kind ------------------------------------------------------------
def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` x ``height`` pixels and holds none: zero-size or bomb."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", zlib.compress(b"\0" * 64)) + _png_chunk(b"IEND", b"")


def valid_files() -> dict[str, bytes]:
    """One small, valid file per readable format, made by Muse itself."""
    import tempfile

    eng = Engine()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        image = Image(np.full((8, 8, 3), 120, np.uint8), meta={"kind": "generator"})
        audio = Audio(np.linspace(-0.5, 0.5, 800, dtype=np.float32), 8000)
        score = eng.load(_tiny_midi(root / "t.mid"))
        made = {}
        for suffix, work in ((".png", image), (".jpg", image), (".gif", image), (".wav", audio), (".flac", audio),
                             (".mid", score)):
            made[suffix] = eng.render(work, root / f"x{suffix}").read_bytes()
        made[".safetensors"] = GAN_WEIGHTS.read_bytes()
        made[".toml"] = b'[[steps]]\nname = "a"\ngenerate = "gan"\nsave = ["a.png"]\n'
        return made


def _tiny_midi(path: Path) -> Path:
    import pretty_midi

    midi = pretty_midi.PrettyMIDI()
    piano = pretty_midi.Instrument(0)
    piano.notes = [pretty_midi.Note(90, 60 + i, i * 0.5, i * 0.5 + 0.4) for i in range(4)]
    midi.instruments.append(piano)
    midi.write(str(path))
    return path


MUTATIONS = {
    "empty": lambda data: b"",
    "truncated": lambda data: data[: max(1, len(data) // 2)],
    "header-only": lambda data: data[:16],
    "garbage": lambda data: bytes(np.random.default_rng(len(data)).integers(0, 256, 600, dtype=np.uint8)),
    "flipped": lambda data: data[:8] + bytes(b ^ 0x5A for b in data[8:]),
}


def _entries(name: str, suffix: str) -> list[tuple[str, ...]]:
    """The CLI entries that read a file of this suffix."""
    if suffix == ".safetensors":
        return [("generate", "gan", "-p", f"model={name}", "-o", "out.png"), ("generate", "vae", "-p", f"model={name}", "-o", "out.png")]
    if suffix == ".toml":
        return [("run", name, "--check", "-o", "folder"), ("run", name, "-o", "folder")]
    entries = [("info", name), ("reproduce", name)]
    entries.append(("render", name, "-o", "out.flac" if suffix == ".mid" else "out.png" if suffix in (".wav", ".flac") else "out.gif"))
    if suffix in (".png", ".jpg", ".gif"):
        entries.append(("stylize", "classifier", name, "-o", "out.txt"))
    return entries


@pytest.fixture(scope="module")
def originals() -> dict[str, bytes]:
    return valid_files()


def _malformed_cases() -> list[tuple[str, str, int]]:
    cases = []
    for suffix in (".png", ".jpg", ".gif", ".wav", ".flac", ".mid", ".safetensors", ".toml"):
        for mutation in MUTATIONS:
            for index in range(len(_entries("x" + suffix, suffix))):
                cases.append((suffix, mutation, index))
    return cases


MALFORMED = _malformed_cases()


@pytest.mark.parametrize("suffix, mutation, entry", MALFORMED, ids=[f"{s[1:]}-{m}-{e}" for s, m, e in MALFORMED])
def test_a_malformed_file_gets_one_line(muse, in_tmp, originals, suffix, mutation, entry):
    name = f"bad{suffix}"
    (in_tmp / name).write_bytes(MUTATIONS[mutation](originals[suffix]))
    args = _entries(name, suffix)[entry]
    before = snapshot(in_tmp)
    result = muse(*args)
    if result.code == 0:  # a mutation a decoder shrugs off (JPEG, GIF): then it is read, and nothing is lost
        assert "a bug" not in result.err and set(before) <= set(snapshot(in_tmp))
        return
    check_refusal(result, args, in_tmp, before)


BOMBS = {"zero-size.png": png_header_only(0, 0), "bomb.png": png_header_only(60_000, 60_000)}


@pytest.mark.parametrize("name", sorted(BOMBS))
@pytest.mark.parametrize("entry", ["info", "render", "stylize"])
def test_zero_size_and_decompression_bomb_images(muse, in_tmp, name, entry):
    (in_tmp / name).write_bytes(BOMBS[name])
    args = {"info": ("info", name), "render": ("render", name, "-o", "out.jpg"),
            "stylize": ("stylize", "classifier", name, "-o", "out.txt")}[entry]
    refused(muse, in_tmp, *args)


@pytest.mark.parametrize("content", [b"\x00\x01\x02binary\xff\xfe", "caf\xe9 cr\xe8me\n".encode("latin-1")],
                         ids=["binary", "latin-1"])
def test_binary_and_latin1_texts_are_refused(muse, in_tmp, content, originals):
    (in_tmp / "poem.txt").write_bytes(content)
    (in_tmp / "t.mid").write_bytes(originals[".mid"])
    refused(muse, in_tmp, "info", "poem.txt")
    refused(muse, in_tmp, "compose", "song", "poem.txt", "t.mid", "-o", "s.mid")


@pytest.mark.parametrize("poem, match", [
    ("the river runs\n" * 10_000, "10000 lines; a song sets at most"),
    ("the river runs " * 7_000 + "\n", "line 1 of the poem has"),
    ("春眠不覺曉" * 20_000 + "\n", "line 1 of the poem has"),
], ids=["10000-lines", "100kB-line", "100kB-chinese-line"])
def test_huge_poems_are_refused_before_the_alignment(muse, in_tmp, originals, poem, match):
    (in_tmp / "poem.txt").write_text(poem, encoding="utf-8")
    (in_tmp / "t.mid").write_bytes(originals[".mid"])
    refused(muse, in_tmp, "compose", "song", "poem.txt", "t.mid", "-o", "s.mid", match=match)


@pytest.mark.parametrize("content", [b"\x00\x01\x02binary\xff\xfe", "caf\xe9 cr\xe8me\n".encode("latin-1")],
                         ids=["binary", "latin-1"])
def test_binary_and_latin1_corpora_are_refused(muse, in_tmp, content):
    (in_tmp / "corpus").mkdir()
    (in_tmp / "corpus" / "a.txt").write_bytes(content * 50)
    result = muse("train", "poem", "--data", "corpus", "--out", "p.safetensors", "--dry-run")
    assert result.code != 0 and "a bug" not in result.err and "Traceback" not in result.err
    assert not (in_tmp / "p.safetensors").exists()


@pytest.mark.parametrize("model", ["melody", "poem", "gan"])
@pytest.mark.parametrize("layout", ["empty", "loop"])
def test_empty_and_symlink_loop_data_folders(muse, in_tmp, model, layout):
    folder = in_tmp / "data"
    folder.mkdir()
    if layout == "loop":
        (folder / "a").symlink_to(folder / "b")
        (folder / "b").symlink_to(folder / "a")
    refused(muse, in_tmp, "train", model, "--data", "data", "--out", "m.safetensors", "--dry-run")


# -- checkpoint metadata -----------------------------------------------------------------------
def _rewrite_checkpoint(path: Path, target: Path, *, config=None, raw_config: str | None = None, drop: str | None = None,
                        tensors=None) -> Path:
    from safetensors import safe_open
    from safetensors.torch import load_file, save_file

    with safe_open(str(path), "pt") as handle:
        meta = dict(handle.metadata())
    if config is not None:
        meta["config"] = json.dumps(config(json.loads(meta["config"])))
    if raw_config is not None:
        meta["config"] = raw_config
    if drop:
        meta.pop(drop)
    save_file(tensors(load_file(str(path))) if tensors else load_file(str(path)), str(target), metadata=meta)
    return target


def _without(key):
    return lambda c: {k: v for k, v in c.items() if k != key}


GAN_HEADERS = {
    "config-not-json": dict(raw_config="{not json"),
    "config-a-list": dict(raw_config="[1, 2, 3]"),
    "config-a-number": dict(raw_config="7"),
    "no-model-name": dict(drop="model"),
    "no-config": dict(drop="config"),
    "missing-latent": dict(config=_without("latent")),
    "missing-classes": dict(config=_without("classes")),
    "latent-a-string": dict(config=lambda c: {**c, "latent": "big"}),
    "classes-a-number": dict(config=lambda c: {**c, "classes": 5}),
    "size-zero": dict(config=lambda c: {**c, "size": 0}),
    "negative-latent": dict(config=lambda c: {**c, "latent": -4}),
    "latent-1e9": dict(config=lambda c: {**c, "latent": 10**9}),
    "width-1e9": dict(config=lambda c: {**c, "width": 10**9}),
    "huge-network": dict(config=lambda c: {**c, "latent": 4096, "width": 512, "size": 64}),
    "channels-7": dict(config=lambda c: {**c, "channels": 7}),
    "nan-weights": dict(tensors=lambda t: {k: (v.float() * float("nan") if v.is_floating_point() else v) for k, v in t.items()}),
}


@pytest.mark.parametrize("case", sorted(GAN_HEADERS))
def test_hostile_gan_checkpoint_metadata(muse, in_tmp, case):
    _rewrite_checkpoint(GAN_WEIGHTS, in_tmp / "m.safetensors", **GAN_HEADERS[case])
    refused(muse, in_tmp, "generate", "gan", "-p", "model=m.safetensors", "-o", "g.png")


def test_absurd_sizes_name_the_field_and_a_limit(muse, in_tmp):
    _rewrite_checkpoint(GAN_WEIGHTS, in_tmp / "m.safetensors", config=lambda c: {**c, "latent": 10**9})
    line = refused(muse, in_tmp, "generate", "gan", "-p", "model=m.safetensors", "-o", "g.png")
    assert "latent" in line and "4096" in line


def test_a_classifier_checkpoint_given_to_the_gan(muse, in_tmp):
    refused(muse, in_tmp, "generate", "gan", "-p", f"model={CLASSIFIER_WEIGHTS}", "-o", "g.png", match="classifier")


@pytest.mark.parametrize("case", ["past-unicode", "surrogate", "negative", "hidden-a-string", "vocab-size-0", "cell-unknown"])
def test_hostile_poem_checkpoint(muse, in_tmp, case):
    import torch

    def vocab(codes):
        return lambda t: {**t, "vocab.codepoints": torch.tensor(codes, dtype=t["vocab.codepoints"].dtype)}

    with_size = lambda n: {"config": lambda c: {**c, "vocab_size": n}}  # noqa: E731
    size = 68
    variants = {
        "past-unicode": {"tensors": vocab([0x110000 + i for i in range(size)])},
        "surrogate": {"tensors": vocab([0xD800 + i for i in range(size)])},
        "negative": {"tensors": vocab([-1 - i for i in range(size)])},
        "hidden-a-string": {"config": lambda c: {**c, "hidden": "big"}},
        "vocab-size-0": with_size(0),
        "cell-unknown": {"config": lambda c: {**c, "cell": "transformer"}},
    }
    _rewrite_checkpoint(POEM_WEIGHTS, in_tmp / "p.safetensors", **variants[case])
    refused(muse, in_tmp, "generate", "poem", "-p", "model=p.safetensors", "-o", "p.md")


def test_a_nan_checkpoint_is_never_written(in_tmp):
    import torch

    from engine.training import save_checkpoint

    with pytest.raises(BadInput, match="NaN"):
        save_checkpoint(in_tmp / "c.safetensors", {"w": torch.tensor([1.0, float("nan")])}, model="gan", config={})
    assert not list(in_tmp.iterdir())


# -- recipes -----------------------------------------------------------------------------------
RECIPES = {
    "save-an-integer": 'save = [3]',
    "save-a-table": 'save = [{a = 1}]',
    "save-parent": 'save = ["../escaped.png"]',
    "save-deep-parent": 'save = ["sub/../../../../escaped.png"]',
    "save-absolute": 'save = ["/tmp/muse-hostile-escaped.png"]',
    "save-too-long": f'save = ["{"x" * 300}.png"]',
    "save-empty": 'save = [""]',
    "generate-a-number": None,
    "seed-past-2-64": 'seed = 18446744073709551617',
    "seed-negative": 'seed = -1',
}


@pytest.mark.parametrize("case", sorted(RECIPES))
@pytest.mark.parametrize("check", [True, False], ids=["check", "run"])
def test_hostile_recipe_steps(muse, in_tmp, case, check):
    body = RECIPES[case]
    step = '[[steps]]\nname = "a"\ngenerate = 5\nsave = ["a.png"]\n' if body is None else \
        f'[[steps]]\nname = "a"\ngenerate = "gan"\n{body}\n' if not body.startswith("seed") or "save" in body else \
        f'[[steps]]\nname = "a"\ngenerate = "gan"\nsave = ["a.png"]\n{body}\n'
    (in_tmp / "r.toml").write_text(step)
    refused(muse, in_tmp, "run", "r.toml", "-o", "out", *(["--check"] if check else []))
    assert not Path("/tmp/muse-hostile-escaped.png").exists()


def test_a_deeply_nested_recipe(muse, in_tmp):
    (in_tmp / "r.toml").write_text("x = " + "[" * 10_000 + "]" * 10_000 + "\n")
    refused(muse, in_tmp, "run", "r.toml", "--check", match="r.toml")


def test_a_step_name_past_the_file_system_limit(muse, in_tmp):
    (in_tmp / "r.toml").write_text(f'[[steps]]\nname = "{"n" * 5000}"\ngenerate = "gan"\nsave = ["a.png"]\n')
    refused(muse, in_tmp, "run", "r.toml", "--check", match="too long")


def test_a_recipe_cannot_write_through_a_symlink_out_of_its_folder(muse, in_tmp):
    (in_tmp / "out").mkdir()
    (in_tmp / "elsewhere").mkdir()
    (in_tmp / "out" / "link").symlink_to(in_tmp / "elsewhere")
    (in_tmp / "r.toml").write_text('[[steps]]\nname = "a"\ngenerate = "gan"\nsave = ["link/a.png"]\n')
    refused(muse, in_tmp, "run", "r.toml", "--check", "-o", "out", match="outside")


def test_a_recipe_inside_its_folder_is_still_fine(muse, in_tmp):
    (in_tmp / "r.toml").write_text('[[steps]]\nname = "a"\ngenerate = "gan"\nsave = ["sub/a.png"]\n')
    assert muse("run", "r.toml", "--check", "-o", "out").code == 0


# -- parameters and paths ----------------------------------------------------------------------
@pytest.mark.parametrize("args", [
    ("generate", "gan", "--seed", str(2**64 + 1), "-o", "g.png"),
    ("generate", "gan", "--seed", "-5", "-o", "g.png"),
    ("generate", "gan", "--seed", str(2**63 - 2), "-n", "3", "-o", "g.png"),
    ("generate", "gan", "-o", "x" * 300 + ".png"),
    ("generate", "gan", "-o", ""),
    ("generate", "gan", "-o", "  "),
    ("generate", "gan", "-o", "/proc/x.png"),
    ("generate", "melody", "-p", "primer=" + "x" * 5000, "-o", "t.mid"),
    ("generate", "poem", "-p", "model=" + "m" * 5000, "-o", "p.md"),
    ("generate", "gan", "-p", "model=" + "m" * 5000 + ".safetensors", "-o", "g.png"),
    ("generate", "gan", "-p", "novalue", "-o", "g.png"),
    ("generate", "gan", "-p", "label=" + "\x00" * 10, "-o", "g.png"),
    ("run", "nosuch.toml"),
    ("info", "nosuch.png"),
])
def test_hostile_parameters_and_paths(muse, in_tmp, args):
    refused(muse, in_tmp, *args)


def test_a_long_font_string_is_one_line(muse, in_tmp):
    assert muse("generate", "gan", "--seed", "1", "-o", "g.png").code == 0
    assert muse("generate", "poem", "--seed", "1", "-o", "p.md").code == 0
    refused(muse, in_tmp, "compose", "poster", "g.png", "p.md", "-p", "font=" + "f" * 5000, "-o", "poster.png")


def test_snapshots_naming_a_file_is_refused(muse, in_tmp):
    Image(np.full((32, 32, 3), 90, np.uint8)).to_pil().save(in_tmp / "c.png")
    (in_tmp / "snaps").write_text("mine")
    refused(muse, in_tmp, "stylize", "style", "c.png", "-p", "style=c.png", "-p", "snapshots=snaps",
            "-p", "size=32", "-p", "steps=1", "-o", "s.png", match="snapshots")


def test_snapshots_never_overwrite_without_force(muse, in_tmp):
    Image(np.full((32, 32, 3), 90, np.uint8)).to_pil().save(in_tmp / "c.png")
    args = ("stylize", "style", "c.png", "-p", "style=c.png", "-p", "snapshots=snaps", "-p", "size=32",
            "-p", "steps=1")
    first = muse(*args, "-o", "s.png")
    assert first.code == 0, first.err
    written = sorted((in_tmp / "snaps").iterdir())
    assert written
    written[0].write_text("the user's file now")
    refused(muse, in_tmp, *args, "-o", "t.png", match="already exists")
    assert muse(*args, "-o", "t.png", "--force").code == 0
    assert written[0].read_bytes()[:4] == b"\x89PNG"


# -- nothing overwritten -----------------------------------------------------------------------
def test_an_existing_sidecar_is_never_replaced(muse, in_tmp):
    (in_tmp / "poem.txt.muse.json").write_text('{"mine": true}')
    refused(muse, in_tmp, "generate", "poem", "-o", "poem.txt", match="poem.txt.muse.json")
    assert muse("generate", "poem", "-o", "poem.txt", "--force").code == 0
    assert "mine" not in (in_tmp / "poem.txt.muse.json").read_text()


def test_a_dangling_symlink_output_is_not_replaced(muse, in_tmp):
    (in_tmp / "out.png").symlink_to(in_tmp / "nowhere.png")
    refused(muse, in_tmp, "generate", "gan", "-o", "out.png", match="already exists")
    assert (in_tmp / "out.png").is_symlink()


def test_two_writers_one_file_the_second_is_refused_atomically(in_tmp):
    """The exists-check ran before the work; a file that appears during it still wins."""
    eng = Engine()
    work = Image(np.zeros((4, 4, 1), np.uint8))
    from engine.io import prepare_output

    prepare_output(in_tmp / "same.png", force=False)  # the first writer's up-front check passes...
    (in_tmp / "same.png").write_bytes(b"the other writer's file")  # ...then another process finishes first
    renderer = eng.renderer_for(Image, ".png")
    from engine.io import overwrite_policy

    with pytest.raises(OutputExists), overwrite_policy(False):
        renderer.write(work, in_tmp / "same.png", {"scale": 1})
    assert (in_tmp / "same.png").read_bytes() == b"the other writer's file"
    assert [p.name for p in in_tmp.iterdir()] == ["same.png"]


def test_a_stale_resume_file_is_not_replaced(muse, in_tmp):
    (in_tmp / "m.resume.safetensors").write_bytes(b"the user's resume state")
    refused(muse, in_tmp, "train", "melody", "--out", "m.safetensors", "--dry-run", match="resume")


@pytest.mark.parametrize("samples", [np.zeros((0, 1)), np.full((100, 1), np.nan), np.full((100, 1), np.inf)],
                         ids=["empty", "nan", "inf"])
@pytest.mark.parametrize("suffix", [".wav", ".flac"])
def test_empty_or_non_finite_audio_is_refused(in_tmp, samples, suffix):
    with pytest.raises(BadInput, match="refusing"):
        Engine().render(Audio(samples, 8000), in_tmp / f"a{suffix}")
    assert not list(in_tmp.iterdir())


def test_a_header_only_wav_rendered_to_flac(muse, in_tmp):
    import soundfile

    soundfile.write(in_tmp / "header-only.wav", np.zeros((0, 1), np.float32), 8000)
    refused(muse, in_tmp, "render", "header-only.wav", "-o", "x.flac")


def test_an_empty_result_never_takes_the_name(in_tmp):
    from engine.io import atomic_path

    with pytest.raises(BadInput, match="empty"):
        with atomic_path(in_tmp / "x.bin") as temporary:
            temporary.write_bytes(b"")
    assert not list(in_tmp.iterdir())


# -- processes and leftovers -------------------------------------------------------------------
def test_stale_temporaries_of_dead_processes_are_swept(muse, in_tmp):
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)
    stale = in_tmp / f".out.{pid}.tmp.png"
    stale.write_bytes(b"half a file")
    live = in_tmp / f".other.{os.getppid()}.tmp.png"  # a living process's temporary stays
    live.write_bytes(b"in progress")
    assert muse("generate", "gan", "-o", "g.png").code == 0
    assert not stale.exists() and live.exists()


def test_whatever_muse_writes_it_can_read(in_tmp, monkeypatch):
    from engine import formats

    monkeypatch.setattr(formats, "MAX_PIXELS", 64 * 64)
    eng = Engine()
    eng.render(Image(np.zeros((16, 16, 1), np.uint8)), in_tmp / "ok.png", scale=4)  # 64x64: at the limit
    assert eng.load(in_tmp / "ok.png").width == 64
    with pytest.raises(BadInput, match="reads back"):
        eng.render(Image(np.zeros((16, 16, 1), np.uint8)), in_tmp / "big.png", scale=5)
    assert not (in_tmp / "big.png").exists()


def test_a_huge_gan_grid_is_refused_not_written(in_tmp):
    eng = Engine()
    with pytest.raises(BadInput, match="megapixels"):
        eng.render(Image(np.zeros((1024, 1024, 1), np.uint8)), in_tmp / "big.png", scale=32)
    assert not list(in_tmp.iterdir())


# -- text the engine meets every day -----------------------------------------------------------
def test_chinese_lyrics_survive_a_midi_round_trip(in_tmp):
    from engine.works import Lyric, Note, Score, Track

    lyrics = ["白日依山尽", "黄河入海流", "欲穷千里目", "更上一层楼", "é ü 🎵"]
    score = Score(tracks=[Track(notes=[Note(60 + i, i, i + 0.5) for i in range(5)], name="旋律")],
                  lyrics=[Lyric(float(i), text) for i, text in enumerate(lyrics)], meta={"kind": "x"})
    eng = Engine()
    eng.render(score, in_tmp / "song.mid")
    back = eng.load(in_tmp / "song.mid")
    assert [lyric.text for lyric in back.lyrics] == lyrics
    assert back.tracks[0].name == "旋律"


# -- parsers, fuzzed ---------------------------------------------------------------------------
@FUZZ
@given(st.binary(max_size=300))
def test_the_midi_reader_refuses_any_bytes_clearly(tmp_path, data):
    path = tmp_path / "fuzz.mid"
    path.write_bytes(b"MThd" + data if data[:1] != b"!" else data)
    try:
        Engine().load(path)
    except MuseError:
        pass


@FUZZ
@given(st.lists(st.text(max_size=30), max_size=5))
def test_parameter_assignments_only_raise_param_errors(items):
    from engine.params import parse_assignments

    try:
        parse_assignments(items)
    except ParamError:
        pass


@FUZZ
@given(st.one_of(st.integers(), st.floats(allow_nan=True), st.text(max_size=20), st.booleans(), st.none()))
def test_param_coercion_only_raises_param_errors(value):
    from engine.params import Param

    for param in (Param("n", int, 1, "", min=0, max=9), Param("x", float, 0.5, "", min=0, max=1),
                  Param("b", bool, False, ""), Param("c", str, "a", "", choices=("a", "b"))):
        try:
            param.coerce(value)
        except ParamError:
            pass


@FUZZ
@given(st.text(max_size=200))
def test_the_recipe_loader_only_raises_recipe_errors(tmp_path, text):
    from engine.recipes import Recipe, RecipeError

    path = tmp_path / "r.toml"
    path.write_text(text, encoding="utf-8")
    try:
        Recipe.load(path)
    except RecipeError:
        pass


_json = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                     max_leaves=10)


@FUZZ
@given(st.dictionaries(st.sampled_from(["format", "model", "config", "info", "x"]),
                       st.one_of(st.text(max_size=30), _json.map(json.dumps)), max_size=5))
def test_the_checkpoint_header_parser_only_raises_bad_input(raw):
    from engine.checkpoints import parse_metadata

    raw = {**raw, "format": raw.get("format", "muse-checkpoint-1")}
    try:
        parse_metadata(raw, "c.safetensors", "muse-checkpoint-1")
    except BadInput:
        pass


@FUZZ
@given(st.dictionaries(st.sampled_from(["latent", "width", "size", "channels", "classes"]), _json, max_size=5))
def test_checkpoint_configs_only_raise_bad_input(config):
    from plugins.gan.sampler import CONFIG
    from engine.checkpoints import validate_config

    try:
        checked = validate_config(config, CONFIG, "c.safetensors", "gan")
    except BadInput:
        return
    assert 1 <= checked["latent"] <= 4096 and checked["channels"] in (1, 3)
