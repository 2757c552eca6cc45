"""GPNN (Granot et al., CVPR 2022), the baseline a single-image GAN must beat: no training, only
patch nearest neighbours, coarse to fine.

The coarsest scale starts as the painting shrunk plus strong noise; at each scale every 7x7
patch of the current image is replaced by the painting's patch whose (blurred) version is
nearest, and overlapping patches are averaged. The distance is normalised by how well each
painting patch is already used (``alpha``): a patch many queries want costs more, which spreads
the output over the whole painting (GPNN's "completeness"). Distances are computed in chunks
as ``|q|^2 + |k|^2 - 2 q.k`` so the full query-by-key matrix is never held in memory.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from .data import plan_scales, resize
from .model import scale_sizes, upsample

PATCH = 7
#: Short side of the coarsest scale of GPNN's own pyramid (SinGAN's and GPNN's papers). From a
#: much smaller start the nearest-neighbour search rebuilds the painting exactly.
MIN_SIZE = 25
ALPHA = 0.005
NOISE = 0.75
CHUNK = 2048
#: Refinements per scale; the paper's 10 cost 45 s a picture here and change little after 3.
ITERATIONS = 3


def patches(image: torch.Tensor) -> torch.Tensor:
    """Every PATCH x PATCH patch (stride 1) of a (1, 3, H, W) image as rows."""
    return F.unfold(image, PATCH)[0].T.contiguous()


def fold(rows: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Patches back into an image, averaging where they overlap."""
    summed = F.fold(rows.T[None], size, PATCH)
    count = F.fold(torch.ones_like(rows).T[None], size, PATCH)
    return summed / count


def nearest_patches(queries: torch.Tensor, keys: torch.Tensor, alpha: float) -> torch.Tensor:
    """Index of each query's key, by distance over (alpha + the key's distance to its nearest query).

    ``|q - k|^2 = |q|^2 + |k|^2 - 2 q.k``; the key's own ``|k|^2`` is added after the minimum over
    queries, and each pass is one ``addmm`` and one reduction (the matrices are memory-bound)."""
    query_norms = queries.square().sum(1, keepdim=True)
    key_norms = keys.square().sum(1)
    closest = torch.full((len(keys),), float("inf"))
    for start in range(0, len(queries), CHUNK):
        block = torch.addmm(query_norms[start:start + CHUNK], queries[start:start + CHUNK], keys.T, alpha=-2)
        closest = torch.minimum(closest, block.amin(0))
    weight = 1.0 / (alpha + (closest + key_norms).clamp_min(0))
    chosen = []
    for start in range(0, len(queries), CHUNK):
        block = torch.addmm(query_norms[start:start + CHUNK] + key_norms[None], queries[start:start + CHUNK], keys.T, alpha=-2)
        chosen.append(block.mul_(weight[None]).argmin(1))
    return torch.cat(chosen)


def gpnn_sample(painting: torch.Tensor, sizes: Sequence[tuple[int, int]], seed: int, iterations: int = ITERATIONS,
                alpha: float = ALPHA) -> torch.Tensor:
    """One GPNN image in [-1, 1] at ``sizes[-1]`` from a painting in [-1, 1], scales ``sizes``."""
    generator = torch.Generator().manual_seed(int(seed))
    reals = [resize(painting, size) for size in sizes]
    image = reals[0] + NOISE * torch.randn(reals[0].shape, generator=generator)
    for scale, size in enumerate(sizes):
        if min(size) < PATCH:
            image = reals[scale]  # too small to hold a patch: the painting itself at this scale
            continue
        blurred = upsample(reals[scale - 1], size) if scale else reals[0]
        image = upsample(image, size)
        values = patches(reals[scale])
        for iteration in range(iterations):
            keys = patches(blurred if iteration == 0 else reals[scale])
            image = fold(values[nearest_patches(patches(image), keys, alpha)], size)
    return image


def gpnn_at(painting: torch.Tensor, size: tuple[int, int], seed: int) -> torch.Tensor:
    """One GPNN image at ``size`` on GPNN's own pyramid (coarsest short side :data:`MIN_SIZE`)."""
    return gpnn_sample(painting, scale_sizes(*size, *plan_scales(*size, MIN_SIZE)), seed)
