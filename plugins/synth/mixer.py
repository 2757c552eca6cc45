"""From tracks of notes to a mono buffer per track, then a panned stereo mix with reverb.

A note's sound depends only on its voice, pitch and brightness level, so each distinct
(pitch, level) is rendered once, as long as its longest note plus the release, and every note
is a slice of it: scaled by velocity, released at its own note-off. That is what a sampler
does, and it makes a long song cost about as much as its distinct notes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from collections.abc import Sequence

import numpy as np

from engine import Track
from engine.theory import midi_to_hz

from .drums import drum_hit
from .dsp import release_curve
from .gm import BASS_VOICES, voice_for_program
from .voices import VOICES, Voice

BRIGHTNESS_LEVELS = 8
DRUM_REVERB = 0.5
DRUM_TAIL_SECONDS = 3.5


def velocity_gain(velocity: int) -> float:
    """GM's suggested loudness curve, 40 log10(v / 127) dB: velocity 64 is 12 dB below 127."""
    return (max(0, min(127, velocity)) / 127.0) ** 2


def brightness_level(velocity: int) -> int:
    return min(BRIGHTNESS_LEVELS - 1, max(0, velocity) * BRIGHTNESS_LEVELS // 128)


def level_brightness(level: int) -> float:
    return (level + 0.5) / BRIGHTNESS_LEVELS


@dataclass
class Hit:
    start: int  # first sample
    held: int  # samples until note-off
    gain: float


def track_voice(track: Track) -> Voice | None:
    return None if track.is_drum else VOICES[voice_for_program(track.program)]


def tail_seconds(track: Track) -> float:
    """How long after its last note-off a track can still sound."""
    voice = track_voice(track)
    return DRUM_TAIL_SECONDS if voice is None else voice.release


def _group(track: Track, rate: int) -> dict[tuple[int, int], list[Hit]]:
    groups: dict[tuple[int, int], list[Hit]] = defaultdict(list)
    for note in track.notes:
        start = max(0, int(round(note.start * rate)))
        held = max(int(0.005 * rate), int(round((note.end - note.start) * rate)))
        groups[(note.pitch, brightness_level(note.velocity))].append(Hit(start, held, velocity_gain(note.velocity)))
    return groups


def render_pitched(track: Track, voice: Voice, rate: int, length: int) -> np.ndarray:
    """The track as a mono buffer of ``length`` samples."""
    out = np.zeros(length, dtype=np.float32)
    release = max(1, int(voice.release * rate))
    fade = release_curve(release)
    for (pitch, level), hits in sorted(_group(track, rate).items()):
        freq = float(midi_to_hz(pitch))
        if freq >= 0.45 * rate:
            continue  # its fundamental would alias; nothing audible to render
        longest = max(hit.held for hit in hits)
        sound = voice.render(freq, longest + release, level_brightness(level), rate, 1009 * pitch + level)
        for hit in hits:
            held_end = min(hit.start + hit.held, length)
            out[hit.start : held_end] += np.float32(hit.gain) * sound[: held_end - hit.start]
            release_end = min(held_end + release, length)
            count = release_end - held_end
            if count > 0:
                out[held_end:release_end] += np.float32(hit.gain) * sound[hit.held : hit.held + count] * fade[:count]
    return out


def render_drums(track: Track, rate: int, length: int) -> np.ndarray:
    out = np.zeros(length, dtype=np.float32)
    for (key, level), hits in sorted(_group(track, rate).items()):
        sound = drum_hit(key, level_brightness(level), rate)
        for hit in hits:
            end = min(hit.start + len(sound), length)
            out[hit.start : end] += np.float32(hit.gain) * sound[: end - hit.start]
    return out


def auto_pans(tracks: Sequence[Track]) -> list[float]:
    """Drums and bass in the centre; other tracks alternate left and right, spreading outwards."""
    spots = (0.0, -0.3, 0.3, -0.55, 0.55, -0.15, 0.15, -0.75, 0.75)
    pans, placed = [], 0
    for track in tracks:
        if track.is_drum or voice_for_program(track.program) in BASS_VOICES:
            pans.append(0.0)
        else:
            pans.append(spots[placed % len(spots)])
            placed += 1
    return pans


def mix_tracks(tracks: Sequence[Track], rate: int, length: int, stereo: bool, pans: Sequence[float],
               volumes: Sequence[float], reverb_amount: float) -> np.ndarray:
    """All tracks panned (constant power) and summed, plus the reverb, as (channels, length).

    Channels come first so that every whole-signal operation runs over contiguous memory.
    """
    from .reverb import add_reverb

    mix = np.zeros((2 if stereo else 1, length), dtype=np.float32)
    send = np.zeros(length, dtype=np.float32) if reverb_amount > 0 else None
    for track, pan, volume in zip(tracks, pans, volumes):
        if not track.notes or volume <= 0:
            continue
        voice = track_voice(track)
        if voice is None:
            mono, level, wet = render_drums(track, rate, length), 1.0, DRUM_REVERB
        else:
            mono, level, wet = render_pitched(track, voice, rate, length), voice.gain, voice.reverb
        gain = level * volume
        if stereo:
            angle = (np.clip(pan, -1.0, 1.0) + 1.0) * np.pi / 4.0
            mix[0] += np.float32(gain * np.cos(angle) * np.sqrt(2.0)) * mono
            mix[1] += np.float32(gain * np.sin(angle) * np.sqrt(2.0)) * mono
        else:
            mix[0] += np.float32(gain) * mono
        if send is not None:
            send += np.float32(gain * wet) * mono
    if send is not None:
        mix *= np.float32(1.0 - 0.5 * reverb_amount)
        add_reverb(mix, send, rate, reverb_amount)
    return mix
