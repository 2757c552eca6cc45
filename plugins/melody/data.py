"""Loading melodies from MIDI and ABC files, the train/validation split, and training batches.

MIDI needs only pretty_midi. ABC goes through music21 when it is installed (an optional
dependency: ``pip install music21``); a folder of MIDI files never needs it.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Iterator
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from engine import BadInput

from engine.theory import MAJOR, MINOR, Key, find_key, pitch_class_histogram

from .events import UNITS_PER_QUARTER, Meter, Tune, encode, events_from_notes, meter_or_none
from .form import tune_form

MIDI_SUFFIXES = (".mid", ".midi")
ABC_SUFFIXES = (".abc",)
MIN_EVENTS = 8
VALIDATION_PERCENT = 10


# -- MIDI ----------------------------------------------------------------------------------------
def read_midi(path: Path, *, find_downbeat: bool = True) -> Tune:
    """The top line of the first pitched track with notes, as a Tune; BadInput when there is none.

    A short first bar (a time signature that lasts less than the meter after it, as ABC
    converters and Muse write an anacrusis) says where the first downbeat is. Without one,
    ``find_downbeat`` looks for the bar phase in note velocities (abc2midi and most notation
    programs accent downbeats), so a pickup is recognised; otherwise bar 0 starts at tick 0.
    """
    import warnings

    import pretty_midi

    path = Path(path)
    try:
        with warnings.catch_warnings():  # pretty_midi warns about meta events on odd tracks; we read them anyway
            warnings.simplefilter("ignore", RuntimeWarning)
            midi = pretty_midi.PrettyMIDI(str(path))
    except Exception as error:  # mido raises many kinds of errors on damaged or foreign files
        raise BadInput(f"{path}: not a readable MIDI file ({type(error).__name__}: {error})") from None
    tracks = [inst for inst in midi.instruments if inst.notes]
    pitched = [inst for inst in tracks if not inst.is_drum]
    if not pitched:
        what = "only drum notes" if tracks else "no notes"
        raise BadInput(f"{path}: the MIDI file has {what}; a melody needs a pitched track")
    track = pitched[0]
    meter = Meter(4, 4)
    notes: list[str] = []
    resolution = midi.resolution

    def units(seconds: float) -> int:
        return round(midi.time_to_tick(seconds) * UNITS_PER_QUARTER / resolution)

    signatures = midi.time_signature_changes
    short_first_bar = (len(signatures) > 1 and signatures[0].time == 0
                       and signatures[0].numerator / signatures[0].denominator < signatures[1].numerator / signatures[1].denominator
                       and units(signatures[1].time) == signatures[0].numerator * 4 * UNITS_PER_QUARTER // signatures[0].denominator)
    if signatures:
        sig = signatures[1] if short_first_bar else signatures[0]
        found = meter_or_none(sig.numerator, sig.denominator)
        if found is None:
            raise BadInput(f"{path}: meter {sig.numerator}/{sig.denominator} is not supported by the melody model")
        meter = found
    ordered = sorted(track.notes, key=lambda n: (n.start, -n.pitch))
    onsets = [units(n.start) for n in ordered]
    ends = [units(n.end) for n in ordered]
    pitches = [n.pitch for n in ordered]
    if short_first_bar:  # the file says where the first downbeat is: a short first bar, as ABC converters write pickups
        downbeat = units(signatures[1].time)
    elif find_downbeat:
        downbeat = _downbeat_phase(onsets, [n.velocity for n in ordered], meter.bar_units)
    else:
        downbeat = 0
    if not find_downbeat and not short_first_bar and onsets[0] > 0:  # keep a leading silence as a rest
        onsets, ends, pitches = [0] + onsets, [onsets[0]] + ends, [-1] + pitches
    out_pitches, durations, pickup, reduced = events_from_notes(onsets, ends, pitches, downbeat, meter.bar_units)
    out_pitches = [None if p == -1 else p for p in out_pitches]
    if reduced:
        notes.append(f"{path.name}: track {track.name or pitched.index(track) + 1!r} has chords or overlapping notes; using its top line")
    if len(pitched) > 1:
        notes.append(f"{path.name}: {len(pitched)} pitched tracks; using the first one")
    key = _midi_key(midi, out_pitches, durations)
    return Tune(path.stem, out_pitches, durations, meter, key, pickup, notes)


def _downbeat_phase(onsets: list[int], velocities: list[int], bar_units: int) -> int:
    """Where bars start (mod a bar), judged by which onsets carry the loudest notes."""
    loudest = max(velocities)
    if len(set(velocities)) < 2:
        return 0
    phases = Counter(onset % bar_units for onset, velocity in zip(onsets, velocities) if velocity == loudest)
    return phases.most_common(1)[0][0]


def _midi_key(midi, pitches: list[int | None], durations: list[int]) -> Key:
    if midi.key_signature_changes:
        return Key.from_midi_number(midi.key_signature_changes[0].key_number)
    sounding = [(p, d) for p, d in zip(pitches, durations) if p is not None]
    return find_key(pitch_class_histogram([p for p, _ in sounding], [d for _, d in sounding]))


# -- ABC -----------------------------------------------------------------------------------------
def read_abc(path: Path) -> tuple[list[Tune], list[str]]:
    """Every tune of an ABC file (through music21), and notes about the ones skipped."""
    try:
        import music21
    except ImportError:
        raise BadInput(f"{path}: reading ABC needs music21 (pip install music21); MIDI folders do not") from None
    text = Path(path).read_text(encoding="utf-8", errors="replace")
    chunks = abc_chunks(text)
    if not chunks:
        raise BadInput(f"{path}: no ABC tunes (no X: header found)")
    tunes, notes = [], []
    with _no_beams(music21):
        for number, chunk in enumerate(chunks, 1):
            title = re.search(r"(?m)^T:(.*)$", chunk)
            name = f"{Path(path).stem}-{number}-{title.group(1).strip() if title else 'untitled'}"
            try:
                score = music21.converter.parse(chunk, format="abc")
                tunes.append(_tune_from_music21(score, name))
            except BadInput as error:
                notes.append(f"{name}: {error}")
            except Exception as error:  # music21 raises many kinds of errors on odd ABC
                notes.append(f"{name}: music21 could not read it ({type(error).__name__})")
    return tunes, notes


def abc_chunks(text: str) -> list[str]:
    """The tunes of an ABC file's text, one string each, with wrapped header lines joined."""
    return [join_wrapped_header(c) for c in re.split(r"(?m)^(?=X:)", text) if c.strip().startswith("X:")]


_FIELD_OR_COMMENT = re.compile(r"^([A-Za-z+]:|%)")


def join_wrapped_header(chunk: str) -> str:
    """A tune's text with header lines that wrapped onto a line of their own joined back.

    Tune notes in CRÉ often run over two lines (``N:I prefer ...`` then plain text on the next
    line, before ``K:``). music21 reads that plain line as notes before a key and a note
    length are known and gives up on the whole tune (about 175 of CRÉ's 1,224 tunes). In the
    header every line is a field (``T:``, ``N:`` ...) or a comment, so a line that is neither
    continues the field above it.
    """
    lines = chunk.split("\n")
    body = next((i for i, line in enumerate(lines) if line.startswith("K:")), None)
    if body is None:  # no header end to go by: leave the tune as written
        return chunk
    header: list[str] = []
    for line in lines[:body]:
        if header and line.strip() and not _FIELD_OR_COMMENT.match(line):
            header[-1] = f"{header[-1].rstrip()} {line.strip()}"
        else:
            header.append(line)
    return "\n".join(header + lines[body:])


@contextlib.contextmanager
def _no_beams(music21) -> Iterator[None]:
    """music21 spends about 70% of its ABC parsing time drawing beams, which are engraving and
    change no note: while we read, making beams does nothing."""
    stream = music21.stream.Stream
    original = stream.makeBeams
    stream.makeBeams = lambda self, *args, **kwargs: None if kwargs.get("inPlace") else self
    try:
        yield
    finally:
        stream.makeBeams = original


def _tune_from_music21(score, name: str) -> Tune:
    from music21 import chord, harmony, key, meter, repeat

    try:
        score = score.expandRepeats()
    except (repeat.ExpanderException, Exception):  # unbalanced repeat marks: keep the tune as written
        pass
    part = score.parts[0] if hasattr(score, "parts") and score.parts else score
    signatures = list(part.recurse().getElementsByClass(meter.TimeSignature))
    if not signatures:
        raise BadInput("no meter")
    found = meter_or_none(signatures[0].numerator, signatures[0].denominator)
    if found is None:
        raise BadInput(f"meter {signatures[0].ratioString} is not supported")
    measures = list(part.getElementsByClass("Measure"))
    downbeat = 0
    if len(measures) > 1 and measures[0].duration.quarterLength < found.bar_units / UNITS_PER_QUARTER:
        downbeat = round(measures[1].offset * UNITS_PER_QUARTER)
    onsets, ends, pitches = [], [], []
    flat = part.flatten()
    flat.stripTies(inPlace=True)  # the flat stream is already a new one: no deep copy needed
    for element in flat.notes:
        if isinstance(element, harmony.ChordSymbol) or element.duration.quarterLength == 0:
            continue  # chord symbols are not notes; grace notes take no time of their own
        pitch = max(p.midi for p in element.pitches) if isinstance(element, chord.Chord) else element.pitch.midi
        start = round(float(element.offset) * UNITS_PER_QUARTER)
        onsets.append(start)
        ends.append(start + round(float(element.quarterLength) * UNITS_PER_QUARTER))
        pitches.append(pitch)
    if len(onsets) < MIN_EVENTS:
        raise BadInput("too few notes")
    out_pitches, durations, pickup, _ = events_from_notes(onsets, ends, pitches, downbeat, found.bar_units)
    keys = list(part.recurse().getElementsByClass(key.Key))
    if keys:
        mode = MINOR if keys[0].mode in ("minor", "dorian", "phrygian", "aeolian", "locrian") else MAJOR
        tune_key = Key(keys[0].tonic.pitchClass, mode)
    else:
        sounding = [(p, d) for p, d in zip(out_pitches, durations) if p is not None]
        tune_key = find_key(pitch_class_histogram([p for p, _ in sounding], [d for _, d in sounding]))
    return Tune(name, out_pitches, durations, found, tune_key, pickup)


# -- the split ---------------------------------------------------------------------------------
def _bucket(tune: Tune) -> int:
    """A stable number 0-99 from the tune's name: the same split every run, in any file order."""
    return int.from_bytes(hashlib.sha256(tune.name.lower().encode()).digest()[:4], "big") % 100


def split(tunes: list[Tune]) -> tuple[list[Tune], list[Tune]]:
    """Train and held-out tunes, whole tunes each (10% held out by name); a small corpus holds one
    back, and a corpus of one tune trains on it with nothing held out."""
    if len(tunes) == 1:
        return list(tunes), []
    train = [t for t in tunes if _bucket(t) >= VALIDATION_PERCENT]
    held = [t for t in tunes if _bucket(t) < VALIDATION_PERCENT]
    if len(tunes) > 1 and (not held or not train):
        ranked = sorted(tunes, key=lambda t: (_bucket(t), t.name))
        held, train = ranked[:1], ranked[1:]
    return train, held


# -- tensors -------------------------------------------------------------------------------------
@dataclass
class Encoded:
    """Every event of a set of tunes as padded int64 tensors: features (N, T, F), targets (N, T)."""

    features: object
    pitches: object
    durations: object
    lengths: object

    @property
    def events(self) -> int:
        return int(self.lengths.sum())


#: One tune in this many is encoded with no form plan, so the model also learns to write (and
#: score) a tune whose form it is not told: ``form=free``.
FREE_FORM_EVERY = 7


def training_plan(tune: Tune) -> str | None:
    """The form the model is told for a real tune: its own letters, or None for one in seven."""
    return None if _bucket(tune) % FREE_FORM_EVERY == 3 else tune_form(tune)


def encode_tunes(tunes: list[Tune]) -> Encoded:
    import torch

    encoded = [encode(t, training_plan(t)) for t in tunes]
    longest = max(len(rows) for rows, _, _ in encoded)
    width = len(encoded[0][0][0])
    features = torch.zeros(len(tunes), longest, width, dtype=torch.long)
    pitches = torch.zeros(len(tunes), longest, dtype=torch.long)
    durations = torch.zeros(len(tunes), longest, dtype=torch.long)
    lengths = torch.zeros(len(tunes), dtype=torch.long)
    for index, (rows, target_pitches, target_durations) in enumerate(encoded):
        count = len(rows)
        features[index, :count] = torch.tensor(rows, dtype=torch.long)
        pitches[index, :count] = torch.tensor(target_pitches, dtype=torch.long)
        durations[index, :count] = torch.tensor(target_durations, dtype=torch.long)
        lengths[index] = count
    return Encoded(features, pitches, durations, lengths)


def crop_batch(data: Encoded, indices, window: int, generator) -> tuple:
    """A batch of windows of at most ``window`` events, one per tune, starting at random places.

    Padding positions have target pitch 0, which the loss ignores. The features of every event
    (lookback included) were computed over the whole tune, so a window loses only LSTM state.
    """
    import torch

    lengths = data.lengths[indices]
    span = min(window, int(lengths.max()))
    starts = (torch.rand(len(indices), generator=generator) * (lengths - span).clamp(min=0).add(1)).long()
    offsets = starts[:, None] + torch.arange(span)[None, :]
    valid = offsets < lengths[:, None]
    offsets = offsets.clamp(max=data.features.shape[1] - 1)
    rows = torch.as_tensor(indices)[:, None]
    features = data.features[rows, offsets]
    pitches = data.pitches[rows, offsets].masked_fill(~valid, 0)
    durations = data.durations[rows, offsets]
    return features, pitches, durations
