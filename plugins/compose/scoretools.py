"""Reading a Score as a melody on a grid of bars and beats."""

from __future__ import annotations

import math

from engine import Note, Score, Track


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


def bar_count(score: Score, end: float | None = None) -> int:
    """Whole bars needed to hold everything up to ``end`` (default: the score's last release)."""
    end = score.duration if end is None else end
    return max(1, math.ceil(end / score.seconds_per_bar - 1e-6))
