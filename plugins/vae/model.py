"""A convolutional VAE (Kingma & Welling 2014) with an optional class condition.

Pixels are modelled as Bernoulli probabilities of intensity (the usual choice for MNIST-like
data: it gives sharper samples than a fixed-variance Gaussian), so the decoder returns logits.
The condition is a one-hot label appended to the encoder's features and to the latent code;
a soft (mixed) label is accepted too, which lets a latent walk morph one class into another.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn import functional as F


def _down_steps(size: int) -> int:
    if size not in (28, 32, 64):
        raise ValueError(f"image size must be 28, 32 or 64, not {size}")
    return 2 if size == 28 else {32: 3, 64: 4}[size]


class VAE(nn.Module):
    def __init__(self, latent: int = 16, width: int = 32, size: int = 28, channels: int = 1, classes: int = 0, hidden: int = 256):
        super().__init__()
        self.latent, self.classes = latent, classes
        steps = _down_steps(size)
        self.base = size // 2 ** steps
        self.top = width * 2 ** (steps - 1)
        layers: list[nn.Module] = []
        channels_in, channels_out = channels, width
        for _ in range(steps):
            layers += [nn.Conv2d(channels_in, channels_out, 4, 2, 1), nn.LeakyReLU(0.2, True)]
            channels_in, channels_out = channels_out, channels_out * 2
        self.encoder = nn.Sequential(*layers, nn.Flatten())
        flat = self.top * self.base ** 2
        self.to_hidden = nn.Sequential(nn.Linear(flat + classes, hidden), nn.LeakyReLU(0.2, True))
        self.to_stats = nn.Linear(hidden, 2 * latent)
        self.from_latent = nn.Sequential(nn.Linear(latent + classes, hidden), nn.ReLU(True),
                                         nn.Linear(hidden, flat), nn.ReLU(True),
                                         nn.Unflatten(1, (self.top, self.base, self.base)))
        layers = []
        channels_in = self.top
        for _ in range(steps - 1):
            layers += [nn.ConvTranspose2d(channels_in, channels_in // 2, 4, 2, 1), nn.ReLU(True)]
            channels_in //= 2
        layers += [nn.ConvTranspose2d(channels_in, channels, 4, 2, 1)]
        self.decoder = nn.Sequential(*layers)

    def _condition(self, values: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        if not self.classes:
            return values
        if labels is None:
            raise ValueError("this VAE is class-conditional: pass labels")
        if labels.is_floating_point():  # soft labels (N, classes): a walk between two classes
            return torch.cat([values, labels.to(values.dtype)], dim=1)
        return torch.cat([values, F.one_hot(labels, self.classes).to(values.dtype)], dim=1)

    def encode(self, images: torch.Tensor, labels: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and log-variance of q(z | x, y) for images in [0, 1]."""
        hidden = self.to_hidden(self._condition(self.encoder(images * 2 - 1), labels))
        mean, log_var = self.to_stats(hidden).chunk(2, dim=1)
        return mean, log_var.clamp(-12.0, 8.0)

    def decode(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Pixel logits of p(x | z, y)."""
        return self.decoder(self.from_latent(self._condition(z, labels)))

    def forward(self, images: torch.Tensor, labels: torch.Tensor | None = None, noise: torch.Tensor | None = None):
        mean, log_var = self.encode(images, labels)
        noise = torch.randn_like(mean) if noise is None else noise
        z = mean + torch.exp(0.5 * log_var) * noise
        return self.decode(z, labels), mean, log_var


def build_vae(config: dict[str, Any]) -> VAE:
    """The VAE a checkpoint's config describes (training and sampling build it the same way)."""
    return VAE(config["latent"], config["width"], config["size"], config["channels"], len(config["classes"]), config["hidden"])


def elbo_terms(model: VAE, images: torch.Tensor, labels: torch.Tensor | None = None,
               noise: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-image reconstruction NLL and KL (nats) for images in [0, 1]; -ELBO = nll + kl."""
    logits, mean, log_var = model(images, labels, noise)
    nll = F.binary_cross_entropy_with_logits(logits, images, reduction="none").flatten(1).sum(1)
    kl = 0.5 * (mean.pow(2) + log_var.exp() - 1.0 - log_var).sum(1)
    return nll, kl
