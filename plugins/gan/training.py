"""`muse train gan`: hinge-loss training of the conditional DCGAN with an EMA generator.

The shipped generator is an exponential moving average of the trained one (Yazıcı et al. 2019):
it costs one lerp per step and gives visibly cleaner samples than the last iterate. Its decay
ramps up from 0 so the random initial weights do not linger in the average of a short run. Its
batch norm statistics are re-estimated before export, because averaged weights need their own.
"""

from __future__ import annotations

import copy
from typing import Any

import torch
from torch.nn import functional as F

from engine import BadInput, TrainJob
from engine.checkpoints import pack_fp16
from engine.training import Trainer, shuffled_batches

from plugins.imagekit.data import from_unit, to_unit
from plugins.imagekit.training import preview_labels, preview_latents, training_data, write_sheet

from .model import Discriminator, Generator, build_generator

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


def mode_seeking_loss(first: torch.Tensor, second: torch.Tensor, z_first: torch.Tensor, z_second: torch.Tensor) -> torch.Tensor:
    """The inverse of how far apart two latents' images are per unit of latent distance (Mao et
    al. 2019, MSGAN): it makes a generator that ignores its latent pay. It costs no extra pass,
    and its inverse is the ``spread`` on the progress bar, so collapse shows while training.
    Off by default: with the critic's minibatch-std channel the samples stay varied anyway, and
    at weight 1 on Fashion-MNIST it pushed them past the data's own variety (FID 23.3 against
    16.9 without it after 8 epochs; docs/models.md)."""
    images = (first - second).abs().mean()
    latents = (z_first - z_second).abs().mean()
    return 1.0 / (images / latents + 1e-5)


def classifier_critic_loss(real_logits: torch.Tensor, real_labels: torch.Tensor, fake_logits: torch.Tensor,
                           fake_labels: torch.Tensor) -> torch.Tensor:
    """The critic's ADC term (Hou et al. 2022): a real image of class y is class 2y, one generated
    for y is class 2y + 1, so the critic learns what tells each class's fakes from its real images."""
    return F.cross_entropy(real_logits, 2 * real_labels) + F.cross_entropy(fake_logits, 2 * fake_labels + 1)


def classifier_generator_loss(fake_logits: torch.Tensor, fake_labels: torch.Tensor) -> torch.Tensor:
    """G's ADC term: a sample for y should read as a real y and not as a generated y. The second
    half is what AC-GAN lacks: without it G gains by drawing only the easiest, most typical y."""
    return F.cross_entropy(fake_logits, 2 * fake_labels) - F.cross_entropy(fake_logits, 2 * fake_labels + 1)


def train(job: TrainJob) -> dict[str, Any]:
    params = job.params
    size, channels, batch_size = params["size"], params["channels"], params["batch_size"]
    data, fingerprint = training_data(job, size, channels, batch_size)
    conditional = params["conditional"] and data.labels is not None
    classes = list(data.classes) if conditional else []
    weight = params["classifier_weight"]
    if weight and not classes:
        raise BadInput(f"{job.data}: classifier_weight needs labelled data and conditional=true (pass classifier_weight=0)")
    # The critic's shape is not needed to sample, but it belongs to the run: resuming with another critic is refused.
    config = {"latent": params["latent"], "width": params["width"], "size": size, "channels": channels, "classes": classes,
              "critic_depth": params["critic_depth"], "critic_classifier": weight > 0}
    generator = build_generator(config)
    discriminator = Discriminator(params["width"], size, channels, len(classes), params["critic_depth"], classifier=weight > 0)
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
        tensors = {f"generator.{k}": v for k, v in average.state_dict().items()}
        if weight:  # the class head checks samples at generation time (sampler.LoadedGan.seeds)
            tensors.update({f"critic.{k}": v for k, v in discriminator.state_dict().items()})
        return pack_fp16(tensors)

    def sample(step: int, folder) -> None:
        recalibrate_batchnorm(average)
        with torch.no_grad():
            count = len(preview_y) if preview_y is not None else 64
            batch = from_unit(average(preview_z[:count], preview_y))
        write_sheet(batch, 8, folder / f"step-{step:06d}.png")

    trainer = Trainer(job, model="gan", config=config,
                      modules={"generator": generator, "discriminator": discriminator, "average": average},
                      optimizers=optimizers, steps_per_epoch=steps_per_epoch, data_fingerprint=fingerprint,
                      sample=sample, export=export)

    def batches(epoch: int):
        return shuffled_batches(len(data), batch_size, job.seed, epoch)

    def step(index: torch.Tensor) -> dict[str, float]:
        generator.train()
        real = images[index]
        y = labels[index] if labels is not None else None
        pairs = len(index) // 2
        # Fakes come in pairs sharing a label: the mode-seeking term compares the two.
        y_fake = None if y is None else torch.cat([y[:pairs], y[:pairs], y[2 * pairs:]])
        z = torch.randn(len(index), config["latent"])  # global RNG: saved in the resume state
        fake = generator(z, y_fake)
        seen_real, seen_fake = discriminator.features(real), discriminator.features(fake.detach())
        d_loss = (F.relu(1.0 - discriminator.judge(seen_real, y)).mean()
                  + F.relu(1.0 + discriminator.judge(seen_fake, y_fake)).mean())
        extra: dict[str, float] = {}
        if weight:
            real_logits = discriminator.classify(seen_real)
            d_loss = d_loss + weight * classifier_critic_loss(real_logits, y, discriminator.classify(seen_fake), y_fake)
            extra["critic_acc"] = (real_logits.argmax(1) == 2 * y).float().mean().item()
        optimizers["discriminator"].zero_grad(set_to_none=True)
        d_loss.backward()
        optimizers["discriminator"].step()
        seen = discriminator.features(fake)
        g_loss = -discriminator.judge(seen, y_fake).mean()
        if weight:
            g_loss = g_loss + weight * classifier_generator_loss(discriminator.classify(seen), y_fake)
        if pairs:  # a batch of one has no pair to compare
            spread = mode_seeking_loss(fake[:pairs], fake[pairs:2 * pairs], z[:pairs], z[pairs:2 * pairs])
            g_loss = g_loss + params["mode_seeking"] * spread
        else:
            spread = torch.tensor(float("inf"))
        optimizers["generator"].zero_grad(set_to_none=True)
        g_loss.backward()
        optimizers["generator"].step()
        decay = min(EMA_DECAY, (1 + trainer.step) / (10 + trainer.step))
        with torch.no_grad():
            for mine, theirs in zip(average.parameters(), generator.parameters()):
                mine.lerp_(theirs, 1.0 - decay)
        return {"d_loss": d_loss.item(), "g_loss": g_loss.item(), "spread": 1.0 / spread.item(), **extra, "n": len(index)}

    result = trainer.fit(batches, step)
    return {**result, "classes": len(classes), "images": len(data)}
