"""Improved precision and recall of a generative model (Kynkäänniemi et al. 2019).

Each set of feature vectors stands for a manifold: the union of balls around its points, each
ball reaching to that point's k-th nearest neighbour in its own set. Precision is the share of
generated images inside the real manifold (are the samples realistic?); recall is the share of
real images inside the generated manifold (does the model cover the data's variety?). Unlike
FID they separate the two failures: a model that draws one perfect dress per class has high
precision and low recall.
"""

from __future__ import annotations

import numpy as np
import torch

CHUNK = 1000  # rows of the distance matrix held at once: 1000 x 10,000 floats is 40 MB


def neighbour_radii(features: torch.Tensor, k: int) -> torch.Tensor:
    """Distance from each row to its k-th nearest other row."""
    if len(features) <= k:
        raise ValueError(f"{len(features)} feature vectors are too few for k={k} nearest neighbours")
    radii = []
    for start in range(0, len(features), CHUNK):
        distances = torch.cdist(features[start:start + CHUNK], features)
        radii.append(distances.kthvalue(k + 1, dim=1).values)  # the first is the point itself, at 0
    return torch.cat(radii)


def inside_share(points: torch.Tensor, centres: torch.Tensor, radii: torch.Tensor) -> float:
    """The share of ``points`` within ``radii[j]`` of some ``centres[j]``."""
    inside = 0
    for start in range(0, len(points), CHUNK):
        distances = torch.cdist(points[start:start + CHUNK], centres)
        inside += int((distances <= radii.unsqueeze(0)).any(1).sum())
    return inside / len(points)


@torch.no_grad()
def precision_recall(real: np.ndarray, generated: np.ndarray, k: int = 3) -> tuple[float, float]:
    """(precision, recall) of ``generated`` feature vectors against ``real`` ones (rows are images)."""
    real_t = torch.from_numpy(np.asarray(real, dtype=np.float32))
    made_t = torch.from_numpy(np.asarray(generated, dtype=np.float32))
    precision = inside_share(made_t, real_t, neighbour_radii(real_t, k))
    recall = inside_share(real_t, made_t, neighbour_radii(made_t, k))
    return precision, recall
