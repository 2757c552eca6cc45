"""SinGAN's networks (Shaham et al., ICCV 2019): one small fully convolutional GAN per scale.

Each scale's generator sees an upsampled image from the scale below plus noise, and adds a
residual: it only paints the detail that scale is responsible for. Five 3x3 convolutions give
it an 11-pixel receptive field, so at the coarsest scale (about 12 px, where nearly every pixel
sees a border through the padding) it arranges the whole composition and at the finest it only
places brush strokes. The critic is the same stack ending
in one channel: a Markovian (patch) critic, scoring every 11x11 patch, which is what lets a GAN
learn from a single image at all. Inputs are zero-padded by the stack's reach and the
convolutions are unpadded, as in the paper: the zeros tell the generator where the borders are.

BatchNorm, which SinGAN uses with a batch of one, is left out: a batch of one makes it a
per-image normalisation whose running statistics differ between training and sampling.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

#: Convolutions per network (head, body, tail), each 3x3: the pad an input needs.
LAYERS = 5
#: ``(top, left, height, width)`` of a part of an image.
Window = tuple[int, int, int, int]


def conv_stack(channels_in: int, width: int, channels_out: int) -> nn.Sequential:
    """Five unpadded 3x3 convolutions with LeakyReLU(0.2) between them."""
    layers: list[nn.Module] = []
    sizes = [channels_in] + [width] * (LAYERS - 1) + [channels_out]
    for index in range(LAYERS):
        layers.append(nn.Conv2d(sizes[index], sizes[index + 1], 3))
        if index < LAYERS - 1:
            layers.append(nn.LeakyReLU(0.2, inplace=True))
    return nn.Sequential(*layers)


class ScaleGenerator(nn.Module):
    """(noise + upsampled image) -> that image plus the detail of this scale, in [-1, 1]."""

    def __init__(self, width: int = 32):
        super().__init__()
        self.body = conv_stack(3, width, 3)

    def forward(self, noise: torch.Tensor, previous: torch.Tensor, windows: Sequence[Window] | None = None) -> torch.Tensor:
        """The whole images, or only ``windows`` of them (window i of image i, or of the one
        image): the same pixels, computed from each window's input plus the stack's reach
        around it (training on windows costs less)."""
        padded = F.pad(noise + previous, (LAYERS,) * 4)
        if windows is not None:
            def image(index: int) -> int:
                return min(index, len(padded) - 1)

            padded = torch.cat([padded[image(i):image(i) + 1, :, top:top + height + 2 * LAYERS, left:left + width + 2 * LAYERS]
                                for i, (top, left, height, width) in enumerate(windows)])
            previous = torch.cat([previous[image(i):image(i) + 1, :, top:top + height, left:left + width]
                                  for i, (top, left, height, width) in enumerate(windows)])
        return (torch.tanh(self.body(padded)) + previous).clamp(-1.0, 1.0)


class ScaleCritic(nn.Module):
    """image -> a map of realness scores, one per 11x11 patch (WGAN critic: no sigmoid)."""

    def __init__(self, width: int = 32):
        super().__init__()
        self.body = conv_stack(3, width, 1)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.body(image)


def scale_sizes(height: int, width: int, scales: int, ratio: float) -> list[tuple[int, int]]:
    """``(height, width)`` of each scale, coarsest first, for a finest image of ``height x width``:
    each scale is ``ratio`` (about 3/4) of the next. Sampling at another size (retargeting) uses
    the same scales and ratio, so each generator sees its own scale's patches at any size."""
    sizes = []
    for scale in range(scales):
        factor = ratio ** (scales - 1 - scale)
        sizes.append((max(1, round(height * factor)), max(1, round(width * factor))))
    return sizes


class Pyramid(nn.Module):
    """All scales' generators with what sampling needs beside them: the noise amplitude of each
    scale (set while training: 0.1 x how far the scale below is from the painting), the fixed
    noise map whose image is the painting itself (the reconstruction the training anchors), and
    the painting at the finest scale (for variations that start from it, and harmonisation)."""

    def __init__(self, height: int, width: int, scales: int, ratio: float, channels: int = 32):
        super().__init__()
        self.sizes = scale_sizes(height, width, scales, ratio)
        self.ratio = ratio
        self.generators = nn.ModuleList(ScaleGenerator(channels) for _ in range(scales))
        self.register_buffer("amplitudes", torch.ones(scales))
        self.register_buffer("reconstruction_noise", torch.zeros(1, 3, *self.sizes[0]))
        self.register_buffer("painting", torch.zeros(1, 3, height, width))

    @property
    def scales(self) -> int:
        return len(self.sizes)

    def forward_scale(self, scale: int, noise: torch.Tensor, previous: torch.Tensor,
                      windows: Sequence[Window] | None = None) -> torch.Tensor:
        """One scale's images (or their ``windows``) from unit noise (scaled by the amplitude
        here) and the images below."""
        return self.generators[scale](noise * self.amplitudes[scale], previous, windows)


def build_pyramid(config: dict[str, Any]) -> Pyramid:
    """The pyramid a checkpoint's config describes (training and sampling build it the same way)."""
    return Pyramid(config["height"], config["width"], config["scales"], config["ratio"], config["channels"])


def upsample(image: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Bilinear resize to ``(height, width)`` (the step between two scales)."""
    if tuple(image.shape[-2:]) == tuple(size):
        return image
    return F.interpolate(image, size=size, mode="bilinear", align_corners=False)
