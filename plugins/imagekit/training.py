"""Training helpers the image models share: data for a job, preview sheets (fp16 export is
:func:`engine.checkpoints.pack_fp16`, shared with every model)."""

from __future__ import annotations

from pathlib import Path

import torch

from engine import BadInput, TrainJob
from engine.io import atomic_path
from engine.training import data_fingerprint

from .data import ImageSet, load_images
from .sampling import tile, to_hwc


def training_data(job: TrainJob, size: int, channels: int, batch_size: int, dry_run_batches: int = 3) -> tuple[ImageSet, str]:
    """The job's training split at the model's shape, and its fingerprint; a dry run keeps a few batches."""
    if job.data is None:
        raise BadInput("no training data; pass --data PATH (an IDX .gz pair folder, an IDX images file or a folder of images)")
    data = load_images(job.data, "train", size, channels)
    if job.dry_run:
        data = data.take(batch_size * dry_run_batches)
    if len(data) < batch_size:
        raise BadInput(f"{job.data}: {len(data)} images is fewer than one batch of {batch_size}; lower --batch-size")
    return data, data_fingerprint(job.data)


def write_sheet(batch: torch.Tensor, columns: int, path: Path) -> Path:
    """Save a uint8 ``(N, C, H, W)`` batch as one PNG sheet (training previews)."""
    from PIL import Image as PILImage

    sheet = tile(to_hwc(batch), columns)
    picture = PILImage.fromarray(sheet[:, :, 0] if sheet.shape[2] == 1 else sheet)
    with atomic_path(path, replace=True) as temporary:  # previews of this run replace the last run's
        picture.save(temporary, format="PNG")
    return path


def preview_labels(classes: int, columns: int) -> torch.Tensor | None:
    """One row per class (up to 10 rows) for preview sheets of conditional models."""
    if not classes:
        return None
    rows = min(classes, 10)
    return torch.arange(rows).repeat_interleave(columns)


def preview_latents(count: int, size: int, seed: int = 1234) -> torch.Tensor:
    return torch.randn(count, size, generator=torch.Generator().manual_seed(seed))

