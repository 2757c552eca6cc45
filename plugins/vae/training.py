"""`muse train vae`: ELBO training with a linear KL warm-up.

Warm-up (Bowman et al. 2016; Sønderby et al. 2016) scales the KL term from 0 to 1 over the
first steps so the decoder learns to use the latent code before the prior pulls it shut.
"""

from __future__ import annotations

from typing import Any

import torch

from engine import TrainJob
from engine.checkpoints import pack_fp16
from engine.training import Trainer, shuffled_batches

from plugins.imagekit.training import preview_labels, preview_latents, training_data, write_sheet

from .model import build_vae, elbo_terms


def train(job: TrainJob) -> dict[str, Any]:
    params = job.params
    size, channels, batch_size = params["size"], params["channels"], params["batch_size"]
    data, fingerprint = training_data(job, size, channels, batch_size)
    conditional = params["conditional"] and data.labels is not None
    classes = list(data.classes) if conditional else []
    config = {"latent": params["latent"], "width": params["width"], "hidden": params["hidden"], "size": size,
              "channels": channels, "classes": classes}
    model = build_vae(config)
    optimizer = torch.optim.Adam(model.parameters(), params["lr"])
    steps_per_epoch = len(data) // batch_size
    images = data.images.float().div(255.0)
    labels = data.labels if conditional else None
    warmup = params["kl_warmup"]
    preview_y = preview_labels(len(classes), 8)
    preview_z = preview_latents(80, config["latent"])

    def sample(step: int, folder) -> None:
        model.eval()
        with torch.no_grad():
            count = len(preview_y) if preview_y is not None else 64
            batch = torch.sigmoid(model.decode(preview_z[:count], preview_y)).mul(255).round().to(torch.uint8)
        model.train()
        write_sheet(batch, 8, folder / f"step-{step:06d}.png")

    trainer = Trainer(job, model="vae", config=config, modules={"vae": model}, optimizers={"vae": optimizer},
                      steps_per_epoch=steps_per_epoch, data_fingerprint=fingerprint, sample=sample,
                      export=lambda: pack_fp16({f"vae.{k}": v for k, v in model.state_dict().items()}))

    def batches(epoch: int):
        return shuffled_batches(len(data), batch_size, job.seed, epoch)

    def step(index: torch.Tensor) -> dict[str, float]:
        beta = min(1.0, (trainer.step + 1) / warmup) if warmup else 1.0
        nll, kl = elbo_terms(model, images[index], labels[index] if labels is not None else None)
        loss = (nll + beta * kl).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return {"nll": nll.mean().item(), "kl": kl.mean().item(), "beta": beta, "n": len(index)}

    result = trainer.fit(batches, step)
    return {**result, "classes": len(classes), "images": len(data)}
