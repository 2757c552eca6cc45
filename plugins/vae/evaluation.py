"""Test-set likelihood figures for the VAE: -ELBO (an upper bound on -log p(x)) and its parts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from plugins.imagekit.evaluation import evaluation_splits

from .model import elbo_terms
from .sampler import LoadedVae


@torch.no_grad()
def likelihood_report(vae: LoadedVae, data: Path | None, params: dict[str, Any]) -> dict[str, float]:
    """Mean per-image -ELBO, reconstruction NLL and KL in nats, and the per-pixel MSE of the
    posterior-mean reconstruction (intensities in [0, 1]), over the test split."""
    test, _ = evaluation_splits(data, vae.size, vae.channels, "vae")
    if vae.classes and test.labels is None:
        from engine import BadInput

        raise BadInput(f"{data}: this VAE is class-conditional and the test data has no labels")
    generator = torch.Generator().manual_seed(params["seed"])
    totals = {"nll": 0.0, "kl": 0.0, "mse": 0.0}
    for start in range(0, len(test), 1000):
        images = test.images[start:start + 1000].float().div(255)
        labels = test.labels[start:start + 1000] if vae.classes else None
        noise = torch.randn(len(images), vae.vae.latent, generator=generator)
        nll, kl = elbo_terms(vae.vae, images, labels, noise)
        mean, _ = vae.vae.encode(images, labels)
        reconstruction = torch.sigmoid(vae.vae.decode(mean, labels))
        totals["nll"] += float(nll.sum())
        totals["kl"] += float(kl.sum())
        totals["mse"] += float((reconstruction - images).pow(2).flatten(1).mean(1).sum())
    count = len(test)
    return {"test_neg_elbo_nats": (totals["nll"] + totals["kl"]) / count,
            "test_reconstruction_nll_nats": totals["nll"] / count,
            "test_kl_nats": totals["kl"] / count,
            "test_reconstruction_mse": totals["mse"] / count}
