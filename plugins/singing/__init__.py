"""The singing voice: a Score's lyrics sung on its notes, with no learned weights.

A library package (it registers nothing; the synth renderer uses it for ``vocals=sing``).
eSpeak NG speaks the words (English, or Mandarin from pinyin), the WORLD vocoder re-times and
re-pitches that speech onto the melody: see docs/voice.md.

It needs the optional extra ``pip install 'muse-engine[sing]'``: ``espeakng-loader`` (eSpeak NG's
library and voice data, GPLv3) and ``pyworld`` (WORLD, modified BSD). Without it,
:func:`sing` raises :class:`SingingUnavailable`, whose message is the one line that says so.
Importing this package is cheap: numpy, eSpeak and WORLD load only when something is sung.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine import MuseError

if TYPE_CHECKING:
    from engine import Score

    from .singer import Vocal

INSTALL_HINT = "pip install 'muse-engine[sing]'"
#: Voice choices: ``auto`` picks the one whose range is nearest the melody.
SINGERS = ("auto", "higher", "lower")


class SingingUnavailable(MuseError):
    """The singing extra (eSpeak NG and WORLD) is not installed."""


def missing_dependency() -> str | None:
    """None when singing can run, else the one-line message that says how to install it."""
    import importlib.util

    missing = [name for module, name in (("espeakng_loader", "espeakng-loader"), ("pyworld", "pyworld-prebuilt"))
               if importlib.util.find_spec(module) is None]
    if not missing:
        return None
    return f"singing needs {', '.join(missing)}: {INSTALL_HINT}"


def sing(score: Score, singer: str = "auto", rate: int = 44100) -> Vocal | None:
    """``score``'s lyrics sung on the notes of their track (None when nothing in it is sung).

    Raises :class:`SingingUnavailable` (one line: what to install) without the extra.
    """
    message = missing_dependency()
    if message is not None:
        raise SingingUnavailable(message)
    if singer not in SINGERS:
        from engine import ParamError

        raise ParamError(f"singer={singer!r} is not valid; choose one of {', '.join(SINGERS)}")
    from .singer import sing as sing_score

    return sing_score(score, singer, rate)


__all__ = ["INSTALL_HINT", "SINGERS", "SingingUnavailable", "missing_dependency", "sing"]
