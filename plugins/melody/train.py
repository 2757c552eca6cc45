"""`muse train melody`: the LSTM on a corpus's training tunes, through engine.training.Trainer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from engine import BadInput, TrainJob
from engine.training import Trainer, WarmupCosine, shuffled_batches

from .corpora import fingerprint, load_corpus
from .data import Encoded, crop_batch, encode_tunes, split
from .habits import Habits
from .model import MelodyLSTM, model_config

NAME = "melody"


def event_loss(model: MelodyLSTM, features: torch.Tensor, pitches: torch.Tensor, durations: torch.Tensor) -> tuple[torch.Tensor, int]:
    """Summed NLL of (pitch, duration | pitch) over real events, and how many there were."""
    mask = pitches > 0
    pitch_lp, duration_lp = model.event_log_probs(features, pitches, durations)
    return -((pitch_lp + duration_lp) * mask).sum(), int(mask.sum())


@torch.no_grad()
def held_out_nll(model: MelodyLSTM, data: Encoded, batch_size: int = 64) -> float:
    """Mean NLL per event (nats) over whole tunes, the LSTM state carried from each tune's start."""
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    for start in range(0, len(data.lengths), batch_size):
        rows = slice(start, start + batch_size)
        loss, n = event_loss(model, data.features[rows], data.pitches[rows], data.durations[rows])
        total, count = total + float(loss), count + n
    model.train(was_training)
    return total / max(count, 1)


def train_melody(job: TrainJob) -> dict[str, Any]:
    params = job.params
    if job.data is None:
        raise BadInput("muse train melody needs --data: a folder of MIDI files, an ABC file or a .sources manifest")
    corpus = load_corpus(job.data)
    train_tunes, held_tunes = split(corpus.tunes)
    if job.dry_run:
        train_tunes, held_tunes = train_tunes[:8], held_tunes[:4]
    train_data = encode_tunes(train_tunes)
    held_data = encode_tunes(held_tunes) if held_tunes else None  # a corpus of one tune holds none out
    batch_size = min(params["batch_size"], len(train_tunes))
    steps_per_epoch = len(train_tunes) // batch_size
    model = MelodyLSTM(hidden=params["hidden"], layers=params["layers"], dropout=params["dropout"])
    optimizer = torch.optim.Adam(model.parameters(), lr=params["lr"])
    config = {**model_config(params["hidden"], params["layers"]), "dropout": params["dropout"], "window": params["window"],
              "batch_size": batch_size, "lr": params["lr"], **Habits.of(train_tunes).to_config()}
    log_lines: list[str] = []

    def report(step: int, folder: Path) -> None:
        """Held-out NLL so far, appended to a log beside the samples (the Trainer calls this)."""
        line = f"step {step} held-out NLL/event {held_out_nll(model, held_data):.4f}"
        log_lines.append(line)
        (folder / "held_out.log").write_text("\n".join(log_lines) + "\n")

    trainer = Trainer(job=job, model=NAME, config=config, modules={"model": model}, optimizers={"adam": optimizer},
                      steps_per_epoch=steps_per_epoch, data_fingerprint=fingerprint(job.data),
                      sample=report if held_data is not None else None,
                      schedule=WarmupCosine(warmup=steps_per_epoch))  # one epoch of warm-up, then cosine to zero

    def batches(epoch: int):
        generator = torch.Generator().manual_seed(job.seed * 7919 + epoch)
        for indices in shuffled_batches(len(train_tunes), batch_size, job.seed, epoch):
            yield crop_batch(train_data, indices, params["window"], generator)

    def step(batch) -> dict[str, float]:
        features, pitches, durations = batch
        loss, count = event_loss(model, features, pitches, durations)
        optimizer.zero_grad(set_to_none=True)
        (loss / max(count, 1)).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        return {"nll": loss.item() / max(count, 1), "n": count}

    summary = trainer.fit(batches, step)
    held = held_out_nll(model, held_data) if held_data is not None else None
    trainer.save({"held_out_nll": held} if held is not None else {})
    events_per_second = summary.pop("examples_per_second")
    return {**summary, "held_out_nll_per_event": round(held, 4) if held is not None else "none (no held-out tunes)", "events_per_second": round(events_per_second, 1),
            "data": corpus.summary(), "train_tunes": len(train_tunes), "held_out_tunes": len(held_tunes)}
