"""Classification Accuracy Score (Ravuri & Vinyals 2019): can a classifier learn the real test
set from a generative model's samples alone?

A classifier of the shipped architecture is trained, with the shipped budget, on images the
model draws for each class (an equal share per label), and tested on the real test split; the
same classifier trained on as many real training images, in the same run, gives the accuracy to
compare with. The ratio is the score's meaning: 1.0 is "the samples teach as much as the data".
Unlike FID it rewards samples that carry each class's variety and punishes ones that are
realistic but all alike or of the wrong class, and it does not hinge on one feature net.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from collections.abc import Callable

import torch

from engine import BadInput

from .classifier_training import fit_classifier
from .data import ImageSet, conform
from .params import CLASSIFIER_RECIPE

#: Renders uint8 ``(N, C, H, W)`` images of one label for a list of seeds.
ClassRenderer = Callable[[list[int], int], torch.Tensor]


def class_conditional_samples(render: ClassRenderer, classes: int, per_class: int, seed: int, size: int,
                              channels: int, batch: int = 500) -> tuple[torch.Tensor, torch.Tensor]:
    """``per_class`` images of each label (at the classifier's shape) and their labels; image i of
    label j comes from seed ``seed + j + classes * i``."""
    images, labels = [], []
    for label in range(classes):
        seeds = [seed + label + classes * i for i in range(per_class)]
        for start in range(0, per_class, batch):
            images.append(render(seeds[start:start + batch], label))
        labels.append(torch.full((per_class,), label, dtype=torch.int64))
    made = conform(ImageSet(torch.cat(images), None, (), Path()), size, channels)
    return made.images, torch.cat(labels)


def real_subset(images: torch.Tensor, labels: torch.Tensor, count: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """``count`` training images and labels drawn by a fixed shuffle (all of them when fewer)."""
    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(seed))[:count]
    return images[order], labels[order]


def classification_accuracy_score(render: ClassRenderer, train: ImageSet, test: ImageSet, config: dict[str, Any], *,
                                  samples: int, epochs: int, seed: int = 0) -> dict[str, Any]:
    """CAS of ``render``'s samples against the real ``test`` split, beside the same classifier
    (``config``'s shape, the shipped recipe with ``epochs``) trained on real ``train`` images."""
    from .evaluation import accuracy

    if train.labels is None or test.labels is None:
        raise BadInput(f"{test.source}: the Classification Accuracy Score needs labelled data (pass -p cas_samples=0 to skip it)")
    classes = len(config["classes"])
    per_class = max(1, samples // classes)
    made_images, made_labels = class_conditional_samples(render, classes, per_class, seed, config["size"], config["channels"])
    real_images, real_labels = real_subset(train.images, train.labels, len(made_images), seed)
    recipe = {**CLASSIFIER_RECIPE, "epochs": epochs}
    on_samples = fit_classifier(made_images, made_labels, config, seed=seed, **recipe)
    on_real = fit_classifier(real_images, real_labels, config, seed=seed, **recipe)
    score, baseline = accuracy(on_samples, test), accuracy(on_real, test)
    if score is None or baseline is None:
        raise BadInput(f"{test.source}: its labels do not match the model's {classes} classes")
    return {"cas_accuracy": score, "cas_real_accuracy": baseline,
            "cas_ratio": score / baseline if baseline > 0 else float("nan"),
            "cas_train_images": len(made_images), "cas_epochs": epochs}
