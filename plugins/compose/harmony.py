"""Choosing chords for a melody: a hidden Markov model over the key's chords, decoded with Viterbi.

The hidden states are the key's chords (its diatonic triads, the dominant of the dominant in
major, the major V in minor; seventh chords on request), one per segment: half a bar, or a bar.
A chord *emits* the melody notes sounding under it with a probability for each pitch class
(chord tones likely, other scale tones less, chromatic notes rarely), each note counting by its
length in beats and more when it starts on a strong beat. The *transitions* are where harmonic
rhythm lives: inside a bar a chord usually holds, at a bar line it changes about half the time,
and when it changes it moves as common-practice harmony does (predominant to dominant to tonic,
deceptive V-vi, plagal IV-I), weighted by how common each chord is in tonal folk music. Phrase
ends (every fourth bar) lean to a cadence and the last bar to the tonic. Viterbi finds the chord
sequence that best explains the tune as a whole; scoring each bar alone wanders from chord to
chord on passing notes, which accompanists hold the tonic through.

The probabilities are set from harmony textbooks, not fitted to any corpus; the harmony
benchmark (benchmarks/compose.py) measures them against human chord symbols.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from collections.abc import Sequence

from engine import Note
from engine.theory import Chord, Key, diatonic_chords

from .scoretools import Grid

# Transition plausibility between scale degrees when the chord changes (rows: from I, ii, iii, IV,
# V, vi, vii; columns: to the same; the diagonal is unused, holding is STAY_* below).
PROGRESSION = (
    (0.00, 0.10, 0.05, 0.30, 0.35, 0.15, 0.05),
    (0.10, 0.00, 0.03, 0.07, 0.60, 0.05, 0.15),
    (0.05, 0.05, 0.00, 0.30, 0.10, 0.45, 0.05),
    (0.40, 0.10, 0.03, 0.00, 0.40, 0.04, 0.03),
    (0.70, 0.03, 0.04, 0.08, 0.00, 0.13, 0.02),
    (0.10, 0.25, 0.07, 0.30, 0.25, 0.00, 0.03),
    (0.70, 0.02, 0.10, 0.03, 0.03, 0.12, 0.00),
)
#: How common each chord is, by scale degree (I, ii, iii, IV, V, vi, vii): folk and common-practice
#: harmony leans on the three primary triads.
MAJOR_PRIOR = (0.40, 0.05, 0.02, 0.17, 0.25, 0.06, 0.01)
#: Natural minor's degrees (i, ii°, III, iv, v, VI, VII); the major V of harmonic minor is MINOR_DOMINANT.
MINOR_PRIOR = (0.38, 0.01, 0.12, 0.10, 0.03, 0.06, 0.12)
MINOR_DOMINANT = 0.14
#: The dominant of the dominant (D major in C), the commonest chromatic chord in folk tunes.
SECONDARY_DOMINANT = 0.03
#: Probability that a chord holds into the next segment: inside a bar, and across a bar line.
STAY_IN_BAR = 0.85
STAY_AT_BAR_LINE = 0.45
#: Probability of a melody pitch class given the chord: chord tones share CHORD_TONES (root
#: a little more), other scale tones SCALE_TONES, chromatic ones the rest.
CHORD_TONES = 0.72
SCALE_TONES = 0.25
#: Melody evidence per beat of a note on a weak position (log-probability scale); a note that
#: starts on a strong position counts up to twice as much.
EMISSION_WEIGHT = 1.5
#: Log-probability bonus for the tonic at the end of a phrase (every PHRASE_BARS bars) and of the tune,
#: and for the dominant at a half-phrase's end (a half cadence).
CADENCE_BONUS = 1.5
HALF_CADENCE_BONUS = 0.5
PHRASE_BARS = 8
#: Seventh chords are a colour, not the default: a small cost keeps plain triads where they fit as well.
SEVENTH_COST = 0.35


@dataclass(frozen=True)
class ChordSpan:
    """A chord sounding from ``start`` to ``end`` seconds."""

    start: float
    end: float
    chord: Chord


def segment_bounds(grid: Grid, per_bar: int) -> list[tuple[float, float]]:
    """Equal segments of the grid's bars, ``per_bar`` of them in each bar, from its first downbeat."""
    step = grid.seconds_per_bar / per_bar
    return [(grid.start + i * step, grid.start + (i + 1) * step) for i in range(grid.bars * per_bar)]


def harmony_states(key: Key, sevenths: bool) -> list[tuple[Chord, float]]:
    """The chords a tune in ``key`` may take, each with how common it is (a prior probability)."""
    states = []
    for chord in diatonic_chords(key, sevenths):
        if key.minor and chord.degree == 4 and chord.quality in ("", "7"):
            prior = MINOR_DOMINANT
        else:
            prior = (MINOR_PRIOR if key.minor else MAJOR_PRIOR)[chord.degree]
        states.append((chord, prior))
    if not key.minor:
        root = (key.tonic + 2) % 12  # V/V: a major triad (or dominant seventh) on the second degree
        pitch_classes = (root, (root + 4) % 12, (root + 7) % 12)
        states.append((Chord(1, root, pitch_classes, ""), SECONDARY_DOMINANT))
        if sevenths:
            states.append((Chord(1, root, pitch_classes + ((root + 10) % 12,), "7"), SECONDARY_DOMINANT))
    return states


def pitch_class_probabilities(chord: Chord, key: Key) -> list[float]:
    """P(melody pitch class | chord): the chord's tones (the root weighted 1.2), the key's other
    scale tones, and chromatic notes share CHORD_TONES, SCALE_TONES and the rest."""
    tones = list(chord.pitch_classes)
    others = [pc for pc in key.scale if pc not in tones]
    chromatic = [pc for pc in range(12) if pc not in tones and pc not in others]
    shares = [1.2] + [1.0] * (len(tones) - 1)
    probabilities = [0.0] * 12
    for pc, share in zip(tones, shares):
        probabilities[pc] = CHORD_TONES * share / sum(shares)
    for pc in others:
        probabilities[pc] = SCALE_TONES / max(1, len(others))
    for pc in chromatic:
        probabilities[pc] = (1.0 - CHORD_TONES - SCALE_TONES) / max(1, len(chromatic))
    return probabilities


def note_evidence(notes: Sequence[Note], grid: Grid, start: float, end: float) -> list[float]:
    """Weight of each pitch class in ``start..end``: the beats each note sounds there, times
    1 + the metric weight of its onset when it starts inside (strong-beat and long notes count most)."""
    totals = [0.0] * 12
    for note in notes:
        overlap = min(note.end, end) - max(note.start, start)
        if overlap <= 0:
            continue
        weight = overlap / grid.seconds_per_beat
        if start - 1e-6 <= note.start < end:
            weight *= 1.0 + grid.weight(note.start)
        totals[note.pitch % 12] += weight
    return totals


def choose_chords(notes: Sequence[Note], key: Key, grid: Grid, per_bar: int, sevenths: bool = False) -> list[ChordSpan]:
    """The most likely chord for each of the grid's segments (``per_bar`` a bar): Viterbi over
    :func:`harmony_states` (see the module docstring)."""
    import numpy as np

    states = harmony_states(key, sevenths)
    chords = [chord for chord, _ in states]
    count = len(chords)
    bounds = segment_bounds(grid, per_bar)
    log_prior = np.log(np.array([prior for _, prior in states]))
    log_prior -= np.array([SEVENTH_COST if len(c.pitch_classes) == 4 else 0.0 for c in chords])
    log_emission = np.log(np.array([pitch_class_probabilities(c, key) for c in chords]))  # (chords, 12)
    evidence = np.array([note_evidence(notes, grid, s, e) for s, e in bounds])  # (segments, 12)
    emission = EMISSION_WEIGHT * evidence @ log_emission.T  # (segments, chords)
    moves = np.array([[PROGRESSION[a.degree][b.degree] + 0.01 for b in chords] for a in chords])
    moves *= np.exp(log_prior)[None, :]
    same = np.array([[a.root == b.root for b in chords] for a in chords])
    moves[same] = 0.0
    moves /= moves.sum(axis=1, keepdims=True)

    eye = np.eye(count, dtype=bool)

    def transition(stay: float):
        """Hold with probability ``stay`` (a triad may also gain or lose its seventh), else move."""
        matrix = (1.0 - stay) * moves
        matrix[eye] = stay
        matrix[same & ~eye] = 0.2 * (1.0 - stay)
        return np.log(matrix / matrix.sum(axis=1, keepdims=True))

    in_bar, at_bar_line = transition(STAY_IN_BAR), transition(STAY_AT_BAR_LINE)
    tonic = np.array([c.degree == 0 and c.root == key.tonic for c in chords], dtype=float)
    dominant = np.array([c.degree == 4 and c.quality in ("", "7") for c in chords], dtype=float)
    for index in range(len(bounds)):
        bar, position = divmod(index, per_bar)
        if position == per_bar - 1 and (bar + 1) % PHRASE_BARS == 0 or index == len(bounds) - 1:
            emission[index] += CADENCE_BONUS * tonic
        elif position == per_bar - 1 and (bar + 1) % (PHRASE_BARS // 2) == 0:
            emission[index] += HALF_CADENCE_BONUS * np.maximum(tonic, dominant)
    score = log_prior + emission[0] + CADENCE_BONUS * tonic
    back = np.zeros((len(bounds), count), dtype=int)
    for index in range(1, len(bounds)):
        matrix = at_bar_line if index % per_bar == 0 else in_bar
        candidates = score[:, None] + matrix
        back[index] = candidates.argmax(axis=0)
        score = candidates.max(axis=0) + emission[index]
    path = [int(score.argmax())]
    for index in range(len(bounds) - 1, 0, -1):
        path.append(int(back[index, path[-1]]))
    path.reverse()
    return [ChordSpan(s, e, chords[i]) for (s, e), i in zip(bounds, path)]


def chord_tone_rate(spans: Sequence[ChordSpan], notes: Sequence[Note], grid: Grid, strong: float = 0.75) -> float:
    """Share of melody notes on strong beats (weight >= ``strong``) that are tones of the chord
    sounding then: the check that the harmony fits the tune."""
    hits = total = 0
    for note in notes:
        if grid.weight(note.start) < strong:
            continue
        span = next((s for s in spans if s.start - 1e-6 <= note.start < s.end), None)
        if span is None:
            continue
        total += 1
        hits += note.pitch % 12 in span.chord.pitch_classes
    return hits / total if total else math.nan
