"""The `style` stylizer: both modes, the VGG-19 loader, bad input, and the metrics.

Every image here is tiny and made by the test; no shared data, no downloads.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image as PILImage

from engine import BadInput, Engine, Image, ParamError

FAST = {"size": 40, "steps": 3}


def _photo(height: int = 36, width: int = 48) -> np.ndarray:
    """A smooth 'scene': a gradient sky, a dark block and a bright disc."""
    y, x = np.mgrid[0:height, 0:width]
    pixels = np.stack([x / width, y / height, 0.5 + 0 * x], axis=-1)
    pixels[height // 2:, : width // 3] = 0.1
    pixels[(y - height / 3) ** 2 + (x - 2 * width / 3) ** 2 < (height / 6) ** 2] = 0.95
    return (pixels * 255).astype(np.uint8)


def _painting(path: Path, seed: int = 0, size: int = 40) -> Path:
    """Diagonal coloured stripes with noise: a texture with a clear colour and orientation."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size]
    stripes = ((x + y) // 4 % 2).astype(float)
    pixels = np.stack([stripes, 0.3 + 0 * x, 1 - stripes], axis=-1) * 200 + rng.integers(0, 55, (size, size, 3))
    PILImage.fromarray(pixels.clip(0, 255).astype(np.uint8)).save(path)
    return path


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine()


@pytest.fixture
def painting(tmp_path) -> Path:
    return _painting(tmp_path / "painting.png")


def test_optimisation_makes_an_image_of_the_requested_size_with_provenance(engine, painting):
    work = engine.stylize("style", Image(_photo()), seed=1, style=str(painting), **FAST)
    assert (work.width, work.height) == (40, 30)
    assert work.channels == 3
    assert work.meta["component"] == "style" and work.meta["params"]["style"] == str(painting)


def test_same_seed_same_pixels(engine, painting):
    first = engine.stylize("style", Image(_photo()), seed=3, style=str(painting), init="noise", **FAST)
    again = engine.stylize("style", Image(_photo()), seed=3, style=str(painting), init="noise", **FAST)
    assert first.same_content(again)


def test_style_moves_the_colours_towards_the_painting(engine, painting):
    photo = _photo()
    work = engine.stylize("style", Image(photo), seed=0, style=str(painting), size=48, steps=15, strength=5)
    style_blue = np.asarray(PILImage.open(painting))[..., 2].mean()
    content_blue = photo[..., 2].mean()
    assert abs(work.pixels[..., 2].mean() - style_blue) < abs(content_blue - style_blue)


def test_several_styles_blend_and_weights_are_checked(engine, tmp_path):
    first, second = _painting(tmp_path / "a.png", 1), _painting(tmp_path / "b.jpg", 2)
    work = engine.stylize("style", Image(_photo()), seed=0, style=f"{first},{second}", style_weights="0.7,0.3", **FAST)
    assert work.width == 40
    with pytest.raises(ParamError, match="style_weights has 1 value"):
        engine.stylize("style", Image(_photo()), seed=0, style=f"{first},{second}", style_weights="1", **FAST)


def test_preserve_color_keeps_the_input_chrominance(engine, painting):
    from plugins.style.images import rgb_to_yiq, to_tensor

    photo = _photo()
    work = engine.stylize("style", Image(photo), seed=0, style=str(painting), preserve_color=True, size=48, steps=5)
    made, kept = rgb_to_yiq(to_tensor(work.pixels)), rgb_to_yiq(to_tensor(photo))
    assert (made[:, 1:] - kept[:, 1:]).abs().mean() < 0.03


def test_grey_input_and_rgba_input(engine, painting):
    grey = Image(_photo()[..., 0])
    coloured = engine.stylize("style", grey, seed=0, style=str(painting), **FAST)
    assert coloured.channels == 3
    still_grey = engine.stylize("style", grey, seed=0, style=str(painting), preserve_color=True, **FAST)
    assert still_grey.channels == 1
    rgba = np.concatenate([_photo(), np.full((36, 48, 1), 128, np.uint8)], axis=-1)
    rgba[:, :10, 3] = 0
    with_alpha = engine.stylize("style", Image(rgba), seed=0, style=str(painting), **FAST)
    assert with_alpha.channels == 4 and with_alpha.pixels[:, :5, 3].max() == 0 and with_alpha.pixels[:, -5:, 3].min() > 100


def test_cli_end_to_end_and_bad_style_files(muse, in_tmp, painting):
    PILImage.fromarray(_photo()).save("photo.jpg")
    done = muse("stylize", "style", "photo.jpg", "-p", f"style={painting}", "-p", "size=32", "-p", "steps=2",
                "--seed", "1", "-o", "out.png")
    assert done.code == 0, done.err
    assert PILImage.open("out.png").size == (32, 24)
    Path("notes.jpg").write_text("not a picture")
    bad = muse("stylize", "style", "photo.jpg", "-p", "style=notes.jpg", "-o", "bad.png")
    assert bad.code == 1 and "notes.jpg: not a readable image" in bad.err and "Traceback" not in bad.err
    missing = muse("stylize", "style", "photo.jpg", "-p", "style=nowhere.png", "-o", "bad.png")
    assert missing.code == 1 and "nowhere.png: no such style image" in missing.err
    nothing = muse("stylize", "style", "photo.jpg", "-o", "bad.png")
    assert nothing.code == 1 and "give style=PATH" in nothing.err


def test_huge_style_image_is_shrunk_with_a_note(engine, tmp_path, capsys):
    from plugins.style.images import load_picture

    wide = tmp_path / "wide.png"
    PILImage.new("RGB", (4200, 20), (200, 30, 30)).save(wide)
    picture = load_picture(wide, 64)
    assert max(picture.shape[-2:]) == 64
    assert "wide.png is 4200x20" in capsys.readouterr().err


def _vgg_state(widths=(4, 6, 8, 8, 8)) -> dict[str, torch.Tensor]:
    """A randomly initialised VGG-19 state dict in torchvision's key layout, much narrower."""
    from plugins.style.model import VGG19_BLOCKS

    state, channels = {}, 3
    generator = torch.Generator().manual_seed(0)
    for width, indices in zip(widths, VGG19_BLOCKS):
        for index in indices:
            state[f"features.{index}.weight"] = torch.randn(width, channels, 3, 3, generator=generator) * 0.3
            state[f"features.{index}.bias"] = torch.zeros(width)
            channels = width
    state["classifier.0.weight"] = torch.zeros(2, 2)  # ignored, as in a real checkpoint
    return state


@pytest.mark.parametrize("suffix", [".pth", ".safetensors"])
def test_vgg19_weights_load_from_pth_and_safetensors(engine, painting, tmp_path, suffix):
    path = tmp_path / f"vgg19{suffix}"
    if suffix == ".pth":
        torch.save(_vgg_state(), path)
    else:
        from safetensors.torch import save_file

        save_file(_vgg_state(), str(path))
    work = engine.stylize("style", Image(_photo()), seed=0, style=str(painting), features="vgg19", weights=str(path),
                          size=32, steps=2)
    assert work.width == 32


def test_vgg19_weights_of_the_wrong_shape_or_kind(engine, painting, tmp_path):
    state = _vgg_state()
    state["features.5.weight"] = torch.zeros(6, 5, 3, 3)
    wrong = tmp_path / "wrong.pth"
    torch.save(state, wrong)
    with pytest.raises(BadInput, match=r"features.5 has weight \(6, 5, 3, 3\)"):
        engine.stylize("style", Image(_photo()), style=str(painting), features="vgg19", weights=str(wrong), **FAST)
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"\x00not a checkpoint")
    with pytest.raises(BadInput, match="junk.pth: not a readable state dict"):
        engine.stylize("style", Image(_photo()), style=str(painting), features="vgg19", weights=str(junk), **FAST)
    with pytest.raises(ParamError, match="needs weights=PATH"):
        engine.stylize("style", Image(_photo()), style=str(painting), features="vgg19", **FAST)


def test_train_dry_run_then_apply_the_fast_model(muse, in_tmp, painting):
    photos = in_tmp / "photos"
    photos.mkdir()
    for index in range(2):
        PILImage.fromarray(np.roll(_photo(64, 80), index * 9, axis=1)).save(photos / f"p{index}.png")
    PILImage.fromarray(_photo()).save("photo.png")
    trained = muse("train", "style", "--style", str(painting), "--data", "photos", "--out", "fast.safetensors",
                   "--dry-run", "--width", "4", "--blocks", "1", "--crop", "32")
    assert trained.code == 0, trained.err
    done = muse("stylize", "style", "photo.png", "-p", "model=fast.safetensors", "-p", "size=40", "-o", "fast.png")
    assert done.code == 0, done.err
    work = Engine().load("fast.png")
    assert work.width == 40 and len(work.meta["checkpoint"]) == 64
    clash = muse("stylize", "style", "photo.png", "-p", "model=fast.safetensors", "-p", f"style={painting}", "-o", "x.png")
    assert clash.code == 1 and "style= does not apply with model=" in clash.err


def test_untrained_skip_net_is_colour_transfer_and_learns_from_there(painting):
    """A fast net with ``skip`` starts as Reinhard colour transfer to its painting: training only
    has to add the brushwork (docs/style.md, "Fast mode")."""
    from plugins.style.images import lab_moments, load_picture, reinhard_transfer, to_tensor
    from plugins.style.losses import colour_distance, sorted_colours
    from plugins.style.model import SKIP_EPSILON, TransformerNet

    photo, style = to_tensor(_photo()), load_picture(painting, 40)
    net = TransformerNet(4, 1, skip=True)
    net.palette.copy_(lab_moments(style))
    expected = reinhard_transfer(photo, style).clamp(SKIP_EPSILON, 1 - SKIP_EPSILON)
    assert torch.allclose(net(photo), expected, atol=1e-5)
    # the colour term: zero for the painting's own pixels, larger for the photo than for its recolouring
    target = sorted_colours(style)
    assert float(colour_distance(style, target)) == pytest.approx(0.0, abs=1e-9)
    assert float(colour_distance(photo, target)) > float(colour_distance(expected, target))


def test_colour_transport_takes_the_whole_palette_and_keeps_the_structure(painting):
    """Sliced colour transport lands closer to the painting's colour distribution than Reinhard's
    mean-and-spread match, and keeps the photo's structure (a smooth per-pixel map)."""
    from plugins.style.images import load_picture, reinhard_transfer, to_tensor
    from plugins.style.losses import colour_distance
    from plugins.style.metrics import ssim
    from plugins.style.palette import colour_quantiles, transport_colours

    photo, style = to_tensor(_photo()), load_picture(painting, 40)
    target = colour_quantiles(style)
    moved = transport_colours(photo, target)
    assert moved.shape == photo.shape and float(moved.min()) >= 0 and float(moved.max()) <= 1
    assert float(colour_distance(moved, target)) < 0.5 * float(colour_distance(reinhard_transfer(photo, style), target))
    assert ssim(moved, photo) > 0.3
    assert torch.equal(transport_colours(photo, target), moved)  # deterministic


def test_a_transport_net_is_saved_and_loaded_with_its_palette(muse, in_tmp, painting):
    """`-p transport=true`: the untrained net is colour transport, and the file says so."""
    from engine.training import load_checkpoint
    from plugins.style.fast import load_net
    from plugins.style.images import load_picture, to_tensor
    from plugins.style.model import SKIP_EPSILON
    from plugins.style.palette import colour_quantiles, transport_colours

    photos = in_tmp / "photos"
    photos.mkdir()
    PILImage.fromarray(_photo(64, 80)).save(photos / "p.png")
    trained = muse("train", "style", "--style", str(painting), "--data", "photos", "--out", "t.safetensors",
                   "--dry-run", "--width", "4", "--blocks", "1", "--crop", "32", "-p", "transport=true")
    assert trained.code == 0, trained.err
    assert load_checkpoint("t.safetensors", model="style").config["transport"] is True
    net, _ = load_net(Path("t.safetensors"))
    assert net.transport
    expected = transport_colours(to_tensor(_photo()), colour_quantiles(load_picture(painting, 2 * 32)))
    assert torch.allclose(net.colours, colour_quantiles(load_picture(painting, 2 * 32)))
    assert net(to_tensor(_photo())).shape == expected.shape
    untrained = type(net)(4, 1, skip=True, transport=True)
    untrained.colours.copy_(net.colours)
    assert torch.allclose(untrained(to_tensor(_photo())), expected.clamp(SKIP_EPSILON, 1 - SKIP_EPSILON), atol=1e-5)


def test_a_checkpoint_of_another_model_is_refused(in_tmp, engine):
    from engine.training import save_checkpoint

    save_checkpoint("other.safetensors", {"w": torch.zeros(2)}, model="gan", config={})
    with pytest.raises(BadInput, match="not a 'style' one"):
        engine.stylize("style", Image(_photo()), model="other.safetensors", size=32)


def test_shipped_default_model_runs_without_shared_data(engine):
    from plugins.style.plugin import WEIGHTS_DIR

    if not (WEIGHTS_DIR / "default.safetensors").is_file():
        pytest.skip("no shipped feed-forward model in this checkout")
    for params in engine.get("stylizer", "style").demo_params:
        work = engine.stylize("style", Image(_photo()), seed=0, **params)
        assert max(work.width, work.height) == params.get("size", 512)


def test_metrics_see_identity_and_difference(painting):
    from plugins.style.images import load_picture, reinhard_transfer, to_tensor
    from plugins.style.metrics import ssim, style_distance

    photo, style = to_tensor(_photo()), load_picture(painting, 40)
    assert ssim(photo, photo) == pytest.approx(1.0, abs=1e-4)
    assert style_distance(style, style) == pytest.approx(0.0, abs=1e-5)
    recoloured = reinhard_transfer(photo, style)
    assert style_distance(recoloured, style) < style_distance(photo, style)
    assert ssim(recoloured, photo) > 0.3
    # the texture distance ignores colour: a flat patch of the painting's mean colour has none of
    # its texture, however close its colour statistics are
    flat = style.mean((2, 3), keepdim=True).expand_as(style).contiguous()
    assert style_distance(flat, style, centred=True) == pytest.approx(1.0, abs=1e-3)  # zero padding: edges differ
    assert style_distance(style, style, centred=True) == pytest.approx(0.0, abs=1e-5)


def test_pyramid_goes_coarse_to_fine():
    from plugins.style.optimize import pyramid_sizes

    assert pyramid_sizes(300, 400, 512, 0) == [(96, 128), (192, 256), (384, 512)]
    assert pyramid_sizes(300, 400, 512, 1) == [(384, 512)]
