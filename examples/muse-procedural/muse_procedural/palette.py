"""A learned colour palette: k colours fitted to a set of images, then used to repaint others.

Training is k-means by minibatch gradient descent (the loss is each pixel's squared distance to
its nearest colour, so only the winning colour moves, as in Sculley's 2010 web-scale k-means),
started from a k-means++ draw. It runs through engine.training's Trainer, so it gets the
progress bar, resumable safetensors checkpoints with the data fingerprint, and Ctrl-C saving.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from engine import BadInput, TrainJob
from engine.training import Trainer, data_fingerprint, load_checkpoint, shuffled_batches

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp"}


def image_files(data: Path) -> list[Path]:
    files = [data] if data.is_file() else sorted(p for p in data.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise BadInput(f"{data}: no images ({', '.join(sorted(IMAGE_SUFFIXES))})")
    return files


def load_pixels(data: Path, max_side: int) -> np.ndarray:
    """Every pixel of every image under ``data`` as an (N, 3) float32 array in 0..1, each image
    first shrunk to ``max_side`` on its long side so training stays cheap."""
    from PIL import Image as PILImage, UnidentifiedImageError

    arrays = []
    for path in image_files(data):
        try:
            with PILImage.open(path) as picture:
                picture = picture.convert("RGB")
                picture.thumbnail((max_side, max_side))
                arrays.append(np.asarray(picture, dtype=np.float32).reshape(-1, 3) / 255.0)
        except (UnidentifiedImageError, OSError) as error:
            raise BadInput(f"{path}: not a readable image ({error})") from None
    return np.concatenate(arrays)


class Palette(torch.nn.Module):
    """``colours`` RGB points in 0..1; the loss of a batch is the mean squared distance of each
    pixel to its nearest point."""

    def __init__(self, colours: int):
        super().__init__()
        self.centres = torch.nn.Parameter(torch.zeros(colours, 3))

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        return torch.cdist(pixels, self.centres).pow(2).min(dim=1).values.mean()

    @torch.no_grad()
    def seed_centres(self, pixels: torch.Tensor, generator: torch.Generator) -> None:
        """k-means++: each new colour is drawn with probability proportional to its squared
        distance from the colours already chosen, so the start covers the image's gamut."""
        chosen = [pixels[torch.randint(len(pixels), (1,), generator=generator)].squeeze(0)]
        for _ in range(1, len(self.centres)):
            distance = torch.cdist(pixels, torch.stack(chosen)).pow(2).min(dim=1).values
            chosen.append(pixels[torch.multinomial(distance + 1e-12, 1, generator=generator)].squeeze(0))
        self.centres.copy_(torch.stack(chosen))


def train(job: TrainJob, model_name: str) -> dict[str, Any]:
    """Fit a palette to the images in ``job.data`` and write it to ``job.out``."""
    if job.data is None:
        raise BadInput("palette needs --data: an image or a folder of images to take the colours from")
    params = job.params
    generator = torch.Generator().manual_seed(job.seed)
    pixels = torch.from_numpy(load_pixels(job.data, params["max_side"]))
    batch_size = min(params["batch_size"], len(pixels))
    palette = Palette(params["colours"])
    palette.seed_centres(pixels, generator)
    optimizer = torch.optim.Adam(palette.parameters(), lr=params["lr"])
    trainer = Trainer(job, model=model_name, config={"colours": params["colours"]}, modules={"palette": palette},
                      optimizers={"palette": optimizer}, total_batches=params["steps"],
                      steps_per_epoch=len(pixels) // batch_size, data_fingerprint=data_fingerprint(job.data),
                      checkpoint_every=max(1, params["steps"] // 4))

    def batches(epoch: int):
        for index in shuffled_batches(len(pixels), batch_size, job.seed, epoch):
            yield pixels[index]

    def step(batch: torch.Tensor) -> dict[str, float]:
        loss = palette(batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            palette.centres.clamp_(0.0, 1.0)
        return {"loss": loss.item(), "n": len(batch)}

    summary = trainer.fit(batches, step)
    with torch.no_grad():
        mse = float(palette(pixels))
    trainer.save({"mse": mse, "psnr_db": psnr(mse)})
    return {**summary, "mse": mse, "psnr_db": psnr(mse)}


def load_colours(path: Path, model_name: str) -> tuple[np.ndarray, str]:
    """The palette's colours as (k, 3) uint8, and the checkpoint's sha256 for provenance."""
    checkpoint = load_checkpoint(path, model=model_name)
    centres = checkpoint.state_dict("palette")["centres"].numpy()
    return (centres * 255).round().clip(0, 255).astype(np.uint8), checkpoint.sha256


def repaint(pixels: np.ndarray, colours: np.ndarray, mix: float) -> np.ndarray:
    """Each pixel replaced by its nearest palette colour, blended ``mix`` of the way."""
    rgb = pixels[:, :, :3] if pixels.shape[2] >= 3 else np.repeat(pixels, 3, axis=2)
    flat = rgb.reshape(-1, 3).astype(np.float32)
    nearest = np.empty(len(flat), dtype=np.int64)
    for start in range(0, len(flat), 65536):  # bounded memory for large images
        chunk = flat[start:start + 65536]
        nearest[start:start + 65536] = ((chunk[:, None, :] - colours[None].astype(np.float32)) ** 2).sum(2).argmin(1)
    painted = colours[nearest].reshape(rgb.shape).astype(np.float32)
    return (rgb * (1 - mix) + painted * mix).round().astype(np.uint8)


def psnr(mse: float) -> float:
    """Peak signal-to-noise ratio in dB for an MSE over values in 0..1."""
    return float(10 * np.log10(1.0 / max(mse, 1e-12)))


def evaluate(path: Path, model_name: str, data: Path, max_side: int) -> dict[str, Any]:
    """PSNR of repainting ``data`` with the palette, beside two baselines with as many colours:
    a uniform grid posterize and Pillow's median cut fitted to each image itself."""
    from PIL import Image as PILImage

    colours, _ = load_colours(path, model_name)
    k = len(colours)
    levels = max(2, round(k ** (1 / 3)))
    scores: dict[str, list[float]] = {"palette": [], "uniform": [], "median_cut": []}
    for file in image_files(data):
        with PILImage.open(file) as picture:
            picture = picture.convert("RGB")
            picture.thumbnail((max_side, max_side))
            original = np.asarray(picture)
            cut = np.asarray(picture.quantize(colors=k, method=PILImage.Quantize.MEDIANCUT).convert("RGB"))
        step = 255 / (levels - 1)
        uniform = (np.round(original / step) * step).round().astype(np.uint8)
        for key, made in (("palette", repaint(original, colours, 1.0)), ("uniform", uniform), ("median_cut", cut)):
            scores[key].append(float(((made / 255.0 - original / 255.0) ** 2).mean()))
    report = {"colours": k, "images": len(scores["palette"])}
    for key, values in scores.items():
        report[f"{key}_psnr_db"] = psnr(float(np.mean(values)))
    report["uniform_grid_colours"] = levels ** 3
    return report
