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
from engine.theory import MINOR, Key

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

    def __init__(self, meter: Meter, mode: str, total_bars: int, pickup: int = 0):
        self.meter, self.mode, self.total_bars = meter, mode, total_bars
        self.onsets: list[int] = []  # relative to the first downbeat (a pickup is negative)
        self.pitch_ids: list[int] = []
        self.durations: list[int] = []
        self.now = -pickup

    def copy(self) -> Timeline:
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
            int(self.mode == MINOR),
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
