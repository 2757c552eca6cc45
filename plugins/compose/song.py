"""The `song` composer: a poem set to a melody, with karaoke lyrics and an accompaniment.

Each poem line is sung to one phrase of the melody: 2 or 4 bars (1 at a slow tempo, 8 for a long
line at a fast one), counted from the melody's first true downbeat, as long as it takes to sing
the lines at no more than ``max_rate`` syllables a second, and ending in a rest to breathe. A
line rarely has as many syllables as its phrase has notes, so :func:`fit_line` chooses where the
syllables go: on the phrase's own note onsets where it can, on extra onsets made by splitting a
note where the line needs more, merging notes where it needs fewer; it prefers placements that
put stressed syllables on strong beats and unstressed ones off them, spread the line over its
phrase evenly, and avoid syllables too short to sing. That choice is a small dynamic program (an
alignment of syllables to candidate onsets), so it is optimal for its costs, not greedy.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from collections.abc import Sequence

from engine import Lyric, Note, Score, Text, Track
from engine.theory import beats_per_group, metric_weight

from .accompany import AccompanimentOptions, accompaniment_for, resolve_key
from .scoretools import Grid, melody_grid, melody_track, monophonic
from .syllables import Syllable, detect_language, syllabify

if TYPE_CHECKING:
    from engine.components import Context

#: Cost of singing a syllable on an onset the melody does not have (splitting a note).
SPLIT_COST = 0.45
#: Cost of passing over one of the melody's onsets (merging it into the previous syllable).
MERGE_COST = 0.55
#: Cost per beat a syllable strays from its even share of the phrase (keeps a line spread over
#: its phrase instead of crammed into its first bar).
PACE_COST = 0.1
#: A syllable shorter than this many seconds is hard to sing; each costs SHORT_COST.
SHORT_SYLLABLE = 0.2
SHORT_COST = 1.0
PHRASE_CHOICES = (1, 2, 4, 8)
#: One bar per line only when two bars would sing the lines slower than this (a slow tempo).
SLOWEST_RATE = 1.5
#: A song sets at most this many lines (a long ballad has ~100): the lines' phrases, and the
#: melody the generator may add for them, grow with it.
MAX_SONG_LINES = 400
#: Syllables one line may have: the alignment is a syllables x onsets table per line.
MAX_LINE_SYLLABLES = 64


@dataclass
class Phrase:
    """A bar-aligned stretch of the melody; note times are relative to its start."""

    notes: list[Note]
    length: float
    source: str = "melody"


@dataclass
class SungLine:
    notes: list[Note]
    lyrics: list[Lyric]
    split: int = 0
    merged: int = 0


@dataclass
class SongPlan:
    """Which phrase sings which line, and how the melody was stretched to have enough."""

    phrase_bars: int
    phrases: list[Phrase]
    order: list[int] = field(default_factory=list)
    repeated: int = 0


def split_phrases(melody: Sequence[Note], seconds_per_bar: float, bars_per_phrase: int, total_bars: int,
                  downbeat: float = 0.0) -> list[Phrase]:
    """The melody cut every ``bars_per_phrase`` bars from its first downbeat (a pickup before it
    is left to the lines' own pickups); empty stretches (long rests) are left out."""
    length = bars_per_phrase * seconds_per_bar
    slack = seconds_per_bar * 0.01  # an onset a hair early still belongs to its bar
    phrases = []
    for first in range(0, total_bars, bars_per_phrase):
        start = downbeat + first * seconds_per_bar
        end = start + length
        notes = [Note(n.pitch, max(0.0, n.start - start), min(n.end, end) - start, n.velocity)
                 for n in melody if start - slack <= n.start < end - slack]
        if notes:
            phrases.append(Phrase(notes, length))
    return phrases


def line_rest(seconds_per_beat: float, meter: tuple[int, int]) -> float:
    """The breath at the end of each line: a beat, or a dotted-quarter pulse in compound meters."""
    return beats_per_group(meter) * seconds_per_beat


def choose_phrase_bars(lines: Sequence[Sequence[Syllable]], seconds_per_beat: float, meter: tuple[int, int],
                       max_rate: float) -> int:
    """Bars per line: the shortest phrase (2, 4 or 8 bars) that sings nine lines in ten at no
    more than ``max_rate`` syllables a second and has a strong beat for each of their stressed
    syllables, leaving the line-end rest; one bar when even two would drag (slower than
    SLOWEST_RATE at a slow tempo)."""
    bar = seconds_per_beat * meter[0]
    rest = line_rest(seconds_per_beat, meter)
    counts = sorted(len(line) for line in lines)
    stresses = sorted(sum(1 for s in line if s.stress == 1.0) for line in lines)
    typical, long = counts[len(counts) // 2], counts[min(len(counts) - 1, int(0.9 * len(counts)))]
    stressed = stresses[min(len(stresses) - 1, int(0.9 * len(stresses)))]

    def fits(bars: int) -> bool:
        sung = max(bars * bar - rest, 0.5 * bar)
        strong = sum(1 for b in range(bars * meter[0]) if metric_weight(b, meter) >= 0.5
                     and b * seconds_per_beat < sung - 1e-9)
        return long / sung <= max_rate and strong >= stressed

    if fits(1) and typical / (2 * bar - rest) < SLOWEST_RATE:
        return 1
    return next((bars for bars in PHRASE_CHOICES[1:] if fits(bars)), PHRASE_CHOICES[-1])


def phrase_order(phrases: Sequence[Phrase], lines: int, tonic: int, rng: random.Random) -> tuple[list[int], int]:
    """Which phrase each line sings: the melody in order, then (if the poem is longer) phrases
    drawn by the seed, never the same one twice running, ending on a phrase that lands on the
    tonic when there is one. Returns the order and how many lines reuse a phrase."""
    count = len(phrases)
    order = list(range(min(count, lines)))
    while len(order) < lines:
        choices = [i for i in range(count) if count == 1 or i != order[-1]]
        order.append(rng.choice(choices))
    repeated = max(0, lines - count)
    if repeated:
        cadences = [i for i, p in enumerate(phrases) if p.notes[-1].pitch % 12 == tonic]
        if cadences and order[-1] not in cadences:
            order[-1] = max(cadences)
    return order, repeated


def fit_line(syllables: Sequence[Syllable], phrase: Phrase, seconds_per_beat: float, meter: tuple[int, int],
             melisma: bool, pickup_room: float = 0.0, rest: float = 0.0) -> SungLine:
    """Put one syllable on each of len(syllables) onsets chosen in ``phrase`` (see module doc).

    With ``melisma`` the melody's notes all stay and a syllable can span several of them;
    otherwise notes that carry no syllable are merged into the one before (one note per
    syllable, as most songs set their words). A line that starts unstressed ("the RIver") may
    begin with a pickup before the phrase, within ``pickup_room`` seconds (negative times).
    The last ``rest`` seconds of the phrase are silent: the breath before the next line.
    """
    sung = max(phrase.length - rest, phrase.length / 2)
    notes = [Note(n.pitch, n.start, min(n.end, sung), n.velocity) for n in phrase.notes if n.start < sung - 1e-6]
    phrase = Phrase(notes or [Note(phrase.notes[0].pitch, 0.0, sung, phrase.notes[0].velocity)], sung, phrase.source)
    candidates = _candidate_onsets(phrase.notes, len(syllables), seconds_per_beat)
    if syllables[0].stress == 0.0:
        candidates = _pickup_onsets(meter, seconds_per_beat, pickup_room) + candidates
    chosen = _align(syllables, candidates, phrase.notes, seconds_per_beat, meter, sung)
    times = [candidates[j][0] for j in chosen]
    sources = [candidates[j][1] for j in chosen]
    lyrics = [Lyric(t, s.lyric) for t, s in zip(times, syllables)]
    split = sum(1 for j in chosen if not candidates[j][2])
    merged = len(phrase.notes) - (len(chosen) - split)
    if melisma:
        in_phrase = [t for t in times if t >= 0]
        pickups = [Note(phrase.notes[0].pitch, t, (times[k + 1]), phrase.notes[0].velocity)
                   for k, t in enumerate(times) if t < 0]
        notes = pickups + _split_notes(phrase.notes, in_phrase)
    else:
        notes = []
        for k, (time, source) in enumerate(zip(times, sources)):
            next_time = times[k + 1] if k + 1 < len(times) else phrase.length
            covered = [n for n in phrase.notes if time - 1e-6 <= n.start < next_time - 1e-6] + [phrase.notes[source]]
            # the line's last syllable is held up to the breath; the others until the next one
            end = next_time if k + 1 == len(times) else min(next_time, max(n.end for n in covered))
            notes.append(Note(phrase.notes[source].pitch, time, end, phrase.notes[source].velocity))
    accents = {round(t, 6): s.stress for t, s in zip(times, syllables)}
    for note in notes:
        if accents.get(round(note.start, 6)):
            note.velocity = min(127, note.velocity + 8)
    return SungLine(notes, lyrics, split, merged)


def _pickup_onsets(meter: tuple[int, int], seconds_per_beat: float, room: float) -> list[tuple[float, int, bool]]:
    """Onsets a beat and half a beat before the phrase (two and one eighths in x/8), sung to
    the phrase's first pitch; only those that fit in ``room`` seconds."""
    beats = (2.0, 1.0) if meter[1] >= 8 else (1.0, 0.5)
    return [(-b * seconds_per_beat, 0, False) for b in beats if b * seconds_per_beat <= room + 1e-9]


def _candidate_onsets(notes: Sequence[Note], needed: int, seconds_per_beat: float) -> list[tuple[float, int, bool]]:
    """``(time, index of the sounding note, is one of the melody's own onsets)``, by time.

    Split points fall on a beat grid inside long notes, halving the grid until there are enough
    onsets for the line; if even sixteenth-beats are too few, notes are cut in equal parts.
    """
    grid = 1.0
    while True:
        step = grid * seconds_per_beat
        found = []
        for index, note in enumerate(notes):
            found.append((note.start, index, True))
            first = math.floor(note.start / step + 1e-6) + 1
            for tick in range(first, math.ceil(note.end / step - 1e-6)):
                if tick * step < note.end - step * 0.5 + 1e-9:
                    found.append((tick * step, index, False))
        if len(found) >= needed or grid <= 1 / 8:
            break
        grid /= 2
    if len(found) < needed:
        pieces = math.ceil(needed / len(notes))
        found = [(n.start + k * n.duration / pieces, i, k == 0) for i, n in enumerate(notes) for k in range(pieces)]
    return sorted(found)


def _align(syllables: Sequence[Syllable], candidates: Sequence[tuple[float, int, bool]], notes: Sequence[Note],
           seconds_per_beat: float, meter: tuple[int, int], length: float) -> list[int]:
    """Indices of the candidates the syllables go on: minimum total cost, in time order.

    Costs: stress mismatch (a stressed syllable off the beat costs more than an unstressed one
    on it), SPLIT_COST per invented onset, MERGE_COST per skipped melody onset (less for a weak
    or repeated note, and half at the line's end where holding the last syllable is natural),
    PACE_COST per beat a syllable strays from an even spread of the line over its ``length``
    seconds, and SHORT_COST for a syllable under SHORT_SYLLABLE seconds.
    """
    import numpy as np

    count, size = len(syllables), len(candidates)
    times = np.array([t for t, _, _ in candidates])
    weights = np.array([metric_weight(t / seconds_per_beat, meter) for t in times])
    skip = np.zeros(size)
    for j, (_, index, original) in enumerate(candidates):
        if original:
            repeated = index > 0 and notes[index - 1].pitch == notes[index].pitch
            skip[j] = MERGE_COST * (0.5 + 0.5 * weights[j]) * (0.3 if repeated else 1.0)
    before = np.concatenate([[0.0], np.cumsum(skip)])  # before[j]: skipping everything left of j
    # an invented onset costs SPLIT_COST; half that before the phrase (a pickup splits no note)
    invented = np.array([0.0 if original else SPLIT_COST * (0.5 if t < 0 else 1.0) for t, _, original in candidates])
    stress = np.array([s.stress if s.stress is not None else np.nan for s in syllables])
    local = np.tile(invented, (count, 1))
    start = max(0.0, float(times.min()))
    share = (length - start) / count  # an even spread: syllable k at start + k * share
    for k, level in enumerate(stress):
        if not np.isnan(level):
            local[k] += np.maximum(0.0, level - weights) + 0.5 * np.maximum(0.0, weights - level)
        local[k] += PACE_COST * np.abs(np.maximum(times, 0.0) - (start + k * share)) / seconds_per_beat
    # step[j', j]: from a syllable on j' to the next on j (j' < j): the onsets skipped between,
    # and the cost of a first syllable too short to sing
    gap = times[None, :] - times[:, None]
    step = before[None, :-1] - before[1:, None] + np.where(gap < SHORT_SYLLABLE - 1e-9, SHORT_COST, 0.0)
    step[np.tril_indices(size)] = np.inf
    cost = before[:-1] + local[0]
    back = np.zeros((count, size), dtype=int)
    for k in range(1, count):
        total = cost[:, None] + step
        back[k] = total.argmin(axis=0)
        cost = total[back[k], np.arange(size)] + local[k]
    tail = 0.5 * (before[-1] - before[1:])  # onsets after the last syllable: holding it is natural
    last = int(np.argmin(cost + tail + np.where(length - times < SHORT_SYLLABLE - 1e-9, SHORT_COST, 0.0)))
    path = [last]
    for k in range(count - 1, 0, -1):
        path.append(int(back[k, path[-1]]))
    return path[::-1]


def _split_notes(notes: Sequence[Note], times: Sequence[float]) -> list[Note]:
    """The phrase's notes cut at the chosen onsets that fall inside a note (melisma mode);
    notes before the first syllable are dropped, as nobody sings them."""
    cuts = sorted(times)
    result = []
    for note in notes:
        if note.end <= cuts[0] + 1e-6:
            continue
        bounds = [max(note.start, cuts[0])] + [t for t in cuts if note.start + 1e-6 < t < note.end - 1e-6] + [note.end]
        result += [Note(note.pitch, a, b, note.velocity) for a, b in zip(bounds, bounds[1:]) if b - a > 1e-6]
    return result


def sung_rate(onsets: Sequence[float]) -> float:
    """Syllables a second within a line: onsets after the first over the time they take."""
    if len(onsets) < 2 or onsets[-1] <= onsets[0]:
        return 0.0
    return (len(onsets) - 1) / (onsets[-1] - onsets[0])


def make_song(text: Text, score: Score, params: dict[str, Any], seed: int, context: Context | None = None) -> Score:
    """The `song` composer (see the module docstring); ``context`` (the composer's) reaches the
    melody generator for ``extend=melody``."""
    from engine import BadInput

    lines = [line for line in text.lines]
    sung_lines = sum(1 for line in lines if line.strip())
    if sung_lines > MAX_SONG_LINES:
        raise BadInput(f"the poem has {sung_lines} lines; a song sets at most {MAX_SONG_LINES} (split it into several songs)")
    sung = [syllabify(line) for line in lines]
    if not any(sung):
        raise BadInput("the poem has no words to sing")
    longest = max(range(len(sung)), key=lambda k: len(sung[k]))
    if len(sung[longest]) > MAX_LINE_SYLLABLES:
        raise BadInput(f"line {longest + 1} of the poem has {len(sung[longest])} syllables; a sung line holds at most "
                       f"{MAX_LINE_SYLLABLES} (break it into shorter lines)")
    source_track = melody_track(score)
    melody = monophonic(source_track.notes)
    key, key_source = resolve_key(params.get("key"), score.key, melody)
    grid, downbeat = melody_grid(score, melody)
    line_lengths = [len(s) for s in sung if s]
    beat, meter = score.seconds_per_beat, score.time_signature
    bars = params["phrase_bars"] or choose_phrase_bars([s for s in sung if s], beat, meter, params["max_rate"])
    phrases = split_phrases(melody, score.seconds_per_bar, bars, grid.bars, grid.start)
    if not phrases:  # a melody all pickup and no bar: sing its notes as one phrase
        phrases = [Phrase([Note(n.pitch, n.start - melody[0].start, n.end - melody[0].start, n.velocity)
                           for n in melody], bars * score.seconds_per_bar)]
    rng = random.Random(seed)
    generated = 0
    if params["extend"] == "melody" and len(phrases) < len(line_lengths):
        from engine import MuseError

        from .extension import generated_phrases

        if context is None:
            raise MuseError("song: extend=melody needs the engine's context (call it through Engine.compose)")
        extra = generated_phrases(context, score, key, bars, len(line_lengths) - len(phrases), seed)
        phrases += extra
        generated = len(extra)
    order, repeated = phrase_order(phrases, len(line_lengths), key.tonic, rng)

    rest = line_rest(beat, meter)
    voice: list[Note] = []
    lyrics: list[Lyric] = []
    offset, line_number, stats = 0.0, 0, []
    for syllables in sung:
        if not syllables:  # a blank line between stanzas: one bar's breath
            offset += score.seconds_per_bar if voice else 0.0
            continue
        phrase = phrases[order[line_number]]
        # A pickup may take part of the previous line's breath, leaving half a beat of it;
        # the first line may take the end of a bar of introduction.
        room = score.seconds_per_bar if not voice else offset - voice[-1].end - beat / 2
        line = fit_line(syllables, phrase, beat, meter, params["melisma"], room, rest)
        pickup = min(0.0, line.lyrics[0].time)
        if pickup < 0 and not voice:
            offset += score.seconds_per_bar  # the pickup opens a bar of introduction
        voice += [Note(n.pitch, n.start + offset, n.end + offset, n.velocity) for n in line.notes]
        lyrics += [Lyric(round(lyric.time + offset, 6), lyric.text) for lyric in line.lyrics]
        times = [lyric.time for lyric in line.lyrics]
        stats.append({"syllables": len(syllables), "phrase": order[line_number], "split": line.split,
                      "merged": line.merged, "rate": round(sung_rate(times), 2)})
        offset += phrase.length
        line_number += 1

    song_bars = max(1, round(offset / score.seconds_per_bar))
    program = params["voice_program"] if params.get("voice_program") is not None else source_track.program
    tracks = [Track(voice, program=program, name="voice")]
    meta: dict[str, Any] = {
        "language": text.language or detect_language(lines), "key": key.name, "key_source": key_source,
        "phrase_bars": bars, "melody_phrases": len([p for p in phrases if p.source == "melody"]), "lines": stats,
        "syllables_per_second": round(sum(line["rate"] * line["syllables"] for line in stats)
                                      / max(1, sum(line["syllables"] for line in stats)), 2),
        "melody_downbeat": {"first": round(downbeat.first, 4), "source": downbeat.source},
    }
    own = meta["melody_phrases"]
    if own < len(line_lengths):
        notes = [f"the melody has {own} phrase(s) of {bars} bar(s) for {len(line_lengths)} lines"]
        if generated:  # the generated melody itself is an input of the song (made_inputs)
            notes.append(f"the melody generator added {generated}")
        if repeated:
            notes.append(f"{repeated} line(s) reuse a phrase (phrase order {order})")
        meta["extended"] = "; ".join(notes)
    if params["accompaniment"]:
        grid = Grid(score.seconds_per_beat, score.time_signature, song_bars)
        result = accompaniment_for(voice, grid, key, AccompanimentOptions.from_params(params), seed)
        tracks += result.tracks
        meta["chords"] = result.chord_names
    return Score(tracks, tempo=score.tempo, time_signature=score.time_signature, key=key.name, lyrics=lyrics, meta=meta)
