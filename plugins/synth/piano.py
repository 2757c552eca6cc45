"""The acoustic piano: stretched partials, a two-stage decay that depends on the register.

A piano string is stiff, so its partials are not harmonic: partial k sounds at
``k f sqrt(1 + B k^2)`` (Fletcher 1964), with the inharmonicity ``B`` smallest in the tenor and
growing towards the treble. That stretch, about +17 cents at partial 8 around C3 and +31 cents
around C5, is much of why a piano does not sound like an organ. The sound also dies in two
stages (the quick "prompt" sound, then the long "aftersound", Weinreich 1977) at a rate that
depends strongly on the register: a bass string sings for many seconds, a top-octave one for a
fraction of a second. The decay times were set near the FluidR3 piano's -20 dB times
(FluidR3 1.9, 1.4 and 0.23 s at C2, C4 and C6; ours 2.4, 1.5 and 0.36 s; `benchmarks/synth.py`
reports both).
"""

from __future__ import annotations

import numpy as np

from .dsp import band_noise, damped_sines, fade_in, lowpass_gain, times

#: MIDI pitch -> inharmonicity coefficient B, interpolated on a log scale between the rows.
INHARMONICITY = ((21, 0.00030), (36, 0.00022), (48, 0.00032), (60, 0.00045), (72, 0.00057), (84, 0.0015),
                 (96, 0.005), (108, 0.015))

#: MIDI pitch -> time constant (s) of the fundamental's prompt decay; the aftersound is 6x slower.
PROMPT_DECAY = ((21, 1.2), (36, 1.05), (48, 0.75), (60, 0.42), (72, 0.22), (84, 0.06), (96, 0.035), (108, 0.025))

AFTERSOUND = 0.2  # share of the amplitude in the slow stage
MAX_PARTIALS = 24
HIGHEST_PARTIAL_HZ = 7000.0


def _interpolate(table: tuple[tuple[int, float], ...], pitch: float) -> float:
    keys = [k for k, _ in table]
    values = np.log([v for _, v in table])
    return float(np.exp(np.interp(pitch, keys, values)))


def midi_pitch(freq: float) -> float:
    return 69.0 + 12.0 * np.log2(freq / 440.0)


def inharmonicity(freq: float) -> float:
    """The string's B at this frequency (dimensionless)."""
    return _interpolate(INHARMONICITY, midi_pitch(freq))


def partial_frequencies(freq: float, rate: int) -> np.ndarray:
    """The stretched partials of the note that fit below 7 kHz and 0.45 x the sample rate."""
    k = np.arange(1, MAX_PARTIALS + 1, dtype=np.float64)
    partials = k * freq * np.sqrt(1.0 + inharmonicity(freq) * k**2)
    return partials[: max(1, int(np.sum(partials < min(HIGHEST_PARTIAL_HZ, 0.45 * rate))))]


def piano(freq: float, n: int, bright: float, rate: int, seed: int) -> np.ndarray:
    """Stretched additive partials, each dying faster than the one below, plus the hammer's thump.

    In the bass the fundamental is weak and many partials are strong; in the treble the
    spectrum falls steeply. Velocity tilts it (a harder blow, a brighter tone), and the hammer,
    striking about 1/8 along the string, weakens every 8th partial.
    """
    partials = partial_frequencies(freq, rate)
    k = np.arange(1, len(partials) + 1, dtype=np.float64)
    register = float(np.clip((midi_pitch(freq) - 36.0) / 48.0, 0.0, 1.0))  # 0 at C2, 1 at C6
    slope = 0.6 + 0.5 * register + 1.2 * (1.0 - bright)
    amplitudes = k**-slope * (0.3 + 0.7 * np.abs(np.sin(np.pi * k / 8.0)))
    amplitudes[0] *= 0.45 + 0.55 * register  # a bass string's fundamental radiates weakly
    amplitudes *= lowpass_gain(partials, 5000.0)  # so the 7 kHz limit is a taper, not a wall
    amplitudes /= np.sqrt(np.sum(amplitudes**2)) * 1.6
    prompt = _interpolate(PROMPT_DECAY, midi_pitch(freq))
    # Partial k dies (1 + (k-1)/4) times as fast as the fundamental, in both stages.
    speed = (1.0 + 0.25 * (k - 1.0)) / prompt
    out = damped_sines(n, rate, np.concatenate([partials, partials]), np.concatenate([speed, speed / 6.0]),
                       np.concatenate([(1.0 - AFTERSOUND) * amplitudes, AFTERSOUND * amplitudes]))
    short = min(n, int(0.03 * rate))
    thump = band_noise(short, rate, seed, low=60.0, high=1500.0 + 2500.0 * bright)
    out[:short] += thump * np.exp(-times(short, rate) / np.float32(0.006)) * np.float32(0.02 + 0.04 * bright)
    return fade_in(out, int(0.002 * rate))
