"""The optional FluidSynth backend: a SoundFont renders the score, sample-accurately.

Needs the system FluidSynth library and the ``pyfluidsynth`` package; neither is a Muse
dependency, so everything here is imported on use and a missing piece is one clear message.
"""

from __future__ import annotations

from pathlib import Path
from collections.abc import Sequence

import numpy as np

from engine import BadInput, MuseError, Score

INSTALL_HINT = ("backend=fluidsynth needs FluidSynth: install the library (apt-get install fluidsynth, "
                "or brew install fluid-synth) and the binding (pip install pyfluidsynth)")
DRUM_CHANNEL = 9
TAIL_SECONDS = 3.0


def default_soundfont() -> Path:
    """The small General MIDI SoundFont (TimGM6mb) that pretty_midi ships."""
    import pretty_midi

    return Path(pretty_midi.__file__).parent / "TimGM6mb.sf2"


def _load_binding():
    try:
        import fluidsynth
    except (ImportError, OSError):  # pyfluidsynth raises ImportError when the C library is missing
        raise MuseError(INSTALL_HINT) from None
    if not hasattr(fluidsynth, "Synth"):
        raise MuseError(INSTALL_HINT + " (the installed 'fluidsynth' module is not pyfluidsynth)")
    return fluidsynth


def fluidsynth_missing() -> str | None:
    """None when the backend can run, else the message saying what to install."""
    try:
        _load_binding()
    except MuseError as error:
        return str(error)
    return None


def _channels(score: Score) -> list[int]:
    """A MIDI channel per track: drums on channel 10, others on the 15 remaining, reused in turn."""
    melodic = [c for c in range(16) if c != DRUM_CHANNEL]
    channels, placed = [], 0
    for track in score.tracks:
        if track.is_drum:
            channels.append(DRUM_CHANNEL)
        else:
            channels.append(melodic[placed % len(melodic)])
            placed += 1
    return channels


def render_fluidsynth(score: Score, rate: int, soundfont: Path | str | None, reverb: float,
                      pans: Sequence[float], volumes: Sequence[float], chorus: bool = True) -> np.ndarray:
    """The score through FluidSynth as float32 ``(frames, 2)``; ``chorus=False`` turns its chorus off
    (what a timbre measurement wants: the SoundFont's own sound, not a detuned copy of it)."""
    fluidsynth = _load_binding()
    path = Path(soundfont) if soundfont is not None else default_soundfont()
    if not path.is_file():
        raise BadInput(f"soundfont {path}: no such file")
    synth = fluidsynth.Synth(gain=0.4, samplerate=float(rate))
    try:
        font = synth.sfload(str(path))
        if font == -1:
            raise BadInput(f"soundfont {path}: FluidSynth cannot load it")
        if reverb > 0:
            synth.set_reverb(roomsize=0.6, damping=0.4, width=0.8, level=min(1.0, reverb * 2.0))
        else:
            synth.setting("synth.reverb.active", 0)
        if not chorus:
            synth.setting("synth.chorus.active", 0)
        events = []
        for track, channel, pan, volume in zip(score.tracks, _channels(score), pans, volumes):
            if track.is_drum:
                synth.program_select(channel, font, 128, 0)
            else:
                synth.program_select(channel, font, 0, track.program)
                synth.cc(channel, 10, int(round((np.clip(pan, -1, 1) + 1) * 63.5)))
            synth.cc(channel, 7, int(np.clip(volume * 100, 0, 127)))
            for note in track.notes:
                # Note-offs sort before note-ons at the same sample, so a repeated note re-strikes.
                events.append((int(round(note.start * rate)), 1, channel, note.pitch, note.velocity))
                events.append((int(round(note.end * rate)), 0, channel, note.pitch, 0))
        events.sort()
        blocks, position = [], 0
        for sample, is_on, channel, pitch, velocity in events:
            if sample > position:
                blocks.append(synth.get_samples(sample - position))
                position = sample
            if is_on:
                synth.noteon(channel, pitch, max(1, min(127, velocity)))
            else:
                synth.noteoff(channel, pitch)
        blocks.append(synth.get_samples(int(TAIL_SECONDS * rate)))
    finally:
        synth.delete()
    interleaved = np.concatenate(blocks).astype(np.float32) / np.float32(32768.0)
    return interleaved.reshape(-1, 2)
