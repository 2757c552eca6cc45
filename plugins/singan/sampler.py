"""Running a trained pyramid: samples, reconstructions, and images that start part-way up.

Every way of using a SinGAN is one loop: from some scale upward, each generator adds its
scale's detail to the upsampled image below plus its noise. Random samples start at the
coarsest scale from nothing; variations (``scale_from``) and the stylizers start higher, from
the painting or the user's picture shrunk to that scale, so the coarse layout is given and only
the finer scales are the model's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from engine.checkpoints import Field, cached_model

from plugins.imagekit.checkpoint import load_network

from .data import resize
from .model import Pyramid, build_pyramid, scale_sizes, upsample

#: What a singan checkpoint's config must say, bounded to what loads in reasonable memory.
CONFIG = (Field("height", int, 1, 4096), Field("width", int, 1, 4096), Field("scales", int, 1, 30),
          Field("ratio", float, 0.05, 1.0), Field("channels", int, 1, 256), Field("steps_per_scale", int, 1, 10**7))


def reconstruct(pyramid: Pyramid, upto: int) -> torch.Tensor:
    """The image the fixed noise map gives at scale ``upto``: the painting, as well as it was learnt."""
    image = torch.zeros(1, 3, *pyramid.sizes[0])
    for scale in range(upto + 1):
        previous = upsample(image, pyramid.sizes[scale])
        noise = pyramid.reconstruction_noise if scale == 0 else torch.zeros_like(previous)
        image = pyramid.forward_scale(scale, noise, previous)
    return image


def sample_below(pyramid: Pyramid, scale: int, generator: torch.Generator | None, count: int = 1) -> torch.Tensor:
    """``count`` random samples of the scales below ``scale``, upsampled to it (zeros for the coarsest)."""
    image = torch.zeros(count, 3, *pyramid.sizes[0])
    for below in range(scale):
        previous = upsample(image, pyramid.sizes[below])
        image = pyramid.forward_scale(below, torch.randn(previous.shape, generator=generator), previous)
    return upsample(image, pyramid.sizes[scale])


#: Sampling seeds are offset from training seeds: training draws the reconstruction noise from
#: its own seed, and seed 0 must not give back the painting.
SAMPLING_STREAM = 0x5A_4D_50_4C


def noise_maps(seed: int, sizes: Sequence[tuple[int, int]]) -> list[torch.Tensor]:
    """Unit noise for every scale from one seed: the same seed and sizes, the same maps."""
    generator = torch.Generator().manual_seed(int(seed) + SAMPLING_STREAM)
    return [torch.randn(1, 3, *size, generator=generator) for size in sizes]


@dataclass
class LoadedSinGAN:
    pyramid: Pyramid
    sha256: str

    @property
    def scales(self) -> int:
        return self.pyramid.scales

    @property
    def size(self) -> tuple[int, int]:
        """``(height, width)`` of the painting as learnt."""
        return self.pyramid.sizes[-1]

    def sizes(self, height: int, width: int) -> list[tuple[int, int]]:
        """Every scale's size for an output of ``height x width`` (retargeting)."""
        return scale_sizes(height, width, self.scales, self.pyramid.ratio)

    def painting(self) -> torch.Tensor:
        """The painting in [-1, 1] at the size it was learnt at."""
        return self.pyramid.painting

    @torch.no_grad()
    def synthesise(self, noises: Sequence[torch.Tensor], start: int = 0, picture: torch.Tensor | None = None) -> torch.Tensor:
        """An image in [-1, 1] at the size of the last noise map. From ``start`` > 0 the scale
        below is ``picture`` (in [-1, 1], any size) shrunk to it; noise enters from ``start`` up."""
        sizes = [tuple(noise.shape[-2:]) for noise in noises]
        if start == 0:
            image = torch.zeros(1, 3, *sizes[0])
        else:
            if picture is None:
                raise ValueError("starting above the coarsest scale needs a picture")
            image = resize(picture, sizes[start - 1])
        for scale in range(start, self.scales):
            image = self.pyramid.forward_scale(scale, noises[scale], upsample(image, sizes[scale]))
        return image


def to_uint8(image: torch.Tensor) -> torch.Tensor:
    """[-1, 1] floats -> uint8 ``(N, 3, H, W)``."""
    return image.add(1).mul(127.5).round().clamp(0, 255).to(torch.uint8)


@cached_model
def load_singan(path: Path) -> LoadedSinGAN:
    """The pyramid in ``path`` (cached while the file is unchanged)."""
    pyramid, checkpoint = load_network(path, model="singan", schema=CONFIG, build=build_pyramid, prefix="pyramid")
    return LoadedSinGAN(pyramid, checkpoint.sha256)
