"""Speed of the `melody` plugin against plain loops of the same model, run side by side.

Generation (16 bars of 4/4, notes per second, batch 1 and batch 32):
  cached   ours: the LSTM state is carried from step to step, so each new event costs one step
  plain    a sampling loop without state caching: every new event re-runs the LSTM over the
           whole tune so far (same model, same constraints, same sampler)
Training (events per second, one optimiser step at a time):
  batched  ours: 32 tunes per step, windows of at most 256 events, padding masked out
  plain    one whole tune per step

    MUSE_THREADS=1 python benchmarks/melody.py
    python benchmarks/melody.py --model path/to/melody.safetensors --data ../shared/data/melody/cre_irish/midi
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from engine.theory import parse_key
from engine.training import configure_threads
from plugins.melody.corpora import load_corpus
from plugins.melody.data import crop_batch, encode_tunes
from plugins.melody.events import Meter, Timeline
from plugins.melody.generate import Hypothesis, Settings, _expand, load_model, sample_events
from plugins.melody.model import MelodyLSTM
from plugins.melody.train import event_loss

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "melody" / "cre_irish" / "midi"


PLAN = "AB"  # two new parts: every event sampled, none played back


@torch.no_grad()
def plain_sampling(model: MelodyLSTM, settings: Settings, seeds: list[int]) -> list[Timeline]:
    """The baseline: no carried state; each step runs the LSTM over the full prefix again."""
    generators = [torch.Generator().manual_seed(seed) for seed in seeds]
    hypotheses = [Hypothesis(Timeline(settings.meter, settings.key.mode, settings.bars, plan=PLAN), row)
                  for row in range(len(seeds))]
    prefixes: list[list[list[int]]] = [[] for _ in seeds]
    while any(h.timeline.now < h.timeline.end for h in hypotheses):
        for h, prefix in zip(hypotheses, prefixes):
            prefix.append(h.timeline.features())
        length = max(len(p) for p in prefixes)
        features = torch.tensor([p + [p[-1]] * (length - len(p)) for p in prefixes])
        hidden, pitch_logits, _ = model(features)
        for h, prefix, generator in zip(hypotheses, prefixes, generators):
            if h.timeline.now >= h.timeline.end:
                continue
            last = len(prefix) - 1
            _, pitch, duration = _expand(model, h, hidden[h.row, last], pitch_logits[h.row, last], settings, generator)[0]
            h.timeline.add(pitch, duration)
    return [h.timeline for h in hypotheses]


def notes_per_second(function, model: MelodyLSTM, settings: Settings, batch: int, repeats: int) -> float:
    notes, started = 0, time.perf_counter()
    for repeat in range(repeats):
        timelines = function(model, settings, list(range(repeat * batch, (repeat + 1) * batch)))
        notes += sum(sum(1 for p in t.pitch_ids if p > 1) for t in timelines)
    return notes / (time.perf_counter() - started)


def generation(model: MelodyLSTM) -> None:
    settings = Settings(Meter(4, 4), parse_key("D major"), 16, 1.0, 0, 1.0, 1, True)
    print("\n== generation, 16 bars of 4/4, notes per second ==")
    print(f"{'batch':>5} {'cached':>9} {'plain':>9}  cached/plain")
    for batch, repeats in ((1, 3), (32, 1)):
        ours = notes_per_second(lambda m, s, seeds: sample_events(m, s, [], seeds, [0] * len(seeds), [PLAN] * len(seeds)), model, settings, batch, repeats)
        plain = notes_per_second(plain_sampling, model, settings, batch, repeats)
        print(f"{batch:>5} {ours:>9.0f} {plain:>9.0f}  {ours / plain:.1f}x")


def training(model: MelodyLSTM, data: Path, steps: int) -> None:
    tunes = load_corpus(data).tunes[:32 * steps]
    encoded = encode_tunes(tunes)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    model.train()

    def run(batches) -> float:
        events, started = 0, time.perf_counter()
        for features, pitches, durations in batches:
            loss, count = event_loss(model, features, pitches, durations)
            optimizer.zero_grad()
            (loss / count).backward()
            optimizer.step()
            events += count
        return events / (time.perf_counter() - started)

    generator = torch.Generator().manual_seed(0)
    batched = run(crop_batch(encoded, torch.arange(i * 32, (i + 1) * 32), 256, generator) for i in range(steps))
    plain = run(crop_batch(encoded, torch.tensor([i]), 10_000, generator) for i in range(min(len(tunes), 4 * steps)))
    print("\n== training, events per second ==")
    print(f"{'batched':>9} {'plain':>9}  batched/plain")
    print(f"{batched:>9.0f} {plain:>9.0f}  {batched / plain:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="default", help="checkpoint name or path (default: the shipped one)")
    parser.add_argument("--data", type=Path, default=DATA, help="MIDI folder for the training benchmark")
    parser.add_argument("--steps", type=int, default=4, help="training steps to time")
    args = parser.parse_args()
    print(f"threads: {configure_threads()}")
    model = load_model(args.model, ROOT / "plugins" / "melody" / "weights").model
    generation(model)
    training(MelodyLSTM(hidden=model.lstm.hidden_size, layers=model.lstm.num_layers), args.data, args.steps)


if __name__ == "__main__":
    main()
