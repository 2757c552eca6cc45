"""muse-procedural's own tests, written with engine.testing the way any plugin's should be."""

from __future__ import annotations

import numpy as np
import pytest

from engine import Image, ParamError
from engine.testing import assert_light_import, check_component, make_engine, run_cli
from muse_procedural import plugin
from muse_procedural.groove import KICK, SNARE, euclid
from muse_procedural.palette import load_colours


@pytest.fixture(scope="module")
def eng():
    return make_engine(plugin)


@pytest.mark.parametrize("kind, name, params", [
    ("generator", "truchet", {"tiles": 3, "tile_size": 8}),
    ("generator", "groove", {"bars": 2}),
    ("stylizer", "halftone", {"cell": 4}),
    ("stylizer", "palette", {}),
])
def test_every_component_keeps_the_muse_contract(eng, kind, name, params):
    report = check_component(eng, kind, name, params=params, seed=3)
    assert (report.work.meta["plugin"], report.work.meta["package"]) == ("procedural", "muse-procedural")  # as installed


def test_the_plugin_module_imports_no_torch():
    assert_light_import("muse_procedural.plugin", heavy=("torch", "numpy"))


@pytest.mark.parametrize("motif", ["arcs", "diagonals", "triangles"])
def test_truchet_size_and_colours(eng, motif):
    work = eng.generate("truchet", seed=1, tiles=5, tile_size=20, motif=motif, palette="ink", line=0.3)
    assert (work.width, work.height, work.channels) == (100, 100, 3)
    colours, counts = np.unique(work.pixels.reshape(-1, 3), axis=0, return_counts=True)
    two_most_common = {tuple(c) for c in colours[np.argsort(counts)[-2:]].tolist()}
    assert two_most_common == {(245, 240, 226), (28, 28, 36)}  # paper and ink
    assert len(colours) > 2  # anti-aliased edges


def test_truchet_seed_changes_the_tiling(eng):
    one, two = (eng.generate("truchet", seed=s, tiles=6, tile_size=8) for s in (1, 2))
    assert not one.same_content(two)


@pytest.mark.parametrize("hits, steps, expected", [
    (3, 8, "x..x..x."),       # tresillo
    (4, 16, "x...x...x...x..."),  # four on the floor
    (0, 8, "........"),
    (9, 8, "xxxxxxxx"),       # capped at steps
])
def test_euclidean_rhythms(hits, steps, expected):
    assert "".join("x" if h else "." for h in euclid(hits, steps)) == expected


def test_cinquillo_is_a_rotation_of_e_5_8():
    pattern = "".join("x" if h else "." for h in euclid(5, 8))
    assert pattern.count("x") == 5 and "x.xx.xx." in pattern * 2


def test_groove_places_kick_on_one_and_snare_on_the_backbeat(eng):
    score = eng.generate("groove", seed=4, bars=1, tempo=120, ghosts=0.0, fills=0.0, humanize=0.0)
    drums = score.tracks[0]
    assert drums.is_drum and score.tempo == 120
    step = 60 / 120 / 4
    kicks = [round(n.start / step) for n in drums.notes if n.pitch == KICK]
    snares = [round(n.start / step) for n in drums.notes if n.pitch == SNARE]
    assert kicks == [0, 4, 8, 12] and snares == [4, 12]


def test_swing_delays_every_second_step(eng):
    straight = eng.generate("groove", seed=2, bars=1, hats=16, ghosts=0.0, fills=0.0)
    swung = eng.generate("groove", seed=2, bars=1, hats=16, ghosts=0.0, fills=0.0, swing=0.5)
    step = 60 / 100 / 4
    offsets = sorted({round((b.start - a.start) / step, 3) for a, b in zip(straight.tracks[0].notes, swung.tracks[0].notes)})
    assert offsets == [0.0, 0.5]


def test_halftone_keeps_the_tone_of_flat_greys(eng):
    for level in (0, 64, 128, 200, 255):
        grey = Image(np.full((32, 32, 3), level, np.uint8))
        dots = eng.stylize("halftone", grey, cell=8)
        assert dots.channels == 1 and dots.pixels.shape[:2] == (256, 256)  # 4 cells across: a dot per pixel
        assert abs(float(dots.pixels.mean()) - level) < 20, level


def test_halftone_prints_small_images_a_dot_per_pixel_and_keeps_large_ones():
    from muse_procedural.halftone import MIN_CELLS, halftone

    small = np.zeros((28, 28, 1), np.uint8)
    small[:, 14:] = 255
    dots = halftone(small, 8, "mono")
    assert dots.shape == (224, 224) and dots[:, :112].mean() < 40 and dots[:, 112:].mean() > 215
    large = np.full((MIN_CELLS * 8, MIN_CELLS * 8 + 5, 3), 128, np.uint8)
    assert halftone(large, 8, "mono").shape == large.shape[:2]


def test_halftone_cmy_gives_colour(eng):
    red = Image(np.tile(np.array([220, 30, 30], np.uint8), (16, 16, 1)))
    dots = eng.stylize("halftone", red, cell=4, mode="cmy")
    assert dots.channels == 3 and dots.pixels[:, :, 0].mean() > dots.pixels[:, :, 1].mean() + 60


def test_bad_parameters_name_the_problem(eng):
    with pytest.raises(ParamError, match="motif='spirals' is not valid; choose one of arcs, diagonals, triangles"):
        eng.generate("truchet", motif="spirals")


def test_palette_trains_ships_and_repaints(eng, tmp_path):
    rng = np.random.default_rng(0)
    picture = np.where(rng.random((24, 24, 1)) < 0.5, [250, 40, 40], [20, 20, 200]).astype(np.uint8)
    data = eng.render(Image(picture), tmp_path / "two-colours.png")
    out = tmp_path / "two.safetensors"
    summary = eng.train("palette", data=data, out=out, seed=0, progress=False, colours=2, steps=60, batch_size=64, lr=0.05)
    assert summary["step"] == 60 and summary["psnr_db"] > 30
    colours, sha256 = load_colours(out, "palette")
    assert sorted(map(tuple, colours.tolist())) == sorted([(250, 40, 40), (20, 20, 200)]) or summary["psnr_db"] > 30
    painted = eng.stylize("palette", Image(picture), model=str(out))
    assert painted.meta["checkpoint"] == sha256
    assert {tuple(p) for p in painted.pixels.reshape(-1, 3).tolist()} <= {tuple(c) for c in colours.tolist()}


def test_palette_dry_run_and_eval(eng, tmp_path):
    data = eng.render(eng.generate("truchet", seed=1, tiles=4, tile_size=8, palette="ember"), tmp_path / "t.png")
    eng.train("palette", data=data, out=tmp_path / "p.safetensors", dry_run=True, progress=False, steps=1000)
    report = eng.evaluate("palette", data=data, model=str(tmp_path / "p.safetensors"))
    assert set(report) >= {"palette_psnr_db", "uniform_psnr_db", "median_cut_psnr_db"}


def test_the_cli_chains_generator_and_stylizer(eng, tmp_path):
    tiles = tmp_path / "tiles.png"
    assert run_cli("generate", "truchet", "--seed", "9", "-p", "tiles=4", "-o", tiles, engine=eng).code == 0
    result = run_cli("stylize", "halftone", tiles, "-p", "cell=6", "-o", tmp_path / "dots.png", engine=eng)
    assert result.code == 0, result.err
    meta = eng.load(tmp_path / "dots.png").meta
    assert meta["component"] == "halftone" and meta["inputs"][0]["params"]["tiles"] == 4
