"""`muse eval singan`: SIFID and diversity of the model against two baselines, in one run.

SIFID (Shaham et al. 2019) is the Fréchet distance between the distributions of one image's
feature vectors, taken at every position of a feature map, and the painting's: it asks whether
a sample is made of the painting's patches in the painting's proportions. The features here are
the second layer (128 channels, ~10 px receptive field) of the random-weight evaluator net the
`style` scores use (plugins/imagekit/random_features.py), not Inception: no pretrained network
can be downloaded here. Diversity is the mean pairwise L2 distance of the samples' whole feature
maps, over the painting's own feature norm: 0 for copies of one image.

Neither sees composition: SIFID pools ~10 px patches, so strokes in the wrong places score
like the painting. The layout distance does: the RMS difference between a sample's thumbnail
(``THUMBNAIL`` px on the short side) and the painting's, over how far the painting's thumbnail
is from its own mean colour. A flat picture of that colour scores 1, the painting 0; the
shuffled-tiles baseline (the painting's tiles in random places) scores what the right patches
in the wrong places get.

The baselines frame those numbers: random crops of the painting, enlarged back to its size,
score a SIFID that real paint at a slightly wrong scale gets; GPNN shows what copying patches
without learning gets. GPNN runs on its own pyramid from the papers' 25 px coarsest scale, not
the model's: from a 12 px start its nearest-neighbour search rebuilds the painting exactly
(diversity 0), which would make any model's diversity ratio infinite. The goal: SIFID within 2x the crops', diversity above GPNN's.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from engine.io import shipped_model

from plugins.imagekit.fid import frechet_distance
from plugins.imagekit.random_features import EvaluatorNet

from .gpnn import gpnn_at
from .sampler import load_singan, noise_maps

#: The evaluator layer whose positions are SIFID's samples.
LAYER = 1
#: Short side of the thumbnails the layout distance compares: the coarsest scale's size or less.
THUMBNAIL = 12
#: The shuffled-tiles baseline cuts the painting into this many tiles a side.
TILES = 4


def feature_map(net: EvaluatorNet, image: torch.Tensor) -> torch.Tensor:
    """(C, H, W) features of an image in [-1, 1]."""
    with torch.no_grad():
        return net((image.clamp(-1, 1) + 1) / 2)[LAYER][0]


def sifid(features: torch.Tensor, painting: torch.Tensor) -> float:
    """Fréchet distance between the per-position feature vectors of two maps."""
    return frechet_distance(features.flatten(1).T.double().numpy(), painting.flatten(1).T.double().numpy())


def diversity(maps: list[torch.Tensor], painting: torch.Tensor) -> float:
    distances = [float((a - b).norm()) for a, b in itertools.combinations(maps, 2)]
    return sum(distances) / len(distances) / float(painting.norm())


def random_crop(painting: torch.Tensor, fraction: float, generator: torch.Generator) -> torch.Tensor:
    """A crop of ``fraction`` of each side at a random place, resized back to the painting's size."""
    height, width = painting.shape[-2:]
    crop_h, crop_w = max(1, round(height * fraction)), max(1, round(width * fraction))
    top = int(torch.randint(height - crop_h + 1, (1,), generator=generator))
    left = int(torch.randint(width - crop_w + 1, (1,), generator=generator))
    crop = painting[..., top:top + crop_h, left:left + crop_w]
    return torch.nn.functional.interpolate(crop, size=(height, width), mode="bilinear", align_corners=False)


def thumbnail(image: torch.Tensor) -> torch.Tensor:
    """The picture averaged down to ``THUMBNAIL`` px on its short side: its layout of colour."""
    height, width = image.shape[-2:]
    size = (THUMBNAIL, max(1, round(width * THUMBNAIL / height))) if height <= width else \
        (max(1, round(height * THUMBNAIL / width)), THUMBNAIL)
    return torch.nn.functional.adaptive_avg_pool2d(image, size)


def layout_distance(image: torch.Tensor, painting: torch.Tensor) -> float:
    """0 for the painting's composition, 1 for a flat picture of its mean colour."""
    reference = thumbnail(painting)
    spread = (reference - reference.mean(dim=(-2, -1), keepdim=True)).square().mean().sqrt()
    return float((thumbnail(image) - reference).square().mean().sqrt() / spread)


def shuffled_tiles(painting: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """The painting cut into ``TILES`` x ``TILES`` tiles put back in random places."""
    height, width = painting.shape[-2:]
    rows = [round(i * height / TILES) for i in range(TILES + 1)]
    cols = [round(j * width / TILES) for j in range(TILES + 1)]
    cells = [(rows[i], rows[i + 1], cols[j], cols[j + 1]) for i in range(TILES) for j in range(TILES)]
    order = torch.randperm(len(cells), generator=generator).tolist()
    out = torch.empty_like(painting)
    for (top, bottom, left, right), source in zip(cells, order):
        s_top, s_bottom, s_left, s_right = cells[source]
        tile = painting[..., s_top:s_bottom, s_left:s_right]
        out[..., top:bottom, left:right] = torch.nn.functional.interpolate(
            tile, size=(bottom - top, right - left), mode="bilinear", align_corners=False)
    return out


def score(make: Callable[[int], torch.Tensor], seeds: list[int], net: EvaluatorNet, painting: torch.Tensor) -> dict[str, float]:
    reference = feature_map(net, painting)
    images = [make(seed) for seed in seeds]
    maps = [feature_map(net, image) for image in images]
    return {"sifid": sum(sifid(m, reference) for m in maps) / len(maps), "diversity": diversity(maps, reference),
            "layout": sum(layout_distance(image, painting) for image in images) / len(images)}


def ratio(value: float, baseline: float) -> float:
    """``value / baseline``; infinite over a baseline of 0 (GPNN copies a small painting exactly)."""
    return round(value / baseline, 3) if baseline else float("inf")


def evaluate(params: dict[str, Any], weights: Path) -> dict[str, Any]:
    from engine.training import configure_threads

    configure_threads()
    model = load_singan(shipped_model(params["model"], weights, "singan"))
    painting = model.painting()
    sizes = model.sizes(*model.size)
    seeds = list(range(params["seed"], params["seed"] + params["samples"]))
    net = EvaluatorNet()
    crops = torch.Generator().manual_seed(params["seed"])
    tiles = torch.Generator().manual_seed(params["seed"])
    methods = {
        "singan": lambda seed: model.synthesise(noise_maps(seed, sizes)),
        "random_crops": lambda seed: random_crop(painting, params["crop"], crops),
        "gpnn": lambda seed: gpnn_at(painting, model.size, seed),
        "shuffled_tiles": lambda seed: shuffled_tiles(painting, tiles),
    }
    results = {name: score(make, seeds, net, painting) for name, make in methods.items()}
    report: dict[str, Any] = {f"{name}_{key}": round(value, 4) for name, scores in results.items()
                              for key, value in scores.items()}
    report["sifid_over_crops"] = ratio(results["singan"]["sifid"], results["random_crops"]["sifid"])
    report["diversity_over_gpnn"] = ratio(results["singan"]["diversity"], results["gpnn"]["diversity"])
    report["goal_sifid_within_2x_crops"] = report["sifid_over_crops"] <= 2.0
    report["goal_diversity_above_gpnn"] = report["diversity_over_gpnn"] > 1.0
    report["samples"] = len(seeds)
    report["size"] = f"{model.size[1]}x{model.size[0]}"
    report["checkpoint"] = model.sha256[:16]
    return report
