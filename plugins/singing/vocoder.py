"""The WORLD vocoder (pyworld): speech analysed into frames, re-timed and re-pitched, resynthesised.

WORLD describes speech every 5 ms by three things: F0, the spectral envelope (the vowel and
the voice's timbre) and the aperiodicity (how noisy each band is). Singing keeps the envelope
and aperiodicity of the spoken frames, chosen by the time map of :mod:`.timing`, and replaces
F0 by the melody. The whole song is one frame sequence synthesised in one call, so syllables
join without seams (no clicks at joins) and rests are frames of silence.
"""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Sequence
from typing import Any

import numpy as np

from .timing import Segment, source_time

FRAME_SECONDS = 0.005
#: Power of a silent frame's envelope (about -120 dB): WORLD needs a positive spectrum.
SILENT_POWER = 1e-12
#: Frames faded in and out where singing starts and stops after a rest.
EDGE_FRAMES = 3
#: Sung vowels are steadier than spoken ones: their aperiodicity (breath noise) is scaled by
#: this, and voiced consonants' by CONSONANT_BREATH (unvoiced frames are noise whatever it is).
#: Chosen by benchmarks/voice.py's pitch ruler: a steadier voice is also one a tracker follows.
VOWEL_BREATH = 0.1
CONSONANT_BREATH = 0.5
#: A reattacked vowel (one sung straight after another, no consonant between): the level dips
#: by REATTACK_DB over the REATTACK seconds before its onset and is back by its second frame,
#: as a singer marks a new syllable with a soft glottal onset instead of sliding into it.
REATTACK, REATTACK_DB = 0.025, 15.0
#: Seconds over which a vowel's breath goes from spoken to sung: its analysis frames overlap the
#: consonant before it, whose noise made periodic would be a click.
VOWEL_SETTLE = 0.03


def load_world() -> Any:
    """pyworld, imported only when singing (it is the optional ``[sing]`` extra)."""
    import pyworld

    return pyworld


@dataclass
class Analysis:
    """WORLD's description of one spoken phrase: per frame F0 (0 = unvoiced), envelope, aperiodicity."""

    f0: np.ndarray
    envelope: np.ndarray
    aperiodicity: np.ndarray


def analyse(samples: np.ndarray, rate: int) -> Analysis:
    world = load_world()
    signal = np.ascontiguousarray(samples, dtype=np.float64)
    milliseconds = FRAME_SECONDS * 1000.0
    f0, times = world.dio(signal, rate, f0_floor=60.0, f0_ceil=500.0, frame_period=milliseconds)
    f0 = world.stonemask(signal, f0, times, rate)
    envelope = world.cheaptrick(signal, f0, times, rate)
    aperiodicity = world.d4c(signal, f0, times, rate)
    return Analysis(f0, envelope, aperiodicity)


def synthesize(placed: Sequence[tuple[Analysis, Sequence[Segment]]], pitch_hz: np.ndarray, rate: int) -> np.ndarray:
    """One waveform at ``rate`` for all phrases: ``pitch_hz[n]`` is the sung F0 at frame n, and
    each phrase's segments say which of its frames sound when. Frames no segment covers are silent."""
    world = load_world()
    frames = len(pitch_hz)
    bins = placed[0][0].envelope.shape[1] if placed else 513
    envelope = np.full((frames, bins), SILENT_POWER)
    aperiodicity = np.ones((frames, bins))
    f0 = np.zeros(frames)
    for analysis, segments in placed:
        sounding = np.zeros(frames, dtype=bool)
        for segment in segments:
            first = max(0, int(np.ceil(segment.start / FRAME_SECONDS)))
            last = min(frames, int(np.ceil(segment.end / FRAME_SECONDS)))
            if last <= first:
                continue
            times = np.arange(first, last) * FRAME_SECONDS
            position = np.array([source_time(segment, t) for t in times]) / FRAME_SECONDS
            position = np.clip(position, 0, len(analysis.f0) - 1)
            below = np.floor(position).astype(int)
            above = np.minimum(below + 1, len(analysis.f0) - 1)
            spoken_voiced = analysis.f0[np.rint(position).astype(int)] > 0
            voiced = spoken_voiced | segment.vowel
            if segment.vowel and spoken_voiced.any():  # an aspirated release eSpeak counts in the vowel stays noise
                voiced[: int(np.argmax(spoken_voiced))] = False
            weight = _matching_weight(position - below, analysis.f0[below] > 0, analysis.f0[above] > 0, voiced)
            envelope[first:last] = (1.0 - weight) * analysis.envelope[below] + weight * analysis.envelope[above]
            aperiodicity[first:last] = (1.0 - weight) * analysis.aperiodicity[below] + weight * analysis.aperiodicity[above]
            if segment.vowel:  # the vowel's first frames still hold the consonant: they settle gradually
                settle = np.clip((times - segment.start) / VOWEL_SETTLE, 0.0, 1.0)[:, None]
                aperiodicity[first:last] *= 1.0 + (VOWEL_BREATH - 1.0) * settle
            else:
                aperiodicity[first:last] *= CONSONANT_BREATH
            f0[first:last] = np.where(voiced, pitch_hz[first:last], 0.0)
            sounding[first:last] = True
            if segment.reattacked:
                _dip(envelope, first)
        _fade_edges(envelope, sounding)
    return world.synthesize(f0, envelope, aperiodicity, rate, FRAME_SECONDS * 1000.0).astype(np.float32)


def _matching_weight(fraction: np.ndarray, voiced_below: np.ndarray, voiced_above: np.ndarray,
                     voiced: np.ndarray) -> np.ndarray:
    """Interpolation weights (of the frame above) that never mix a voiced frame's envelope with an
    unvoiced one's at a voicing boundary: a glottal pulse given a fricative's bright envelope
    is a click."""
    weight = fraction.copy()
    weight[voiced & ~voiced_below & voiced_above] = 1.0
    weight[voiced & voiced_below & ~voiced_above] = 0.0
    weight[~voiced & voiced_below & ~voiced_above] = 1.0
    weight[~voiced & ~voiced_below & voiced_above] = 0.0
    return weight[:, None]


def _dip(envelope: np.ndarray, onset: int) -> None:
    """The level dip before a reattacked vowel's ``onset`` frame (see REATTACK)."""
    before = min(onset, int(round(REATTACK / FRAME_SECONDS)))
    floor = 10.0 ** (-REATTACK_DB / 10.0)  # the envelope is a power spectrum
    envelope[onset - before:onset] *= np.geomspace(1.0, floor, before + 1)[1:, None]
    envelope[onset:onset + 1] *= np.sqrt(floor)


def _fade_edges(envelope: np.ndarray, sounding: np.ndarray) -> None:
    """Ramp the first and last EDGE_FRAMES of each sounding run, so singing never starts or stops
    with a step."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], sounding.astype(np.int8), [0]])))
    ramp = np.linspace(0.0, 1.0, EDGE_FRAMES + 2)[1:-1] ** 2  # power: a gentle curve in amplitude
    for first, last in zip(edges[0::2], edges[1::2]):
        count = min(EDGE_FRAMES, (last - first) // 2)
        if count <= 0:
            continue
        envelope[first:first + count] *= ramp[:count][:, None]
        envelope[last - count:last] *= ramp[:count][::-1][:, None]
