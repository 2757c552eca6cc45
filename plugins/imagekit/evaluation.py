"""FID on the project's own classifier features, with the floor and ceiling that give it meaning.

A bare FID number says little; next to the train-vs-test FID (what a perfect model would score,
up to sampling noise) and the FID of per-pixel Gaussian noise (what knowing only pixel
statistics scores) it tells how far a model is from each end.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from collections.abc import Callable

import numpy as np
import torch

from engine import BadInput

from .data import ImageSet, conform, has_split, load_images
from .fid import extract_features, frechet_distance, gaussian_baseline


def evaluation_splits(data: Path | None, size: int, channels: int, component: str) -> tuple[ImageSet, ImageSet]:
    """(test, train) at the given shape: the IDX splits, or two fixed halves of anything else."""
    if data is None:
        raise BadInput(f"`muse eval {component}` needs --data PATH (the folder with the test split, e.g. fashion-mnist/)")
    if has_split(data, "test") and has_split(data, "train"):
        return load_images(data, "test", size, channels), load_images(data, "train", size, channels)
    everything = load_images(data, "test", size, channels)
    order = torch.randperm(len(everything), generator=torch.Generator().manual_seed(0))
    half = len(order) // 2
    def pick(rows: torch.Tensor) -> ImageSet:
        return ImageSet(everything.images[rows], None if everything.labels is None else everything.labels[rows],
                        everything.classes, everything.source)

    return pick(order[half:]), pick(order[:half])


@torch.no_grad()
def accuracy(classifier: torch.nn.Module, data: ImageSet) -> float | None:
    if data.labels is None:
        return None
    classifier.eval()
    correct = 0
    for start in range(0, len(data), 1000):
        logits = classifier(data.images[start:start + 1000].float().div(127.5).sub(1.0))
        if logits.shape[1] <= int(data.labels.max()):
            return None  # a classifier for other classes
        correct += int((logits.argmax(1) == data.labels[start:start + 1000]).sum())
    return correct / len(data)


@torch.no_grad()
def within_class_spread(classifier: torch.nn.Module, made: np.ndarray, real: np.ndarray, least: int = 20) -> float | None:
    """How varied the samples of each class are, as a fraction of the real images' variety.

    Images are grouped by the class the classifier sees in them; per class, the ratio of the
    feature standard deviations (root of the covariance traces), averaged over classes with at
    least ``least`` images on both sides. 1.0 is as varied as the data; well below 1 is a model
    drawing near-copies (mode collapse), which FID only reports mixed in with everything else.
    """
    def seen_class(features: np.ndarray) -> np.ndarray:
        return classifier.head(torch.from_numpy(features)).argmax(1).numpy()

    made_class, real_class = seen_class(made), seen_class(real)
    ratios = []
    for label in np.unique(real_class):
        a, b = made[made_class == label], real[real_class == label]
        if len(a) >= least and len(b) >= least:
            ratios.append(np.sqrt(a.var(0).sum() / max(b.var(0).sum(), 1e-12)))
    return float(np.mean(ratios)) if ratios else None


def fid_report(component: str, data: Path | None, params: dict[str, Any],
               render: Callable[[list[int]], torch.Tensor], checkpoint: str) -> dict[str, Any]:
    """FID of ``render(seeds)`` images vs the test split, with floor, ceiling and their ratio."""
    from .classifier import load_classifier

    classifier = load_classifier(params["classifier"])
    test, train = evaluation_splits(data, classifier.size, classifier.channels, component)
    count = min(params["samples"], len(test), len(train))
    real = extract_features(classifier.network, test.images[:count])
    floor = frechet_distance(extract_features(classifier.network, train.images[:count]), real)
    noise = gaussian_baseline(train.images, count, params["seed"])
    ceiling = frechet_distance(extract_features(classifier.network, noise), real)
    made = []
    for start in range(0, count, 500):
        seeds = list(range(params["seed"] + start, params["seed"] + min(start + 500, count)))
        batch = render(seeds)
        made.append(conform(ImageSet(batch, None, (), Path()), classifier.size, classifier.channels).images)
    generated = extract_features(classifier.network, torch.cat(made))
    fid = frechet_distance(generated, real)
    report: dict[str, Any] = {
        "fid": fid,
        "fid_floor_train_vs_test": floor,
        "fid_ceiling_pixel_gaussian": ceiling,
        "fid_over_floor": fid / floor if floor > 0 else float("inf"),
        "within_class_spread": within_class_spread(classifier.network, generated, real),
        "samples": count,
    }
    score = accuracy(classifier.network, test)
    if score is not None:
        report["classifier_test_accuracy"] = score
    report["checkpoint"] = checkpoint[:16]
    report["classifier_checkpoint"] = classifier.sha256[:16]
    return report
