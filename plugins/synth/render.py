"""`synthesize`: a Score in, an Audio out, with the builtin voices or FluidSynth."""

from __future__ import annotations

from pathlib import Path
from collections.abc import Sequence

import numpy as np

from engine import Audio, ParamError, Score

from .master import master, trim_silence
from .mixer import auto_pans, mix_tracks, tail_seconds
from .vocals import VOCALS, add_vocal, vocal_part

REVERB_SECONDS = 1.8
BACKENDS = ("builtin", "fluidsynth")


def _per_track(values: Sequence[float] | None, count: int, default: Sequence[float], name: str) -> list[float]:
    if values is None:
        return list(default)
    values = [float(v) for v in values]
    if len(values) > count:
        raise ParamError(f"{name}: {len(values)} values for {count} track(s)")
    return values + list(default[len(values):])


def synthesize(score: Score, rate: int = 44100, stereo: bool = True, reverb: float = 0.2,
               backend: str = "builtin", soundfont: Path | str | None = None, peak_db: float = -1.0,
               normalize: bool = True, gain_db: float = 0.0, pans: Sequence[float] | None = None,
               volumes: Sequence[float] | None = None, vocals: str = "sing", singer: str = "auto",
               vocal_lu: float = 2.0) -> Audio:
    """Render ``score`` to audio.

    ``pans`` (-1 left .. 1 right) and ``volumes`` (1 = as voiced) are per track, in track order;
    missing entries take the automatic layout. ``reverb`` is the wet level 0..1. The result
    peaks at ``peak_db`` dBFS; its ``meta`` is the score's, plus a ``synth`` entry recording how
    it was rendered (when the score has provenance to carry). ``vocals`` says what becomes of
    the track that carries the lyrics: ``sing`` (by ``singer``, ``vocal_lu`` LU above the band;
    see plugins/synth/vocals.py), ``instrument`` (played like any track) or ``off``.
    """
    if backend not in BACKENDS:
        raise ParamError(f"backend={backend!r} is not valid; choose one of {', '.join(BACKENDS)}")
    if not 8000 <= rate <= 192000:
        raise ParamError(f"rate={rate} is out of range; valid: 8000..192000")
    if vocals not in VOCALS:
        raise ParamError(f"vocals={vocals!r} is not valid; choose one of {', '.join(VOCALS)}")
    tracks = score.tracks
    pan_list = _per_track(pans, len(tracks), auto_pans(tracks), "pans")
    volume_list = _per_track(volumes, len(tracks), [1.0] * len(tracks), "volumes")
    voice_track, vocal = vocal_part(score, vocals, singer, rate)
    if voice_track is not None:
        volume_list[voice_track] = 0.0  # sung (or left out), not played
    end = score.duration
    if backend == "fluidsynth":
        from .fluid import render_fluidsynth

        mix = np.ascontiguousarray(render_fluidsynth(score, rate, soundfont, reverb, pan_list, volume_list).T)
        if not stereo:
            mix = mix.mean(axis=0, keepdims=True)
    else:
        tail = max((tail_seconds(t) for t in tracks if t.notes), default=0.0)
        tail += REVERB_SECONDS if reverb > 0 else 0.0
        length = max(int(0.1 * rate), int(np.ceil((end + tail) * rate)))
        mix = mix_tracks(tracks, rate, length, stereo, pan_list, volume_list, reverb)
    if vocal is not None:
        mix = add_vocal(mix, vocal, rate, reverb, vocal_lu)
    samples = trim_silence(master(mix, peak_db, normalize, gain_db), rate, keep_seconds=max(end, 0.1))
    settings = {"backend": backend, "rate": rate, "stereo": stereo, "reverb": reverb, "peak_db": peak_db,
                "normalize": normalize, "gain_db": gain_db}
    if score.lyrics:  # what was done with the voice line (sing falls back to instrument without the extra)
        settings["vocals"] = "sing" if vocal is not None else "off" if voice_track is not None else "instrument"
    if vocal is not None:
        settings.update(singer=singer, vocal_lu=vocal_lu)
    if soundfont is not None:
        settings["soundfont"] = str(soundfont)
    if pans is not None:
        settings["pans"] = pan_list
    if volumes is not None:
        settings["volumes"] = volume_list
    meta = {**score.meta, "synth": settings} if score.meta else {}
    return Audio(samples.T, rate, meta=meta)
