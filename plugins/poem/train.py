"""`muse train poem`: fit the character model on a corpus with the shared Trainer.

Random windows of ``seq_len`` characters (nanoGPT style) make batches cheap and deterministic per
(seed, epoch), so a resumed run sees exactly the batches a straight run would. The learning rate
follows a warm-up then cosine decay computed from the step alone, so resuming needs no scheduler
state. Validation loss is measured with the recurrent state carried across the whole held-out
text, which is how an RNN is meant to be read.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import torch

from engine import BadInput, TrainJob
from engine.training import Trainer, WarmupCosine, data_fingerprint

from .checkpoint import COMPONENT, export_tensors
from .data import Vocabulary, corpus_files, corpus_words, read_text, split_corpus, window_batches
from .model import CharRNN, ModelConfig
from .sampling import sample_free


def detect_language(text: str) -> str:
    """"zh" when most letters are CJK ideographs, else "en" (the forms each language offers)."""
    letters = [c for c in text[:200_000] if c.isalpha()]
    han = sum(1 for c in letters if "\u3400" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff")
    return "zh" if letters and han / len(letters) > 0.5 else "en"


@torch.no_grad()
def validation_loss(model: CharRNN, vocab: Vocabulary, texts: list[str], streams: int = 16, chunk: int = 256,
                    limit: int | None = None) -> float:
    """Mean negative log-likelihood in nats per character over ``texts`` (each read as one stream
    of ``streams`` parallel contiguous slices, state carried from chunk to chunk)."""
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    for text in texts:
        ids = vocab.encode(text[:limit] if limit else text)
        width = (len(ids) - 1) // streams
        if width < 1:
            streams_here, width = 1, len(ids) - 1
        else:
            streams_here = streams
        if width < 1:
            continue
        inputs = ids[: streams_here * width].view(streams_here, width)
        targets = ids[1: streams_here * width + 1].view(streams_here, width)
        state = None
        for start in range(0, width, chunk):
            logits, state = model(inputs[:, start:start + chunk], state)
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                                     targets[:, start:start + chunk].reshape(-1), reduction="sum")
            total += float(loss)
            count += targets[:, start:start + chunk].numel()
    model.train(was_training)
    if not count:
        raise BadInput("the validation text is too short to score")
    return total / count


def train(job: TrainJob) -> dict[str, Any]:
    params = job.params
    if job.data is None:
        raise BadInput("give the corpus with --data FILE_OR_FOLDER (UTF-8 text)")
    files = corpus_files(job.data, params["pattern"])
    split = split_corpus([read_text(f) for f in files], params["holdout"])
    seq_len, batch_size = params["seq_len"], params["batch_size"]
    if len(split.train) <= seq_len + 1:
        raise BadInput(f"{job.data}: corpus too small: {len(split.train)} training characters, "
                       f"need more than seq_len+1 = {seq_len + 1} (lower --seq-len or give more text)")
    vocab = Vocabulary.build(split.train, params["min_count"])
    language = params["language"] or detect_language(split.train)
    config = ModelConfig(vocab_size=len(vocab), embed=params["embed"], hidden=params["hidden"],
                         layers=params["layers"], cell=params["cell"], dropout=params["dropout"])
    ids = vocab.encode(split.train)
    lexicon = corpus_words(split.train)
    steps_per_epoch = max(1, len(ids) // (seq_len * batch_size))
    model = CharRNN(config)
    optimizer = torch.optim.AdamW(model.parameters(), lr=params["lr"], weight_decay=0.01)
    full_config = {**config.__dict__, "language": language, "seq_len": seq_len, "batch_size": batch_size,
                   "lr": params["lr"], "min_count": params["min_count"], "holdout": params["holdout"],
                   "pattern": params["pattern"]}
    trainer = Trainer(job=job, model=COMPONENT, config=full_config, modules={"lm": model},
                      optimizers={"adamw": optimizer}, steps_per_epoch=steps_per_epoch,
                      data_fingerprint=data_fingerprint(job.data), schedule=WarmupCosine(warmup=100, floor=0.1),
                      export=lambda: export_tensors(model, vocab, lexicon))
    if not job.dry_run:
        print(f"poem: {len(files)} file(s), {len(split.train):,} training chars, {sum(map(len, split.validation)):,} "
              f"validation chars, vocabulary {len(vocab)}, language {language}, "
              f"{sum(p.numel() for p in model.parameters()):,} parameters, {torch.get_num_threads()} thread(s)", file=sys.stderr)

    def preview(step: int, folder: Path) -> None:
        loss = validation_loss(model, vocab, split.validation, limit=20_000) if split.validation else float("nan")
        model.eval()
        text = sample_free(model, vocab, "\n", 300, torch.Generator().manual_seed(step), temperature=0.8)
        model.train()
        (folder / f"step-{step:06d}.txt").write_text(f"val_loss~{loss:.4f}\n\n{text}\n", encoding="utf-8")
        print(f"poem: step {step} val~{loss:.4f} elapsed {time.perf_counter() - started:.0f}s", file=sys.stderr, flush=True)

    trainer.sample = preview

    def step(batch: tuple[torch.Tensor, torch.Tensor]) -> dict[str, float]:
        inputs, targets = batch
        logits, _ = model(inputs)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        return {"loss": float(loss.detach()), "n": inputs.numel()}

    started = time.perf_counter()
    result = trainer.fit(lambda epoch: window_batches(ids, seq_len, batch_size, steps_per_epoch, job.seed, epoch), step)
    seconds = time.perf_counter() - started
    metrics = {"train_seconds_this_run": round(seconds, 1), "train_chars": len(split.train),
               "chars_per_second": round(result["examples_per_second"], 1)}
    if split.validation and not job.dry_run:
        metrics["val_loss"] = round(validation_loss(model, vocab, split.validation), 4)
    trainer.save(metrics)
    return {**result, **metrics, "language": language, "vocabulary": len(vocab)}
