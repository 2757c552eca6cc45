"""Speed of the image models against the classic pytorch/examples baselines, as ratios.

Baselines are re-implemented here from their published architectures:
- DCGAN (pytorch/examples dcgan/main.py): 64x64 images, nz=100, ngf=ndf=64, five transposed
  convolutions with batch norm in G, a five-layer conv D with a sigmoid, BCE loss, Adam(2e-4, 0.5).
- VAE (pytorch/examples vae/main.py): MLP 784-400-(20, 20) / 20-400-784, BCE + KL, Adam(1e-3).

Both sides train on the same Fashion-MNIST images (resized to 64 for the DCGAN, as its example
does) at batch 64, one thread each, measured back to back. Ratios > 1 mean ours is faster.

    python benchmarks/images.py --data ../shared/data/fashion-mnist --steps 30
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from collections.abc import Callable

import torch
from torch import nn
from torch.nn import functional as F

from engine.params import resolve
from plugins.gan.model import Discriminator, Generator
from plugins.gan.plugin import GanGenerator
from plugins.imagekit.data import from_unit, load_images, resize, to_unit
from plugins.vae.model import VAE, elbo_terms

BATCH = 64


class ExampleDcganG(nn.Sequential):
    def __init__(self, nz: int = 100, ngf: int = 64, nc: int = 1):
        super().__init__(
            nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 8), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 4), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf), nn.ReLU(True),
            nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), nn.Tanh())


class ExampleDcganD(nn.Sequential):
    def __init__(self, ndf: int = 64, nc: int = 1):
        super().__init__(
            nn.Conv2d(nc, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True),
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 2), nn.LeakyReLU(0.2, True),
            nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 4), nn.LeakyReLU(0.2, True),
            nn.Conv2d(ndf * 4, ndf * 8, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 8), nn.LeakyReLU(0.2, True),
            nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False), nn.Sigmoid(), nn.Flatten())


class ExampleVae(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc21, self.fc22 = nn.Linear(784, 400), nn.Linear(400, 20), nn.Linear(400, 20)
        self.fc3, self.fc4 = nn.Linear(20, 400), nn.Linear(400, 784)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z))))

    def forward(self, x: torch.Tensor):
        hidden = F.relu(self.fc1(x.view(-1, 784)))
        mu, logvar = self.fc21(hidden), self.fc22(hidden)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return self.decode(z), mu, logvar


def rate(work: Callable[[int], None], steps: int, warmup: int = 3) -> float:
    """Images per second of ``work(i)`` (one batch of 64 each) after a short warm-up."""
    for i in range(warmup):
        work(i)
    started = time.perf_counter()
    for i in range(steps):
        work(i)
    return steps * BATCH / (time.perf_counter() - started)


def batches(images: torch.Tensor, labels: torch.Tensor, index: int) -> tuple[torch.Tensor, torch.Tensor]:
    start = (index * BATCH) % (len(images) - BATCH)
    return images[start:start + BATCH], labels[start:start + BATCH]


def gan_numbers(images: torch.Tensor, labels: torch.Tensor, steps: int) -> dict[str, float]:
    shipped = resolve(GanGenerator.train_params, {}, "gan")  # the defaults `muse train gan` uses
    latent, width = shipped["latent"], shipped["width"]
    ours_g, ours_d = Generator(latent, width, 28, 1, 10), Discriminator(width, 28, 1, 10, shipped["critic_depth"])
    theirs_g, theirs_d = ExampleDcganG(), ExampleDcganD()
    big = to_unit(resize(from_unit(images), 64))

    def ours_train(i: int) -> None:
        real, y = batches(images, labels, i)
        fake = ours_g(torch.randn(BATCH, latent), y)
        d_loss = F.relu(1 - ours_d(real, y)).mean() + F.relu(1 + ours_d(fake.detach(), y)).mean()
        opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()
        g_loss = -ours_d(fake, y).mean()
        opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()

    def theirs_train(i: int) -> None:
        real, _ = batches(big, labels, i)
        fake = theirs_g(torch.randn(BATCH, 100, 1, 1))
        ones, zeros = torch.ones(BATCH, 1), torch.zeros(BATCH, 1)
        d_loss = F.binary_cross_entropy(theirs_d(real), ones) + F.binary_cross_entropy(theirs_d(fake.detach()), zeros)
        their_d.zero_grad()
        d_loss.backward()
        their_d.step()
        g_loss = F.binary_cross_entropy(theirs_d(fake), ones)
        their_g.zero_grad()
        g_loss.backward()
        their_g.step()

    opt_g, opt_d = torch.optim.Adam(ours_g.parameters(), 2e-4, betas=(0.5, 0.999)), torch.optim.Adam(ours_d.parameters(), 2e-4, betas=(0.5, 0.999))
    their_g, their_d = torch.optim.Adam(theirs_g.parameters(), 2e-4, betas=(0.5, 0.999)), torch.optim.Adam(theirs_d.parameters(), 2e-4, betas=(0.5, 0.999))
    train_ours, train_theirs = rate(ours_train, steps), rate(theirs_train, steps)
    ours_g.eval()
    theirs_g.eval()
    with torch.no_grad():
        y = torch.arange(BATCH) % 10
        sample_ours = rate(lambda i: ours_g(torch.randn(BATCH, latent), y), steps * 3)
        sample_theirs = rate(lambda i: theirs_g(torch.randn(BATCH, 100, 1, 1)), steps * 3)
    return {"gan sampling img/s (ours 28px)": sample_ours, "dcgan-example sampling img/s (64px)": sample_theirs,
            "gan sampling ratio": sample_ours / sample_theirs,
            "gan training img/s (ours)": train_ours, "dcgan-example training img/s": train_theirs,
            "gan training ratio": train_ours / train_theirs}


def vae_numbers(images: torch.Tensor, labels: torch.Tensor, steps: int) -> dict[str, float]:
    unit = images.add(1).div(2)
    ours, theirs = VAE(16, 32, 28, 1, 10), ExampleVae()
    opt_ours, opt_theirs = torch.optim.Adam(ours.parameters(), 1e-3), torch.optim.Adam(theirs.parameters(), 1e-3)

    def ours_train(i: int) -> None:
        x, y = batches(unit, labels, i)
        nll, kl = elbo_terms(ours, x, y)
        loss = (nll + kl).mean()
        opt_ours.zero_grad()
        loss.backward()
        opt_ours.step()

    def theirs_train(i: int) -> None:
        x, _ = batches(unit, labels, i)
        recon, mu, logvar = theirs(x)
        loss = F.binary_cross_entropy(recon, x.view(-1, 784), reduction="sum") - 0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        opt_theirs.zero_grad()
        loss.backward()
        opt_theirs.step()

    train_ours, train_theirs = rate(ours_train, steps), rate(theirs_train, steps)
    with torch.no_grad():
        y = torch.arange(BATCH) % 10
        sample_ours = rate(lambda i: torch.sigmoid(ours.decode(torch.randn(BATCH, 16), y)), steps * 3)
        sample_theirs = rate(lambda i: theirs.decode(torch.randn(BATCH, 20)), steps * 3)
    return {"vae sampling img/s (ours)": sample_ours, "vae-example sampling img/s": sample_theirs,
            "vae sampling ratio": sample_ours / sample_theirs,
            "vae training img/s (ours)": train_ours, "vae-example training img/s": train_theirs,
            "vae training ratio": train_ours / train_theirs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/fashion-mnist")
    parser.add_argument("--steps", type=int, default=30, help="timed batches per measurement")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    data = load_images(args.data, "train").take(BATCH * 40)
    images, labels = to_unit(data.images), data.labels
    for key, value in {**gan_numbers(images, labels, args.steps), **vae_numbers(images, labels, args.steps)}.items():
        print(f"{key:<40} {value:10.2f}")


if __name__ == "__main__":
    main()
