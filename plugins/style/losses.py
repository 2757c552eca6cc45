"""Gatys' objective: keep the content's features, match the style's Gram matrices.

Each layer's loss is divided by the size of its target, so every layer (and every encoder,
random or VGG) weighs the same whatever its channel count or activation scale; that is what
lets one ``strength`` value mean the same thing at every pyramid level.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .model import Encoder
from .palette import sorted_colours

#: Style against content at strength 1; picked by eye on the shared paintings with the random
#: encoder (docs/style.md): 30 keeps the photo's texture, 300 covers it in fine stipple.
STYLE_BALANCE = 100.0
#: A little total variation keeps random-feature results from growing pixel-level speckle.
TV_WEIGHT = 1e-2


def gram(features: torch.Tensor) -> torch.Tensor:
    """``(B, C, H, W)`` -> ``(B, C, C)`` uncentred second moments per pixel."""
    batch, channels, height, width = features.shape
    flat = features.reshape(batch, channels, height * width)
    return flat @ flat.transpose(1, 2) / (height * width)


def blended_grams(encoder: Encoder, styles: list[torch.Tensor], weights: list[float]) -> dict[str, torch.Tensor]:
    """The Gram targets of several style images mixed by weight (weights sum to 1)."""
    total = sum(weights)
    targets: dict[str, torch.Tensor] = {}
    with torch.no_grad():
        for style, weight in zip(styles, weights):
            for name, value in encoder(style).items():
                if name in encoder.style_layers:
                    targets[name] = targets.get(name, 0) + gram(value) * (weight / total)
    return targets


def colour_distance(image: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Sliced Wasserstein distance between the pixel colours of ``image`` and a painting's
    (``target`` from :func:`sorted_colours`): the mean squared gap between sorted projections.

    Gram matrices see colour only through products of features and a fast net trained on them
    alone comes out washed-out; this term matches the whole colour distribution, as histogram
    matching does (Rabin et al. 2011; Heitz et al. 2021 use the same form on features).
    """
    ours = sorted_colours(image)
    theirs = F.interpolate(target, size=ours.shape[-1], mode="linear", align_corners=True)
    return (ours - theirs).pow(2).mean()


def total_variation(image: torch.Tensor) -> torch.Tensor:
    return (image[..., 1:, :] - image[..., :-1, :]).pow(2).mean() + (image[..., :, 1:] - image[..., :, :-1]).pow(2).mean()


@dataclass
class StyleObjective:
    """content + strength * style + tv (+ colour), with targets computed once."""

    encoder: Encoder
    style_targets: dict[str, torch.Tensor]
    content_targets: dict[str, torch.Tensor]
    strength: float = 1.0
    tv_weight: float | None = None  # None: TV_WEIGHT
    #: The painting's :func:`sorted_colours` and the weight of :func:`colour_distance` (fast training).
    colour_target: torch.Tensor | None = None
    colour_weight: float = 0.0

    @classmethod
    def build(cls, encoder: Encoder, content: torch.Tensor, style_targets: dict[str, torch.Tensor],
              strength: float) -> StyleObjective:
        with torch.no_grad():
            features = encoder(content)
        targets = {name: features[name] for name in encoder.content_layers if name in features}
        return cls(encoder, style_targets, targets, strength)

    def __call__(self, image: torch.Tensor, content_targets: dict[str, torch.Tensor] | None = None) -> dict[str, torch.Tensor]:
        """Loss terms for ``image`` (a batch is fine); ``content_targets`` overrides the stored ones
        (feed-forward training passes each batch's own content features)."""
        features = self.encoder(image)
        content_targets = self.content_targets if content_targets is None else content_targets
        content = sum(((features[n] - t).pow(2).mean() / t.pow(2).mean().clamp_min(1e-8)
                       for n, t in content_targets.items()), torch.zeros(()))
        style_terms = [(gram(features[n]) - t).pow(2).sum((1, 2)).mean() / t.pow(2).sum().clamp_min(1e-8)
                       for n, t in self.style_targets.items() if n in features]
        style = sum(style_terms, torch.zeros(())) / max(len(style_terms), 1)
        tv = total_variation(image)
        total = content + STYLE_BALANCE * self.strength * style + (TV_WEIGHT if self.tv_weight is None else self.tv_weight) * tv
        terms = {"content": content, "style": style, "tv": tv}
        if self.colour_target is not None and self.colour_weight:
            terms["colour"] = colour_distance(image, self.colour_target)
            total = total + self.colour_weight * terms["colour"]
        return {"loss": total, **terms}
