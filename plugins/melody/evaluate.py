"""`muse eval melody`: held-out likelihood against n-gram baselines, and music metrics.

Everything is computed in one run on one split: the tunes of ``--data`` are split by tune name
exactly as training splits them, the n-grams are fitted on the training tunes, and all models
are scored on the held-out tunes. Generated tunes copy the held-out tunes' meters, modes and
lengths, so the metrics compare like with like.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import torch

from engine import BadInput
from engine.theory import Key
from engine.training import configure_threads

from .data import encode_tunes, load_corpus, split
from .events import N_DURATION_IDS, Tune, normalised_pitch_id, pitch_of_id
from .generate import Primer, Settings, load_model, sample_events
from .metrics import METRICS, Melody, corpus_metrics
from .model import MelodyLSTM
from .ngram import KneserNey, event_ids

NGRAM_ORDERS = (1, 2, 3, 4)


@torch.no_grad()
def lstm_scores(model: MelodyLSTM, tunes: list[Tune], batch_size: int = 32) -> tuple[float, float, int]:
    """Total NLL (nats), correct joint-argmax predictions and event count over ``tunes``."""
    data = encode_tunes(tunes)
    nll, correct, count = 0.0, 0, 0
    for start in range(0, len(tunes), batch_size):
        rows = slice(start, start + batch_size)
        features, pitches, durations = data.features[rows], data.pitches[rows], data.durations[rows]
        mask = pitches > 0
        hidden, pitch_logits, _ = model(features)
        hidden, pitch_lp = hidden[mask], pitch_logits[mask].log_softmax(-1)
        target_pitch, target_duration = pitches[mask], durations[mask]
        joint = pitch_lp[:, :, None] + model.all_duration_log_probs(hidden)  # (N, P, D)
        nll -= float(joint[torch.arange(len(hidden)), target_pitch, target_duration].sum())
        best = joint.flatten(1).argmax(-1)
        correct += int(((best // N_DURATION_IDS == target_pitch) & (best % N_DURATION_IDS == target_duration)).sum())
        count += len(hidden)
    return nll, correct, count


def tune_events(tune: Tune) -> list[int]:
    return event_ids([normalised_pitch_id(p, tune.key.shift) for p in tune.pitches], tune.durations, N_DURATION_IDS)


def held_out_melody(tune: Tune) -> Melody:
    onsets, now = [], -tune.pickup
    for duration in tune.durations:
        onsets.append(now)
        now += duration
    return Melody.from_events(onsets, tune.pitches, tune.durations, tune.meter)


def generated_melodies(model: MelodyLSTM, held: list[Tune], samples: int, temperature: float, seed: int) -> list[Melody]:
    """``samples`` tunes, tune i in the meter, mode and length of held-out tune i (cycling)."""
    groups: dict[tuple, list[int]] = defaultdict(list)
    for i in range(samples):
        tune = held[i % len(held)]
        groups[(tune.meter, tune.key.mode, tune.bars)].append(i)
    melodies: list[Melody | None] = [None] * samples
    for (meter, mode, bars), indices in groups.items():
        settings = Settings(meter, Key(0, mode), bars, temperature, 0, 1.0, 1, True)
        timelines = sample_events(model, settings, Primer(), [seed + i for i in indices])
        for i, timeline in zip(indices, timelines):
            pitches = [pitch_of_id(p, 0) for p in timeline.pitch_ids]
            melodies[i] = Melody.from_events(timeline.onsets, pitches, timeline.durations, meter)
    return [m for m in melodies if m is not None]


def evaluate_melody(data: Path | None, params: dict[str, Any], weights_dir: Path) -> dict[str, Any]:
    if data is None:
        raise BadInput("muse eval melody needs --data: the folder of MIDI files (or ABC file) the model was trained on")
    configure_threads()
    corpus = load_corpus(data)
    train, held = split(corpus.tunes)
    model, checkpoint = load_model(params["model"], weights_dir)
    report: dict[str, Any] = {"train_tunes": len(train), "held_out_tunes": len(held)}
    nll, correct, count = lstm_scores(model, held)
    report["held_out_events"] = count
    report["lstm_nll_per_event"] = nll / count
    report["lstm_accuracy"] = correct / count
    vocabulary = model.pitch_head.out_features * N_DURATION_IDS
    train_events = [tune_events(t) for t in train]
    held_events = [tune_events(t) for t in held]
    best = float("inf")
    for order in NGRAM_ORDERS:
        ngram = KneserNey(order, vocabulary).fit(train_events)
        g_nll, g_correct, g_count = ngram.score(held_events)
        report[f"ngram{order}_nll_per_event"] = g_nll / g_count
        report[f"ngram{order}_accuracy"] = g_correct / g_count
        best = min(best, g_nll / g_count)
    report["nll_ratio_vs_best_ngram"] = report["lstm_nll_per_event"] / best
    reference = corpus_metrics([held_out_melody(t) for t in held])
    generated = corpus_metrics(generated_melodies(model, held, params["samples"], params["temperature"], params["seed"]))
    report["generated_tunes"] = params["samples"]
    worst = 0.0
    for name in METRICS:
        difference = abs(generated[name] - reference[name]) / abs(reference[name]) if reference[name] else abs(generated[name])
        report[f"{name}_held_out"] = reference[name]
        report[f"{name}_generated"] = generated[name]
        report[f"{name}_rel_diff"] = difference
        worst = max(worst, difference)
    report["worst_metric_rel_diff"] = worst
    report["checkpoint"] = checkpoint.sha256[:16]
    return report
