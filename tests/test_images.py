"""Shared image plumbing: IDX and folder loading, bad input, labels, walks, sheets, FID, classifier."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
import torch

from engine import BadInput, ParamError, UnknownName
from plugins.imagekit.data import FASHION_CLASSES, load_images, write_idx
from plugins.imagekit.fid import frechet_distance
from plugins.imagekit.labels import resolve_label
from plugins.imagekit.sampling import slerp, tile


def make_idx(folder, count=128, classes=3, seed=0):
    """A tiny MNIST-layout folder: train and t10k images with labels, each class a bright band."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for split in ("train", "t10k"):
        labels = rng.integers(0, classes, count).astype(np.uint8)
        images = rng.integers(0, 40, (count, 28, 28)).astype(np.uint8)
        for i, label in enumerate(labels):
            images[i, 4 + 8 * label:10 + 8 * label, 4:24] = 220
        write_idx(folder / f"{split}-images-idx3-ubyte.gz", images)
        write_idx(folder / f"{split}-labels-idx1-ubyte.gz", labels)
    return folder


def test_idx_folder_splits_and_single_file(tmp_path):
    folder = make_idx(tmp_path / "fashion-tiny")
    train = load_images(folder, "train")
    test = load_images(folder, "test")
    assert train.images.shape == (128, 1, 28, 28) and train.images.dtype == torch.uint8
    assert train.labels is not None and int(train.labels.max()) <= 2
    assert not torch.equal(train.images, test.images)
    assert train.classes == FASHION_CLASSES  # a "fashion" path gets all ten Fashion-MNIST names
    single = load_images(folder / "t10k-images-idx3-ubyte.gz")
    assert torch.equal(single.images, test.images) and torch.equal(single.labels, test.labels)


def test_idx_resized_to_rgb_32(tmp_path):
    data = load_images(make_idx(tmp_path / "d"), "train", size=32, channels=3)
    assert data.images.shape == (128, 3, 32, 32)
    assert data.classes == ("0", "1", "2")


@pytest.mark.parametrize("damage, message", [
    (lambda raw: raw[:100], "payload"),
    (lambda raw: b"\x00\x00\x09\x99" + raw[4:], "not an IDX images file"),
    (lambda raw: raw[:3], "not an IDX file"),
])
def test_corrupt_idx_is_one_clear_error(tmp_path, damage, message):
    folder = make_idx(tmp_path / "d")
    path = folder / "train-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(damage(gzip.decompress(path.read_bytes()))))
    with pytest.raises(BadInput, match=message):
        load_images(folder, "train")


def test_not_gzip_is_a_clear_error(tmp_path):
    path = make_idx(tmp_path / "d") / "train-images-idx3-ubyte.gz"
    path.write_bytes(b"this is not gzip at all")
    with pytest.raises(BadInput, match="cannot read"):
        load_images(path)


def test_image_folder_classes_skips_other_files(tmp_path, capsys):
    from PIL import Image as PILImage

    for name, shade in (("bright", 230), ("dark", 20)):
        (tmp_path / "pics" / name).mkdir(parents=True)
        for i in range(3):
            PILImage.new("RGB", (50 + i, 40), (shade, shade, shade)).save(tmp_path / "pics" / name / f"{i}.png")
    (tmp_path / "pics" / "README.txt").write_text("not a picture")
    (tmp_path / "pics" / "dark" / "broken.png").write_bytes(b"garbage")
    data = load_images(tmp_path / "pics", size=28, channels=1)
    assert data.images.shape == (6, 1, 28, 28)
    assert data.classes == ("bright", "dark")
    assert int(data.images[data.labels == 0].float().mean()) > 200
    assert "skipped 2 file(s)" in capsys.readouterr().err


def test_empty_or_pictureless_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(BadInput, match="empty"):
        load_images(tmp_path / "empty")
    (tmp_path / "text").mkdir()
    (tmp_path / "text" / "a.txt").write_text("hello")
    with pytest.raises(BadInput, match="no readable images"):
        load_images(tmp_path / "text")


def test_labels_by_name_part_and_index():
    assert resolve_label("dress", FASHION_CLASSES, "gan") == 3
    assert resolve_label("Ankle Boot", FASHION_CLASSES, "gan") == 9
    assert resolve_label("top", FASHION_CLASSES, "gan") == 0
    assert resolve_label("7", FASHION_CLASSES, "gan") == 7
    assert resolve_label(None, FASHION_CLASSES, "gan") is None
    with pytest.raises(UnknownName, match="valid: ankle boot, bag"):
        resolve_label("hat", FASHION_CLASSES, "gan")
    with pytest.raises(ParamError, match="out of range"):
        resolve_label("12", FASHION_CLASSES, "gan")
    with pytest.raises(ParamError, match="without labels"):
        resolve_label("dress", (), "gan")


def test_slerp_keeps_endpoints_and_norm():
    a, b = torch.randn(64, generator=torch.Generator().manual_seed(1)), torch.randn(64, generator=torch.Generator().manual_seed(2))
    path = slerp(a, b, 9)
    assert torch.allclose(path[0], a, atol=1e-5) and torch.allclose(path[-1], b, atol=1e-5)
    norms = path.norm(dim=1)
    assert norms.min() > 0.8 * min(a.norm(), b.norm())  # no dip toward the origin as with lerp


def test_tile_layout():
    sheet = tile(np.zeros((5, 28, 28, 1), np.uint8), columns=3, padding=2)
    assert sheet.shape == (2 * 30 + 2, 3 * 30 + 2, 1)


def test_frechet_distance_of_shifted_gaussians():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(4000, 4))
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    assert frechet_distance(a, a + 2.0) == pytest.approx(16.0, rel=1e-6)
    assert frechet_distance(a, rng.normal(size=(4000, 4)) * 2.0) == pytest.approx(4.0, rel=0.1)  # 4 * (2-1)^2


def test_within_class_spread_sees_collapse():
    from plugins.imagekit.evaluation import within_class_spread

    torch.manual_seed(0)
    classifier = torch.nn.Module()
    classifier.head = torch.nn.Linear(8, 3)
    real = torch.randn(600, 8).numpy()
    assert within_class_spread(classifier, real.copy(), real) == pytest.approx(1.0)
    copies = np.repeat(real[:1], 600, axis=0) + 0.01 * np.random.default_rng(0).standard_normal((600, 8))
    assert within_class_spread(classifier, copies.astype(np.float32), real) < 0.05


def test_classifier_train_eval_classify(muse, in_tmp):
    data = make_idx(in_tmp / "fashion")
    done = muse("train", "classifier", "--data", data, "--dry-run", "--out", "clf.safetensors", "--batch-size", "16")
    assert done.code == 0, done.err
    score = muse("eval", "classifier", "--data", data, "-p", "model=clf.safetensors", "--json")
    assert score.code == 0, score.err
    assert '"test_accuracy"' in score.out
    from PIL import Image as PILImage

    PILImage.new("L", (60, 60), 200).save("shirt.png")
    named = muse("stylize", "classifier", "shirt.png", "-p", "model=clf.safetensors", "-p", "top=2", "-o", "label.txt")
    assert named.code == 0, named.err
    lines = (in_tmp / "label.txt").read_text().strip().splitlines()
    assert len([line for line in lines if "\t" in line]) == 2


def test_classifier_needs_labels(muse, in_tmp):
    from PIL import Image as PILImage

    (in_tmp / "pics").mkdir()
    for i in range(20):
        PILImage.new("L", (28, 28), i * 10).save(in_tmp / "pics" / f"{i}.png")
    done = muse("train", "classifier", "--data", "pics", "--dry-run", "--out", "c.safetensors", "--batch-size", "4")
    assert done.code != 0 and "needs labels" in done.err


def test_precision_recall_of_a_set_and_of_a_disjoint_set():
    from plugins.imagekit.precision_recall import precision_recall

    rng = np.random.default_rng(0)
    real = rng.normal(size=(400, 8)).astype(np.float32)
    assert precision_recall(real, real.copy(), k=3) == (1.0, 1.0)
    same_law = rng.normal(size=(400, 8)).astype(np.float32)  # another draw of the same distribution: high, not 1
    precision, recall = precision_recall(real, same_law, k=3)
    assert 0.5 < precision < 1.0 and 0.5 < recall < 1.0
    far = same_law + 10.0  # a disjoint set: nothing of either lies in the other's manifold
    assert precision_recall(real, far, k=3) == (0.0, 0.0)
    # One tight clump in the middle of the data: realistic (precision high), no variety (recall low).
    clump = (0.05 * rng.normal(size=(400, 8))).astype(np.float32)
    precision, recall = precision_recall(real, clump, k=3)
    assert precision > 0.9 and recall < 0.1


def test_shift_augmentation_moves_content_and_fills_background():
    from plugins.imagekit.classifier_training import augment

    batch = torch.full((64, 1, 8, 8), -1.0)
    batch[:, :, 3:5, 3:5] = 1.0
    moved = augment(batch, flip=False, shift=2, generator=torch.Generator().manual_seed(0))
    assert moved.shape == batch.shape and torch.all(moved.sum((1, 2, 3)) == batch.sum((1, 2, 3)))  # nothing lost
    centres = {tuple(torch.nonzero(image[0] > 0).float().mean(0).tolist()) for image in moved}
    assert len(centres) > 10  # images moved by different amounts, at most 2 px each way
    assert all(2.5 - 2 <= y <= 4.5 + 2 and 2.5 - 2 <= x <= 4.5 + 2 for y, x in centres)
    assert torch.equal(augment(batch, flip=False, shift=0), batch)


def make_bands(classes: int, count: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """``count`` uint8 images per class: a bright band whose height says the class, on noise."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(classes), count)
    images = rng.integers(0, 40, (len(labels), 1, 28, 28)).astype(np.uint8)
    for i, label in enumerate(labels):
        images[i, 0, 4 + 8 * label:10 + 8 * label, 4:24] = 220
    return torch.from_numpy(images), torch.from_numpy(labels)


def test_classification_accuracy_score_end_to_end():
    from plugins.imagekit.cas import classification_accuracy_score
    from plugins.imagekit.data import ImageSet

    train = ImageSet(*make_bands(3, 40, seed=1), ("a", "b", "c"), None)
    test = ImageSet(*make_bands(3, 20, seed=2), ("a", "b", "c"), None)
    config = {"classes": ["a", "b", "c"], "size": 28, "channels": 1, "features": 16, "pooling": "flatten"}

    def faithful(seeds, label):  # a "model" that draws its label's band
        return make_bands(3, len(seeds), seed=seeds[0])[0][label * len(seeds):(label + 1) * len(seeds)]

    def collapsed(seeds, label):  # one that draws the first label's band whatever it is asked for
        return faithful(seeds, 0)

    good = classification_accuracy_score(faithful, train, test, config, samples=30, epochs=10)
    bad = classification_accuracy_score(collapsed, train, test, config, samples=30, epochs=10)
    assert good["cas_train_images"] == 30 and good["cas_real_accuracy"] == bad["cas_real_accuracy"] > 0.9  # seeded
    assert good["cas_ratio"] > 0.9 and bad["cas_ratio"] < 0.5  # one band for all labels teaches 1 class in 3


def garment(shift: int = 0) -> torch.Tensor:
    """A 28 px test picture, a dress-like trapezoid with stripes on black, moved ``shift`` px right."""
    image = torch.zeros(1, 1, 28, 28, dtype=torch.uint8)
    for row in range(4, 25):
        half = 3 + (row - 4) // 3
        image[0, 0, row, 14 - half:14 + half] = 200 if row % 4 else 120
    return torch.roll(image, shift, dims=3)


def relative_change(name: str, shift: int) -> float:
    from plugins.imagekit.classifier import load_classifier
    from plugins.imagekit.fid import extract_features

    network = load_classifier(name).network
    still, moved = (torch.from_numpy(extract_features(network, garment(s))) for s in (0, shift))
    return float((moved - still).norm() / still.norm())


def test_shift_net_features_barely_move_with_a_one_pixel_shift():
    """The point of the `shift` net: the same picture 1 px to the right has nearly the same
    features, where the default net (a dense layer over the 7x7 map) sees a different image."""
    shift_net, default_net = relative_change("shift", 1), relative_change("default", 1)
    assert shift_net < 0.15 and shift_net < default_net / 2
