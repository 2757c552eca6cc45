"""The `gan` generator: samples, contact sheets and latent walks from a conditional DCGAN.

torch is imported inside methods so `muse --help` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine import Generator, Image, Param, ParamError, hookimpl
from engine.training_params import common_train_params

from plugins.imagekit.params import CONDITIONAL, FID, SHAPE

WEIGHTS = Path(__file__).parent / "weights"

CLASS_CHECK = Param("class_check", int, 8, "candidate latents per image: the first whose image the critic's class head sees as "
                                           "the label is drawn (1 = off; checkpoints trained without classifier_weight have no "
                                           "such critic and draw plain samples)", min=1, max=64)
MODEL = Param("model", str, "default", "shipped checkpoint name (default: ADC critic, class-checked, the best FID, recall and CAS; "
                                       "precise: the most precise, a third of the variety) or a .safetensors path from `muse train gan`")


class GanGenerator(Generator):
    name = "gan"
    description = "Class-conditional DCGAN images (Fashion-MNIST by default): samples, sheets, latent walks"
    output = Image
    params = (
        MODEL,
        Param("label", str, None, "class to draw, by name (dress, sneaker, top...) or index; default: each seed picks one"),
        Param("truncation", float, 1.0, "scale the latent toward its mean: lower = more typical, less varied", min=0.0, max=2.0),
        CLASS_CHECK,
        Param("grid", int, 0, "draw a GRIDxGRID contact sheet instead: cell j is the sample of seed+j", min=0, max=32),
        Param("interpolate", int, 0, "a latent walk of this many frames (slerp from seed to seed+1)", min=0, max=256),
        Param("animate", bool, True, "a walk as animation frames (GIF, WebP and PNG animate); false: the frames side by side as one strip"),
    )
    train_params = (
        *common_train_params(epochs=8, batch_size=64, lr=2e-4, checkpoint_every=500, sample_every=500),
        Param("latent", int, 64, "latent dimensions", min=2, max=1024),
        Param("width", int, 32, "channels of the last generator block / first critic block", min=8, max=512),
        Param("mode_seeking", float, 0.0, "weight of a term that keeps samples of one label apart (0 = off; docs/models.md#gan measures 1)", min=0.0, max=100.0),
        Param("classifier_weight", float, 0.0, "weight of a class head in the critic that tells real from generated images of "
                                               "each class (ADC-GAN; 0 = off; docs/models.md#gan measures 1)", min=0.0, max=100.0),
        Param("critic_depth", int, 2, "critic convolutions per resolution: 1 = DCGAN, 2 = SNGAN's standard CNN", min=1, max=3),
        *SHAPE,
        CONDITIONAL,
    )
    eval_params = (
        MODEL,
        *FID,
        Param("truncation", float, 1.0, "latent scale of the generated images", min=0.0, max=2.0),
        CLASS_CHECK,
        Param("seed", int, 0, "first seed of the generated images", min=0),
    )
    demo_params = [{"grid": 6}, {"label": "sneaker", "interpolate": 8}]

    def _model(self, value: str):
        from engine.io import shipped_model

        from .sampler import load_gan

        return load_gan(shipped_model(value, WEIGHTS, self.name))

    def check(self, params: dict[str, Any]) -> None:
        from engine.io import shipped_model
        from plugins.imagekit.labels import checkpoint_classes, resolve_label

        if params["grid"] and params["interpolate"]:
            raise ParamError("gan: give grid or interpolate, not both")
        if params["interpolate"] == 1:
            raise ParamError("gan: interpolate needs at least 2 frames")
        resolve_label(params["label"], checkpoint_classes(shipped_model(params["model"], WEIGHTS, self.name)), self.name)

    def generate(self, params: dict[str, Any], seed: int) -> Image:
        from plugins.imagekit.labels import resolve_label
        from plugins.imagekit.sampling import sample_sheet, layout, slerp, to_hwc

        gan = self._model(params["model"])
        label = resolve_label(params["label"], gan.classes, self.name)
        meta = {"checkpoint": gan.sha256}
        if params["interpolate"]:
            latents, labels = gan.seeds([seed, seed + 1], label, params["truncation"], params["class_check"])
            path = slerp(latents[0], latents[1], params["interpolate"])
            frames = gan.render(path, labels[:1].expand(len(path)))
            return layout(to_hwc(frames), animate=params["animate"], columns=len(path), meta=meta)
        if params["grid"]:
            seeds = [seed + j for j in range(params["grid"] ** 2)]
            return sample_sheet(seeds, lambda s: gan.draw(s, label, params["truncation"], params["class_check"]), params["grid"], meta)
        pixels = gan.draw([seed], label, params["truncation"], params["class_check"])
        return Image(to_hwc(pixels)[0], meta=meta)

    def train(self, job) -> dict[str, Any]:
        from .training import train

        return train(job)

    def evaluate(self, data: Path | None, params: dict[str, Any]) -> dict[str, Any]:
        from plugins.imagekit.evaluation import generator_report

        gan = self._model(params["model"])

        def render(seeds: list[int], label: int | None):
            return gan.draw(seeds, label, params["truncation"], params["class_check"])

        return generator_report(self.name, data, params, render, classes=len(gan.classes), checkpoint=gan.sha256)


@hookimpl
def register_generators(register):
    register(GanGenerator())
