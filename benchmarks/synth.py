"""The built-in voices beside FluidSynth with the FluidR3 GM SoundFont: timbre per family, and speed.

Timbre: one note per General MIDI family (held 3 s, velocity 100, dry, 44.1 kHz) is rendered by
our voice and by FluidSynth with FluidR3_GM.sf2 (chorus and reverb off), and both are measured
the same way (plugins/synth/timbre.py): spectral centroid over the first second, attack (10% to
90% of the peak envelope), decay (peak to -20 dB; "-" when the note is still within 20 dB at
note-off), partial 8's offset in cents from 8x the fundamental (a piano's stretch), and the two
strongest overtones as multiples of the fundamental (a bar's tuning).

Speed: deterministic 3-minute, 4-track scores (a pop arrangement: piano melody, string chords,
bass, drums; and a folk one: violin melody, vibraphone chords, cello, drums) are rendered at
44.1 kHz by each method in this process, best of ``--repeats``. The realtime factor is seconds
of audio per second of compute (higher is faster); peak memory is the largest amount numpy and
Python held at once during one render (tracemalloc, measured in a separate run so it does not
slow the timed ones).

    MUSE_THREADS=1 nice python benchmarks/synth.py [--seconds 180] [--repeats 3] [--only timbre|speed]

FluidSynth columns need the FluidSynth library, pyfluidsynth and FluidR3 (Debian:
``apt-get install fluidsynth fluid-soundfont-gm``; ``pip install pyfluidsynth``); without them
they are skipped with a line saying so.
"""

from __future__ import annotations

import argparse
import random
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np

from engine import Note, Score, Track

FLUID_R3 = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
RATE = 44100
HELD = 3.0

#: (family, GM program, MIDI pitch) measured side by side with FluidR3.
FAMILIES = (
    ("piano C2", 0, 36), ("piano C3", 0, 48), ("piano C4", 0, 60), ("piano C5", 0, 72), ("piano C6", 0, 84), ("electric piano", 4, 60),
    ("celesta", 8, 72), ("glockenspiel", 9, 84), ("music box", 10, 72), ("vibraphone", 11, 65),
    ("marimba", 12, 60), ("xylophone", 13, 72), ("tubular bells", 14, 72),
    ("drawbar organ", 16, 60), ("church organ", 19, 60), ("accordion", 21, 60),
    ("nylon guitar", 24, 52), ("steel guitar", 25, 52), ("finger bass", 33, 36), ("synth bass", 38, 36),
    ("violin", 40, 67), ("viola", 41, 60), ("cello", 42, 48), ("contrabass", 43, 36),
    ("string ensemble", 48, 60), ("timpani", 47, 48), ("choir aahs", 52, 60), ("voice oohs", 53, 60),
    ("trumpet", 56, 67), ("trombone", 57, 55), ("alto sax", 65, 62), ("oboe", 68, 69), ("clarinet", 71, 60),
    ("flute", 73, 72), ("square lead", 80, 72), ("warm pad", 89, 60), ("steel drums", 114, 72),
)

SCALE = (0, 2, 4, 5, 7, 9, 11)
CHORDS = ((0, 4, 7), (9, 12, 16), (5, 9, 12), (7, 11, 14))  # I vi IV V in C


ARRANGEMENTS = {"pop (piano, strings, finger bass, drums)": (0, 48, 33, 0),
                "folk (violin, vibraphone, cello, drums)": (40, 11, 42, 12)}


def benchmark_score(seconds: float = 180.0, tempo: float = 120.0, seed: int = 0, programs=(0, 48, 33, 0)) -> Score:
    """A song: melody in eighths and quarters, whole-bar chords, quarter bass, rock beat.

    ``programs`` are the melody's, the chords' and the bass's GM programs and the bass's
    transposition in semitones.
    """
    rng = random.Random(seed)
    beat = 60.0 / tempo
    bars = int(seconds / (4 * beat))
    melody, chords = Track(program=programs[0]), Track(program=programs[1])
    bass, drums = Track(program=programs[2]), Track(is_drum=True)
    degree = 7
    for bar in range(bars):
        root = CHORDS[bar % 4]
        start = bar * 4 * beat
        for pitch in root:
            chords.notes.append(Note(60 + pitch - 12, start, start + 4 * beat - 0.02, rng.randint(55, 75)))
        for step in range(4):
            t = start + step * beat
            bass.notes.append(Note(36 + programs[3] + root[0] % 12, t, t + beat * 0.9, rng.randint(85, 110)))
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


def fluid_note(program: int, pitch: int) -> np.ndarray:
    from plugins.synth.fluid import render_fluidsynth

    score = Score(tracks=[Track([Note(pitch, 0.0, HELD, 100)], program=program)])
    return render_fluidsynth(score, RATE, FLUID_R3, 0.0, [0.0], [1.0], chorus=False).mean(axis=1)


def our_note(program: int, pitch: int) -> np.ndarray:
    from plugins.synth import synthesize

    score = Score(tracks=[Track([Note(pitch, 0.0, HELD, 100)], program=program)])
    return synthesize(score, rate=RATE, stereo=False, reverb=0.0).samples[:, 0]


def measure(note: np.ndarray, pitch: int) -> dict[str, str]:
    """The note's timbre figures, formatted for the table."""
    from plugins.synth import timbre

    f0 = 440.0 * 2 ** ((pitch - 69) / 12)
    held = note[: int(HELD * RATE)]
    decay = timbre.decay_seconds(held, RATE)
    cents = timbre.partial_cents(note[int(0.05 * RATE) : int(0.55 * RATE)], RATE, f0)
    overtones = timbre.overtone_ratios(note[int(0.02 * RATE) : int(0.32 * RATE)], RATE, f0)
    return {"centroid": f"{timbre.centroid_hz(note[:RATE], RATE):.0f}",
            "attack": f"{timbre.attack_seconds(held, RATE):.3f}",
            "decay": "-" if decay is None else f"{decay:.2f}",
            "p8": "-" if cents is None else f"{cents:+.1f}",
            "overtones": " ".join(f"{r:.2f}" for r in overtones) or "-"}


def timbre_table(fluid: bool) -> None:
    from plugins.synth.gm import voice_for_program

    print("\ntimbre per GM family: " + (f"ours / FluidSynth with {FLUID_R3.name}" if fluid else "ours (FluidR3 not measured)"))
    columns = ("centroid", "attack", "decay", "p8", "overtones")
    header = {"centroid": "centroid Hz", "attack": "attack s", "decay": "-20 dB s", "p8": "p8 cents",
              "overtones": "overtones x f0"}
    print(f"{'family':16s} {'prog':>4s} {'key':>3s} {'voice':14s} " + " ".join(f"{header[c]:>23s}" for c in columns))
    for family, program, pitch in FAMILIES:
        ours = measure(our_note(program, pitch), pitch)
        theirs = measure(fluid_note(program, pitch), pitch) if fluid else None
        cells = [f"{ours[c]} / {theirs[c]}" if theirs else ours[c] for c in columns]
        print(f"{family:16s} {program:4d} {pitch:3d} {voice_for_program(program):14s} "
              + " ".join(f"{cell:>23s}" for cell in cells))


def speed_rows(score: Score, repeats: int, fluid: bool) -> None:
    """Time every method on ``score`` and print its row, then our speed against each of the others."""
    from plugins.synth import synthesize

    midi = score.to_midi()
    methods: dict[str, Callable[[], object]] = {
        "muse builtin (stereo, reverb 0.2)": lambda: synthesize(score, rate=RATE, stereo=True, reverb=0.2),
        "muse builtin (stereo, no reverb)": lambda: synthesize(score, rate=RATE, stereo=True, reverb=0.0),
        "pretty_midi.synthesize (mono sines)": lambda: midi.synthesize(fs=RATE),
    }
    if fluid:
        methods["fluidsynth FluidR3 (stereo, reverb)"] = lambda: synthesize(
            score, rate=RATE, backend="fluidsynth", soundfont=FLUID_R3)
        methods["fluidsynth TimGM6mb (stereo, reverb)"] = lambda: synthesize(score, rate=RATE, backend="fluidsynth")
    results = {}
    print(f"{'method':40s} {'cpu s':>7s} {'x realtime':>10s} {'wall s':>7s} {'x realtime':>10s} {'peak MiB':>9s}")
    for name, render in methods.items():
        render()  # warm caches and imports
        cpu, wall = best_time(render, repeats)
        results[name] = cpu
        print(f"{name:40s} {cpu:7.3f} {score.duration / cpu:10.1f} {wall:7.3f} {score.duration / wall:10.1f} "
              f"{peak_memory(render):9.1f}")
    ours = results["muse builtin (stereo, reverb 0.2)"]
    for name, cpu in results.items():
        if not name.startswith("muse"):
            print(f"muse builtin is {cpu / ours:.2f}x as fast as {name} (CPU time)")


def speed_table(seconds: float, repeats: int, fluid: bool) -> None:
    for arrangement, programs in ARRANGEMENTS.items():
        score = benchmark_score(seconds, programs=programs)
        notes = sum(len(t.notes) for t in score.tracks)
        print(f"\n{arrangement}: {score.duration:.1f} s, {len(score.tracks)} tracks, {notes} notes; 44.1 kHz")
        speed_rows(score, repeats, fluid)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=180.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", choices=("timbre", "speed"), default=None)
    args = parser.parse_args()

    from plugins.synth.fluid import fluidsynth_missing

    missing = fluidsynth_missing()
    if missing is None and not FLUID_R3.is_file():
        missing = f"{FLUID_R3} not found (Debian: apt-get install fluid-soundfont-gm)"
    if missing is not None:
        print(f"fluidsynth: skipped, its columns are left out ({missing})")
    if args.only != "speed":
        timbre_table(missing is None)
    if args.only != "timbre":
        speed_table(args.seconds, args.repeats, missing is None)


if __name__ == "__main__":
    main()
