"""`muse generate poem`: resolve the model and form, check the prime, decode, verify, wrap as Text."""

from __future__ import annotations

import re
import zlib
from pathlib import Path
from typing import Any

from engine import MuseError, ParamError, Text
from engine.io import shipped_model

from . import chinese, english
from .checkpoint import COMPONENT, LoadedModel, load_poem_model
from .decode import Decoder, check_prime, write_poem
from .forms import FORMS, check, line_specs, metre_of

WEIGHTS = Path(__file__).parent / "weights"
UNTITLED_ZH = "無題"  # "Untitled", the classical title (the corpus is in traditional characters)


def resolve_model(value: str, form: str) -> LoadedModel:
    """``auto`` picks the shipped model of the form's language (zh for jueju, else en)."""
    if value == "auto":
        value = "zh" if FORMS[form].language == "zh" else "en"
    return load_poem_model(shipped_model(value, WEIGHTS, COMPONENT))


def _check_prime_fits(prime: str, first_line, language: str, form: str) -> None:
    if "\n" in prime:
        raise ParamError("prime must be a single line (the start of line 1)")
    if language == "zh":
        bad = [c for c in prime if not chinese.is_han(c)]
        if bad:
            raise ParamError(f"prime for a Chinese poem must be Han characters only; got {bad[0]!r}")
        if len(prime) >= first_line.high:
            raise ParamError(f"prime has {len(prime)} characters; line 1 holds {first_line.high}, leave room for the model")
        if form in ("jueju5", "jueju7"):
            patterns = chinese.tonal_patterns(first_line.high)
            if not any(all(p.free[0][i] or chinese.tone(c) == p.lines[0][i] for i, c in enumerate(prime))
                       for p in patterns):
                tones = "".join(chinese.tone(c) or "?" for c in prime)
                raise ParamError(f"prime {prime} ({tones}) starts none of the four tonal patterns of line 1: "
                                 f"{', '.join(p.lines[0] for p in patterns)}")
    else:
        if english.line_syllables(prime) >= first_line.high:
            raise ParamError(f"prime has {english.line_syllables(prime)} syllables; line 1 holds at most "
                             f"{first_line.high}, leave room for the model")
        if first_line.templates and not _prime_scans(prime, first_line.templates):
            raise ParamError(f"prime {prime!r} does not start a line of the metre (its stresses fall on weak "
                             f"positions of {', '.join(first_line.templates)})")


def _prime_scans(prime: str, templates: tuple[str, ...]) -> bool:
    from .forms import weak_mask

    for template in templates:
        reach = {0}
        for word in english.words_of(prime):
            reach = {k + n for k in reach for n, strong in english.metrical_patterns(word)
                     if k + n < len(template) and not (strong << k) & weak_mask(template)}
        if reach:
            return True
    return False


#: Words a title should not end on (it would stop mid-phrase: "This arms and").
_OPEN_WORDS = english.FUNCTION_WORDS | {"not", "no", "i", "thine", "mine", "me", "we", "us", "he", "him", "she",
                                       "they", "them", "you", "thee", "thou"}
_LEADING = {"and", "but", "or", "nor", "for", "so", "yet", "then"}


def default_title(lines: list[str], language: str) -> str:
    """A title chosen from the poem as a whole phrase: the first stretch of a line between
    punctuation marks that has 2-6 words and ends on a word that closes a phrase (not "the",
    "and", "of"...), a leading conjunction dropped; else the whole first line. Chinese: 無題."""
    if language == "zh":
        return UNTITLED_ZH
    for line in lines:
        for stretch in re.split(r"[,.;:!?]", line):
            words = english.words_of(stretch)
            while words and words[0].lower() in _LEADING:
                words = words[1:]
            if 2 <= len(words) <= 7 and words[-1].lower() not in _OPEN_WORDS:
                return _title_case(words)
    words = english.words_of(lines[0]) if lines else []
    return _title_case(words) if words else "Untitled"


def _title_case(words: list[str]) -> str:
    return " ".join([words[0][:1].upper() + words[0][1:]] + words[1:])


def form_seed(seed: int, form: str) -> int:
    """The decoder's stream for one seed and form: a sonnet and a quatrain asked for with the same
    seed are two poems, not one poem and its first four lines (a stable mix, so seeds reproduce)."""
    return seed ^ zlib.crc32(form.encode("utf-8"))


def generate_poem(params: dict[str, Any], seed: int) -> Text:
    import torch

    form = params["form"]
    loaded = resolve_model(params["model"], form)
    language = loaded.language
    metre = params.get("metre", "auto")
    rhyme = params.get("rhyme", "perfect")
    specs = line_specs(FORMS[form], language, params["lines"], metre)
    prime = params["prime"] or ""
    check_prime(loaded, prime)
    _check_prime_fits(prime, specs[0], language, form)
    generator = torch.Generator().manual_seed(form_seed(seed, form))
    decoder = Decoder(loaded, generator, params["temperature"], params["top_k"], params["top_p"])
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # one character at a time: extra threads only add hand-over cost
    try:
        lines = write_poem(decoder, specs, language, prime, form, rhyme)
    finally:
        torch.set_num_threads(threads)
    problems = check(specs, lines, language, rhyme, tonal=form in ("jueju5", "jueju7"))
    if problems:  # the decoder should never let this happen; say so rather than ship a broken form
        raise MuseError(f"form={form}: the poem broke its form: {'; '.join(problems)}")
    title = params["title"] or default_title(lines, language)
    meta = {"checkpoint": loaded.sha256, "form": form, "language": language}
    if language == "en" and FORMS[form].metre:
        meta["metre"] = metre_of(FORMS[form], metre)
        meta["rhyme"] = rhyme
    if form in ("jueju5", "jueju7"):
        meta["tonal_pattern"] = chinese.best_pattern([line[:-1] for line in lines])[0].name
    return Text(lines=lines, title=title, language=language, meta=meta)
