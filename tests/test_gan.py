"""The gan generator: training (dry run), sampling, sheets, walks, labels, bad checkpoints, eval."""

from __future__ import annotations

import numpy as np
import pytest

from test_images import make_idx


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A dry-run GAN (and a dry-run classifier) on a tiny IDX folder, shared by the tests below."""
    from engine import Engine

    folder = tmp_path_factory.mktemp("gan")
    data = make_idx(folder / "fashion")
    engine = Engine()
    engine.train("gan", data=data, out=folder / "gan.safetensors", dry_run=True, progress=False,
                 batch_size=16, width=16, latent=8, sample_every=1)
    engine.train("classifier", data=data, out=folder / "clf.safetensors", dry_run=True, progress=False, batch_size=16)
    return folder


def test_dry_run_writes_checkpoint_and_previews(trained):
    from engine.training import read_metadata

    meta = read_metadata(trained / "gan.safetensors")
    assert meta["model"] == "gan" and meta["info"]["step"] == 2
    assert meta["config"]["classes"][3] == "dress" and meta["info"]["data_fingerprint"]
    assert sorted(p.name for p in (trained / "gan-samples").iterdir()) == ["step-000001.png", "step-000002.png"]


def test_batch_item_equals_single_and_provenance(muse, in_tmp, trained):
    model = f"model={trained / 'gan.safetensors'}"
    assert muse("generate", "gan", "-p", model, "-n", "3", "--seed", "5", "-o", "many.png").code == 0
    assert muse("generate", "gan", "-p", model, "--seed", "7", "-o", "one.png").code == 0
    from PIL import Image as PILImage

    assert np.array_equal(np.asarray(PILImage.open("many-002.png")), np.asarray(PILImage.open("one.png")))
    assert PILImage.open("one.png").size == (28, 28)
    info = muse("info", "one.png")
    assert "checkpoint" in info.out and "gan" in info.out
    assert muse("reproduce", "one.png", "--allow-path", str(trained)).code == 0  # the checkpoint lies outside the work's folder


def test_grid_cells_are_the_seeds_samples(muse, in_tmp, trained):
    model = f"model={trained / 'gan.safetensors'}"
    assert muse("generate", "gan", "-p", model, "-p", "grid=3", "-p", "label=dress", "--seed", "4", "-o", "sheet.png").code == 0
    assert muse("generate", "gan", "-p", model, "-p", "label=3", "--seed", "8", "-o", "cell.png").code == 0
    from PIL import Image as PILImage

    sheet = np.asarray(PILImage.open("sheet.png"))
    assert sheet.shape == (3 * 30 + 2, 3 * 30 + 2)
    cell4 = sheet[2 + 30:2 + 30 + 28, 2 + 30:2 + 30 + 28]  # row 1, column 1 -> seed 4 + 4
    assert np.array_equal(cell4, np.asarray(PILImage.open("cell.png")))


def test_walk_strip_and_animation(muse, in_tmp, trained):
    model = f"model={trained / 'gan.safetensors'}"
    assert muse("generate", "gan", "-p", model, "-p", "interpolate=5", "-p", "animate=false", "--seed", "1", "-o", "strip.png").code == 0
    assert muse("generate", "gan", "-p", model, "-p", "interpolate=6", "-o", "walk.gif").code == 0
    from PIL import Image as PILImage

    assert PILImage.open("strip.png").size == (5 * 30 + 2, 32)
    animation = PILImage.open("walk.gif")
    assert animation.n_frames == 6
    both = muse("generate", "gan", "-p", model, "-p", "interpolate=4", "-p", "grid=2", "-o", "x.png")
    assert both.code != 0 and "not both" in both.err


def test_bad_label_and_wrong_checkpoint(muse, in_tmp, trained):
    wrong = muse("generate", "gan", "-p", f"model={trained / 'gan.safetensors'}", "-p", "label=hat", "-o", "x.png")
    assert wrong.code != 0 and "valid: ankle boot" in wrong.err and len(wrong.err.strip().splitlines()) == 1
    other = muse("generate", "gan", "-p", f"model={trained / 'clf.safetensors'}", "-o", "x.png")
    assert other.code != 0 and "'classifier' checkpoint, not a 'gan' one" in other.err


def test_eval_reports_fid_with_floor_and_ceiling(muse, trained):
    result = muse("eval", "gan", "--data", trained / "fashion", "-p", f"model={trained / 'gan.safetensors'}",
                  "-p", f"classifier={trained / 'clf.safetensors'}", "-p", "samples=100",
                  "-p", f"shift_classifier={trained / 'clf.safetensors'}", "-p", "cas_samples=30", "-p", "cas_epochs=1", "--json")
    assert result.code == 0, result.err
    import json

    report = json.loads(result.out)
    assert report["samples"] == 100
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


def test_folder_of_rgb_images_at_32px(muse, in_tmp):
    from PIL import Image as PILImage

    (in_tmp / "pics").mkdir()
    for i in range(12):
        PILImage.new("RGB", (40, 30), (20 * i, 100, 200)).save(in_tmp / "pics" / f"{i}.jpg")
    done = muse("train", "gan", "--data", "pics", "--dry-run", "--out", "rgb.safetensors", "--size", "32",
                "--channels", "3", "--batch-size", "4", "--width", "8")
    assert done.code == 0, done.err
    assert muse("generate", "gan", "-p", "model=rgb.safetensors", "-o", "rgb.png").code == 0
    assert PILImage.open("rgb.png").size == (32, 32) and PILImage.open("rgb.png").mode == "RGB"
    labelled = muse("generate", "gan", "-p", "model=rgb.safetensors", "-p", "label=dress", "-o", "x.png")
    assert labelled.code != 0 and "without labels" in labelled.err


def test_bad_data_is_one_line(muse, in_tmp):
    (in_tmp / "empty").mkdir()
    empty = muse("train", "gan", "--data", "empty", "--dry-run", "--out", "x.safetensors")
    assert empty.code != 0 and "empty" in empty.err and len(empty.err.strip().splitlines()) == 1


@pytest.mark.parametrize("size", [28, 32, 64])
@pytest.mark.parametrize("depth", [1, 2])
def test_networks_fit_every_size_and_critic_depth(size, depth):
    import torch

    from plugins.gan.model import Discriminator, Generator

    generator = Generator(latent=8, width=8, size=size, channels=3, classes=4)
    critic = Discriminator(width=8, size=size, channels=3, classes=4, depth=depth)
    labels = torch.tensor([0, 3])
    with torch.no_grad():
        images = generator(torch.randn(2, 8), labels)
    assert images.shape == (2, 3, size, size) and float(images.abs().max()) <= 1.0
    assert critic(images, labels).shape == (2,)


def test_class_check_draws_each_seeds_first_candidate_the_critic_sees_as_the_label(in_tmp, tmp_path, trained):
    import torch

    from engine import Engine
    from plugins.gan.sampler import load_gan
    from plugins.imagekit.sampling import seeded_latent

    Engine().train("gan", data=make_idx(tmp_path / "fashion", count=32), out=in_tmp / "adc.safetensors", dry_run=True,
                   progress=False, batch_size=16, width=8, latent=8, sample_every=0, classifier_weight=1.0)
    gan = load_gan(in_tmp / "adc.safetensors")
    assert gan.critic is not None  # shipped beside the generator when trained with its class head

    class Critic:  # sees only candidate `wanted` of each seed as a real image of class 2
        wanted = 3

        def features(self, images):
            return images

        def classify(self, features):
            logits = torch.zeros(len(features), 2 * len(gan.classes))
            logits[:, 2 * 5] = 1.0
            if self.wanted < len(features):
                logits[self.wanted, 2 * 2] = 2.0
            return logits

    gan.critic = Critic()  # type: ignore[assignment]
    candidates = seeded_latent(5, 8, len(gan.classes), alternatives=7)[0]
    latents, labels = gan.seeds([5, 6], 2, 1.0, candidates=8)
    assert torch.equal(latents[0], candidates[3]) and labels.tolist() == [2, 2]
    assert torch.equal(gan.seeds([5], 2, 1.0, candidates=8)[0][0], latents[0])  # independent of the seeds beside it
    Critic.wanted = 99  # no candidate passes: the seed's own latent
    assert torch.equal(gan.seeds([5], 2, 1.0, candidates=8)[0][0], candidates[0])
    assert torch.equal(gan.seeds([5], 2, 1.0, candidates=1)[0][0], candidates[0])
    plain = load_gan(trained / "gan.safetensors")  # trained without the class head: nothing to check with
    assert plain.critic is None
    assert torch.equal(plain.seeds([5], 2, 1.0, candidates=8)[0], plain.seeds([5], 2, 1.0)[0])


def test_critic_classifier_has_a_real_and_a_generated_column_per_class():
    import torch

    from plugins.gan.model import Discriminator

    critic = Discriminator(width=8, size=28, channels=1, classes=3, depth=2, classifier=True).eval()  # no power iteration per call
    images, labels = torch.randn(4, 1, 28, 28), torch.tensor([0, 1, 2, 0])
    seen = critic.features(images)
    assert critic.classify(seen).shape == (4, 6)
    assert torch.equal(critic.judge(seen, labels), critic(images, labels))
    with pytest.raises(ValueError, match="no classifier"):
        Discriminator(width=8, classes=3).classify(seen)
    with pytest.raises(ValueError, match="needs classes"):
        Discriminator(width=8, classes=0, classifier=True)


def test_classifier_losses_reward_the_right_columns():
    import torch

    from plugins.gan.training import classifier_critic_loss, classifier_generator_loss

    labels = torch.tensor([0, 2])
    def logits(columns):  # confident logits over 2 x 3 classes, one chosen column per row
        out = torch.zeros(2, 6)
        out[torch.arange(2), torch.tensor(columns)] = 10.0
        return out

    as_real, as_generated = logits([0, 4]), logits([1, 5])  # columns 2y and 2y + 1
    # The critic is right when real images land in 2y and generated ones in 2y + 1 ...
    assert classifier_critic_loss(as_real, labels, as_generated, labels) < 0.01
    assert classifier_critic_loss(as_generated, labels, as_real, labels) > 10
    # ... and the generator gains when its samples read as real images of their class.
    assert classifier_generator_loss(as_real, labels) < 0 < classifier_generator_loss(as_generated, labels)


def test_classifier_weight_trains_resumes_and_refuses_what_it_cannot_do(muse, in_tmp, tmp_path):
    from engine.training import read_metadata
    from test_images import make_idx

    data = make_idx(tmp_path / "fashion", count=64)
    args = ["train", "gan", "--data", data, "--out", "adc.safetensors", "--batch-size", "16", "--width", "8",
            "--latent", "8", "--sample-every", "0", "--checkpoint-every", "2"]
    from engine import Engine

    first = Engine().train("gan", data=data, out=in_tmp / "adc.safetensors", progress=False, epochs=1, batch_size=16,
                           width=8, latent=8, sample_every=0, checkpoint_every=2, classifier_weight=1.0)
    assert 0 <= first["losses"]["critic_acc"] <= 1  # the critic's class accuracy on real images, on the progress bar
    meta = read_metadata("adc.safetensors")
    assert meta["config"]["critic_classifier"] is True and meta["info"]["step"] == 4
    other = muse(*args, "--epochs", "2", "-p", "classifier_weight=0")  # another critic: not the same run
    assert other.code != 0 and "different model or config" in other.err
    assert muse(*args, "--epochs", "2", "-p", "classifier_weight=1").code == 0
    assert read_metadata("adc.safetensors")["info"]["step"] == 8
    assert muse("generate", "gan", "-p", "model=adc.safetensors", "-o", "one.png").code == 0

    (in_tmp / "pics").mkdir()
    from PIL import Image as PILImage

    for i in range(8):
        PILImage.new("L", (28, 28), 30 * i).save(in_tmp / "pics" / f"{i}.png")
    unlabelled = muse("train", "gan", "--data", "pics", "--dry-run", "--out", "u.safetensors", "--batch-size", "4",
                      "-p", "classifier_weight=1")
    assert unlabelled.code != 0 and "classifier_weight needs labelled data" in unlabelled.err
    assert len(unlabelled.err.strip().splitlines()) == 1
