"""Training on several processes with torch.distributed, with no plugin-specific code.

Muse follows torchrun's contract: each process reads ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``,
``MASTER_ADDR`` and ``MASTER_PORT`` from its environment. `muse train NAME --nproc N` starts the
N processes itself (:func:`launch`); ``torchrun --nproc-per-node N -m engine.cli train NAME`` does
the same through PyTorch's launcher, across machines too.

The :class:`~engine.training.Trainer` makes any plugin's training data-parallel: every rank
starts from rank 0's weights, takes every N-th batch, and before each ``optimizer.step()`` the
gradients of that optimizer's parameters are averaged over the ranks (one flattened all-reduce
per optimizer step, registered as an optimizer step pre-hook). Ranks therefore hold the same
parameters after every step, as with DistributedDataParallel.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from typing import Iterable, Sequence

from .errors import MuseError


@dataclass(frozen=True)
class World:
    rank: int = 0
    size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.size > 1


def current_world() -> World:
    """This process's place in the job, from torchrun's environment variables."""
    try:
        return World(int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1)), int(os.environ.get("LOCAL_RANK", 0)))
    except ValueError:
        raise MuseError("RANK, WORLD_SIZE and LOCAL_RANK must be integers") from None


def init_process_group(world: World) -> None:
    """Join the job's process group: gloo on CPU, nccl when this process has a GPU."""
    import torch
    import torch.distributed as dist

    if not world.distributed or dist.is_initialized():
        return
    for name in ("MASTER_ADDR", "MASTER_PORT"):
        if name not in os.environ:
            raise MuseError(f"{name} is not set; start distributed training with --nproc or torchrun")
    backend = "nccl" if torch.cuda.is_available() else "gloo"
    if backend == "nccl":
        torch.cuda.set_device(world.local_rank)
    dist.init_process_group(backend=backend, rank=world.rank, world_size=world.size)


def broadcast_modules(modules: Iterable["torch.nn.Module"]) -> None:  # noqa: F821
    """Give every rank rank 0's parameters and buffers."""
    import torch.distributed as dist

    for module in modules:
        for tensor in [*module.parameters(), *module.buffers()]:
            dist.broadcast(tensor.data, src=0)


def average_gradients_before_step(optimizer: "torch.optim.Optimizer", world: World) -> None:  # noqa: F821
    """Register a step pre-hook that averages this optimizer's gradients over the ranks."""
    import torch
    import torch.distributed as dist

    def average(opt, args, kwargs):
        grads = [p.grad for group in opt.param_groups for p in group["params"] if p.grad is not None]
        if not grads:
            return
        flat = torch.cat([g.reshape(-1) for g in grads])
        dist.all_reduce(flat)
        flat /= world.size
        offset = 0
        for grad in grads:
            grad.copy_(flat[offset:offset + grad.numel()].view_as(grad))
            offset += grad.numel()

    optimizer.register_step_pre_hook(average)


def agree(values: Sequence[float], stop: bool, world: World) -> tuple[list[float], bool]:
    """Average per-step losses over the ranks and stop everywhere if any rank was interrupted."""
    import torch
    import torch.distributed as dist

    packed = torch.tensor([float(stop), *values], dtype=torch.float64)
    dist.all_reduce(packed)
    return [v / world.size for v in packed[1:].tolist()], bool(packed[0] > 0)


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def launch(argv: list[str], nproc: int, nnodes: int = 1, node_rank: int = 0, master_addr: str = "127.0.0.1",
           master_port: int | None = None) -> int:
    """Start ``nproc`` copies of `muse ARGV` on this node as ranks of one job; return the exit code.

    If one rank fails, the others are stopped, so a crash never leaves a job hanging in a
    collective. Ctrl-C is passed on to every rank (each saves a checkpoint and stops).
    """
    if nproc < 1 or nnodes < 1 or not 0 <= node_rank < nnodes:
        raise MuseError("need --nproc >= 1, --nnodes >= 1 and 0 <= --node-rank < --nnodes")
    if nnodes > 1 and master_port is None:
        raise MuseError("--master-port is required when --nnodes > 1 (every node must use the same one)")
    port = master_port or free_port()
    world_size = nproc * nnodes
    threads = os.environ.get("MUSE_THREADS") or str(max(1, (os.cpu_count() or 1) // nproc))
    children = []
    for local in range(nproc):
        env = {**os.environ, "RANK": str(node_rank * nproc + local), "LOCAL_RANK": str(local),
               "WORLD_SIZE": str(world_size), "LOCAL_WORLD_SIZE": str(nproc), "MASTER_ADDR": master_addr,
               "MASTER_PORT": str(port), "MUSE_THREADS": threads}
        children.append(subprocess.Popen([sys.executable, "-m", "engine.cli", *argv], env=env))
    previous = signal.signal(signal.SIGINT, lambda *_: [c.send_signal(signal.SIGINT) for c in children if c.poll() is None])
    try:
        codes = _wait_all(children)
    finally:
        signal.signal(signal.SIGINT, previous)
    return next((code for code in codes if code != 0), 0)


def _wait_all(children: list[subprocess.Popen]) -> list[int]:
    import time

    while True:
        codes = [child.poll() for child in children]
        if any(code not in (None, 0) for code in codes):
            for child in children:
                if child.poll() is None:
                    child.terminate()
            return [child.wait() for child in children]
        if all(code is not None for code in codes):
            return [int(code) for code in codes]  # type: ignore[arg-type]
        time.sleep(0.05)
