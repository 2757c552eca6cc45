"""Benchmark of the `style` stylizer against two baselines run side by side.

Methods, on (content, style) pairs from ../shared/data/content x ../shared/data/style:
  pyramid   ours: random multi-scale encoder, coarse-to-fine L-BFGS (STEPS per pyramid level)
  single    single-scale Gatys: one encoder scale, one resolution, the same total L-BFGS steps
  reinhard  classic colour transfer (mean/std in Lab, Reinhard et al. 2001)
  fast      the feed-forward model, on the style it was trained for (when --model is given)

Scores come from a fixed evaluator network that no method optimises (plugins/style/metrics.py):
style distance (lower = closer to the painting's statistics) and SSIM to the content (higher =
more structure kept). Timings are seconds per image at 256 and 512 px on this machine.

    MUSE_THREADS=1 python benchmarks/style.py --model plugins/style/weights/default.safetensors
    python benchmarks/style.py --contents 2 --styles 2 --grid docs/images/style-grid.jpg
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from engine.training import configure_threads
from plugins.style.fast import apply_net, load_net
from plugins.style.images import load_picture, reinhard_transfer, to_pixels
from plugins.style.metrics import EvaluatorNet, ssim, style_distance
from plugins.style.model import RandomEncoder, TransformerNet
from plugins.style.optimize import Plan, pyramid_sizes, stylize_image

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


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


def speed(style_path: Path, content_path: Path, steps: int, net: TransformerNet) -> None:
    print("\n== seconds per image (one content, one style) ==")
    print(f"{'side':>5} {'pyramid':>9} {'single':>9} {'fast':>7} {'reinhard':>9}  single/pyramid")
    for side in (256, 512):
        content, style = load_picture(content_path, side), load_picture(style_path, side)
        _, pyramid = timed(run_pyramid, content, style, steps)
        _, single = timed(run_single, content, style, steps)
        apply_net(net, content)  # warm-up: first call allocates
        _, fast = timed(apply_net, net, content)
        _, reinhard = timed(reinhard_transfer, content, style)
        print(f"{side:>5} {pyramid:>9.1f} {single:>9.1f} {fast:>7.2f} {reinhard:>9.3f}  {single / pyramid:.2f}x")


def quality(contents: list[Path], styles: list[Path], side: int, steps: int, net: TransformerNet | None,
            net_style: Path | None, grid: Path | None) -> None:
    evaluator = EvaluatorNet()
    scores: dict[str, list[tuple[float, float]]] = {}
    tiles: list[list[np.ndarray]] = []
    for content_path in contents:
        content = load_picture(content_path, side)
        row = [to_pixels(content)]
        for style_path in styles:
            style = load_picture(style_path, side)
            made = {"pyramid": run_pyramid(content, style, steps), "single": run_single(content, style, steps),
                    "reinhard": reinhard_transfer(content, style)}
            if net is not None and net_style is not None and style_path.name == net_style.name:
                made["fast"] = apply_net(net, content)
            for method, image in made.items():
                scores.setdefault(method, []).append((style_distance(image, style, evaluator), ssim(image, content)))
            row.append(to_pixels(made["pyramid"]))
            print(f"  {content_path.stem} x {style_path.stem}: " + ", ".join(
                f"{m} {scores[m][-1][0]:.3f}/{scores[m][-1][1]:.2f}" for m in made), flush=True)
        tiles.append(row)
    print(f"\n== quality at {side} px over {len(contents)} contents x {len(styles)} styles "
          "(style distance: lower is better; SSIM to content: higher keeps more) ==")
    print(f"{'method':>9} {'pairs':>5} {'style dist':>10} {'SSIM':>6}")
    means = {m: (float(np.mean([s for s, _ in v])), float(np.mean([c for _, c in v])), len(v)) for m, v in scores.items()}
    for method, (distance, kept, count) in means.items():
        print(f"{method:>9} {count:>5} {distance:>10.3f} {kept:>6.3f}")
    ours = means["pyramid"][0]
    for baseline in ("single", "reinhard"):
        print(f"style distance, {baseline} / pyramid: {means[baseline][0] / ours:.2f}x")
    if grid is not None:
        save_grid(tiles, grid)


def save_grid(tiles: list[list[np.ndarray]], path: Path, cell: int = 200) -> None:
    """Rows = contents; first column the photo, then one stylized output per style."""
    from PIL import Image as PILImage

    rows = []
    for row in tiles:
        cells = []
        for pixels in row:
            picture = PILImage.fromarray(pixels)
            picture.thumbnail((cell, cell))
            canvas = PILImage.new("RGB", (cell, int(cell * 0.75)), (255, 255, 255))
            canvas.paste(picture, ((cell - picture.width) // 2, (canvas.height - picture.height) // 2))
            cells.append(np.asarray(canvas))
        rows.append(np.concatenate(cells, axis=1))
    path.parent.mkdir(parents=True, exist_ok=True)
    PILImage.fromarray(np.concatenate(rows, axis=0)).save(path, quality=88)
    print(f"wrote {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--steps", type=int, default=60, help="L-BFGS steps per pyramid level")
    parser.add_argument("--side", type=int, default=256, help="long side for the quality table")
    parser.add_argument("--contents", type=int, default=4)
    parser.add_argument("--styles", type=int, default=3)
    parser.add_argument("--model", type=Path, default=None, help="a fast model from `muse train style`")
    parser.add_argument("--model-style", type=Path, default=None, help="the style image that model was trained on")
    parser.add_argument("--grid", type=Path, default=None, help="also write a grid of our outputs here")
    parser.add_argument("--skip-speed", action="store_true")
    args = parser.parse_args()
    print(f"threads: {configure_threads()}")
    contents = sorted((args.data / "content").glob("*.*"))[: args.contents]
    styles = sorted((args.data / "style").glob("*.*"))
    preferred = ["vangogh_starry_night", "hokusai_great_wave", "turner_shipwreck_of_the_minotaur", "gauguin_te_fare"]
    styles = sorted(styles, key=lambda p: preferred.index(p.stem) if p.stem in preferred else 99)[: args.styles]
    net = load_net(args.model)[0] if args.model else None
    if not args.skip_speed:
        speed(styles[0], contents[0], args.steps, net or TransformerNet().eval())
    quality(contents, styles, args.side, args.steps, net, args.model_style, args.grid)


if __name__ == "__main__":
    main()
