"""Registers `classifier`: the small image classifier behind the GAN/VAE FID scores.

torch is imported inside methods so `muse --help` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine import Image, Param, Stylizer, Text, hookimpl
from engine.training_params import common_train_params

from plugins.imagekit.params import CLASSIFIER_RECIPE, SHAPE

MODEL = Param("model", str, "default", "shipped checkpoint name or a .safetensors path from `muse train classifier`")


class ImageClassifier(Stylizer):
    name = "classifier"
    description = "Name what an image shows (Fashion-MNIST classes by default); the FID feature network"
    input = Image
    output = Text
    params = (MODEL, Param("top", int, 3, "how many classes to list, most likely first", min=1, max=100))
    demo_inputs = ("gan",)
    train_params = (
        *common_train_params(epochs=CLASSIFIER_RECIPE["epochs"], batch_size=CLASSIFIER_RECIPE["batch_size"],
                             lr=CLASSIFIER_RECIPE["lr"], checkpoint_every=500),
        Param("features", int, 128, "width of the penultimate layer (the FID feature size)", min=8, max=2048),
        Param("pooling", str, "flatten", "flatten: a dense layer reads the whole map (knows where); "
                                         "average: global average pooling (shift-tolerant features)", choices=("flatten", "average")),
        *SHAPE,
        Param("flip", bool, CLASSIFIER_RECIPE["flip"], "mirror half of each batch (augmentation)"),
        Param("shift", int, CLASSIFIER_RECIPE["shift"], "move each image by up to this many pixels each way (augmentation)",
              min=0, max=8),
    )
    eval_params = (MODEL,)

    def stylize(self, work: Image, params: dict[str, Any], seed: int) -> Text:
        from .classifier_component import classify

        return classify(work, params)

    def train(self, job) -> dict[str, Any]:
        from .classifier_component import train

        return train(job)

    def evaluate(self, data: Path | None, params: dict[str, Any]) -> dict[str, Any]:
        from .classifier_component import evaluate

        return evaluate(data, params)


@hookimpl
def register_stylizers(register):
    register(ImageClassifier())
