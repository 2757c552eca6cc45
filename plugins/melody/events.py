"""The melody representation: one event per note or rest, in a key-normalised frame.

A tune is a list of events ``(pitch, duration)``: ``pitch`` is a MIDI number or None for a rest,
``duration`` is in UNITS (twelfths of a quarter note, so sixteenths, eighth triplets and dotted
values are all exact). Events follow each other with no gaps or overlaps, so every onset, bar
and beat position is implied by the durations and the meter. Bars are counted from the first
downbeat; a pickup (anacrusis) sits in bar -1.

The model never sees absolute keys: a tune is shifted so its tonic is C (by -5..+6 semitones,
the smallest move), and its mode (major or minor) is a feature. Any key can then be asked for
by shifting the output back. This module has no torch or numpy in it: it is shared by the data
loaders, the generator and the metrics, and is cheap to import.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from engine import ParamError

UNITS_PER_QUARTER = 12
MAX_DURATION = 72  # a dotted whole note, the longest bar we support (12/8)
LOW_PITCH, HIGH_PITCH = 48, 96  # key-normalised range the model knows (tonic C)

# Pitch ids: 0 = nothing (before the tune / begin), 1 = rest, 2.. = LOW_PITCH..HIGH_PITCH.
PITCH_NONE, PITCH_REST = 0, 1
N_PITCH_IDS = 2 + HIGH_PITCH - LOW_PITCH + 1
# Duration ids: 0 = nothing (no onset there), d = d units for 1..MAX_DURATION.
N_DURATION_IDS = MAX_DURATION + 1

LOOKBACK_BARS = (1, 2, 4, 8)
PHRASE_BARS = 8
MAX_BARS_TO_END = 8

MAJOR, MINOR = 0, 1
NOTE_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
_LETTERS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_MODES = {"": MAJOR, "major": MAJOR, "maj": MAJOR, "minor": MINOR, "min": MINOR, "m": MINOR}
SUPPORTED_METERS = ("4/4", "3/4", "6/8", "2/4", "2/2", "9/8", "12/8")


# -- meter ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Meter:
    """A time signature read as beats: 6/8 is two compound beats of a dotted quarter each."""

    numerator: int
    denominator: int

    @property
    def compound(self) -> bool:
        return self.denominator >= 8 and self.numerator % 3 == 0 and self.numerator > 3

    @property
    def beat_units(self) -> int:
        """A dotted beat in compound meters; 2/2 counts quarters, like the 4/4 reels it notates."""
        note = 4 * UNITS_PER_QUARTER // self.denominator
        return 3 * note if self.compound else min(note, UNITS_PER_QUARTER)

    @property
    def bar_units(self) -> int:
        return self.numerator * 4 * UNITS_PER_QUARTER // self.denominator

    @property
    def beats_per_bar(self) -> int:
        return self.bar_units // self.beat_units

    def __str__(self) -> str:
        return f"{self.numerator}/{self.denominator}"


def parse_meter(text: str, what: str = "time_signature") -> Meter:
    """A supported meter from text such as ``6/8``; a clear ParamError otherwise."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", str(text))
    if not match:
        raise ParamError(f"{what}={text!r} is not a meter; write it like 6/8")
    numerator, denominator = int(match.group(1)), int(match.group(2))
    if numerator < 1 or denominator < 1 or denominator & (denominator - 1):
        raise ParamError(f"{what}={text!r} is an impossible meter (the denominator must be a power of two, the numerator at least 1)")
    meter = Meter(numerator, denominator)
    if str(meter) not in SUPPORTED_METERS:
        raise ParamError(f"{what}={text!r} is not supported by the melody model; choose one of {', '.join(SUPPORTED_METERS)}")
    return meter


def meter_or_none(numerator: int, denominator: int) -> Meter | None:
    """A meter from a file, or None when the model does not support it."""
    if f"{numerator}/{denominator}" in SUPPORTED_METERS:
        return Meter(numerator, denominator)
    return None


# -- key -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Key:
    tonic: int  # pitch class 0-11
    mode: int  # MAJOR or MINOR
    spelling: str = ""  # the tonic as written ("Bb"), for the key signature

    @property
    def name(self) -> str:
        return f"{self.spelling or NOTE_NAMES[self.tonic]} {'minor' if self.mode == MINOR else 'major'}"

    @property
    def shift(self) -> int:
        """Semitones from the normalised key (tonic C) to this one: the smallest move, -5..+6."""
        return self.tonic - 12 if self.tonic > 6 else self.tonic


def parse_key(text: str, what: str = "key") -> Key:
    """A key from ``"D minor"``, ``"Bb major"``, ``"F#m"`` or ``"G"``; a clear ParamError otherwise."""
    match = re.fullmatch(r"\s*([A-Ga-g])\s*(#|♯|b|♭|is|es|s)?\s*([A-Za-z]*)\s*", str(text))
    if not match:
        raise ParamError(f"{what}={text!r} is not a key; write a tonic and a mode such as 'D minor' or 'Bb major'")
    letter, accidental, mode = match.group(1).upper(), match.group(2) or "", match.group(3).lower()
    if mode not in _MODES:
        raise ParamError(f"{what}={text!r}: mode {mode!r} is not one the model knows; use major or minor")
    alter = {"": 0, "#": 1, "♯": 1, "is": 1, "b": -1, "♭": -1, "es": -1, "s": -1}[accidental]
    spelling = letter + ("#" if alter > 0 else "b" if alter < 0 else "")
    return Key((_LETTERS[letter] + alter) % 12, _MODES[mode], spelling)


# Krumhansl-Kessler key profiles, for files that carry no key signature.
_MAJOR_PROFILE = (6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88)
_MINOR_PROFILE = (6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17)


def estimate_key(pitches: list[int], durations: list[int]) -> Key:
    """The best-correlating major or minor key of a duration-weighted pitch-class histogram."""
    histogram = [0.0] * 12
    for pitch, duration in zip(pitches, durations):
        histogram[pitch % 12] += duration
    best, best_score = Key(0, MAJOR), float("-inf")
    for mode, profile in ((MAJOR, _MAJOR_PROFILE), (MINOR, _MINOR_PROFILE)):
        for tonic in range(12):
            rotated = [profile[(pc - tonic) % 12] for pc in range(12)]
            score = _correlation(histogram, rotated)
            if score > best_score:
                best, best_score = Key(tonic, mode), score
    return best


def _correlation(a: list[float], b: list[float]) -> float:
    mean_a, mean_b = sum(a) / len(a), sum(b) / len(b)
    num = sum((x - mean_a) * (y - mean_b) for x, y in zip(a, b))
    den = (sum((x - mean_a) ** 2 for x in a) * sum((y - mean_b) ** 2 for y in b)) ** 0.5
    return num / den if den else 0.0


# -- tunes ---------------------------------------------------------------------------------------
@dataclass
class Tune:
    """A monophonic melody in absolute pitch, with its meter, key and pickup."""

    name: str
    pitches: list[int | None]
    durations: list[int]
    meter: Meter
    key: Key
    pickup: int = 0  # units before the first downbeat
    notes: list[str] = field(default_factory=list)  # things worth telling the user (chords...)

    @property
    def total_units(self) -> int:
        return sum(self.durations)

    @property
    def bars(self) -> int:
        """Full bars after the pickup (a last partial bar counts)."""
        return max(1, -(-(self.total_units - self.pickup) // self.meter.bar_units))


def normalised_pitch_id(pitch: int | None, shift: int) -> int:
    """The pitch id of ``pitch`` moved down by ``shift``; outliers fold by octaves into range."""
    if pitch is None:
        return PITCH_REST
    relative = pitch - shift
    while relative < LOW_PITCH:
        relative += 12
    while relative > HIGH_PITCH:
        relative -= 12
    return 2 + relative - LOW_PITCH


def pitch_of_id(pitch_id: int, shift: int) -> int | None:
    """The MIDI pitch of a pitch id in a key ``shift`` semitones from C (None for a rest)."""
    if pitch_id == PITCH_REST:
        return None
    return pitch_id - 2 + LOW_PITCH + shift


def tonic_pitch_ids() -> list[int]:
    """Ids of every C in range: the tonic in the normalised frame."""
    return [2 + p - LOW_PITCH for p in range(LOW_PITCH, HIGH_PITCH + 1) if p % 12 == 0]


def events_from_notes(onsets: list[int], ends: list[int], pitches: list[int], first_downbeat: int,
                      bar_units: int) -> tuple[list[int | None], list[int], int, bool]:
    """Turn quantised notes (unit times) into gapless events and a pickup length.

    Notes sharing an onset keep the highest (the top line); a note that overlaps the next is cut
    at the next onset; a gap of a sixteenth or more becomes a rest. Returns pitches, durations,
    the pickup in units and whether chords or overlaps were reduced.
    """
    top: dict[int, tuple[int, int]] = {}
    reduced = False
    for onset, end, pitch in zip(onsets, ends, pitches):
        if onset in top:
            reduced = True
            if pitch <= top[onset][0]:
                continue
        top[onset] = (pitch, end)
    times = sorted(top)
    # The first downbeat at or after the first onset is where bar 0 begins.
    start = times[0]
    downbeat = first_downbeat + -(-(start - first_downbeat) // bar_units) * bar_units
    pickup = downbeat - start
    out_pitches: list[int | None] = []
    out_durations: list[int] = []
    for index, onset in enumerate(times):
        pitch, end = top[onset]
        following = times[index + 1] if index + 1 < len(times) else None
        length = max(1, end - onset)
        if following is not None:
            gap = following - onset - length
            if gap < 0:
                reduced = True
            if gap < UNITS_PER_QUARTER // 4:
                length = following - onset
            _append(out_pitches, out_durations, pitch, length)
            if following - onset > length:
                _append(out_pitches, out_durations, None, following - onset - length)
        else:
            _append(out_pitches, out_durations, pitch, length)
    return out_pitches, out_durations, pickup, reduced


def _append(pitches: list[int | None], durations: list[int], pitch: int | None, length: int) -> None:
    """Add an event, splitting what is longer than MAX_DURATION (a long note ends in rests)."""
    first = min(length, MAX_DURATION)
    pitches.append(pitch)
    durations.append(first)
    length -= first
    while length > 0:
        part = min(length, MAX_DURATION)
        pitches.append(None)
        durations.append(part)
        length -= part


# -- features ------------------------------------------------------------------------------------
# Columns of the per-event feature rows the model reads (all small integers).
COLUMNS = ("prev_pitch", "prev_duration",
           *(f"back{k}_pitch" for k in LOOKBACK_BARS), *(f"back{k}_duration" for k in LOOKBACK_BARS),
           "beat", "sub_beat", "beats_per_bar", "compound", "phrase_bar", "bars_to_end", "mode")
COLUMN = {name: index for index, name in enumerate(COLUMNS)}
FEATURE_SIZES = {"beat": 4, "sub_beat": 18, "beats_per_bar": 5, "compound": 2, "phrase_bar": PHRASE_BARS,
                 "bars_to_end": MAX_BARS_TO_END + 1, "mode": 2}


class Timeline:
    """The events so far of one tune in the normalised frame, able to describe the next event.

    Training computes every event's features through this same class as generation does, one
    event at a time, so the two can never disagree.
    """

    def __init__(self, meter: Meter, mode: int, total_bars: int, pickup: int = 0):
        self.meter, self.mode, self.total_bars = meter, mode, total_bars
        self.onsets: list[int] = []  # relative to the first downbeat (a pickup is negative)
        self.pitch_ids: list[int] = []
        self.durations: list[int] = []
        self.now = -pickup

    def copy(self) -> "Timeline":
        other = Timeline(self.meter, self.mode, self.total_bars)
        other.onsets, other.pitch_ids, other.durations = list(self.onsets), list(self.pitch_ids), list(self.durations)
        other.now = self.now
        return other

    def add(self, pitch_id: int, duration: int) -> None:
        self.onsets.append(self.now)
        self.pitch_ids.append(pitch_id)
        self.durations.append(duration)
        self.now += duration

    @property
    def end(self) -> int:
        return self.total_bars * self.meter.bar_units

    @property
    def room_in_bar(self) -> int:
        """Units from now to the next bar line."""
        bar = self.meter.bar_units
        return bar - self.now % bar

    def features(self) -> list[int]:
        """The feature row for the event that starts now, in COLUMNS order."""
        meter, now = self.meter, self.now
        row = [self.pitch_ids[-1], self.durations[-1]] if self.pitch_ids else [PITCH_NONE, 0]
        back_pitches, back_durations = [], []
        for bars in LOOKBACK_BARS:
            pitch_id, duration = self._event_at(now - bars * meter.bar_units)
            back_pitches.append(pitch_id)
            back_durations.append(duration)
        bar_index, in_bar = divmod(now, meter.bar_units)
        to_end = self.total_bars - 1 - bar_index
        row += back_pitches + back_durations + [
            min(in_bar // meter.beat_units, 3),
            in_bar % meter.beat_units,
            meter.beats_per_bar,
            int(meter.compound),
            bar_index % PHRASE_BARS,
            min(max(to_end, 0), MAX_BARS_TO_END),
            self.mode,
        ]
        return row

    def _event_at(self, time: int) -> tuple[int, int]:
        """What sounded at ``time``: its pitch id, and its duration if it began exactly then."""
        if not self.onsets or time < self.onsets[0]:
            return PITCH_NONE, 0
        index = bisect.bisect_right(self.onsets, time) - 1
        return self.pitch_ids[index], self.durations[index] if self.onsets[index] == time else 0


def encode(tune: Tune) -> tuple[list[list[int]], list[int], list[int]]:
    """Feature rows and targets (pitch ids, durations) for every event of a tune."""
    timeline = Timeline(tune.meter, tune.key.mode, tune.bars, tune.pickup)
    rows, target_pitches, target_durations = [], [], []
    for pitch, duration in zip(tune.pitches, tune.durations):
        pitch_id = normalised_pitch_id(pitch, tune.key.shift)
        rows.append(timeline.features())
        target_pitches.append(pitch_id)
        target_durations.append(duration)
        timeline.add(pitch_id, duration)
    return rows, target_pitches, target_durations
