"""The poem forms: what each line must be, and an independent checker for finished poems.

A form is a list of line specs. An English line spec holds its **metre** as the templates a line
may realise: strings of ``W`` (weak), ``S`` (strong) and ``x`` (free) positions, one per syllable.
Iambic pentameter is ``WSWSWSWSWS``, plus the usual licences as further templates: a feminine
ending (an extra weak syllable, ``WSWSWSWSWSW``) and an initial inversion (``SWWSWSWSWS``).
A word fits a stretch of positions when its primary-stressed syllable (polysyllables only) falls
on a strong one; monosyllables and unstressed syllables may go anywhere. Free verse is ``x`` all
along, 4 to 14 syllables. A Chinese spec holds a length in Han characters; the jueju's tonal
patterns (格律) live in :mod:`chinese`. Lines with the same rhyme letter rhyme.

The checker re-measures the finished text from scratch (pronunciations, stresses, tones), so the
decoder's bookkeeping is verified rather than trusted.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine import ParamError

from . import chinese, english


@dataclass(frozen=True)
class Metre:
    name: str
    summary: str
    #: templates per line length in feet (one entry per foot count used)
    templates: dict[int, tuple[str, ...]]


def _iambic(feet: int) -> tuple[str, ...]:
    plain = "WS" * feet
    inverted = "SW" + plain[2:]
    return (plain, plain + "W", inverted, inverted + "W")  # feminine ending, initial inversion


def _trochaic(feet: int) -> tuple[str, ...]:
    plain = "SW" * feet
    return (plain, plain[:-1])  # catalexis: the last weak syllable dropped ("Tyger, tyger, burning bright")


def _anapaestic(feet: int) -> tuple[str, ...]:
    plain = "WWS" * feet
    headless = plain[1:]  # the first foot an iamb ("There WAS a young LAdy...")
    return (plain, headless, plain + "W", headless + "W")


METRES: dict[str, Metre] = {m.name: m for m in (
    Metre("iambic-tetrameter", "4 iambs (da-DUM), 8 syllables", {4: _iambic(4)}),
    Metre("iambic-pentameter", "5 iambs, 10 syllables", {5: _iambic(5)}),
    Metre("iambic-trimeter", "3 iambs, 6 syllables", {3: _iambic(3)}),
    Metre("trochaic-tetrameter", "4 trochees (DUM-da), 7-8 syllables", {4: _trochaic(4)}),
    Metre("anapaestic-tetrameter", "4 anapaests (da-da-DUM), 11-13 syllables", {4: _anapaestic(4)}),
    Metre("anapaestic-trimeter", "3 anapaests, 8-10 syllables", {3: _anapaestic(3)}),
    Metre("limerick", "anapaestic lines of 3, 3, 2, 2, 3 feet", {3: _anapaestic(3), 2: _anapaestic(2)}),
)}
METRE_CHOICES = ("auto",) + tuple(name for name in METRES if name != "limerick")
FREE_VERSE = tuple("x" * n for n in range(4, 15))


@dataclass(frozen=True)
class LineSpec:
    low: int
    high: int
    rhyme: str | None = None
    #: Chinese only: the punctuation that closes the line.
    end: str = ""
    #: English only: the metre templates the line may realise (empty: Chinese).
    templates: tuple[str, ...] = ()


def english_line(templates: tuple[str, ...], rhyme: str | None) -> LineSpec:
    sizes = [len(t) for t in templates]
    return LineSpec(min(sizes), max(sizes), rhyme, "", templates)


@dataclass(frozen=True)
class Form:
    name: str
    language: str | None  # None: either language
    scheme: str  # rhyme letters, one per line ("-": unrhymed); Chinese: the line count
    summary: str
    metre: str | None = None  # English default metre (None: free verse)
    feet: tuple[int, ...] = ()  # feet per line, when lines differ (limerick)
    metre_choice: bool = False  # may -p metre= change it


FORMS: dict[str, Form] = {form.name: form for form in (
    Form("free", None, "", "LINES lines, no rhyme or metre; 4-14 syllables (English) or 4-9 characters (Chinese) a line"),
    Form("couplet", "en", "AA", "2 rhyming lines, iambic tetrameter unless -p metre= says otherwise",
         "iambic-tetrameter", metre_choice=True),
    Form("quatrain", "en", "ABAB", "4 lines rhyming ABAB, iambic tetrameter unless -p metre= says otherwise",
         "iambic-tetrameter", metre_choice=True),
    Form("sonnet", "en", "ABABCDCDEFEFGG", "14 lines of iambic pentameter, ABAB CDCD EFEF GG", "iambic-pentameter"),
    Form("limerick", "en", "AABBA", "AABBA, anapaestic lines of 3, 3, 2, 2, 3 feet", "limerick", feet=(3, 3, 2, 2, 3)),
    Form("jueju5", "zh", "4", "五言絕句: 4 lines of 5 characters in one of the four tonal patterns, rhyming on a level tone"),
    Form("jueju7", "zh", "4", "七言絕句: 4 lines of 7 characters in one of the four tonal patterns, rhyming on a level tone"),
)}

DEFAULT_FREE_LINES = 8


def metre_of(form: Form, choice: str) -> str | None:
    """The metre a poem of ``form`` is written in, given ``-p metre=`` (auto: the form's own)."""
    if choice in ("", "auto"):
        return form.metre
    if choice not in METRES or choice == "limerick":
        raise ParamError(f"metre={choice!r} is not valid; choose one of {', '.join(METRE_CHOICES)}")
    if not form.metre_choice:
        own = f"its own metre ({form.metre})" if form.metre else "no metre"
        raise ParamError(f"form={form.name} has {own}; -p metre applies to couplet and quatrain")
    return choice


def free_lines(language: str, count: int) -> tuple[LineSpec, ...]:
    if language == "zh":
        return tuple(LineSpec(4, 9) for _ in range(count))
    return tuple(english_line(FREE_VERSE, None) for _ in range(count))


def line_specs(form: Form, language: str, lines: int | None, metre: str = "auto") -> tuple[LineSpec, ...]:
    """The specs of every line, checking the form suits the model's language and the line count."""
    if form.language and form.language != language:
        need = "an English (-p model=en)" if form.language == "en" else "a Chinese (-p model=zh)"
        raise ParamError(f"form={form.name} needs {need} model; this model writes {language!r}")
    name = metre_of(form, metre)
    if form.name == "free":
        return free_lines(language, lines or DEFAULT_FREE_LINES)
    count = int(form.scheme) if form.language == "zh" else len(form.scheme)
    if lines is not None and lines != count:
        raise ParamError(f"form={form.name} has {count} lines; -p lines only applies to form=free")
    if form.language == "zh":
        size = 5 if form.name == "jueju5" else 7
        return tuple(LineSpec(size, size, "A" if i % 2 else None, "，" if i % 2 == 0 else "。") for i in range(count))
    templates = METRES[name].templates
    feet = form.feet or (next(iter(templates)),) * count
    return tuple(english_line(templates[f], letter if letter != "-" else None) for f, letter in zip(feet, form.scheme))


# -- scansion ---------------------------------------------------------------------------------
def weak_mask(template: str) -> int:
    return sum(1 << i for i, p in enumerate(template) if p == "W")


def fits(length: int, strong: int, template: str, at: int) -> bool:
    """Does a word of ``length`` syllables whose ``strong`` syllables must be strong fit ``template`` at ``at``?"""
    return at + length <= len(template) and not (strong << at) & weak_mask(template)


def deviations(line: str, templates: tuple[str, ...]) -> int | None:
    """The fewest metrical faults of ``line`` against any template (a primary stress on a weak
    position is one fault), over every pronunciation of every word; None when no pronunciation
    gives the line a template's syllable count."""
    words = english.words_of(line)
    best = None
    for template in templates:
        weak = weak_mask(template)
        reach = {0: 0}  # syllables so far -> fewest faults
        for word in words:
            following: dict[int, int] = {}
            for at, faults in reach.items():
                for length, strong in english.metrical_patterns(word):
                    if at + length > len(template):
                        continue
                    cost = faults + bin((strong << at) & weak).count("1")
                    if cost < following.get(at + length, 1 << 30):
                        following[at + length] = cost
            reach = following
        if len(template) in reach and (best is None or reach[len(template)] < best):
            best = reach[len(template)]
    return best


def scans(line: str, spec: LineSpec, allowed: int = 0) -> bool:
    found = deviations(line, spec.templates)
    return found is not None and found <= allowed


# -- the checker ------------------------------------------------------------------------------
def _han(line: str) -> str:
    return "".join(c for c in line if chinese.is_han(c))


def _unit(line: str, language: str) -> str:
    if language == "zh":
        return _han(line)[-1:]
    words = english.words_of(line)
    return words[-1] if words else ""


def check(specs: tuple[LineSpec, ...], lines: list[str], language: str, rhyme: str = "perfect",
          tonal: bool = False) -> list[str]:
    """Every way ``lines`` break the form (empty list: the poem meets it). ``tonal``: a jueju must
    also keep one of the four tonal patterns (chinese.tonal_problems)."""
    problems = []
    if len(lines) != len(specs):
        return [f"{len(lines)} lines, the form has {len(specs)}"]
    finals: dict[str, list[tuple[int, str]]] = {}
    for number, (spec, line) in enumerate(zip(specs, lines), 1):
        if language == "zh":
            size = len(_han(line))
            if spec.end and not line.endswith(spec.end):
                problems.append(f"line {number} should end with {spec.end!r}")
            if line.rstrip("，。") != _han(line):
                problems.append(f"line {number} has characters that are not Han: {line!r}")
            if not spec.low <= size <= spec.high:
                want = str(spec.low) if spec.low == spec.high else f"{spec.low}-{spec.high}"
                problems.append(f"line {number}: {size} characters, the form needs {want}")
        else:
            found = deviations(line, spec.templates)
            if found is None:
                want = str(spec.low) if spec.low == spec.high else f"{spec.low}-{spec.high}"
                problems.append(f"line {number}: {english.line_syllables(line)} syllables, the form needs {want}")
            elif found:
                problems.append(f"line {number} does not scan ({found} stress(es) on weak positions): {line!r}")
        if spec.rhyme:
            finals.setdefault(spec.rhyme, []).append((number, _unit(line, language)))
    if language == "zh" and tonal:
        problems += chinese.tonal_problems([_han(line) for line in lines])
        return problems
    keys = {}
    for letter, ends in finals.items():
        (first_number, first), *rest = ends
        if language == "zh" and not chinese.is_level(first):
            problems.append(f"line {first_number}: rhyme character {first!r} is not a level (平) tone")
        for number, word in rest:
            ok = chinese.rhymes(first, word) if language == "zh" else english.rhymes(first, word, rhyme)
            if not ok:
                problems.append(f"lines {first_number} and {number} should rhyme ({letter}): {first!r} / {word!r}")
            if language == "zh" and not chinese.is_level(word):
                problems.append(f"line {number}: rhyme character {word!r} is not a level (平) tone")
        keys[letter] = first
    letters = list(keys)
    for i, a in enumerate(letters):
        for b in letters[i + 1:]:
            x, y = keys[a], keys[b]
            same = chinese.rhyme_group(x) == chinese.rhyme_group(y) if language == "zh" else \
                (english.rhymes(x, y, rhyme) or english.rhyme_key(x) == english.rhyme_key(y))
            if same:
                problems.append(f"rhymes {a} and {b} should differ but {x!r} and {y!r} share a sound")
    return problems
