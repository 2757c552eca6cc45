"""The `accompany` composer's craft: key, chords, a bass line, a chord pattern and a drum groove.

:func:`accompaniment_for` is the one entry point; the `song` and `sonify` composers call it too,
so every accompaniment in Muse is made the same way.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any
from collections.abc import Sequence

from engine import Note, Score, Track
from engine.theory import Chord, Key, beats_per_group, find_key, metric_weight, nearest_in_range, parse_key, pitch_class_durations

from .harmony import ChordSpan, choose_chords
from .scoretools import Grid, melody_grid, melody_track, monophonic

BASS_RANGE = (28, 55)  # E1..G3: what a bass guitar or a cello section plays comfortably
BASS_HOME = (36, 47)  # roots sit in C2..B2 so the fifth above still fits the range
CHORD_RANGE = (50, 74)  # D3..D5: under the tune, above the bass
KICK, SNARE, CLOSED_HAT, CRASH = 36, 38, 42, 49  # General MIDI percussion keys
STRUM_SPREAD = 0.012  # seconds between strings in a strum


@dataclass(frozen=True)
class AccompanimentOptions:
    style: str = "arpeggio"
    chord_rate: str = "auto"
    sevenths: bool = False
    drums: bool = True
    bass_program: int = 33
    chord_program: int = 0

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> AccompanimentOptions:
        names = cls.__dataclass_fields__
        return cls(**{name: params[name] for name in names if name in params})


@dataclass
class Accompaniment:
    key: Key
    spans: list[ChordSpan]
    tracks: list[Track]

    @property
    def chord_names(self) -> list[str]:
        return [span.chord.name for span in self.spans]


def resolve_key(requested: str | None, score_key: str | None, notes: Sequence[Note]) -> tuple[Key, str]:
    """The key to harmonise in and where it came from ("param", "score" or "detected")."""
    if requested:
        return parse_key(requested), "param"
    if score_key:
        return parse_key(score_key), "score"
    return find_key(pitch_class_durations(notes)), "detected"


def accompaniment_for(melody: Sequence[Note], grid: Grid, key: Key, options: AccompanimentOptions,
                      seed: int) -> Accompaniment:
    """Chords for ``melody`` and the bass, chord and (optional) drum tracks that play them."""
    rng = random.Random(seed)
    per_bar = 2 if options.chord_rate in ("half", "auto") and grid.beats_per_bar % 2 == 0 else 1
    spans = choose_chords(melody, key, grid, per_bar, options.sevenths)
    if options.chord_rate == "auto":
        spans = _merge_held(spans, grid)
    ceiling = _chord_ceiling(melody)
    tracks = [
        Track(bass_line(spans, grid, key, rng), program=options.bass_program, name="bass"),
        Track(chord_part(spans, grid, options.style, ceiling, rng), program=options.chord_program,
              name=f"chords ({options.style})"),
    ]
    if options.drums:
        tracks.append(Track(drum_groove(grid, rng), program=0, is_drum=True, name="drums"))
    return Accompaniment(key, spans, tracks)


def accompany_score(score: Score, params: dict[str, Any], seed: int) -> Score:
    """The `accompany` composer: the input's tracks plus bass, chords and drums."""
    melody = monophonic(melody_track(score).notes)
    key, source = resolve_key(params.get("key"), score.key, melody)
    grid, downbeat = melody_grid(score, melody)
    result = accompaniment_for(melody, grid, key, AccompanimentOptions.from_params(params), seed)
    return Score(
        tracks=[Track(list(t.notes), t.program, t.is_drum, t.name) for t in score.tracks] + result.tracks,
        tempo=score.tempo, time_signature=score.time_signature, key=key.name, lyrics=list(score.lyrics),
        pickup=downbeat.first % score.seconds_per_bar / score.seconds_per_beat if downbeat.first > 1e-6 else 0.0,
        meta={"key": key.name, "key_source": source, "chords": result.chord_names,
              "downbeat": {"first": round(downbeat.first, 4), "pickup_beats": round(downbeat.pickup, 3),
                           "source": downbeat.source}},
    )


def _merge_held(spans: list[ChordSpan], grid: Grid) -> list[ChordSpan]:
    """Half bars that hold their bar's chord as one whole-bar span, so the bass and chords play
    a bar's pattern (root and fifth) where the harmony does not move."""
    merged: list[ChordSpan] = []
    for span in spans:
        mid_bar = abs(grid.beats(span.start) / grid.beats_per_bar - round(grid.beats(span.start) / grid.beats_per_bar)) > 1e-6
        if merged and mid_bar and merged[-1].chord == span.chord:
            merged[-1] = ChordSpan(merged[-1].start, span.end, span.chord)
        else:
            merged.append(span)
    return merged


def _chord_ceiling(melody: Sequence[Note]) -> int:
    """Highest pitch the chords may reach: a little under most of the tune, so it stays on top."""
    if not melody:
        return CHORD_RANGE[1]
    pitches = sorted(note.pitch for note in melody)
    low_tune = pitches[len(pitches) // 5]
    return max(60, min(CHORD_RANGE[1], low_tune - 1))


# -- bass ----------------------------------------------------------------------------------------
def bass_line(spans: Sequence[ChordSpan], grid: Grid, key: Key, rng: random.Random) -> list[Note]:
    """Root on each chord's downbeat, the fifth on the bar's other strong beat; in 4/4 some bars
    walk (root, root, fifth, a step into the next chord's root), chosen by the seed."""
    notes: list[Note] = []
    beats = grid.beats_per_bar
    for index, span in enumerate(spans):
        root = nearest_in_range(span.chord.root, 41, *BASS_HOME)
        fifth = root + 7 if root + 7 <= BASS_RANGE[1] else root - 5
        length = (span.end - span.start) / grid.seconds_per_beat
        following = spans[index + 1].chord if index + 1 < len(spans) else None
        if length >= 4 and beats == 4 and following is not None and rng.random() < 0.4:
            target = nearest_in_range(following.root, root, *BASS_HOME)
            approach = _step_towards(target, key, rng)
            pattern = [(0, 1, root), (1, 1, root), (2, 1, fifth), (3, 1, approach)]
        elif length >= 4 or (grid.meter[1] == 8 and length >= 6):
            half = length / 2
            pattern = [(0, half, root), (half, half, fifth)]
        elif length == 3:
            pattern = [(0, 2, root), (2, 1, fifth)]
        else:
            pattern = [(0, length, root)]
        for offset, duration, pitch in pattern:
            start = span.start + offset * grid.seconds_per_beat
            end = start + duration * grid.seconds_per_beat * 0.92
            accent = 88 if offset == 0 else 76
            notes.append(Note(pitch, start, min(end, span.end), accent))
    return notes


def _step_towards(target: int, key: Key, rng: random.Random) -> int:
    """A scale tone next to ``target``, from above or below (the seed picks), kept in bass range."""
    candidates = [p for p in (target - 2, target - 1, target + 1, target + 2) if p % 12 in key.scale]
    below = [p for p in candidates if p < target] or candidates
    above = [p for p in candidates if p > target] or candidates
    pitch = max(below) if rng.random() < 0.6 else min(above)
    return min(max(pitch, BASS_RANGE[0]), BASS_RANGE[1])


# -- chords --------------------------------------------------------------------------------------
def voicing(chord: Chord, previous: Sequence[int] | None, ceiling: int) -> list[int]:
    """A close-position voicing of ``chord`` under ``ceiling``, moving as little as possible
    from ``previous`` (smooth voice leading), or centred in the range for the first chord."""
    low = CHORD_RANGE[0]
    options = []
    size = len(chord.pitch_classes)
    for inversion in range(size):
        order = chord.pitch_classes[inversion:] + chord.pitch_classes[:inversion]
        for bottom in range(low, ceiling + 1):
            if bottom % 12 != order[0]:
                continue
            pitches = [bottom]
            for pitch_class in order[1:]:
                pitches.append(pitches[-1] + (pitch_class - pitches[-1]) % 12)
            if pitches[-1] <= ceiling:
                options.append(pitches)
    if not options:  # a narrow range: stack from the bottom anyway
        return sorted(nearest_in_range(pc, low + 6, low, low + 12) for pc in chord.pitch_classes)
    if previous:
        reference = sorted(previous)

        def movement(pitches: list[int]) -> float:
            if len(pitches) == len(reference):
                return sum(abs(a - b) for a, b in zip(pitches, reference))
            return abs(sum(pitches) / len(pitches) - sum(reference) / len(reference)) * len(pitches)

        return min(options, key=lambda p: (movement(p), p))
    centre = (low + ceiling) / 2
    return min(options, key=lambda p: (abs(sum(p) / len(p) - centre), p))


def chord_part(spans: Sequence[ChordSpan], grid: Grid, style: str, ceiling: int, rng: random.Random) -> list[Note]:
    """The chords played as ``style``: block (sustained, re-struck on the strong beats),
    arpeggio (broken chords on a steady eighth pulse) or strum (a guitar's down/up strums)."""
    notes: list[Note] = []
    previous: list[int] | None = None
    voicings = []
    for span in spans:
        previous = voicing(span.chord, previous, ceiling)
        voicings.append(previous)
    pattern = RHYTHMS[style](grid.meter)
    arpeggio_step = (pattern[1][0] - pattern[0][0]) * grid.seconds_per_beat if len(pattern) > 1 else grid.seconds_per_bar
    for bar in range(grid.bars):
        for position, (beat, direction) in enumerate(pattern):
            start = grid.time(bar, beat)
            index = next((i for i, s in enumerate(spans) if s.start - 1e-6 <= start < s.end - 1e-6), None)
            if index is None:
                continue
            next_beat = pattern[position + 1][0] if position + 1 < len(pattern) else grid.beats_per_bar
            end = min(grid.time(bar, next_beat), spans[index].end)
            pitches = voicings[index]
            accent = 1.0 if metric_weight(beat, grid.meter) >= 0.75 else 0.85
            if style == "arpeggio":
                order = _arpeggio_order(len(pitches))
                step = round((start - spans[index].start) / arpeggio_step)
                chosen = order[step % len(order)]
                if chosen == len(pitches):  # the root an octave up, unless that would climb over the tune
                    pitch = pitches[0] + 12 if pitches[0] + 12 <= ceiling else pitches[1]
                else:
                    pitch = pitches[chosen]
                # Each note rings on into the next, as a sustained piano arpeggio does.
                notes.append(Note(pitch, start, start + (end - start) * 1.6, _humanize(int(62 * accent), rng)))
            elif style == "strum":
                strings = pitches if direction >= 0 else list(reversed(pitches))
                velocity = int((70 if direction >= 0 else 56) * accent)
                for number, pitch in enumerate(strings):
                    onset = start + number * STRUM_SPREAD
                    notes.append(Note(pitch, onset, max(onset + 0.05, end - 0.02), _humanize(velocity, rng)))
            else:
                for pitch in pitches:
                    notes.append(Note(pitch, start, start + (end - start) * 0.95, _humanize(int(60 * accent), rng)))
    notes.sort(key=lambda n: (n.start, n.pitch))
    return [n for n in notes if n.start < grid.end]


def _arpeggio_order(size: int) -> list[int]:
    """Up and back down over the chord with the root's octave on top (index ``size``)."""
    up = list(range(size + 1))
    return up + up[-2:0:-1]


def _humanize(velocity: int, rng: random.Random) -> int:
    return max(1, min(127, velocity + rng.randint(-4, 4)))


def _block_rhythm(meter: tuple[int, int]) -> list[tuple[float, int]]:
    numerator, denominator = meter
    if numerator == 3 and denominator in (2, 4):
        return [(1, 1), (2, 1)]  # oom-pah-pah: the bass has the downbeat
    group = beats_per_group(meter)
    if group == 3:
        return [(b, 1) for b in range(0, numerator, 3)]
    if numerator % 2 == 0 and numerator >= 4:
        return [(b, 1) for b in range(0, numerator, 2)]
    return [(b, 1) for b in range(numerator)]


def _arpeggio_rhythm(meter: tuple[int, int]) -> list[tuple[float, int]]:
    numerator, denominator = meter
    step = 1.0 if denominator >= 8 else 0.5
    return [(i * step, 1) for i in range(int(numerator / step))]


def _strum_rhythm(meter: tuple[int, int]) -> list[tuple[float, int]]:
    """Down (+1) and up (-1) strums in the patterns guitarists reach for first."""
    numerator, denominator = meter
    if (numerator, denominator) == (4, 4):
        return [(0, 1), (1, 1), (1.5, -1), (2.5, -1), (3, 1), (3.5, -1)]
    if (numerator, denominator) == (3, 4):
        return [(0, 1), (1, 1), (1.5, -1), (2, 1), (2.5, -1)]
    if beats_per_group(meter) == 3:
        return [(b + offset, d) for b in range(0, numerator, 3) for offset, d in ((0, 1), (2, -1))]
    step = 1.0 if denominator >= 8 else 0.5
    return [(i * step, 1 if i % 2 == 0 else -1) for i in range(int(numerator / step))]


RHYTHMS = {"block": _block_rhythm, "arpeggio": _arpeggio_rhythm, "strum": _strum_rhythm}


# -- drums ---------------------------------------------------------------------------------------
def drum_pattern(meter: tuple[int, int], busy: bool) -> tuple[int, list[tuple[int, int, int]]]:
    """Steps per bar and ``(step, drum, velocity)`` hits of one bar that fits ``meter``.

    Simple meters run on an eighth-note grid (two steps a beat), compound ones on their own
    eighths; ``busy`` adds a pickup kick, the variation a drummer plays every few bars.
    """
    numerator, denominator = meter
    per_beat = 1 if denominator >= 8 else 2
    steps = numerator * per_beat
    hits = [(step, CLOSED_HAT, 70 if step % per_beat == 0 else 50) for step in range(steps)]
    if beats_per_group(meter) == 3:
        hits += [(0, KICK, 100)] + [(s, SNARE, 88) for s in range(3, numerator, 6)]
        hits += [(s, KICK, 86) for s in range(6, numerator, 6)]
        if busy:
            hits.append((steps - 1, KICK, 70))
    elif numerator == 3:
        hits += [(0, KICK, 100), (1 * per_beat, SNARE, 70), (2 * per_beat, SNARE, 70)]
        if busy:
            hits.append((steps - 1, KICK, 68))
    else:
        backbeats = range(1, numerator, 2) if numerator >= 2 else ()
        hits += [(0, KICK, 100)] + [(b * per_beat, SNARE, 92) for b in backbeats]
        hits += [(b * per_beat, KICK, 88) for b in range(2, numerator, 2)]
        if busy:
            hits.append((steps - per_beat + 1 if per_beat > 1 else steps - 1, KICK, 76))
    return steps, sorted(hits)


def drum_groove(grid: Grid, rng: random.Random) -> list[Note]:
    """A groove for every bar, a crash to open, and a busier bar at the end of each four-bar
    phrase and now and then elsewhere (the seed decides where)."""
    notes: list[Note] = []
    for bar in range(grid.bars):
        busy = bar % 4 == 3 or rng.random() < 0.15
        steps, hits = drum_pattern(grid.meter, busy)
        step_seconds = grid.seconds_per_bar / steps
        for step, drum, velocity in hits:
            start = grid.time(bar, 0) + step * step_seconds
            notes.append(Note(drum, start, start + min(0.1, step_seconds), _humanize(velocity, rng)))
        if bar == 0:
            notes.append(Note(CRASH, grid.start, grid.start + 0.1, 96))
    notes.sort(key=lambda n: (n.start, n.pitch))
    return notes
