"""Registers the synthesizer as the renderer of scores to WAV, FLAC and Ogg files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine import Param, ParamError, Renderer, Score, Work, hookimpl
from engine.formats import AUDIO_PARAMS, AUDIO_SUFFIXES


def _numbers(text: str | None, name: str) -> list[float] | None:
    """``"0,-0.5,0.5"`` -> [0.0, -0.5, 0.5]: per-track values from one CLI string."""
    if text is None or not text.strip():
        return None
    try:
        return [float(item) for item in text.split(",")]
    except ValueError:
        raise ParamError(f"{name}={text!r} is not a comma-separated list of numbers") from None


class SynthRenderer(Renderer):
    name = "synth"
    description = "synthesizes a score to WAV/FLAC/Ogg (built-in GM voices, or FluidSynth with a SoundFont)"
    work_type = Score
    suffixes = AUDIO_SUFFIXES
    params = (
        Param("backend", str, "builtin", "builtin voices, or fluidsynth (needs pyfluidsynth + libfluidsynth)",
              choices=("builtin", "fluidsynth")),
        Param("soundfont", Path, None, "SoundFont for backend=fluidsynth (default: pretty_midi's TimGM6mb.sf2)"),
        Param("rate", int, 44100, "sample rate in Hz", choices=(22050, 44100, 48000)),
        Param("stereo", bool, True, "stereo with per-track panning; false gives mono"),
        Param("reverb", float, 0.2, "reverb wet level", min=0.0, max=1.0),
        Param("peak_db", float, -1.0, "loudest sample level in dBFS (the limiter's ceiling)", min=-40.0, max=0.0),
        Param("normalize", bool, True, "scale the music to peak at peak_db; false keeps its level (times gain_db)"),
        Param("gain_db", float, 0.0, "gain before the limiter when normalize is false", min=-60.0, max=24.0),
        Param("pans", str, None, "per-track pan, comma-separated, -1 left .. 1 right (default: automatic)"),
        Param("volumes", str, None, "per-track volume, comma-separated, 1 = as voiced (default: all 1)"),
        Param("vocals", str, "sing", "the lyrics' track: sung (needs muse-engine[sing]), played on its instrument, or off",
              choices=("sing", "instrument", "off")),
        Param("singer", str, "auto", "the singing voice: higher, lower, or auto (nearest the melody's range)",
              choices=("auto", "higher", "lower")),
        Param("vocal_lu", float, 2.0, "sung vocal's loudness above the accompaniment, in LU", min=-12.0, max=12.0),
        *AUDIO_PARAMS,
    )

    def write(self, work: Work, path: Path, params: dict[str, Any]) -> None:
        from engine.formats import write_audio

        from .render import synthesize

        assert isinstance(work, Score)
        audio = synthesize(
            work, rate=params["rate"], stereo=params["stereo"], reverb=params["reverb"], backend=params["backend"],
            soundfont=params["soundfont"], peak_db=params["peak_db"], normalize=params["normalize"],
            gain_db=params["gain_db"], pans=_numbers(params["pans"], "pans"),
            volumes=_numbers(params["volumes"], "volumes"), vocals=params["vocals"], singer=params["singer"],
            vocal_lu=params["vocal_lu"],
        )
        write_audio(audio, path, {p.name: params[p.name] for p in AUDIO_PARAMS})


@hookimpl
def register_renderers(register):
    register(SynthRenderer())
