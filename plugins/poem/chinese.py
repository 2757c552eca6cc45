"""Chinese prosody for jueju: which characters are Han, their rhyme groups and level tones.

Rhyme groups follow the fourteen groups of 中华新韵 (the modern rhyme book): a pinyin final
without its medial (i-, u-, ü-) decides the group, so 山 (shan) rhymes with 天 (tian) and 關
(guan). Classical jueju rhyme on level-tone (平) characters; with modern readings that means
tones 1 and 2. Readings come from ``pypinyin``'s most common reading of each character, which
is right for almost every rhyme character and is the stated approximation for heteronyms and
characters whose Tang (入声) tone has since moved.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

#: pinyin final (pypinyin FINALS style, ü written v) -> rhyme group of 中华新韵
_GROUPS = {
    "a": "麻", "ia": "麻", "ua": "麻",
    "o": "波", "uo": "波", "e": "波",
    "ie": "皆", "ve": "皆", "ue": "皆",
    "ai": "开", "uai": "开",
    "ei": "微", "ui": "微", "uei": "微",
    "ao": "豪", "iao": "豪",
    "ou": "尤", "iu": "尤", "iou": "尤",
    "an": "寒", "ian": "寒", "uan": "寒", "van": "寒",
    "en": "文", "in": "文", "un": "文", "uen": "文", "vn": "文",
    "ang": "唐", "iang": "唐", "uang": "唐",
    "eng": "庚", "ing": "庚", "ong": "庚", "iong": "庚", "ueng": "庚",
    "i": "齐", "v": "齐", "er": "齐",
    "u": "姑",
}


def is_han(char: str) -> bool:
    return len(char) == 1 and ("\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff" or "\U00020000" <= char <= "\U0002ffff")


@functools.lru_cache(maxsize=20_000)
def reading(char: str) -> tuple[str | None, int | None]:
    """(rhyme group, tone 1-4) of a Han character, (None, None) when pypinyin has no reading."""
    from pypinyin import Style, lazy_pinyin

    if not is_han(char):
        return None, None
    finals = lazy_pinyin(char, style=Style.FINALS_TONE3, neutral_tone_with_five=True, errors="ignore")
    final = finals[0] if finals else ""
    if not final or not final[-1].isdigit():
        return None, None
    group = _GROUPS.get(final[:-1])
    return (group, int(final[-1])) if group else (None, None)


def rhyme_group(char: str) -> str | None:
    return reading(char)[0]


def is_level(char: str) -> bool:
    """平声: modern tones 1 and 2."""
    return reading(char)[1] in (1, 2)


def rhymes(a: str, b: str) -> bool:
    """Two different characters in the same rhyme group."""
    group = rhyme_group(a)
    return group is not None and a != b and group == rhyme_group(b)


# -- 格律: the tonal patterns of the jueju --------------------------------------------------------
#: The four line types of 五言 (平 level, 仄 oblique). A 七言 line puts two characters of the
#: opposite tones before them (仄仄平平仄 -> 平平仄仄平平仄).
_LINES5 = {"A": "仄仄平平仄", "B": "平平仄仄平", "C": "平平平仄仄", "D": "仄仄仄平平"}
_OPPOSITE = {"平": "仄", "仄": "平"}


def line_type(kind: str, size: int) -> str:
    five = _LINES5[kind]
    return five if size == 5 else "".join(_OPPOSITE[c] for c in five[:2]) + five


@dataclass(frozen=True)
class TonalPattern:
    """One of the four standard patterns: its name, its four lines (平/仄 per character), and
    which characters are free (一三五不論, less the positions 孤平 and 三平尾 forbid freeing)."""

    name: str
    lines: tuple[str, str, str, str]
    free: tuple[tuple[bool, ...], ...]
    first_rhymes: bool


def _free_positions(kind: str, size: int) -> tuple[bool, ...]:
    """一三五不論: the 1st, 3rd (and 5th of seven) may take either tone, except where that makes
    孤平 (the B line 平平仄仄平: its first 五言 / third 七言 character must stay 平) or 三平尾 (the D
    line 仄仄仄平平: its third 五言 / fifth 七言 character must stay 仄). The last is never free."""
    offset = size - 5
    free = [i % 2 == 0 and i < size - 1 for i in range(size)]  # 0-based: 1st, 3rd, 5th characters
    if kind == "B":
        free[offset] = False
    if kind == "D":
        free[offset + 2] = False
    return tuple(free)


def _pattern(name: str, kinds: str, size: int) -> TonalPattern:
    return TonalPattern(name, tuple(line_type(k, size) for k in kinds), tuple(_free_positions(k, size) for k in kinds),
                        first_rhymes=line_type(kinds[0], size)[-1] == "平")


def tonal_patterns(size: int) -> tuple[TonalPattern, ...]:
    """The four patterns of a 五言 (size 5) or 七言 (size 7) jueju. 平起/仄起 is the tone of the
    second character of line 1; 首句入韻 means line 1 ends on the rhyme. 粘 (line 3's second
    character has line 2's tone) and 对 (a couplet's second line opposes the first on the even
    positions) hold in every one of them."""
    kinds = {"仄起首句不入韻": "ABCD", "仄起首句入韻": "DBCD", "平起首句不入韻": "CDAB", "平起首句入韻": "BDAB"}
    patterns = [_pattern(name, k, 5) for name, k in kinds.items()]
    if size == 5:
        return tuple(patterns)
    # 七言: the same line types, lengthened; the lengthening swaps the tone of the second character
    swap = {"仄起": "平起", "平起": "仄起"}
    return tuple(_pattern(swap[p.name[:2]] + p.name[2:], k, 7) for p, k in zip(patterns, kinds.values()))


def tone(char: str) -> str | None:
    """平 (modern tones 1, 2), 仄 (tones 3, 4) or None (no reading)."""
    number = reading(char)[1]
    if number is None:
        return None
    return "平" if number in (1, 2) else "仄"


def pattern_fit(lines: list[str], pattern: TonalPattern) -> tuple[int, int]:
    """(characters that keep the pattern, characters in all) — a free position always keeps it."""
    kept = total = 0
    for line, want, free in zip(lines, pattern.lines, pattern.free):
        for i, char in enumerate(line[:len(want)]):
            total += 1
            kept += free[i] or tone(char) == want[i]
        total += max(0, len(want) - len(line))
    return kept, total


def best_pattern(lines: list[str], size: int | None = None) -> tuple[TonalPattern, int, int]:
    """The standard pattern a poem keeps best, with its kept and total character counts."""
    size = size or (len(lines[0]) if lines else 5)
    scored = [(p, *pattern_fit(lines, p)) for p in tonal_patterns(7 if size == 7 else 5)]
    return max(scored, key=lambda s: s[1])


def gu_ping(line: str, kind_line: str) -> bool:
    """孤平: a line of the 平平仄仄平 type (仄仄平平仄仄平 in 七言) with only one 平 besides the rhyme."""
    if kind_line not in (line_type("B", 5), line_type("B", 7)) or len(line) != len(kind_line):
        return False
    return sum(tone(c) == "平" for c in line[:-1]) <= 1


def san_ping_wei(line: str) -> bool:
    """三平尾: the last three characters all level."""
    return len(line) >= 3 and all(tone(c) == "平" for c in line[-3:])


def tonal_problems(lines: list[str]) -> list[str]:
    """Every way four lines of Han characters break the jueju's 格律 (empty: they keep it)."""
    if len(lines) != 4 or len({len(line) for line in lines}) != 1 or len(lines[0]) not in (5, 7):
        return ["a jueju has four lines of 5 or 7 characters"]
    pattern, kept, total = best_pattern(lines)
    problems = []
    for number, (line, want, free) in enumerate(zip(lines, pattern.lines, pattern.free), 1):
        wrong = [f"{i + 1}:{c}" for i, c in enumerate(line) if not free[i] and tone(c) != want[i]]
        if wrong:
            problems.append(f"line {number} {line} breaks {want} ({pattern.name}) at {', '.join(wrong)}")
        if gu_ping(line, want):
            problems.append(f"line {number} {line} is 孤平")
        if san_ping_wei(line):
            problems.append(f"line {number} {line} ends in 三平尾")
    rhyming = [0, 1, 3] if pattern.first_rhymes else [1, 3]
    ends = [lines[i][-1] for i in rhyming]
    group = rhyme_group(ends[0]) if ends[0] else None
    for i, char in zip(rhyming, ends):
        if not is_level(char):
            problems.append(f"line {i + 1}: rhyme character {char!r} is not a level (平) tone")
        if rhyme_group(char) != group or group is None:
            problems.append(f"line {i + 1}: {char!r} is not in the rhyme group of {ends[0]!r} ({group})")
    if len(set(ends)) != len(ends):
        problems.append(f"a rhyme character is repeated: {''.join(ends)}")
    problems += [f"{rule} broken between lines {a} and {b}" for rule, a, b in nian_dui(lines) if not _ok(lines, rule, a, b)]
    return problems


def nian_dui(lines: list[str]) -> list[tuple[str, int, int]]:
    """The 粘 and 对 relations of a quatrain: 对 in each couplet, 粘 from line 2 to line 3."""
    return [("对", 1, 2), ("粘", 2, 3), ("对", 3, 4)]


def _ok(lines: list[str], rule: str, a: int, b: int) -> bool:
    """对: the second characters (and fourth, sixth) of lines a and b have opposite tones; 粘: the
    same tone at the second character (and so at the fourth, sixth)."""
    x, y = lines[a - 1], lines[b - 1]
    for i in range(1, len(x) - 1, 2):
        tx, ty = tone(x[i]), tone(y[i])
        if tx is None or ty is None or (tx == ty) != (rule == "粘"):
            return False
    return True


def nian_dui_kept(lines: list[str]) -> int:
    """How many of the three 粘/对 relations hold (3: all)."""
    return sum(_ok(lines, rule, a, b) for rule, a, b in nian_dui(lines))
