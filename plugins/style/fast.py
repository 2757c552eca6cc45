"""Feed-forward style transfer: train a TransformerNet on the optimisation's loss, apply it at once.

Johnson et al. (2016) showed that a small network trained against Gatys' loss on many content
crops paints a new photo in one forward pass. Training uses the same encoder and the same
objective as the optimisation mode, so ``strength`` and ``features`` mean the same in both.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from engine import TrainJob
from engine.checkpoints import Field
from engine.training import Trainer, build_within_limit, data_fingerprint, load_checkpoint, load_module

from .data import ContentCrops
from .features import make_encoder
from .images import lab_moments, load_picture, to_pixels
from .losses import StyleObjective, blended_grams
from .model import TransformerNet
from .palette import colour_quantiles

MODEL_NAME = "style"
#: What a style checkpoint's config must say, bounded to what loads in reasonable memory.
CONFIG = (Field("width", int, 1, 256), Field("blocks", int, 1, 32), Field("skip", bool, required=False),
          Field("transport", bool, required=False))
STEPS_PER_EPOCH = 100


def parse_styles(style: str | None, style_weights: str | None, owner: str = "style") -> tuple[list[Path], list[float]]:
    """``a.jpg,b.jpg`` and ``0.7,0.3`` -> paths and weights, checked against each other."""
    from engine import ParamError

    if not style:
        raise ParamError(f"{owner}: give style=PATH to a painting (several: style=a.jpg,b.jpg)")
    paths = [Path(p.strip()).expanduser() for p in style.split(",") if p.strip()]
    if style_weights:
        try:
            weights = [float(w) for w in style_weights.split(",")]
        except ValueError:
            raise ParamError(f"style_weights={style_weights!r} is not a comma-separated list of numbers") from None
        if len(weights) != len(paths):
            raise ParamError(f"style_weights has {len(weights)} value(s) for {len(paths)} style image(s)")
        if any(w < 0 for w in weights) or sum(weights) <= 0:
            raise ParamError("style_weights must be non-negative and not all zero")
    else:
        weights = [1.0] * len(paths)
    return paths, weights


def train(job: TrainJob) -> dict[str, Any]:
    params = job.params
    paths, weights = parse_styles(params["style"], params["style_weights"], "train style")
    crop = params["crop"]
    encoder = make_encoder(params["features"], params["weights"])
    styles = [load_picture(p, 2 * crop) for p in paths]
    targets = blended_grams(encoder, styles, weights)
    objective = StyleObjective(encoder, targets, {}, params["strength"], colour_target=blended_colours(styles, weights),
                               colour_weight=params["colour"])
    net = TransformerNet(params["width"], params["blocks"], params["skip"], params["transport"])
    if net.transport:
        net.colours.copy_(blended_colours(styles, weights))
    elif params["skip"]:
        net.palette.copy_(sum((lab_moments(s) * (w / sum(weights)) for s, w in zip(styles, weights)),
                              torch.zeros(1, 2, 3)))
    optimizer = torch.optim.Adam(net.parameters(), lr=params["lr"])
    batch_size = 1 if job.dry_run else params["batch_size"]
    crops = ContentCrops(job.data, 32 if job.dry_run else crop, batch_size, job.seed, STEPS_PER_EPOCH)
    config = {"width": params["width"], "blocks": params["blocks"], "skip": params["skip"],
              "transport": net.transport, "colour": params["colour"],
              "features": params["features"],
              "strength": params["strength"], "crop": crop, "styles": [p.name for p in paths], "style_weights": weights}
    preview = crops.images[0]

    def step(batch: torch.Tensor) -> dict[str, float]:
        with torch.no_grad():
            content_targets = {n: encoder(batch)[n] for n in encoder.content_layers}
        terms = objective(net(batch), content_targets)
        optimizer.zero_grad()
        terms["loss"].backward()
        optimizer.step()
        return {"loss": terms["loss"].item(), "style": terms["style"].item(), "content": terms["content"].item(),
                "n": batch.shape[0]}

    def sample(step_number: int, folder: Path) -> None:
        from PIL import Image as PILImage

        net.eval()
        with torch.no_grad():
            PILImage.fromarray(to_pixels(net(preview))).save(folder / f"step{step_number:06d}.png")
        net.train()

    trainer = Trainer(job=job, model=MODEL_NAME, config=config, modules={"net": net}, optimizers={"adam": optimizer},
                      steps_per_epoch=STEPS_PER_EPOCH, data_fingerprint=data_fingerprint(job.data), sample=sample)
    return trainer.fit(crops.batches, step)


def blended_colours(styles: list[torch.Tensor], weights: list[float]) -> torch.Tensor:
    """The paintings' colour quantiles mixed by weight: in one dimension the weighted mean of
    quantile functions is the Wasserstein barycentre, i.e. the blend of the palettes."""
    total = sum(weights)
    quantiles = [colour_quantiles(style) for style in styles]
    return sum((q * (w / total) for q, w in zip(quantiles, weights)), torch.zeros_like(quantiles[0]))


def load_net(path: Path) -> tuple[TransformerNet, str]:
    """A trained net and its checkpoint's sha256; wrong files fail with one line."""
    checkpoint = load_checkpoint(path, model=MODEL_NAME, schema=CONFIG)
    config = checkpoint.config
    net = build_within_limit(lambda: TransformerNet(config["width"], config["blocks"], config.get("skip", False),
                                                            config.get("transport", False)), path)
    load_module(net, checkpoint, "net")
    return net.eval(), checkpoint.sha256


def apply_net(net: TransformerNet, content: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return net(content)
