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
PART_BARS = 8  # a tune's parts (A, B ...) are 8 bars, as in the dance tunes and most songs

DEFAULT_KEY = "D major"  # without a key or a primer to find one in
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


# -- pickups ----------------------------------------------------------------------------------------
def check_pickup(value: str) -> str:
    """A pickup parameter: ``auto``, ``none`` or a number of beats such as 1 or 0.5."""
    text = str(value).strip().lower()
    if text in ("auto", "none"):
        return text
    try:
        beats = float(text)
    except ValueError:
        raise ParamError(f"pickup={value!r} is not auto, none or a number of beats (1, 0.5 ...)") from None
    if not 0 <= beats < 12:
        raise ParamError(f"pickup={value!r}: a pickup is 0 to less than a bar of beats")
    return text


def pickup_units(value: str, meter: Meter) -> int | None:
    """A numeric pickup in units (beats are the meter's notated ones: eighths in 6/8); None for auto."""
    if value == "auto":
        return None
    if value == "none":
        return 0
    units = float(value) * 4 * UNITS_PER_QUARTER / meter.denominator
    if abs(units - round(units)) > 1e-6 or not 0 <= units < meter.bar_units:
        raise ParamError(f"pickup={value} beats does not fit {meter}: give whole or half beats, less than a bar "
                         f"({meter.numerator} beats)")
    return round(units)



# -- rhythm style ------------------------------------------------------------------------------------
#: A tune's rhythm style, by the share of its events that start on an off-beat sixteenth (the 2nd or
#: 4th sixteenth of a quarter; in 6/8 the sixteenth after each eighth). A meter's corpus mixes
#: styles: of the 2/4 training tunes 30% have (almost) none, 41% more than a tenth (polkas and
#: marches). The model is told the style of every tune it learns from and of every tune it writes,
#: as it is told the form: left to itself it wrote sixteenth-note 2/4 tunes far less often than the
#: corpus has them (28% of its tunes had a tenth of their onsets there, against 46%).
RHYTHMS = ("plain", "light", "lively", "busy", "dense", "running")
#: Lower bounds of the shares of each style after plain (plain is below 2%). The busy end is cut
#: finely: told only "20% or more", the model wrote such tunes at 21% where the corpus's have 36%.
RHYTHM_BOUNDS = (0.02, 0.10, 0.20, 0.30, 0.40)


def off_beat_sixteenth(onset: int) -> bool:
    """Whether an onset (units from a downbeat) falls on the sixteenth grid but not the eighth."""
    sixteenth = UNITS_PER_QUARTER // 4
    return onset % sixteenth == 0 and onset % (2 * sixteenth) != 0


def rhythm_of(onsets: list[int]) -> int:
    """The rhythm style (an index into RHYTHMS) of events starting at ``onsets`` (downbeat-relative)."""
    share = sum(map(off_beat_sixteenth, onsets)) / max(len(onsets), 1)
    return sum(share >= bound for bound in RHYTHM_BOUNDS)


def rhythm_range(rhythm: int) -> tuple[float, float]:
    """The share of events on off-beat sixteenths a style (an index into RHYTHMS) spans: [low, high)."""
    bounds = (0.0, *RHYTHM_BOUNDS, 1.0)
    return bounds[rhythm], bounds[rhythm + 1]


def rhythm_ranges() -> str:
    """Each style's share of notes on off-beat sixteenths, in words: 'plain (under 2%), light (2-10%) ...'."""
    percents = [round(bound * 100) for bound in RHYTHM_BOUNDS]
    ranges = [f"under {percents[0]}%", *(f"{low}-{high}%" for low, high in zip(percents, percents[1:])),
              f"{percents[-1]}% or more"]
    return ", ".join(f"{name} ({span})" for name, span in zip(RHYTHMS, ranges))


def check_rhythm(value: str) -> str:
    """A rhythm parameter: ``auto`` or one of RHYTHMS."""
    text = str(value).strip().lower()
    if text != "auto" and text not in RHYTHMS:
        raise ParamError(f"rhythm={value!r} is not a rhythm style; choose auto, {', '.join(RHYTHMS)} "
                         f"(notes on off-beat sixteenths: {rhythm_ranges()})")
    return text


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
LOOKBACKS = (*(f"back{k}" for k in LOOKBACK_BARS), "part_back")
COLUMNS = ("prev_pitch", "prev_duration",
           *(f"{name}_pitch" for name in LOOKBACKS), *(f"{name}_duration" for name in LOOKBACKS),
           "beat", "sub_beat", "beats_per_bar", "compound", "meter",
           "part_bar", "part_bars_left", "parts_left", "part_letter", "part_repeat", "mode", "rhythm")
COLUMN = {name: index for index, name in enumerate(COLUMNS)}
PICKUP_BAR = PART_BARS  # the part_bar value of the notes before the first downbeat
MAX_LETTERS, MAX_REPEATS, MAX_PARTS_LEFT = 4, 2, 3
FEATURE_SIZES = {"beat": 4, "sub_beat": 18, "beats_per_bar": 5, "compound": 2, "meter": len(SUPPORTED_METERS),
                 "part_bar": PART_BARS + 1, "part_bars_left": PART_BARS, "parts_left": MAX_PARTS_LEFT + 1,
                 "part_letter": MAX_LETTERS + 1, "part_repeat": MAX_REPEATS + 1, "mode": 2, "rhythm": len(RHYTHMS)}


class Timeline:
    """The events so far of one tune in the normalised frame, able to describe the next event.

    ``plan`` gives each 8-bar part its letter (AABB), or is None for a free form: the model then
    is not told which parts repeat. ``rhythm`` is the tune's rhythm style (an index into RHYTHMS).
    Training computes every event's features through this same class as generation does, one
    event at a time, so the two can never disagree.
    """

    def __init__(self, meter: Meter, mode: str, total_bars: int, pickup: int = 0, plan: str | None = None, rhythm: int = 0):
        self.meter, self.mode, self.total_bars, self.pickup, self.plan = meter, mode, total_bars, pickup, plan
        self.rhythm = rhythm
        self.onsets: list[int] = []  # relative to the first downbeat (a pickup is negative)
        self.pitch_ids: list[int] = []
        self.durations: list[int] = []
        self.off_beat_onsets = 0  # events so far that began on an off-beat sixteenth
        self.now = -pickup

    def copy(self) -> Timeline:
        other = Timeline(self.meter, self.mode, self.total_bars, self.pickup, self.plan, self.rhythm)
        other.onsets, other.pitch_ids, other.durations = list(self.onsets), list(self.pitch_ids), list(self.durations)
        other.now, other.off_beat_onsets = self.now, self.off_beat_onsets
        return other

    def add(self, pitch_id: int, duration: int) -> None:
        self.off_beat_onsets += off_beat_sixteenth(self.now)
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
        bar_index, in_bar = divmod(now, meter.bar_units)
        part, part_bar = divmod(max(bar_index, 0), PART_BARS)
        if bar_index < 0:
            part_bar = PICKUP_BAR
        letter, repeat, back_parts = self._form(part)
        lookbacks = [self._event_at(now - bars * meter.bar_units) for bars in LOOKBACK_BARS]
        lookbacks.append(self._event_at(now - back_parts * PART_BARS * meter.bar_units) if back_parts else (PITCH_NONE, 0))
        parts = -(-self.total_bars // PART_BARS)
        part_end = min(self.total_bars, (part + 1) * PART_BARS)
        row += [p for p, _ in lookbacks] + [d for _, d in lookbacks] + [
            min(in_bar // meter.beat_units, 3),
            in_bar % meter.beat_units,
            meter.beats_per_bar,
            int(meter.compound),
            SUPPORTED_METERS.index(str(meter)),
            part_bar,
            min(max(part_end - 1 - max(bar_index, 0), 0), PART_BARS - 1),
            min(max(parts - 1 - part, 0), MAX_PARTS_LEFT),
            letter,
            repeat,
            int(self.mode == MINOR),
            self.rhythm,
        ]
        return row

    def _form(self, part: int) -> tuple[int, int, int]:
        """(letter 1.. or 0 when free, how many times this letter came before, parts back to its
        last occurrence or 0): what the plan says about ``part``."""
        if self.plan is None or part >= len(self.plan):
            return 0, 0, 0
        letter = self.plan[part]
        earlier = [i for i in range(part) if self.plan[i] == letter]
        number = min(ord(letter) - ord("A") + 1, MAX_LETTERS)
        return number, min(len(earlier), MAX_REPEATS), part - earlier[-1] if earlier else 0

    def _event_at(self, time: int) -> tuple[int, int]:
        """What sounded at ``time``: its pitch id, and its duration if it began exactly then."""
        if not self.onsets or time < self.onsets[0]:
            return PITCH_NONE, 0
        index = bisect.bisect_right(self.onsets, time) - 1
        return self.pitch_ids[index], self.durations[index] if self.onsets[index] == time else 0

    def bar_events(self, bar_index: int) -> tuple[tuple[int, int, int], ...]:
        """The events (position in bar, pitch id, duration) that begin in bar ``bar_index``."""
        bar = self.meter.bar_units
        low = bisect.bisect_left(self.onsets, bar_index * bar)
        high = bisect.bisect_left(self.onsets, (bar_index + 1) * bar)
        return tuple((self.onsets[i] - bar_index * bar, self.pitch_ids[i], self.durations[i]) for i in range(low, high))


def encode(tune: Tune, plan: str | None) -> tuple[list[list[int]], list[int], list[int]]:
    """Feature rows and targets (pitch ids, durations) for every event of a tune, under ``plan``
    and the tune's own rhythm style."""
    timeline = Timeline(tune.meter, tune.key.mode, tune.bars, tune.pickup, plan, tune_rhythm(tune))
    rows, target_pitches, target_durations = [], [], []
    for pitch, duration in zip(tune.pitches, tune.durations):
        pitch_id = normalised_pitch_id(pitch, tune.key.shift)
        rows.append(timeline.features())
        target_pitches.append(pitch_id)
        target_durations.append(duration)
        timeline.add(pitch_id, duration)
    return rows, target_pitches, target_durations


def tune_rhythm(tune: Tune) -> int:
    """A real tune's rhythm style (an index into RHYTHMS), its pickup included."""
    return rhythm_of(onsets_of(tune))


def onsets_of(tune: Tune) -> list[int]:
    """Each event's onset in units from the first downbeat (a pickup's are negative)."""
    onsets, now = [], -tune.pickup
    for duration in tune.durations:
        onsets.append(now)
        now += duration
    return onsets
