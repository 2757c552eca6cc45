"""The pitched instrument voices: one per General MIDI family, each a few whole-array operations.

A voice renders one *unreleased* note: ``render(freq, samples, brightness, rate, seed)`` gives the
attack, decay and sustain for that many samples; the mixer applies the release at note-off and
the loudness. Timbre depends on ``brightness`` (0..1, from velocity), so harder notes are also
brighter. Every periodic voice is band-limited (no harmonic above 0.45 x the sample rate), so
high notes do not alias. The piano (piano.py), the solo bowed strings (bowed.py) and the struck
bars (bars.py) have modules of their own; the rest are wavetables, FM or plucked delay lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Callable
from functools import partial

import numpy as np

from .bars import BARS, struck
from .bowed import BODIES, bowed
from .dsp import (
    TWO_PI,
    adsr,
    band_limit,
    band_noise,
    cycles,
    fade_in,
    harmonic_table,
    lowpass_gain,
    moving_average,
    read_table,
    resonance_gain,
    times,
    vibrato_cycles,
)
from .piano import piano

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


def _shaped_table(freq: float, rate: int, amplitudes: Callable[[np.ndarray], np.ndarray], headroom: float = 1.0,
                  highest: int = 256) -> np.ndarray:
    """A band-limited cycle whose harmonic numbers ``h`` have amplitudes ``amplitudes(h)``, peak 1."""
    h = _harmonics(band_limit(freq * headroom, rate, highest))
    table = harmonic_table(amplitudes(h))
    return table / max(float(np.abs(table).max()), 1e-9)


def _breath(n: int, rate: int, seed: int, tone: np.ndarray, steady: float, burst: float, burst_time: float,
            band: tuple[float, float]) -> np.ndarray:
    """Air or bow noise that pulses with the tone: a steady level plus a burst at the onset."""
    t = times(n, rate)
    level = np.float32(steady) + np.float32(burst) * (1.0 - np.exp(-t / np.float32(0.003))) * np.exp(-t / np.float32(burst_time))
    return band_noise(n, rate, seed, *band) * (np.float32(0.6) + np.float32(0.4) * np.abs(tone)) * level


# -- plucked string: Karplus-Strong -----------------------------------------------------------------
def karplus_strong(freq: float, n: int, bright: float, rate: int, seed: int, sustain: float = 4.0,
                   pick: float | None = None) -> np.ndarray:
    """Karplus-Strong: a noise burst circulating in a delay line through an averaging filter.

    The loop filter ``0.5 (1 + z^-1)`` combined with a linear fractional delay tunes the loop
    to exactly ``rate / freq`` samples. Each numpy step computes one period from the previous
    one, which is valid because every sample depends only on samples a period or more back.
    ``pick`` is where along the string it is plucked (0..0.5; by default nearer the bridge the
    harder it is plucked).
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
    fraction_along = 0.12 + 0.1 * (1.0 - bright) if pick is None else pick
    burst = burst - np.roll(burst, max(1, int(lag * fraction_along)))  # plucking point: a comb notch in the spectrum
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
    """Harpsichord, harp, banjo, koto: a bright pluck that dies in a few seconds."""
    return karplus_strong(freq, n, bright, rate, seed)


def guitar(freq: float, n: int, bright: float, rate: int, seed: int) -> np.ndarray:
    """A guitar string rings longer than a harpsichord's and is plucked with a softer finger or pick."""
    return karplus_strong(freq, n, 0.55 * bright, rate, seed, sustain=9.0)


def string_bass(freq: float, n: int, bright: float, rate: int, seed: int) -> np.ndarray:
    """Acoustic and electric finger basses: a long, dark plucked string."""
    return karplus_strong(freq, n, 0.3 * bright, rate, seed, sustain=8.0, pick=0.4) * np.float32(1.3)


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


def pipe_organ(freq: float, n: int, bright: float, rate: int, seed: int) -> np.ndarray:
    """Church and reed organ: a principal chorus (8' 4' 2 2/3' 2' ...) that speaks with a puff of wind."""
    levels = np.array([1.0, 0.8, 0.6, 0.7, 0.35, 0.55, 0.2, 0.5, 0.2, 0.3, 0.1, 0.25])

    def colour(h: np.ndarray) -> np.ndarray:
        return levels[h.astype(int) - 1] * np.where(h > 4, 0.6 + 0.4 * bright, 1.0)

    table = _shaped_table(freq, rate, colour, highest=len(levels))
    tone = read_table(table, cycles(freq, n, rate))
    chiff = _breath(n, rate, seed, tone, 0.015, 0.25, 0.03, (max(400.0, 2 * freq), 8000.0))
    return (tone + chiff) * adsr(n, rate, 0.045, 0.3, 0.9)


def accordion(freq: float, n: int, bright: float, rate: int, seed: int) -> np.ndarray:
    """Accordion and harmonica: free reeds, two per note tuned apart so they beat (the musette)."""
    def colour(h: np.ndarray) -> np.ndarray:
        reedy = resonance_gain(h * freq, ((1200.0, 0.8, 2.0),), floor=0.4) / h**0.8
        return reedy * lowpass_gain(h * freq, 3000.0 + 3000.0 * bright)

    table = _shaped_table(freq, rate, colour, headroom=1.01)
    return _ensemble(table, freq, n, rate, (-6.0, 6.0), vibrato=0.0) * adsr(n, rate, 0.03, 0.3, 0.85)


# -- ensembles: detuned copies of one table -------------------------------------------------------
def _ensemble(table: np.ndarray, freq: float, n: int, rate: int, detune_cents: tuple[float, ...], vibrato: float,
              delay: float = 0.25) -> np.ndarray:
    """Several players of ``table``, slightly out of tune and each with a vibrato of its own speed."""
    out = np.zeros(n, dtype=np.float32)
    for index, cents in enumerate(detune_cents):
        detuned = freq * 2.0 ** (cents / 1200.0)
        phase = vibrato_cycles(detuned, n, rate, speed=5.0 + 0.4 * index, cents=vibrato, delay=delay)
        phase = (phase + np.float32(index / len(detune_cents))) % np.float32(1.0)  # spread start phases
        out += read_table(table, phase)
    return out / np.float32(np.sqrt(len(detune_cents)) * 1.3)


def _saw_table(freq: float, rate: int, cutoff: float, detune_cents: tuple[float, ...]) -> np.ndarray:
    spread = 2.0 ** (max(abs(c) for c in detune_cents) / 1200.0)
    return _filtered_table(freq, rate, cutoff, _saw, headroom=spread * 1.01)


def strings(freq: float, n: int, bright: float, rate: int, seed: int) -> np.ndarray:
    """A string section: three detuned saws, a slow swell, each player's own vibrato."""
    detune = (-7.0, 0.0, 6.0)
    table = _saw_table(freq, rate, 1200.0 + 3200.0 * bright + 2.0 * freq, detune)
    return _ensemble(table, freq, n, rate, detune, vibrato=9.0) * adsr(n, rate, 0.12, 0.6, 0.85)


def pad(freq: float, n: int, bright: float, rate: int, seed: int) -> np.ndarray:
    detune = (-11.0, 10.0)
    table = _saw_table(freq, rate, 600.0 + 1400.0 * bright + freq, detune)
    return _ensemble(table, freq, n, rate, detune, vibrato=0.0) * adsr(n, rate, 0.35, 1.2, 0.8)


#: Vowel formants (Hz, gain, Q) of a singer (Peterson & Barney's averages).
VOWELS = {
    "ah": ((730.0, 1.0, 7.0), (1090.0, 0.6, 9.0), (2440.0, 0.35, 12.0)),
    "oo": ((300.0, 1.0, 5.0), (870.0, 0.35, 8.0), (2240.0, 0.12, 10.0)),
}


def choir(freq: float, n: int, bright: float, rate: int, seed: int, vowel: str = "ah") -> np.ndarray:
    """Three singers on a vowel: a glottal source through the vowel's formants, breath, vibrato."""
    def colour(h: np.ndarray) -> np.ndarray:
        return resonance_gain(h * freq, VOWELS[vowel], floor=0.03) / h ** (1.4 - 0.3 * bright)

    table = _shaped_table(freq, rate, colour, headroom=1.01)
    tone = _ensemble(table, freq, n, rate, (-9.0, 0.0, 8.0), vibrato=14.0, delay=0.15)
    breath = _breath(n, rate, seed, tone, 0.03, 0.0, 1.0, (1500.0, 6000.0))
    return (tone + breath) * adsr(n, rate, 0.35, 0.8, 0.9)


# -- bass, lead, brass, reeds, flute: filtered wavetables -----------------------------------------
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
    """A bell formant at the third harmonic over a spectrum that brightens in the attack (the 'blat')."""
    def shape(h: np.ndarray) -> np.ndarray:
        return resonance_gain(h * freq, ((3.0 * freq, 1.5, 1.0),), floor=0.3) / h**0.6
    closed_table = _filtered_table(freq, rate, 500.0 + freq, shape, headroom=1.01)
    open_table = _filtered_table(freq, rate, 1000.0 + 3500.0 * bright + 2.0 * freq, shape, headroom=1.01)
    t = times(n, rate)
    weight = (1.0 - np.exp(-t / np.float32(0.05))) * (0.7 + 0.3 * np.exp(-t / np.float32(0.4)))
    phase = vibrato_cycles(freq, n, rate, speed=5.2, cents=6.0, delay=0.35)
    return _crossfade(freq, n, rate, closed_table, open_table, weight, phase) * adsr(n, rate, 0.03, 0.5, 0.8)


def _reed(freq: float, n: int, bright: float, rate: int, seed: int, colour: Callable[[np.ndarray], np.ndarray],
          breath: float) -> np.ndarray:
    table = _shaped_table(freq, rate, colour, headroom=1.01)
    tone = read_table(table, vibrato_cycles(freq, n, rate, speed=5.0, cents=9.0, delay=0.3))
    air = _breath(n, rate, seed, tone, breath, 3.0 * breath, 0.04, (max(800.0, 2.0 * freq), 8000.0))
    return (tone + air) * adsr(n, rate, 0.03, 0.5, 0.85)


def clarinet(freq: float, n: int, bright: float, rate: int, seed: int) -> np.ndarray:
    """A cylindrical bore: odd harmonics strong, even ones weak, up to about 2 kHz."""
    def colour(h: np.ndarray) -> np.ndarray:
        odd = np.where(h % 2 == 1, 1.0, 0.12 + 0.5 * np.clip(h * freq / 3000.0, 0.0, 1.0))
        return odd / h**0.5 * lowpass_gain(h * freq, 2000.0 + 3000.0 * bright)
    return _reed(freq, n, bright, rate, seed, colour, 0.02)


def sax(freq: float, n: int, bright: float, rate: int, seed: int) -> np.ndarray:
    """A conical bore: every harmonic, a broad formant near 700 Hz, a breathy edge."""
    def colour(h: np.ndarray) -> np.ndarray:
        return resonance_gain(h * freq, ((700.0, 1.0, 1.5), (1800.0, 0.5, 2.0)), floor=0.15) \
            * lowpass_gain(h * freq, 2500.0 + 3500.0 * bright) / h**0.7
    return _reed(freq, n, bright, rate, seed, colour, 0.04)


def double_reed(freq: float, n: int, bright: float, rate: int, seed: int) -> np.ndarray:
    """Oboe, bassoon, bagpipe, shanai: a weak fundamental under nasal formants near 1.1 and 2.8 kHz."""
    def colour(h: np.ndarray) -> np.ndarray:
        return resonance_gain(h * freq, ((1100.0, 1.0, 3.0), (2800.0, 0.5, 3.0)), floor=0.12) \
            * lowpass_gain(h * freq, 3500.0 + 3000.0 * bright) / h**0.6
    return _reed(freq, n, bright, rate, seed, colour, 0.02)


def flute(freq: float, n: int, bright: float, rate: int, seed: int) -> np.ndarray:
    """Breathy flute: a few harmonics over air noise, a 'chiff' as the note speaks, vibrato.

    The noise pulses with the tone (the jet is modulated by the sound in the pipe), and in the
    first 40 ms the upper harmonics overshoot, the octave chiff of a flute's attack.
    """
    register = float(np.clip((np.log2(freq / 262.0)) / 2.5, 0.0, 1.0))  # low notes are richer
    levels = np.array([1.0, 0.35 - 0.15 * register + 0.15 * bright, 0.15 - 0.07 * register, 0.07, 0.035, 0.02])
    chiff_levels = levels * np.array([1.0, 2.5, 2.5, 2.0, 2.0, 1.5])
    steady, chiffed = (_shaped_table(freq, rate, lambda h, a=a: a[h.astype(int) - 1], headroom=1.01, highest=len(a))
                       for a in (levels, chiff_levels))
    t = times(n, rate)
    phase = vibrato_cycles(freq, n, rate, speed=5.0, cents=8.0, delay=0.25)
    weight = np.exp(-t / np.float32(0.04))
    tone = read_table(steady, phase)
    tone += weight * (read_table(chiffed, phase) - tone)
    swell = 1.0 + np.float32(0.07) * np.clip((t - 0.25) / 0.3, 0.0, 1.0) * np.sin(TWO_PI * np.float32(5.0) * t)
    air = _breath(n, rate, seed, tone, 0.05 + 0.03 * bright, 0.3, 0.03, (max(600.0, freq), 9000.0))
    return (tone * swell + air) * adsr(n, rate, 0.08, 0.4, 0.85)


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
    """Tubular bells, tinkle bell, agogo: FM at an inharmonic ratio with a long ring."""
    ring = float(np.clip(2.5 * (523.0 / freq) ** 0.4, 0.6, 5.0))
    return _fm(freq, n, bright, rate, ratio=3.5, index=4.0, index_time=0.7, ring=ring, floor=0.4)


def knock(freq: float, n: int, bright: float, rate: int, seed: int) -> np.ndarray:
    """Woodblock, taiko, melodic tom, synth drum: FM whose index dies within 25 ms, a knock then a tone."""
    ring = float(np.clip(0.7 * (523.0 / freq) ** 0.5, 0.15, 2.5))
    return _fm(freq, n, bright, rate, ratio=4.0, index=3.0, index_time=0.025, ring=ring, floor=0.0)


def electric_piano(freq: float, n: int, bright: float, rate: int, seed: int) -> np.ndarray:
    """A tine piano: FM at ratio 1 whose 'bark' fades, plus the tine's brief high ping."""
    ring = float(np.clip(2.5 * (262.0 / freq) ** 0.5, 0.5, 6.0))
    out = _fm(freq, n, bright, rate, ratio=1.0, index=1.2 + 1.5 * bright, index_time=0.3, ring=ring, floor=0.1)
    if 14.0 * freq < 0.45 * rate:
        t = times(n, rate)
        out += np.float32(0.2 * bright) * np.sin(TWO_PI * np.float32(14.0 * freq) * t) * np.exp(-t / np.float32(0.015))
    return out


VOICES: dict[str, Voice] = {
    voice.name: voice
    for voice in (
        Voice("piano", piano, 0.25, 1.0, 0.8, "stretched decaying partials, two-stage decay set by register"),
        Voice("electric_piano", electric_piano, 0.3, 0.9, 0.8, "FM tine piano"),
        Voice("pluck", pluck, 0.12, 1.0, 0.8, "Karplus-Strong plucked string"),
        Voice("guitar", guitar, 0.15, 1.0, 0.8, "Karplus-Strong, softer pluck, longer ring"),
        Voice("string_bass", string_bass, 0.08, 1.0, 0.2, "Karplus-Strong, dark and long"),
        Voice("organ", organ, 0.06, 0.55, 0.9, "additive drawbar partials with tremolo"),
        Voice("pipe_organ", pipe_organ, 0.12, 0.5, 1.3, "principal chorus with a wind chiff"),
        Voice("accordion", accordion, 0.06, 0.55, 0.8, "two beating free reeds"),
        Voice("violin", partial(bowed, BODIES["violin"]), 0.18, 0.7, 1.0, "bowed string through a violin body"),
        Voice("viola", partial(bowed, BODIES["viola"]), 0.2, 0.7, 1.0, "bowed string through a viola body"),
        Voice("cello", partial(bowed, BODIES["cello"]), 0.25, 0.75, 1.0, "bowed string through a cello body"),
        Voice("contrabass", partial(bowed, BODIES["contrabass"]), 0.25, 0.8, 0.6, "bowed string, double-bass body"),
        Voice("strings", strings, 0.35, 0.55, 1.2, "three detuned band-limited saws, low-passed, vibrato"),
        Voice("choir", choir, 0.4, 0.6, 1.3, "three singers on 'ah': formants, breath, vibrato"),
        Voice("oohs", partial(choir, vowel="oo"), 0.4, 0.7, 1.3, "three singers on 'oo'"),
        Voice("pad", pad, 0.9, 0.5, 1.4, "two detuned saws, dark low-pass, slow attack"),
        Voice("bass", bass, 0.06, 1.0, 0.2, "saw+square with a closing low-pass"),
        Voice("lead", lead, 0.1, 0.5, 0.8, "square+saw with delayed vibrato"),
        Voice("brass", brass, 0.12, 0.6, 0.9, "saw whose low-pass opens in the attack"),
        Voice("sax", sax, 0.08, 0.6, 0.9, "every harmonic under a 700 Hz formant, breath"),
        Voice("clarinet", clarinet, 0.08, 0.6, 0.9, "odd harmonics strong, even weak"),
        Voice("double_reed", double_reed, 0.08, 0.6, 0.9, "nasal formants over a weak fundamental"),
        Voice("flute", flute, 0.1, 0.7, 1.0, "a few harmonics, breath noise, chiff, vibrato"),
        Voice("bell", bell, 1.0, 0.5, 1.0, "FM, inharmonic ratio 3.5, long ring"),
        Voice("knock", knock, 0.3, 0.8, 0.8, "FM, ratio 4 with a very short bright attack"),
        *(Voice(name, partial(struck, modes), modes.release, 0.8, 0.9, f"struck modes at {modes.ratios}")
          for name, modes in BARS.items()),
    )
}
