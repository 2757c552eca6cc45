"""The last stage: level the mix to a target peak with a look-ahead limiter, and trim the tail.

A plain peak normaliser lets one loud drum hit decide the level of a whole song; a plain clip
distorts. So the mix is scaled by its 99.5th-percentile block peak (at most 4 dB above where
peak normalisation would put it) and the few blocks that then exceed the ceiling are turned
down by a gain curve that falls *before* the peak and recovers smoothly. A final clamp to the
ceiling is a guarantee, not a tool: the gain curve already keeps every sample under it.

Audio here is channels-first, ``(channels, frames)``, so whole-signal passes stay contiguous.
"""

from __future__ import annotations

import numpy as np

BLOCK = 256
MAX_LIMITING = 10.0 ** (4.0 / 20.0)
SILENCE = 10.0 ** (-80.0 / 20.0)


def block_peaks(mix: np.ndarray) -> np.ndarray:
    """The largest absolute sample of each ``BLOCK``-sample block, over all channels."""
    frames = mix.shape[1]
    blocks = -(-frames // BLOCK)
    peaks = np.zeros(blocks, dtype=np.float32)
    whole = frames // BLOCK
    for channel in mix:
        np.maximum(peaks[:whole], np.abs(channel[: whole * BLOCK]).reshape(whole, BLOCK).max(axis=1), out=peaks[:whole])
        if whole < blocks:
            peaks[whole] = max(peaks[whole], float(np.abs(channel[whole * BLOCK :]).max()))
    return peaks


def _limit(mix: np.ndarray, block_gain: np.ndarray) -> None:
    """Apply, in place, a per-sample gain that is at most each block's gain inside that block.

    A minimum over +-3 blocks, then a 3-block average (so every averaged value still comes from
    minima covering the block), then linear interpolation between block centres. The curve is
    only built around the blocks it turns down; everywhere else it is exactly 1.
    """
    padded = np.pad(block_gain, 3, mode="edge")
    held = np.lib.stride_tricks.sliding_window_view(padded, 7).min(axis=1)
    smooth = np.convolve(np.pad(held, 1, mode="edge"), np.full(3, 1.0 / 3.0), mode="valid")
    needed = np.convolve(smooth < 1.0, np.ones(3), mode="same") > 0  # a block and its neighbours
    edges = np.flatnonzero(np.diff(np.concatenate([[0], needed.astype(np.int8), [0]])))
    frames = mix.shape[1]
    for first, last in zip(edges[0::2], edges[1::2]):
        start, stop = first * BLOCK, min(frames, last * BLOCK)
        centres = (np.arange(first - 1, last + 1) + 0.5) * BLOCK
        values = smooth[np.clip(np.arange(first - 1, last + 1), 0, len(smooth) - 1)]
        curve = np.interp(np.arange(start, stop, dtype=np.float64) + 0.5, centres, values)
        mix[:, start:stop] *= curve.astype(np.float32)


def master(mix: np.ndarray, peak_db: float = -1.0, normalize: bool = True, gain_db: float = 0.0) -> np.ndarray:
    """``mix`` (channels, frames) levelled in place so no sample exceeds ``peak_db`` dBFS.

    ``normalize`` scales the music up or down to sit at the ceiling; without it the mix is
    only multiplied by ``gain_db`` and limited.
    """
    ceiling = np.float32(10.0 ** (peak_db / 20.0))
    peaks = block_peaks(mix)
    loudest = float(peaks.max()) if len(peaks) else 0.0
    if loudest <= 0.0:
        return mix
    if normalize:
        typical = float(np.quantile(peaks[peaks > 0], 0.995))
        scale = ceiling / max(typical, loudest / MAX_LIMITING)
    else:
        scale = 10.0 ** (gain_db / 20.0)
    mix *= np.float32(scale)
    peaks *= np.float32(scale)
    if float(peaks.max()) > ceiling:
        # Only the stretches around loud blocks need a gain curve; elsewhere it is exactly 1.
        _limit(mix, np.minimum(1.0, ceiling / np.maximum(peaks, 1e-12)))
    return np.clip(mix, -ceiling, ceiling, out=mix)


def trim_silence(mix: np.ndarray, rate: int, keep_seconds: float) -> np.ndarray:
    """Drop the trailing part below -80 dBFS, keeping at least ``keep_seconds``, with a 10 ms margin."""
    peaks = block_peaks(mix)
    loud_blocks = np.flatnonzero(peaks > SILENCE)
    last = 0
    if len(loud_blocks):
        block = int(loud_blocks[-1])
        tail = np.abs(mix[:, block * BLOCK : (block + 1) * BLOCK]).max(axis=0)
        last = block * BLOCK + int(np.flatnonzero(tail > SILENCE)[-1]) + 1
    end = max(last + int(0.01 * rate), int(np.ceil(keep_seconds * rate)))
    return mix[:, : min(end, mix.shape[1])]
