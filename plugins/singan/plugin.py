"""`singan`, `singan-harmonize` and `paint-to-image`: art from ONE painting (Shaham et al. 2019).

One trained pyramid serves three components: the generator makes new pictures with the
painting's structure and brushwork (any size: retargeting), the two stylizers push a picture
in from a coarse scale and let the finer scales repaint it. torch is imported inside methods so
`muse --help` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine import BadInput, Generator, Image, Param, ParamError, Stylizer, hookimpl
from engine.training_params import common_train_params

WEIGHTS = Path(__file__).parent / "weights"

MODEL = Param("model", str, "starry-night", "shipped model (starry-night, great-wave) or a .safetensors path "
              "from `muse train singan`")


def scales_of(model: str, component: str) -> int:
    """How many scales a model has, from its header only (cheap enough for ``check``)."""
    from engine.checkpoints import read_header, validate_config
    from engine.io import shipped_model

    from .sampler import CONFIG

    path = shipped_model(model, WEIGHTS, "singan")
    header = read_header(path)
    if header["model"] != "singan":
        raise BadInput(f"{path} is a {header['model']!r} checkpoint, not a 'singan' one")
    return int(validate_config(header["config"], CONFIG, path, component)["scales"])


def check_scale(value: int, model: str, component: str, least: int = 0) -> None:
    scales = scales_of(model, component)
    if not least <= value < scales:
        raise ParamError(f"{component}: scale_from={value} is outside {least}..{scales - 1} (this model has {scales} scales)")


class SinGanGenerator(Generator):
    name = "singan"
    description = "New pictures with one painting's structure and brushwork (SinGAN): any size, variations, walks"
    output = Image
    params = (
        MODEL,
        Param("width", int, 0, "output width in pixels (0 = the painting's); another aspect ratio retargets", min=0, max=1024),
        Param("height", int, 0, "output height in pixels (0 = the painting's)", min=0, max=1024),
        Param("scale_from", int, 0, "start from the painting at this scale (0 = a new picture from the coarsest "
              "scale up; higher = closer to the original, only finer detail varies)", min=0, max=29),
        Param("grid", int, 0, "draw a GRIDxGRID contact sheet instead: cell j is the sample of seed+j", min=0, max=8),
        Param("interpolate", int, 0, "a latent walk of this many frames (every scale's random input slerped from seed "
              "to seed+1)", min=0, max=256),
        Param("animate", bool, True, "a walk as animation frames (GIF, WebP and PNG animate); false: frames side by side"),
    )
    train_params = (
        *common_train_params(batch_size=1, lr=5e-4, checkpoint_every=100),
        Param("steps_per_scale", int, 300, "iterations per scale (the paper: 2000)", min=1, max=100_000),
        Param("coarse_steps", int, 2000, "iterations for each scale that fits in one window: the coarse scales, which "
              "set the composition and cost little (the paper: 2000; at least steps_per_scale)", min=1, max=100_000),
        Param("max_size", int, 128, "long side of the painting as learnt, in pixels (the paper: 250)", min=16, max=1024),
        Param("min_size", int, 12, "short side of the coarsest scale, in pixels: the scale that sets the composition; "
              "at most ~12 so nearly every pixel is within a generator's reach of a border (the paper: 25)",
              min=8, max=256),
        Param("channels", int, 32, "convolution width of every scale (the paper: 32, doubling every 4 scales)", min=4, max=128),
        Param("window", int, 64, "train each scale on a random window of at most this side (exact for the "
              "generator, an unbiased estimate for the patch critic; 1024 = whole images)", min=16, max=1024),
        Param("critic_steps", int, 2, "critic updates per iteration (the paper: 3)", min=1, max=10),
        Param("generator_steps", int, 2, "generator updates per iteration (the paper: 3)", min=1, max=10),
        Param("reconstruction", float, 10.0, "weight of the reconstruction loss (the paper's alpha)", min=0.0, max=1000.0),
    )
    eval_params = (
        MODEL,
        Param("samples", int, 16, "images per method (SIFID is their mean; diversity their mean pairwise distance)",
              min=2, max=500),
        Param("seed", int, 0, "first seed of the generated images and baselines", min=0),
        Param("crop", float, 0.75, "side of the random-crop baseline's crops, as a fraction of the painting's", min=0.1, max=1.0),
    )
    demo_params = [{"grid": 3}]

    def check(self, params: dict[str, Any]) -> None:
        if params["grid"] and params["interpolate"]:
            raise ParamError("singan: give grid or interpolate, not both")
        if params["interpolate"] == 1:
            raise ParamError("singan: interpolate needs at least 2 frames")
        for side in ("width", "height"):
            if 0 < params[side] < 16:
                raise ParamError(f"singan: {side}={params[side]} is too small; at least 16 pixels (or 0 = the painting's)")
        check_scale(params["scale_from"], params["model"], self.name)

    def generate(self, params: dict[str, Any], seed: int) -> Image:
        from .generate import generate

        return generate(params, seed, WEIGHTS)

    def train(self, job) -> dict[str, Any]:
        from .training import train

        return train(job)

    def evaluate(self, data: Path | None, params: dict[str, Any]) -> dict[str, Any]:
        from .evaluation import evaluate

        return evaluate(params, WEIGHTS)


class SinGanHarmonizer(Stylizer):
    name = "singan-harmonize"
    description = "An object pasted into the painting is repainted with its brushwork (SinGAN harmonisation)"
    params = (
        MODEL,
        Param("scale_from", int, 2, "scale the picture enters at: lower repaints more of it, higher keeps more", min=1, max=29),
        Param("mask", Path, None, "black-and-white image: white = the pasted object (default: where the picture "
              "differs from the painting, or all of it when its shape differs)"),
    )
    #: Not in `muse demo`: it needs a picture with something pasted in (docs/singan.md shows one).
    demo_params = ()

    def check(self, params: dict[str, Any]) -> None:
        check_scale(params["scale_from"], params["model"], self.name, least=1)

    def stylize(self, work: Image, params: dict[str, Any], seed: int) -> Image:
        from .stylize import harmonize

        return harmonize(work, params, seed, WEIGHTS)


class PaintToImage(Stylizer):
    name = "paint-to-image"
    description = "A rough colour sketch becomes a painting in the style of a SinGAN model (paint-to-image)"
    params = (
        MODEL,
        Param("scale_from", int, 3, "scale the sketch enters at: lower invents more, higher follows the sketch (the "
              "shipped models' scale 3 is about 27 px on the short side)", min=1, max=29),
        Param("palette", int, 8, "snap the sketch to this many of the painting's colours first (0 = keep its own)",
              min=0, max=64),
    )
    #: Not in `muse demo`: it needs a sketch (docs/singan.md shows one).
    demo_params = ()

    def check(self, params: dict[str, Any]) -> None:
        check_scale(params["scale_from"], params["model"], self.name, least=1)

    def stylize(self, work: Image, params: dict[str, Any], seed: int) -> Image:
        from .stylize import paint_to_image

        return paint_to_image(work, params, seed, WEIGHTS)


@hookimpl
def register_generators(register):
    register(SinGanGenerator())


@hookimpl
def register_stylizers(register):
    register(SinGanHarmonizer())
    register(PaintToImage())
