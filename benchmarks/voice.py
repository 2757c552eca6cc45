"""The singing voice, measured: pitch, timing, speed, loudness and clicks of sung songs.

Two deterministic songs of about 30 seconds (an English poem and a Chinese jueju sung twice,
set by the `song` composer to the melody generator's tune) are sung and rendered in this
process. Each measure reads the audio, not the singer's own plan:

- pitch: F0 of the vocal alone by WORLD's harvest refined by StoneMask (a different tracker
  from the dio the singer analyses speech with) against the sounding note, in cents, over every
  frame inside a note that the vocal voices (the tracker says voiced and the signal repeats at the
  tracked period over 2.5 periods; portamento and vibrato frames included): median |error|,
  share within 50 cents; the earlier ruler (harvest alone, 30 ms periodicity window) for
  comparison; and the baseline, the song's spoken phrases resynthesised on one constant pitch.
  benchmarks/voice_pitch_misses.py checks both rulers on a signal whose F0 is known exactly.
- timing: each syllable's vowel onset found in the audio, as the latest strong jump of the
  spectrum towards the vowel near the note's onset (see :func:`vowel_onsets`); |onset - note
  onset| in ms. Two known-truth checks of the ruler: eSpeak's own speech with the sung vowels'
  starts in it (eSpeak's boundaries, past aspiration and medial glides) as the notes, and the
  vocal moved by +-40 ms, which must move every reading by as much.
- speed: seconds of song per second of singing (best of ``--repeats``), and the whole render
  against the instrumental render of the same score (the baseline).
- loudness: pyloudnorm's BS.1770 loudness of the vocal stem (the sung render minus the
  ``vocals=off`` render, both unnormalised) minus the accompaniment's; peak of the final render.
- clicks: the synth tests' measure: the largest sample step within 1 ms of a syllable join is
  at most 1.05 times the largest step elsewhere in the vocal.

    MUSE_THREADS=1 nice python benchmarks/voice.py [--repeats 2] [--singer lower]

Needs ``pip install 'muse-engine[sing]' pyloudnorm``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from engine import Engine, Note, Score, Text

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
             refine: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(F0, times, 16 kHz signal): harvest's F0 of the vocal, refined by StoneMask (WORLD's own
    second step: instantaneous frequency over about three periods, which follows a note change
    that harvest's longer windows and contour smoothing blur)."""
    from plugins.singing.singer import resample
    from plugins.singing.vocoder import load_world

    world = load_world()
    signal = resample(vocal, rate, LOW_RATE).astype(np.float64)
    # The search range of the voice part (a tracker is told the singer's range, as pyin's fmin/fmax):
    # a lower floor means longer analysis windows, which smear every note change.
    hz = [440.0 * 2 ** ((note.pitch - 69) / 12) for note in notes]
    f0, times = world.harvest(signal, LOW_RATE, f0_floor=0.7 * min(hz), f0_ceil=1.5 * max(hz), frame_period=frame * 1000)
    if refine:
        f0 = world.stonemask(signal, f0, times, LOW_RATE)
    return f0, times, signal


def cents_errors(vocal: np.ndarray, rate: int, notes: list[Note], refine: bool = True,
                 periods: float | None = 2.5, gate: float = 0.7) -> np.ndarray:
    """Cents from the sounding note of the tracked F0, at frames inside a note that the vocal
    voices: the tracker calls them voiced and the signal repeats at the tracked period (see
    :func:`periodicity`). ``refine=False, periods=None, gate=0.5`` is the earlier ruler (harvest
    alone, a 30 ms periodicity window), kept for comparison."""
    f0, times, signal = track_f0(vocal, rate, notes, refine=refine)
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


def log_mel(vocal: np.ndarray, rate: int, hop: float = 0.005, bands: int = 40) -> np.ndarray:
    """(frames, bands) log power in mel bands 100 Hz..8 kHz, frame k centred at k * hop."""
    size = 1024
    padded = np.pad(vocal.astype(np.float64), (size // 2, size))
    starts = np.rint(np.arange(int(len(vocal) / (hop * rate))) * hop * rate).astype(int)  # exact times, no drift
    frames = np.lib.stride_tricks.sliding_window_view(padded, size)[starts] * np.hanning(size)
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    freqs = np.fft.rfftfreq(size, 1.0 / rate)
    mel = 2595 * np.log10(1 + np.array([100.0, 8000.0]) / 700)
    edges = 700 * (10 ** (np.linspace(mel[0], mel[1], bands + 2) / 2595) - 1)
    bank = np.zeros((bands, len(freqs)))
    for b in range(bands):
        lo, mid, hi = edges[b : b + 3]
        bank[b] = np.clip(np.minimum((freqs - lo) / (mid - lo), (hi - freqs) / (hi - mid)), 0, None)
    return np.log(power @ bank.T + 1e-10)


#: Seconds of silence the onset ruler puts before the vocal, so it can look before the first note.
ONSET_PAD = 0.2
ONSET_HOP = 0.005


def vowel_onsets(vocal: np.ndarray, rate: int, notes: list[Note]) -> list[float | None]:
    """Measured vowel onset minus note onset in seconds per note (signed), None where unclear.

    The vowel onset is the latest strong jump of the spectrum *towards the vowel*, in two passes.
    First the vowel is the note's loudest 40 ms (from 30 ms before its onset to half-way
    through it: the held vowel, wherever it starts); the jump is looked for from 100 ms before
    the onset to 30 % into the note. Then the vowel is the sound 20-60 ms after that first
    reading (its start, which after a glide or in a diphthong differs from its middle), and the
    jump is looked for again within 50 ms of the first reading. A jump at frame t is how much
    nearer the vowel the 20 ms after t are than the 20 ms before (RMS log-mel distance, levels
    more than 50 dB below the loudest clipped, so a stop's silence is no farther from the vowel
    than its burst); the latest local maximum of at least 0.4 of the largest wins (the vowel
    comes after the consonant, not at the last vowel's end). Nothing in it is anchored on the
    note's onset beyond the search window: :func:`onset_follows_shifts` checks that the
    reading moves with the audio.
    """
    padded = np.concatenate([np.zeros(int(ONSET_PAD * rate), np.float32), vocal.astype(np.float32)])
    spectra = log_mel(padded, rate, ONSET_HOP)
    energy = np.log(np.exp(spectra).sum(axis=1))
    loudest = int(round(0.04 / ONSET_HOP))
    found: list[float | None] = []
    for note in notes:
        start, length = note.start + ONSET_PAD, note.end - note.start
        first, last = _frame(start - 0.03), _frame(start + 0.5 * length)
        if last - first < loudest or last > len(spectra):
            found.append(None)
            continue
        frames = first + np.argsort(energy[first:last])[-loudest:]
        coarse = _jump(spectra, np.median(spectra[frames], axis=0), start - 0.1, start + 0.3 * length)
        if coarse is None:
            found.append(None)
            continue
        vowel = spectra[_frame(coarse + 0.02): _frame(coarse + 0.06)]
        fine = _jump(spectra, np.median(vowel, axis=0), coarse - 0.05, coarse + 0.05) if len(vowel) else None
        found.append(None if fine is None else fine - start)
    return found


def _frame(seconds: float) -> int:
    return int(round(seconds / ONSET_HOP))


def _jump(spectra: np.ndarray, vowel: np.ndarray, earliest: float, latest: float,
          side: float = 0.02, share: float = 0.4, range_db: float = 50.0) -> float | None:
    """Seconds of the latest strong jump towards ``vowel`` between ``earliest`` and ``latest``."""
    n = _frame(side)
    low, high = _frame(earliest), _frame(latest)
    if low - n < 0 or high + n >= len(spectra):
        return None
    floor = spectra[low - n: high + n].max() - range_db / 10.0 * np.log(10.0)
    distance = np.sqrt(((np.maximum(spectra[low - n: high + n + 1], floor) - np.maximum(vowel, floor)) ** 2).mean(axis=1))
    gains = np.array([distance[k - n:k].mean() - distance[k:k + n].mean() for k in range(n, n + high - low + 1)])
    if gains.max() <= 0:
        return None
    peaks = [k for k in range(len(gains)) if gains[k] >= share * gains.max()
             and (k == 0 or gains[k] >= gains[k - 1]) and (k == len(gains) - 1 or gains[k] > gains[k + 1])]
    return (low + peaks[-1]) * ONSET_HOP if peaks else None


def onset_follows_shifts(vocal: np.ndarray, rate: int, notes: list[Note], shifts: tuple[float, ...] = (-0.04, 0.04)) -> float:
    """The onset ruler's known-truth check: the vocal moved by each of ``shifts`` seconds moves
    every vowel onset by exactly that; % of (note, shift) readings that move by it within 10 ms."""
    base = vowel_onsets(vocal, rate, notes)
    agree = []
    for shift in shifts:
        count = int(round(abs(shift) * rate))
        moved = np.concatenate([np.zeros(count, np.float32), vocal]) if shift > 0 else vocal[count:]
        for was, now in zip(base, vowel_onsets(moved, rate, notes)):
            if was is not None and now is not None:
                agree.append(abs(now - was - shift) <= 0.01)
    return 100.0 * float(np.mean(agree))


def spoken_onsets(song: Score, voice: str) -> dict[int, float | None]:
    """The same ruler on eSpeak's own speech of each phrase, with the sung vowels' starts in it
    (eSpeak's vowel boundaries, moved past aspiration and medial glides as the singer does) as
    the notes, per syllable index: how well the ruler finds a vowel onset whose place in unsung
    speech is known."""
    from plugins.singing.espeak import ESpeak
    from plugins.singing.lyrics import read_lyrics
    from plugins.singing.nucleus import sung_nucleus
    from plugins.singing.singer import LANGUAGE_VOICES, VOICES, _phrase_sounds
    from plugins.singing.vocoder import analyse

    engine, lyrics = ESpeak(), read_lyrics(song)
    assert lyrics is not None
    found: dict[int, float | None] = {}
    for phrase in lyrics.phrases:
        sounds = _phrase_sounds(lyrics, phrase, engine, f"{LANGUAGE_VOICES[lyrics.language]}+{VOICES[voice].variant}",
                                VOICES[voice].speaking_f0)
        if sounds is None:
            continue
        speech, by_syllable = sounds
        analysis = analyse(speech.samples, speech.rate)
        indices = [k for k, sound in by_syllable.items() if not sound.held]
        vowels = [sung_nucleus(by_syllable[k], analysis, speech.rate).vowel for k in indices]
        notes = [Note(60, vowel.start / speech.rate, vowel.end / speech.rate) for vowel in vowels]
        found.update(zip(indices, vowel_onsets(speech.samples, speech.rate, notes)))
    return found


def ruler_baseline(song: Score, voice: str) -> float:
    """The pitch ruler's ceiling for this material: % within 50 cents when the song's own eSpeak
    phrases are merely resynthesised by WORLD on one constant pitch (no stretching, no melody),
    with the same aperiodicity as sung vowels. What the ruler misses here it would miss anywhere."""
    from plugins.singing.espeak import ESpeak
    from plugins.singing.lyrics import read_lyrics
    from plugins.singing.singer import LANGUAGE_VOICES, VOICES, _phrase_sounds
    from plugins.singing.vocoder import VOWEL_BREATH, analyse, load_world

    world, engine = load_world(), ESpeak()
    lyrics = read_lyrics(song)
    assert lyrics is not None
    singer = VOICES[voice]
    pitch = int(np.median([n.pitch for s in lyrics.syllables for n in s.notes]))
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
        within += list(np.abs(cents_errors(spoken, speech.rate, [note])) <= 50.0)
    return 100.0 * float(np.mean(within))


def click_ratio(vocal: np.ndarray, rate: int, joins: list[float]) -> float:
    jumps = np.abs(np.diff(vocal))
    near = np.zeros(len(jumps), dtype=bool)
    for t in joins:
        at = int(t * rate)
        near[max(0, at - rate // 1000): at + rate // 1000] = True
    return float(jumps[near].max() / jumps[~near].max())


def measure(eng: Engine, name: str, song: Score, repeats: int, singer: str = "auto") -> dict[str, float]:
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
    earlier = np.abs(cents_errors(vocal.samples, rate, vocal.notes, refine=False, periods=None, gate=0.5))
    lyrics = read_lyrics(song)
    assert lyrics is not None
    onset_notes = [syllable.notes[0] for syllable in lyrics.syllables]
    sung = vowel_onsets(vocal.samples, rate, onset_notes)
    clear = [at for at in sung if at is not None]
    onset = 1000.0 * np.abs(np.array(clear))
    spoken = [at for at in spoken_onsets(song, vocal.voice).values() if at is not None]
    ruler = 1000.0 * np.abs(np.array(spoken))
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
        "baseline (speech on one pitch) within 50 cents %": ruler_baseline(song, vocal.voice),
        "earlier ruler (harvest alone, 30 ms gate) within 50 cents %": 100.0 * float(np.mean(earlier <= 50.0)),
        "earlier ruler frames": len(earlier),
        "onset median ms": float(np.median(onset)), "onset p95 ms": float(np.percentile(onset, 95)),
        "onsets within 30 ms %": 100.0 * float(np.mean(onset <= 30.0)), "onsets measured": len(clear),
        "onsets unclear": len(sung) - len(clear),
        "ruler on speech at its known vowel starts within 30 ms %": 100.0 * float(np.mean(ruler <= 30.0)),
        "ruler follows a 40 ms shift within 10 ms %": onset_follows_shifts(vocal.samples, rate, onset_notes),
        "sing x realtime (wall)": duration / min(w for w, _ in seconds),
        "sing x realtime (cpu)": duration / min(c for _, c in seconds),
        "render sing/instrument time": render_times["sing"] / render_times["instrument"],
        "vocal - band LU": vocal_lufs - band_lufs, "peak dBFS": 20 * np.log10(np.abs(final.samples).max()),
        "click ratio": clicks,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--singer", default="auto", help="auto (the higher voice for these songs), higher or lower")
    args = parser.parse_args()
    eng = Engine()
    songs = {"english": make_song(eng, ENGLISH, "en", args.seed), "jueju": make_song(eng, JUEJU, "zh", args.seed)}
    print(f"targets: {TARGETS}")
    for name, song in songs.items():
        result = measure(eng, name, song, args.repeats, args.singer)
        print(f"{name}: " + ", ".join(f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}" for k, v in result.items()))


if __name__ == "__main__":
    main()
