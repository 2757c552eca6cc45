"""`muse eval poem`: validation loss, form adherence and variety.

* ``val_loss``: nats per character on the held-out tail of every file of ``--data`` (the last 10%
  of tiny Shakespeare is the split char-rnn and nanoGPT report on), state carried across the text.
* Per form: the share of ``samples`` poems (seeds 0..N-1) that come out and pass the independent
  checker, the same share for unconstrained sampling of the same model (the model's own line
  breaks, nothing enforced) as the baseline, and the distinct-4-gram rate (distinct word 4-grams
  / all word 4-grams in English; characters in Chinese) as a variety measure.
* The reader's figures, constrained and unconstrained side by side (``FORM_X`` and
  ``FORM_unconstrained_X``): ``invented_words`` (English words neither in the model's training
  lexicon nor in the CMU dictionary), ``perfect_rhymes`` (share of the rhyme pairs the form asks
  for that are true rhymes), ``metre`` (share of lines that scan with at most one stress on a weak
  position), and for jueju ``tonal`` (share of characters keeping the best-fitting of the four
  tonal patterns, 一三五不論 positions counted as kept), ``tonal_strict`` (no free positions),
  ``nian_dui`` (share of the three 粘/对 relations kept) and ``rhymes`` (lines 2 and 4 level and in
  one group). With ``--data`` holding Tang jueju, the corpus's own tonal figures are the reference.
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
from .forms import FORMS, check, line_specs, scans
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


def invented(poems: list[list[str]], known: set[str]) -> float:
    """Share of words neither the lexicon nor the dictionary knows (apostrophe parts checked apart)."""
    words = [w.lower() for lines in poems for line in lines for w in english.words_of(line)]
    bad = [w for w in words if w not in known and not all(p in known for p in w.replace("’", "'").split("'") if p)]
    return len(bad) / len(words) if words else 0.0


def rhyme_pairs(poems: list[list[str]], specs, language: str) -> float | None:
    """Share of the rhyme pairs the scheme asks for (each later line against the first of its
    letter) that are true rhymes; Chinese: same group, both level, different characters."""
    good = total = 0
    for lines in poems:
        firsts: dict[str, str] = {}
        for spec, line in zip(specs, lines):
            if not spec.rhyme:
                continue
            unit = _last(line, language)
            if spec.rhyme not in firsts:
                firsts[spec.rhyme] = unit
                continue
            total += 1
            first = firsts[spec.rhyme]
            good += (chinese.rhymes(first, unit) and chinese.is_level(first) and chinese.is_level(unit)) \
                if language == "zh" else english.perfect_rhyme(first, unit)
    return good / total if total else None


def _last(line: str, language: str) -> str:
    if language == "zh":
        han = [c for c in line if chinese.is_han(c)]
        return han[-1] if han else ""
    words = english.words_of(line)
    return words[-1] if words else ""


def metre_share(poems: list[list[str]], specs) -> float | None:
    lines = [(spec, line) for lines in poems for spec, line in zip(specs, lines)]
    if not lines or not specs[0].templates or specs[0].templates[0][0] == "x":
        return None
    return sum(scans(line, spec, allowed=1) for spec, line in lines) / len(lines)


def tonal_scores(poems: list[list[str]], size: int) -> dict[str, float]:
    """Per-character pattern adherence (free positions free, and strict), 粘/对, level rhymes."""
    kept = strict = total = relations = rhymed = 0
    for lines in poems:
        han = ["".join(c for c in line if chinese.is_han(c))[:size] for line in lines[:4]]
        han += [""] * (4 - len(han))
        pattern, k, t = chinese.best_pattern(han, size)
        kept, total = kept + k, total + t
        strict += sum(chinese.tone(c) == want[i] for line, want in zip(han, pattern.lines)
                      for i, c in enumerate(line))
        relations += chinese.nian_dui_kept(han) if all(len(h) == size for h in han) else 0
        ends = [h[-1:] for h in han]
        rhymed += bool(ends[1] and ends[3] and chinese.rhymes(ends[1], ends[3]) and chinese.is_level(ends[1])
                       and chinese.is_level(ends[3]))
    n = max(1, len(poems))
    return {"tonal": kept / max(1, total), "tonal_strict": strict / max(1, total), "nian_dui": relations / (3 * n),
            "rhymes": rhymed / n}


def corpus_jueju(texts: list[str], size: int, count: int) -> list[list[str]]:
    """The first ``count`` poems of the corpus with lines of ``size`` characters (a ruler for the ruler)."""
    found = []
    for text in texts:
        for poem in text.split("\n"):
            lines = [part for part in poem.replace("。", "，").split("，") if part]
            if len(lines) == 4 and all(len(line) == size and all(chinese.is_han(c) for c in line) for line in lines):
                found.append(lines)
                if len(found) >= count:
                    return found
    return found


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


def reader_scores(poems: list[list[str]], specs, form: str, language: str, known: set[str]) -> dict[str, float]:
    """The figures a reader would check, for one set of poems."""
    scores: dict[str, float | None] = {}
    if language == "en":
        scores["invented_words"] = invented(poems, known)
        scores["metre"] = metre_share(poems, specs)
    scores["perfect_rhymes"] = rhyme_pairs(poems, specs, language)
    if form in ("jueju5", "jueju7"):
        scores.update(tonal_scores(poems, 5 if form == "jueju5" else 7))
    return {k: round(v, 4) for k, v in scores.items() if v is not None}


def form_scores(loaded, form: str, samples: int, temperature: float, top_p: float,
                corpus: list[str] | None = None) -> dict[str, Any]:
    language = loaded.language
    specs = line_specs(FORMS[form], language, None)
    tonal = form in ("jueju5", "jueju7")
    poems, met, failures, baseline = [], 0, {}, 0
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as generation does: one character at a time
    started = time.perf_counter()
    try:
        for seed in range(samples):
            decoder = Decoder(loaded, torch.Generator().manual_seed(seed), temperature, 0, top_p)
            try:
                lines = write_poem(decoder, specs, language, "", form)
            except MuseError as error:
                reason = str(error).split(":", 2)[1].strip() if ":" in str(error) else str(error)
                failures[reason] = failures.get(reason, 0) + 1
                continue
            poems.append(lines)
            met += not check(specs, lines, language, tonal=tonal)
        seconds = time.perf_counter() - started
        free = [unconstrained(loaded, specs, language, seed, temperature, top_p) for seed in range(samples)]
    finally:
        torch.set_num_threads(threads)
    baseline = sum(not check(specs, lines, language, tonal=tonal) for lines in free)
    known = set(loaded.lexicon) | set(english.pronunciations()) if language == "en" else set()
    scores = {f"{form}_adherence": round(met / samples, 4), f"{form}_unconstrained_adherence": round(baseline / samples, 4),
              f"{form}_distinct4": round(distinct_ngrams(poems, language), 4),
              f"{form}_seconds_per_poem": round(seconds / samples, 3)}
    for key, value in reader_scores(poems, specs, form, language, known).items():
        scores[f"{form}_{key}"] = value
    for key, value in reader_scores(free, specs, form, language, known).items():
        scores[f"{form}_unconstrained_{key}"] = value
    if tonal and corpus:
        reference = corpus_jueju(corpus, 5 if form == "jueju5" else 7, samples)
        if reference:
            for key, value in reader_scores(reference, specs, form, language, known).items():
                scores[f"{form}_corpus_{key}"] = value
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
    corpus = None
    if data is not None:
        corpus = [read_text(f) for f in corpus_files(data, params["pattern"])]
        split = split_corpus(corpus, params["holdout"])
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
        results.update(form_scores(loaded, form, params["samples"], params["temperature"], params["top_p"], corpus))
    return results
