"""What an FID on the project's classifier features means: real images, slightly spoiled.

FID has no natural unit: its scale is set by the feature network. This script puts the numbers
of `muse eval gan|vae` on a ruler by scoring *real* training images after small, known damage
against the test split, beside the floor (the same images undamaged) and the ceiling
(per-pixel Gaussian noise). Every row uses the same sample count as `muse eval`, so each is
directly comparable with a model's FID and with "3x the floor".

    python benchmarks/fid_scale.py --data ../shared/data/fashion-mnist
"""

from __future__ import annotations

import argparse
from pathlib import Path
from collections.abc import Callable

import torch
from torch.nn import functional as F

from plugins.imagekit.classifier import load_classifier
from plugins.imagekit.data import load_images
from plugins.imagekit.fid import extract_features, frechet_distance, gaussian_baseline


def noise(std: float) -> Callable[[torch.Tensor], torch.Tensor]:
    def spoil(images: torch.Tensor) -> torch.Tensor:
        generator = torch.Generator().manual_seed(0)
        return images.float() + std * torch.randn(images.shape, generator=generator)
    return spoil


DAMAGE: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "none (the floor)": lambda images: images.float(),
    "Gaussian noise, std 2/255": noise(2),
    "Gaussian noise, std 4/255": noise(4),
    "Gaussian noise, std 8/255": noise(8),
    "Gaussian noise, std 16/255": noise(16),
    "brightness x0.95": lambda images: images.float() * 0.95,
    "brightness x0.9": lambda images: images.float() * 0.9,
    "shifted 1 px right": lambda images: torch.roll(images, 1, dims=3).float(),
    "3x3 box blur": lambda images: F.avg_pool2d(images.float(), 3, 1, 1),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/fashion-mnist"))
    parser.add_argument("--classifier", default="default", help="shipped name or checkpoint path")
    parser.add_argument("--samples", type=int, default=10_000)
    args = parser.parse_args()

    classifier = load_classifier(args.classifier)
    test = load_images(args.data, "test", classifier.size, classifier.channels).images[:args.samples]
    train = load_images(args.data, "train", classifier.size, classifier.channels).images
    real = extract_features(classifier.network, test)

    def fid(images: torch.Tensor) -> float:
        return frechet_distance(extract_features(classifier.network, images), real)

    floor = None
    print(f"{'real training images, damaged':32s} {'FID':>8s} {'x floor':>8s}")
    for name, spoil in DAMAGE.items():
        score = fid(spoil(train[:len(test)]).round().clamp(0, 255).to(torch.uint8))
        floor = floor or score
        print(f"{name:32s} {score:8.2f} {score / floor:8.1f}")
    ceiling = fid(gaussian_baseline(train, len(test), 0))
    print(f"{'pixel Gaussian (the ceiling)':32s} {ceiling:8.2f} {ceiling / floor:8.1f}")


if __name__ == "__main__":
    main()
