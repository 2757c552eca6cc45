"""A polyphonic, multi-track General MIDI synthesizer for Scores, in numpy (FluidSynth optional).

Use it through any renderer call (``muse render tune.mid -o tune.flac``,
``Engine().render(score, "x.wav")``) or directly with :func:`synthesize`. numpy is imported
only when something is synthesised, so importing this package stays cheap.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from collections.abc import Sequence

if TYPE_CHECKING:
    from engine import Audio, Score


def synthesize(score: Score, rate: int = 44100, stereo: bool = True, reverb: float = 0.2,
               backend: str = "builtin", soundfont: Path | str | None = None, peak_db: float = -1.0,
               normalize: bool = True, gain_db: float = 0.0, pans: Sequence[float] | None = None,
               volumes: Sequence[float] | None = None, vocals: str = "sing", singer: str = "auto",
               vocal_lu: float = 2.0) -> Audio:
    """Render ``score`` to an :class:`engine.Audio`; see :func:`plugins.synth.render.synthesize`."""
    from .render import synthesize as render

    return render(score, rate=rate, stereo=stereo, reverb=reverb, backend=backend, soundfont=soundfont,
                  peak_db=peak_db, normalize=normalize, gain_db=gain_db, pans=pans, volumes=volumes,
                  vocals=vocals, singer=singer, vocal_lu=vocal_lu)


__all__ = ["synthesize"]
