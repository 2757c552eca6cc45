"""Retargeting: a SinGAN asked for another shape than its painting's, from noise or laid out by GPNN.

For each model and each target shape (twice as wide; 1.6x as tall) this prints, over ``--samples``
seeds, SIFID against the painting (``muse eval singan``'s ruler: are the pictures made of the
painting's patches in its proportions) and diversity (mean pairwise feature distance over the
painting's own feature norm), for

- ``noise``: every scale from noise at the new shape (what `muse generate singan` did before),
- ``gpnn``: GPNN lays out the coarse scales up to about 25 px and the GAN paints from there
  (what it does now, `plugins/singan/generate.py`),

and the ratio of the two SIFIDs in the same run. The layout distance is not printed: a
retargeted picture should not keep the painting's composition at the old proportions.

    python benchmarks/singan_retarget.py -p starry-night -p great-wave
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import torch

from engine.io import shipped_model
from plugins.imagekit.data import to_unit
from plugins.imagekit.random_features import EvaluatorNet
from plugins.singan.evaluation import diversity, feature_map, sifid
from plugins.singan.generate import picture
from plugins.singan.plugin import WEIGHTS
from plugins.singan.sampler import LoadedSinGAN, load_singan, noise_maps, to_uint8

Maker = Callable[[LoadedSinGAN, list[tuple[int, int]], int], torch.Tensor]


def from_noise(model: LoadedSinGAN, sizes: list[tuple[int, int]], seed: int) -> torch.Tensor:
    return to_unit(to_uint8(model.synthesise(noise_maps(seed, sizes))))


def laid_out(model: LoadedSinGAN, sizes: list[tuple[int, int]], seed: int) -> torch.Tensor:
    return to_unit(picture(model, noise_maps(seed, sizes), 0, seed))


def report(name: str, samples: int) -> None:
    model = load_singan(shipped_model(name, WEIGHTS, "singan"))
    net = EvaluatorNet()
    reference = feature_map(net, model.painting())
    height, width = model.size
    makers: dict[str, Maker] = {"noise": from_noise, "gpnn": laid_out}
    print(f"{name} ({width}x{height}), {samples} seeds")
    print("shape     method  SIFID    diversity")
    for shape, size in {"wide 2x": (height, 2 * width), "tall 1.6x": (round(1.6 * height), width)}.items():
        sizes = model.sizes(*size)
        scores = {}
        for method, make in makers.items():
            maps = [feature_map(net, make(model, sizes, seed)) for seed in range(samples)]
            scores[method] = sum(sifid(features, reference) for features in maps) / len(maps)
            print(f"{shape:9s} {method:6s}  {scores[method]:.4f}   {diversity(maps, reference):.3f}")
        print(f"{shape:9s} SIFID noise / gpnn = {scores['noise'] / scores['gpnn']:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-p", "--model", action="append", required=True,
                        help="a shipped model's name or a .safetensors path (repeatable)")
    parser.add_argument("--samples", type=int, default=6, help="seeds per shape and method (0..N-1)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    for name in args.model:
        report(name, args.samples)


if __name__ == "__main__":
    main()
