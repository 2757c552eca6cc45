"""The two stylizers a SinGAN gives (Shaham et al., section 4): harmonisation and paint-to-image.

Both push the user's picture into the pyramid at a coarse scale instead of noise: the layout
and colours below that scale are the picture's, everything above is repainted by generators
that only know the painting's patches. Harmonisation then keeps the picture outside the pasted
object; paint-to-image first snaps the sketch to the painting's own colours (the paper's colour
quantisation), so a generator never meets a colour it has no brush strokes for.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from engine import BadInput, Image
from engine.io import shipped_model

from plugins.imagekit.pictures import load_picture, to_tensor
from plugins.imagekit.sampling import to_hwc

from .data import resize
from .sampler import LoadedSinGAN, load_singan, noise_maps, to_uint8

#: A pixel whose colour differs from the painting's by more than this (0..1, mean over RGB)
#: belongs to the pasted object when no mask is given.
PASTED = 0.12


def picture_at_model_scale(work: Image, model: LoadedSinGAN) -> torch.Tensor:
    """The work in [-1, 1], resized so its long side is the painting's (the scale the model's
    patches live at), keeping its own aspect ratio."""
    rgb = to_tensor(np.asarray(work.to_pil().convert("RGB"), dtype=np.uint8))
    height, width = rgb.shape[-2:]
    long_side = max(model.size)
    scale = long_side / max(height, width)
    size = (max(16, round(height * scale)), max(16, round(width * scale)))
    return resize(rgb, size) * 2.0 - 1.0


def repaint(model: LoadedSinGAN, picture: torch.Tensor, scale_from: int, seed: int) -> torch.Tensor:
    sizes = model.sizes(*picture.shape[-2:])
    return model.synthesise(noise_maps(seed, sizes), scale_from, picture)


def object_mask(picture: torch.Tensor, model: LoadedSinGAN, mask: Path | None) -> torch.Tensor:
    """(1, 1, H, W) in 0..1: the user's mask, or the pixels that differ from the painting (grown
    by 2 px and softened), or everything when the picture is not the painting's shape."""
    size = picture.shape[-2:]
    if mask is not None:
        grey = load_picture(mask, max(size), kind="mask image").mean(1, keepdim=True)
        return F.interpolate(grey, size=size, mode="bilinear", align_corners=False)
    painting = model.painting()
    if abs(size[0] / size[1] - painting.shape[-2] / painting.shape[-1]) > 0.02:
        return torch.ones(1, 1, *size)
    difference = (picture - resize(painting, size)).abs().mean(1, keepdim=True) / 2
    hard = F.max_pool2d((difference > PASTED).float(), 5, stride=1, padding=2)
    return F.avg_pool2d(hard, 3, stride=1, padding=1)


def harmonize(work: Image, params: dict[str, Any], seed: int, weights: Path) -> Image:
    model = load_singan(shipped_model(params["model"], weights, "singan"))
    picture = picture_at_model_scale(work, model)
    mask = object_mask(picture, model, params["mask"])
    if float(mask.max()) == 0.0:
        raise BadInput("singan-harmonize: the picture is the painting itself, with nothing pasted in; paste an "
                       "object into it, or give mask=")
    blended = mask * repaint(model, picture, params["scale_from"], seed) + (1 - mask) * picture
    return Image(to_hwc(to_uint8(blended))[0], meta={"checkpoint": model.sha256})


def palette(painting: torch.Tensor, colours: int, rounds: int = 10) -> torch.Tensor:
    """``colours`` RGB centres of the painting's pixels by k-means, started from evenly spaced
    ranks of brightness (deterministic, no seed needed)."""
    pixels = painting.flatten(2)[0].T
    order = pixels.sum(1).argsort()
    centres = pixels[order[torch.linspace(0, len(order) - 1, colours).long()]].clone()
    for _ in range(rounds):
        nearest = torch.cdist(pixels, centres).argmin(1)
        for index in range(colours):
            members = pixels[nearest == index]
            if len(members):
                centres[index] = members.mean(0)
    return centres


def quantise(picture: torch.Tensor, centres: torch.Tensor) -> torch.Tensor:
    """Every pixel replaced by its nearest centre."""
    pixels = picture.flatten(2)[0].T
    nearest = torch.cdist(pixels, centres).argmin(1)
    return centres[nearest].T.reshape(picture.shape)


def paint_to_image(work: Image, params: dict[str, Any], seed: int, weights: Path) -> Image:
    model = load_singan(shipped_model(params["model"], weights, "singan"))
    sketch = picture_at_model_scale(work, model)
    if params["palette"]:
        sketch = quantise(sketch, palette(model.painting(), params["palette"]))
    return Image(to_hwc(to_uint8(repaint(model, sketch, params["scale_from"], seed)))[0], meta={"checkpoint": model.sha256})
