"""Gatys-style optimisation of the pixels, coarse to fine over an image pyramid.

At 128 px an L-BFGS step costs 1/16 of one at 512 px, and the layout of the strokes (the part
that needs many steps) is decided there; finer levels start from the upsampled result and only
add detail. That is what makes 512 px practical on two CPU cores.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Callable

import torch
from tqdm import tqdm

from .images import grey_rgb, match_luminance, resize, scaled_size, to_pixels
from .losses import StyleObjective, blended_grams
from .model import Encoder

#: The coarsest pyramid level is at least this many pixels on the long side.
COARSEST = 128


@dataclass
class Plan:
    """What to optimise: the knobs of one run, independent of where the pixels came from."""

    size: int
    steps: int
    strength: float = 1.0
    levels: int = 0  # 0 = as many as fit above COARSEST
    init: str = "content"
    preserve_color: bool = False
    seed: int = 0
    progress: bool = True
    snapshots: Path | None = None
    history: list[dict[str, float]] = field(default_factory=list)


def pyramid_sizes(height: int, width: int, size: int, levels: int) -> list[tuple[int, int]]:
    """Working sizes from coarse to fine, halving the long side from ``size``."""
    count = levels or max(1, 1 + int(torch.log2(torch.tensor(size / COARSEST)).floor().item()))
    sides = [max(16, round(size / 2 ** k)) for k in range(count)][::-1]
    return [scaled_size(height, width, side) for side in sides]


def stylize_image(content: torch.Tensor, styles: list[torch.Tensor], weights: list[float], encoder: Encoder,
                  plan: Plan, load_style: Callable[[int], list[torch.Tensor]] | None = None) -> torch.Tensor:
    """Optimise an image that has ``content``'s layout and the blended styles' statistics.

    ``content`` is ``(1, 3, H, W)`` already at the output size. ``styles`` are full-size style
    images; each level uses them scaled to the level's long side (``load_style`` may re-read
    them at that size instead, to keep memory small).
    """
    height, width = content.shape[-2:]
    sizes = pyramid_sizes(height, width, max(height, width), plan.levels)
    if plan.preserve_color:
        content_work = grey_rgb(content)
        styles = [match_luminance(grey_rgb(s), content_work) for s in styles]
    else:
        content_work = content
    if plan.snapshots is not None:
        _check_snapshots(plan.snapshots, sizes)
    generator = torch.Generator().manual_seed(plan.seed)
    image: torch.Tensor | None = None
    bar = tqdm(total=plan.steps * len(sizes), desc="style", unit="step", file=sys.stderr,
               disable=not plan.progress or None, dynamic_ncols=True, leave=False)
    with bar:
        for number, level_size in enumerate(sizes):
            level_content = resize(content_work, level_size)
            level_styles = [resize(s, scaled_size(*s.shape[-2:], max(level_size))) for s in styles]
            targets = blended_grams(encoder, level_styles, weights)
            objective = StyleObjective.build(encoder, level_content, targets, plan.strength)
            if image is None:
                image = level_content.clone() if plan.init == "content" else _noise_like(level_content, generator)
            else:
                image = resize(image, level_size)
            bar.set_description(f"style {max(level_size)}px")
            started = time.perf_counter()
            image = _lbfgs(image, objective, plan.steps, bar, plan.history)
            if bar.disable and plan.progress:  # no terminal (a log, a pipe): one line per level instead
                print(f"muse: style level {number + 1}/{len(sizes)} ({max(level_size)} px) took "
                      f"{time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
            if plan.snapshots is not None:
                _snapshot(image, plan.snapshots, number, level_size)
    assert image is not None
    return image.clamp(0, 1)


def _noise_like(content: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Mid-grey plus noise: a start that carries none of the content, as in Gatys et al."""
    return (0.5 + 0.2 * torch.randn(content.shape, generator=generator)).clamp(0, 1)


def _lbfgs(image: torch.Tensor, objective: StyleObjective, steps: int, bar: tqdm,
           history: list[dict[str, float]]) -> torch.Tensor:
    """``steps`` L-BFGS iterations (one loss evaluation each) on the pixels."""
    pixels = image.detach().clone().contiguous().requires_grad_(True)
    optimizer = torch.optim.LBFGS([pixels], lr=1.0, max_iter=steps, max_eval=steps, history_size=20,
                                  tolerance_grad=0.0, tolerance_change=0.0)
    last: dict[str, float] = {}

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        terms = objective(pixels)
        terms["loss"].backward()
        last.update({k: float(v.detach()) for k, v in terms.items()})
        bar.update(1)
        bar.set_postfix(style=f"{last['style']:.3f}", content=f"{last['content']:.3f}", refresh=False)
        return terms["loss"]

    optimizer.step(closure)
    history.append({"side": max(image.shape[-2:]), **last})
    return pixels.detach().clamp(0, 1)


def _snapshot_path(folder: Path, number: int, size: tuple[int, int]) -> Path:
    return folder / f"level{number}-{max(size)}px.png"


def _check_snapshots(folder: Path, sizes: list[tuple[int, int]]) -> None:
    """Before minutes of work: ``snapshots`` is a folder (or a new one) and no snapshot would
    replace a file there, unless the command runs with --force."""
    from engine import BadInput
    from engine.io import may_replace, prepare_output

    if folder.exists() and not folder.is_dir():
        raise BadInput(f"snapshots={folder} is a file; give a folder for the snapshots")
    for number, size in enumerate(sizes):
        prepare_output(_snapshot_path(folder, number, size), force=may_replace())


def _snapshot(image: torch.Tensor, folder: Path, number: int, size: tuple[int, int]) -> None:
    """Write an intermediate result so a user can watch a long run take shape."""
    from PIL import Image as PILImage

    from engine.io import atomic_path

    with atomic_path(_snapshot_path(folder, number, size)) as temporary:
        PILImage.fromarray(to_pixels(image)).save(temporary, format="PNG")
