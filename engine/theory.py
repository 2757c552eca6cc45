"""Music theory every musical component shares: note names, keys, key finding, scales, chords, meter.

This is a library next to :class:`engine.Score`, not a plugin: it registers nothing and imports
nothing heavy (no numpy, no pretty_midi), so a data loader, a generator and a composer can all
use it at no cost. Pitch classes are integers 0-11 (C = 0). A key is a tonic and a mode
("major" or "minor"); :func:`parse_key` reads every spelling Muse accepts and ``Key.name`` writes
the one spelling scores and files use ("D minor", "Bb major", "F# minor").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from collections.abc import Iterable, Sequence

from .errors import ParamError

if TYPE_CHECKING:
    import numpy as np

    from .works import Note

#: Note names by pitch class, the spelling used for notes and chord roots.
PITCH_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
MAJOR, MINOR = "major", "minor"
SCALES = {MAJOR: (0, 2, 4, 5, 7, 9, 11), MINOR: (0, 2, 3, 5, 7, 8, 10)}
#: Where a key's name is spelled other than its tonic's note name: the spelling with the fewest
#: accidentals, as key signatures (and pretty_midi) write them.
_KEY_SPELLINGS = {(1, MAJOR): "Db", (6, MAJOR): "Gb", (8, MINOR): "G#"}
_LETTERS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_ACCIDENTALS = {"": 0, "#": 1, "♯": 1, "is": 1, "b": -1, "♭": -1, "es": -1, "s": -1}
_MODE_WORDS = {"": MAJOR, "major": MAJOR, "maj": MAJOR, "minor": MINOR, "min": MINOR, "m": MINOR}
_KEY_PATTERN = re.compile(r"\s*([A-Ga-g])\s*(#|♯|b|♭|is|es|s)?\s*([A-Za-z]*)\s*")


# -- keys ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Key:
    """A major or minor key: ``tonic`` is a pitch class 0-11, ``mode`` is MAJOR or MINOR."""

    tonic: int
    mode: str

    @property
    def minor(self) -> bool:
        return self.mode == MINOR

    @property
    def scale(self) -> tuple[int, ...]:
        """The key's pitch classes, degree by degree."""
        return tuple((self.tonic + step) % 12 for step in SCALES[self.mode])

    @property
    def name(self) -> str:
        """The key as scores and files spell it: ``"D minor"``, ``"Bb major"``, ``"F# minor"``."""
        return f"{_KEY_SPELLINGS.get((self.tonic, self.mode), PITCH_NAMES[self.tonic])} {self.mode}"

    @property
    def midi_number(self) -> int:
        """The key as MIDI key-signature events (and pretty_midi) number it: 0-11 major, 12-23 minor."""
        return self.tonic + (12 if self.minor else 0)

    @classmethod
    def from_midi_number(cls, number: int) -> Key:
        return cls(number % 12, MINOR if number >= 12 else MAJOR)

    @property
    def shift(self) -> int:
        """Semitones from C to this tonic by the smallest move, -5..+6 (to transpose to C and back)."""
        return self.tonic - 12 if self.tonic > 6 else self.tonic


def parse_key(text: str, what: str = "key") -> Key:
    """A key from ``"D minor"``, ``"Bb major"``, ``"f# min"``, ``"F#m"`` or ``"G"``; a ParamError otherwise.

    A tonic letter with an optional accidental (# b ♯ ♭, or German is/es), then an optional mode
    (major, maj, minor, min, m; any case); no mode means major.
    """
    match = _KEY_PATTERN.fullmatch(str(text))
    if not match:
        raise ParamError(f"{what}={text!r} is not a key; write a tonic and a mode such as 'D minor' or 'Bb major'")
    letter, accidental, mode = match.group(1).upper(), match.group(2) or "", match.group(3).lower()
    if mode not in _MODE_WORDS:
        raise ParamError(f"{what}={text!r}: mode {mode!r} is not one Muse knows; use major or minor")
    return Key((_LETTERS[letter] + _ACCIDENTALS[accidental]) % 12, _MODE_WORDS[mode])


# -- key finding ---------------------------------------------------------------------------------
# Krumhansl and Kessler's probe-tone ratings (1982): how much each pitch class belongs to the key
# of C major / C minor.
MAJOR_PROFILE = (6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88)
MINOR_PROFILE = (6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17)


def pitch_class_histogram(pitches: Iterable[int], weights: Iterable[float]) -> list[float]:
    """The total weight (a duration, in any unit) of each pitch class 0-11."""
    totals = [0.0] * 12
    for pitch, weight in zip(pitches, weights):
        totals[pitch % 12] += weight
    return totals


def pitch_class_durations(notes: Iterable[Note]) -> list[float]:
    """Seconds a score's notes spend on each pitch class; a very short note still counts 0.05 s."""
    notes = list(notes)
    return pitch_class_histogram((note.pitch for note in notes), (max(note.duration, 0.05) for note in notes))


def key_correlations(histogram: Sequence[float]) -> list[tuple[float, Key]]:
    """Every one of the 24 keys with its profile's correlation to ``histogram``, best first.

    This is the Krumhansl-Schmuckler key finder: it needs no training data and is right for most
    tonal melodies of a few bars. Ties go to major, then to the lower tonic; a flat or empty
    histogram correlates 0 with every key, so C major comes first.
    """
    results = []
    for mode, profile in ((MAJOR, MAJOR_PROFILE), (MINOR, MINOR_PROFILE)):
        for tonic in range(12):
            rotated = [profile[(pc - tonic) % 12] for pc in range(12)]
            results.append((_correlation(histogram, rotated), Key(tonic, mode)))
    return sorted(results, key=lambda item: (-item[0], item[1].mode, item[1].tonic))


def find_key(histogram: Sequence[float]) -> Key:
    """The most likely key of a pitch-class histogram (C major when there is nothing to go on)."""
    return key_correlations(histogram)[0][1]


def _correlation(a: Sequence[float], b: Sequence[float]) -> float:
    mean_a, mean_b = sum(a) / len(a), sum(b) / len(b)
    covariance = sum((x - mean_a) * (y - mean_b) for x, y in zip(a, b))
    spread = (sum((x - mean_a) ** 2 for x in a) * sum((y - mean_b) ** 2 for y in b)) ** 0.5
    return covariance / spread if spread else 0.0


# -- chords --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Chord:
    """A chord by scale degree (0-6) of its key, with its pitch classes, root first."""

    degree: int
    root: int
    pitch_classes: tuple[int, ...]
    quality: str  # "", "m", "dim", "aug", "7", "maj7", "m7", "m7b5", "dim7"

    @property
    def name(self) -> str:
        return PITCH_NAMES[self.root] + self.quality

    @property
    def fifth(self) -> int:
        return self.pitch_classes[2]


_QUALITIES = {
    (4, 7): "", (3, 7): "m", (3, 6): "dim", (4, 8): "aug",
    (4, 7, 10): "7", (4, 7, 11): "maj7", (3, 7, 10): "m7", (3, 6, 10): "m7b5", (3, 6, 9): "dim7", (3, 7, 11): "m(maj7)",
    (4, 8, 11): "maj7#5",
}


def diatonic_chords(key: Key, sevenths: bool) -> list[Chord]:
    """The triads (and seventh chords) built on each degree of ``key``.

    Minor keys also get the major dominant (V, V7) of the harmonic minor, because melodies in
    minor lean on the raised leading tone at cadences.
    """
    chords = [_stacked(key.scale, degree, 3) for degree in range(7)]
    if sevenths:
        chords += [_stacked(key.scale, degree, 4) for degree in range(7)]
    if key.minor:
        harmonic = tuple((key.tonic + s) % 12 for s in (0, 2, 3, 5, 7, 8, 11))
        chords.append(_stacked(harmonic, 4, 3))
        if sevenths:
            chords.append(_stacked(harmonic, 4, 4))
    return chords


def _stacked(scale: tuple[int, ...], degree: int, size: int) -> Chord:
    pitch_classes = tuple(scale[(degree + 2 * i) % 7] for i in range(size))
    root = pitch_classes[0]
    intervals = tuple((pc - root) % 12 for pc in pitch_classes[1:])
    return Chord(degree, root, pitch_classes, _QUALITIES.get(intervals, "?"))


# -- meter and pitch -----------------------------------------------------------------------------
#: Beats by which an onset may miss the grid and still count as on it.
GRID_TOLERANCE = 0.04


def metric_weight(beat_in_bar: float, meter: tuple[int, int]) -> float:
    """How strong a position in the bar is, 1.0 (downbeat) down to 0.1 (off the grid).

    ``beat_in_bar`` counts the meter's own beats (eighths in 6/8). Compound meters (6/8, 9/8,
    12/8) group beats in threes; even simple meters put a secondary accent halfway. Positions
    within GRID_TOLERANCE beats of a grid point count as on it: MIDI files made elsewhere are
    often a tick or a millisecond off.
    """
    numerator, denominator = meter
    position = beat_in_bar % numerator
    nearest = round(position)
    if abs(position - nearest) <= GRID_TOLERANCE:
        nearest %= numerator
        if nearest == 0:
            return 1.0
        if denominator == 8 and numerator % 3 == 0:
            return 0.75 if nearest % 3 == 0 else 0.3
        if numerator % 2 == 0 and numerator >= 4 and nearest == numerator // 2:
            return 0.75
        return 0.5
    if abs(position * 2 - round(position * 2)) <= 2 * GRID_TOLERANCE:
        return 0.25
    return 0.1


def beats_per_group(meter: tuple[int, int]) -> int:
    """Beats that make one felt pulse: 3 in compound meters (6/8 is felt in two), else 1."""
    numerator, denominator = meter
    return 3 if denominator == 8 and numerator % 3 == 0 and numerator > 3 else 1


def nearest_in_range(pitch_class: int, target: float, low: int, high: int) -> int:
    """The MIDI pitch of ``pitch_class`` closest to ``target`` within ``low..high``."""
    candidates = [p for p in range(low, high + 1) if p % 12 == pitch_class]
    return min(candidates, key=lambda p: (abs(p - target), p))


def snap_to_scale(pitch: float, scale: tuple[int, ...]) -> int:
    """The scale tone nearest to ``pitch`` (ties go down)."""
    base = int(round(pitch))
    for offset in (0, -1, 1, -2, 2, -3, 3):
        if (base + offset) % 12 in scale:
            return base + offset
    return base


def midi_to_hz(pitch: float | np.ndarray) -> float | np.ndarray:
    """Equal temperament with A4 (MIDI 69) at 440 Hz; fractional pitches (bends, vibrato) and
    numpy arrays of pitches work alike, so the synthesizer and the singer tune the same way."""
    return 440.0 * 2.0 ** ((pitch - 69.0) / 12.0)
