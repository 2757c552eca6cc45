"""Where the singing voice's pitch misses lie: benchmarks/voice.py's pitch ruler, broken down
against the F0 the singer handed WORLD (its planned voicing), for the same two songs.

The ruler reads the audio only; this script also records the singer's plan (by wrapping the
vocoder's ``synthesize`` call) to ask of each frame the ruler counts more than 50 cents off:
was it planned unvoiced (consonant noise the ruler took for pitch), is it next to a planned
voicing on/offset (harvest's window straddles noise and pulses), or early in a note (the
portamento and harvest's smoothing of the note change), or inside a held vowel?

    MUSE_THREADS=1 nice python benchmarks/voice_pitch_misses.py
"""

from __future__ import annotations

from typing import Any

import numpy as np

from engine import Engine
from voice import ENGLISH, JUEJU, PERIODIC, make_song, periodicity

#: Frames within this many 5 ms frames of a planned voicing edge count as "at an edge".
EDGE_FRAMES = 3


class RecordingWorld:
    """pyworld, except that ``synthesize`` keeps the F0 it was given."""

    def __init__(self, world: Any) -> None:
        self.world, self.f0 = world, np.zeros(0)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.world, name)

    def synthesize(self, f0: np.ndarray, *args: Any) -> np.ndarray:
        self.f0 = f0.copy()
        samples: np.ndarray = self.world.synthesize(f0, *args)
        return samples


def breakdown(eng: Engine, lines: list[str], language: str) -> dict[str, float]:
    import plugins.singing.vocoder as vocoder
    from plugins.singing import sing
    from plugins.singing.singer import resample

    world = vocoder.load_world()
    recorder = RecordingWorld(world)
    original = vocoder.load_world
    vocoder.load_world = lambda: recorder
    try:
        vocal = sing(make_song(eng, lines, language, 7), rate=44100)
    finally:
        vocoder.load_world = original
    assert vocal is not None
    planned = recorder.f0 > 0
    low_rate = 16000
    signal = resample(vocal.samples, vocal.rate, low_rate).astype(np.float64)
    hz = [440.0 * 2 ** ((note.pitch - 69) / 12) for note in vocal.notes]
    f0, times = world.harvest(signal, low_rate, f0_floor=0.7 * min(hz), f0_ceil=1.5 * max(hz), frame_period=5.0)
    target, age = np.zeros_like(f0), np.full_like(f0, np.inf)
    for note, note_hz in zip(vocal.notes, hz):
        inside = (times >= note.start) & (times < note.end)
        target[inside], age[inside] = note_hz, times[inside] - note.start
    counted = np.flatnonzero((f0 > 0) & (target > 0))
    counted = counted[periodicity(signal, low_rate, times[counted], f0[counted]) >= PERIODIC]
    missed = np.abs(1200.0 * np.log2(f0[counted] / target[counted])) > 50.0
    frame = np.minimum(counted, len(planned) - 1)
    edges = np.flatnonzero(np.diff(planned.astype(np.int8))) + 1
    to_edge = np.abs(frame[:, None] - edges[None, :]).min(axis=1) if len(edges) else np.full(len(frame), 10**6)
    unvoiced = ~planned[frame]
    at_edge = ~unvoiced & (to_edge <= EDGE_FRAMES)
    early = ~unvoiced & ~at_edge & (age[counted] < 0.03)
    rest = ~unvoiced & ~at_edge & ~early
    share = 100.0 * float(np.mean(~missed))
    return {"within 50 cents %": share, "missed frames": int(missed.sum()), "of frames": len(missed),
            "missed, planned unvoiced": int((missed & unvoiced).sum()),
            "missed, within 15 ms of a voicing edge": int((missed & at_edge).sum()),
            "missed, a note's first 30 ms": int((missed & early).sum()), "missed, elsewhere": int((missed & rest).sum()),
            "within 50 cents % away from edges and unvoiced frames": 100.0 * float(np.mean(~missed[rest | early])),
            "octave errors (> 600 cents)": int((np.abs(1200.0 * np.log2(f0[counted] / target[counted])) > 600).sum())}


def main() -> None:
    eng = Engine()
    for name, lines, language in (("english", ENGLISH, "en"), ("jueju", JUEJU, "zh")):
        result = breakdown(eng, lines, language)
        print(f"{name}: " + ", ".join(f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}" for k, v in result.items()))


if __name__ == "__main__":
    main()
