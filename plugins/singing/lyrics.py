"""What is sung when: a Score's lyric events matched to the notes of the track that carries them.

Any karaoke MIDI works, not only Muse songs: the sung track is the one whose note onsets meet
the most lyric times; each lyric takes the note starting at its time, and notes that start
with no lyric of their own continue the syllable before (a melisma). Syllables join into
words (a lyric ending in "-" continues into the next: "ri-" "ver"), and words into *phrases*,
runs sung without a rest, which eSpeak speaks in one breath so consonants join naturally.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from collections.abc import Sequence

from engine import Note, Score
from engine.scripts import CJK_RANGES, has_cjk

#: A lyric this close to a note onset (seconds) belongs to that note.
ONSET_TOLERANCE = 0.06
#: A rest at least this long (seconds) ends a phrase: the singer breathes, eSpeak starts anew.
BREATH = 0.25
#: Words in one spoken phrase at most (eSpeak is given a line, not a whole song).
PHRASE_WORDS = 12

_LETTERS = re.compile(rf"[{CJK_RANGES}]|[^\W\d_]+(?:'[^\W\d_]+)*")


@dataclass
class SungSyllable:
    """One lyric on its notes: ``start`` is its first note's onset, ``end`` its last note's end."""

    text: str
    notes: list[Note]
    word: int = 0

    @property
    def start(self) -> float:
        return self.notes[0].start

    @property
    def end(self) -> float:
        return max(note.end for note in self.notes)


@dataclass
class Word:
    """What eSpeak is given (``tokens``: English words, or one pinyin syllable per character),
    and the indices of the sung syllables it makes."""

    tokens: list[str]
    syllables: list[int] = field(default_factory=list)


@dataclass
class Lyrics:
    language: str
    track: int
    syllables: list[SungSyllable]
    words: list[Word]
    phrases: list[list[int]]  # word indices


def sung_track(score: Score) -> int | None:
    """Index of the track the lyrics are sung on, or None when nothing is sung."""
    if not score.lyrics:
        return None
    best, best_hits = None, 0
    for index, track in enumerate(score.tracks):
        if track.is_drum or not track.notes:
            continue
        onsets = sorted(note.start for note in track.notes)
        hits = sum(1 for lyric in score.lyrics if _nearest(onsets, lyric.time) <= ONSET_TOLERANCE)
        if hits > best_hits:
            best, best_hits = index, hits
    return best


def _nearest(sorted_times: Sequence[float], time: float) -> float:
    import bisect

    at = bisect.bisect_left(sorted_times, time)
    near = [abs(sorted_times[k] - time) for k in (at - 1, at) if 0 <= k < len(sorted_times)]
    return min(near, default=float("inf"))


def read_lyrics(score: Score) -> Lyrics | None:
    """The score's sung syllables, words and phrases (None when it has no sung lyrics)."""
    track = sung_track(score)
    if track is None:
        return None
    notes = sorted((n for n in score.tracks[track].notes if n.end > n.start), key=lambda n: (n.start, -n.pitch))
    notes = [n for k, n in enumerate(notes) if k == 0 or n.start > notes[k - 1].start + 1e-6]  # top voice of chords
    language = "zh" if any(has_cjk(lyric.text) for lyric in score.lyrics) else "en"
    syllables: list[SungSyllable] = []
    continues: list[bool] = []
    owner: list[int | None] = [None] * len(notes)
    for lyric in sorted(score.lyrics, key=lambda lyric: lyric.time):
        pieces = _LETTERS.findall(lyric.text)
        if not pieces:
            continue
        at = min(range(len(notes)), key=lambda k: abs(notes[k].start - lyric.time))
        if abs(notes[at].start - lyric.time) > ONSET_TOLERANCE or owner[at] is not None:
            continue  # a lyric with no note of its own is not sung
        owner[at] = len(syllables)
        syllables.append(SungSyllable(" ".join(pieces), [notes[at]]))
        continues.append(lyric.text.rstrip().endswith("-"))
    if not syllables:
        return None
    current = None
    for index, note in enumerate(notes):  # melisma: a note without a lyric extends the syllable before
        if owner[index] is not None:
            current = owner[index]
        elif current is not None and note.start - syllables[current].end < BREATH:
            syllables[current].notes.append(note)
    syllables = _split_chinese_lyrics(syllables, continues) if language == "zh" else syllables
    words = _words(syllables, continues, language)
    return Lyrics(language, track, syllables, words, _phrases(syllables, words))


def _split_chinese_lyrics(syllables: list[SungSyllable], continues: list[bool]) -> list[SungSyllable]:
    """A lyric holding several characters (a karaoke word) shares its notes' time equally."""
    result: list[SungSyllable] = []
    for syllable in syllables:
        characters = syllable.text.split()
        if len(characters) == 1:
            result.append(syllable)
            continue
        start, end = syllable.start, syllable.end
        step = (end - start) / len(characters)
        pitch, velocity = syllable.notes[0].pitch, syllable.notes[0].velocity
        for k, character in enumerate(characters):
            result.append(SungSyllable(character, [Note(pitch, start + k * step, start + (k + 1) * step, velocity)]))
    continues[:] = [False] * len(result)
    return result


def _words(syllables: list[SungSyllable], continues: Sequence[bool], language: str) -> list[Word]:
    words: list[Word] = []
    joined = False
    for index, syllable in enumerate(syllables):
        if not joined:
            words.append(Word([]))
        words[-1].syllables.append(index)
        syllable.word = len(words) - 1
        joined = continues[index] and index + 1 < len(syllables) and syllables[index + 1].start - syllable.end < BREATH
    for word in words:
        texts = [syllables[k].text for k in word.syllables]
        word.tokens = "".join(texts).split()  # "ri" "ver" -> river; a lyric "the sea" -> the, sea
    if language == "zh":
        _pinyin(words)
    return words


def _pinyin(words: list[Word]) -> None:
    """Each character's pinyin with its tone number, read in context (so 长 in 长江 is chang2);
    eSpeak's Mandarin voice speaks pinyin, and the melody then replaces the tone."""
    from pypinyin import Style, lazy_pinyin

    characters = ["".join(word.tokens) for word in words]
    readings = lazy_pinyin("".join(characters), style=Style.TONE3, neutral_tone_with_five=True, errors="ignore")
    if len(readings) != len(characters):  # a character pypinyin cannot read: fall back one by one
        readings = [(lazy_pinyin(c, style=Style.TONE3, neutral_tone_with_five=True, errors="ignore") or [c])[0]
                    for c in characters]
    for word, reading in zip(words, readings):
        word.tokens = [espeak_spelling(reading)]


#: Pinyin finals eSpeak NG's Mandarin voice does not know: it reads them as English, digits and
#: all ("qiong2" became "k-ih-ung two"). Each is respelt as the nearest final it does know:
#: j/q/x already give "iong" its palatal glide, so "ong" keeps the sound.
_RESPELLINGS = ((re.compile(r"^([jqx])iong"), r"\1ong"), (re.compile(r"^wong"), "weng"),
                (re.compile(r"^h?m(?=\d|$)"), "mu"), (re.compile(r"^hng"), "heng"))


def espeak_spelling(reading: str) -> str:
    """``reading`` (pinyin with its tone number) as eSpeak NG's Mandarin voice can speak it."""
    for pattern, replacement in _RESPELLINGS:
        reading = pattern.sub(replacement, reading)
    return reading


def _phrases(syllables: Sequence[SungSyllable], words: Sequence[Word]) -> list[list[int]]:
    phrases: list[list[int]] = []
    for index, word in enumerate(words):
        first = syllables[word.syllables[0]]
        if index == 0:
            phrases.append([index])
            continue
        previous = syllables[words[index - 1].syllables[-1]]
        if first.start - previous.end >= BREATH or len(phrases[-1]) >= PHRASE_WORDS:
            phrases.append([index])
        else:
            phrases[-1].append(index)
    return phrases
