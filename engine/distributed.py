"""Training on several processes with torch.distributed, with no plugin-specific code.

Muse follows torchrun's contract: each process reads ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``,
``MASTER_ADDR`` and ``MASTER_PORT`` from its environment. `muse train NAME --nproc N` starts the
N processes itself (:func:`launch`); ``torchrun --nproc-per-node N -m engine.cli train NAME`` does
the same through PyTorch's launcher, across machines too.

The command each rank runs is rebuilt from click's parsed context (:func:`rank_argv`), never from
``sys.argv``, so an in-process invocation (``run_cli``, ``CliRunner``) launches the same ranks as
the `muse` program. Ranks start with ``python -P`` (the working folder is not importable, so a
``./plugins`` package there cannot run), and send their one-line errors back to the launcher,
which prints each distinct one once.

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
from pathlib import Path
from typing import TYPE_CHECKING, Any
from collections.abc import Iterable, Sequence

if TYPE_CHECKING:
    import click
    import torch

from .errors import MuseError
from .threads import thread_count


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


def broadcast_modules(modules: Iterable[torch.nn.Module]) -> None:
    """Give every rank rank 0's parameters and buffers."""
    import torch.distributed as dist

    for module in modules:
        for tensor in [*module.parameters(), *module.buffers()]:
            dist.broadcast(tensor.data, src=0)


def average_gradients_before_step(optimizer: torch.optim.Optimizer, world: World) -> None:
    """Register a step pre-hook that averages this optimizer's gradients over the ranks."""
    import torch
    import torch.distributed as dist

    def average(opt: torch.optim.Optimizer, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
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
        port: int = probe.getsockname()[1]
        return port


#: The options that start the ranks (click parameter names); the ranks themselves do not get them.
LAUNCH_OPTIONS = ("nproc", "nnodes", "node_rank", "master_addr", "master_port")
#: Where a rank writes its one-line error for the launcher instead of printing it.
ERROR_FOLDER = "MUSE_RANK_ERRORS"


def rank_argv(ctx: click.Context) -> list[str]:
    """The `muse` arguments each rank runs: the command path and every option the user gave, as
    click parsed them (so in-process and console invocations agree), less the launch options."""
    from click.core import ParameterSource

    chain = []
    while ctx is not None:
        chain.append(ctx)
        ctx = ctx.parent  # type: ignore[assignment]
    words: list[str] = []
    for depth, context in enumerate(reversed(chain)):
        if depth:
            words.append(context.info_name or "")
        for param in context.command.params:
            name = param.name or ""
            if not param.expose_value or name in LAUNCH_OPTIONS:
                continue
            if context.get_parameter_source(name) not in (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT):
                continue
            words += _as_words(param, context.params[name])
    return words


def _as_words(param: click.Parameter, value: object) -> list[str]:
    import click

    if not isinstance(param, click.Option):
        given = value if isinstance(value, (list, tuple)) else [value]
        return [str(v) for v in given]
    if param.is_flag and not param.multiple:
        if param.secondary_opts:
            return [param.opts[0] if value else param.secondary_opts[0]]
        return [param.opts[0]] if value else []
    values: Iterable[object] = value if param.multiple and isinstance(value, (list, tuple)) else [value]
    return [word for v in values for word in (param.opts[0], str(v))]


def report_error(line: str) -> None:
    """Print a rank's (or any process's) one-line error, or hand it to the launcher of the ranks."""
    folder = os.environ.get(ERROR_FOLDER)
    if folder and os.path.isdir(folder):
        try:
            Path(folder, f"rank-{os.environ.get('RANK', '0')}.txt").write_text(line, encoding="utf-8")
            return
        except OSError:
            pass
    print(line, file=sys.stderr)


def rank_command(argv: Sequence[str]) -> tuple[list[str], dict[str, str]]:
    """How to start one rank: ``python -P -m engine.cli ARGV`` (the working folder is not on
    sys.path), with the folder holding this ``engine`` package on PYTHONPATH so a checkout that
    is not installed still works. An empty PYTHONPATH entry (it means the working folder, as a
    trailing ``:`` does) is dropped for the same reason."""
    root = str(Path(__file__).resolve().parent.parent)
    kept = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    return [sys.executable, "-P", "-m", "engine.cli", *argv], {"PYTHONPATH": os.pathsep.join(dict.fromkeys([root, *kept]))}


def launch(argv: list[str], nproc: int, nnodes: int = 1, node_rank: int = 0, master_addr: str = "127.0.0.1",
           master_port: int | None = None) -> int:
    """Start ``nproc`` copies of `muse ARGV` on this node as ranks of one job; return the exit code.

    If one rank fails, the others are stopped, so a crash never leaves a job hanging in a
    collective. Ctrl-C is passed on to every rank (each saves a checkpoint and stops). The ranks'
    one-line errors are printed here, each distinct one once.
    """
    if nproc < 1 or nnodes < 1 or not 0 <= node_rank < nnodes:
        raise MuseError("need --nproc >= 1, --nnodes >= 1 and 0 <= --node-rank < --nnodes")
    if nnodes > 1 and master_port is None:
        raise MuseError("--master-port is required when --nnodes > 1 (every node must use the same one)")
    port = master_port or free_port()
    world_size = nproc * nnodes
    threads = str(thread_count(nproc))
    import tempfile

    command, paths = rank_command(argv)
    children = []
    with tempfile.TemporaryDirectory(prefix="muse-ranks-") as errors:
        for local in range(nproc):
            env = {**os.environ, **paths, "RANK": str(node_rank * nproc + local), "LOCAL_RANK": str(local),
                   "WORLD_SIZE": str(world_size), "LOCAL_WORLD_SIZE": str(nproc), "MASTER_ADDR": master_addr,
                   "MASTER_PORT": str(port), "MUSE_THREADS": threads, ERROR_FOLDER: errors}
            children.append(subprocess.Popen(command, env=env))
        def forward_interrupt(*_: object) -> None:
            for c in children:
                if c.poll() is None:
                    c.send_signal(signal.SIGINT)

        previous = signal.signal(signal.SIGINT, forward_interrupt)
        try:
            codes = _wait_all(children)
        finally:
            signal.signal(signal.SIGINT, previous)
        reported = sorted(Path(errors).glob("rank-*.txt"), key=lambda p: int(p.stem.partition("-")[2] or 0))
        for line in dict.fromkeys(p.read_text(encoding="utf-8") for p in reported):
            print(line, file=sys.stderr)
    # The rank that failed, not the ones stopped because it did.
    return next((code for code in codes if code not in (0, -signal.SIGTERM)), next((c for c in codes if c != 0), 0))


def _wait_all(children: list[subprocess.Popen[bytes]]) -> list[int]:
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
