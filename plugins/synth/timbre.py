"""Measures of one rendered note: envelope, attack and decay times, spectral centroid, partials.

These are what a listener hears first (how fast it speaks, how long it rings, how bright it
is, whether its overtones are harmonic), written down so that `benchmarks/synth.py` can set our
voices beside a SoundFont's and the tests can check a voice's behaviour. Every function takes a
mono note that starts at sample 0.
"""

from __future__ import annotations

import numpy as np

HOP_SECONDS = 0.005


def envelope(samples: np.ndarray, rate: int, frame_seconds: float = 0.01) -> np.ndarray:
    """RMS amplitude in ``frame_seconds`` frames every 5 ms (frame i is centred at i * 5 ms)."""
    hop, frame = max(1, int(HOP_SECONDS * rate)), max(1, int(frame_seconds * rate))
    padded = np.concatenate([np.zeros(frame // 2), np.asarray(samples, np.float64), np.zeros(frame)])
    power = np.concatenate([[0.0], np.cumsum(padded**2)])
    starts = np.arange(0, len(samples), hop)
    return np.sqrt((power[starts + frame] - power[starts]) / frame)


def attack_seconds(samples: np.ndarray, rate: int) -> float:
    """Time for the envelope to rise from 10% to 90% of its peak."""
    env = envelope(samples, rate)
    peak = env.max()
    first = int(np.argmax(env >= 0.1 * peak))
    reached = int(np.argmax(env >= 0.9 * peak))
    return (reached - first) * HOP_SECONDS


def decay_seconds(samples: np.ndarray, rate: int, drop_db: float = 20.0) -> float | None:
    """Time from the envelope's peak until it is ``drop_db`` below it; None if it never gets there."""
    env = envelope(samples, rate)
    peak = int(np.argmax(env))
    below = np.nonzero(env[peak:] < env[peak] * 10.0 ** (-drop_db / 20.0))[0]
    return None if len(below) == 0 else float(below[0] * HOP_SECONDS)


def power_spectrum(samples: np.ndarray, rate: int, pad: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Hann-windowed power spectrum, zero-padded ``pad`` times: (frequencies, power)."""
    size = len(samples) * pad
    power = np.abs(np.fft.rfft(samples * np.hanning(len(samples)), size)) ** 2
    return np.fft.rfftfreq(size, 1.0 / rate), power


def centroid_hz(samples: np.ndarray, rate: int) -> float:
    """Spectral centroid: the power-weighted mean frequency, the usual figure for brightness."""
    freqs, power = power_spectrum(samples, rate, pad=1)
    return float(np.sum(freqs * power) / max(np.sum(power), 1e-30))


def _peak_near(freqs: np.ndarray, power: np.ndarray, centre: float, width: float) -> tuple[float, float]:
    """(frequency, power) of the strongest bin within ``centre`` +- ``width``, parabola-refined."""
    band = np.nonzero((freqs >= centre - width) & (freqs <= centre + width))[0]
    if len(band) < 3:
        return centre, 0.0
    i = int(band[np.argmax(power[band])])
    a, b, c = np.log(power[i - 1 : i + 2] + 1e-30)
    shift = 0.5 * (a - c) / (a - 2 * b + c) if a - 2 * b + c < 0 else 0.0
    return float(freqs[i] + shift * (freqs[1] - freqs[0])), float(power[i])


def partial_cents(samples: np.ndarray, rate: int, f0: float, partial: int = 8) -> float | None:
    """How many cents partial ``partial`` lies above ``partial`` times the measured fundamental.

    Partials are followed upwards one at a time, each looked for where the one below predicts
    it, so a stretched series (a piano's) is tracked even when partial 8 is a semitone sharp.
    None when that partial is too weak (40 dB under the strongest) or above the band.
    """
    freqs, power = power_spectrum(samples, rate)
    f1, _ = _peak_near(freqs, power, f0, 0.03 * f0)
    previous, found = f1, 0.0
    top = power.max()
    for k in range(2, partial + 1):
        spacing = previous / (k - 1)
        found, strength = _peak_near(freqs, power, previous + spacing, 0.25 * f1)
        if strength < top * 1e-4 or found > 0.45 * rate:
            return None
        previous = found
    return float(1200.0 * np.log2(found / (partial * f1)))


def overtone_ratios(samples: np.ndarray, rate: int, f0: float, count: int = 2) -> list[float]:
    """Frequencies of the ``count`` strongest spectral peaks above 1.4 f0, as multiples of f0.

    For a bar (vibraphone 4 and 10, xylophone 3 and 6, glockenspiel 2.76 and 5.4) this is its
    tuning; for a string or a pipe it is 2 and 3.
    """
    freqs, power = power_spectrum(samples, rate)
    f1, _ = _peak_near(freqs, power, f0, 0.03 * f0)
    is_peak = (power[1:-1] > power[:-2]) & (power[1:-1] >= power[2:])
    peaks = np.nonzero(is_peak)[0] + 1
    peaks = peaks[(freqs[peaks] > 1.4 * f1) & (freqs[peaks] < 0.45 * rate) & (power[peaks] > power.max() * 1e-4)]
    strongest = peaks[np.argsort(power[peaks])[::-1]]
    chosen: list[float] = []
    for i in strongest:  # one peak per partial: skip bins within 3% of one already chosen
        if all(abs(freqs[i] - c * f1) > 0.03 * freqs[i] for c in chosen):
            chosen.append(float(freqs[i] / f1))
        if len(chosen) == count:
            break
    return sorted(chosen)
