"""A fixed random-weight conv net for *measuring* images: `style` and `singan` both score with it.

No method optimises against it (its seed, kernel sizes and max-pooling differ from the style
loss's encoder), so a method cannot score well by overfitting its own features. Random conv
features carry texture statistics well enough to compare paintings (Ustyuzhaninov et al. 2016).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

#: The evaluator's weights come from this seed, never from a work's seed.
EVALUATOR_SEED = 4242


class EvaluatorNet(nn.Module):
    """A fixed random VGG-like net (5x5, 3x3, 3x3 convs with max-pooling) used only to measure."""

    def __init__(self, seed: int = EVALUATOR_SEED):
        super().__init__()
        generator = torch.Generator().manual_seed(seed)
        self.convs = nn.ModuleList([nn.Conv2d(3, 64, 5, padding=2), nn.Conv2d(64, 128, 3, padding=1),
                                    nn.Conv2d(128, 256, 3, padding=1)])
        with torch.no_grad():
            for conv in self.convs:
                fan_in = conv.weight[0].numel()
                conv.weight.copy_(torch.randn(conv.weight.shape, generator=generator) * (2.0 / fan_in) ** 0.5)
                conv.bias.copy_(torch.randn(conv.bias.shape, generator=generator) * 0.1)
        for parameter in self.parameters():
            parameter.requires_grad_(False)

    def forward(self, image: torch.Tensor) -> list[torch.Tensor]:
        x, outputs = image * 2.0 - 1.0, []
        for index, conv in enumerate(self.convs):
            x = F.relu(conv(x))
            outputs.append(x)
            if index < len(self.convs) - 1:
                x = F.max_pool2d(x, 2)
        return outputs
