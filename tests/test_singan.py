"""singan: training on one tiny picture, sampling (sizes, seeds, sheets, walks), resume, the two
stylizers, GPNN, eval, recipes and the refusals of pictures it cannot learn from."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import numpy as np
import pytest

TINY = {"max_size": 48, "min_size": 16, "channels": 4, "window": 16, "steps_per_scale": 2,
        "critic_steps": 1, "generator_steps": 1}


def make_painting(path: Path, width: int = 48, height: int = 32) -> Path:
    """Stripes, a disc and a gradient: a picture with structure at several scales."""
    from PIL import Image as PILImage

    y, x = np.mgrid[0:height, 0:width]
    pixels = np.stack([(x * 5) % 256, ((x + y) // 4 % 2) * 200 + 20, 255 - y * 6], axis=-1)
    pixels[(x - 30) ** 2 + (y - 14) ** 2 < 60] = (250, 220, 40)
    PILImage.fromarray(pixels.astype(np.uint8)).save(path)
    return path


def train(folder: Path, name: str, **extra):
    from engine import Engine

    return Engine().train("singan", data=make_painting(folder / "painting.png"), out=folder / name,
                          progress=False, seed=3, **{**TINY, **extra})


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("singan")
    train(folder, "tiny.safetensors")
    return folder / "tiny.safetensors"


def pixels(path: str) -> np.ndarray:
    from PIL import Image as PILImage

    return np.asarray(PILImage.open(path))


def test_training_writes_pyramid_previews_and_its_config(model):
    from engine.training import read_metadata

    meta = read_metadata(model)
    assert meta["model"] == "singan" and meta["config"]["scales"] == 4
    assert (meta["config"]["height"], meta["config"]["width"]) == (32, 48)
    assert meta["info"]["step"] == 8 and meta["info"]["data_fingerprint"]
    previews = sorted(p.name for p in model.with_name("tiny-samples").iterdir())
    assert previews == [f"scale-{k}.png" for k in range(4)]
    assert pixels(str(model.with_name("tiny-samples") / "scale-3.png")).shape[:2] == (2 + 32 + 2, 8 * 50 + 2)


def test_the_coarse_scales_train_longer_than_the_fine_ones():
    from plugins.singan.training import updates_per_step

    params = {"window": 64, "coarse_steps": 2000}
    assert updates_per_step((25, 40), params, 300) == 7  # 2,100 iterations: at least coarse_steps
    assert updates_per_step((64, 64), params, 300) == 7
    assert updates_per_step((59, 94), params, 300) == 1  # larger than a window: steps_per_scale
    assert updates_per_step((25, 40), {"window": 64, "coarse_steps": 100}, 300) == 1


def test_sizes_seeds_sheets_and_walks(muse, in_tmp, model):
    use = f"model={model}"
    assert muse("generate", "singan", "-p", use, "--seed", "4", "-o", "a.png").code == 0
    assert muse("generate", "singan", "-p", use, "--seed", "4", "-o", "b.png").code == 0
    assert muse("generate", "singan", "-p", use, "--seed", "5", "-o", "c.png").code == 0
    assert pixels("a.png").shape == (32, 48, 3)
    assert np.array_equal(pixels("a.png"), pixels("b.png")) and not np.array_equal(pixels("a.png"), pixels("c.png"))
    assert muse("generate", "singan", "-p", use, "-p", "width=80", "-p", "height=20", "-o", "wide.png").code == 0
    assert pixels("wide.png").shape == (20, 80, 3)
    assert muse("generate", "singan", "-p", use, "-p", "grid=2", "--seed", "4", "-o", "sheet.png").code == 0
    assert np.array_equal(pixels("sheet.png")[2:34, 2:50], pixels("a.png"))  # cell 0 is the seed's sample
    assert muse("generate", "singan", "-p", use, "-p", "interpolate=3", "-o", "walk.gif").code == 0
    from PIL import Image as PILImage

    with PILImage.open("walk.gif") as walk:
        assert walk.n_frames == 3 and walk.size == (48, 32)


def test_another_shape_is_laid_out_by_gpnn_then_painted_by_the_gan(model, monkeypatch):
    import torch

    from plugins.singan import generate
    from plugins.singan.sampler import load_singan, noise_maps

    # GPNN lays out the coarse scales up to the first whose short side, as learnt, reaches 25 px.
    assert generate.layout_scales([(12, 38), (16, 50), (21, 66), (27, 87), (35, 114)]) == 4
    assert generate.layout_scales([(8, 20), (12, 30)]) == 2  # all of a picture smaller than that
    singan = load_singan(model)
    laid: list[tuple[int, int]] = []
    lay_out = generate.gpnn_at

    def spy(painting, size, seed):
        laid.append(size)
        return lay_out(painting, size, seed)

    monkeypatch.setattr(generate, "gpnn_at", spy)
    wide = singan.sizes(32, 96)
    first, again = (generate.picture(singan, noise_maps(2, wide), 0, 2) for _ in range(2))
    assert first.shape == (1, 3, 32, 96) and torch.equal(first, again) and laid == [wide[generate.layout_scales(singan.sizes(*singan.size)) - 1]] * 2
    generate.picture(singan, noise_maps(2, singan.sizes(*singan.size)), 0, 2)  # the painting's own shape: from noise
    assert len(laid) == 2


def test_scale_from_keeps_closer_to_the_painting(model):
    import torch

    from plugins.singan.sampler import load_singan, noise_maps

    singan = load_singan(model)
    sizes = singan.sizes(*singan.size)
    painting = singan.painting()
    distance = [float((singan.synthesise(noise_maps(s, sizes), start, painting if start else None) - painting).abs().mean())
                for start in (0, 3) for s in range(3)]
    assert sum(distance[3:]) < sum(distance[:3])
    assert torch.equal(singan.synthesise(noise_maps(1, sizes)), singan.synthesise(noise_maps(1, sizes)))


def test_a_windowed_generator_computes_exactly_its_part_of_the_whole():
    import torch

    from plugins.singan.model import ScaleGenerator

    torch.manual_seed(0)
    generator, noise, previous = ScaleGenerator(4), torch.randn(1, 3, 20, 30), torch.randn(1, 3, 20, 30)
    whole = generator(noise, previous)
    for top, left in ((0, 0), (4, 14), (8, 18)):
        part = generator(noise, previous, [(top, left, 12, 12)])
        assert torch.allclose(part, whole[..., top:top + 12, left:left + 12], atol=1e-6)
    two = torch.cat([noise, noise.flip(-1)]), torch.cat([previous, previous.flip(-1)])
    parts = generator(*two, [(0, 0, 12, 12), (8, 18, 12, 12)])  # window i of image i: a batch
    wholes = generator(*two)
    assert torch.allclose(parts, torch.stack([wholes[0, :, 0:12, 0:12], wholes[1, :, 8:20, 18:30]]), atol=1e-6)


def test_interrupted_training_resumes_to_the_same_weights(tmp_path, monkeypatch):
    from safetensors.torch import load_file

    from engine.training import TrainingInterrupted
    from plugins.singan import training

    train(tmp_path, "whole.safetensors")
    penalty, calls = training.gradient_penalty, []

    def interrupting(*args):
        calls.append(1)
        if len(calls) == 5:  # scale 2, first iteration: what Ctrl-C sends
            os.kill(os.getpid(), signal.SIGINT)
        return penalty(*args)

    monkeypatch.setattr(training, "gradient_penalty", interrupting)
    with pytest.raises(TrainingInterrupted):
        train(tmp_path, "resumed.safetensors")
    monkeypatch.setattr(training, "gradient_penalty", penalty)
    summary = train(tmp_path, "resumed.safetensors")
    assert summary["step"] == 8
    whole, resumed = load_file(str(tmp_path / "whole.safetensors")), load_file(str(tmp_path / "resumed.safetensors"))
    assert all(np.array_equal(whole[k].numpy(), resumed[k].numpy()) for k in whole)


def test_pictures_it_cannot_learn_from_are_refused_in_one_line(muse, in_tmp):
    from PIL import Image as PILImage

    PILImage.new("RGB", (4, 4), (9, 9, 9)).save("tiny.png")
    Path("notes.jpg").write_text("not a picture")
    Path("folder").mkdir()
    for data, message in (("tiny.png", "4x4 px is too small"), ("notes.jpg", "not a readable image"),
                          ("folder", "ONE picture"), ("gone.png", "no such file")):
        result = muse("train", "singan", "--data", data, "--out", "m.safetensors")
        assert result.code == 1 and message in result.err and "Traceback" not in result.err, result.err
    assert not Path("m.safetensors").exists()


def test_unknown_model_and_scale_are_refused_with_the_valid_choices(muse, in_tmp, model):
    from plugins.singan.plugin import WEIGHTS

    unknown = muse("generate", "singan", "-p", "model=mona-lisa", "-o", "x.png")
    assert unknown.code != 0 and "mona-lisa" in unknown.err
    for shipped in sorted(p.name.removesuffix(".safetensors") for p in WEIGHTS.glob("*.safetensors")):
        assert shipped in unknown.err
    deep = muse("generate", "singan", "-p", f"model={model}", "-p", "scale_from=4", "-o", "x.png")
    assert deep.code != 0 and "outside 0..3" in deep.err
    assert not Path("x.png").exists()


def test_harmonize_repaints_only_the_pasted_object(model):
    from engine import Image
    from plugins.singan.plugin import SinGanHarmonizer
    from plugins.singan.sampler import load_singan, to_uint8

    painting = to_uint8(load_singan(model).painting())[0].permute(1, 2, 0).numpy()
    composite = painting.copy()
    composite[4:14, 4:16] = (255, 0, 255)
    params = {"model": str(model), "scale_from": 2, "mask": None}
    result = SinGanHarmonizer().stylize(Image(composite), params, seed=0).pixels.astype(int)
    assert result.shape == composite.shape
    assert np.abs(result[20:, 30:] - composite[20:, 30:]).max() <= 1  # far from the object: untouched
    assert np.abs(result[6:12, 6:14] - composite[6:12, 6:14]).mean() > 0.5  # the object: repainted


def test_paint_to_image_snaps_to_the_palette_and_keeps_the_sketch_shape(model):
    import torch

    from engine import Image
    from plugins.singan.plugin import PaintToImage
    from plugins.singan.stylize import palette, quantise

    sketch = np.zeros((30, 60, 3), np.uint8)
    sketch[:, 30:] = (20, 40, 200)
    result = PaintToImage().stylize(Image(sketch), {"model": str(model), "scale_from": 1, "palette": 4}, seed=0)
    assert result.pixels.shape == (24, 48, 3)  # the sketch's shape at the painting's long side
    centres = palette(torch.rand(1, 3, 8, 8), 3)
    snapped = quantise(torch.rand(1, 3, 5, 5), centres)
    assert {tuple(v) for v in snapped.flatten(2)[0].T.tolist()} <= {tuple(c) for c in centres.tolist()}


def test_gpnn_is_deterministic_and_paints_only_with_the_paintings_colours():
    import torch

    from plugins.singan.gpnn import gpnn_sample

    painting = torch.rand(1, 3, 24, 36) * 2 - 1
    sizes = [(12, 18), (18, 27), (24, 36)]
    first, again = (gpnn_sample(painting, sizes, 1, iterations=2) for _ in range(2))
    assert first.shape == painting.shape and torch.equal(first, again)
    assert float(first.min()) >= float(painting.min()) - 1e-5 and float(first.max()) <= float(painting.max()) + 1e-5


def test_the_layout_distance_sees_composition_and_not_brushwork():
    import torch

    from plugins.singan.evaluation import layout_distance, shuffled_tiles

    painting = torch.linspace(-1, 1, 48).repeat(32, 1).expand(1, 3, 32, 48).clone()  # dark left, light right
    painting[..., :, 20:24] += 0.4 * torch.randn(1, 3, 32, 4)  # brushwork a thumbnail averages out
    flat = torch.full_like(painting, float(painting.mean()))
    assert layout_distance(painting, painting) == 0
    assert layout_distance(flat, painting) == pytest.approx(1.0, abs=0.01)
    assert layout_distance(painting.flip(-1), painting) > 1.5  # the same strokes, mirrored
    assert layout_distance(shuffled_tiles(painting, torch.Generator().manual_seed(0)), painting) > 0.5
    assert layout_distance(painting + 0.05 * torch.randn_like(painting), painting) < 0.1


def test_eval_reports_both_baselines_and_the_goals(model):
    from engine import Engine

    report = Engine().evaluate("singan", model=str(model), samples=3)
    for method in ("singan", "random_crops", "gpnn", "shuffled_tiles"):
        assert report[f"{method}_sifid"] >= 0 and report[f"{method}_diversity"] >= 0 and report[f"{method}_layout"] >= 0
    assert report["singan_diversity"] > 0 and report["random_crops_sifid"] > 0  # samples differ; crops are not the painting
    assert report["sifid_over_crops"] == pytest.approx(report["singan_sifid"] / report["random_crops_sifid"], rel=1e-2)
    assert isinstance(report["goal_diversity_above_gpnn"], bool)


def test_works_in_a_recipe(muse, in_tmp, model):
    Path("recipe.toml").write_text(f"""
seed = 2
[[steps]]
name = "picture"
generate = "singan"
params = {{ model = "{model}", width = 64 }}
save = "picture.png"
[[steps]]
name = "painted"
stylize = "paint-to-image"
input = "picture"
params = {{ model = "{model}", scale_from = 2 }}
save = "painted.png"
""")
    assert muse("run", "recipe.toml", "-o", "out").code == 0
    assert pixels("out/picture.png").shape == (32, 64, 3) and pixels("out/painted.png").shape == (24, 48, 3)
