"""Scoring a stylized image: how much of the style it took, how much of the content it kept.

Style distance uses an *evaluator* network that no method optimises against: a random conv net
with another seed, other kernel sizes and max-pooling, so a method cannot score well just by
overfitting the statistics of its own encoder. Content is SSIM on luminance, the usual measure
of kept structure (Wang et al. 2004).

The style distance compares uncentred Gram matrices, and 70-96 % of their norm is the product of
the channel means: it mostly measures colour and brightness. Colour transfer alone, which adds
no brushwork, scores 0.13 against Turner's Shipwreck, closer than the painting's own crops
(0.24-0.31). So `muse eval style` also reports a *texture distance*: the same form on centred
Gram matrices (channel covariances), which a global colour shift cannot lower.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from plugins.imagekit.random_features import EvaluatorNet

from .images import load_picture, luminance, reinhard_transfer
from .losses import gram

#: Both images are measured at this long side, so scores from different output sizes compare.
EVAL_SIDE = 256


def _at_eval_size(image: torch.Tensor) -> torch.Tensor:
    height, width = image.shape[-2:]
    scale = EVAL_SIDE / max(height, width)
    size = (max(8, round(height * scale)), max(8, round(width * scale)))
    return F.interpolate(image, size=size, mode="bilinear", align_corners=False, antialias=True)


def style_distance(image: torch.Tensor, style: torch.Tensor, evaluator: EvaluatorNet | None = None,
                   centred: bool = False) -> float:
    """Mean relative Frobenius distance of the evaluator's Gram matrices (0 = same statistics);
    ``centred`` removes each channel's mean first (the texture distance)."""
    evaluator = evaluator or EvaluatorNet()
    with torch.no_grad():
        ours, theirs = evaluator(_at_eval_size(image)), evaluator(_at_eval_size(style))
        if centred:
            ours, theirs = ([f - f.mean((2, 3), keepdim=True) for f in maps] for maps in (ours, theirs))
        distances = [float((gram(a) - gram(b)).norm() / gram(b).norm()) for a, b in zip(ours, theirs)]
    return sum(distances) / len(distances)


def ssim(image: torch.Tensor, reference: torch.Tensor) -> float:
    """Structural similarity of the luminance, Gaussian window 11 / sigma 1.5, at the reference's size."""
    if image.shape[-2:] != reference.shape[-2:]:
        image = F.interpolate(image, size=reference.shape[-2:], mode="bilinear", align_corners=False, antialias=True)
    x, y = luminance(image.clamp(0, 1)), luminance(reference.clamp(0, 1))
    coords = torch.arange(11, dtype=torch.float32) - 5
    window = torch.exp(-coords ** 2 / (2 * 1.5 ** 2))
    window = (window / window.sum())
    kernel = (window[:, None] * window[None, :])[None, None]

    def blur(t: torch.Tensor) -> torch.Tensor:
        return F.conv2d(F.pad(t, (5, 5, 5, 5), mode="reflect"), kernel)

    mx, my = blur(x), blur(y)
    vx, vy, cov = blur(x * x) - mx ** 2, blur(y * y) - my ** 2, blur(x * y) - mx * my
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    score = ((2 * mx * my + c1) * (2 * cov + c2)) / ((mx ** 2 + my ** 2 + c1) * (vx + vy + c2))
    return float(score.mean())


def evaluate_fast_model(data: Path, params: dict[str, Any], weights_dir: Path) -> dict[str, Any]:
    """`muse eval style`: a fast model against Reinhard colour transfer on each content image."""
    from engine.io import shipped_model

    from .data import image_files
    from .fast import apply_net, load_net, parse_styles

    paths, weights = parse_styles(params["style"], params["style_weights"], "eval style")
    net, _ = load_net(shipped_model(params["model"], weights_dir, "style"))
    evaluator = EvaluatorNet()
    size = params["size"]
    styles = [load_picture(p, size) for p in paths]
    scores = {f"{prefix}{name}": 0.0 for prefix in ("", "reinhard_") for name in ("style_distance", "texture_distance", "ssim")}
    files = image_files(data)
    for path in files:
        content = load_picture(path, size)
        made = apply_net(net, content)
        baseline = reinhard_transfer(content, styles[0])
        for prefix, image in (("", made), ("reinhard_", baseline)):
            for name, centred in (("style_distance", False), ("texture_distance", True)):
                distance = sum(w * style_distance(image, s, evaluator, centred) for s, w in zip(styles, weights))
                scores[prefix + name] += distance / sum(weights) / len(files)
            scores[prefix + "ssim"] += ssim(image, content) / len(files)
    return {"images": len(files), **{k: round(v, 4) for k, v in scores.items()}}
