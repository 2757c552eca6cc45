"""Where the bar lines of a melody fall: the one downbeat finder that every composer uses.

A MIDI file may say where its bars are (a time signature, and a pickup written as a short first
bar, read into :attr:`engine.Score.pickup`), but many do not: a tune exported without a meter,
or played in, starts wherever its first note happens to be. Counting bars from t=0 then puts the
kick on the pickup and every chord change a beat early. This module estimates the bar phase from
the melody itself, the way a listener hears it:

- **metric weight**: notes are folded onto one bar at the bar period (the tune's repetition
  period), and the phase that puts the salient notes on the strong positions of
  :func:`engine.theory.metric_weight` wins;
- **long notes**: a note's salience grows with the time until the next onset;
- **accent**: a note played louder than the tune's median velocity counts more;
- **harmony**: chords change on bar lines, so the right cut leaves each bar's notes fitting one
  of the key's chords best;
- **the pickup**: most tunes start on the downbeat or just before it, so of two phases that fit
  the accents alike (bar or half bar?) the one with the shorter pickup wins.

Pure Python (no numpy), like :mod:`engine.theory`, so any loader or composer can afford it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING
from collections.abc import Sequence

from .theory import diatonic_chords, find_key, metric_weight, pitch_class_durations

if TYPE_CHECKING:
    from .works import Note, Score

#: How much longer notes count: salience 1 + LONG_NOTE_WEIGHT * log2(1 + beats to the next onset).
LONG_NOTE_WEIGHT = 1.0
#: Salience added per 16 velocity steps above the median (an accent as a player makes one).
ACCENT_WEIGHT = 0.5
#: Weight of harmonic fit per bar (0..1, see _bar_harmony) beside the metric score.
HARMONY_WEIGHT = 0.5
#: What a chord change in mid-bar costs against a bar that holds one chord (share of the bar).
HALF_BAR_CHANGE = 0.1
#: Extra salience of the final cadence note (the longest in the last bar's worth of music).
ENDING_WEIGHT = 4.0
#: Cost of a pickup, per bar of it: most tunes start on the downbeat or a beat or so before it,
#: few a half bar early, so of two phases that fit the accents equally the shorter pickup wins.
PICKUP_COST = 0.03
#: A phase the score states (pickup = 0 with a meter) keeps its place unless another phase
#: explains the tune better by this share of the total salience.
STATED_MARGIN = 0.02
#: The margin against a phase half a bar away, which accents alone tell apart least well (beats
#: 1 and 3 of a reel both carry weight): a stated bar line is not moved by half a bar lightly.
HALF_BAR_MARGIN = 0.03


@dataclass(frozen=True)
class Downbeat:
    """The bar grid of a melody: downbeats at ``phase + k * seconds_per_bar``.

    ``first`` is the first downbeat at or after the tune's first note (where an accompaniment
    comes in), ``pickup`` the beats heard before it, ``source`` "score" when the file said where
    the bars are, "estimated" when the melody did.
    """

    phase: float
    first: float
    pickup: float
    source: str


def phase_candidates(seconds_per_beat: float, meter: tuple[int, int]) -> list[float]:
    """Phases worth trying, in seconds within one bar: every half beat in simple meters, every
    beat (an eighth) in x/8."""
    step = 1.0 if meter[1] >= 8 else 0.5
    return [i * step * seconds_per_beat for i in range(int(round(meter[0] / step)))]


def phase_scores(notes: Sequence[Note], seconds_per_beat: float, meter: tuple[int, int]) -> list[tuple[float, float]]:
    """``(phase, score)`` for each candidate phase: the salience-weighted metric weight of the
    melody's onsets as a share of the total salience (0..1), plus HARMONY_WEIGHT times how well
    its bars fit one chord each, less the cost of the pickup it implies."""
    onsets = sorted(notes, key=lambda n: n.start)
    if not onsets:
        return [(0.0, 0.0)]
    velocities = sorted(n.velocity for n in onsets)
    median = velocities[len(velocities) // 2]
    saliences = []
    for index, note in enumerate(onsets):
        following = onsets[index + 1].start if index + 1 < len(onsets) else note.end
        beats = max(note.end, following) - note.start
        salience = 1.0 + LONG_NOTE_WEIGHT * math.log2(1.0 + max(0.0, beats) / seconds_per_beat)
        salience += ACCENT_WEIGHT * max(0.0, note.velocity - median) / 16.0
        saliences.append(salience)
    # The final cadence: the longest note of the last bar's worth of music lands on a downbeat
    # (the last onset itself often does not: a last bar shortened to balance the pickup).
    bar = seconds_per_beat * meter[0]
    tail = [i for i, n in enumerate(onsets) if n.start >= onsets[-1].end - bar - 1e-6] or [len(onsets) - 1]
    final = max(tail, key=lambda i: (onsets[i].end - onsets[i].start, -i))
    saliences[final] += ENDING_WEIGHT
    total = sum(saliences)
    chords = [set(c.pitch_classes) for c in diatonic_chords(find_key(pitch_class_durations(onsets)), False)]
    results = []
    for phase in phase_candidates(seconds_per_beat, meter):
        pickup = (phase - onsets[0].start) % bar
        if pickup > bar - 0.05 * seconds_per_beat:
            pickup = 0.0
        score = sum(s * metric_weight((n.start - phase) / seconds_per_beat, meter)
                    for s, n in zip(saliences, onsets)) / total
        score += HARMONY_WEIGHT * _bar_harmony(onsets, phase, bar, chords, meter[0] % 2 == 0)
        results.append((phase, score - PICKUP_COST * pickup / bar))
    return results


def _chord_fit(onsets: Sequence[Note], start: float, end: float, chords: list[set[int]]) -> float | None:
    """The best chord's share of the sounding time in ``start..end`` (None when silent)."""
    durations = [0.0] * 12
    for note in onsets:
        overlap = min(note.end, end) - max(note.start, start)
        if overlap > 0:
            durations[note.pitch % 12] += overlap
    total = sum(durations)
    return max(sum(durations[pc] for pc in chord) for chord in chords) / total if total > 0 else None


def _bar_harmony(onsets: Sequence[Note], phase: float, bar: float, chords: list[set[int]], halves: bool) -> float:
    """How well the bars cut at ``phase`` fit one chord each (or, in even meters, one chord per
    half bar at a cost of HALF_BAR_CHANGE): the mean over bars of the best chord's share of the
    bar's sounding time. Harmony changes on bar lines, so the right cut fits best."""
    first = phase + math.floor((onsets[0].start - phase) / bar) * bar
    fits = []
    while first < onsets[-1].end - 1e-9:
        whole = _chord_fit(onsets, first, first + bar, chords)
        if whole is not None:
            if halves:
                parts = [_chord_fit(onsets, first, first + bar / 2, chords),
                         _chord_fit(onsets, first + bar / 2, first + bar, chords)]
                split = [p for p in parts if p is not None]
                whole = max(whole, sum(split) / len(split) - HALF_BAR_CHANGE)
            fits.append(whole)
        first += bar
    return sum(fits) / len(fits) if fits else 0.0


def find_downbeat(notes: Sequence[Note], seconds_per_beat: float, meter: tuple[int, int],
                  stated_phase: float | None = None, trust_stated: bool = False) -> Downbeat:
    """The bar grid of ``notes`` (see the module docstring).

    ``stated_phase`` is where the score puts its first downbeat; with ``trust_stated`` (the file
    wrote a pickup, so it knows) it is used as is; otherwise it is the estimate's prior, kept
    unless another phase explains the melody clearly better (by STATED_MARGIN).
    """
    bar = seconds_per_beat * meter[0]
    start = min((n.start for n in notes), default=0.0)
    if stated_phase is not None and trust_stated:
        return _grid(stated_phase % bar, start, bar, seconds_per_beat, "score")
    scores = phase_scores(notes, seconds_per_beat, meter)
    best_phase, best = max(scores, key=lambda item: (item[1], -item[0]))
    if stated_phase is not None:
        stated = stated_phase % bar
        own = max((s for p, s in scores if abs(p - stated) < 1e-6 or abs(p - stated - bar) < 1e-6),
                  default=None)
        half_bar = abs(abs(best_phase - stated) - bar / 2) < 1e-6
        margin = HALF_BAR_MARGIN if half_bar else STATED_MARGIN
        if own is not None and own >= best - margin:
            return _grid(stated, start, bar, seconds_per_beat, "score")
    return _grid(best_phase, start, bar, seconds_per_beat, "estimated")


def score_downbeat(score: Score, notes: Sequence[Note]) -> Downbeat:
    """The bar grid of a score's melody ``notes``: the score's own pickup when it states one,
    else estimated with the score's bar lines (from t=0) as the prior."""
    return find_downbeat(notes, score.seconds_per_beat, score.time_signature, score.first_downbeat,
                         trust_stated=score.pickup > 0)


def _grid(phase: float, start: float, bar: float, seconds_per_beat: float, source: str) -> Downbeat:
    tolerance = 0.05 * seconds_per_beat  # a note a hair before the bar line still starts the bar
    first = phase + math.ceil((start - tolerance - phase) / bar) * bar
    return Downbeat(phase, first, max(0.0, (first - start) / seconds_per_beat), source)
