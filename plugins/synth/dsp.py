"""Signal primitives for the synthesizer, all whole-array numpy operations.

Recursive filters (a one-pole low-pass, a biquad) need a Python loop per sample, which is far
too slow here, so every "filter" in this package is either applied to harmonic amplitudes
before synthesis (band-limited wavetables), done in the frequency domain on short one-shots
(drums), or is a feedback delay long enough to run one whole period per numpy operation
(Karplus-Strong, reverb combs).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

TABLE_SIZE = 4096
TWO_PI = np.float32(2.0 * np.pi)


def times(n: int, rate: int) -> np.ndarray:
    """Seconds of each of ``n`` samples, float32."""
    return np.arange(n, dtype=np.float32) / np.float32(rate)


def cycles(freq: float, n: int, rate: int) -> np.ndarray:
    """Oscillator phase in cycles, wrapped to [0, 1): float64 keeps long notes in tune."""
    phase = np.arange(n, dtype=np.float64) * (freq / rate)
    phase -= np.floor(phase)
    return phase.astype(np.float32)


def vibrato_cycles(freq: float, n: int, rate: int, speed: float, cents: float, delay: float) -> np.ndarray:
    """Phase in cycles of ``freq`` with a vibrato of +-``cents`` that fades in after ``delay`` s."""
    phase = cycles(freq, n, rate)
    if cents <= 0 or n == 0:
        return phase
    t = times(n, rate)
    depth = freq * (2.0 ** (cents / 1200.0) - 1.0) / (2.0 * np.pi * speed)  # peak phase deviation, cycles
    fade = np.clip((t - delay) / 0.3, 0.0, 1.0)
    phase += np.float32(depth) * fade * np.sin(TWO_PI * np.float32(speed) * t)
    phase -= np.floor(phase)
    return phase


def damped_sines(n: int, rate: int, freqs: np.ndarray, decay_rates: np.ndarray, amplitudes: np.ndarray,
                 block: int = 512) -> np.ndarray:
    """``sum_k a_k exp(-d_k t) sin(2 pi f_k t)`` over ``n`` samples, as one small matrix product.

    Each damped sine is the imaginary part of ``z_k ** i`` with ``z_k = exp((-d_k + 2 pi i f_k) / rate)``.
    Splitting time into blocks of ``block`` samples, sample ``b * block + j`` of the sum is
    ``Im sum_k (a_k z_k ** (b block)) (z_k ** j)``, a (blocks x K) by (K x block) product; written
    with real and imaginary parts side by side it is one real product, so a piano's 48 partial
    envelopes cost one pass instead of 48 passes of sin and exp. Powers are taken in double
    precision before the product, so long notes stay in tune. The product runs in numpy's own
    einsum loop rather than BLAS, whose threads cost far more than they save on matrices this
    small (and spin on a busy machine).
    """
    step = (-np.asarray(decay_rates, np.float64) + 2j * np.pi * np.asarray(freqs, np.float64)) / rate
    blocks = -(-n // block)
    within = np.exp(np.outer(step, np.arange(block)))
    starts = np.asarray(amplitudes, np.float64)[None, :] * np.exp(np.outer(np.arange(blocks) * block, step))
    left = np.concatenate([starts.real, starts.imag], axis=1).astype(np.float32)
    right = np.concatenate([within.imag, within.real], axis=0).astype(np.float32)
    return np.einsum("bk,kj->bj", left, right).ravel()[:n].copy()


def harmonic_table(amplitudes: np.ndarray, size: int = TABLE_SIZE) -> np.ndarray:
    """One cycle of a sum of sines with the given harmonic amplitudes (harmonic 1 first).

    All harmonics start in sine phase, so the cycle starts at 0. Two extra wrap-around samples
    let :func:`read_table` interpolate without a modulo, even at a phase that rounded up to 1.0.
    """
    spectrum = np.zeros(size // 2 + 1, dtype=np.complex128)
    count = min(len(amplitudes), size // 2 - 1)
    spectrum[1 : count + 1] = -0.5j * size * np.asarray(amplitudes[:count], dtype=np.float64)
    table = np.fft.irfft(spectrum, size).astype(np.float32)
    return np.concatenate([table, table[:2]])


def read_table(table: np.ndarray, phase: np.ndarray) -> np.ndarray:
    """Linear-interpolated wavetable lookup at ``phase`` cycles in [0, 1)."""
    position = phase * np.float32(len(table) - 2)
    index = position.astype(np.int32)
    fraction = position - index.astype(np.float32)  # int32 with float32 would promote to float64
    low = table[index]
    return low + fraction * (table[index + 1] - low)


def band_limit(freq: float, rate: int, highest: int = 256) -> int:
    """How many harmonics of ``freq`` fit below 0.45 x the sample rate (no aliasing)."""
    return int(max(1, min(highest, np.floor(0.45 * rate / max(freq, 1.0)))))


def lowpass_gain(freq: np.ndarray, cutoff: float) -> np.ndarray:
    """Magnitude of a 2-pole (12 dB/octave) low-pass at ``cutoff`` Hz."""
    return 1.0 / np.sqrt(1.0 + (np.asarray(freq, dtype=np.float64) / cutoff) ** 4)


def resonance_gain(freq: np.ndarray, peaks: tuple[tuple[float, float, float], ...], floor: float) -> np.ndarray:
    """Magnitude of ``floor`` plus a sum of resonances ``(centre Hz, gain, Q)`` at ``freq``.

    A violin's body, a singer's vowel or an oboe's bore each colour every harmonic by such a
    response; applied to harmonic amplitudes it costs nothing per sample.
    """
    freq = np.maximum(np.asarray(freq, dtype=np.float64), 1.0)
    out = np.full(freq.shape, floor)
    for centre, gain, q in peaks:
        out += gain / np.sqrt(1.0 + (q * (freq / centre - centre / freq)) ** 2)
    return out


def adsr(n: int, rate: int, attack: float, decay: float, sustain: float) -> np.ndarray:
    """Attack (raised cosine, so it starts with zero slope), then exponential decay to sustain.

    ``decay`` is a time constant in seconds; the release is applied per note by the mixer.
    """
    t = times(n, rate)
    env = np.float32(sustain) + np.float32(1.0 - sustain) * np.exp(-np.maximum(t - attack, 0.0) / np.float32(decay))
    ramp = min(n, max(1, int(attack * rate)))
    env[:ramp] *= 0.5 - 0.5 * np.cos(np.pi * np.arange(ramp, dtype=np.float32) / ramp)
    return env


def release_curve(n: int) -> np.ndarray:
    """A fade from 1 to exactly 0 over ``n`` samples, shaped like a natural exponential release."""
    x = np.linspace(0.0, 1.0, n, dtype=np.float32)
    floor = np.exp(np.float32(-5.0))
    return (np.exp(-5.0 * x) - floor) / (1.0 - floor)


def fade_in(signal: np.ndarray, samples: int) -> np.ndarray:
    """Raised-cosine fade-in over the first ``samples`` (in place), to avoid an onset click."""
    samples = min(samples, len(signal))
    if samples > 0:
        signal[:samples] *= 0.5 - 0.5 * np.cos(np.pi * np.arange(samples, dtype=np.float32) / samples)
    return signal


def spectral_filter(signal: np.ndarray, rate: int, low: float | None = None, high: float | None = None,
                    order: int = 4) -> np.ndarray:
    """Zero-phase band-pass of a short signal through its FFT (Butterworth-like magnitudes).

    Meant for stationary noise sources before an envelope is applied, where the circular
    wrap-around of FFT filtering is harmless.
    """
    spectrum = np.fft.rfft(signal)
    freqs = np.fft.rfftfreq(len(signal), 1.0 / rate)
    gain = np.ones_like(freqs)
    if low is not None:
        gain /= np.sqrt(1.0 + (low / np.maximum(freqs, 1e-3)) ** (2 * order))
    if high is not None:
        gain /= np.sqrt(1.0 + (freqs / high) ** (2 * order))
    return np.fft.irfft(spectrum * gain, len(signal)).astype(np.float32)


def moving_average(signal: np.ndarray, width: int) -> np.ndarray:
    """Box-car low-pass of odd ``width`` (same length, centred), via a cumulative sum."""
    if width <= 1:
        return signal
    half = width // 2
    padded = np.concatenate([np.zeros(half + 1, signal.dtype), signal, np.zeros(half, signal.dtype)])
    total = np.cumsum(padded, dtype=np.float64)
    return ((total[width:] - total[:-width]) / width).astype(np.float32)


def feedback_comb(signal: np.ndarray, delay: int, feedback: float) -> np.ndarray:
    """``y[n] = x[n - delay] + feedback * y[n - delay]``, one ``delay``-long row per numpy step.

    Reshaping the delayed signal into rows of ``delay`` samples turns the recursion into
    ``row[k] += feedback * row[k - 1]``, so the Python loop runs len/delay times, not len.
    """
    n = len(signal)
    rows = -(-(n + delay) // delay)
    buffer = np.zeros(rows * delay, dtype=np.float32)
    buffer[delay : delay + n] = signal
    grid = buffer.reshape(rows, delay)
    gain = np.float32(feedback)
    for k in range(2, rows):
        grid[k] += gain * grid[k - 1]
    return buffer[:n]


NOISE_LOOP = 1 << 16


@lru_cache(maxsize=64)
def _noise_loop(rate: int, low: float | None, high: float | None) -> np.ndarray:
    """A seamless loop of band-passed noise with unit RMS (FFT filtering is circular, so it wraps)."""
    noise = np.random.default_rng(20240611).standard_normal(NOISE_LOOP).astype(np.float32)
    loop = spectral_filter(noise, rate, low=low, high=high)
    loop /= np.float32(max(float(np.sqrt(np.mean(loop.astype(np.float64) ** 2))), 1e-9))
    loop.flags.writeable = False
    return loop


def band_noise(n: int, rate: int, seed: int, low: float | None = None, high: float | None = None) -> np.ndarray:
    """``n`` samples of band-passed unit-RMS noise: breath, bow hiss, a mallet's contact.

    Filtering fresh noise for every note would cost an FFT of the note's length, so every note
    reads one cached loop per band, starting at an offset chosen by ``seed``.
    """
    loop = _noise_loop(rate, low, high)
    offset = seed * 7919 % NOISE_LOOP
    repeats = -(-(n + offset) // NOISE_LOOP)
    return np.tile(loop, repeats)[offset : offset + n].copy()
