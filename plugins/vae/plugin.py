"""The `vae` generator (samples, sheets, walks between seeds or images) and the
`vae-reconstruct` stylizer (an image through the encoder and back).

torch is imported inside methods so `muse --help` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine import Generator, Image, Param, ParamError, Stylizer, hookimpl
from engine.training_params import common_train_params

from plugins.imagekit.params import CONDITIONAL, FID, SHAPE

WEIGHTS = Path(__file__).parent / "weights"

MODEL = Param("model", str, "default", "shipped checkpoint name or a .safetensors path from `muse train vae`")
LABEL = Param("label", str, None, "class by name (dress, sneaker, top...) or index; default: each seed picks one "
                                  "(for images: the class the model finds most likely)")


def _load(value: str, component: str):
    from engine.io import shipped_model

    from .sampler import load_vae

    return load_vae(shipped_model(value, WEIGHTS, component))


def _check_label(value: str | None, model: str, component: str) -> None:
    """A label the checkpoint's classes lack is refused from its header, before torch loads."""
    from engine.io import shipped_model
    from plugins.imagekit.labels import checkpoint_classes, resolve_label

    resolve_label(value, checkpoint_classes(shipped_model(model, WEIGHTS, component)), component)


def _read_picture(path: Path, size: int, channels: int):
    """An image file as a ``(1, C, H, W)`` uint8 tensor at the model's size."""
    import torch
    from PIL import Image as PILImage, UnidentifiedImageError

    from engine import BadInput
    from plugins.imagekit.data import fit_picture

    try:
        with PILImage.open(path) as picture:
            array = fit_picture(picture, size, channels)
    except FileNotFoundError:
        raise BadInput(f"{path}: no such image file") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise BadInput(f"{path}: not a readable image ({error})") from None
    return torch.from_numpy(array).permute(2, 0, 1).unsqueeze(0).contiguous()


class VaeGenerator(Generator):
    name = "vae"
    description = "Convolutional VAE images (Fashion-MNIST by default): samples, sheets, walks between seeds or images"
    output = Image
    params = (
        MODEL,
        LABEL,
        Param("temperature", float, 1.0, "scale of the latent draw: lower = more typical, blander", min=0.0, max=2.0),
        Param("grid", int, 0, "draw a GRIDxGRID contact sheet instead: cell j is the sample of seed+j", min=0, max=32),
        Param("interpolate", int, 0, "a latent walk of this many frames (seed to seed+1, or start to end image)", min=0, max=256),
        Param("start", Path, None, "image where the walk starts (encoded by the model)"),
        Param("end", Path, None, "image where the walk ends"),
        Param("animate", bool, True, "a walk as animation frames (GIF, WebP and PNG animate); false: the frames side by side as one strip"),
    )
    train_params = (
        *common_train_params(epochs=20, batch_size=64, lr=1e-3, checkpoint_every=1000, sample_every=1000),
        Param("latent", int, 16, "latent dimensions", min=2, max=1024),
        Param("width", int, 32, "channels of the first encoder block", min=8, max=512),
        Param("hidden", int, 256, "width of the fully connected layer on each side of the code", min=16, max=4096),
        Param("kl_warmup", int, 2000, "steps over which the KL weight rises from 0 to 1 (0 = no warm-up)", min=0),
        *SHAPE,
        CONDITIONAL,
    )
    eval_params = (
        MODEL,
        *FID,
        Param("temperature", float, 1.0, "latent scale of the generated images", min=0.0, max=2.0),
        Param("seed", int, 0, "first seed of the generated images (and of the ELBO noise)", min=0),
    )
    demo_params = [{"grid": 6}, {"label": "bag", "interpolate": 8}]

    def check(self, params: dict[str, Any]) -> None:
        if params["grid"] and params["interpolate"]:
            raise ParamError("vae: give grid or interpolate, not both")
        if (params["start"] is None) != (params["end"] is None):
            raise ParamError("vae: give both start and end images for a walk between images")
        if params["start"] is not None and not params["interpolate"]:
            raise ParamError("vae: start/end images need interpolate=N frames")
        if params["interpolate"] == 1:
            raise ParamError("vae: interpolate needs at least 2 frames")
        _check_label(params["label"], params["model"], self.name)

    def generate(self, params: dict[str, Any], seed: int) -> Image:
        from plugins.imagekit.labels import resolve_label
        from plugins.imagekit.sampling import layout, sample_sheet, to_hwc

        vae = _load(params["model"], self.name)
        label = resolve_label(params["label"], vae.classes, self.name)
        meta = {"checkpoint": vae.sha256}
        if params["interpolate"]:
            frames = self._walk(vae, params, seed, label)
            return layout(to_hwc(frames), animate=params["animate"], columns=len(frames), meta=meta)
        if params["grid"]:
            seeds = [seed + j for j in range(params["grid"] ** 2)]
            return sample_sheet(seeds, lambda s: vae.decode(*vae.seeds(s, label, params["temperature"])), params["grid"], meta)
        return Image(to_hwc(vae.decode(*vae.seeds([seed], label, params["temperature"])))[0], meta=meta)

    def _walk(self, vae, params: dict[str, Any], seed: int, label: int | None):
        """Frames along a slerp between two codes; the class condition blends linearly alongside."""
        import torch

        from plugins.imagekit.sampling import slerp

        steps = params["interpolate"]
        if params["start"] is not None:
            images = torch.cat([_read_picture(params[key], vae.size, vae.channels) for key in ("start", "end")])
            labels = torch.full((2,), label) if label is not None else vae.infer_labels(images.float().div(255))
            latents = vae.encode(images, labels)
        else:
            latents, labels = vae.seeds([seed, seed + 1], label, params["temperature"])
        path = slerp(latents[0], latents[1], steps)
        blend = torch.linspace(0.0, 1.0, steps).unsqueeze(1)
        soft = vae.soft(labels)
        return vae.decode(path, (1 - blend) * soft[0] + blend * soft[1])

    def train(self, job) -> dict[str, Any]:
        from .training import train

        return train(job)

    def evaluate(self, data: Path | None, params: dict[str, Any]) -> dict[str, Any]:
        from plugins.imagekit.evaluation import generator_report

        from .evaluation import likelihood_report

        vae = _load(params["model"], self.name)

        def render(seeds: list[int], label: int | None):
            return vae.decode(*vae.seeds(seeds, label, params["temperature"]))

        return {**likelihood_report(vae, data, params),
                **generator_report(self.name, data, params, render, classes=len(vae.classes), checkpoint=vae.sha256)}


class VaeReconstruct(Stylizer):
    name = "vae-reconstruct"
    description = "An image through the VAE and back: its nearest 'garment' in the model's eyes"
    input = Image
    output = Image
    params = (MODEL, LABEL)
    demo_inputs = ("gan",)

    def check(self, params: dict[str, Any]) -> None:
        _check_label(params["label"], params["model"], self.name)

    def stylize(self, work: Image, params: dict[str, Any], seed: int) -> Image:
        import torch

        from plugins.imagekit.data import conform, ImageSet
        from plugins.imagekit.labels import resolve_label
        from plugins.imagekit.sampling import to_hwc

        vae = _load(params["model"], self.name)
        pixels = torch.from_numpy(work.pixels).permute(2, 0, 1).unsqueeze(0)
        side = min(pixels.shape[-2:])
        top, left = (pixels.shape[-2] - side) // 2, (pixels.shape[-1] - side) // 2
        square = pixels[..., top:top + side, left:left + side]
        images = conform(ImageSet(square, None, (), Path()), vae.size, vae.channels).images
        label = resolve_label(params["label"], vae.classes, self.name)
        labels = torch.tensor([label]) if label is not None else vae.infer_labels(images.float().div(255))
        out = vae.decode(vae.encode(images, labels), labels)
        meta = {"checkpoint": vae.sha256}
        if vae.classes:
            meta["label"] = vae.classes[int(labels[0])]
        return Image(to_hwc(out)[0], meta=meta)


@hookimpl
def register_generators(register):
    register(VaeGenerator())


@hookimpl
def register_stylizers(register):
    register(VaeReconstruct())
