"""Cutting a spoken word's phonemes into the syllables a song gives it: onset, vowel, tail.

A sung syllable has three parts. Its *onset* consonants are sung before the beat, so that the
*vowel* starts on the note; the vowel is what stretches to fill the note; the *tail* (the last
consonants of a word, or a vowel glide the dictionary counts apart) keeps its spoken length
at the end of the note. Consonants between two vowels of a word go to the next syllable
("ri-ver", "win-ter" sung "wi-nter"), which is how singers keep vowels long and legato.

The song counted syllables its own way (CMUdict for English, one per character in Chinese),
and eSpeak's vowels may not agree ("fire" is one eSpeak vowel, two CMUdict syllables): extra
eSpeak vowels join the tail of the word's last syllable, and a syllable left with no vowel of
its own is a *held* syllable that goes on singing the previous vowel (a melisma).
"""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Sequence

from .espeak import Phone

#: IPA vowel letters (eSpeak writes diphthongs and r-coloured vowels as one phoneme: "aɪɚ").
VOWEL_LETTERS = frozenset("aeiouyæɐɑɒɔəɘɚɛɜɝɞɤɨɪɯɵøœɶʉʊʌʏᵻ")
STRESS_MARKS = "ˈˌ"
#: Mandarin's rising finals as eSpeak NG writes them (one phoneme): a medial glide (i, u, ü)
#: into the main vowel. The glide is sung before the beat, the main vowel on it (see .nucleus).
RISING_FINALS = frozenset({"io", "iou", "iɑ", "iɛ", "ua", "uai", "uei", "uo", "uə", "yæ", "yə", "yɛ"})


def is_vowel(symbol: str) -> bool:
    """True for a phoneme whose first sound (stress marks aside) is a vowel."""
    core = symbol.lstrip(STRESS_MARKS)
    return bool(core) and core[0] in VOWEL_LETTERS


@dataclass(frozen=True)
class Span:
    """Samples ``start``..``end`` of the spoken phrase (empty when start == end)."""

    start: int
    end: int

    @property
    def length(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class SyllableSound:
    """Where one sung syllable's parts lie in the speech. ``held`` syllables have no sound of
    their own: the previous vowel goes on (``vowel`` is then that vowel). ``glide``: the vowel
    phoneme begins with a medial glide (a rising final), which :mod:`.nucleus` moves before the beat;
    ``before``: the consonant just before the vowel ("" when the syllable starts on it)."""

    onset: Span
    vowel: Span
    tail: Span
    held: bool = False
    glide: bool = False
    before: str = ""


def split_word(phones: Sequence[Phone], ends: Sequence[int], syllables: int) -> list[SyllableSound]:
    """The word's ``phones`` (with their ``ends``) as ``syllables`` sung syllables (see module doc)."""
    if not phones or syllables <= 0:
        return []
    nuclei = [k for k, phone in enumerate(phones) if is_vowel(phone.symbol)]
    if not nuclei:  # a word of consonants only ("hmm", "shh"): its voiced middle is the vowel
        nuclei = [len(phones) // 2]
    own = nuclei[:syllables]
    sounds = []
    for index, nucleus in enumerate(own):
        first = 0 if index == 0 else own[index - 1] + 1
        onset = Span(phones[first].start, phones[nucleus].start) if first < nucleus else _empty(phones[nucleus].start)
        vowel = Span(phones[nucleus].start, ends[nucleus])
        last = index == len(own) - 1
        tail_end = ends[-1] if last else vowel.end
        glide = phones[nucleus].symbol.lstrip(STRESS_MARKS) in RISING_FINALS
        before = phones[nucleus - 1].symbol if first < nucleus else ""
        sounds.append(SyllableSound(onset, vowel, Span(vowel.end, tail_end), glide=glide, before=before))
    if len(sounds) < syllables:  # no vowel left for the rest: they hold the last one, which
        last = sounds[-1]        # hands the word's tail to the last of them
        sounds[-1] = SyllableSound(last.onset, last.vowel, _empty(last.vowel.end))
        for index in range(len(sounds), syllables):
            tail = last.tail if index == syllables - 1 else _empty(last.vowel.end)
            sounds.append(SyllableSound(_empty(last.vowel.end), last.vowel, tail, held=True))
    return sounds


def _empty(at: int) -> Span:
    return Span(at, at)
