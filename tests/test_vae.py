"""The vae generator and the vae-reconstruct stylizer: training, sampling, walks, eval, bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image as PILImage

from test_images import make_idx


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from engine import Engine

    folder = tmp_path_factory.mktemp("vae")
    data = make_idx(folder / "fashion")
    engine = Engine()
    engine.train("vae", data=data, out=folder / "vae.safetensors", dry_run=True, progress=False,
                 batch_size=16, width=8, hidden=32, latent=4, sample_every=1)
    engine.train("classifier", data=data, out=folder / "clf.safetensors", dry_run=True, progress=False, batch_size=16)
    return folder


def test_dry_run_checkpoint(trained):
    from engine.training import read_metadata

    meta = read_metadata(trained / "vae.safetensors")
    assert meta["model"] == "vae" and meta["config"]["latent"] == 4 and len(meta["config"]["classes"]) == 10
    assert (trained / "vae-samples" / "step-000002.png").is_file()


def test_samples_sheet_and_determinism(muse, in_tmp, trained):
    model = f"model={trained / 'vae.safetensors'}"
    assert muse("generate", "vae", "-p", model, "-n", "2", "--seed", "3", "-o", "s.png").code == 0
    assert muse("generate", "vae", "-p", model, "--seed", "4", "-o", "one.png").code == 0
    assert np.array_equal(np.asarray(PILImage.open("s-001.png")), np.asarray(PILImage.open("one.png")))
    assert muse("generate", "vae", "-p", model, "-p", "grid=2", "-p", "label=bag", "-o", "sheet.png").code == 0
    assert PILImage.open("sheet.png").size == (62, 62)
    assert muse("reproduce", "one.png", "--allow-path", str(trained)).code == 0  # the checkpoint lies outside the work's folder


def test_walks_between_seeds_and_images(muse, in_tmp, trained):
    model = f"model={trained / 'vae.safetensors'}"
    assert muse("generate", "vae", "-p", model, "-p", "interpolate=4", "-p", "animate=false", "-o", "strip.png").code == 0
    assert PILImage.open("strip.png").size == (4 * 30 + 2, 32)
    PILImage.new("RGB", (80, 60), (250, 250, 250)).save("a.jpg")
    PILImage.new("L", (28, 28), 0).save("b.png")
    walk = muse("generate", "vae", "-p", model, "-p", "interpolate=5", "-p", "start=a.jpg", "-p", "end=b.png",
                "-o", "walk.webp")
    assert walk.code == 0, walk.err
    assert PILImage.open("walk.webp").n_frames >= 2  # WebP merges identical neighbours
    from engine import Engine

    frames = Engine().generate("vae", seed=1, model=str(trained / "vae.safetensors"), interpolate=5,
                               start="a.jpg", end="b.png", animate=True)
    assert len(frames.frames) == 4 and frames.pixels.shape == (28, 28, 1)
    half = muse("generate", "vae", "-p", model, "-p", "interpolate=5", "-p", "start=a.jpg", "-o", "x.png")
    assert half.code != 0 and "both start and end" in half.err
    missing = muse("generate", "vae", "-p", model, "-p", "interpolate=3", "-p", "start=nope.png", "-p", "end=b.png", "-o", "x.png")
    assert missing.code != 0 and "nope.png" in missing.err


def test_reconstruct_resizes_and_greys(muse, in_tmp, trained):
    PILImage.new("RGB", (90, 64), (200, 30, 30)).save("photo.png")
    done = muse("stylize", "vae-reconstruct", "photo.png", "-p", f"model={trained / 'vae.safetensors'}", "-o", "r.png")
    assert done.code == 0, done.err
    out = PILImage.open("r.png")
    assert out.size == (28, 28) and out.mode == "L"
    assert "vae-reconstruct" in muse("info", "r.png").out


def test_gan_checkpoint_refused(muse, in_tmp, trained):
    from engine import Engine

    make_idx(in_tmp / "d")
    Engine().train("gan", data=in_tmp / "d", out=in_tmp / "g.safetensors", dry_run=True, progress=False,
                   batch_size=16, width=8, latent=4)
    wrong = muse("generate", "vae", "-p", "model=g.safetensors", "-o", "x.png")
    assert wrong.code != 0 and "'gan' checkpoint, not a 'vae' one" in wrong.err


def test_eval_elbo_and_fid(muse, trained):
    result = muse("eval", "vae", "--data", trained / "fashion", "-p", f"model={trained / 'vae.safetensors'}",
                  "-p", f"classifier={trained / 'clf.safetensors'}", "-p", "samples=100",
                  "-p", f"shift_classifier={trained / 'clf.safetensors'}", "-p", "cas_samples=30", "-p", "cas_epochs=1", "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["test_neg_elbo_nats"] == pytest.approx(report["test_reconstruction_nll_nats"] + report["test_kl_nats"])
    assert 0 <= report["test_reconstruction_mse"] <= 1
    # The ruler orders what it must: real held-out images beat per-pixel noise, and the fixture's
    # few-step model (worse than noise here) cannot beat real images.
    floor = report["fid_floor_train_vs_test"]
    assert 0 < floor < report["fid_ceiling_pixel_gaussian"] and report["fid"] > floor
    # The other rulers are there, each beside what real training images score.
    assert report["fid_shift"] > report["fid_shift_floor_train_vs_test"] > 0
    for key in ("precision", "recall", "precision_floor_train_vs_test", "recall_floor_train_vs_test"):
        assert 0 <= report[key] <= 1
    assert 0 <= report["samples_classified_as_asked"] <= 1
    assert report["cas_train_images"] == 30 and 0 <= report["cas_accuracy"] <= 1 and 0 < report["cas_real_accuracy"] <= 1
    assert report["cas_ratio"] == pytest.approx(report["cas_accuracy"] / report["cas_real_accuracy"])
