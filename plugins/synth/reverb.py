"""A small stereo reverb: early reflections, then parallel feedback combs (Schroeder style).

It runs at half the sample rate: the tail of a room is dark anyway, and halving the rate halves
the cost of the comb loops, which dominate. One set of combs serves both sides: left hears the
sum of the even and odd combs, right their difference, so the two tails are uncorrelated at
half the cost of two comb banks. Early reflections differ per side.
"""

from __future__ import annotations

import numpy as np

from .dsp import feedback_comb

#: (delay ms, left gain, right gain) of the early reflections, which also feed the combs.
EARLY = ((4.3, 0.6, 0.0), (6.1, 0.0, 0.6), (7.9, 0.3, 0.2), (11.7, 0.4, 0.0), (13.9, 0.0, 0.4),
         (19.3, 0.25, 0.3), (23.3, 0.3, 0.25))
COMBS_MS = (29.7, 33.8, 37.1, 41.1, 43.7, 47.9)
PREDELAY_MS = 10.0


def _three_tap(signal: np.ndarray) -> np.ndarray:
    """``[0.25, 0.5, 0.25]`` smoothing (zero-phase, same length): a gentle low-pass, zero at Nyquist."""
    out = signal * np.float32(0.5)
    out[1:] += np.float32(0.25) * signal[:-1]
    out[:-1] += np.float32(0.25) * signal[1:]
    return out


def _downsample(signal: np.ndarray) -> np.ndarray:
    """Every other sample after averaging pairs, then a ``[1, 2, 1] / 4`` low-pass (at half rate)."""
    n = len(signal) - len(signal) % 2
    pairs = (signal[0:n:2] + signal[1:n:2]) * np.float32(0.5)
    return _three_tap(pairs)


def _add_upsampled(target: np.ndarray, signal: np.ndarray) -> None:
    """Add half-rate ``signal`` into full-rate ``target`` through a ``[1, 4, 6, 4, 1] / 8`` filter.

    That is linear interpolation followed by ``[1, 2, 1] / 4``, written per output phase so all
    arithmetic happens at half rate: plain interpolation would leave images of the room
    mirrored near the top of the spectrum at about -65 dB; this leaves them near -90 dB.
    """
    evens, odds = (len(target) + 1) // 2, len(target) // 2
    padded = np.concatenate([signal[:1], signal, np.repeat(signal[-1:], max(1, evens + 1 - len(signal)))])
    middle = padded[1 : evens + 1]
    target[0::2] += np.float32(0.75) * middle + np.float32(0.125) * (padded[:evens] + padded[2 : evens + 2])
    target[1::2] += np.float32(0.5) * (padded[1 : odds + 1] + padded[2 : odds + 2])


def add_reverb(mix: np.ndarray, send: np.ndarray, rate: int, amount: float, seconds: float = 1.8) -> None:
    """Add the room's answer to mono ``send`` into ``mix`` (channels, frames), wet level ``amount``.

    ``seconds`` is the RT60 of the comb tail.
    """
    slow = rate / 2.0
    half = _downsample(send)
    predelay = int(PREDELAY_MS * slow / 1000.0)
    half = np.concatenate([np.zeros(predelay, np.float32), half[: max(0, len(half) - predelay)]])
    early = [np.zeros_like(half), np.zeros_like(half)]
    for ms, *gains in EARLY:
        shift = int(ms * slow / 1000.0)
        for side, gain in enumerate(gains):
            if gain and shift < len(half):
                early[side][shift:] += np.float32(gain) * half[: len(half) - shift]
    comb_input = (early[0] + early[1]) * np.float32(0.5 / len(COMBS_MS))
    even, odd = np.zeros_like(half), np.zeros_like(half)
    for index, ms in enumerate(COMBS_MS):
        delay = int(ms * slow / 1000.0)
        feedback = 10.0 ** (-3.0 * delay / (slow * seconds))
        (even if index % 2 == 0 else odd)[:] += feedback_comb(comb_input, delay, feedback)
    wet = np.float32(amount)
    left = (early[0] * np.float32(0.5) + even + odd) * wet
    right = (early[1] * np.float32(0.5) + even - odd) * wet
    if mix.shape[0] == 2:
        _add_upsampled(mix[0], left)
        _add_upsampled(mix[1], right)
    else:
        _add_upsampled(mix[0], (left + right) * np.float32(0.5))
