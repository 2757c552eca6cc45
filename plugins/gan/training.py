"""`muse train gan`: hinge-loss training of the conditional DCGAN with an EMA generator.

The shipped generator is an exponential moving average of the trained one (Yazıcı et al. 2019):
it costs one lerp per step and gives visibly cleaner samples than the last iterate. Its batch
norm statistics are re-estimated before export, because averaged weights need their own.
"""

from __future__ import annotations

import copy
from typing import Any

import torch
from torch.nn import functional as F

from engine import TrainJob
from engine.training import Trainer, shuffled_batches

from plugins.images.data import from_unit, to_unit
from plugins.images.training import half, preview_labels, preview_latents, training_data, write_sheet

from .model import Discriminator, Generator

EMA_DECAY = 0.999


@torch.no_grad()
def recalibrate_batchnorm(generator: Generator, batches: int = 8, batch_size: int = 256, seed: int = 0) -> None:
    """Re-estimate BN running statistics of ``generator`` from its own samples (deterministic)."""
    norms = [m for m in generator.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    if not norms:
        return
    for norm in norms:
        norm.reset_running_stats()
        norm.momentum = None  # cumulative average over the calibration batches
    rng = torch.Generator().manual_seed(seed)
    generator.train()
    for _ in range(batches):
        z = torch.randn(batch_size, generator.latent, generator=rng)
        labels = torch.randint(generator.classes, (batch_size,), generator=rng) if generator.classes else None
        generator(z, labels)
    for norm in norms:
        norm.momentum = 0.1
    generator.eval()


def build(config: dict[str, Any]) -> Generator:
    return Generator(config["latent"], config["width"], config["size"], config["channels"], len(config["classes"]))


def train(job: TrainJob) -> dict[str, Any]:
    params = job.params
    size, channels, batch_size = params["size"], params["channels"], params["batch_size"]
    data, fingerprint = training_data(job, size, channels, batch_size)
    conditional = params["conditional"] and data.labels is not None
    classes = list(data.classes) if conditional else []
    config = {"latent": params["latent"], "width": params["width"], "size": size, "channels": channels, "classes": classes}
    generator = build(config)
    discriminator = Discriminator(params["width"], size, channels, len(classes))
    average = copy.deepcopy(generator).requires_grad_(False)
    betas = (0.5, 0.999)
    optimizers = {"generator": torch.optim.Adam(generator.parameters(), params["lr"], betas=betas),
                  "discriminator": torch.optim.Adam(discriminator.parameters(), params["lr"], betas=betas)}
    steps_per_epoch = len(data) // batch_size
    images = to_unit(data.images)
    labels = data.labels if conditional else None
    preview_z = preview_latents(80, config["latent"])
    preview_y = preview_labels(len(classes), 8)

    def export() -> dict[str, torch.Tensor]:
        recalibrate_batchnorm(average)
        return half({f"generator.{k}": v for k, v in average.state_dict().items()})

    def sample(step: int, folder) -> None:
        recalibrate_batchnorm(average)
        with torch.no_grad():
            count = len(preview_y) if preview_y is not None else 64
            batch = from_unit(average(preview_z[:count], preview_y))
        write_sheet(batch, 8, folder / f"step-{step:06d}.png")

    trainer = Trainer(job, model="gan", config=config,
                      modules={"generator": generator, "discriminator": discriminator, "average": average},
                      optimizers=optimizers, total_steps=params["epochs"] * steps_per_epoch,
                      steps_per_epoch=steps_per_epoch, data_fingerprint=fingerprint,
                      checkpoint_every=params["checkpoint_every"], sample_every=params["sample_every"],
                      sample=sample, export=export)
    def batches(epoch: int):
        return shuffled_batches(len(data), batch_size, job.seed, epoch)

    def step(index: torch.Tensor) -> dict[str, float]:
        generator.train()
        real = images[index]
        y = labels[index] if labels is not None else None
        z = torch.randn(len(index), config["latent"])  # global RNG: saved in the resume state
        fake = generator(z, y)
        d_loss = F.relu(1.0 - discriminator(real, y)).mean() + F.relu(1.0 + discriminator(fake.detach(), y)).mean()
        optimizers["discriminator"].zero_grad(set_to_none=True)
        d_loss.backward()
        optimizers["discriminator"].step()
        g_loss = -discriminator(fake, y).mean()
        optimizers["generator"].zero_grad(set_to_none=True)
        g_loss.backward()
        optimizers["generator"].step()
        with torch.no_grad():
            for mine, theirs in zip(average.parameters(), generator.parameters()):
                mine.lerp_(theirs, 1.0 - EMA_DECAY)
        return {"d_loss": d_loss.item(), "g_loss": g_loss.item(), "n": len(index)}

    result = trainer.fit(batches, step)
    return {**result, "classes": len(classes), "images": len(data)}
