"""Struck bars, tines and membranes: each a few damped sine modes at the instrument's own ratios.

What tells a vibraphone from a xylophone is mostly the tuning of its overtones (Rossing,
*Science of Percussion Instruments*): vibraphone and marimba bars are undercut so their second
and third modes sit two octaves and about three octaves and a third above the fundamental
(1 : 4 : 10), a xylophone bar is tuned to a twelfth (1 : 3 : 6), while a glockenspiel's steel bar
is left untuned (1 : 2.76 : 5.40 : 8.93, the free-free bar), and a music-box or kalimba tine is a
cantilever (1 : 6.27 : 17.55). Then the material: wooden bars die in a fraction of a second
and their upper modes die first; metal rings for seconds. And the vibraphone's motor turns
discs in its resonators, a tremolo on the fundamental.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .dsp import band_noise, damped_sines, fade_in, times


@dataclass(frozen=True)
class Modes:
    """How one struck instrument rings."""

    ratios: tuple[float, ...]  # mode frequencies over the fundamental's
    levels: tuple[float, ...]  # their amplitudes at a medium stroke
    ring: float  # time constant (s) of the fundamental's decay at middle C
    ring_slope: float  # ring scales as (262 Hz / f) ** ring_slope
    damping: float  # mode k rings ring / ratio_k ** damping
    hardness: float  # 0 soft yarn mallet .. 1 hard plastic: how much brighter a hard stroke is
    click: float  # level of the mallet's contact noise
    release: float  # seconds it rings on after note-off: long where the instrument has no damper
    tremolo: float = 0.0  # depth of the fundamental's amplitude tremolo (vibraphone motor)
    tremolo_hz: float = 5.5


BARS: dict[str, Modes] = {
    "vibraphone": Modes((1.0, 4.0, 10.0), (1.0, 0.3, 0.1), ring=1.0, ring_slope=0.5, damping=0.6, hardness=0.5,
                        click=0.05, release=0.5, tremolo=0.45, tremolo_hz=5.2),
    "marimba": Modes((1.0, 4.0, 9.9), (1.0, 0.25, 0.08), ring=0.3, ring_slope=0.6, damping=1.4, hardness=0.4,
                     click=0.08, release=0.6),
    "xylophone": Modes((1.0, 3.0, 6.0, 9.5), (1.0, 0.45, 0.2, 0.08), ring=0.16, ring_slope=0.5, damping=0.9,
                       hardness=0.9, click=0.08, release=0.4),
    "glockenspiel": Modes((1.0, 2.76, 5.40, 8.93), (1.0, 0.7, 0.5, 0.3), ring=1.6, ring_slope=0.4, damping=0.3,
                          hardness=0.9, click=0.12, release=2.0),
    "celesta": Modes((1.0, 2.76, 5.40), (1.0, 0.12, 0.04), ring=0.6, ring_slope=0.4, damping=0.8, hardness=0.4,
                     click=0.04, release=0.4),
    "tines": Modes((1.0, 6.27, 17.55), (1.0, 0.25, 0.08), ring=0.9, ring_slope=0.4, damping=1.0, hardness=0.6,
                   click=0.06, release=1.5),
    "steel_drum": Modes((1.0, 2.0, 3.0, 4.02), (1.0, 0.8, 0.5, 0.3), ring=0.45, ring_slope=0.3, damping=0.6,
                        hardness=0.6, click=0.08, release=0.8),
    # A chime is heard at the pitch its 4th, 5th and 6th modes imply (they stand nearly 2 : 3 : 4),
    # half the 4th mode's frequency; its lower modes hum below that strike note.
    "tubular_bells": Modes((0.224, 0.618, 1.209, 2.0, 2.99, 4.17), (0.08, 0.25, 0.5, 1.0, 0.8, 0.5), ring=1.6,
                           ring_slope=0.3, damping=0.4, hardness=0.6, click=0.1, release=2.0),
    "timpani": Modes((1.0, 1.5, 1.98, 2.44, 2.9), (1.0, 0.6, 0.4, 0.25, 0.15), ring=0.9, ring_slope=0.0, damping=1.2,
                     hardness=0.5, click=0.2, release=1.5),
}


def struck(modes: Modes, freq: float, n: int, bright: float, rate: int, seed: int) -> np.ndarray:
    """The sum of the instrument's modes, each an exponentially damped sine, and the mallet's tick.

    A harder stroke (higher ``bright``) excites the upper modes more; modes above 0.45 x the
    sample rate are left out, so high notes do not alias.
    """
    ring = modes.ring * (262.0 / freq) ** modes.ring_slope
    strike = (1.0 - modes.hardness) + modes.hardness * 1.6 * bright
    ratios = np.array([r for r in modes.ratios if freq * r < 0.45 * rate])
    freqs = freq * ratios
    decay_rates = ratios**modes.damping / ring
    levels = np.array(modes.levels[: len(ratios)]) * np.where(np.arange(len(ratios)) > 0, strike, 1.0)
    if modes.tremolo > 0:
        # The fundamental times 1 - depth (1 - cos 2 pi r t) / 2 is three sines: at f and at f +- r.
        depth, speed = modes.tremolo, modes.tremolo_hz
        freqs = np.concatenate([freqs, [freq + speed, freq - speed]])
        decay_rates = np.concatenate([decay_rates, decay_rates[:1].repeat(2)])
        levels = np.concatenate([levels, [levels[0] * depth / 4] * 2])
        levels[0] *= 1.0 - depth / 2
    out = damped_sines(n, rate, freqs, decay_rates, levels)
    t = times(min(n, int(0.02 * rate)), rate)
    tick = len(t)
    if modes.click > 0 and tick > 0:
        noise = band_noise(tick, rate, seed, low=min(2.0 * freq, 4000.0), high=1500.0 + 4000.0 * modes.hardness * bright)
        contact = (1.0 - np.exp(-t / np.float32(0.0008))) * np.exp(-t / np.float32(0.003))  # a mallet touches for ~1 ms
        out[:tick] += noise * contact * np.float32(modes.click * (0.4 + 0.6 * bright))
    return fade_in(out, int(0.001 * rate))
