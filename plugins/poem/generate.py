"""`muse generate poem`: resolve the model and form, check the prime, decode, verify, wrap as Text."""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any

from engine import MuseError, ParamError, Text
from engine.io import shipped_model

from . import chinese, english
from .checkpoint import COMPONENT, LoadedModel, load_poem_model
from .decode import Decoder, check_prime, write_poem
from .forms import FORMS, check, line_specs

WEIGHTS = Path(__file__).parent / "weights"
UNTITLED_ZH = "無題"  # "Untitled", the classical title (the corpus is in traditional characters)


def resolve_model(value: str, form: str) -> LoadedModel:
    """``auto`` picks the shipped model of the form's language (zh for jueju, else en)."""
    if value == "auto":
        value = "zh" if FORMS[form].language == "zh" else "en"
    return load_poem_model(shipped_model(value, WEIGHTS, COMPONENT))


def _check_prime_fits(prime: str, first_line, language: str) -> None:
    if "\n" in prime:
        raise ParamError("prime must be a single line (the start of line 1)")
    if language == "zh":
        bad = [c for c in prime if not chinese.is_han(c)]
        if bad:
            raise ParamError(f"prime for a Chinese poem must be Han characters only; got {bad[0]!r}")
        if len(prime) >= first_line.high:
            raise ParamError(f"prime has {len(prime)} characters; line 1 holds {first_line.high}, leave room for the model")
    else:
        if english.line_syllables(prime) >= first_line.high:
            raise ParamError(f"prime has {english.line_syllables(prime)} syllables; line 1 holds at most "
                             f"{first_line.high}, leave room for the model")


def default_title(lines: list[str], language: str) -> str:
    """Untitled poems are known by their first line (English) or called 無題 (Chinese)."""
    if language == "zh":
        return UNTITLED_ZH
    words = english.words_of(lines[0]) if lines else []
    return " ".join(words[:4]) if words else "Untitled"


def form_seed(seed: int, form: str) -> int:
    """The decoder's stream for one seed and form: a sonnet and a quatrain asked for with the same
    seed are two poems, not one poem and its first four lines (a stable mix, so seeds reproduce)."""
    return seed ^ zlib.crc32(form.encode("utf-8"))


def generate_poem(params: dict[str, Any], seed: int) -> Text:
    import torch

    form = params["form"]
    loaded = resolve_model(params["model"], form)
    language = loaded.language
    specs = line_specs(FORMS[form], language, params["lines"])
    prime = params["prime"] or ""
    check_prime(loaded, prime)
    _check_prime_fits(prime, specs[0], language)
    generator = torch.Generator().manual_seed(form_seed(seed, form))
    decoder = Decoder(loaded, generator, params["temperature"], params["top_k"], params["top_p"])
    lines = write_poem(decoder, specs, language, prime, form)
    problems = check(specs, lines, language)
    if problems:  # the decoder should never let this happen; say so rather than ship a broken form
        raise MuseError(f"form={form}: the poem broke its form: {'; '.join(problems)}")
    title = params["title"] or default_title(lines, language)
    meta = {"checkpoint": loaded.sha256, "form": form, "language": language}
    return Text(lines=lines, title=title, language=language, meta=meta)
