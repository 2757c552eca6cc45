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
import math
import random
import signal
import sys
import time
from dataclasses import InitVar, dataclass, field
from pathlib import Path
from typing import Any
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from tqdm import tqdm

from .components import TrainJob
from .distributed import World, agree, average_gradients_before_step, broadcast_modules, current_world, init_process_group
from .checkpoints import FORMAT, Field, is_dry_run_checkpoint, read_header, validate_config
from .errors import BadInput
from .io import atomic_path, file_sha256, resume_path
from .training_params import COMMON, common_train_params  # noqa: F401  (the kit's shared parameters)



# -- seeding and threads -----------------------------------------------------------------------
def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, numpy and torch; return a torch.Generator for code that wants its own stream."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def configure_threads() -> int:
    """Use every core this process may run on (or ``MUSE_THREADS``: engine/threads.py), and say how many."""
    from .threads import thread_count

    torch.set_num_threads(thread_count())
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


#: The training kit's documented name for reading a checkpoint's header (torch-free).
read_metadata = read_header


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
def _flatten_optimizer(name: str, optimizer: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    state = optimizer.state_dict()
    tensors, scalars = {}, {}
    for index, values in state["state"].items():
        for key, value in values.items():
            if torch.is_tensor(value):
                tensors[f"optim.{name}.{index}.{key}"] = value
            else:
                scalars[f"{index}.{key}"] = value
    return tensors, {"param_groups": state["param_groups"], "scalars": scalars}


def _restore_optimizer(name: str, optimizer: torch.optim.Optimizer, tensors: Mapping[str, torch.Tensor], saved: dict[str, Any]) -> None:
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


# -- the learning-rate schedule ----------------------------------------------------------------
@dataclass(frozen=True)
class WarmupCosine:
    """Linear warm-up over ``warmup`` optimizer steps, then cosine decay to ``floor`` times the
    peak at the last step (nanoGPT's ``get_lr``). A function of the step alone, so a resumed run
    needs no scheduler state; an extended run stretches the decay to its new length."""

    warmup: int = 100
    floor: float = 0.0

    def factor(self, step: int, total: int) -> float:
        """The fraction of the peak learning rate for optimizer step ``step`` of ``total``."""
        warmup = max(1, self.warmup)
        if step < warmup:
            return (step + 1) / warmup
        progress = min(1.0, (step - warmup) / max(1, total - warmup))
        return self.floor + (1.0 - self.floor) * 0.5 * (1.0 + math.cos(math.pi * progress))


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped a run after its checkpoint was saved (the CLI exits 130). ``summary`` is what
    ``Trainer.fit`` would have returned; running the same command again continues."""

    def __init__(self, summary: dict[str, Any]):
        super().__init__(f"interrupted: saved {summary.get('out')} at step {summary.get('step')}")
        self.summary = summary

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.summary,))


def optimizer_steps(batches: int, steps_per_epoch: int, ranks: int) -> int:
    """How many optimizer steps a run of ``batches`` batches takes on ``ranks`` processes: each
    epoch gives every rank ``steps_per_epoch // ranks`` (the few left over are skipped)."""
    per_epoch = steps_per_epoch // ranks
    epochs, rest = divmod(batches, steps_per_epoch)
    return epochs * per_epoch + min(per_epoch, -(-rest // ranks))


class _Progress:
    """The progress bar (rank 0 only), running loss averages between checkpoints, throughput."""

    def __init__(self, trainer: Trainer):
        self.ranks = trainer.world.size
        self.bar = tqdm(total=trainer._batches_total, initial=min(trainer.position, trainer._batches_total),
                        desc=f"train {trainer.model}", unit="batch",
                        disable=not (trainer.job.progress and trainer.world.is_main),
                        mininterval=0.5 if sys.stderr.isatty() else 30, dynamic_ncols=True)
        self.sums: dict[str, float] = {}
        self.steps = 0
        self.examples = 0
        self.started = time.perf_counter()

    def __enter__(self) -> _Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.close()

    def record(self, losses: Mapping[str, float], examples: int) -> None:
        self.examples += examples * self.ranks
        self.steps += 1
        for key, value in losses.items():
            self.sums[key] = self.sums.get(key, 0.0) + float(value)
        rate = {"ex/s": f"{self.examples_per_second:.0f}"} if self.examples else {}
        self.bar.update(self.ranks)
        self.bar.set_postfix({**{k: f"{v / self.steps:.3f}" for k, v in self.sums.items()}, **rate}, refresh=False)

    def take_averages(self) -> dict[str, float]:
        """The mean of each loss since the last call (for the run's history), and start afresh."""
        averages = {k: v / max(self.steps, 1) for k, v in self.sums.items()}
        self.sums, self.steps = {}, 0
        return averages

    @property
    def examples_per_second(self) -> float:
        return self.examples / max(time.perf_counter() - self.started, 1e-9)


# -- the loop ----------------------------------------------------------------------------------
@dataclass
class Trainer:
    """Runs ``step`` over ``batches(epoch)`` until ``total_batches`` are consumed, with checkpoints,
    previews, progress and a clean stop on Ctrl-C.

    ``batches(epoch)`` must yield ``steps_per_epoch`` batches, the same ones for the same epoch
    (seed the shuffle with the run's seed and ``epoch``): resuming skips those already done.
    ``export()`` returns the tensors to ship; by default every module's state dict, prefixed by
    its name. ``sample(step, folder)`` writes previews every ``sample_every`` optimizer steps.
    ``schedule`` (a :class:`WarmupCosine`) sets every optimizer's learning rate before each step,
    as a fraction of the rate it was built with.

    ``total_batches``, ``checkpoint_every`` and ``sample_every`` default to the job's shared
    training parameters (``epochs`` x ``steps_per_epoch`` or ``steps``; see
    engine.training_params). Two counters, named for what they count: ``step`` is optimizer
    steps taken, ``position`` is batches consumed by all ranks together (where in the data the
    run is). Under torchrun's environment (or `muse train --nproc N`) the same code is
    data-parallel (see engine.distributed): rank r takes batches r, r+N, ...; gradients are
    averaged before every optimizer step; only rank 0 shows progress and writes files; N ranks
    finish the same number of epochs in 1/N of the optimizer steps.
    """

    job: TrainJob
    model: str
    config: dict[str, Any]
    modules: dict[str, torch.nn.Module]
    optimizers: dict[str, torch.optim.Optimizer]
    total_batches: int | None = None
    steps_per_epoch: int = 0
    data_fingerprint: str = ""
    checkpoint_every: int | None = None
    sample_every: int | None = None
    sample: Callable[[int, Path], None] | None = None
    export: Callable[[], dict[str, torch.Tensor]] | None = None
    schedule: WarmupCosine | None = None
    #: Optimizer steps taken by this job.
    step: int = 0
    #: Batches consumed by all ranks together: where in the data the job is.
    position: int = 0
    history: list[dict[str, float]] = field(default_factory=list)
    world: World = field(default_factory=current_world)
    #: The earlier name of ``total_batches`` (it always counted batches); still accepted.
    total_steps: InitVar[int | None] = None
    _stop_requested: bool = False
    _saved_at: int = -1

    @property
    def _batches_total(self) -> int:
        """``total_batches`` as set at construction or taken from the job's parameters."""
        assert self.total_batches is not None, "__post_init__ sets total_batches"
        return self.total_batches

    @property
    def _checkpoint_every(self) -> int:
        assert self.checkpoint_every is not None, "__post_init__ sets checkpoint_every"
        return self.checkpoint_every

    def __post_init__(self, total_steps: int | None) -> None:
        if self.steps_per_epoch < self.world.size:
            raise BadInput("the training data is smaller than one batch per process")
        self._take_defaults_from_job(total_steps)
        init_process_group(self.world)
        self._choose_start()
        if self.world.distributed:
            self._join_ranks()

    def _choose_start(self) -> None:
        """Where the run starts: a dry run takes two steps and never resumes; a real run replaces a
        dry run's checkpoint and continues from resume state beside its checkpoint otherwise."""
        out = self.job.out
        if self.job.dry_run:
            if out.is_file() and not is_dry_run_checkpoint(out):
                raise BadInput(f"{out} holds a trained checkpoint; a dry run never replaces one: pass another --out")
            self.total_batches = min(self._batches_total, 2 * self.world.size)
        elif out.is_file() and is_dry_run_checkpoint(out):
            self._note(f"{out} is a dry run's checkpoint: starting afresh and replacing it")
        elif self.job.resume and resume_path(out).is_file() and out.is_file():
            self._load_resume()

    def _join_ranks(self) -> None:
        """Every rank starts from rank 0's weights and averages gradients before each step."""
        broadcast_modules(self.modules.values())
        for optimizer in self.optimizers.values():
            average_gradients_before_step(optimizer, self.world)
        # Different dropout/noise per rank, the same for the same seed and world size.
        torch.manual_seed(self.job.seed * 7919 + self.world.rank * 104_729 + self.position)

    def _take_defaults_from_job(self, total_steps: int | None) -> None:
        params = self.job.params
        if self.total_batches is None:
            self.total_batches = total_steps
        if self.total_batches is None:
            if "epochs" in params:
                self.total_batches = int(params["epochs"]) * self.steps_per_epoch
            elif "steps" in params:
                self.total_batches = int(params["steps"])
            else:
                raise TypeError("Trainer needs total_batches= (or an 'epochs' or 'steps' training parameter)")
        if self.checkpoint_every is None:
            self.checkpoint_every = int(params.get("checkpoint_every", 500))
        if self.sample_every is None:
            self.sample_every = int(params.get("sample_every", 0))

    # -- what the counters mean ----------------------------------------------------------------
    @property
    def epoch(self) -> int:
        return self.position // self.steps_per_epoch

    @property
    def planned_steps(self) -> int:
        """Optimizer steps the whole run takes (what a schedule decays over)."""
        return optimizer_steps(self._batches_total, self.steps_per_epoch, self.world.size)

    @property
    def finished(self) -> bool:
        return self.position >= self._batches_total or self._stop_requested

    @property
    def samples_dir(self) -> Path:
        out = self.job.out
        return out.with_name(out.name.removesuffix(".safetensors") + "-samples")

    def _note(self, message: str) -> None:
        if self.world.is_main:
            print(f"muse: {message}", file=sys.stderr, flush=True)

    # -- checkpoints ---------------------------------------------------------------------------
    def weights(self) -> dict[str, torch.Tensor]:
        if self.export is not None:
            return self.export()
        return {f"{name}.{k}": v for name, module in self.modules.items() for k, v in module.state_dict().items()}

    def save(self, metrics: Mapping[str, Any] | None = None) -> Path:
        """Write the shippable weights and the resume state (rank 0 only; others return at once).
        A dry run's checkpoint is marked as one and has no resume state: nothing continues it."""
        self._saved_at = self.step
        if not self.world.is_main:
            return self.job.out
        info = {"step": self.step, "position": self.position, "epoch": self.epoch, "world_size": self.world.size,
                "data_fingerprint": self.data_fingerprint, "seed": self.job.seed, "metrics": dict(metrics or {}),
                "total_batches": self.total_batches}
        if self.job.dry_run:
            save_checkpoint(self.job.out, self.weights(), model=self.model, config=self.config, dry_run=True, **info)
            return self.job.out
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
        if meta["model"] != self.model + ":resume" or _run_identity(meta["config"]) != _run_identity(self.config):
            raise BadInput(f"{path}: resume state is for a different model or config; use --force to start over")
        if self.data_fingerprint and meta["info"].get("data_fingerprint") not in ("", self.data_fingerprint):
            raise BadInput(f"{path}: resume state was trained on different data; use --force to start over")
        try:
            tensors = load_file(str(path))
            for name, module in self.modules.items():
                prefix = f"module.{name}."
                module.load_state_dict({k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)})
            for name, optimizer in self.optimizers.items():
                _restore_optimizer(name, optimizer, tensors, meta["info"]["optimizers"][name])
            torch.set_rng_state(tensors["rng.torch"])
            self.step = int(meta["info"]["step"])
            self.position = int(meta["info"].get("position", self.step))
        except (SafetensorError, OSError, ValueError, KeyError, TypeError, RuntimeError) as error:
            raise BadInput(f"{path}: damaged resume state ({type(error).__name__}: {error}); use --force to start over") from None
        if self.position >= self._batches_total:
            self._note(f"{self.job.out} already has {self.position} of the {self.total_batches} batches asked for; "
                       "ask for more epochs or steps to continue it")
        elif self.position:
            self._note(f"continuing {self.job.out} from step {self.step} (batch {self.position} of {self.total_batches})")

    # -- interrupts ----------------------------------------------------------------------------
    @contextlib.contextmanager
    def _graceful_interrupt(self) -> Iterator[None]:
        """First Ctrl-C asks the loop to checkpoint and stop; a second one stops at once."""

        def request_stop(signum: int, frame: Any) -> None:
            self._stop_requested = True
            signal.signal(signal.SIGINT, previous)
            self._note("saving a checkpoint after this step (Ctrl-C again to abort)")

        try:
            previous = signal.signal(signal.SIGINT, request_stop)
        except ValueError:  # not the main thread: a plain KeyboardInterrupt it is
            yield
            return
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)

    # -- rank arithmetic -----------------------------------------------------------------------
    def _my_batches(self, batches: Callable[[int], Iterable[Any]]) -> Iterator[Any]:
        """This rank's share of what is left of the current epoch: batches r, r+N, ... from the
        current position, the same count on every rank so no rank waits alone in a collective."""
        ranks, spe = self.world.size, self.steps_per_epoch
        epoch, offset = self.epoch, self.position % spe
        count = min((spe - offset) // ranks, -(-(self._batches_total - self.position) // ranks))
        first = offset + self.world.rank
        taken = 0
        for batch in itertools.islice(batches(epoch), first, first + count * ranks, ranks):
            taken += 1
            yield batch
        if taken < count and not self._stop_requested:
            raise RuntimeError(f"{self.model}: batches({epoch}) gave fewer than steps_per_epoch={spe} batches")

    def _advance(self) -> None:
        """One optimizer step done on every rank: ``ranks`` batches of the data consumed."""
        self.step += 1
        self.position += self.world.size

    def _end_epoch(self) -> None:
        """Skip the few batches an epoch has left over when they do not divide among the ranks."""
        if not self.finished and self.position % self.steps_per_epoch:
            self.position = (self.epoch + 1) * self.steps_per_epoch

    def _agree(self, losses: dict[str, float]) -> dict[str, float]:
        """Every rank's losses averaged, and a stop on one rank a stop on all."""
        if not self.world.distributed:
            return losses
        values, self._stop_requested = agree(list(losses.values()), self._stop_requested, self.world)
        return dict(zip(losses, values))

    # -- per-step duties -----------------------------------------------------------------------
    def _set_learning_rates(self) -> None:
        if self.schedule is None:
            return
        factor = self.schedule.factor(self.step, self.planned_steps)
        for optimizer in self.optimizers.values():
            for group in optimizer.param_groups:
                group.setdefault("peak_lr", group["lr"])
                group["lr"] = group["peak_lr"] * factor

    def _sample_if_due(self) -> None:
        if self.world.is_main and self.sample and self.sample_every and self.step % self.sample_every == 0:
            self.samples_dir.mkdir(parents=True, exist_ok=True)
            self.sample(self.step, self.samples_dir)

    def _checkpoint_if_due(self, progress: _Progress) -> None:
        if self.finished or self.step % self._checkpoint_every == 0:
            self.history.append({"step": self.step, **progress.take_averages()})
            self.save()

    def _summary(self, progress: _Progress) -> dict[str, Any]:
        return {"step": self.step, "epoch": self.epoch, "interrupted": self._stop_requested,
                "losses": self.history[-1] if self.history else {},
                "examples_per_second": progress.examples_per_second, "out": str(self.job.out)}

    # -- the loop ------------------------------------------------------------------------------
    def fit(self, batches: Callable[[int], Iterable[Any]], step: Callable[[Any], Mapping[str, float]]) -> dict[str, Any]:
        """Train until ``total_batches`` batches are consumed; return the last losses.

        ``step`` returns its losses as floats; an ``n`` entry counts the examples in the batch
        for the throughput shown on the progress bar. Ctrl-C saves a checkpoint after the
        current step and raises :class:`TrainingInterrupted`.
        """
        for module in self.modules.values():
            module.train()
        with self._graceful_interrupt(), _Progress(self) as progress:
            while not self.finished:
                for batch in self._my_batches(batches):
                    self._set_learning_rates()
                    losses = dict(step(batch))
                    examples = int(losses.pop("n", 0))
                    losses = self._agree(losses)
                    self._advance()
                    progress.record(losses, examples)
                    self._sample_if_due()
                    self._checkpoint_if_due(progress)
                    if self.finished:
                        break
                self._end_epoch()
            if self._stop_requested:
                if self._saved_at != self.step:
                    self.save()
                self._note(f"saved {self.job.out} at step {self.step}; run the same command to continue")
                raise TrainingInterrupted(self._summary(progress))
        return self._summary(progress)


#: Config keys that say how long a run is, not what it trains: a resumed run may change them.
RUN_LENGTH_KEYS = ("epochs", "steps")


def _run_identity(config: Mapping[str, Any]) -> dict[str, Any]:
    """A config as resume compares it: JSON-normalised, without the run's length."""
    normal = json.loads(json.dumps(dict(config), sort_keys=True, default=str))
    return {k: v for k, v in normal.items() if k not in RUN_LENGTH_KEYS}


def shuffled_batches(count: int, batch_size: int, seed: int, epoch: int, drop_last: bool = True) -> Iterator[torch.Tensor]:
    """Index batches for an in-memory data set, shuffled the same way for the same seed and epoch."""
    order = torch.randperm(count, generator=torch.Generator().manual_seed(seed * 100_003 + epoch))
    stop = count - count % batch_size if drop_last else count
    for start in range(0, stop, batch_size):
        yield order[start:start + batch_size]
