"""The training kit every model plugin shares: seeding, checkpoints, the loop, progress.

A plugin supplies its modules, optimizers, a deterministic ``batches(epoch)`` iterable and a
``step(batch)`` function; :class:`Trainer` does the rest: a progress bar with losses and
throughput, sample grids every K steps, resumable checkpoints, and a clean stop on Ctrl-C that
saves first (a second Ctrl-C stops at once).

Checkpoints are safetensors files. ``OUT`` holds the model weights and, in its metadata, the
model name, config, training-data fingerprint, step and metrics: it is what ships and what
``load_checkpoint`` reads. ``OUT`` with ``.resume.safetensors`` beside it holds optimizer and RNG
state so training continues exactly where it stopped. Pickle is never loaded.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import os
import random
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from tqdm import tqdm

from .components import TrainJob
from .distributed import World, agree, average_gradients_before_step, broadcast_modules, current_world, init_process_group
from .checkpoints import Field, parse_metadata, validate_config
from .errors import BadInput
from .io import atomic_path, file_sha256, resume_path

FORMAT = "muse-checkpoint-1"


# -- seeding and threads -----------------------------------------------------------------------
def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, numpy and torch; return a torch.Generator for code that wants its own stream."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def configure_threads() -> int:
    """Use every core the machine gives us (or ``MUSE_THREADS``), and say how many."""
    wanted = os.environ.get("MUSE_THREADS")
    threads = int(wanted) if wanted else (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
    torch.set_num_threads(max(1, threads))
    return torch.get_num_threads()


# -- fingerprints and checkpoints --------------------------------------------------------------
def data_fingerprint(path: Path | str) -> str:
    """A sha256 over a file's bytes, or over a folder's relative paths and file contents."""
    path = Path(path)
    if path.is_file():
        return file_sha256(path)
    digest = hashlib.sha256()
    for item in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(str(item.relative_to(path)).encode())
        digest.update(file_sha256(item).encode())
    return digest.hexdigest()


@dataclass
class Checkpoint:
    """A loaded checkpoint: tensors plus what the metadata says about them."""

    path: Path
    model: str
    config: dict[str, Any]
    info: dict[str, Any]
    tensors: dict[str, torch.Tensor]
    sha256: str

    def state_dict(self, prefix: str) -> dict[str, torch.Tensor]:
        """The tensors saved for module ``prefix`` (keys without the prefix)."""
        start = prefix + "."
        return {k[len(start):]: v for k, v in self.tensors.items() if k.startswith(start)}


def save_checkpoint(path: Path | str, tensors: Mapping[str, torch.Tensor], *, model: str, config: Mapping[str, Any],
                    **info: Any) -> Path:
    """Write tensors with Muse metadata, atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    metadata = {
        "format": FORMAT,
        "model": model,
        "config": json.dumps(dict(config), sort_keys=True),
        "info": json.dumps(info, sort_keys=True, default=str),
    }
    contiguous = {k: v.detach().contiguous().cpu() for k, v in tensors.items()}
    refuse_non_finite(contiguous, path)
    with atomic_path(path, replace=True) as temporary:  # check_train_output guarded the first save
        save_file(contiguous, str(temporary), metadata=metadata)
    return path


def read_metadata(path: Path | str) -> dict[str, Any]:
    """A checkpoint's metadata without loading its tensors."""
    from safetensors import safe_open

    path = Path(path)
    if not path.is_file():
        raise BadInput(f"{path}: no such checkpoint file")
    try:
        with safe_open(str(path), framework="pt") as handle:
            raw = handle.metadata() or {}
    except (SafetensorError, OSError, ValueError) as error:
        raise BadInput(f"{path}: not a safetensors checkpoint ({error})") from None
    return parse_metadata(raw, path, FORMAT)


def load_checkpoint(path: Path | str, *, model: str, config: Mapping[str, Any] | None = None,
                    schema: Sequence[Field] = ()) -> Checkpoint:
    """Load a checkpoint for ``model``, refusing one made for another model or another config.

    ``config`` lists only the keys that must match (those that shape the tensors); ``schema``
    types and bounds the config (see engine.checkpoints) before a tensor is read. Weights that
    hold NaN or infinity are refused.
    """
    path = Path(path)
    meta = read_metadata(path)
    if meta["model"] != model:
        raise BadInput(f"{path} is a {meta['model']!r} checkpoint, not a {model!r} one")
    meta["config"] = validate_config(meta["config"], schema, path, model)
    if config:
        wrong = {k: (meta["config"].get(k), v) for k, v in config.items() if meta["config"].get(k) != v}
        if wrong:
            details = ", ".join(f"{k}={have!r} (need {want!r})" for k, (have, want) in wrong.items())
            raise BadInput(f"{path}: checkpoint config does not match: {details}")
    try:
        tensors = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as error:
        raise BadInput(f"{path}: damaged checkpoint ({error})") from None
    refuse_non_finite(tensors, path)
    return Checkpoint(path, meta["model"], meta["config"], meta["info"], tensors, file_sha256(path))


#: The largest network a checkpoint's config may describe (ours have about a million parameters).
MAX_PARAMETERS = 200_000_000


def build_within_limit(build: Callable[[], torch.nn.Module], path: Path | str) -> torch.nn.Module:
    """``build()``, after building it once on torch's meta device (no memory) to count its
    parameters: a hostile config is refused before tens of GB are allocated."""
    try:
        with torch.device("meta"):
            count = sum(p.numel() for p in build().parameters())
        if count > MAX_PARAMETERS:
            raise BadInput(f"{path}: its config describes a network of {count:,} parameters; at most {MAX_PARAMETERS:,}")
        return build()
    except (ValueError, TypeError, RuntimeError, ZeroDivisionError, KeyError) as error:
        raise BadInput(f"{path}: its config does not describe a network this plugin can build ({error})") from None


def refuse_non_finite(tensors: Mapping[str, torch.Tensor], path: Path) -> None:
    """A checkpoint with NaN or infinite weights makes only noise: refuse to write or load it."""
    for name, tensor in tensors.items():
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            raise BadInput(f"{path}: tensor {name!r} holds NaN or infinite values (the training diverged?)")


def load_module(module: torch.nn.Module, checkpoint: Checkpoint, prefix: str) -> torch.nn.Module:
    """Load ``prefix`` weights into ``module`` with a clear error when shapes disagree."""
    try:
        module.load_state_dict(checkpoint.state_dict(prefix))
    except RuntimeError as error:
        first = str(error).strip().splitlines()
        raise BadInput(f"{checkpoint.path}: weights do not fit the {prefix} network ({first[-1].strip() if first else error})") from None
    return module


# -- optimizer and RNG state as tensors -------------------------------------------------------
def _flatten_optimizer(name: str, optimizer: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], dict]:
    state = optimizer.state_dict()
    tensors, scalars = {}, {}
    for index, values in state["state"].items():
        for key, value in values.items():
            if torch.is_tensor(value):
                tensors[f"optim.{name}.{index}.{key}"] = value
            else:
                scalars[f"{index}.{key}"] = value
    return tensors, {"param_groups": state["param_groups"], "scalars": scalars}


def _restore_optimizer(name: str, optimizer: torch.optim.Optimizer, tensors: Mapping[str, torch.Tensor], saved: dict) -> None:
    state: dict[int, dict[str, Any]] = {}
    prefix = f"optim.{name}."
    for key, value in tensors.items():
        if key.startswith(prefix):
            index, field_name = key[len(prefix):].split(".", 1)
            state.setdefault(int(index), {})[field_name] = value
    for key, value in saved["scalars"].items():
        index, field_name = key.split(".", 1)
        state.setdefault(int(index), {})[field_name] = value
    optimizer.load_state_dict({"state": state, "param_groups": saved["param_groups"]})


# -- the loop ----------------------------------------------------------------------------------
@dataclass
class Trainer:
    """Runs ``step`` over ``batches(epoch)`` for ``total_steps`` batches, with checkpoints and progress.

    ``batches(epoch)`` must yield ``steps_per_epoch`` batches, the same ones for the same epoch
    (seed the shuffle with the run's seed and ``epoch``): resuming skips those already done.
    ``export()`` returns the tensors to ship; by default every module's state dict, prefixed by
    its name. ``sample(step, folder)`` writes previews every ``sample_every`` steps.

    Under torchrun's environment (or `muse train --nproc N`) the same code is data-parallel
    (see engine.distributed): rank r takes batches r, r+N, ...; gradients are averaged before
    every optimizer step; only rank 0 shows progress and writes files. ``total_steps`` then still
    counts batches, so N ranks finish the same number of epochs in 1/N of the optimizer steps.
    """

    job: TrainJob
    model: str
    config: dict[str, Any]
    modules: dict[str, torch.nn.Module]
    optimizers: dict[str, torch.optim.Optimizer]
    total_steps: int
    steps_per_epoch: int
    data_fingerprint: str = ""
    checkpoint_every: int = 500
    sample_every: int = 0
    sample: Callable[[int, Path], None] | None = None
    export: Callable[[], dict[str, torch.Tensor]] | None = None
    #: Optimizer steps taken by this job.
    step: int = 0
    #: Batches consumed by all ranks together: where in the data the job is.
    position: int = 0
    history: list[dict[str, float]] = field(default_factory=list)
    world: World = field(default_factory=current_world)
    _stop_requested: bool = False

    def __post_init__(self) -> None:
        if self.steps_per_epoch < self.world.size:
            raise BadInput("the training data is smaller than one batch per process")
        init_process_group(self.world)
        if self.job.dry_run:
            self.total_steps = min(self.total_steps, 2 * self.world.size)
        if self.job.resume and resume_path(self.job.out).is_file() and self.job.out.is_file():
            self._load_resume()
        if self.world.distributed:
            broadcast_modules(self.modules.values())
            for optimizer in self.optimizers.values():
                average_gradients_before_step(optimizer, self.world)
            # Different dropout/noise per rank, the same for the same seed and world size.
            torch.manual_seed(self.job.seed * 7919 + self.world.rank * 104_729 + self.position)

    @property
    def epoch(self) -> int:
        return self.position // self.steps_per_epoch

    @property
    def samples_dir(self) -> Path:
        out = self.job.out
        return self.job.samples_dir or out.with_name(out.name.removesuffix(".safetensors") + "-samples")

    def weights(self) -> dict[str, torch.Tensor]:
        if self.export is not None:
            return self.export()
        return {f"{name}.{k}": v for name, module in self.modules.items() for k, v in module.state_dict().items()}

    def save(self, metrics: Mapping[str, Any] | None = None) -> Path:
        """Write the shippable weights and the resume state (rank 0 only; others return at once)."""
        if not self.world.is_main:
            return self.job.out
        info = {"step": self.step, "position": self.position, "epoch": self.epoch, "world_size": self.world.size,
                "data_fingerprint": self.data_fingerprint, "seed": self.job.seed, "metrics": dict(metrics or {}),
                "total_steps": self.total_steps}
        save_checkpoint(self.job.out, self.weights(), model=self.model, config=self.config, **info)
        tensors = {f"module.{name}.{k}": v for name, m in self.modules.items() for k, v in m.state_dict().items()}
        optim_meta = {}
        for name, optimizer in self.optimizers.items():
            flat, meta = _flatten_optimizer(name, optimizer)
            tensors.update(flat)
            optim_meta[name] = meta
        tensors["rng.torch"] = torch.get_rng_state()
        save_checkpoint(resume_path(self.job.out), tensors, model=self.model + ":resume", config=self.config,
                        optimizers=optim_meta, **info)
        return self.job.out

    def _load_resume(self) -> None:
        path = resume_path(self.job.out)
        meta = read_metadata(path)
        if meta["model"] != self.model + ":resume" or meta["config"] != json.loads(json.dumps(self.config, sort_keys=True)):
            raise BadInput(f"{path}: resume state is for a different model or config; use --force to start over")
        if self.data_fingerprint and meta["info"].get("data_fingerprint") not in ("", self.data_fingerprint):
            raise BadInput(f"{path}: resume state was trained on different data; use --force to start over")
        tensors = load_file(str(path))
        for name, module in self.modules.items():
            prefix = f"module.{name}."
            module.load_state_dict({k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)})
        for name, optimizer in self.optimizers.items():
            _restore_optimizer(name, optimizer, tensors, meta["info"]["optimizers"][name])
        torch.set_rng_state(tensors["rng.torch"])
        self.step = int(meta["info"]["step"])
        self.position = int(meta["info"].get("position", self.step))

    @contextlib.contextmanager
    def _graceful_interrupt(self) -> Iterator[None]:
        """First Ctrl-C asks the loop to checkpoint and stop; a second one stops at once."""

        def request_stop(signum: int, frame: Any) -> None:
            self._stop_requested = True
            signal.signal(signal.SIGINT, previous)
            if self.world.is_main:
                print("\nmuse: saving a checkpoint after this step (Ctrl-C again to abort)", file=sys.stderr)

        try:
            previous = signal.signal(signal.SIGINT, request_stop)
        except ValueError:  # not the main thread: a plain KeyboardInterrupt it is
            yield
            return
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)

    def fit(self, batches: Callable[[int], Iterable[Any]], step: Callable[[Any], Mapping[str, float]]) -> dict[str, Any]:
        """Train until ``total_steps`` batches are consumed (or Ctrl-C); return the last losses.

        ``step`` returns its losses as floats; an ``n`` entry counts the examples in the batch
        for the throughput shown on the progress bar.
        """
        for module in self.modules.values():
            module.train()
        ranks, spe = self.world.size, self.steps_per_epoch
        bar = tqdm(total=self.total_steps, initial=self.position, desc=f"train {self.model}", unit="batch",
                   disable=not (self.job.progress and self.world.is_main),
                   mininterval=0.5 if sys.stderr.isatty() else 30, dynamic_ncols=True)
        running: dict[str, float] = {}
        seen = counted = 0
        started = time.perf_counter()
        with self._graceful_interrupt(), bar:
            while self.position < self.total_steps and not self._stop_requested:
                epoch, offset = self.epoch, self.position % spe
                # Every rank takes the same number of batches, so no rank waits alone in a collective.
                count = min((spe - offset) // ranks, -(-(self.total_steps - self.position) // ranks))
                first = offset + self.world.rank
                processed = 0
                for processed, batch in enumerate(itertools.islice(batches(epoch), first, first + count * ranks, ranks), 1):
                    losses = dict(step(batch))
                    counted += int(losses.pop("n", 0)) * ranks
                    if self.world.distributed:
                        values, self._stop_requested = agree(list(losses.values()), self._stop_requested, self.world)
                        losses = dict(zip(losses, values))
                    self.step += 1
                    self.position += ranks
                    seen += 1
                    for key, value in losses.items():
                        running[key] = running.get(key, 0.0) + float(value)
                    rate = {"ex/s": f"{counted / (time.perf_counter() - started):.0f}"} if counted else {}
                    bar.update(ranks)
                    bar.set_postfix({**{k: f"{v / seen:.3f}" for k, v in running.items()}, **rate}, refresh=False)
                    if self.world.is_main and self.sample and self.sample_every and self.step % self.sample_every == 0:
                        self.samples_dir.mkdir(parents=True, exist_ok=True)
                        self.sample(self.step, self.samples_dir)
                    finished = self.position >= self.total_steps or self._stop_requested
                    if finished or self.step % self.checkpoint_every == 0:
                        self.history.append({"step": self.step, **{k: v / max(seen, 1) for k, v in running.items()}})
                        running, seen = {}, 0
                        self.save()
                    if finished:
                        break
                if processed < count and not self._stop_requested:
                    raise RuntimeError(f"{self.model}: batches({epoch}) gave fewer than steps_per_epoch={spe} batches")
                if not self._stop_requested and self.position < self.total_steps and self.position % spe:
                    self.position = (epoch + 1) * spe  # skip the few batches left over when ranks > 1
        return {"step": self.step, "epoch": self.epoch, "interrupted": self._stop_requested,
                "losses": self.history[-1] if self.history else {},
                "examples_per_second": counted / max(time.perf_counter() - started, 1e-9), "out": str(self.job.out)}


def shuffled_batches(count: int, batch_size: int, seed: int, epoch: int, drop_last: bool = True) -> Iterator[torch.Tensor]:
    """Index batches for an in-memory data set, shuffled the same way for the same seed and epoch."""
    order = torch.randperm(count, generator=torch.Generator().manual_seed(seed * 100_003 + epoch))
    stop = count - count % batch_size if drop_last else count
    for start in range(0, stop, batch_size):
        yield order[start:start + batch_size]
