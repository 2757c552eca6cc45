"""The rulers of `muse eval gan|vae`, each with the floor and ceiling that give it meaning.

A bare FID number says little; next to the train-vs-test FID (what a perfect model would score,
up to sampling noise) and the FID of per-pixel Gaussian noise (what knowing only pixel
statistics scores) it tells how far a model is from each end. FID on the default classifier's
features punishes a 1-pixel shift of real images 47x the floor, so the report adds rulers that
do not hinge on that net: FID and precision/recall on a shift-tolerant net, and the
Classification Accuracy Score (:mod:`.cas`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from collections.abc import Callable

import numpy as np
import torch

from engine import BadInput

from .cas import class_conditional_samples, classification_accuracy_score
from .data import ImageSet, conform, has_split, load_images
from .fid import extract_features, frechet_distance, gaussian_baseline
from .precision_recall import precision_recall


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


#: Renders uint8 ``(N, C, H, W)`` images for seeds: of one label, or each seed's own when None.
Renderer = Callable[[list[int], "int | None"], torch.Tensor]


def render_seeds(render: Renderer, seeds: list[int], batch: int = 500) -> torch.Tensor:
    """The images of ``seeds`` (each seed's own label), rendered ``batch`` at a time."""
    return torch.cat([render(seeds[start:start + batch], None) for start in range(0, len(seeds), batch)])


def features_of(loaded, images: torch.Tensor) -> np.ndarray:
    """A loaded classifier's features of uint8 images, resized/converted to its input shape first."""
    return extract_features(loaded.network, conform(ImageSet(images, None, (), Path()), loaded.size, loaded.channels).images)


def generator_report(component: str, data: Path | None, params: dict[str, Any], render: Renderer, *,
                     classes: int, checkpoint: str) -> dict[str, Any]:
    """Every ruler for a generator, each beside the score real training images get (the floor):

    - FID on the default classifier's features (the figure of earlier releases), its floor and
      its ceiling (per-pixel Gaussian noise);
    - FID, precision and recall (k = ``neighbours``) on the shift-tolerant net's features;
    - for class-conditional models, the share of samples drawn for a label that the default
      classifier gives that label (Shmelkov et al. 2018's "GAN-test"), and the Classification
      Accuracy Score with its ratio to real data (``cas_samples`` > 0).
    """
    from .classifier import load_classifier

    classifier = load_classifier(params["classifier"])
    shift_net = load_classifier(params["shift_classifier"])
    test, train = evaluation_splits(data, classifier.size, classifier.channels, component)
    count = min(params["samples"], len(test), len(train))
    made = render_seeds(render, list(range(params["seed"], params["seed"] + count)))

    real = extract_features(classifier.network, test.images[:count])
    floor = frechet_distance(extract_features(classifier.network, train.images[:count]), real)
    noise = gaussian_baseline(train.images, count, params["seed"])
    ceiling = frechet_distance(extract_features(classifier.network, noise), real)
    generated = features_of(classifier, made)
    fid = frechet_distance(generated, real)
    report: dict[str, Any] = {
        "fid": fid,
        "fid_floor_train_vs_test": floor,
        "fid_ceiling_pixel_gaussian": ceiling,
        "fid_over_floor": fid / floor if floor > 0 else float("inf"),
        "within_class_spread": within_class_spread(classifier.network, generated, real),
        "samples": count,
    }

    real_s, train_s, made_s = (features_of(shift_net, images) for images in (test.images[:count], train.images[:count], made))
    shift_fid, shift_floor = frechet_distance(made_s, real_s), frechet_distance(train_s, real_s)
    precision, recall = precision_recall(real_s, made_s, params["neighbours"])
    precision_floor, recall_floor = precision_recall(real_s, train_s, params["neighbours"])
    report.update({
        "fid_shift": shift_fid,
        "fid_shift_floor_train_vs_test": shift_floor,
        "fid_shift_over_floor": shift_fid / shift_floor if shift_floor > 0 else float("inf"),
        "precision": precision,
        "recall": recall,
        "precision_floor_train_vs_test": precision_floor,
        "recall_floor_train_vs_test": recall_floor,
    })

    if classes:  # how often the real-data classifier sees the class a sample was drawn for ("GAN-test")
        asked = class_conditional_samples(render, classes, max(1, count // classes), params["seed"] + 1_000_000,
                                          classifier.size, classifier.channels)
        report["samples_classified_as_asked"] = accuracy(classifier.network, ImageSet(*asked, (), Path()))

    if params["cas_samples"] and classes:
        config = {"classes": [str(i) for i in range(classes)], "size": classifier.size, "channels": classifier.channels,
                  "features": classifier.network.head.in_features, "pooling": "flatten"}
        report.update(classification_accuracy_score(render, train, test, config,
                                                    samples=params["cas_samples"], epochs=params["cas_epochs"],
                                                    seed=params["seed"]))

    score = accuracy(classifier.network, test)
    if score is not None:
        report["classifier_test_accuracy"] = score
    report["checkpoint"] = checkpoint[:16]
    report["classifier_checkpoint"] = classifier.sha256[:16]
    report["shift_classifier_checkpoint"] = shift_net.sha256[:16]
    return report
