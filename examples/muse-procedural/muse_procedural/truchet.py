"""Truchet tilings: a grid of square tiles, each holding the same motif turned one of two ways.

The motif and the per-tile coin flips make the picture; arcs join across tile edges into long
winding paths (Smith's 1987 variant of Truchet's 1704 tiles). Everything is drawn with distance
fields on the pixel grid, so edges are anti-aliased and the result depends only on the seed.
"""

from __future__ import annotations

import numpy as np

PALETTES: dict[str, tuple[tuple[int, int, int], tuple[int, int, int]]] = {
    "ink": ((245, 240, 226), (28, 28, 36)),
    "ocean": ((12, 44, 84), (120, 210, 230)),
    "ember": ((40, 12, 8), (250, 150, 40)),
}
MOTIFS = ("arcs", "diagonals", "triangles")


def colours(palette: str, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Background and ink colours; ``seeded`` picks a light and a dark colour from ``rng``."""
    if palette == "seeded":
        light = rng.integers(170, 256, 3)
        dark = rng.integers(0, 90, 3)
        return (light, dark) if rng.random() < 0.5 else (dark, light)
    paper, ink = PALETTES[palette]
    return np.array(paper), np.array(ink)


def coverage(motif: str, u: np.ndarray, v: np.ndarray, line: float, tile: int) -> np.ndarray:
    """How much ink covers each pixel (0..1), from its position (u, v) inside its tile."""
    if motif == "arcs":  # quarter circles around two opposite corners
        distance = np.minimum(np.abs(np.hypot(u, v) - 0.5), np.abs(np.hypot(1 - u, 1 - v) - 0.5))
    elif motif == "diagonals":
        distance = np.abs(u - v) / np.sqrt(2)
    else:  # triangles: the half below the diagonal is filled
        return np.clip((u - v) * tile / np.sqrt(2) + 0.5, 0.0, 1.0)
    return np.clip((line / 2 - distance) * tile + 0.5, 0.0, 1.0)


def draw(tiles: int, tile: int, motif: str, line: float, palette: str, seed: int) -> np.ndarray:
    """A ``(tiles*tile, tiles*tile, 3)`` uint8 Truchet tiling."""
    rng = np.random.default_rng(seed)
    flips = rng.random((tiles, tiles)) < 0.5
    background, ink = colours(palette, rng)
    centres = (np.arange(tiles * tile) % tile + 0.5) / tile  # pixel centres inside their tile
    u = np.broadcast_to(centres[None, :], (tiles * tile,) * 2)
    v = np.broadcast_to(centres[:, None], (tiles * tile,) * 2)
    flipped = np.repeat(np.repeat(flips, tile, axis=0), tile, axis=1)
    u = np.where(flipped, 1 - u, u)  # a flipped tile is the motif mirrored left to right
    amount = coverage(motif, u, v, line, tile)[:, :, None]
    return (background * (1 - amount) + ink * amount).round().astype(np.uint8)
