"""Loading a GAN checkpoint and turning seeds into pixels.

A checkpoint trained with the critic's class head (``classifier_weight`` > 0) ships that critic
too, and sampling can use it: of ``candidates`` latents per seed, the first whose image the
critic sees as a real image of the label asked is drawn (rejection sampling with the model's
own critic, after Azadi et al. 2019). It costs ``candidates`` generator and critic passes per
image and turns the samples that read as another class into ones of the class asked;
docs/models.md#gan measures it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from engine.checkpoints import Field, cached_model
from engine.training import load_module

from plugins.imagekit.data import from_unit
from plugins.imagekit.checkpoint import load_network
from plugins.imagekit.sampling import seeded_latent

from .model import Discriminator, Generator, build_generator

#: What a GAN checkpoint's config must say, bounded to what loads in reasonable memory.
CONFIG = (Field("latent", int, 1, 4096), Field("width", int, 1, 512), Field("size", int, 4, 512),
          Field("channels", int, choices=(1, 3)), Field("classes", list, 0, 10_000),
          Field("critic_depth", int, 1, 3, required=False))


@dataclass
class LoadedGan:
    generator: Generator
    classes: tuple[str, ...]
    sha256: str
    size: int
    channels: int
    critic: Discriminator | None = None

    @torch.no_grad()
    def render(self, latents: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        """uint8 ``(N, C, H, W)`` images for latents (and labels when conditional)."""
        return from_unit(self.generator(latents, labels if self.classes else None))

    def seeds(self, seeds: list[int], label: int | None, truncation: float,
              candidates: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
        """Latents scaled by ``truncation`` and labels (``label`` or each seed's own) for seeds;
        with ``candidates`` > 1 and a critic, each seed's latent is the first of its candidates
        the critic sees as the label (the seed's own latent when none is)."""
        checking = candidates > 1 and self.critic is not None
        pairs = [seeded_latent(seed, self.generator.latent, len(self.classes), candidates - 1 if checking else 0)
                 for seed in seeds]
        latents = torch.stack([z for z, _ in pairs]) * truncation
        labels = torch.tensor([label if label is not None else y for _, y in pairs], dtype=torch.int64)
        if checking:
            latents = self._class_checked(latents, labels)
        return latents, labels

    def draw(self, seeds: list[int], label: int | None, truncation: float, candidates: int = 1) -> torch.Tensor:
        """uint8 images of seeds: :meth:`render` of :meth:`seeds`."""
        return self.render(*self.seeds(seeds, label, truncation, candidates))

    @torch.no_grad()
    def _class_checked(self, latents: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Of ``(N, K, latent)`` candidates, each row's first that the critic's class head gives
        its label among the real-image columns (column 2y is "real image of class y").

        The critic judges each seed's candidates as one batch: its minibatch-spread channel
        compares the images of a batch, so this keeps a seed's picture independent of the
        seeds drawn beside it (a grid cell equals the single image)."""
        assert self.critic is not None
        count, candidates, size = latents.shape
        images = self.generator(latents.reshape(-1, size), labels.repeat_interleave(candidates))
        images = images.view(count, candidates, *images.shape[1:])
        chosen = []
        for index in range(count):
            real_columns = self.critic.classify(self.critic.features(images[index]))[:, 0::2]
            accepted = real_columns.argmax(1) == labels[index]
            chosen.append(int(accepted.int().argmax()) if accepted.any() else 0)  # argmax: the first True
        return latents[torch.arange(count), torch.tensor(chosen)]


@cached_model
def load_gan(path: Path) -> LoadedGan:
    """The generator in ``path``, and its critic when the checkpoint ships one (cached while the
    file is unchanged)."""
    generator, checkpoint = load_network(path, model="gan", schema=CONFIG, build=build_generator, prefix="generator")
    config = checkpoint.config
    critic = None
    if any(key.startswith("critic.") for key in checkpoint.tensors):
        critic = Discriminator(config["width"], config["size"], config["channels"], len(config["classes"]),
                               config.get("critic_depth", 1), classifier=True)
        load_module(critic, checkpoint, "critic").eval()  # eval: spectral norm reuses its saved vectors
    return LoadedGan(generator, tuple(config["classes"]), checkpoint.sha256, config["size"], config["channels"], critic)
