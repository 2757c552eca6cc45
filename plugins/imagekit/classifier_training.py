"""One training step and one training recipe for the classifier, shared by `muse train
classifier` and the Classification Accuracy Score, so CAS trains exactly what the shipped
classifier was trained with ("the same architecture, the same budget")."""

from __future__ import annotations

from typing import Any

import torch
from torch.nn import functional as F

from engine.training import shuffled_batches

from .classifier import Classifier, build_classifier


def augment(batch: torch.Tensor, flip: bool, shift: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """Mirror half the images (clothes look the same mirrored) and move each by up to ``shift``
    pixels each way, filling with the background (-1), so a network learns what, not where."""
    count, _, height, width = batch.shape
    if flip:
        mirrored = torch.rand(count, generator=generator) < 0.5
        batch = torch.where(mirrored.view(-1, 1, 1, 1), batch.flip(-1), batch)
    if shift:
        padded = F.pad(batch, (shift, shift, shift, shift), value=-1.0)
        dy, dx = (torch.randint(0, 2 * shift + 1, (2, count), generator=generator))
        rows = (dy.view(-1, 1) + torch.arange(height)).view(count, height, 1)
        cols = (dx.view(-1, 1) + torch.arange(width)).view(count, 1, width)
        batch = padded[torch.arange(count).view(-1, 1, 1), :, rows, cols].permute(0, 3, 1, 2)
    return batch


def classifier_step(network: Classifier, optimizer: torch.optim.Optimizer, images: torch.Tensor, labels: torch.Tensor,
                    flip: bool, shift: int, generator: torch.Generator | None = None) -> dict[str, float]:
    """One cross-entropy step on a batch of images in [-1, 1]; the loss and accuracy it saw."""
    network.train()
    logits = network(augment(images, flip, shift, generator))
    loss = F.cross_entropy(logits, labels)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return {"loss": loss.item(), "acc": (logits.argmax(1) == labels).float().mean().item(), "n": len(labels)}


def fit_classifier(images: torch.Tensor, labels: torch.Tensor, config: dict[str, Any], *, epochs: int,
                   batch_size: int, lr: float, flip: bool, shift: int, seed: int = 0) -> Classifier:
    """A classifier of ``config``'s shape trained on uint8 ``images`` from a fixed seed (in eval
    mode). No checkpoints or progress bar: CAS runs it twice inside one evaluation. The global
    RNG (initial weights, dropout) is seeded inside a fork, so the caller's is left as it was."""
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        network = build_classifier(config)
        optimizer = torch.optim.Adam(network.parameters(), lr)
        generator = torch.Generator().manual_seed(seed)
        batch_size = min(batch_size, len(images))
        for epoch in range(epochs):
            for index in shuffled_batches(len(images), batch_size, seed, epoch):
                batch = images[index].float().div(127.5).sub(1.0)
                classifier_step(network, optimizer, batch, labels[index], flip, shift, generator)
    return network.eval()
