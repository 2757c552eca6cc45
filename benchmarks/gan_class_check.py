"""What class-checked sampling costs: images per second of the shipped GAN with
``class_check=1`` (plain samples) and ``class_check=K``, and how many seeds the critic accepted
at their own latent, measured back to back in one process on one thread.

    python benchmarks/gan_class_check.py --images 2000 --check 8
"""

from __future__ import annotations

import argparse
import time

import torch

from engine.io import shipped_model
from plugins.gan.plugin import WEIGHTS
from plugins.gan.sampler import load_gan


def images_per_second(model: str, images: int, candidates: int, batch: int = 500) -> float:
    gan = load_gan(shipped_model(model, WEIGHTS, "gan"))
    start = time.perf_counter()
    for first in range(0, images, batch):
        gan.draw(list(range(first, min(images, first + batch))), None, 1.0, candidates)
    return images / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-p", "--model", default="default", help="a shipped GAN's name or a .safetensors path")
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--check", type=int, default=8, help="candidates per image of the checked run")
    args = parser.parse_args()
    torch.set_num_threads(1)
    gan = load_gan(shipped_model(args.model, WEIGHTS, "gan"))
    if gan.critic is None:
        parser.error(f"{args.model} was trained without the critic's class head: it has nothing to check with")
    plain = images_per_second(args.model, args.images, 1)
    checked = images_per_second(args.model, args.images, args.check)
    seeds = list(range(args.images))
    kept = sum(torch.equal(a, b) for a, b in zip(gan.seeds(seeds, None, 1.0, args.check)[0], gan.seeds(seeds, None, 1.0)[0]))
    print(f"{args.model}: {args.images} images, one thread")
    print(f"class_check=1           {plain:8.0f} images/s")
    print(f"class_check={args.check:<10d} {checked:8.0f} images/s  ({plain / checked:.1f}x slower)")
    print(f"seeds whose own latent the critic accepted: {kept / args.images:.3f}")


if __name__ == "__main__":
    main()
