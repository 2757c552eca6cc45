"""The singing voice, measured: pitch, timing, speed, loudness and clicks of sung songs.

Two deterministic songs of about 30 seconds (an English poem and a Chinese jueju sung twice,
set by the `song` composer to the melody generator's tune) are sung and rendered in this
process. Each measure reads the audio, not the singer's own plan:

- pitch: F0 of the vocal alone by WORLD's harvest refined by StoneMask (a different tracker
  from the dio the singer analyses speech with), read from the vocal's LPC residual (see
  :func:`whitened`), against the sounding note, in cents, over every frame inside a note that
  the vocal voices (the tracker says voiced and the signal repeats at the tracked period over
  2.5 periods; portamento and vibrato frames included): median |error|, share within 50 cents;
  the previous ruler (the tracker on the vocal itself) for comparison; and the baseline, the
  song's spoken phrases resynthesised on one constant pitch, whose F0 is known exactly.
  benchmarks/voice_pitch_misses.py checks the rulers on the singer's own planned F0.
- timing: each syllable's vowel onset found in the audio by aligning it (DTW) to eSpeak's
  speech of the words, where every vowel's start is known (see voice_alignment.py); onset
  minus note onset in ms, for every syllable with a vowel of its own (a held syllable of a
  melisma goes on singing the vowel before). Two known-truth checks of the ruler: the same words
  spoken by eSpeak at another speed and pitch, whose vowel starts eSpeak reports, and the
  vocal moved by +-40 ms, which must move every reading by as much.
- speed: seconds of song per second of singing (best of ``--repeats``), and the whole render
  against the instrumental render of the same score (the baseline).
- loudness: pyloudnorm's BS.1770 loudness of the vocal stem (the sung render minus the
  ``vocals=off`` render, both unnormalised) minus the accompaniment's; peak of the final render.
- clicks: the synth tests' measure: the largest sample step within 1 ms of a syllable join is
  at most 1.05 times the largest step elsewhere in the vocal.

    MUSE_THREADS=1 nice python benchmarks/voice.py [--repeats 2] [--singer lower]

Every shipped voice is measured unless ``--singer`` names one.

Needs ``pip install 'muse-engine[sing]' pyloudnorm``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from engine import Engine, Note, Score, Text
from voice_alignment import onset_errors, shift_errors, spoken_truth_errors

ENGLISH = ["The river winds beneath the hill,", "The evening light is soft and still;",
           "I walk along the water's edge", "And hear the wind among the sedge.",
           "The swallows turn above the mill,", "The bells are ringing on the hill;",
           "I sing the song my mother knew", "Of morning fields and summer dew.",
           "The lantern burns, the shadows fall,", "A robin sings upon the wall;",
           "And all the little stars come out", "To hear the river sing about."]
JUEJU = ["白日依山尽", "黄河入海流", "欲穷千里目", "更上一层楼"] * 4
TARGETS = "pitch median <= 20 cents, >= 95% within 50; vowel onsets within 30 ms; >= 5x realtime; vocal 0..4 LU above"


def make_song(eng: Engine, lines: list[str], language: str, seed: int) -> Score:
    tune = eng.generate("melody", seed=seed, bars=16)
    song = eng.compose("song", Text(lines=lines, language=language), tune, seed=seed)
    assert isinstance(song, Score)
    return song


def track_f0(vocal: np.ndarray, rate: int, notes: list[Note], frame: float = 0.005,
             refine: bool = True, whiten: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(F0, times, 16 kHz signal): harvest's F0 of the vocal, refined by StoneMask (WORLD's own
    second step: instantaneous frequency over about three periods, which follows a note change
    that harvest's longer windows and contour smoothing blur), both read from the LPC residual
    of the vocal (see :func:`whitened`) unless ``whiten`` is False."""
    from plugins.singing.singer import resample
    from plugins.singing.vocoder import load_world

    world = load_world()
    signal = resample(vocal, rate, LOW_RATE).astype(np.float64)
    source = whitened(signal) if whiten else signal
    # The search range of the voice part (a tracker is told the singer's range, as pyin's fmin/fmax):
    # a lower floor means longer analysis windows, which smear every note change.
    hz = [440.0 * 2 ** ((note.pitch - 69) / 12) for note in notes]
    f0, times = world.harvest(source, LOW_RATE, f0_floor=0.7 * min(hz), f0_ceil=1.5 * max(hz), frame_period=frame * 1000)
    if refine:
        f0 = world.stonemask(source, f0, times, LOW_RATE)
    return f0, times, signal


def whitened(signal: np.ndarray, order: int = 16, size: int = 400, hop: int = 160) -> np.ndarray:
    """The LPC residual of ``signal`` (order-``order`` prediction over ``size``-sample Hann windows,
    overlap-added every ``hop``): the spectral envelope divided out, a flat pulse train left.
    Why: in a low voice the first formant sits on the second or third harmonic, and in voiced
    consonants (m, n, l, w) it moves fast; harvest then takes the strong formant-boosted harmonic
    for the fundamental's neighbour and reads 50-300 cents flat. On a signal whose F0 is known
    exactly (the lower voice's planned F0 through its real envelopes, no breath noise) harvest
    reads 95.0 % of frames within 50 cents of the truth, 97.7 % on the residual."""
    window = np.hanning(size)
    padded = np.concatenate([signal, np.zeros(size)])
    out = np.zeros(len(padded))
    lags = np.abs(np.arange(order)[:, None] - np.arange(order)[None, :])
    for start in range(0, len(signal), hop):
        piece = padded[start:start + size]
        shaped = piece * window
        autocorrelation = np.array([np.dot(shaped[: size - k], shaped[k:]) for k in range(order + 1)])
        if autocorrelation[0] <= 1e-12:
            continue
        autocorrelation[0] *= 1.0 + 1e-4  # a little white noise: a well-conditioned solve
        predictor = np.linalg.solve(autocorrelation[lags], -autocorrelation[1:])
        out[start:start + size] += np.convolve(piece, np.concatenate([[1.0], predictor]))[:size] * window
    return out[: len(signal)]


def cents_errors(vocal: np.ndarray, rate: int, notes: list[Note], refine: bool = True,
                 periods: float | None = 2.5, gate: float = 0.7, whiten: bool = True) -> np.ndarray:
    """Cents from the sounding note of the tracked F0, at frames inside a note that the vocal
    voices: the tracker calls them voiced and the signal repeats at the tracked period (see
    :func:`periodicity`). ``whiten=False`` is the previous ruler (the tracker on the vocal itself),
    kept for comparison."""
    f0, times, signal = track_f0(vocal, rate, notes, refine=refine, whiten=whiten)
    target = np.zeros_like(f0)
    for note in notes:
        inside = (times >= note.start) & (times < note.end)
        target[inside] = 440.0 * 2 ** ((note.pitch - 69) / 12)
    counted = np.flatnonzero((f0 > 0) & (target > 0))
    counted = counted[periodicity(signal, LOW_RATE, times[counted], f0[counted], periods) >= gate]
    cents: np.ndarray = 1200.0 * np.log2(f0[counted] / target[counted])
    return cents


LOW_RATE = 16000


def periodicity(signal: np.ndarray, rate: int, times: np.ndarray, f0: np.ndarray,
                periods: float | None = 2.5) -> np.ndarray:
    """Normalised autocorrelation at the best lag within 10% of each frame's period, over
    ``periods`` periods centred on the frame (None: 30 ms from the frame on). A window of a few
    periods sees the frame's own sound: a 30 ms one let the unvoiced frames beside a vowel
    (which WORLD synthesises as noise) borrow the vowel's periodicity, and harvest calls
    many such frames voiced."""
    result = np.zeros(len(times))
    for k, (at, hz) in enumerate(zip(times, f0)):
        period = rate / hz
        width = int(periods * period) if periods else int(0.03 * rate)
        best = 0.0
        for lag in range(int(period * 0.9), int(period * 1.1) + 2):
            start = int(at * rate) - ((width + lag) // 2 if periods else width // 2)
            if start < 0 or start + width + lag > len(signal):
                break
            a, b = signal[start:start + width], signal[start + lag:start + lag + width]
            norm = np.sqrt(np.dot(a, a) * np.dot(b, b))
            best = max(best, float(np.dot(a, b) / norm) if norm > 0 else 0.0)
        result[k] = best
    return result


def ruler_baseline(song: Score, voice: str, notes: list[Note], whiten: bool = True) -> float:
    """The pitch ruler's ceiling for this material: % within 50 cents when the song's own eSpeak
    phrases are merely resynthesised by WORLD on one constant pitch, the median of ``notes`` (as
    the voice sings them), with no stretching, no melody, and the aperiodicity of sung vowels.
    The F0 is known exactly: what the ruler misses here it would miss anywhere."""
    from plugins.singing.espeak import ESpeak
    from plugins.singing.lyrics import read_lyrics
    from plugins.singing.singer import LANGUAGE_VOICES, VOICES, _phrase_sounds
    from plugins.singing.vocoder import VOWEL_BREATH, analyse, load_world

    world, engine = load_world(), ESpeak()
    lyrics = read_lyrics(song)
    assert lyrics is not None
    singer = VOICES[voice]
    pitch = int(np.median([n.pitch for n in notes]))
    within = []
    for phrase in lyrics.phrases:
        sounds = _phrase_sounds(lyrics, phrase, engine, f"{LANGUAGE_VOICES[lyrics.language]}+{singer.variant}",
                                singer.speaking_f0)
        if sounds is None:
            continue
        speech = sounds[0]
        analysis = analyse(speech.samples, speech.rate)
        voiced = analysis.f0 > 0
        f0 = np.where(voiced, 440.0 * 2 ** ((pitch - 69) / 12), 0.0)
        aperiodicity = np.where(voiced[:, None], analysis.aperiodicity * VOWEL_BREATH, analysis.aperiodicity)
        spoken = world.synthesize(f0, analysis.envelope, aperiodicity, speech.rate, 5.0).astype(np.float32)
        note = Note(pitch, 0.0, len(spoken) / speech.rate)
        within += list(np.abs(cents_errors(spoken, speech.rate, [note], whiten=whiten)) <= 50.0)
    return 100.0 * float(np.mean(within))


def click_ratio(vocal: np.ndarray, rate: int, joins: list[float]) -> float:
    jumps = np.abs(np.diff(vocal))
    near = np.zeros(len(jumps), dtype=bool)
    for t in joins:
        at = int(t * rate)
        near[max(0, at - rate // 1000): at + rate // 1000] = True
    return float(jumps[near].max() / jumps[~near].max())


def measure(eng: Engine, name: str, song: Score, repeats: int, singer: str) -> dict[str, float | str]:
    import pyloudnorm

    from plugins.singing import sing
    from plugins.singing.lyrics import read_lyrics
    from plugins.synth import synthesize

    rate = 44100
    seconds = []
    for _ in range(repeats):
        started, cpu = time.perf_counter(), time.process_time()
        vocal = sing(song, singer, rate=rate)
        seconds.append((time.perf_counter() - started, time.process_time() - cpu))
    assert vocal is not None
    duration = song.duration
    errors = np.abs(cents_errors(vocal.samples, rate, vocal.notes))
    previous = np.abs(cents_errors(vocal.samples, rate, vocal.notes, whiten=False))
    lyrics = read_lyrics(song)
    assert lyrics is not None
    onsets = 1000.0 * np.array(list(onset_errors(vocal, song).values()))
    spoken = 1000.0 * np.abs(spoken_truth_errors(song, vocal.voice, 150, 2.5))
    slower = 1000.0 * np.abs(spoken_truth_errors(song, vocal.voice, 120, 1.5))
    shifted = 1000.0 * np.abs(shift_errors(vocal, song))
    clicks = click_ratio(vocal.samples, rate, [n.start for s in lyrics.syllables for n in s.notes])
    render_times = {}
    for vocals in ("instrument", "sing"):
        started = time.perf_counter()
        final = synthesize(song, rate=rate, vocals=vocals, singer=singer)
        render_times[vocals] = time.perf_counter() - started
    stems = {v: synthesize(song, rate=rate, vocals=v, singer=singer, normalize=False, gain_db=-12.0).samples
             for v in ("sing", "off")}
    length = min(len(stems["sing"]), len(stems["off"]))
    meter = pyloudnorm.Meter(rate)
    vocal_lufs = meter.integrated_loudness(stems["sing"][:length] - stems["off"][:length])
    band_lufs = meter.integrated_loudness(stems["off"][:length])
    return {
        "song s": duration, "voice": vocal.voice, "pitch median cents": float(np.median(errors)),
        "pitch within 50 cents %": 100.0 * float(np.mean(errors <= 50.0)), "voiced frames": len(errors),
        "previous ruler (no whitening) within 50 cents %": 100.0 * float(np.mean(previous <= 50.0)),
        "baseline (speech on one pitch, known F0) within 50 cents %": ruler_baseline(song, vocal.voice, vocal.notes),
        "baseline by the previous ruler %": ruler_baseline(song, vocal.voice, vocal.notes, whiten=False),
        "onsets within 30 ms %": 100.0 * float(np.mean(np.abs(onsets) <= 30.0)),
        "onset max |ms|": float(np.abs(onsets).max()), "onset median |ms|": float(np.median(np.abs(onsets))),
        "onset mean ms": float(onsets.mean()), "onsets measured": len(onsets),
        "held syllables (no vowel of their own)": len(lyrics.syllables) - len(onsets),
        "ruler on speech at 2.5x pitch: max |ms|": float(spoken.max()),
        "median": float(np.median(spoken)),
        "ruler on speech at 120 wpm, 1.5x pitch: max |ms|": float(slower.max()),
        "within 30 ms %": 100.0 * float(np.mean(slower <= 30.0)),
        "ruler moved with the audio (+-40 ms): max |ms| off": float(shifted.max()),
        "sing x realtime (wall)": duration / min(w for w, _ in seconds),
        "sing x realtime (cpu)": duration / min(c for _, c in seconds),
        "render sing/instrument time": render_times["sing"] / render_times["instrument"],
        "vocal - band LU": vocal_lufs - band_lufs, "peak dBFS": 20 * np.log10(np.abs(final.samples).max()),
        "click ratio": clicks,
    }


def main() -> None:
    from plugins.singing.singer import VOICES

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--singer", default="all", help=f"all (default), or one of {', '.join(VOICES)}")
    args = parser.parse_args()
    eng = Engine()
    songs = {"english": make_song(eng, ENGLISH, "en", args.seed), "jueju": make_song(eng, JUEJU, "zh", args.seed)}
    print(f"targets: {TARGETS}")
    for singer in VOICES if args.singer == "all" else [args.singer]:
        for name, song in songs.items():
            result = measure(eng, name, song, args.repeats, singer)
            print(f"{name}: " + ", ".join(f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}" for k, v in result.items()),
                  flush=True)


if __name__ == "__main__":
    main()
