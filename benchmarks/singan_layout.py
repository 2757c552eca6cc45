"""Where a SinGAN loses the painting's composition: the layout distance, scale by scale.

For each scale K of a trained pyramid this prints the layout distance (``muse eval singan``'s
ruler: 0 = the painting's composition, 1 = flat mean colour) of

- ``samples``: random samples stopped at scale K (mean of ``--samples`` seeds),
- ``zero``: the pyramid run on zero noise, so the only thing a generator can tell positions by
  is the zero padding at the borders,
- ``reconstruction``: the fixed noise map the training anchors (should be near 0),

each upsampled to the painting's size, plus the share of scale K's pixels that see no border
within the generators' reach (``LAYERS`` pixels of unpadded 3x3 convolutions): there, a
generator cannot know where it is painting. A composition the samples keep at the coarsest
scale stays (the finer scales' noise is faint); one they lose there is not found again.

    python benchmarks/singan_layout.py -p starry-night -p great-wave
    python benchmarks/singan_layout.py -p runs/mine.safetensors
"""

from __future__ import annotations

import argparse

import torch

from engine.io import shipped_model
from plugins.singan.data import resize
from plugins.singan.evaluation import layout_distance
from plugins.singan.model import LAYERS, Pyramid, upsample
from plugins.singan.plugin import WEIGHTS
from plugins.singan.sampler import load_singan, noise_maps, reconstruct


def blind_share(size: tuple[int, int]) -> float:
    """Share of a ``size`` image's pixels farther than ``LAYERS`` pixels from every border."""
    height, width = size
    return max(0, height - 2 * LAYERS) * max(0, width - 2 * LAYERS) / (height * width)


@torch.no_grad()
def up_to(pyramid: Pyramid, noises: list[torch.Tensor], last: int) -> torch.Tensor:
    image = torch.zeros(1, 3, *pyramid.sizes[0])
    for scale in range(last + 1):
        image = pyramid.forward_scale(scale, noises[scale], upsample(image, pyramid.sizes[scale]))
    return image


def report(model: str, samples: int) -> None:
    pyramid = load_singan(shipped_model(model, WEIGHTS, "singan")).pyramid
    painting, sizes = pyramid.painting, pyramid.sizes

    def layout(image: torch.Tensor) -> float:
        return layout_distance(resize(image, sizes[-1]), painting)

    zeros = [torch.zeros(1, 3, *size) for size in sizes]
    print(f"{model}: {pyramid.scales} scales, noise amplitudes "
          + " ".join(f"{float(a):.4f}" for a in pyramid.amplitudes))
    print("scale  size     blind  samples  zero   reconstruction")
    for scale, size in enumerate(sizes):
        drawn = sum(layout(up_to(pyramid, noise_maps(seed, sizes), scale)) for seed in range(samples)) / samples
        with torch.no_grad():
            rebuilt = layout(reconstruct(pyramid, scale))
        print(f"{scale:5d}  {size[0]:3d}x{size[1]:<3d}  {blind_share(size):5.2f}  {drawn:7.3f}  "
              f"{layout(up_to(pyramid, zeros, scale)):5.3f}  {rebuilt:6.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-p", "--model", action="append", required=True,
                        help="a shipped model's name or a .safetensors path (repeatable)")
    parser.add_argument("--samples", type=int, default=8, help="seeds per scale (0..N-1)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    for model in args.model:
        report(model, args.samples)


if __name__ == "__main__":
    main()
