"""Which writing system a piece of text is in: one definition of a CJK character for every
plugin that sets, sings or typesets text (song's syllables, the singer's lyrics, posters)."""

from __future__ import annotations

import re

#: Kana, CJK unified ideographs (with extension A) and compatibility ideographs: characters sung
#: one to a syllable and set one to a glyph cell.
CJK_RANGES = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_ONE_CJK = re.compile(f"[{CJK_RANGES}]")


def is_cjk(character: str) -> bool:
    return _ONE_CJK.fullmatch(character) is not None


def has_cjk(text: str) -> bool:
    return _ONE_CJK.search(text) is not None
