"""The `appraise` stylizer: nearest reference painting by style, palette, and the classifier's label.

Every painting here is a tiny texture made by the test; no shared data.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

from engine import BadInput, Engine, Image, Text


def _texture(kind: str, size: int = 64, seed: int = 0) -> np.ndarray:
    """Three painting-like textures that differ in colour and stroke."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size]
    if kind == "stripes":   # blue-orange diagonal strokes
        t = ((x + y) // 5 % 2).astype(float)
        pixels = np.stack([0.9 * t + 0.1, 0.5 * t + 0.2, 0.8 - 0.6 * t], axis=-1)
    elif kind == "dots":    # dark green with pale dots
        t = (((x % 8) - 4) ** 2 + ((y % 8) - 4) ** 2 < 5).astype(float)
        pixels = np.stack([0.1 + 0.8 * t, 0.35 + 0.6 * t, 0.15 + 0.7 * t], axis=-1)
    else:                   # smooth red-to-yellow wash
        pixels = np.stack([0.9 + 0 * x, y / size, 0.1 + 0 * x], axis=-1)
    pixels = pixels * 230 + rng.integers(0, 25, (size, size, 3))
    return pixels.clip(0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine()


@pytest.fixture
def gallery(tmp_path) -> Path:
    folder = tmp_path / "gallery"
    folder.mkdir()
    for index, kind in enumerate(("stripes", "dots", "wash")):
        PILImage.fromarray(_texture(kind, seed=index)).save(folder / f"{kind}.png")
    (folder / "notes.txt").write_text("not a painting, and not an image suffix: skipped")
    return folder


def _fields(text: Text, kind: str) -> list[list[str]]:
    return [line.split("\t")[1:] for line in text.lines if line.startswith(kind + "\t")]


def test_each_painting_is_nearest_to_itself_and_lists_are_shaped(engine, gallery):
    for kind in ("stripes", "dots", "wash"):
        # another draw of the same texture, at another size: the statistics, not the pixels, match
        seen = Image(_texture(kind, size=80, seed=7))
        text = engine.stylize("appraise", seen, seed=0, references=str(gallery), top=3, colours=4)
        ranked = _fields(text, "style")
        assert [name for name, _ in ranked][0] == kind
        distances = [float(d) for _, d in ranked]
        assert len(ranked) == 3 and distances == sorted(distances) and distances[0] < 0.5 * distances[1]
        colours = _fields(text, "colour")
        assert 1 <= len(colours) <= 4 and all(len(h) == 7 and h.startswith("#") for h, _ in colours)
        assert abs(sum(float(s) for _, s in colours) - 1) < 0.01
        assert not _fields(text, "label")  # a colour image gets no clothing label


def test_reference_statistics_round_trip_through_a_file(engine, gallery, tmp_path):
    from plugins.style.appraisal import references_from_folder, save_references
    from plugins.style.model import RandomEncoder

    path = tmp_path / "refs.safetensors"
    save_references(references_from_folder(gallery, RandomEncoder()), path)
    seen = Image(_texture("dots", size=72, seed=3))
    from_file = engine.stylize("appraise", seen, seed=0, references=str(path))
    from_folder = engine.stylize("appraise", seen, seed=0, references=str(gallery))
    assert [n for n, _ in _fields(from_file, "style")] == [n for n, _ in _fields(from_folder, "style")]
    assert _fields(from_file, "style")[0][0] == "dots"


def test_shipped_references_name_the_fast_styles_paintings(engine):
    text = engine.stylize("appraise", Image(_texture("stripes")), seed=0, top=100)
    names = {name for name, _ in _fields(text, "style")}
    assert len(names) >= 3 and all(name and "/" not in name for name in names)


def test_small_grey_image_is_labelled_through_the_classifier(engine):
    grey = Image(np.full((28, 28), 30, dtype=np.uint8) + np.eye(28, dtype=np.uint8) * 200)
    text = engine.stylize("appraise", grey, seed=0)
    label = _fields(text, "label")
    assert len(label) == 1 and 0 <= float(label[0][1]) <= 1
    assert any(i.get("component") == "classifier" for i in text.meta.get("inputs", []))


def test_bad_references_give_one_clear_line(engine, gallery, tmp_path, muse, in_tmp):
    photo = Image(_texture("wash"))
    with pytest.raises(BadInput, match="no such folder or file"):
        engine.stylize("appraise", photo, seed=0, references=str(tmp_path / "missing"))
    (gallery / "broken.png").write_text("this is text pretending to be a PNG")
    with pytest.raises(BadInput, match="broken.png: not a readable image"):
        engine.stylize("appraise", photo, seed=0, references=str(gallery))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(BadInput, match="no image files"):
        engine.stylize("appraise", photo, seed=0, references=str(empty))
    fake = tmp_path / "fake.safetensors"
    fake.write_bytes(b"\x00" * 64)
    with pytest.raises(BadInput, match="not a references file"):
        engine.stylize("appraise", photo, seed=0, references=str(fake))
    (in_tmp / "notes.txt").write_text("a poem, not a picture")
    refused = muse("stylize", "appraise", "notes.txt", "-o", "out.txt")
    assert refused.code == 1 and "takes (image)" in refused.err and "Traceback" not in refused.err
