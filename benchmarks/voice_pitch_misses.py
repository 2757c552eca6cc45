"""Where the singing voice's pitch misses lie, and what the pitch ruler misses on its own.

benchmarks/voice.py's pitch ruler reads the audio only; this script also records the singer's
plan (the F0 it handed WORLD, by wrapping the vocoder's ``synthesize`` call) for the same two
songs, and asks two things:

- The ruler's own error, on two signals whose F0 is known exactly: the plan resynthesised with
  one constant vowel envelope and no breath noise (WORLD places a pulse train at the planned
  F0), and the plan through the render's own envelopes (voiced consonants included), no breath
  noise. A perfect ruler reads 100 % of the planned-voiced frames within 50 cents of the plan and
  counts no planned-unvoiced frame. Three rulers are read: the earlier one (harvest alone, a
  30 ms periodicity gate), the previous one (harvest + StoneMask, a 2.5-period gate) and the
  current one (the same on the vocal's LPC residual).
- Of the frames the current ruler counts more than 50 cents off the note in the real render:
  were they planned unvoiced (consonant noise taken for pitch), next to a planned voicing
  on/offset (the tracker's window straddles noise and pulses), in a note's first 30 ms, or
  elsewhere; in a sung vowel or in a consonant? And how far is the plan itself from the notes
  (portamento, vibrato)?

    MUSE_THREADS=1 nice python benchmarks/voice_pitch_misses.py [--singer lower]
"""

from __future__ import annotations

from typing import Any
from unittest import mock

import numpy as np

from engine import Engine
from voice import ENGLISH, JUEJU, LOW_RATE, make_song, periodicity, track_f0

#: Frames within this many 5 ms frames of a planned voicing edge count as "at an edge".
EDGE_FRAMES = 3
RULERS: dict[str, dict[str, Any]] = {"earlier": dict(refine=False, periods=None, gate=0.5, whiten=False),
                                     "previous": dict(refine=True, periods=2.5, gate=0.7, whiten=False),
                                     "current": dict(refine=True, periods=2.5, gate=0.7, whiten=True)}


class RecordingWorld:
    """pyworld, except that ``synthesize`` keeps what it was given."""

    def __init__(self, world: Any) -> None:
        self.world = world
        self.inputs: tuple[Any, ...] = ()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.world, name)

    def synthesize(self, *args: Any) -> np.ndarray:
        self.inputs = tuple(np.copy(a) if isinstance(a, np.ndarray) else a for a in args)
        samples: np.ndarray = self.world.synthesize(*args)
        return samples


def read(samples: np.ndarray, rate: int, notes: list[Any], plan: np.ndarray, ruler: dict[str, Any]) -> dict[str, Any]:
    """The ruler's counted frames: their F0, target (the note), planned F0 and age in the note."""
    f0, times, signal = track_f0(samples, rate, notes, refine=ruler["refine"], whiten=ruler["whiten"])
    target, age = np.zeros_like(f0), np.full_like(f0, np.inf)
    for note in notes:
        inside = (times >= note.start) & (times < note.end)
        target[inside], age[inside] = 440.0 * 2 ** ((note.pitch - 69) / 12), times[inside] - note.start
    counted = np.flatnonzero((f0 > 0) & (target > 0))
    counted = counted[periodicity(signal, LOW_RATE, times[counted], f0[counted], ruler["periods"]) >= ruler["gate"]]
    frame = np.minimum(counted, len(plan) - 1)
    return {"f0": f0[counted], "target": target[counted], "planned": plan[frame], "frame": frame, "age": age[counted]}


def known_f0(found: dict[str, Any]) -> dict[str, float]:
    voiced = found["planned"] > 0
    off_plan = np.abs(1200.0 * np.log2(found["f0"][voiced] / found["planned"][voiced])) > 50.0
    off_note = np.abs(1200.0 * np.log2(found["f0"] / found["target"])) > 50.0
    return {"within 50 cents of the known F0 %": 100.0 * float(np.mean(~off_plan)),
            "planned-unvoiced frames counted": int((~voiced).sum()),
            "within 50 cents of the note %": 100.0 * float(np.mean(~off_note))}


def breakdown(eng: Engine, lines: list[str], language: str, singer: str = "auto") -> None:
    import plugins.singing.singer as singing
    import plugins.singing.vocoder as vocoder
    from plugins.singing import sing

    world = vocoder.load_world()
    recorder = RecordingWorld(world)
    vowels: list[tuple[float, float]] = []

    def recording_synthesize(placed: Any, *args: Any) -> np.ndarray:
        vowels.extend((s.start, s.end) for _, segments in placed for s in segments if s.vowel)
        samples: np.ndarray = vocoder.synthesize(placed, *args)
        return samples

    # the vocoder loads WORLD through load_world; the singer holds its own name for synthesize
    with mock.patch.object(vocoder, "load_world", lambda: recorder), \
            mock.patch.object(singing, "synthesize", recording_synthesize):
        vocal = sing(make_song(eng, lines, language, 7), singer, rate=44100)
    assert vocal is not None
    plan, envelope, aperiodicity, rate, frame_ms = recorder.inputs
    voiced = plan > 0
    steady = np.where((envelope.max(axis=1) > 1e-10)[:, None], np.median(envelope[voiced], axis=0)[None, :], envelope)
    pulses = world.synthesize(plan, steady, np.where(voiced[:, None], 0.0, aperiodicity), rate, frame_ms)
    notes = vocal.notes
    times = np.arange(len(plan)) * frame_ms / 1000.0
    inside_plan = np.zeros(len(plan))
    for note in notes:
        inside_plan[(times >= note.start) & (times < note.end)] = note.pitch
    planned_notes = voiced & (inside_plan > 0)
    plan_cents = 1200.0 * np.log2(plan[planned_notes] / (440.0 * 2 ** ((inside_plan[planned_notes] - 69) / 12)))
    print(f"{language}: the plan itself (planned-voiced frames in notes) within 50 cents of the note "
          f"{100.0 * float(np.mean(np.abs(plan_cents) <= 50.0)):.2f} %")
    # The planned F0 through the render's own envelopes (its consonants included), no breath noise:
    # the render's sound, with an F0 known exactly everywhere it is voiced.
    consonants = world.synthesize(plan, envelope, np.where(voiced[:, None], 0.0, aperiodicity), rate, frame_ms)
    for signal, what in ((pulses, "the known-F0 pulse train"), (consonants, "the planned F0 through the real envelopes")):
        for name, ruler in RULERS.items():
            result = known_f0(read(signal, rate, notes, plan, ruler))
            print(f"{language}: {name} ruler on {what}: "
                  + ", ".join(f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}" for k, v in result.items()))
    for name, ruler in RULERS.items():
        found = read(vocal.samples, vocal.rate, notes, plan, ruler)
        result = known_f0(found)
        missed = np.abs(1200.0 * np.log2(found["f0"] / found["target"])) > 50.0
        edges = np.flatnonzero(np.diff(voiced.astype(np.int8))) + 1
        to_edge = np.abs(found["frame"][:, None] - edges[None, :]).min(axis=1) if len(edges) else np.full(len(missed), 10**6)
        unvoiced = found["planned"] <= 0
        at_edge = ~unvoiced & (to_edge <= EDGE_FRAMES)
        early = ~unvoiced & ~at_edge & (found["age"] < 0.03)
        rest = ~unvoiced & ~at_edge & ~early
        frame_seconds = found["frame"] * frame_ms / 1000.0
        in_vowel = np.zeros(len(missed), dtype=bool)
        for start, end in vowels:
            in_vowel |= (frame_seconds >= start) & (frame_seconds < end)
        result |= {"missed frames": int(missed.sum()), "of frames": len(missed),
                   "missed in vowels": int((missed & in_vowel).sum()), "of vowel frames": int(in_vowel.sum()),
                   "missed in consonants": int((missed & ~in_vowel).sum()), "of consonant frames": int((~in_vowel).sum()),
                   "missed, planned unvoiced": int((missed & unvoiced).sum()),
                   "missed, within 15 ms of a voicing edge": int((missed & at_edge).sum()),
                   "missed, a note's first 30 ms": int((missed & early).sum()),
                   "missed, elsewhere": int((missed & rest).sum())}
        print(f"{language}: {name} ruler on the render: "
              + ", ".join(f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}" for k, v in result.items()))


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--singer", default="auto", help="auto (the higher voice for these songs), higher or lower")
    args = parser.parse_args()
    eng = Engine()
    for lines, language in ((ENGLISH, "en"), (JUEJU, "zh")):
        breakdown(eng, lines, language, args.singer)


if __name__ == "__main__":
    main()
