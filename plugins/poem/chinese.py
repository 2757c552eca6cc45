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
