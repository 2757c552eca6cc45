"""What the image generators share on the sampling side: labels, latents, sheets and walks."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch

from engine import Image


def seeded_latent(seed: int, size: int, classes: int, alternatives: int = 0) -> tuple[torch.Tensor, int]:
    """The latent vector and the (random) class of one seed: the same seed, the same pair.

    With ``alternatives`` > 0 the latent is ``(1 + alternatives, size)``: row 0 is the seed's
    own latent, the others are drawn after the label from the same stream, so a sampler that
    picks among them stays a function of the seed."""
    generator = torch.Generator().manual_seed(int(seed))
    latent = torch.randn(size, generator=generator)
    label = int(torch.randint(max(classes, 1), (1,), generator=generator)) if classes else 0
    if alternatives:
        latent = torch.cat([latent[None], torch.randn(alternatives, size, generator=generator)])
    return latent, label


def slerp(start: torch.Tensor, end: torch.Tensor, steps: int) -> torch.Tensor:
    """``steps`` points on the great circle from ``start`` to ``end`` (Gaussian latents live near
    a sphere, so a straight line would pass through unlikely, washed-out codes)."""
    fractions = torch.linspace(0.0, 1.0, steps).unsqueeze(1)
    a, b = start / start.norm(), end / end.norm()
    omega = torch.arccos((a * b).sum().clamp(-1.0, 1.0))
    if float(omega) < 1e-4:
        return start + fractions * (end - start)
    sin = torch.sin(omega)
    return (torch.sin((1 - fractions) * omega) / sin) * start + (torch.sin(fractions * omega) / sin) * end


def tile(images: np.ndarray, columns: int, padding: int = 2, fill: int = 255) -> np.ndarray:
    """``(N, H, W, C)`` uint8 pictures as one sheet, row-major, separated by ``padding`` pixels."""
    count, height, width, channels = images.shape
    rows = -(-count // columns)
    sheet = np.full((rows * (height + padding) + padding, columns * (width + padding) + padding, channels), fill, np.uint8)
    for index in range(count):
        top = padding + (index // columns) * (height + padding)
        left = padding + (index % columns) * (width + padding)
        sheet[top:top + height, left:left + width] = images[index]
    return sheet


def to_hwc(batch: torch.Tensor) -> np.ndarray:
    """``(N, C, H, W)`` uint8 tensor -> ``(N, H, W, C)`` numpy."""
    return batch.permute(0, 2, 3, 1).contiguous().numpy()


def layout(frames: np.ndarray, *, animate: bool, columns: int, meta: dict) -> Image:
    """A walk or a sheet as one Image: animation frames, or tiles in ``columns`` columns."""
    if animate:
        return Image(frames[0], frames=tuple(frames[1:]), meta=meta)
    return Image(tile(frames, columns), meta=meta)


def sample_sheet(seeds: Sequence[int], render: Callable[[list[int]], torch.Tensor], columns: int, meta: dict) -> Image:
    """A contact sheet whose cell j shows the sample of ``seeds[j]``."""
    return Image(tile(to_hwc(render(list(seeds))), columns), meta=meta)
