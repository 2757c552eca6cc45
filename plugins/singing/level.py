"""Loudness (ITU-R BS.1770 style) to set the vocal against the accompaniment, in numpy alone.

BS.1770 weights the signal with a "K" curve (a +4 dB shelf above ~1.7 kHz, a high-pass at
~38 Hz), takes the mean power of 400 ms blocks (75 % overlap), and averages the blocks that
pass two gates (-70 LUFS, then 10 LU below the average). Here the K curve is applied as the
magnitude response of its analog prototypes in one FFT, which is within a fraction of a LU of
the biquads for music and needs no scipy. benchmarks/voice.py checks the balance with
pyloudnorm, the reference implementation.
"""

from __future__ import annotations

import numpy as np

BLOCK_SECONDS, STEP_SECONDS = 0.4, 0.1
SHELF_HZ, SHELF_DB, SHELF_Q = 1681.97, 4.0, 0.7071
HIGHPASS_HZ, HIGHPASS_Q = 38.13, 0.5


def k_weighting(frequencies: np.ndarray) -> np.ndarray:
    """Power gain of the K curve at ``frequencies`` (Hz)."""
    s = 1j * frequencies / SHELF_HZ
    a = 10.0 ** (SHELF_DB / 40.0)
    shelf = a * (a * s * s + np.sqrt(a) / SHELF_Q * s + 1.0) / (s * s + np.sqrt(a) / SHELF_Q * s + a)
    h = 1j * frequencies / HIGHPASS_HZ
    highpass = h * h / (h * h + h / HIGHPASS_Q + 1.0)
    return np.abs(shelf * highpass) ** 2


def loudness(samples: np.ndarray, rate: int) -> float:
    """Integrated loudness in LUFS of ``samples`` shaped (channels, frames); -inf when silent."""
    channels = np.atleast_2d(samples).astype(np.float64)
    frames = channels.shape[1]
    block, step = int(BLOCK_SECONDS * rate), int(STEP_SECONDS * rate)
    if frames < block:
        return float("-inf")
    gain = np.sqrt(k_weighting(np.fft.rfftfreq(frames, 1.0 / rate)))
    power = np.zeros((frames - block) // step + 1)
    for channel in channels:
        weighted = np.fft.irfft(np.fft.rfft(channel) * gain, frames)
        cumulative = np.concatenate([[0.0], np.cumsum(weighted * weighted)])
        starts = np.arange(len(power)) * step
        power += (cumulative[starts + block] - cumulative[starts]) / block
    with np.errstate(divide="ignore"):
        blocks = -0.691 + 10.0 * np.log10(power)
    gated = power[blocks > -70.0]
    if not len(gated):
        return float("-inf")
    relative = -0.691 + 10.0 * np.log10(gated.mean()) - 10.0
    kept = power[blocks > relative]
    return float(-0.691 + 10.0 * np.log10(kept.mean()))


def balance_gain(vocal: np.ndarray, accompaniment: np.ndarray, rate: int, above: float) -> float:
    """The amplitude gain that puts ``vocal`` ``above`` LU over ``accompaniment`` (1 when either is silent)."""
    sung, played = loudness(vocal, rate), loudness(accompaniment, rate)
    if not np.isfinite(sung) or not np.isfinite(played):
        return 1.0
    return float(10.0 ** ((played + above - sung) / 20.0))
