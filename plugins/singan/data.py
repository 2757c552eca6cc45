"""The one painting a SinGAN learns from, and its pyramid of scales.

The painting is read at ``max_size`` on its long side (never enlarged), and the number of scales
is chosen as in the paper: enough steps of about 3/4 that the coarsest short side is about
``min_size`` pixels.

Where things are in a picture is decided at the coarsest scale, and a generator of unpadded 3x3
convolutions can know where a pixel is only from the zero padding within its 5-pixel reach; in
the interior it sees only noise, the same everywhere. At the paper's 25 px, 45% of a 25x40
coarsest image is that blind interior: the generator put the painting's strokes anywhere and
kept its composition only in the reconstruction's fixed noise map (there the layout distance
was 0.10, for random samples 0.98: `benchmarks/singan_layout.py`). At 12 px only two rows are
blind and samples keep where the cypress and the moon are. The extra scales between 12 and
25 px are small and cheap; ConSinGAN (Hinz et al. 2021) likewise puts more of its scales at low
resolution, for better global structure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from engine import BadInput

from plugins.imagekit.pictures import load_picture

from .model import scale_sizes

#: The step between scales SinGAN uses; the actual ratio is adjusted so the scales fit exactly.
NOMINAL_RATIO = 0.75


@dataclass(frozen=True)
class Painting:
    """The painting in [-1, 1] at the finest scale, with the scales it is learnt at."""

    image: torch.Tensor
    scales: int
    ratio: float

    @property
    def size(self) -> tuple[int, int]:
        return int(self.image.shape[-2]), int(self.image.shape[-1])

    def pyramid(self) -> list[torch.Tensor]:
        """The painting at every scale, coarsest first (antialiased, so no scale aliases)."""
        return [resize(self.image, size) for size in scale_sizes(*self.size, self.scales, self.ratio)]


def plan_scales(height: int, width: int, min_size: int) -> tuple[int, float]:
    """(scales, ratio) that take the short side from ``min_size`` up to its full size in steps of
    about :data:`NOMINAL_RATIO`."""
    short = min(height, width)
    if short <= min_size:
        return 1, 1.0
    scales = math.ceil(math.log(min_size / short) / math.log(NOMINAL_RATIO)) + 1
    return scales, (min_size / short) ** (1.0 / (scales - 1))


def load_painting(path: Path, max_size: int, min_size: int) -> Painting:
    """The painting at ``path`` for training, refusing what cannot be learnt from in one line."""
    if path.is_dir():
        raise BadInput(f"{path}: singan learns from ONE picture; pass an image file, not a folder")
    if not path.is_file():
        raise BadInput(f"{path}: no such image file")
    image = load_picture(path, max_size, kind="image", enlarge=False)  # enlarging invents no patches
    height, width = image.shape[-2:]
    if min(height, width) < min_size:
        raise BadInput(f"{path}: {width}x{height} px is too small to learn from; its short side must be at least "
                       f"min_size={min_size} px at max_size={max_size} (a picture with more pixels, or lower min_size)")
    scales, ratio = plan_scales(height, width, min_size)
    return Painting(image * 2.0 - 1.0, scales, ratio)


def resize(image: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Antialiased bilinear resize to ``(height, width)``."""
    if tuple(image.shape[-2:]) == tuple(size):
        return image
    return F.interpolate(image, size=size, mode="bilinear", align_corners=False, antialias=True)
