"""DCGAN-family networks: an upsampling conv generator and a spectral-norm projection critic.

Sizes 28 (7x7 start) and 32/64 (4x4 start) are supported; each upsampling block doubles the
resolution and halves the width, as in Radford et al. G upsamples by nearest neighbour and a
3x3 convolution rather than a strided transposed convolution, whose uneven overlap leaves a
checkerboard of speckles (Odena et al. 2016) that the FID features punish. The critic has
``depth`` convolutions per resolution: 1 is DCGAN's, 2 adds a 3x3 convolution before each
downsampling as in the SNGAN "standard CNN" (Miyato et al. 2018). Class conditioning: a learned
label embedding concatenated to the latent in G, and the projection discriminator of Miyato &
Koyama (2018) in D, which conditions without extra input channels, and optionally an auxiliary
discriminative classifier on D's features (ADC-GAN, Hou et al. 2022): it tells 2K classes apart,
"real of class y" from "generated for class y", which gives G a class signal as strong as a
classifier's without AC-GAN's pull toward easy, boundary-shy samples.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm


def start_size(size: int) -> int:
    """The side of the first feature map: 7 for 28 px, 4 for powers of two."""
    if size == 28:
        return 7
    if size in (32, 64):
        return 4
    raise ValueError(f"image size must be 28, 32 or 64, not {size}")


def upsamplings(size: int) -> int:
    return {28: 2, 32: 3, 64: 4}[size]


class Generator(nn.Module):
    """z (+ label embedding) -> image in [-1, 1]."""

    def __init__(self, latent: int = 64, width: int = 64, size: int = 28, channels: int = 1, classes: int = 0):
        super().__init__()
        self.latent, self.classes, self.base = latent, classes, start_size(size)
        blocks = upsamplings(size)
        top = width * 2 ** (blocks - 1)
        self.embed = nn.Embedding(classes, latent) if classes else None
        self.project = nn.Sequential(
            nn.Linear(latent * (2 if classes else 1), top * self.base ** 2, bias=False),
            nn.Unflatten(1, (top, self.base, self.base)), nn.BatchNorm2d(top), nn.ReLU(True))
        layers: list[nn.Module] = []
        channels_in = top
        for _ in range(blocks):
            layers += [nn.Upsample(scale_factor=2), nn.Conv2d(channels_in, channels_in // 2, 3, 1, 1, bias=False),
                       nn.BatchNorm2d(channels_in // 2), nn.ReLU(True)]
            channels_in //= 2
        layers += [nn.Conv2d(channels_in, channels, 3, 1, 1), nn.Tanh()]
        self.body = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if self.embed is not None:
            if labels is None:
                raise ValueError("this generator is class-conditional: pass labels")
            z = torch.cat([z, self.embed(labels)], dim=1)
        return self.body(self.project(z))


def build_generator(config: dict[str, Any]) -> Generator:
    """The generator a checkpoint's config describes (training and sampling build it the same way)."""
    return Generator(config["latent"], config["width"], config["size"], config["channels"], len(config["classes"]))


class MinibatchStd(nn.Module):
    """Appends one channel: how much the images of a small group differ (Karras et al. 2018).

    A critic that scores each image alone cannot tell a generator that draws one good dress for
    every latent from one that draws many: this channel lets it. Without it our conditional
    generator collapsed within each class (near-identical samples per label).
    """

    def __init__(self, group: int = 4):
        super().__init__()
        self.group = group

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        count, channels, height, width = features.shape
        group = self.group if count % self.group == 0 else count
        spread = features.view(group, -1, channels, height, width).std(0, unbiased=False)
        spread = spread.mean((1, 2, 3)).view(1, -1, 1, 1, 1).expand(group, -1, 1, height, width)
        return torch.cat([features, spread.reshape(count, 1, height, width)], 1)


class Discriminator(nn.Module):
    """image (+ label) -> realness score; spectral norm on every layer keeps it 1-Lipschitz-ish."""

    def __init__(self, width: int = 64, size: int = 28, channels: int = 1, classes: int = 0, depth: int = 1,
                 classifier: bool = False):
        super().__init__()
        blocks = upsamplings(size)
        layers: list[nn.Module] = []
        channels_in, channels_out = channels, width
        for _ in range(blocks):
            for _ in range(depth - 1):
                layers += [spectral_norm(nn.Conv2d(channels_in, channels_out // 2, 3, 1, 1)), nn.LeakyReLU(0.1, True)]
                channels_in = channels_out // 2
            layers += [spectral_norm(nn.Conv2d(channels_in, channels_out, 4, 2, 1)), nn.LeakyReLU(0.1, True)]
            channels_in, channels_out = channels_out, channels_out * 2
        layers += [MinibatchStd(), nn.Flatten()]
        self.body = nn.Sequential(*layers)
        flat = (channels_in + 1) * start_size(size) ** 2
        self.score = spectral_norm(nn.Linear(flat, 1))
        self.embed = spectral_norm(nn.Embedding(classes, flat)) if classes else None
        if classifier and not classes:
            raise ValueError("the critic's classifier needs classes")
        self.classifier = spectral_norm(nn.Linear(flat, 2 * classes)) if classifier else None

    def features(self, images: torch.Tensor) -> torch.Tensor:
        """The flat features both heads read (a step computes them once for the score and the classes)."""
        return self.body(images)

    def judge(self, features: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """The realness score of ``features``, projected on their labels when conditional."""
        out = self.score(features).squeeze(1)
        if self.embed is not None and labels is not None:
            out = out + (self.embed(labels) * features).sum(1)
        return out

    def classify(self, features: torch.Tensor) -> torch.Tensor:
        """ADC logits over 2K classes: column 2y is "real image of class y", 2y + 1 "generated for y"."""
        if self.classifier is None:
            raise ValueError("this critic has no classifier (build it with classifier=True)")
        return self.classifier(features)

    def forward(self, images: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.judge(self.features(images), labels)
