"""Reading a Score as a melody on a grid of bars and beats."""

from __future__ import annotations

import math
from dataclasses import dataclass
from collections.abc import Sequence

from engine import Note, Score, Track
from engine.downbeat import Downbeat, score_downbeat
from engine.theory import metric_weight


@dataclass(frozen=True)
class Grid:
    """Where the beats and bars of a piece fall, in seconds: ``bars`` bars from the downbeat at
    ``start`` (a pickup, if any, sounds before it)."""

    seconds_per_beat: float
    meter: tuple[int, int]
    bars: int
    start: float = 0.0

    @property
    def beats_per_bar(self) -> int:
        return self.meter[0]

    @property
    def seconds_per_bar(self) -> float:
        return self.seconds_per_beat * self.meter[0]

    @property
    def end(self) -> float:
        return self.start + self.bars * self.seconds_per_bar

    def time(self, bar: int, beat: float) -> float:
        return self.start + bar * self.seconds_per_bar + beat * self.seconds_per_beat

    def beats(self, time: float) -> float:
        """Beats from the first downbeat to ``time`` (negative in a pickup)."""
        return (time - self.start) / self.seconds_per_beat

    def weight(self, time: float) -> float:
        """The metric weight of ``time`` (:func:`engine.theory.metric_weight`) on this grid."""
        return metric_weight(self.beats(time), self.meter)


def melody_grid(score: Score, melody: Sequence[Note]) -> tuple[Grid, Downbeat]:
    """The bar grid of a score's melody, from its first true downbeat to its last note
    (:func:`engine.downbeat.score_downbeat`), and the downbeat it was built from."""
    downbeat = score_downbeat(score, melody)
    end = max((n.end for n in melody), default=downbeat.first)
    bars = max(1, math.ceil((end - downbeat.first) / score.seconds_per_bar - 1e-6))
    return Grid(score.seconds_per_beat, score.time_signature, bars, downbeat.first), downbeat


def melody_track(score: Score) -> Track:
    """The track that carries the tune: the pitched track with the most notes (the first on ties)."""
    pitched = [track for track in score.tracks if not track.is_drum and track.notes]
    if not pitched:
        from engine import BadInput

        raise BadInput("the score has no pitched notes to use as a melody")
    return max(pitched, key=lambda track: len(track.notes))


def monophonic(notes: list[Note]) -> list[Note]:
    """One note at a time: of notes starting together keep the highest, and cut each note off
    where the next one starts (a sung line cannot hold two pitches)."""
    by_onset: dict[float, Note] = {}
    for note in sorted(notes, key=lambda n: (n.start, -n.pitch)):
        key = round(note.start, 4)
        if key not in by_onset:
            by_onset[key] = Note(note.pitch, note.start, note.end, note.velocity)
    line = sorted(by_onset.values(), key=lambda n: n.start)
    for current, following in zip(line, line[1:]):
        current.end = min(current.end, following.start)
    return [note for note in line if note.end - note.start > 1e-4]
