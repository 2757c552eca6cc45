"""`muse train singan`: the pyramid learnt coarse to fine, one scale after another (Shaham et al.).

Each scale trains ``steps_per_scale`` iterations while the scales below it stay frozen. An
iteration is ``critic_steps`` WGAN-GP critic updates on fresh samples, then ``generator_steps``
generator updates on the adversarial loss plus ``reconstruction`` x the squared error of the
reconstruction: the fixed noise map of the coarsest scale (and zero noise above it) must give
back the painting itself. That anchor is what makes the noise amplitude of the next scale
meaningful (0.1 x how far this scale's reconstruction, upsampled, is from the next scale's
painting) and what `scale_from` and the stylizers start from. A new scale starts from the
weights of the one below, and its learning rate drops tenfold for its
last fifth, both as in the paper.

A scale that fits in one window is cheap and decides the composition (where the cypress, the
moon or the wave is), so it trains ``coarse_steps`` iterations: each of its ``steps_per_scale``
trainer steps repeats the update that many times over. With 300 iterations everywhere the
samples kept the brushwork and lost the layout.

Scales larger than ``window`` pixels train on a random window of it per iteration: the
generator computes exactly those pixels of its whole-image output (its input around the window
is cut out with the convolutions' reach), and a patch critic's mean score over a random window
is an unbiased estimate of its mean over the image, so the losses are the paper's, estimated at
a third of the cost at 128 px; ``batch_size`` windows (each with its own sample) per iteration
make the estimate less noisy. One sample of the scales below serves an iteration's critic and
generator updates (the paper draws one per update).

For the shared trainer an "epoch" is one scale and a "batch" one iteration, so progress,
checkpoints, Ctrl-C and resume work as for every other model; the preview after each scale is
``OUT-samples/scale-K.png`` (the reconstruction first, then samples).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from engine import BadInput, TrainJob
from engine.checkpoints import pack_fp16
from engine.training import Trainer, data_fingerprint

from plugins.imagekit.training import write_sheet

from .data import load_painting
from .model import Pyramid, ScaleCritic, Window, build_pyramid, upsample
from .sampler import reconstruct, sample_below, to_uint8

#: SinGAN's Adam betas and the fraction of a scale's iterations after which its rate drops 10x.
BETAS = (0.5, 0.999)
DECAY_AT = 0.8
#: WGAN-GP's gradient penalty weight in SinGAN (Gulrajani et al. use 10 for whole images).
PENALTY = 0.1
#: SinGAN's noise amplitude: this fraction of the reconstruction error of the scale below.
AMPLITUDE = 0.1


def updates_per_step(size: tuple[int, int], params: dict[str, Any], steps: int) -> int:
    """Iterations per trainer step at a scale of ``size``: enough for ``coarse_steps`` in all when
    the scale fits in one window, else one."""
    if max(size) > params["window"]:
        return 1
    return max(1, -(-params["coarse_steps"] // steps))


def gradient_penalty(critic: ScaleCritic, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """(||grad critic(mix)|| - 1)^2 at a random mix of the painting and a fake (Gulrajani et al. 2017)."""
    mix = torch.rand(len(real), 1, 1, 1)
    points = (mix * real + (1 - mix) * fake).requires_grad_(True)
    grad, = torch.autograd.grad(critic(points).sum(), points, create_graph=True)
    return ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()


def random_window(size: tuple[int, int], side: int) -> Window:
    """A random ``side x side`` part of an image of ``size`` (all of it when it is smaller)."""
    height, width = min(side, size[0]), min(side, size[1])
    top = int(torch.randint(size[0] - height + 1, (1,)))
    left = int(torch.randint(size[1] - width + 1, (1,)))
    return top, left, height, width


def crop(image: torch.Tensor, window: Window) -> torch.Tensor:
    top, left, height, width = window
    return image[..., top:top + height, left:left + width]


def previews(pyramid: Pyramid, scale: int, count: int = 7, seed: int = 1234) -> torch.Tensor:
    """uint8 sheet cells at ``scale``: the reconstruction, then ``count`` samples (fixed seeds)."""
    with torch.no_grad():
        images = [reconstruct(pyramid, scale)]
        generator = torch.Generator().manual_seed(seed)
        for _ in range(count):
            previous = sample_below(pyramid, scale, generator)
            noise = torch.randn(previous.shape, generator=generator)
            images.append(pyramid.forward_scale(scale, noise, previous))
    return to_uint8(torch.cat(images))


def train(job: TrainJob) -> dict[str, Any]:
    params = job.params
    if job.data is None:
        raise BadInput("train singan needs --data PAINTING (one image file to learn from)")
    painting = load_painting(job.data, params["max_size"], params["min_size"])
    height, width = painting.size
    config = {"height": height, "width": width, "scales": painting.scales, "ratio": painting.ratio,
              "channels": params["channels"], "steps_per_scale": params["steps_per_scale"]}
    pyramid = build_pyramid(config)
    critics = torch.nn.ModuleList(ScaleCritic(params["channels"]) for _ in range(painting.scales))
    reals = painting.pyramid()
    with torch.no_grad():
        pyramid.painting.copy_(painting.image)
        noise = torch.Generator().manual_seed(job.seed)
        pyramid.reconstruction_noise.copy_(torch.randn(pyramid.reconstruction_noise.shape, generator=noise))
    lr = params["lr"]
    optimizers: dict[str, torch.optim.Optimizer] = {}
    for k in range(painting.scales):
        optimizers[f"generator{k}"] = torch.optim.Adam(pyramid.generators[k].parameters(), lr, betas=BETAS)
        optimizers[f"critic{k}"] = torch.optim.Adam(critics[k].parameters(), lr, betas=BETAS)
    steps = params["steps_per_scale"]

    def sample(step: int, folder) -> None:
        scale = step // steps - 1
        write_sheet(previews(pyramid, scale), 8, folder / f"scale-{scale}.png")

    trainer = Trainer(job, model="singan", config=config, modules={"pyramid": pyramid, "critics": critics},
                      optimizers=optimizers, total_batches=painting.scales * steps, steps_per_epoch=steps,
                      data_fingerprint=data_fingerprint(job.data), sample=sample, sample_every=steps,
                      export=lambda: pack_fp16({f"pyramid.{k}": v for k, v in pyramid.state_dict().items()}))
    anchors: dict[int, torch.Tensor] = {}

    def begin_scale(scale: int) -> torch.Tensor:
        """The upsampled reconstruction from below (zeros at the coarsest), which also sets the
        scale's noise amplitude."""
        size = pyramid.sizes[scale]
        if scale == 0:
            return torch.zeros(1, 3, *size)
        with torch.no_grad():
            anchor = upsample(reconstruct(pyramid, scale - 1), size)
            pyramid.amplitudes[scale] = AMPLITUDE * F.mse_loss(anchor, reals[scale]).sqrt()
        return anchor

    def step(iteration: int) -> dict[str, float]:
        scale = trainer.epoch
        if iteration == 0 and scale > 0:
            pyramid.generators[scale].load_state_dict(pyramid.generators[scale - 1].state_dict())
            critics[scale].load_state_dict(critics[scale - 1].state_dict())
        if scale not in anchors or iteration == 0:
            anchors.clear()
            anchors[scale] = begin_scale(scale)
        anchor, real = anchors[scale], reals[scale]
        generator, critic = pyramid.generators[scale], critics[scale]
        g_optimizer, c_optimizer = optimizers[f"generator{scale}"], optimizers[f"critic{scale}"]
        rate = lr * (0.1 if iteration >= DECAY_AT * steps else 1.0)
        for optimizer in (g_optimizer, c_optimizer):
            for group in optimizer.param_groups:
                group["lr"] = rate
        rec_noise = pyramid.reconstruction_noise if scale == 0 else torch.zeros_like(real)
        count = params["batch_size"]
        repeats = updates_per_step(pyramid.sizes[scale], params, steps)
        for _ in range(repeats):
            windows = [random_window(pyramid.sizes[scale], params["window"]) for _ in range(count)]  # global RNG: resumed
            real_part = torch.cat([crop(real, window) for window in windows])
            with torch.no_grad():
                previous = sample_below(pyramid, scale, None, count)
            for _ in range(params["critic_steps"]):
                with torch.no_grad():
                    fake = pyramid.forward_scale(scale, torch.randn_like(previous), previous, windows)
                c_loss = critic(fake).mean() - critic(real_part).mean() + PENALTY * gradient_penalty(critic, real_part, fake)
                c_optimizer.zero_grad(set_to_none=True)
                c_loss.backward()
                c_optimizer.step()
            noise = torch.randn_like(previous)
            for _ in range(params["generator_steps"]):
                adversarial = -critic(pyramid.forward_scale(scale, noise, previous, windows)).mean()
                rec_loss = F.mse_loss(generator(rec_noise * pyramid.amplitudes[scale], anchor, windows), real_part)
                g_loss = adversarial + params["reconstruction"] * rec_loss
                g_optimizer.zero_grad(set_to_none=True)
                g_loss.backward()
                g_optimizer.step()
        return {"scale": float(scale), "critic": c_loss.item(), "adv": adversarial.item(), "rec": rec_loss.item(), "n": count * repeats}

    result = trainer.fit(lambda epoch: iter(range(steps)), step)
    return {**result, "scales": painting.scales, "size": f"{width}x{height}"}
