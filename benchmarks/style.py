"""Benchmark of the `style` stylizer against two baselines run side by side.

Methods, on (content, style) pairs from ../shared/data/content x ../shared/data/style:
  pyramid   ours: random multi-scale encoder, coarse-to-fine L-BFGS (STEPS per pyramid level)
  single    single-scale Gatys: one encoder scale, one resolution, the same total L-BFGS steps
  reinhard  classic colour transfer (mean/std in Lab, Reinhard et al. 2001)
  fast      the feed-forward models (--model, default: every shipped one), each scored only on
            the painting it was trained for (named in its checkpoint)

Scores come from a fixed evaluator network that no method optimises (plugins/style/metrics.py):
style distance (lower = closer to the painting's statistics) and SSIM to the content (higher =
more structure kept). Timings are seconds per image at 256 and 512 px on this machine; without
a trained model the fast column times an untrained net of the default shape (same cost).

    MUSE_THREADS=1 python benchmarks/style.py
    MUSE_THREADS=1 python benchmarks/style.py --contents 2 --styles 3 --model /tmp/fast.safetensors
    MUSE_THREADS=1 python benchmarks/style.py --fast-only     # the shipped fast models and Reinhard only
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from engine.training import configure_threads, read_metadata
from plugins.style.fast import apply_net, load_net
from plugins.style.images import load_picture, reinhard_transfer
from plugins.style.metrics import EvaluatorNet, ssim, style_distance
from plugins.style.model import RandomEncoder, TransformerNet
from plugins.style.optimize import Plan, pyramid_sizes, stylize_image
from plugins.style.plugin import WEIGHTS_DIR

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SHIPPED = sorted(WEIGHTS_DIR.glob("*.safetensors"))


def run_pyramid(content: torch.Tensor, style: torch.Tensor, steps: int) -> torch.Tensor:
    plan = Plan(size=max(content.shape[-2:]), steps=steps, progress=False)
    return stylize_image(content, [style], [1.0], RandomEncoder(), plan)


def run_single(content: torch.Tensor, style: torch.Tensor, steps: int) -> torch.Tensor:
    """Gatys at one scale: features of the full-resolution image only, no coarse-to-fine, and as
    many L-BFGS steps as the pyramid spends over all its levels."""
    height, width = content.shape[-2:]
    total = steps * len(pyramid_sizes(height, width, max(height, width), 0))
    plan = Plan(size=max(height, width), steps=total, levels=1, progress=False)
    return stylize_image(content, [style], [1.0], RandomEncoder(levels=1), plan)


def timed(function, *args) -> tuple[torch.Tensor, float]:
    started = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - started


def speed(style_path: Path, content_path: Path, steps: int, net: TransformerNet, fast_only: bool) -> None:
    print("\n== seconds per image (one content, one style; fast: best of 3) ==")
    print(f"{'side':>5} {'pyramid':>9} {'single':>9} {'fast':>7} {'reinhard':>9}  single/pyramid")
    for side in (256, 512):
        content, style = load_picture(content_path, side), load_picture(style_path, side)
        pyramid = single = float("nan")
        if not fast_only:
            _, pyramid = timed(run_pyramid, content, style, steps)
            _, single = timed(run_single, content, style, steps)
        apply_net(net, content)  # warm-up: first call allocates
        fast = min(timed(apply_net, net, content)[1] for _ in range(3))
        _, reinhard = timed(reinhard_transfer, content, style)
        print(f"{side:>5} {pyramid:>9.1f} {single:>9.1f} {fast:>7.2f} {reinhard:>9.3f}  {single / pyramid:.2f}x")


def quality(contents: list[Path], styles: list[Path], side: int, steps: int, nets: dict[str, TransformerNet],
            fast_only: bool) -> None:
    evaluator = EvaluatorNet()
    scores: dict[str, list[tuple[float, float]]] = {}
    for content_path in contents:
        content = load_picture(content_path, side)
        for style_path in styles:
            style = load_picture(style_path, side)
            made = {"reinhard": reinhard_transfer(content, style)}
            if not fast_only:
                made |= {"pyramid": run_pyramid(content, style, steps), "single": run_single(content, style, steps)}
            if style_path.name in nets:
                made["fast"] = apply_net(nets[style_path.name], content)
            for method, image in made.items():
                scores.setdefault(method, []).append((style_distance(image, style, evaluator), ssim(image, content)))
            print(f"  {content_path.stem} x {style_path.stem}: " + ", ".join(
                f"{m} {scores[m][-1][0]:.3f}/{scores[m][-1][1]:.2f}" for m in made), flush=True)
    print(f"\n== quality at {side} px over {len(contents)} contents x {len(styles)} styles "
          "(style distance: lower is better; SSIM to content: higher keeps more) ==")
    print(f"{'method':>9} {'pairs':>5} {'style dist':>10} {'SSIM':>6}")
    means = {m: (float(np.mean([s for s, _ in v])), float(np.mean([c for _, c in v])), len(v)) for m, v in scores.items()}
    for method, (distance, kept, count) in means.items():
        print(f"{method:>9} {count:>5} {distance:>10.3f} {kept:>6.3f}")
    for ours in ("pyramid", "fast"):
        for baseline in ("single", "reinhard"):
            if ours in means and baseline in means:
                print(f"style distance, {baseline} / {ours}: {means[baseline][0] / means[ours][0]:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--steps", type=int, default=60, help="L-BFGS steps per pyramid level")
    parser.add_argument("--side", type=int, default=256, help="long side for the quality table")
    parser.add_argument("--contents", type=int, default=4)
    parser.add_argument("--styles", type=int, default=3)
    parser.add_argument("--model", type=Path, action="append",
                        help="a fast model from `muse train style`, repeatable (default: every shipped one)")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--fast-only", action="store_true", help="time and score only the fast models and Reinhard")
    args = parser.parse_args()
    print(f"threads: {configure_threads()}")
    contents = sorted((args.data / "content").glob("*.*"))[: args.contents]
    styles = sorted((args.data / "style").glob("*.*"))
    preferred = ["vangogh_starry_night", "hokusai_great_wave", "turner_shipwreck_of_the_minotaur", "gauguin_te_fare"]
    styles = sorted(styles, key=lambda p: preferred.index(p.stem) if p.stem in preferred else 99)[: args.styles]
    nets: dict[str, TransformerNet] = {}
    for path in args.model or SHIPPED:
        net_style = read_metadata(path)["config"]["styles"][0]
        nets[net_style] = load_net(path)[0]
        if net_style not in [p.name for p in styles]:
            styles.append(args.data / "style" / net_style)  # so the fast model gets scored
        print(f"fast model: {path} (trained on {net_style})")
    if not nets:
        print("fast model: none; timing an untrained net of the default shape")
    if args.fast_only:  # each fast model against Reinhard on its own painting only
        styles = [args.data / "style" / name for name in nets]
    print(f"contents: {', '.join(p.stem for p in contents)}\nstyles: {', '.join(p.stem for p in styles)}")
    if not args.skip_speed:
        speed(styles[0], contents[0], args.steps, next(iter(nets.values()), TransformerNet().eval()), args.fast_only)
    quality(contents, styles, args.side, args.steps, nets, args.fast_only)


if __name__ == "__main__":
    main()
