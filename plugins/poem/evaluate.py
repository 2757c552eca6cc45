"""`muse eval poem`: validation loss, form adherence and variety.

* ``val_loss``: nats per character on the held-out tail of every file of ``--data`` (the last 10%
  of tiny Shakespeare is the split char-rnn and nanoGPT report on), state carried across the text.
* Per form: the share of ``samples`` poems (seeds 0..N-1) that come out and pass the independent
  checker, the same share for unconstrained sampling of the same model (the model's own line
  breaks, no syllable or rhyme control) as the baseline, and the distinct-4-gram rate (distinct
  word 4-grams / all word 4-grams in English; characters in Chinese) as a variety measure.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import torch

from engine import BadInput, MuseError
from engine.io import shipped_model

from . import chinese, english
from .checkpoint import COMPONENT, load_poem_model
from .data import corpus_files, read_text, split_corpus
from .decode import Decoder, write_poem
from .forms import FORMS, check, line_specs
from .generate import WEIGHTS
from .sampling import sample_free
from .train import validation_loss

ANCHORS = {"nanogpt_cpu_val_loss": 1.88, "nanogpt_gpu_val_loss": 1.47}


def distinct_ngrams(poems: list[list[str]], language: str, n: int = 4) -> float:
    grams, total = set(), 0
    for lines in poems:
        units = [c for c in "".join(lines) if chinese.is_han(c)] if language == "zh" else \
            [w.lower() for line in lines for w in english.words_of(line)]
        for i in range(len(units) - n + 1):
            grams.add(tuple(units[i:i + n]))
            total += 1
    return len(grams) / total if total else 0.0


def unconstrained(loaded, specs, language: str, seed: int, temperature: float, top_p: float) -> list[str]:
    """The same model sampling freely: its own line breaks, nothing enforced."""
    generator = torch.Generator().manual_seed(seed)
    text = sample_free(loaded.model, loaded.vocab, "\n", 60 * len(specs), generator, temperature, 0, top_p)
    if language == "zh":
        poem = text.split("\n")[0]
        lines, line = [], ""
        for char in poem:
            line += char
            if char in "，。":
                lines.append(line)
                line = ""
        return lines[:len(specs) + 1]
    return [line for line in text.split("\n") if line.strip()][:len(specs)]


def form_scores(loaded, form: str, samples: int, temperature: float, top_p: float) -> dict[str, Any]:
    language = loaded.language
    specs = line_specs(FORMS[form], language, None)
    poems, met, failures, baseline = [], 0, {}, 0
    started = time.perf_counter()
    for seed in range(samples):
        decoder = Decoder(loaded, torch.Generator().manual_seed(seed), temperature, 0, top_p)
        try:
            lines = write_poem(decoder, specs, language, "", form)
        except MuseError as error:
            reason = str(error).split(":", 2)[1].strip() if ":" in str(error) else str(error)
            failures[reason] = failures.get(reason, 0) + 1
            continue
        poems.append(lines)
        met += not check(specs, lines, language)
    seconds = time.perf_counter() - started
    for seed in range(samples):
        baseline += not check(specs, unconstrained(loaded, specs, language, seed, temperature, top_p), language)
    scores = {f"{form}_adherence": round(met / samples, 4), f"{form}_unconstrained_adherence": round(baseline / samples, 4),
              f"{form}_distinct4": round(distinct_ngrams(poems, language), 4),
              f"{form}_seconds_per_poem": round(seconds / samples, 3)}
    if failures:
        scores[f"{form}_failures"] = "; ".join(f"{n}x {why}" for why, n in failures.items())
    return scores


def evaluate(data: Path | None, params: dict[str, Any]) -> dict[str, Any]:
    from engine.training import configure_threads

    configure_threads()
    loaded = load_poem_model(shipped_model(params["model"], WEIGHTS, COMPONENT))
    results: dict[str, Any] = {"model": str(loaded.path), "language": loaded.language}
    metrics = loaded.info.get("metrics", {})
    results["trained_steps"] = loaded.info.get("step")
    if data is not None:
        split = split_corpus([read_text(f) for f in corpus_files(data, params["pattern"])], params["holdout"])
        if not split.validation:
            raise BadInput(f"{data}: nothing held out for validation (holdout is 0)")
        unseen = loaded.vocab.unseen("".join(split.validation))
        results["val_loss"] = round(validation_loss(loaded.model, loaded.vocab, split.validation), 4)
        results["val_chars"] = sum(map(len, split.validation))
        if unseen:
            results["val_unknown_chars"] = len(unseen)
        results.update(ANCHORS)
    for key in ("train_seconds_this_run", "chars_per_second"):
        if key in metrics:
            results[key] = metrics[key]
    wanted = [f.strip() for f in params["forms"].split(",")] if params["forms"] != "all" else \
        [name for name, form in FORMS.items() if form.language in (None, loaded.language)]
    for form in wanted:
        if form not in FORMS:
            raise BadInput(f"unknown form {form!r}; choose from {', '.join(FORMS)}")
    for form in wanted if params["samples"] else []:
        results.update(form_scores(loaded, form, params["samples"], params["temperature"], params["top_p"]))
    return results
