"""Choosing chords for a melody: a hidden Markov model decoded with Viterbi.

The hidden states are the key's diatonic chords, one per segment (a bar or half a bar). A chord
*emits* a segment well when the melody's notes there are its chord tones, the strong-beat and
long notes counting most; the *transitions* are a progression-likelihood matrix of common-practice
harmony (predominant to dominant to tonic, deceptive V-vi, plagal IV-I...). Viterbi finds the
chord sequence that best balances fitting the tune with moving like real harmony, instead of
picking each bar's best-fitting chord in isolation (which wanders).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from collections.abc import Sequence

from engine import Note
from engine.theory import Chord, Key, diatonic_chords, metric_weight


# Transition plausibility between scale degrees (rows: from I, ii, iii, IV, V, vi, vii; columns:
# to the same). Staying on a chord is likely because segments are often shorter than the
# harmonic rhythm a melody implies.
PROGRESSION = (
    (0.20, 0.10, 0.05, 0.22, 0.22, 0.16, 0.05),
    (0.05, 0.15, 0.03, 0.07, 0.50, 0.05, 0.15),
    (0.05, 0.05, 0.15, 0.25, 0.10, 0.35, 0.05),
    (0.25, 0.10, 0.03, 0.17, 0.35, 0.05, 0.05),
    (0.50, 0.03, 0.04, 0.08, 0.20, 0.13, 0.02),
    (0.07, 0.20, 0.07, 0.30, 0.18, 0.15, 0.03),
    (0.60, 0.02, 0.10, 0.03, 0.10, 0.12, 0.03),
)
START = (0.60, 0.05, 0.03, 0.10, 0.10, 0.10, 0.02)
#: How much melody fit counts against progression likelihood (log-probability units per segment).
FIT_WEIGHT = 4.0
#: Seventh chords are a colour, not the default: a small cost keeps plain triads where they fit as well.
SEVENTH_COST = 0.35
#: The last segment of a phrase-final bar prefers the tonic (a cadence).
CADENCE_BONUS = 1.5


@dataclass(frozen=True)
class ChordSpan:
    """A chord sounding from ``start`` to ``end`` seconds."""

    start: float
    end: float
    chord: Chord


def segment_bounds(bars: int, seconds_per_bar: float, per_bar: int) -> list[tuple[float, float]]:
    """Equal segments, ``per_bar`` of them in each bar."""
    step = seconds_per_bar / per_bar
    return [(i * step, (i + 1) * step) for i in range(bars * per_bar)]


def melody_fit(chord: Chord, key: Key, notes: Sequence[Note], start: float, end: float,
               seconds_per_beat: float, meter: tuple[int, int]) -> float:
    """How well ``chord`` harmonises the notes sounding in ``start..end``, in -1..1.

    Each note counts by the time it sounds in the segment, doubled-ish when it starts on a strong
    beat: chord tones score 1, other scale tones (passing notes) a little below zero, chromatic
    notes -1.
    """
    total = weight_sum = 0.0
    for note in notes:
        overlap = min(note.end, end) - max(note.start, start)
        if overlap <= 0:
            continue
        weight = overlap / (end - start)
        if start - 1e-6 <= note.start < end:
            weight *= 0.5 + metric_weight(note.start / seconds_per_beat, meter)
        pitch_class = note.pitch % 12
        if pitch_class in chord.pitch_classes:
            score = 1.0
        elif pitch_class in key.scale:
            score = -0.25
        else:
            score = -1.0
        total += weight * score
        weight_sum += weight
    return total / weight_sum if weight_sum else 0.0


def choose_chords(notes: Sequence[Note], key: Key, bounds: Sequence[tuple[float, float]], seconds_per_beat: float,
                  meter: tuple[int, int], sevenths: bool = False) -> list[ChordSpan]:
    """The most likely chord for each segment in ``bounds`` (Viterbi over diatonic chords)."""
    import numpy as np

    chords = diatonic_chords(key, sevenths)
    count, segments = len(chords), len(bounds)
    transition = np.log(np.array([[PROGRESSION[a.degree][b.degree] for b in chords] for a in chords]))
    prior = np.array([SEVENTH_COST if len(c.pitch_classes) == 4 else 0.0 for c in chords])
    emission = np.array([
        [FIT_WEIGHT * melody_fit(c, key, notes, s, e, seconds_per_beat, meter) for c in chords] for s, e in bounds
    ]) - prior
    tonic = np.array([CADENCE_BONUS if c.degree == 0 else 0.0 for c in chords])
    emission[-1] += tonic
    score = np.log(np.array([START[c.degree] for c in chords])) + emission[0]
    back = np.zeros((segments, count), dtype=int)
    for index in range(1, segments):
        candidates = score[:, None] + transition
        back[index] = candidates.argmax(axis=0)
        score = candidates.max(axis=0) + emission[index]
    path = [int(score.argmax())]
    for index in range(segments - 1, 0, -1):
        path.append(int(back[index, path[-1]]))
    path.reverse()
    return [ChordSpan(s, e, chords[i]) for (s, e), i in zip(bounds, path)]


def chord_tone_rate(spans: Sequence[ChordSpan], notes: Sequence[Note], seconds_per_beat: float,
                    meter: tuple[int, int], strong: float = 0.75) -> float:
    """Share of melody notes on strong beats (weight >= ``strong``) that are tones of the chord
    sounding then: the check that the harmony fits the tune."""
    hits = total = 0
    for note in notes:
        if metric_weight(note.start / seconds_per_beat, meter) < strong:
            continue
        span = next((s for s in spans if s.start - 1e-6 <= note.start < s.end), None)
        if span is None:
            continue
        total += 1
        hits += note.pitch % 12 in span.chord.pitch_classes
    return hits / total if total else math.nan
