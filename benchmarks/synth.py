"""Speed of the built-in synthesizer against pretty_midi's sine synthesis and FluidSynth.

One deterministic 3-minute, 4-track score (piano melody, string chords, bass, drums) is
rendered at 44.1 kHz by each method in this process, best of ``--repeats``. The realtime factor
is seconds of audio per second of compute (higher is faster); peak memory is the largest
amount numpy and Python held at once during one render (tracemalloc, measured in a separate
run so it does not slow the timed ones).

    MUSE_THREADS=1 nice python benchmarks/synth.py [--seconds 180] [--repeats 3]
"""

from __future__ import annotations

import argparse
import random
import time
import tracemalloc
from collections.abc import Callable

from engine import Note, Score, Track

SCALE = (0, 2, 4, 5, 7, 9, 11)
CHORDS = ((0, 4, 7), (9, 12, 16), (5, 9, 12), (7, 11, 14))  # I vi IV V in C


def benchmark_score(seconds: float = 180.0, tempo: float = 120.0, seed: int = 0) -> Score:
    """A pop-like song: melody in eighths and quarters, whole-bar chords, quarter bass, rock beat."""
    rng = random.Random(seed)
    beat = 60.0 / tempo
    bars = int(seconds / (4 * beat))
    melody, chords, bass, drums = Track(program=0), Track(program=48), Track(program=33), Track(is_drum=True)
    degree = 7
    for bar in range(bars):
        root = CHORDS[bar % 4]
        start = bar * 4 * beat
        for pitch in root:
            chords.notes.append(Note(60 + pitch - 12, start, start + 4 * beat - 0.02, rng.randint(55, 75)))
        for step in range(4):
            t = start + step * beat
            bass.notes.append(Note(36 + root[0] % 12, t, t + beat * 0.9, rng.randint(85, 110)))
            drums.notes.append(Note(36 if step % 2 == 0 else 38, t, t + 0.1, rng.randint(90, 120)))
            for half in range(2):
                drums.notes.append(Note(42, t + half * beat / 2, t + half * beat / 2 + 0.05, rng.randint(60, 90)))
        if bar % 8 == 0:
            drums.notes.append(Note(49, start, start + 0.1, 110))
        t = start
        while t < start + 4 * beat - 1e-9:
            length = beat / 2 if rng.random() < 0.6 else beat
            degree = max(0, min(14, degree + rng.choice((-2, -1, -1, 0, 1, 1, 2))))
            pitch = 60 + 12 * (degree // 7) + SCALE[degree % 7]
            melody.notes.append(Note(pitch, t, t + length * 0.95, rng.randint(70, 110)))
            t += length
    return Score(tracks=[melody, chords, bass, drums], tempo=tempo)


def best_time(render: Callable[[], object], repeats: int) -> tuple[float, float]:
    """Best (CPU seconds, wall seconds) over ``repeats`` renders."""
    cpu, wall = float("inf"), float("inf")
    for _ in range(repeats):
        cpu_start, wall_start = time.process_time(), time.perf_counter()
        render()
        cpu = min(cpu, time.process_time() - cpu_start)
        wall = min(wall, time.perf_counter() - wall_start)
    return cpu, wall


def peak_memory(render: Callable[[], object]) -> float:
    """MiB held at the peak of one render."""
    tracemalloc.start()
    render()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=180.0)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    from plugins.synth import synthesize
    from plugins.synth.fluid import fluidsynth_missing

    score = benchmark_score(args.seconds)
    midi = score.to_midi()
    rate = 44100
    notes = sum(len(t.notes) for t in score.tracks)
    print(f"score: {score.duration:.1f} s, {len(score.tracks)} tracks, {notes} notes; 44.1 kHz")

    methods: dict[str, Callable[[], object]] = {
        "muse builtin (stereo, reverb 0.2)": lambda: synthesize(score, rate=rate, stereo=True, reverb=0.2),
        "muse builtin (stereo, no reverb)": lambda: synthesize(score, rate=rate, stereo=True, reverb=0.0),
        "pretty_midi.synthesize (mono sines)": lambda: midi.synthesize(fs=rate),
    }
    missing = fluidsynth_missing()
    if missing is None:
        methods["fluidsynth TimGM6mb (stereo, reverb)"] = lambda: synthesize(score, rate=rate, backend="fluidsynth")
    else:
        print(f"fluidsynth: skipped ({missing})")

    audio_seconds = score.duration
    results = {}
    print(f"{'method':40s} {'cpu s':>7s} {'x realtime':>10s} {'wall s':>7s} {'x realtime':>10s} {'peak MiB':>9s}")
    for name, render in methods.items():
        render()  # warm caches and imports
        cpu, wall = best_time(render, args.repeats)
        results[name] = cpu
        print(f"{name:40s} {cpu:7.3f} {audio_seconds / cpu:10.1f} {wall:7.3f} {audio_seconds / wall:10.1f} "
              f"{peak_memory(render):9.1f}")
    ours = results["muse builtin (stereo, reverb 0.2)"]
    for name, cpu in results.items():
        if not name.startswith("muse"):
            print(f"muse builtin is {cpu / ours:.2f}x as fast as {name} (CPU time)")


if __name__ == "__main__":
    main()
