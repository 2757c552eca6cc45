"""`muse generate singan`: one picture, a contact sheet of seeds, or a walk between two seeds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from engine import Image
from engine.io import shipped_model

from plugins.imagekit.sampling import layout, slerp, tile, to_hwc

from .gpnn import MIN_SIZE, gpnn_at
from .sampler import LoadedSinGAN, load_singan, noise_maps, to_uint8


def output_size(model: LoadedSinGAN, params: dict[str, Any]) -> tuple[int, int]:
    """``(height, width)`` asked for; a side left at 0 is the painting's."""
    height, width = model.size
    return params["height"] or height, params["width"] or width


def layout_scales(learnt: list[tuple[int, int]]) -> int:
    """How many coarse scales GPNN lays out in a retargeted picture: up to the first scale whose
    short side, as learnt from the painting, reaches GPNN's own coarsest size (the scales below
    it saw the painting whole and learnt its one composition)."""
    return next((index + 1 for index, size in enumerate(learnt) if min(size) >= MIN_SIZE), len(learnt))


def picture(model: LoadedSinGAN, noises: list[torch.Tensor], scale_from: int, seed: int) -> torch.Tensor:
    """uint8 ``(1, 3, H, W)``: from noise, or from the painting at ``scale_from`` (stretched to
    the output's shape when it has another).

    A new picture of another shape than the painting's is laid out by GPNN (patch nearest
    neighbours) up to about 25 px and painted by the GAN from there. The coarsest generators
    learnt the painting's one composition over a receptive field as wide as their scale, so
    from noise at another width they smear it into horizontal bands; GPNN rearranges whole
    patches of the painting instead (docs/singan.md#retargeting measures both).
    """
    sizes = [tuple(noise.shape[-2:]) for noise in noises]
    if scale_from == 0 and sizes[-1] != model.size:
        start = layout_scales(model.sizes(*model.size))
        return to_uint8(model.synthesise(noises, start, gpnn_at(model.painting(), sizes[start - 1], seed)))
    return to_uint8(model.synthesise(noises, scale_from, model.painting() if scale_from else None))


def walk(seed: int, sizes: list[tuple[int, int]], frames: int) -> list[list[torch.Tensor]]:
    """Noise maps of ``frames`` points on the great circle from seed's maps to seed+1's, per scale."""
    start, end = noise_maps(seed, sizes), noise_maps(seed + 1, sizes)
    paths = [slerp(a.flatten(), b.flatten(), frames).view(frames, *a.shape) for a, b in zip(start, end)]
    return [[path[index] for path in paths] for index in range(frames)]


def generate(params: dict[str, Any], seed: int, weights: Path) -> Image:
    from engine.training import configure_threads

    configure_threads()
    model = load_singan(shipped_model(params["model"], weights, "singan"))
    sizes = model.sizes(*output_size(model, params))
    meta = {"checkpoint": model.sha256}
    start = params["scale_from"]
    if params["interpolate"]:
        frames = torch.cat([picture(model, noises, start, seed) for noises in walk(seed, sizes, params["interpolate"])])
        return layout(to_hwc(frames), animate=params["animate"], columns=len(frames), meta=meta)
    if params["grid"]:
        cells = [picture(model, noise_maps(seed + j, sizes), start, seed + j) for j in range(params["grid"] ** 2)]
        return Image(tile(to_hwc(torch.cat(cells)), params["grid"]), meta=meta)
    return Image(to_hwc(picture(model, noise_maps(seed, sizes), start, seed))[0], meta=meta)
