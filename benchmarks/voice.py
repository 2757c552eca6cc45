"""The singing voice, measured: pitch, timing, speed, loudness and clicks of sung songs.

Two deterministic songs of about 30 seconds (an English poem and a Chinese jueju sung twice,
set by the `song` composer to the melody generator's tune) are sung and rendered in this
process. Each measure reads the audio, not the singer's own plan:

- pitch: F0 of the vocal alone by WORLD's harvest (a different tracker from the dio the singer
  analyses speech with) against the sounding note, in cents, over every voiced frame inside a
  note (portamento and vibrato frames included): median |error|, share within 50 cents; and the
  same share for the baseline, the song's spoken phrases resynthesised on one constant pitch
  (what the ruler misses there comes from the tracker and the speech, not from the singing).
- timing: each syllable's vowel onset found in the audio, as the first frame near the note's
  onset from which the log-mel spectrum stays close to that note's steady vowel; |onset - note
  onset| in ms. Syllables whose vowel the measure cannot tell from what precedes it (a vowel
  sung straight into the same vowel) are counted apart. The baseline is the same ruler on
  eSpeak's own speech at eSpeak's vowel boundaries (where the singer puts the beat); the sung
  reading minus the spoken one is the singing's displacement with the ruler's bias removed.
- speed: seconds of song per second of singing (best of ``--repeats``), and the whole render
  against the instrumental render of the same score (the baseline).
- loudness: pyloudnorm's BS.1770 loudness of the vocal stem (the sung render minus the
  ``vocals=off`` render, both unnormalised) minus the accompaniment's; peak of the final render.
- clicks: the synth tests' measure: the largest sample step within 1 ms of a syllable join is
  at most 1.05 times the largest step elsewhere in the vocal.

    MUSE_THREADS=1 nice python benchmarks/voice.py [--repeats 2]

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


def cents_errors(vocal: np.ndarray, rate: int, notes: list, frame: float = 0.005) -> tuple[np.ndarray, np.ndarray]:
    """Cents from the sounding note of harvest's F0, at frames harvest calls voiced and inside a
    note; and which of them are periodic (see :func:`periodicity`)."""
    from plugins.singing.singer import resample
    from plugins.singing.vocoder import load_world

    world = load_world()
    low_rate = 16000
    signal = resample(vocal, rate, low_rate).astype(np.float64)
    # The search range of the voice part (a tracker is told the singer's range, as pyin's fmin/fmax):
    # a lower floor means longer analysis windows, which smear every note change.
    hz = [440.0 * 2 ** ((note.pitch - 69) / 12) for note in notes]
    f0, times = world.harvest(signal, low_rate, f0_floor=0.7 * min(hz), f0_ceil=1.5 * max(hz), frame_period=frame * 1000)
    target = np.zeros_like(f0)
    for note in notes:
        inside = (times >= note.start) & (times < note.end)
        target[inside] = 440.0 * 2 ** ((note.pitch - 69) / 12)
    counted = (f0 > 0) & (target > 0)
    periodic = periodicity(signal, low_rate, times[counted], f0[counted]) >= PERIODIC
    return 1200.0 * np.log2(f0[counted] / target[counted]), periodic


#: Harvest calls many noisy consonant frames voiced (its F0 there is noise); a frame counts as
#: voiced for the pitch measure when the signal repeats at harvest's period at least this well.
PERIODIC = 0.5


def periodicity(signal: np.ndarray, rate: int, times: np.ndarray, f0: np.ndarray) -> np.ndarray:
    """Normalised autocorrelation at the best lag within 10% of each frame's period, over 30 ms."""
    width = int(0.03 * rate)
    result = np.zeros(len(times))
    for k, (at, hz) in enumerate(zip(times, f0)):
        start = int(at * rate) - width // 2
        period = rate / hz
        best = 0.0
        for lag in range(int(period * 0.9), int(period * 1.1) + 2):
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


def vowel_onsets(vocal: np.ndarray, rate: int, notes: list) -> list[float | None]:
    """Measured vowel onset minus note onset in seconds per note (signed), None where unclear.

    The reference is the note's steady vowel (log-mel frames 30-60 % into the note); what came
    before is the median distance to it 60-120 ms before the onset (the consonant, or the last
    vowel). The vowel onset is the first frame from which the distance stays, for 15 ms, under
    half-way between the two. A note whose preceding sound is already close to its vowel (a
    vowel sung into the same vowel) has no onset to find and is unclear. The ruler reads "the
    vowel has reached its steady sound", which after a glide or sonorant (j, w, l, the schwa of
    "the") or in a diphthong comes later than the phoneme boundary: see :func:`spoken_onsets`.
    """
    hop = 0.005
    spectra = log_mel(vocal, rate, hop)
    onsets: list[float | None] = []
    for note in notes:
        length = note.end - note.start
        steady = spectra[int((note.start + 0.3 * length) / hop): int((note.start + 0.6 * length) / hop) + 1]
        first, last = int((note.start - 0.12) / hop), int((note.start + 0.3 * length) / hop)
        if len(steady) == 0 or first < 0:
            onsets.append(None)
            continue
        reference = steady.mean(axis=0)
        distance = np.sqrt(((spectra[first:last] - reference) ** 2).mean(axis=1))
        floor = float(np.sqrt(((steady - reference) ** 2).mean(axis=1)).mean())
        before = float(np.median(distance[:12]))
        below = distance < floor + 0.5 * (before - floor)
        settled = np.flatnonzero(np.convolve(below, np.ones(3), mode="valid") == 3)
        if before < 2.0 * floor or not len(settled):
            onsets.append(None)
            continue
        onsets.append((first + settled[0]) * hop - note.start)
    return onsets


def spoken_onsets(song: Score, voice: str) -> dict[int, float | None]:
    """The same ruler on eSpeak's own speech of each phrase, with eSpeak's vowel boundaries as the
    notes (per syllable index): how far the ruler's idea of a vowel onset lies from the phoneme
    boundary the singer puts on the beat. What the ruler reports here comes from the ruler and
    the phonemes, not from the singing (the sung vowel's attack is the spoken one, unstretched)."""
    from plugins.singing.espeak import ESpeak
    from plugins.singing.lyrics import read_lyrics
    from plugins.singing.singer import LANGUAGE_VOICES, VOICES, _phrase_sounds

    engine, lyrics = ESpeak(), read_lyrics(song)
    assert lyrics is not None
    lead = 0.2  # silence before the phrase, so the ruler can look 120 ms before its first vowel
    found: dict[int, float | None] = {}
    for phrase in lyrics.phrases:
        sounds = _phrase_sounds(lyrics, phrase, engine, f"{LANGUAGE_VOICES[lyrics.language]}+{VOICES[voice].variant}",
                                VOICES[voice].speaking_f0)
        if sounds is None:
            continue
        speech, by_syllable = sounds
        padded = np.concatenate([np.zeros(int(lead * speech.rate), np.float32), speech.samples])
        for index, sound in by_syllable.items():
            if not sound.held:
                note = Note(60, lead + sound.vowel.start / speech.rate, lead + sound.vowel.end / speech.rate)
                found[index] = vowel_onsets(padded, speech.rate, [note])[0]
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
        cents, periodic = cents_errors(spoken, speech.rate, [note])
        within += list(np.abs(cents[periodic]) <= 50.0)
    return 100.0 * float(np.mean(within))


def click_ratio(vocal: np.ndarray, rate: int, joins: list[float]) -> float:
    jumps = np.abs(np.diff(vocal))
    near = np.zeros(len(jumps), dtype=bool)
    for t in joins:
        at = int(t * rate)
        near[max(0, at - rate // 1000): at + rate // 1000] = True
    return float(jumps[near].max() / jumps[~near].max())


def measure(eng: Engine, name: str, song: Score, repeats: int) -> dict[str, float]:
    import pyloudnorm

    from plugins.singing import sing
    from plugins.singing.lyrics import read_lyrics
    from plugins.synth import synthesize

    rate = 44100
    seconds = []
    for _ in range(repeats):
        started, cpu = time.perf_counter(), time.process_time()
        vocal = sing(song, rate=rate)
        seconds.append((time.perf_counter() - started, time.process_time() - cpu))
    assert vocal is not None
    duration = song.duration
    cents, periodic = cents_errors(vocal.samples, rate, vocal.notes)
    errors, raw = np.abs(cents[periodic]), np.abs(cents)
    lyrics = read_lyrics(song)
    assert lyrics is not None
    sung = vowel_onsets(vocal.samples, rate, [syllable.notes[0] for syllable in lyrics.syllables])
    spoken = spoken_onsets(song, vocal.voice)
    clear = {k: at for k, at in enumerate(sung) if at is not None}
    onset = 1000.0 * np.abs(np.array(list(clear.values())))
    paired = {k: (at, spoken[k]) for k, at in clear.items() if spoken.get(k) is not None}
    ruler = 1000.0 * np.abs(np.array([said for _, said in paired.values()], dtype=float))
    placement = 1000.0 * np.abs(np.array([at - float(said or 0.0) for at, said in paired.values()]))
    clicks = click_ratio(vocal.samples, rate, [n.start for s in lyrics.syllables for n in s.notes])
    render_times = {}
    for vocals in ("instrument", "sing"):
        started = time.perf_counter()
        final = synthesize(song, rate=rate, vocals=vocals)
        render_times[vocals] = time.perf_counter() - started
    stems = {v: synthesize(song, rate=rate, vocals=v, normalize=False, gain_db=-12.0).samples for v in ("sing", "off")}
    length = min(len(stems["sing"]), len(stems["off"]))
    meter = pyloudnorm.Meter(rate)
    vocal_lufs = meter.integrated_loudness(stems["sing"][:length] - stems["off"][:length])
    band_lufs = meter.integrated_loudness(stems["off"][:length])
    return {
        "song s": duration, "voice": vocal.voice, "pitch median cents": float(np.median(errors)),
        "pitch within 50 cents %": 100.0 * float(np.mean(errors <= 50.0)), "voiced frames": len(errors),
        "baseline (speech on one pitch) within 50 cents %": ruler_baseline(song, vocal.voice),
        "harvest-voiced within 50 cents %": 100.0 * float(np.mean(raw <= 50.0)), "harvest-voiced frames": len(raw),
        "onset median ms": float(np.median(onset)), "onset p95 ms": float(np.percentile(onset, 95)),
        "onsets within 30 ms %": 100.0 * float(np.mean(onset <= 30.0)), "onsets measured": len(clear),
        "onsets unclear": len(sung) - len(clear),
        "baseline (speech at eSpeak's boundaries) within 30 ms %": 100.0 * float(np.mean(ruler <= 30.0)),
        "sung - spoken onset within 30 ms %": 100.0 * float(np.mean(placement <= 30.0)),
        "sung - spoken median ms": float(np.median(placement)), "onsets paired": len(paired), "sing x realtime (wall)": duration / min(w for w, _ in seconds),
        "sing x realtime (cpu)": duration / min(c for _, c in seconds),
        "render sing/instrument time": render_times["sing"] / render_times["instrument"],
        "vocal - band LU": vocal_lufs - band_lufs, "peak dBFS": 20 * np.log10(np.abs(final.samples).max()),
        "click ratio": clicks,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    eng = Engine()
    songs = {"english": make_song(eng, ENGLISH, "en", args.seed), "jueju": make_song(eng, JUEJU, "zh", args.seed)}
    print(f"targets: {TARGETS}")
    for name, song in songs.items():
        result = measure(eng, name, song, args.repeats)
        print(f"{name}: " + ", ".join(f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}" for k, v in result.items()))


if __name__ == "__main__":
    main()
