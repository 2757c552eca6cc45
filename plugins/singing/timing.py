"""Where each piece of speech goes in the song: the time map from sung time to spoken time.

Every syllable's vowel starts on its note's onset and lasts until the consonants that end it
(its tail, and the next syllable's onset when the next note follows without a rest) must start.
Consonants keep their spoken length while they take at most half of a note; in faster singing
they are shortened together, so that a vowel always holds at least half of its note. The first
syllable after a rest starts its consonants in the rest, up to ``LEAD_IN`` early.
"""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Sequence

from .lyrics import SungSyllable
from .phonemes import Span, SyllableSound

#: Notes closer than this (seconds) are sung legato: the next onset's consonants go at the end
#: of this note.
LEGATO_GAP = 0.02
#: Most of a note consonants may take, and the most a syllable may start before its note after a rest.
CONSONANT_SHARE = 0.5
LEAD_IN = 0.3


@dataclass(frozen=True)
class Segment:
    """Output seconds ``start``..``end`` sing spoken seconds ``source_start``..``source_end``:
    linearly (consonants) or, for a ``vowel``, held and stretched (see :func:`source_time`).
    A vowel that follows the last one with no consonant between is ``reattacked``: the singer
    marks the new syllable with a brief dip in level (see the vocoder)."""

    start: float
    end: float
    source_start: float
    source_end: float
    vowel: bool = False
    reattacked: bool = False


@dataclass(frozen=True)
class Group:
    """A syllable with the held syllables that follow it (one vowel across all their notes)."""

    start: float
    end: float
    sound: SyllableSound


def group_syllables(syllables: Sequence[SungSyllable], sounds: Sequence[SyllableSound]) -> list[Group]:
    groups: list[Group] = []
    for syllable, sound in zip(syllables, sounds):
        if sound.held and groups:
            last = groups[-1]
            groups[-1] = Group(last.start, syllable.end, SyllableSound(last.sound.onset, last.sound.vowel, sound.tail))
        else:
            groups.append(Group(syllable.start, syllable.end, sound))
    return groups


def place_phrase(groups: Sequence[Group], rate: int) -> list[Segment]:
    """The segments of one spoken phrase (sample spans at ``rate``) laid out on the song's time."""
    seconds = 1.0 / rate

    def length(span: Span) -> float:
        return span.length * seconds

    segments: list[Segment] = []
    onset = min(length(groups[0].sound.onset), LEAD_IN) if groups else 0.0
    for index, group in enumerate(groups):
        sound = group.sound
        following = groups[index + 1] if index + 1 < len(groups) else None
        legato = following is not None and following.start - group.end < LEGATO_GAP
        limit = min(group.end, following.start) if following is not None and legato else group.end
        budget = CONSONANT_SHARE * max(0.0, limit - group.start)
        tail = length(sound.tail)
        next_onset = length(following.sound.onset) if following is not None else 0.0
        needed = tail + (next_onset if legato else 0.0)
        squeeze = min(1.0, budget / needed) if needed > 0 else 1.0
        tail *= squeeze
        if onset > 0:
            segments.append(_linear(group.start - onset, group.start, sound.onset, seconds))
        vowel_end = limit - tail - (next_onset * squeeze if legato else 0.0)
        reattacked = bool(segments) and segments[-1].vowel and segments[-1].end >= group.start - 1e-9
        segments.append(Segment(group.start, vowel_end, sound.vowel.start * seconds, sound.vowel.end * seconds, True,
                                reattacked))
        if tail > 0:
            segments.append(_linear(vowel_end, vowel_end + tail, sound.tail, seconds))
        if following is not None:
            rest = following.start - group.end
            onset = next_onset * squeeze if legato else min(next_onset, LEAD_IN, max(0.0, rest - tail) * 0.8 + tail)
    return segments


def _linear(start: float, end: float, span: Span, seconds: float) -> Segment:
    return Segment(start, end, span.start * seconds, span.end * seconds)


#: How a held vowel is stretched: its first ATTACK and last RELEASE (shares of the spoken
#: vowel) play at speaking speed, so the vowel starts and ends as spoken (a diphthong glides at
#: the end, as singers do); the steady middle drifts slowly back and forth (DRIFT of speaking
#: speed) so a long note keeps the small changes of a real voice instead of one frozen frame.
ATTACK, RELEASE, DRIFT = 0.3, 0.35, 0.2


def source_time(segment: Segment, time: float) -> float:
    """The spoken time sung at output ``time`` (within the segment)."""
    out_length = segment.end - segment.start
    source_length = segment.source_end - segment.source_start
    elapsed = time - segment.start
    if not segment.vowel or out_length <= source_length or source_length <= 0:
        scale = source_length / out_length if out_length > 0 else 0.0
        return segment.source_start + elapsed * scale
    attack, release = ATTACK * source_length, RELEASE * source_length
    if elapsed < attack:
        return segment.source_start + elapsed
    remaining = out_length - elapsed
    if remaining < release:
        return segment.source_end - remaining
    middle = source_length - attack - release
    if middle <= 0:
        return segment.source_start + attack
    # Back and forth an odd number of times, so the drift arrives at the middle's end exactly
    # when the release begins: no jump in the sound.
    hold = out_length - attack - release
    crossings = max(1, int(round(hold * DRIFT / middle)))
    crossings += 1 - crossings % 2
    phase = (elapsed - attack) * crossings * middle / hold % (2.0 * middle)
    return segment.source_start + attack + (phase if phase <= middle else 2.0 * middle - phase)
