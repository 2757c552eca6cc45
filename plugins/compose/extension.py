"""More melody for a long poem: ask the `melody` generator for phrases in the song's key and meter.

Used by ``song`` with ``extend=melody``; without it (or without the generator) a short melody is
stretched by repeating its own phrases instead. The generator is the one of the engine that
called the composer (its :class:`~engine.components.Context`), and the melody it makes is
recorded as an input of the song, so ``muse reproduce`` rebuilds the song through it.
"""

from __future__ import annotations

from engine import MuseError, Score
from engine.components import Context
from engine.theory import Key

from .scoretools import melody_grid, monophonic
from .song import Phrase, split_phrases


def generated_phrases(context: Context, score: Score, key: Key, bars_per_phrase: int, count: int,
                      seed: int) -> list[Phrase]:
    """``count`` new phrases of ``bars_per_phrase`` bars from the calling engine's melody generator."""
    if not context.has("generator", "melody"):
        raise MuseError("song: extend=melody needs the `melody` generator, which is not installed; "
                        "use extend=repeat")
    numerator, denominator = score.time_signature
    try:
        made = context.generate("melody", seed=seed, bars=bars_per_phrase * count, key=key.name,
                                time_signature=f"{numerator}/{denominator}", tempo=min(400.0, max(20.0, score.tempo)))
    except MuseError as error:
        raise MuseError(f"song: extend=melody could not get phrases from the melody generator ({error}); "
                        "use extend=repeat") from None
    if not isinstance(made, Score):
        raise MuseError(f"song: extend=melody: the melody generator made {type(made).__name__}, not a Score")
    notes = monophonic([n for t in made.tracks if not t.is_drum for n in t.notes])
    grid, _ = melody_grid(made, notes)  # the generator may open with a pickup: cut at its bar lines
    phrases = split_phrases(notes, score.seconds_per_bar, bars_per_phrase, bars_per_phrase * count, grid.start)
    for phrase in phrases:
        phrase.source = "melody generator"
    return phrases
