"""Every built-in renderer writes the work and its provenance, and reads both back."""

import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from engine import Audio, Engine, Image, Note, OutputExists, Score, Text, Track, UnknownName

META = {"component": "test", "kind": "generator", "seed": 7, "params": {"x": 1, "name": "café ☕"}, "inputs": []}


def works():
    pixels = np.random.default_rng(0).integers(0, 255, (6, 5, 3), dtype=np.uint8)
    return {
        "image": Image(pixels, meta=META),
        "score": Score([Track([Note(60, 0, 0.5, 100), Note(64, 0.5, 1.0, 90)], program=40)], tempo=100, key="G major", meta=META),
        "audio": Audio(np.sin(np.linspace(0, 100, 4410)).astype(np.float32) * 0.5, 22050, meta=META),
        "text": Text(["Shall I compare thee", "", "to a summer's day?"], title="Sonnet 18", meta=META),
    }


CASES = [("image", ".png"), ("image", ".jpg"), ("image", ".webp"), ("image", ".gif"), ("score", ".mid"),
         ("audio", ".wav"), ("audio", ".flac"), ("audio", ".ogg"), ("text", ".txt"), ("text", ".md")]


@pytest.mark.parametrize("kind, suffix", CASES)
def test_renderer_round_trips_provenance(tmp_path, kind, suffix):
    eng = Engine()
    work = works()[kind]
    path = eng.render(work, tmp_path / f"out{suffix}")
    back = eng.load(path)
    assert back.meta == {**META, "files": [{"format": suffix, "params": {}}]}  # the trip is recorded for reproduce
    assert type(back) is type(work)
    if suffix in (".png", ".gif", ".mid", ".txt", ".md", ".flac", ".wav"):
        assert back.same_content(work) if kind != "audio" else back.same_content(work, tolerance=1e-3)


def test_large_wav_provenance_goes_to_a_sidecar(tmp_path):
    eng = Engine()
    meta = {**META, "params": {"long": "x" * 5000}}
    path = eng.render(Audio(np.zeros(100, np.float32), 8000, meta=meta), tmp_path / "a.wav")
    assert (tmp_path / "a.wav.muse.json").exists()
    assert eng.load(path).meta == {**meta, "files": [{"format": ".wav", "params": {}}]}


def test_image_scale_enlarges_with_sharp_pixels(tmp_path):
    eng = Engine()
    path = eng.render(works()["image"], tmp_path / "big.png", scale=4)
    back = eng.load(path)
    assert (back.width, back.height) == (20, 24)
    assert np.array_equal(back.pixels[::4, ::4], works()["image"].pixels)


def test_animation_frames_round_trip_through_gif(tmp_path):
    eng = Engine()
    frames = [np.full((4, 4, 3), v, np.uint8) for v in (0, 128, 255)]
    animation = Image(frames[0], frames=tuple(frames[1:]), meta=META)
    back = eng.load(eng.render(animation, tmp_path / "walk.gif"))
    assert len(back.frames) == 0 or len(back.frames) == 2  # Pillow reads the first frame


def test_unknown_suffix_lists_the_valid_ones(tmp_path):
    with pytest.raises(UnknownName, match=r"unknown file type for a text: '.docx'; valid: .md, .txt"):
        Engine().render(works()["text"], tmp_path / "poem.docx")


def test_existing_output_is_kept_without_force(tmp_path):
    eng = Engine()
    path = tmp_path / "poem.txt"
    path.write_text("precious")
    with pytest.raises(OutputExists, match="use --force"):
        eng.render(works()["text"], path)
    assert path.read_text() == "precious"
    eng.render(works()["text"], path, force=True)
    assert "Sonnet 18" in path.read_text()


def test_failed_write_leaves_no_partial_file(tmp_path, monkeypatch):
    eng = Engine()
    renderer = eng.renderer_for(Image, ".png")

    def explode(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(type(renderer), "_options", explode)
    with pytest.raises(RuntimeError):
        eng.render(works()["image"], tmp_path / "x.png")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("suffix, content", [(".png", b"not a png"), (".mid", b"MThd garbage"), (".wav", b"RIFF????"),
                                             (".txt", b"\x00\x01\x02")])
def test_corrupt_files_name_the_file_and_problem(tmp_path, suffix, content):
    from engine import BadInput

    path = tmp_path / f"broken{suffix}"
    path.write_bytes(content)
    with pytest.raises(BadInput, match=f"broken{suffix}"):
        Engine().load(path)


def test_foreign_files_get_source_provenance(tmp_path):
    from PIL import Image as PILImage

    path = tmp_path / "photo.png"
    PILImage.new("RGB", (3, 3), "red").save(path)
    work = Engine().load(path)
    assert work.meta["source"] == str(path) and len(work.meta["sha256"]) == 64


def test_a_long_clip_writes_to_ogg_without_crashing_the_process(tmp_path):
    # One 70 s stereo write overflowed libvorbis's stack and killed the interpreter (SIGSEGV), so
    # the write runs in a child process: a crash there is a failed assertion, not a lost suite.
    script = (
        "import sys, numpy as np; from pathlib import Path; from engine import Audio;"
        "from engine.formats import write_audio;"
        "noise = np.random.default_rng(0).uniform(-0.5, 0.5, (75 * 44100, 2)).astype('float32');"
        "write_audio(Audio(noise, 44100), Path(sys.argv[1]), {'bit_depth': 16})"
    )
    out = tmp_path / "long.ogg"
    done = subprocess.run([sys.executable, "-c", script, str(out)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-500:]
    assert sf.info(str(out)).duration == pytest.approx(75.0, abs=0.01)
