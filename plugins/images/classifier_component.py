"""The `classifier` stylizer: the FID feature network as a component you can train, score and use.

`muse train classifier --data fashion-mnist/` makes the checkpoint that `muse eval gan|vae`
reads features from; `muse stylize classifier shirt.png -o label.txt` names what it sees.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from engine import BadInput, Image, Text, TrainJob
from engine.training import Trainer, shuffled_batches

from plugins.imagekit.classifier import build_classifier, load_classifier
from plugins.imagekit.classifier_training import classifier_step
from plugins.imagekit.data import ImageSet, conform, to_unit
from plugins.imagekit.evaluation import accuracy, evaluation_splits
from plugins.imagekit.training import training_data


def train(job: TrainJob) -> dict[str, Any]:
    params = job.params
    size, channels, batch_size = params["size"], params["channels"], params["batch_size"]
    data, fingerprint = training_data(job, size, channels, batch_size)
    if data.labels is None:
        raise BadInput(f"{job.data}: the classifier needs labels (an IDX labels file, or one sub-folder per class)")
    config = {"classes": list(data.classes), "size": size, "channels": channels, "features": params["features"],
              "pooling": params["pooling"]}
    network = build_classifier(config)
    optimizer = torch.optim.Adam(network.parameters(), params["lr"])
    steps_per_epoch = len(data) // batch_size
    images = to_unit(data.images)
    trainer = Trainer(job, model="classifier", config=config, modules={"classifier": network},
                      optimizers={"classifier": optimizer}, steps_per_epoch=steps_per_epoch,
                      data_fingerprint=fingerprint)

    def step(index: torch.Tensor) -> dict[str, float]:  # augmentation draws from the global RNG: resumable
        return classifier_step(network, optimizer, images[index], data.labels[index], params["flip"], params["shift"])

    result = trainer.fit(lambda epoch: shuffled_batches(len(data), batch_size, job.seed, epoch), step)
    return {**result, "classes": len(data.classes), "images": len(data)}


def evaluate(data: Path | None, params: dict[str, Any]) -> dict[str, Any]:
    loaded = load_classifier(params["model"])
    test, _ = evaluation_splits(data, loaded.size, loaded.channels, "classifier")
    score = accuracy(loaded.network, test)
    if score is None:
        raise BadInput(f"{data}: no labels matching this classifier's {len(loaded.classes)} classes")
    return {"test_accuracy": score, "test_images": len(test), "checkpoint": loaded.sha256[:16]}


@torch.no_grad()
def classify(work: Image, params: dict[str, Any]) -> Text:
    loaded = load_classifier(params["model"])
    pixels = torch.from_numpy(work.pixels).permute(2, 0, 1).unsqueeze(0)
    side = min(pixels.shape[-2:])
    top, left = (pixels.shape[-2] - side) // 2, (pixels.shape[-1] - side) // 2
    images = conform(ImageSet(pixels[..., top:top + side, left:left + side].contiguous(), None, (), Path()),
                     loaded.size, loaded.channels).images
    probabilities = torch.softmax(loaded.network(to_unit(images)), 1)[0]
    ranked = probabilities.argsort(descending=True)[:params["top"]]
    lines = [f"{loaded.classes[int(i)]}\t{float(probabilities[i]):.3f}" for i in ranked]
    return Text(lines=lines, meta={"checkpoint": loaded.sha256})
