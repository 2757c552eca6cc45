"""The sung pitch: the melody moved by octaves into the voice's range, as a smooth F0 curve.

The curve holds each note's pitch, glides into the next note over a short portamento that
ends on its onset, where the vowel starts: the glide falls in the consonant before the vowel
(voiced, it carries the slide; unvoiced, it hides it), and the vowel is on pitch from its first
frame, as a singer changes pitch in the consonant. It adds a
gentle vibrato to held notes only, fading in after the note has settled, as trained singers do.
The glide is short on purpose: long slides smear the melody (and count against the pitch
measure in benchmarks/voice.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Sequence

import numpy as np

from engine import Note

#: Seconds of the glide between two sung notes; it ends on the new note's onset.
PORTAMENTO = 0.02
VIBRATO_HZ = 5.5
VIBRATO_CENTS = 22.0
#: Notes at least this long get vibrato, starting this long after the onset, fading in.
VIBRATO_MIN_NOTE = 0.45
VIBRATO_DELAY = 0.22
VIBRATO_FADE_IN = 0.25


@dataclass(frozen=True)
class SingerRange:
    """A voice's comfortable MIDI range; melodies move by whole octaves to sit inside it."""

    low: int
    high: int

    @property
    def centre(self) -> float:
        return (self.low + self.high) / 2.0


def octave_shift(pitches: Sequence[int], voice_range: SingerRange) -> int:
    """Semitones (a multiple of 12) that put the most notes in range, then the median nearest the centre."""
    if not pitches:
        return 0
    median = float(np.median(pitches))

    def badness(octaves: int) -> tuple[int, float]:
        shift = 12 * octaves
        outside = sum(1 for p in pitches if not voice_range.low <= p + shift <= voice_range.high)
        return outside, abs(median + shift - voice_range.centre)

    return 12 * min(range(-4, 5), key=badness)


def pitch_curve(notes: Sequence[Note], times: np.ndarray) -> np.ndarray:
    """MIDI pitch (fractional) at each of ``times``: the sounding note, or between notes the last
    one sung (the first one before the song starts), with portamento and vibrato."""
    ordered = sorted(notes, key=lambda n: n.start)
    starts = np.array([n.start for n in ordered])
    pitches = np.array([float(n.pitch) for n in ordered])
    index = np.clip(np.searchsorted(starts, times, side="right") - 1, 0, len(ordered) - 1)
    curve = pitches[index].copy()
    for k in range(1, len(ordered)):  # glide from note k-1 into note k
        step = pitches[k] - pitches[k - 1]
        if step == 0.0 or ordered[k].start - ordered[k - 1].end > 0.15:
            continue
        end = ordered[k].start
        begin = max(end - PORTAMENTO, ordered[k - 1].start)
        inside = (times >= begin) & (times < end)
        if inside.any():
            x = (times[inside] - begin) / (end - begin)
            curve[inside] = pitches[k - 1] + step * x * x * (3.0 - 2.0 * x)  # smoothstep: no kinks
    for note in ordered:
        if note.end - note.start < VIBRATO_MIN_NOTE:
            continue
        inside = (times >= note.start + VIBRATO_DELAY) & (times < note.end)
        age = times[inside] - note.start - VIBRATO_DELAY
        fade = np.minimum(1.0, age / VIBRATO_FADE_IN)
        curve[inside] += fade * (VIBRATO_CENTS / 100.0) * np.sin(2.0 * np.pi * VIBRATO_HZ * age)
    return curve
