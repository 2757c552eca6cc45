"""Content crops for training the feed-forward stylizer.

A handful of photos is enough when every batch takes fresh random crops at random scales and
flips: the network learns to paint local structure, and local structure repeats. Images are held
in memory at a bounded size, so a folder of camera originals costs little.
"""

from __future__ import annotations

from pathlib import Path
from collections.abc import Iterator

import torch

from engine import BadInput

from .images import load_picture, resize, scaled_size

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff")


def image_files(data: Path) -> list[Path]:
    """The image files of a folder (recursively), or the file itself, in a stable order."""
    if data.is_file():
        return [data]
    files = sorted(p for p in data.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise BadInput(f"{data}: no image files ({', '.join(IMAGE_SUFFIXES)}) found")
    return files


class ContentCrops:
    """Random square crops of the content images, the same ones for the same (seed, epoch).

    Each image is viewed with its long side between 1.25 and 2.5 crop widths, so a crop shows a
    large part of the scene at about the scale the trained net will later be used at.
    """

    def __init__(self, data: Path, crop: int, batch_size: int, seed: int, steps_per_epoch: int):
        self.crop, self.batch_size, self.seed, self.steps_per_epoch = crop, batch_size, seed, steps_per_epoch
        keep = int(crop * 2.5)
        self.images = [load_picture(path, keep) for path in image_files(data)]

    def batches(self, epoch: int) -> Iterator[torch.Tensor]:
        generator = torch.Generator().manual_seed(self.seed * 100_003 + epoch)
        for _ in range(self.steps_per_epoch):
            yield torch.cat([self._crop(generator) for _ in range(self.batch_size)])

    def _crop(self, generator: torch.Generator) -> torch.Tensor:
        image = self.images[int(torch.randint(len(self.images), (1,), generator=generator))]
        height, width = image.shape[-2:]
        long_side = self.crop * (1.25 + 1.25 * float(torch.rand((), generator=generator)))
        # never let the short side drop below the crop
        long_side = max(long_side, self.crop * max(height, width) / min(height, width))
        view = resize(image, scaled_size(height, width, round(long_side)))
        top = int(torch.randint(view.shape[-2] - self.crop + 1, (1,), generator=generator))
        left = int(torch.randint(view.shape[-1] - self.crop + 1, (1,), generator=generator))
        patch = view[..., top:top + self.crop, left:left + self.crop]
        return patch.flip(-1) if float(torch.rand((), generator=generator)) < 0.5 else patch
