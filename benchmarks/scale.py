"""Data-parallel training throughput with 1 and 2 processes, and the communication share.

Trains a DCGAN-sized conv classifier on fixed random 28x28 data through engine.training.Trainer,
once as a single process and once as N ranks (gloo on loopback), with the same total threads.
Reports examples/s, speed-up, scaling efficiency (speed-up / N) and the share of each step spent
in all-reduce. On a 2-core machine the ranks share the cores that one process would use, so
efficiency near 1.0 is the best possible, not a given.

Run: python benchmarks/scale.py [--nproc 2] [--batches 240] [--batch-size 64]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def worker(batches: int, batch_size: int, out: Path) -> None:
    import torch
    import torch.distributed as dist

    from engine import TrainJob
    from engine.training import Trainer, configure_threads, seed_everything, shuffled_batches

    configure_threads()
    seed_everything(0)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 64, 4, 2, 1), torch.nn.LeakyReLU(0.2), torch.nn.Conv2d(64, 128, 4, 2, 1),
        torch.nn.LeakyReLU(0.2), torch.nn.Flatten(), torch.nn.Linear(128 * 7 * 7, 10))
    optimizer = torch.optim.Adam(net.parameters(), lr=2e-4)
    images = torch.randn(batch_size * 32, 1, 28, 28, generator=torch.Generator().manual_seed(1))
    labels = torch.randint(0, 10, (len(images),), generator=torch.Generator().manual_seed(2))
    job = TrainJob(data=None, out=out / "bench.safetensors", params={}, progress=False)
    trainer = Trainer(job, model="bench", config={}, modules={"net": net}, optimizers={"adam": optimizer},
                      total_batches=batches, steps_per_epoch=32, checkpoint_every=10**9)
    communication = [0.0]
    if dist.is_initialized():
        original = dist.all_reduce

        def timed(*args, **kwargs):
            started = time.perf_counter()
            result = original(*args, **kwargs)
            communication[0] += time.perf_counter() - started
            return result

        dist.all_reduce = timed

    def step(index):
        loss = torch.nn.functional.cross_entropy(net(images[index]), labels[index])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return {"loss": loss.item(), "n": len(index)}

    started = time.perf_counter()
    trainer.fit(lambda epoch: shuffled_batches(len(images), batch_size, 0, epoch), step)
    elapsed = time.perf_counter() - started
    if trainer.world.is_main:
        print(json.dumps({"seconds": elapsed, "examples": batches * batch_size, "communication": communication[0]}))


def run(nproc: int, batches: int, batch_size: int) -> dict:
    from engine.distributed import free_port

    threads = max(1, (os.cpu_count() or 1) // nproc)
    port = str(free_port())
    with tempfile.TemporaryDirectory() as folder:
        children = []
        for rank in range(nproc):
            env = {**os.environ, "RANK": str(rank), "WORLD_SIZE": str(nproc), "LOCAL_RANK": str(rank),
                   "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": port, "MUSE_THREADS": str(threads)}
            if nproc == 1:
                for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):
                    env.pop(name)
            command = [sys.executable, __file__, "--worker", "--batches", str(batches), "--batch-size", str(batch_size), "--out", folder]
            children.append(subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True))
        outputs = [child.communicate()[0] for child in children]
    if any(child.returncode for child in children):
        raise SystemExit("a rank failed")
    return json.loads(outputs[0].strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nproc", type=int, default=2)
    parser.add_argument("--batches", type=int, default=240)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.batches, args.batch_size, args.out)
        return
    single = run(1, args.batches, args.batch_size)
    multi = run(args.nproc, args.batches, args.batch_size)
    rate1 = single["examples"] / single["seconds"]
    rate_n = multi["examples"] / multi["seconds"]
    speedup = rate_n / rate1
    print(f"cores: {os.cpu_count()}, batch {args.batch_size}, {args.batches} batches in total")
    print(f"{'processes':<10}{'examples/s':>12}{'speed-up':>10}{'efficiency':>12}{'comm share':>12}")
    print(f"{1:<10}{rate1:>12.0f}{1.0:>10.2f}{1.0:>12.2f}{0.0:>12.1%}")
    print(f"{args.nproc:<10}{rate_n:>12.0f}{speedup:>10.2f}{speedup / args.nproc:>12.2f}{multi['communication'] / multi['seconds']:>12.1%}")


if __name__ == "__main__":
    main()
