"""Solo bowed strings: one string's sawtooth through the instrument's body, a bowed attack, vibrato.

A bowed string moves in a Helmholtz corner, whose force on the bridge is close to a sawtooth;
the body then colours it with a few strong resonances (for a violin the air mode near 275 Hz,
the main wood modes near 460 and 550 Hz and the broad "bridge hill" near 2.5 kHz; a viola's
and a cello's lie lower). Three things make it a player rather than a section: one string (no
detuned copies), a bow that speaks with a scratch of noise before the tone settles, and a
vibrato that starts only once the note has sounded for a moment. Because vibrato sweeps the
harmonics across the fixed body resonances, their levels rise and fall with it; that is made
by reading two body-filtered tables, one at each end of the vibrato, in step with the pitch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .dsp import TWO_PI, band_limit, band_noise, cycles, harmonic_table, lowpass_gain, read_table, resonance_gain, times


@dataclass(frozen=True)
class Body:
    """One member of the violin family."""

    resonances: tuple[tuple[float, float, float], ...]  # (Hz, gain, Q) of the body's main modes
    rolloff: float  # Hz above which the body radiates less and less
    attack: float  # seconds for the bow to bring the string to full speech
    noise_band: tuple[float, float]  # Hz band of the bow's hiss and scratch
    vibrato_hz: float
    vibrato_cents: float
    vibrato_delay: float  # seconds before the vibrato starts to fade in


BODIES: dict[str, Body] = {
    "violin": Body(((275.0, 0.8, 8.0), (460.0, 1.0, 9.0), (550.0, 0.9, 9.0), (2500.0, 1.3, 1.6)), 4500.0,
                   0.06, (1500.0, 9000.0), 5.8, 18.0, 0.22),
    "viola": Body(((230.0, 0.8, 8.0), (350.0, 1.0, 9.0), (440.0, 0.9, 9.0), (2000.0, 1.1, 1.6)), 3500.0,
                  0.08, (1200.0, 7000.0), 5.5, 16.0, 0.25),
    "cello": Body(((100.0, 0.8, 8.0), (175.0, 1.0, 9.0), (220.0, 0.9, 8.0), (1400.0, 1.0, 1.5)), 2500.0,
                  0.1, (700.0, 5000.0), 5.2, 15.0, 0.28),
    "contrabass": Body(((62.0, 0.8, 8.0), (105.0, 1.0, 8.0), (140.0, 0.9, 8.0), (900.0, 0.9, 1.5)), 1600.0,
                       0.14, (400.0, 3000.0), 5.0, 12.0, 0.32),
}


def _body_table(freq: float, rate: int, body: Body, bright: float) -> np.ndarray:
    """One cycle of the string's sawtooth at ``freq`` as the body radiates it, peak 1."""
    h = np.arange(1, band_limit(freq * 1.03, rate) + 1, dtype=np.float64)
    bowing = 0.35 + 0.65 * np.abs(np.sin(np.pi * h / 9.0))  # bowed 1/9 along the string: every 9th is weak
    colour = resonance_gain(h * freq, body.resonances, floor=0.35) * lowpass_gain(h * freq, body.rolloff * (0.6 + 0.6 * bright))
    table = harmonic_table(bowing * colour / h)
    return table / max(float(np.abs(table).max()), 1e-9)


def bowed(body: Body, freq: float, n: int, bright: float, rate: int, seed: int) -> np.ndarray:
    """One bowed note on ``body``'s instrument: string, body, bow noise, attack and vibrato."""
    t = times(n, rate)
    # Vibrato: phase deviation depth * sin, so the frequency deviation follows cos; it fades in
    # over 0.4 s after the delay, and its depth breathes slowly as a player's does.
    fade = np.clip((t - np.float32(body.vibrato_delay)) / np.float32(0.4), 0.0, 1.0)
    fade *= 1.0 + 0.2 * np.sin(TWO_PI * np.float32(0.7) * t)
    swing = TWO_PI * np.float32(body.vibrato_hz) * t
    ratio = 2.0 ** (body.vibrato_cents / 1200.0)
    depth = freq * (ratio - 1.0) / (2.0 * np.pi * body.vibrato_hz)  # peak phase deviation in cycles
    phase = cycles(freq, n, rate) + np.float32(depth) * fade * np.sin(swing)
    phase -= np.floor(phase)
    low, high = _body_table(freq / ratio, rate, body, bright), _body_table(freq * ratio, rate, body, bright)
    flat = read_table(low, phase)
    tone = flat + (0.5 + 0.5 * fade * np.cos(swing)) * (read_table(high, phase) - flat)
    # The bow: a scratch as it catches the string (a burst of noise in the first ~40 ms), then a
    # steady hiss under the tone; both pulse with the string's motion.
    hiss = band_noise(n, rate, seed, *body.noise_band) * (np.float32(0.5) + np.float32(0.5) * np.abs(tone))
    speak = np.minimum(t / np.float32(body.attack), 1.0)
    envelope = (0.5 - 0.5 * np.cos(np.pi * speak)) * (0.88 + 0.12 * np.exp(-t / np.float32(0.25)))
    scratch = np.float32(0.2 + 0.25 * bright) * (1.0 - np.exp(-t / np.float32(0.004))) * np.exp(-t / np.float32(0.04))
    noise = hiss * (np.float32(0.02 + 0.03 * bright) * envelope + scratch)
    return (tone * envelope + noise).astype(np.float32)
