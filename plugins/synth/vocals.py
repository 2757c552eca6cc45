"""The voice line of a song: sung (plugins.singing), played on its instrument, or left out.

``vocals=sing`` mutes the track that carries the lyrics in the instrumental mix and adds the
sung vocal in the centre, with its own reverb, at ``vocal_lu`` loudness units above the
accompaniment. Without the singing extra it says so in one line and plays the voice line on
its instrument instead, as ``vocals=instrument`` does.
"""

from __future__ import annotations

import sys

import numpy as np

from engine import Score

VOCALS = ("sing", "instrument", "off")
#: Reverb send of the sung vocal (a voice wants a little less room than the band).
VOCAL_REVERB = 0.25


def vocal_part(score: Score, vocals: str, singer: str, rate: int) -> tuple[int | None, np.ndarray | None]:
    """Which track is the voice line (to mute in the band), and its sung samples (mono) if sung."""
    if vocals == "instrument":
        return None, None
    from plugins.singing.lyrics import sung_track

    track = sung_track(score)
    if track is None or vocals == "off":
        return track, None
    from plugins.singing import SingingUnavailable, sing

    try:
        vocal = sing(score, singer, rate)
    except SingingUnavailable as missing:
        print(f"muse: note: {missing}; the voice line is played on its instrument", file=sys.stderr)
        return None, None
    return (track, vocal.samples) if vocal is not None else (None, None)


def add_vocal(mix: np.ndarray, vocal: np.ndarray, rate: int, reverb: float, vocal_lu: float) -> np.ndarray:
    """``mix`` (channels, frames) with ``vocal`` added in the centre, ``vocal_lu`` LU above the rest."""
    from plugins.singing.level import balance_gain

    from .reverb import add_reverb

    frames = max(mix.shape[1], len(vocal))
    if frames > mix.shape[1]:
        mix = np.pad(mix, ((0, 0), (0, frames - mix.shape[1])))
    voice = np.zeros((mix.shape[0], frames), dtype=np.float32)
    voice[:, : len(vocal)] = vocal
    if reverb > 0:
        voice *= np.float32(1.0 - 0.5 * reverb)
        add_reverb(voice, np.pad(vocal, (0, frames - len(vocal))) * np.float32(VOCAL_REVERB), rate, reverb)
    gain = balance_gain(voice, mix, rate, vocal_lu)
    mix += np.float32(gain) * voice
    return mix
