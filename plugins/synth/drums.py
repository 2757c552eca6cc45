"""Synthesised General MIDI drums: one-shots built from sines, pitch drops and filtered noise.

Each hit is rendered once per (key, brightness) and reused; noise is seeded by the key so a
score always sounds the same. Drum notes ignore their duration, as GM channel 10 does.
"""

from __future__ import annotations

import numpy as np

from .dsp import TWO_PI, fade_in, spectral_filter, times
from .gm import TOM_HZ, drum_for_key

#: Square-wave partials of a classic analogue hi-hat (Hz): inharmonic, so it sounds metallic.
METAL_HZ = (205.3, 304.4, 369.6, 522.7, 540.0, 800.0)


def _noise(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1.0, 1.0, n).astype(np.float32)


def _decay(t: np.ndarray, seconds: float) -> np.ndarray:
    return np.exp(-t / np.float32(seconds))


def _swept_sine(t: np.ndarray, rate: int, low: float, high: float, sweep: float) -> np.ndarray:
    """A sine whose frequency falls from ``high`` to ``low`` Hz with time constant ``sweep``."""
    freq = np.float32(low) + np.float32(high - low) * _decay(t, sweep)
    phase = np.cumsum(freq, dtype=np.float64) / rate
    return np.sin(TWO_PI * (phase - np.floor(phase)).astype(np.float32))


def _metal(t: np.ndarray, rate: int, low: float, scale: float = 1.0) -> np.ndarray:
    """Six detuned square waves, high-passed: the ring of hats and cymbals."""
    out = np.zeros(len(t), dtype=np.float32)
    for hz in METAL_HZ:
        out += np.sign(np.sin(TWO_PI * np.float32(hz * scale) * t))
    return spectral_filter(out, rate, low=low, high=0.42 * rate) / np.float32(3.0)


def kick(n: int, rate: int, bright: float, seed: int) -> np.ndarray:
    t = times(n, rate)
    body = _swept_sine(t, rate, 48.0, 48.0 + 120.0 * (0.6 + 0.4 * bright), 0.035) * _decay(t, 0.28)
    click = spectral_filter(_noise(n, seed), rate, high=4000.0) * _decay(t, 0.004) * np.float32(0.6 * bright)
    return body + click


def snare(n: int, rate: int, bright: float, seed: int) -> np.ndarray:
    t = times(n, rate)
    tone = (np.sin(TWO_PI * 185.0 * t) + 0.5 * np.sin(TWO_PI * 330.0 * t)) * _decay(t, 0.06) * np.float32(0.5)
    rattle = spectral_filter(_noise(n, seed), rate, low=1200.0, high=5000.0 + 5000.0 * bright)
    return tone + rattle * _decay(t, 0.13) * np.float32(1.6)


def clap(n: int, rate: int, bright: float, seed: int) -> np.ndarray:
    t = times(n, rate)
    noise = spectral_filter(_noise(n, seed), rate, low=900.0, high=3500.0 + 2000.0 * bright)
    bursts = sum(_decay(np.maximum(t - np.float32(d), 0.0), 0.008) * (t >= d) for d in (0.0, 0.011, 0.022))
    return noise * (bursts * np.float32(0.7) + _decay(np.maximum(t - np.float32(0.03), 0.0), 0.1) * (t >= 0.03)) * 2.0


def tom(n: int, rate: int, bright: float, seed: int, hz: float) -> np.ndarray:
    t = times(n, rate)
    ring = 0.18 + 25.0 / hz
    body = _swept_sine(t, rate, hz, hz * 1.6, 0.04) * _decay(t, ring)
    skin = spectral_filter(_noise(n, seed), rate, low=hz * 2, high=3000.0 + 3000.0 * bright) * _decay(t, 0.03)
    return body + skin * np.float32(0.3 * bright)


def hat(n: int, rate: int, bright: float, seed: int, ring: float) -> np.ndarray:
    t = times(n, rate)
    noise = spectral_filter(_noise(n, seed), rate, low=7000.0, high=0.45 * rate)
    return (_metal(t, rate, 7000.0) * 0.8 + noise * np.float32(0.6 + 0.6 * bright)) * _decay(t, ring)


def cymbal(n: int, rate: int, bright: float, seed: int, ring: float, low: float = 4000.0) -> np.ndarray:
    t = times(n, rate)
    noise = spectral_filter(_noise(n, seed), rate, low=low, high=0.45 * rate)
    shimmer = _metal(t, rate, low, scale=1.37)
    return (noise * np.float32(0.8) + shimmer * np.float32(0.5 + 0.3 * bright)) * _decay(t, ring) * np.float32(0.8)


def ride_bell(n: int, rate: int, bright: float, seed: int) -> np.ndarray:
    t = times(n, rate)
    ping = sum(np.sin(TWO_PI * np.float32(hz) * t) * w for hz, w in ((2350.0, 1.0), (3420.0, 0.5), (5010.0, 0.3)))
    return ping * _decay(t, 0.6) * np.float32(0.5) + cymbal(n, rate, bright, seed, 0.8) * np.float32(0.4)


def shaker(n: int, rate: int, bright: float, seed: int) -> np.ndarray:
    t = times(n, rate)
    noise = spectral_filter(_noise(n, seed), rate, low=5000.0, high=14000.0)
    swell = np.minimum(t / np.float32(0.012), 1.0)
    return noise * swell * _decay(t, 0.045) * np.float32(1.2)


def cowbell(n: int, rate: int, bright: float, seed: int) -> np.ndarray:
    t = times(n, rate)
    tone = np.sign(np.sin(TWO_PI * 540.0 * t)) + np.sign(np.sin(TWO_PI * 800.0 * t))
    return spectral_filter(tone, rate, low=400.0, high=3000.0 + 3000.0 * bright) * _decay(t, 0.12) * np.float32(0.4)


def stick(n: int, rate: int, bright: float, seed: int, hz: float) -> np.ndarray:
    t = times(n, rate)
    tone = np.sin(TWO_PI * np.float32(hz) * t) * _decay(t, 0.025)
    click = spectral_filter(_noise(n, seed), rate, low=2000.0) * _decay(t, 0.003)
    return tone + click * np.float32(0.5 * bright)


def triangle(n: int, rate: int, bright: float, seed: int, ring: float) -> np.ndarray:
    t = times(n, rate)
    partials = sum(np.sin(TWO_PI * np.float32(4500.0 * m) * t) / m for m in (1.0, 2.76, 5.4) if 4500.0 * m < 0.45 * rate)
    return partials * _decay(t, ring) * np.float32(0.5)


#: Seconds of each sound: long enough for its decay to fall below -70 dB.
LENGTHS = {"kick": 0.7, "snare": 0.5, "clap": 0.5, "tom": 1.2, "hat_closed": 0.25, "hat_pedal": 0.3,
           "hat_open": 1.2, "crash": 3.5, "splash": 1.6, "ride": 3.0, "ride_bell": 2.5, "shaker": 0.35,
           "cowbell": 0.6, "stick": 0.2, "triangle": 2.5}

#: Mix level of each sound relative to the kick.
LEVELS = {"kick": 1.0, "snare": 0.8, "clap": 0.7, "tom": 0.9, "hat_closed": 0.35, "hat_pedal": 0.3,
          "hat_open": 0.35, "crash": 0.45, "splash": 0.4, "ride": 0.3, "ride_bell": 0.35, "shaker": 0.3,
          "cowbell": 0.45, "stick": 0.5, "triangle": 0.3}


def drum_hit(key: int, bright: float, rate: int) -> np.ndarray:
    """The one-shot for GM percussion ``key`` at ``bright`` (0..1), float32 mono."""
    sound = drum_for_key(key)
    n = int(LENGTHS[sound] * rate)
    seed = 7919 * key + 17
    if sound == "kick":
        out = kick(n, rate, bright, seed)
    elif sound == "snare":
        out = snare(n, rate, bright, seed)
    elif sound == "clap":
        out = clap(n, rate, bright, seed)
    elif sound == "tom":
        out = tom(n, rate, bright, seed, TOM_HZ.get(key, 120.0))
    elif sound.startswith("hat"):
        out = hat(n, rate, bright, seed, {"hat_closed": 0.035, "hat_pedal": 0.05, "hat_open": 0.3}[sound])
    elif sound in ("crash", "splash", "ride"):
        ring, low = {"crash": (0.9, 3500.0), "splash": (0.35, 5000.0), "ride": (0.7, 6000.0)}[sound]
        out = cymbal(n, rate, bright, seed, ring, low) * (0.6 if sound == "ride" else 1.0)
    elif sound == "ride_bell":
        out = ride_bell(n, rate, bright, seed)
    elif sound == "cowbell":
        out = cowbell(n, rate, bright, seed)
    elif sound == "stick":
        out = stick(n, rate, bright, seed, {37: 1700.0, 75: 2500.0, 76: 1300.0, 77: 1000.0}.get(key, 1500.0))
    elif sound == "triangle":
        out = triangle(n, rate, bright, seed, 0.12 if key == 80 else 0.8)
    else:
        out = shaker(n, rate, bright, seed)
    out = fade_in(out.astype(np.float32), int(0.0005 * rate)) * np.float32(LEVELS[sound])
    # Fading the last fifth out makes the end of the buffer inaudible even for long cymbals.
    tail = len(out) // 5
    out[len(out) - tail :] *= np.linspace(1.0, 0.0, tail, dtype=np.float32) ** 2
    return out
