"""The bits of music theory every composer here shares: keys, scales, chords and metric weight.

Pitch classes are integers 0-11 (C = 0). A key is a ``(tonic, mode)`` pair; engine scores spell
it as a name such as ``"D minor"``, which :func:`parse_key` and :func:`key_name` convert.
"""

from __future__ import annotations

from dataclasses import dataclass

PITCH_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
#: Beats by which an onset may miss the grid and still count as on it.
GRID_TOLERANCE = 0.04
SCALES = {"major": (0, 2, 4, 5, 7, 9, 11), "minor": (0, 2, 3, 5, 7, 8, 10)}


@dataclass(frozen=True)
class Key:
    tonic: int
    mode: str  # "major" or "minor"

    @property
    def scale(self) -> tuple[int, ...]:
        """The key's pitch classes, degree by degree."""
        return tuple((self.tonic + step) % 12 for step in SCALES[self.mode])

    @property
    def name(self) -> str:
        return f"{PITCH_NAMES[self.tonic]} {self.mode}"


def parse_key(name: str) -> Key:
    """A key from a name such as ``"D minor"``, ``"Bb major"`` or ``"f# minor"``."""
    import pretty_midi

    parts = name.split()
    spelled = " ".join([parts[0][:1].upper() + parts[0][1:].lower(), *(p.lower() for p in parts[1:])]) if parts else ""
    number = pretty_midi.key_name_to_key_number(spelled)
    return Key(number % 12, "minor" if number >= 12 else "major")


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
    if key.mode == "minor":
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
