"""The pitched instrument voices: one function per sound, each a few whole-array operations.

A voice renders one *unreleased* note: ``render(freq, samples, brightness, rate, seed)`` gives the
attack, decay and sustain for that many samples; the mixer applies the release at note-off and
the loudness. Timbre depends on ``brightness`` (0..1, from velocity), so harder notes are also
brighter. Every periodic voice is band-limited (no harmonic above 0.45 x the sample rate), so
high notes do not alias.
"""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Callable

import numpy as np

from .dsp import (
    TWO_PI,
    adsr,
    band_limit,
    cycles,
    fade_in,
    harmonic_table,
    lowpass_gain,
    moving_average,
    read_table,
    times,
    vibrato_cycles,
)

Render = Callable[[float, int, float, int, int], np.ndarray]


@dataclass(frozen=True)
class Voice:
    """A named sound: how to render a note, how long its release is, how loud it sits in a mix."""

    name: str
    render: Render
    release: float  # seconds from note-off to silence
    gain: float  # mix level relative to other voices
    reverb: float  # how much of it goes to the reverb (times the `reverb` parameter)
    summary: str


def _harmonics(count: int) -> np.ndarray:
    return np.arange(1, count + 1, dtype=np.float64)


def _saw(h: np.ndarray) -> np.ndarray:
    return 1.0 / h


def _square(h: np.ndarray) -> np.ndarray:
    return np.where(h % 2 == 1, 1.0 / h, 0.0)


def _filtered_table(freq: float, rate: int, cutoff: float, shape: Callable[[np.ndarray], np.ndarray],
                    headroom: float = 1.0) -> np.ndarray:
    """A band-limited cycle of ``shape`` through a 2-pole low-pass at ``cutoff`` Hz, peak 1."""
    h = _harmonics(band_limit(freq * headroom, rate))
    table = harmonic_table(shape(h) * lowpass_gain(h * freq, cutoff))
    return table / max(float(np.abs(table).max()), 1e-9)


# -- piano: decaying partials --------------------------------------------------------------------
def piano(freq: float, n: int, bright: float, rate: int, seed: int) -> np.ndarray:
    """Additive partials whose decay speeds up with partial number and with pitch.

    Higher partials die first, so the tone darkens as it fades, as a struck string does; a
    two-stage envelope gives the quick initial drop and the long after-sound.
    """
    t = times(n, rate)
    phase = cycles(freq, n, rate) * TWO_PI
    count = band_limit(freq, rate, highest=14)
    h = _harmonics(count)
    # Velocity tilts the spectrum; a hammer striking 1/7 along the string weakens every 7th partial.
    amplitudes = h ** -(0.9 + 1.4 * (1.0 - bright)) * (0.35 + 0.65 * np.abs(np.sin(np.pi * h / 7.0)))
    amplitudes /= np.sqrt(np.sum(amplitudes**2)) * 1.6
    base_rate = 0.35 * (freq / 262.0) ** 0.6  # 1/s: middle C rings about 3 s
    step_rate = 0.22 * (freq / 262.0) ** 0.5  # each partial decays this much faster than the last
    decay = np.exp(-np.float32(base_rate) * t)
    step = np.exp(-np.float32(step_rate) * t)
    out = np.zeros(n, dtype=np.float32)
    for k, amplitude in enumerate(amplitudes, start=1):
        out += np.float32(amplitude) * decay * np.sin(phase * np.float32(k))
        decay *= step
    out *= 0.6 + 0.4 * np.exp(np.float32(-4.0) * t)
    return fade_in(out, int(0.002 * rate))


# -- plucked string: Karplus-Strong -----------------------------------------------------------------
def karplus_strong(freq: float, n: int, bright: float, rate: int, seed: int, sustain: float = 4.0) -> np.ndarray:
    """Karplus-Strong: a noise burst circulating in a delay line through an averaging filter.

    The loop filter ``0.5 (1 + z^-1)`` combined with a linear fractional delay tunes the loop
    to exactly ``rate / freq`` samples. Each numpy step computes one period from the previous
    one, which is valid because every sample depends only on samples a period or more back.
    """
    period = rate / freq
    lag = max(2, int(period - 0.5))
    fraction = period - 0.5 - lag
    c0, c1, c2 = (np.float32(0.5 * (1.0 - fraction)), np.float32(0.5), np.float32(0.5 * fraction))
    seconds = float(np.clip(sustain * (110.0 / freq) ** 0.5, 0.3, 8.0))
    loss = np.float32(10.0 ** (-3.0 / (seconds * freq)))
    rng = np.random.default_rng(seed)
    burst = rng.uniform(-1.0, 1.0, lag + 2).astype(np.float32)
    burst = moving_average(burst, 1 + 2 * int((1.0 - bright) * lag / 10))  # softer pluck, duller burst
    pick = max(1, int(lag * (0.12 + 0.1 * (1.0 - bright))))
    burst = burst - np.roll(burst, pick)  # plucking point: a comb notch in the spectrum
    burst -= burst.mean()
    burst /= max(float(np.abs(burst).max()), 1e-9)
    y = np.zeros(n + lag + 2, dtype=np.float32)
    y[: lag + 2] = burst
    for start in range(lag + 2, len(y), lag):
        end = min(start + lag, len(y))
        y[start:end] = loss * (c0 * y[start - lag : end - lag] + c1 * y[start - lag - 1 : end - lag - 1]
                               + c2 * y[start - lag - 2 : end - lag - 2])
    return fade_in(y[:n], int(0.001 * rate))


def pluck(freq: float, n: int, bright: float, rate: int, seed: int) -> np.ndarray:
    return karplus_strong(freq, n, bright, rate, seed)


# -- organ: additive drawbars ------------------------------------------------------------------------
#: Drawbar footages as harmonics of half the note frequency (16', 8', 5 1/3', 4', 2 2/3', 2', ...).
DRAWBARS = ((1, 0.45), (2, 1.0), (3, 0.4), (4, 0.6), (6, 0.35), (8, 0.35), (10, 0.12), (12, 0.1), (16, 0.12))


def organ(freq: float, n: int, bright: float, rate: int, seed: int) -> np.ndarray:
    """Fixed drawbar partials in one wavetable, with a gentle rotary-speaker tremolo."""
    base = freq / 2.0
    limit = band_limit(base, rate)
    amplitudes = np.zeros(16)
    for harmonic, level in DRAWBARS:
        if harmonic <= limit:
            amplitudes[harmonic - 1] = level * (1.0 if harmonic <= 4 else 0.5 + 0.5 * bright)
    table = harmonic_table(amplitudes)
    table /= max(float(np.abs(table).max()), 1e-9)
    t = times(n, rate)
    tremolo = 1.0 + 0.05 * np.sin(TWO_PI * np.float32(5.8) * t)
    return read_table(table, cycles(base, n, rate)) * tremolo * adsr(n, rate, 0.006, 0.3, 0.85)


# -- strings and pads: detuned saws through a low-pass ----------------------------------------------
def _detuned_saws(freq: float, n: int, rate: int, cutoff: float, detune_cents: tuple[float, ...],
                  vibrato: float) -> np.ndarray:
    spread = 2.0 ** (max(abs(c) for c in detune_cents) / 1200.0)
    table = _filtered_table(freq, rate, cutoff, _saw, headroom=spread * 1.01)
    out = np.zeros(n, dtype=np.float32)
    for index, cents in enumerate(detune_cents):
        detuned = freq * 2.0 ** (cents / 1200.0)
        phase = vibrato_cycles(detuned, n, rate, speed=5.0 + 0.4 * index, cents=vibrato, delay=0.25)
        phase = (phase + np.float32(index / len(detune_cents))) % np.float32(1.0)  # spread start phases
        out += read_table(table, phase)
    return out / np.float32(np.sqrt(len(detune_cents)) * 1.3)


def strings(freq: float, n: int, bright: float, rate: int, seed: int) -> np.ndarray:
    cutoff = 1200.0 + 3200.0 * bright + 2.0 * freq
    return _detuned_saws(freq, n, rate, cutoff, (-7.0, 0.0, 6.0), vibrato=9.0) * adsr(n, rate, 0.12, 0.6, 0.85)


def pad(freq: float, n: int, bright: float, rate: int, seed: int) -> np.ndarray:
    cutoff = 600.0 + 1400.0 * bright + freq
    return _detuned_saws(freq, n, rate, cutoff, (-11.0, 10.0), vibrato=0.0) * adsr(n, rate, 0.35, 1.2, 0.8)


# -- bass, lead, brass, reed, flute: filtered wavetables -------------------------------------------
def _crossfade(freq: float, n: int, rate: int, dull: np.ndarray, bright: np.ndarray, weight: np.ndarray,
               phase: np.ndarray | None = None) -> np.ndarray:
    """``dull + weight * (bright - dull)``: a filter sweep without a recursive filter."""
    phase = cycles(freq, n, rate) if phase is None else phase
    base = read_table(dull, phase)
    return base + weight * (read_table(bright, phase) - base)


def bass(freq: float, n: int, bright: float, rate: int, seed: int) -> np.ndarray:
    """Saw and square under a low-pass whose cutoff falls after the attack (a plucked synth bass)."""
    shape = lambda h: 0.7 * _saw(h) + 0.3 * _square(h)  # noqa: E731
    open_table = _filtered_table(freq, rate, 500.0 + 2500.0 * bright, shape)
    closed_table = _filtered_table(freq, rate, 280.0, shape)
    weight = np.exp(-times(n, rate) / np.float32(0.12))
    return _crossfade(freq, n, rate, closed_table, open_table, weight) * adsr(n, rate, 0.003, 0.6, 0.55)


def lead(freq: float, n: int, bright: float, rate: int, seed: int) -> np.ndarray:
    shape = lambda h: 0.6 * _square(h) + 0.4 * _saw(h)  # noqa: E731
    table = _filtered_table(freq, rate, 2500.0 + 5000.0 * bright, shape, headroom=1.01)
    phase = vibrato_cycles(freq, n, rate, speed=5.5, cents=12.0, delay=0.25)
    return read_table(table, phase) * adsr(n, rate, 0.008, 0.3, 0.75)


def brass(freq: float, n: int, bright: float, rate: int, seed: int) -> np.ndarray:
    """A saw whose low-pass opens during the attack and settles a little, the brass 'blat'."""
    closed_table = _filtered_table(freq, rate, 500.0 + freq, _saw, headroom=1.01)
    open_table = _filtered_table(freq, rate, 1200.0 + 3500.0 * bright + 2.0 * freq, _saw, headroom=1.01)
    t = times(n, rate)
    weight = (1.0 - np.exp(-t / np.float32(0.05))) * (0.7 + 0.3 * np.exp(-t / np.float32(0.4)))
    phase = vibrato_cycles(freq, n, rate, speed=5.2, cents=6.0, delay=0.35)
    return _crossfade(freq, n, rate, closed_table, open_table, weight, phase) * adsr(n, rate, 0.03, 0.5, 0.8)


def reed(freq: float, n: int, bright: float, rate: int, seed: int) -> np.ndarray:
    shape = lambda h: np.where(h % 2 == 1, 1.0, 0.25) / h  # noqa: E731  (clarinet-like odd partials)
    table = _filtered_table(freq, rate, 1800.0 + 3000.0 * bright, shape, headroom=1.01)
    phase = vibrato_cycles(freq, n, rate, speed=5.0, cents=8.0, delay=0.3)
    return read_table(table, phase) * adsr(n, rate, 0.025, 0.5, 0.85)


def flute(freq: float, n: int, bright: float, rate: int, seed: int) -> np.ndarray:
    limit = band_limit(freq * 1.01, rate)
    amplitudes = np.array([1.0, 0.2 + 0.2 * bright, 0.1 + 0.1 * bright, 0.04, 0.02])[:limit]
    table = harmonic_table(amplitudes)
    table /= max(float(np.abs(table).max()), 1e-9)
    phase = vibrato_cycles(freq, n, rate, speed=5.0, cents=10.0, delay=0.2)
    return read_table(table, phase) * adsr(n, rate, 0.05, 0.4, 0.85)


# -- bells and mallets: FM --------------------------------------------------------------------------
def _fm(freq: float, n: int, bright: float, rate: int, ratio: float, index: float, index_time: float,
        ring: float, floor: float) -> np.ndarray:
    """Two-operator FM; the index decays so the attack is rich and the tail nearly pure."""
    t = times(n, rate)
    # Keep the sidebands (about index + 1 of them on each side) below 0.45 x rate.
    highest = max(0.3, (0.45 * rate / freq - 1.0) / ratio - 1.0)
    peak = min(index * (0.3 + 0.7 * bright), highest)
    depth = np.float32(peak) * np.exp(-t / np.float32(index_time)) + np.float32(min(floor, highest))
    carrier = cycles(freq, n, rate) * TWO_PI
    modulator = np.sin(cycles(freq * ratio, n, rate) * TWO_PI)
    out = np.sin(carrier + depth * modulator) * np.exp(-t / np.float32(ring))
    return fade_in(out, int(0.0015 * rate))


def bell(freq: float, n: int, bright: float, rate: int, seed: int) -> np.ndarray:
    ring = float(np.clip(2.5 * (523.0 / freq) ** 0.4, 0.6, 5.0))
    return _fm(freq, n, bright, rate, ratio=3.5, index=4.0, index_time=0.7, ring=ring, floor=0.4)


def mallet(freq: float, n: int, bright: float, rate: int, seed: int) -> np.ndarray:
    ring = float(np.clip(0.7 * (523.0 / freq) ** 0.5, 0.15, 2.5))
    return _fm(freq, n, bright, rate, ratio=4.0, index=3.0, index_time=0.025, ring=ring, floor=0.0)


VOICES: dict[str, Voice] = {
    voice.name: voice
    for voice in (
        Voice("piano", piano, 0.25, 1.0, 0.8, "additive decaying partials, darker as it fades"),
        Voice("pluck", pluck, 0.12, 1.0, 0.8, "Karplus-Strong plucked string"),
        Voice("organ", organ, 0.06, 0.55, 0.9, "additive drawbar partials with tremolo"),
        Voice("strings", strings, 0.35, 0.55, 1.2, "three detuned band-limited saws, low-passed, vibrato"),
        Voice("pad", pad, 0.9, 0.5, 1.4, "two detuned saws, dark low-pass, slow attack"),
        Voice("bass", bass, 0.06, 1.0, 0.2, "saw+square with a closing low-pass"),
        Voice("lead", lead, 0.1, 0.5, 0.8, "square+saw with delayed vibrato"),
        Voice("brass", brass, 0.12, 0.6, 0.9, "saw whose low-pass opens in the attack"),
        Voice("reed", reed, 0.08, 0.6, 0.9, "odd-partial (clarinet-like) wavetable"),
        Voice("flute", flute, 0.1, 0.7, 1.0, "nearly pure partials with vibrato"),
        Voice("bell", bell, 1.0, 0.5, 1.0, "FM, inharmonic ratio 3.5, long ring"),
        Voice("mallet", mallet, 0.3, 0.8, 0.8, "FM, ratio 4 with a very short bright attack"),
    )
}
