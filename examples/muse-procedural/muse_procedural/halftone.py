"""Halftone screening: each cell of a grid becomes one dot whose area matches the cell's ink.

A dot of radius r in a cell of side s covers pi*r^2/s^2 of it, so r = s*sqrt(ink/pi) gives the
right tone. Past half ink the dot would spill out of its cell, so the cell turns dark with a
light hole of area 1 - ink instead, as printed screens do when their dots join. In ``cmy`` mode each
subtractive primary gets its own screen, offset by a third of a cell, the way print shifts
screens so the dots do not sit on top of each other. An image too small to hold a screen (fewer
than MIN_CELLS cells across) is enlarged first so each of its pixels prints as one dot: a 28 px
garment becomes 28 dots across, not 3 blurred ones.
"""

from __future__ import annotations

import numpy as np

LUMA = np.array([0.299, 0.587, 0.114])
#: Fewest cells across the short side for a screen to read as a picture.
MIN_CELLS = 16


def screen(tone: np.ndarray, cell: int, offset: int) -> np.ndarray:
    """Ink coverage (0..1) of a dot screen for ``tone`` (H x W, 1 = full ink)."""
    height, width = tone.shape
    rows = (np.arange(height) + offset) // cell
    cols = (np.arange(width) + offset) // cell
    # mean ink per cell, by summing pixels into their cells
    sums = np.zeros((rows[-1] + 1, cols[-1] + 1))
    counts = np.zeros_like(sums)
    np.add.at(sums, (rows[:, None], cols[None, :]), tone)
    np.add.at(counts, (rows[:, None], cols[None, :]), 1.0)
    ink = sums / counts
    # Up to half ink, a dark dot of area `ink`; beyond, a light hole of area `1 - ink` in dark.
    dark = ink > 0.5
    radius = cell * np.sqrt(np.where(dark, 1.0 - ink, ink) / np.pi)
    centre_y = (np.arange(height) + offset) % cell + 0.5 - cell / 2
    centre_x = (np.arange(width) + offset) % cell + 0.5 - cell / 2
    distance = np.hypot(centre_y[:, None], centre_x[None, :])
    inside = np.clip(radius[rows[:, None], cols[None, :]] - distance + 0.5, 0.0, 1.0)
    return np.where(dark[rows[:, None], cols[None, :]], 1.0 - inside, inside)


def halftone(pixels: np.ndarray, cell: int, mode: str) -> np.ndarray:
    """Screen an H x W x C uint8 image; returns H x W (mono) or H x W x 3 (cmy) uint8."""
    if min(pixels.shape[:2]) < MIN_CELLS * cell:
        pixels = np.repeat(np.repeat(pixels, cell, axis=0), cell, axis=1)
    rgb = pixels[:, :, :3].astype(np.float64) / 255.0
    if rgb.shape[2] == 1:
        rgb = np.repeat(rgb, 3, axis=2)
    if mode == "mono":
        ink = screen(1.0 - rgb @ LUMA, cell, 0)
        return ((1.0 - ink) * 255).round().astype(np.uint8)
    planes = [1.0 - screen(1.0 - rgb[:, :, c], cell, c * cell // 3) for c in range(3)]
    return (np.stack(planes, axis=2) * 255).round().astype(np.uint8)
