"""The poem forms: what each line must be, and an independent checker for finished poems.

A form is a list of line specs: a length range (syllables in English, Han characters in
Chinese) and a rhyme letter (lines with the same letter rhyme; None means free). The checker
re-measures the finished text from scratch, so the decoder's bookkeeping is verified rather
than trusted.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine import ParamError

from . import chinese, english


@dataclass(frozen=True)
class LineSpec:
    low: int
    high: int
    rhyme: str | None = None
    #: Chinese only: the punctuation that closes the line.
    end: str = ""


@dataclass(frozen=True)
class Form:
    name: str
    language: str | None  # None: either language
    lines: tuple[LineSpec, ...]
    summary: str


def _pentameter(scheme: str) -> tuple[LineSpec, ...]:
    return tuple(LineSpec(10, 10, letter) for letter in scheme)


def _jueju(size: int) -> tuple[LineSpec, ...]:
    return (LineSpec(size, size, None, "，"), LineSpec(size, size, "A", "。"),
            LineSpec(size, size, None, "，"), LineSpec(size, size, "A", "。"))


FORMS: dict[str, Form] = {form.name: form for form in (
    Form("free", None, (), "LINES lines, no rhyme; 4-14 syllables (English) or 4-9 characters (Chinese) a line"),
    Form("couplet", "en", _pentameter("AA"), "2 rhyming lines of 10 syllables"),
    Form("quatrain", "en", _pentameter("ABAB"), "4 lines of 10 syllables rhyming ABAB"),
    Form("sonnet", "en", _pentameter("ABABCDCDEFEFGG"), "14 lines of 10 syllables, ABAB CDCD EFEF GG"),
    Form("limerick", "en", (LineSpec(8, 9, "A"), LineSpec(8, 9, "A"), LineSpec(5, 6, "B"), LineSpec(5, 6, "B"),
                            LineSpec(8, 9, "A")), "AABBA; 8-9, 8-9, 5-6, 5-6, 8-9 syllables"),
    Form("jueju5", "zh", _jueju(5), "五言绝句: 4 lines of 5 characters, lines 2 and 4 rhyme on a level tone"),
    Form("jueju7", "zh", _jueju(7), "七言绝句: 4 lines of 7 characters, lines 2 and 4 rhyme on a level tone"),
)}

DEFAULT_FREE_LINES = 8


def free_lines(language: str, count: int) -> tuple[LineSpec, ...]:
    if language == "zh":
        return tuple(LineSpec(4, 9) for _ in range(count))
    return tuple(LineSpec(4, 14) for _ in range(count))


def line_specs(form: Form, language: str, lines: int | None) -> tuple[LineSpec, ...]:
    """The specs of every line, checking the form suits the model's language and the line count."""
    if form.language and form.language != language:
        need = "an English (-p model=en)" if form.language == "en" else "a Chinese (-p model=zh)"
        raise ParamError(f"form={form.name} needs {need} model; this model writes {language!r}")
    if form.name == "free":
        return free_lines(language, lines or DEFAULT_FREE_LINES)
    if lines is not None and lines != len(form.lines):
        raise ParamError(f"form={form.name} has {len(form.lines)} lines; -p lines only applies to form=free")
    return form.lines


def _han(line: str) -> str:
    return "".join(c for c in line if chinese.is_han(c))


def check(specs: tuple[LineSpec, ...], lines: list[str], language: str) -> list[str]:
    """Every way ``lines`` break the form (empty list: the poem meets it)."""
    problems = []
    if len(lines) != len(specs):
        return [f"{len(lines)} lines, the form has {len(specs)}"]
    finals: dict[str, list[tuple[int, str]]] = {}
    for number, (spec, line) in enumerate(zip(specs, lines), 1):
        if language == "zh":
            size, last = len(_han(line)), _han(line)[-1:]
            unit = "characters"
            if spec.end and not line.endswith(spec.end):
                problems.append(f"line {number} should end with {spec.end!r}")
            if line.rstrip("，。") != _han(line):
                problems.append(f"line {number} has characters that are not Han: {line!r}")
        else:
            words = english.words_of(line)
            size, last = english.line_syllables(line), (words[-1] if words else "")
            unit = "syllables"
        if not spec.low <= size <= spec.high:
            want = str(spec.low) if spec.low == spec.high else f"{spec.low}-{spec.high}"
            problems.append(f"line {number}: {size} {unit}, the form needs {want}")
        if spec.rhyme:
            finals.setdefault(spec.rhyme, []).append((number, last))
    rhymes = chinese.rhymes if language == "zh" else english.rhymes
    keys = {}
    for letter, ends in finals.items():
        (first_number, first), *rest = ends
        if language == "zh" and not chinese.is_level(first):
            problems.append(f"line {first_number}: rhyme character {first!r} is not a level (平) tone")
        for number, word in rest:
            if not rhymes(first, word):
                problems.append(f"lines {first_number} and {number} should rhyme ({letter}): {first!r} / {word!r}")
            if language == "zh" and not chinese.is_level(word):
                problems.append(f"line {number}: rhyme character {word!r} is not a level (平) tone")
        keys[letter] = chinese.rhyme_group(first) if language == "zh" else english.rhyme_key(first)
    seen: dict[str, str] = {}
    for letter, key in keys.items():
        if key is not None and key in seen:
            problems.append(f"rhymes {seen[key]} and {letter} should differ but share the sound {key!r}")
        seen.setdefault(key, letter)
    return problems
