"""`muse eval melody`: held-out likelihood against n-gram baselines, and music metrics.

Everything is computed in one run on one split: the tunes of ``--data`` are split by tune name
exactly as training splits them, the n-grams are fitted on the training tunes, and all models
are scored on the held-out tunes. Generated tunes copy the held-out tunes' meters, modes and
lengths, so the metrics compare like with like. The form measures, which only tunes of four
8-bar parts have, are taken over ``form_samples`` tunes modelled on the held-out four-part tunes
(a few percent of ``samples`` would be a dozen tunes). Each meter's rhythm is likewise measured on
``meter_samples`` tunes of its own, modelled on that meter's held-out tunes, beside a floor: the
same distance for as many real training tunes of the meter, which is what sampling noise alone
gives at that size.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import torch

from engine import BadInput
from engine.theory import Key
from engine.training import configure_threads

from .corpora import load_corpus
from .data import encode_tunes, split
from .events import N_DURATION_IDS, Tune, normalised_pitch_id, onsets_of, pitch_of_id
from .form import AUTO
from .generate import Melodist, Settings, load_model, plan_for, rhythm_for, sample_events, tune_draws
from .measures import (distinct_bars, form_measures, four_part, onset_positions, pickup_rate, sixteenth_share,
                       total_variation)
from .metrics import METRICS, Melody, corpus_metrics
from .model import MelodyLSTM
from .ngram import KneserNey, event_ids

NGRAM_ORDERS = (1, 2, 3, 4)
BEAM = 4  # the beam width whose tunes are checked for loops
FLOOR_DRAWS = 5  # draws of real training tunes whose mean distance is a meter's noise floor


@torch.no_grad()
def lstm_scores(model: MelodyLSTM, tunes: list[Tune], batch_size: int = 32) -> tuple[Counter, Counter, Counter]:
    """Per meter: total NLL (nats), correct joint-argmax predictions and event count over ``tunes``."""
    nll: Counter = Counter()
    correct: Counter = Counter()
    count: Counter = Counter()
    for start in range(0, len(tunes), batch_size):
        batch = tunes[start:start + batch_size]
        data = encode_tunes(batch)
        mask = data.pitches > 0
        hidden, pitch_logits, _ = model(data.features)
        for row, tune in enumerate(batch):
            keep = mask[row]
            h, pitch_lp = hidden[row][keep], pitch_logits[row][keep].log_softmax(-1)
            target_pitch, target_duration = data.pitches[row][keep], data.durations[row][keep]
            joint = pitch_lp[:, :, None] + model.all_duration_log_probs(h)  # (N, P, D)
            meter = str(tune.meter)
            nll[meter] -= float(joint[torch.arange(len(h)), target_pitch, target_duration].sum())
            best = joint.flatten(1).argmax(-1)
            correct[meter] += int(((best // N_DURATION_IDS == target_pitch) & (best % N_DURATION_IDS == target_duration)).sum())
            count[meter] += len(h)
    return nll, correct, count


def tune_events(tune: Tune) -> list[int]:
    return event_ids([normalised_pitch_id(p, tune.key.shift) for p in tune.pitches], tune.durations, N_DURATION_IDS)


def held_out_melody(tune: Tune) -> Melody:
    return Melody.from_events(onsets_of(tune), tune.pitches, tune.durations, tune.meter, tune.pickup)


def templates(held: list[Tune], samples: int) -> list[Tune]:
    """``samples`` held-out tunes spread evenly over the held-out list (cycling when it is shorter),
    so the generated tunes have the corpus's mix of meters, modes and lengths."""
    if samples <= len(held):
        return [held[i * len(held) // samples] for i in range(samples)]
    return [held[i % len(held)] for i in range(samples)]


def onset_floor(train: list[Tune], held: list[Melody], size: int, seed: int) -> tuple[float, int]:
    """Mean onset-position distance between ``size`` real training tunes (fewer when there are not
    so many; ``FLOOR_DRAWS`` seeded draws) and ``held``, and the tunes per draw: the distance that a
    generator as good as the corpus itself would still show at this sample size."""
    size = min(size, len(train))
    reference = onset_positions(held)
    distances = [total_variation(onset_positions(held_out_melody(t) for t in random.Random(seed + draw).sample(train, size)),
                                 reference) for draw in range(FLOOR_DRAWS)]
    return sum(distances) / FLOOR_DRAWS, size


def generated_melodies(melodist: Melodist, models: list[Tune], temperature: float, seed: int, beam: int = 1) -> list[Melody]:
    """Tune i in the meter, mode and length of ``models[i]``, with the form, pickup and rhythm style
    ``auto`` gives."""
    groups: dict[tuple, list[int]] = defaultdict(list)
    for i, tune in enumerate(models):
        groups[(tune.meter, tune.key.mode, tune.bars)].append(i)
    melodies: list[Melody | None] = [None] * len(models)
    for (meter, mode, bars), indices in groups.items():
        settings = Settings(meter, Key(0, mode), bars, temperature, 0, 1.0, beam, True)
        draws = [tune_draws(seed + i) for i in indices]
        pickups = [melodist.habits.draw_pickup(meter, pickup) for pickup, _, _ in draws]
        plans = [plan_for(AUTO, meter, bars, melodist.habits, form) for _, form, _ in draws]
        rhythms = [rhythm_for(AUTO, meter, bars, melodist.habits, rhythm) for _, _, rhythm in draws]
        timelines = sample_events(melodist.model, settings, [], [seed + i for i in indices], pickups, plans, rhythms)
        for i, timeline in zip(indices, timelines):
            pitches = [pitch_of_id(p, 0) for p in timeline.pitch_ids]
            melodies[i] = Melody.from_events(timeline.onsets, pitches, timeline.durations, meter, timeline.pickup)
    return [m for m in melodies if m is not None]


def evaluate_melody(data: Path | None, params: dict[str, Any], weights_dir: Path) -> dict[str, Any]:
    if data is None:
        raise BadInput("muse eval melody needs --data: the MIDI folder, ABC file or .sources manifest the model was trained on")
    configure_threads()
    corpus = load_corpus(data)
    train, held = split(corpus.tunes)
    melodist = load_model(params["model"], weights_dir)
    model = melodist.model
    report: dict[str, Any] = {"train_tunes": len(train), "held_out_tunes": len(held)}
    nll, correct, count = lstm_scores(model, held)
    events = sum(count.values())
    report["held_out_events"] = events
    report["lstm_nll_per_event"] = sum(nll.values()) / events
    report["lstm_accuracy"] = sum(correct.values()) / events
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

    real = [held_out_melody(t) for t in held]
    made_from = templates(held, params["samples"])
    made = generated_melodies(melodist, made_from, params["temperature"], params["seed"])
    report["generated_tunes"] = len(made)
    reference, generated = corpus_metrics(real), corpus_metrics(made)
    worst = 0.0
    for name in METRICS:
        difference = abs(generated[name] - reference[name]) / abs(reference[name]) if reference[name] else abs(generated[name])
        report[f"{name}_held_out"] = reference[name]
        report[f"{name}_generated"] = generated[name]
        report[f"{name}_rel_diff"] = difference
        worst = max(worst, difference)
    report["worst_metric_rel_diff"] = worst

    four_part_held = [t for t in held if four_part([held_out_melody(t)])]
    form_made = generated_melodies(melodist, templates(four_part_held, params["form_samples"]), params["temperature"],
                                   params["seed"]) if four_part_held and params["form_samples"] else []
    for source, melodies, formed in (("held_out", real, real), ("generated", made, form_made)):
        for name, value in form_measures(formed).items():
            report[f"{name}_{source}"] = value
        report[f"form_distinct_bars_{source}"] = distinct_bars(four_part(formed))  # what beam tunes compare with
        report[f"pickup_rate_{source}"] = pickup_rate(melodies)
        report[f"distinct_bars_{source}"] = distinct_bars(melodies)
    for meter in sorted(count, key=lambda m: -count[m]):
        held_of_meter = [t for t in held if str(t.meter) == meter]
        mine = [held_out_melody(t) for t in held_of_meter]
        theirs = generated_melodies(melodist, templates(held_of_meter, params["meter_samples"]), params["temperature"],
                                    params["seed"])
        key = meter.replace("/", "_")
        report[f"meter_{key}_held_out_tunes"] = len(mine)
        report[f"meter_{key}_generated_tunes"] = len(theirs)
        report[f"meter_{key}_lstm_nll_per_event"] = nll[meter] / count[meter]
        report[f"meter_{key}_pickup_rate_held_out"] = pickup_rate(mine)
        report[f"meter_{key}_pickup_rate_generated"] = pickup_rate(theirs)
        report[f"meter_{key}_onset_tvd"] = total_variation(onset_positions(theirs), onset_positions(mine))
        report[f"meter_{key}_sixteenth_share_held_out"] = sixteenth_share(mine)
        report[f"meter_{key}_sixteenth_share_generated"] = sixteenth_share(theirs)
        train_of_meter = [t for t in train if str(t.meter) == meter]
        if train_of_meter:
            floor, size = onset_floor(train_of_meter, mine, params["meter_samples"], params["seed"])
            report[f"meter_{key}_onset_tvd_floor"] = floor
            report[f"meter_{key}_floor_tunes"] = size
    if params["beam_samples"] and four_part_held:
        beamed = templates(four_part_held, params["beam_samples"])
        looped = generated_melodies(melodist, beamed, params["temperature"], params["seed"], beam=BEAM)
        report[f"beam{BEAM}_tunes"] = len(looped)
        report[f"beam{BEAM}_distinct_bars"] = distinct_bars(looped)
        report[f"beam{BEAM}_aaaa"] = form_measures(looped)["aaaa"]
    report["checkpoint"] = melodist.checkpoint.sha256[:16]
    return report
