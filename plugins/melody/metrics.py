"""MusPy-style objective metrics of monophonic tunes, computed here (no MusPy dependency).

Definitions follow MusPy (Dong et al. 2020) on our unit grid (12 per quarter note):
pitch range (semitones), number of pitch classes used, pitch-class entropy (bits, by note
count), scale consistency (the largest share of notes inside one major scale, which covers the
natural minors too), empty-beat rate (quarter-note beats during which nothing sounds), groove
consistency (1 - mean Hamming distance between the onset patterns of consecutive bars) and
bar repetition (share of bars after the first that exactly repeat an earlier bar's notes).
Bars are counted from the first downbeat, so a pickup is left out of the bar-based ones.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from engine.theory import MAJOR, SCALES

from .events import UNITS_PER_QUARTER, Meter

METRICS = ("pitch_range", "pitch_classes", "pitch_class_entropy", "scale_consistency", "empty_beat_rate",
           "groove_consistency", "bar_repetition")


@dataclass
class Melody:
    """Sounding notes (onset, pitch, duration) in units, the first downbeat at 0, and the end."""

    notes: list[tuple[int, int, int]]
    meter: Meter
    end: int
    pickup: int = 0  # units before the first downbeat

    @classmethod
    def from_events(cls, onsets: list[int], pitches: list[int | None], durations: list[int], meter: Meter,
                    pickup: int = 0) -> Melody:
        notes = [(o, p, d) for o, p, d in zip(onsets, pitches, durations) if p is not None]
        return cls(notes, meter, onsets[-1] + durations[-1] if onsets else 0, pickup)

    @property
    def bars(self) -> int:
        """Bars from the first downbeat (a last partial bar counts)."""
        return max(1, -(-self.end // self.meter.bar_units))


def melody_metrics(melody: Melody) -> dict[str, float]:
    pitches = [p for _, p, _ in melody.notes]
    if not pitches:
        return {name: 0.0 for name in METRICS}
    classes = Counter(p % 12 for p in pitches)
    entropy = -sum(c / len(pitches) * math.log2(c / len(pitches)) for c in classes.values())
    consistency = max(sum(classes[(tonic + step) % 12] for step in SCALES[MAJOR]) for tonic in range(12)) / len(pitches)
    return {
        "pitch_range": float(max(pitches) - min(pitches)),
        "pitch_classes": float(len(classes)),
        "pitch_class_entropy": entropy,
        "scale_consistency": consistency,
        "empty_beat_rate": _empty_beat_rate(melody),
        "groove_consistency": _groove_consistency(melody),
        "bar_repetition": _bar_repetition(melody),
    }


def _empty_beat_rate(melody: Melody) -> float:
    start = min(o for o, _, _ in melody.notes)
    first, last = start // UNITS_PER_QUARTER, (melody.end - 1) // UNITS_PER_QUARTER
    beats = {b: True for b in range(first, last + 1)}
    for onset, _, duration in melody.notes:
        for beat in range(onset // UNITS_PER_QUARTER, (onset + duration - 1) // UNITS_PER_QUARTER + 1):
            beats[beat] = False
    return sum(beats.values()) / len(beats)


def _bars(melody: Melody) -> list[list[tuple[int, int, int]]]:
    """Notes of each full bar from the first downbeat: (onset in bar, pitch, duration clipped to the bar)."""
    bar = melody.meter.bar_units
    count = max(1, -(-melody.end // bar))
    bars: list[list[tuple[int, int, int]]] = [[] for _ in range(count)]
    for onset, pitch, duration in melody.notes:
        if onset >= 0:
            index, in_bar = divmod(onset, bar)
            bars[index].append((in_bar, pitch, min(duration, bar - in_bar)))
    return bars


def _groove_consistency(melody: Melody) -> float:
    bars = _bars(melody)
    if len(bars) < 2:
        return 1.0
    size = melody.meter.bar_units
    patterns = [{o for o, _, _ in notes} for notes in bars]
    distances = [len(a ^ b) / size for a, b in zip(patterns, patterns[1:])]
    return 1.0 - sum(distances) / len(distances)


def _bar_repetition(melody: Melody) -> float:
    bars = [tuple(notes) for notes in _bars(melody)]
    if len(bars) < 2:
        return 0.0
    seen, repeats = {bars[0]}, 0
    for notes in bars[1:]:
        repeats += notes in seen
        seen.add(notes)
    return repeats / (len(bars) - 1)


def corpus_metrics(melodies: list[Melody]) -> dict[str, float]:
    """Each metric averaged over tunes."""
    rows = [melody_metrics(m) for m in melodies]
    return {name: sum(r[name] for r in rows) / len(rows) for name in METRICS}
