"""Fréchet distance between two sets of feature vectors (the FID formula, our own features).

trace(sqrt(S1 S2)) is computed as the sum of square roots of the eigenvalues of
sqrt(S1) S2 sqrt(S1), which is symmetric, so plain ``eigh`` suffices (no scipy).
"""

from __future__ import annotations

import numpy as np
import torch


def statistics(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    values = np.asarray(features, dtype=np.float64)
    return values.mean(axis=0), np.cov(values, rowvar=False)


def _sqrt_psd(matrix: np.ndarray) -> np.ndarray:
    values, vectors = np.linalg.eigh(matrix)
    return (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """FID between feature sets ``a`` and ``b`` (rows are samples)."""
    mean_a, cov_a = statistics(a)
    mean_b, cov_b = statistics(b)
    root_a = _sqrt_psd(cov_a)
    middle = root_a @ cov_b @ root_a
    trace_sqrt = np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0.0, None)).sum()
    return float(((mean_a - mean_b) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2.0 * trace_sqrt)


@torch.no_grad()
def extract_features(classifier: torch.nn.Module, images: torch.Tensor, batch: int = 500) -> np.ndarray:
    """Penultimate features of uint8 ``(N, C, H, W)`` images."""
    classifier.eval()
    chunks = [classifier.features(images[i:i + batch].float().div(127.5).sub(1.0)) for i in range(0, len(images), batch)]
    return torch.cat(chunks).numpy()


def gaussian_baseline(images: torch.Tensor, count: int, seed: int) -> torch.Tensor:
    """The FID ceiling: every pixel drawn independently from its own Gaussian fitted to ``images``."""
    values = images.float()
    mean, std = values.mean(0), values.std(0)
    noise = torch.randn((count, *mean.shape), generator=torch.Generator().manual_seed(seed))
    return (mean + std * noise).round().clamp(0, 255).to(torch.uint8)
