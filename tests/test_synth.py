"""The built-in synthesizer: pitch, timing, silence, clicks, levels, drums, voices, multi-track, files."""

from __future__ import annotations

import itertools
import sys

import numpy as np
import pytest
import soundfile

from engine import Engine, MuseError, Note, Score, Track
from plugins.synth import synthesize
from plugins.synth import timbre
from plugins.synth.gm import voice_for_program
from plugins.synth.voices import VOICES

RATE = 22050
#: A GM program for every voice: the first program that plays it.
PROGRAM_OF = {voice: next(p for p in range(128) if voice_for_program(p) == voice) for voice in VOICES}
#: Voices with a clear pitched tone (the struck bars' overtones are not harmonics).
PITCHED = sorted(set(VOICES) - {"bell", "tubular_bells", "knock", "glockenspiel", "celesta", "tines", "timpani"})


def dry(score: Score, **options) -> np.ndarray:
    """Mono samples at 22.05 kHz without reverb: what the notes alone sound like."""
    settings = {"rate": RATE, "stereo": False, "reverb": 0.0, **options}
    return synthesize(score, **settings).samples[:, 0]


def one_note(program: int, pitch: int, start: float = 0.0, end: float = 1.0, velocity: int = 100) -> Score:
    return Score(tracks=[Track([Note(pitch, start, end, velocity)], program=program)])


def window(samples: np.ndarray, start: float, end: float) -> np.ndarray:
    return samples[int(start * RATE) : int(end * RATE)]


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) if len(samples) else 0.0


def spectrum(samples: np.ndarray, pad: int = 8) -> tuple[np.ndarray, np.ndarray]:
    size = len(samples) * pad
    power = np.abs(np.fft.rfft(samples * np.hanning(len(samples)), size)) ** 2
    return np.fft.rfftfreq(size, 1.0 / RATE), power


def test_every_gm_program_has_a_voice():
    assert {voice_for_program(p) for p in range(128)} <= set(VOICES)
    assert {voice_for_program(p) for p in range(128)} == set(VOICES)  # and every voice is used


def pitch_hz(samples: np.ndarray) -> float:
    """The period the samples repeat at: the shortest autocorrelation lag within 10% of the best."""
    size = 2 * len(samples)
    power = np.abs(np.fft.rfft(samples - samples.mean(), size)) ** 2
    correlation = np.fft.irfft(power, size)[: len(samples)]
    lags = np.arange(RATE // 2000, RATE // 25)
    best = correlation[lags].max()
    candidates = lags[(correlation[lags] >= 0.9 * best) & (correlation[lags] >= correlation[lags - 1])
                      & (correlation[lags] >= correlation[lags + 1])]
    lag = int(candidates[0])
    a, b, c = correlation[lag - 1 : lag + 2]
    return RATE / (lag + 0.5 * (a - c) / (a - 2 * b + c))


@pytest.mark.parametrize("voice", PITCHED)
def test_a_single_note_sounds_at_its_pitch(voice):
    pitch = 45 if voice in ("bass", "string_bass", "contrabass", "cello") else 69
    expected = 440.0 * 2 ** ((pitch - 69) / 12)
    samples = window(dry(one_note(PROGRAM_OF[voice], pitch, end=1.2)), 0.1, 1.1)
    if voice == "organ":  # the 16' drawbar repeats an octave down; the 8' is the loudest partial
        freqs, power = spectrum(samples)
        assert abs(freqs[int(np.argmax(power))] - expected) / expected < 0.01
        expected /= 2
    found = pitch_hz(samples)
    assert abs(found - expected) / expected < 0.01, f"{voice}: sounds at {found:.1f} Hz, want {expected:.1f}"


def test_durations_match_the_score_and_gaps_are_silent():
    score = Score(tracks=[Track([Note(64, 0.5, 1.0, 100), Note(67, 2.5, 3.0, 100)], program=0)])
    samples = dry(score)
    release = VOICES["piano"].release
    assert 3.0 <= len(samples) / RATE <= 3.0 + release + 0.05
    assert np.abs(window(samples, 0.0, 0.5)).max() == 0.0  # nothing before the first note
    assert rms(window(samples, 0.55, 0.95)) > 0.05
    assert np.abs(window(samples, 1.0 + release + 0.01, 2.5)).max() == 0.0  # released and silent
    assert rms(window(samples, 2.55, 2.95)) > 0.05
    # The onset is where the score says: quiet just before it, sounding right after.
    onset = int(2.5 * RATE)
    assert np.abs(samples[onset - 200 : onset]).max() == 0.0
    assert np.abs(samples[onset : onset + 200]).max() > 0.01


def test_reverb_tail_dies_away_into_silence():
    score = Score(tracks=[Track([Note(60, 0.0, 0.5, 100), Note(64, 6.0, 6.5, 100)], program=0)])
    samples = synthesize(score, rate=RATE, stereo=True, reverb=0.5).samples
    assert np.abs(window(samples, 0.6, 1.2)).max() > 1e-3  # the room rings after the release
    assert np.abs(window(samples, 4.5, 5.9)).max() < 1e-3  # ...and is gone well before the next note


@pytest.mark.parametrize("voice", sorted(VOICES))
def test_no_clicks_at_note_boundaries(voice):
    program = PROGRAM_OF[voice]
    times = [(0.3, 0.7), (0.7, 1.0), (1.0, 1.6), (2.0, 2.05)]  # legato, abrupt, very short notes
    notes = [Note(55 + 3 * i, start, end, 110) for i, (start, end) in enumerate(times)]
    samples = dry(Score(tracks=[Track(notes, program=program)]))
    jumps = np.abs(np.diff(samples))
    near = np.zeros(len(jumps), dtype=bool)
    for start, end in times:
        for edge in (start, end):
            at = int(edge * RATE)
            near[max(0, at - 22) : at + 22] = True  # +-1 ms around every note-on and note-off
    # Bright voices have steep band-limited edges, so the yardstick is the voice's own waveform.
    assert jumps[near].max() <= 1.05 * jumps[~near].max()
    if voice == "celesta":  # a mellow voice, where a click would stand out in absolute terms too
        assert jumps.max() < 0.25


def fundamental_band(samples: np.ndarray, f0: float) -> np.ndarray:
    """The analytic signal of the band 0.8..1.2 f0: its magnitude and phase follow the fundamental."""
    spectrum_full = np.fft.fft(samples)
    freqs = np.fft.fftfreq(len(samples), 1.0 / RATE)
    spectrum_full[~((freqs > 0.8 * f0) & (freqs < 1.2 * f0))] = 0.0
    return np.fft.ifft(2.0 * spectrum_full)


def smoothed(values: np.ndarray, seconds: float) -> np.ndarray:
    width = max(1, int(seconds * RATE))
    return np.convolve(values, np.ones(width) / width, mode="same")


def test_the_measure_of_stretched_partials_reads_a_known_stretch():
    t = np.arange(RATE) / RATE
    b, f0 = 0.0004, 220.0
    tone = sum(np.sin(2 * np.pi * k * f0 * np.sqrt(1 + b * k * k) * t) / k for k in range(1, 12))
    expected = 600 * np.log2((1 + 64 * b) / (1 + b))  # partial 8 against 8 x partial 1, in cents
    assert timbre.partial_cents(tone, RATE, f0) == pytest.approx(expected, abs=1.0)
    harmonic = sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 12))
    assert abs(timbre.partial_cents(harmonic, RATE, f0)) < 0.5


def test_piano_partials_are_stretched_more_in_the_treble_and_brass_ones_are_not():
    def cents(program: int, pitch: int) -> float:
        note = window(dry(one_note(program, pitch, end=1.0)), 0.05, 0.5)
        return timbre.partial_cents(note, RATE, 440.0 * 2 ** ((pitch - 69) / 12))

    middle, low, high = cents(0, 60), cents(0, 48), cents(0, 72)
    assert 12.0 < low < middle < high < 45.0
    assert abs(cents(56, 60)) < 1.0  # a trumpet's partials are exact harmonics


def test_piano_decay_shortens_up_the_keyboard():
    def decay(pitch: int) -> float:
        note = dry(one_note(0, pitch, end=4.0))
        seconds = timbre.decay_seconds(note, RATE)
        assert seconds is not None, pitch
        return seconds

    assert decay(36) > decay(60) > 2 * decay(84)


def test_violin_vibrato_starts_after_the_onset_and_the_section_has_no_bow():
    note = dry(one_note(40, 69, end=2.0))
    cents = 1200 * np.log2(np.diff(np.unwrap(np.angle(fundamental_band(note, 440.0)))) * RATE / (2 * np.pi) / 440.0)
    cents = smoothed(cents, 0.01)
    onset, settled = window(cents, 0.06, 0.18), window(cents, 0.8, 1.8)
    assert np.ptp(onset) < 4.0  # the first ~0.2 s is steady
    assert np.ptp(settled) > 20.0  # then a vibrato of about +-18 cents
    freqs, power = spectrum(settled - settled.mean())
    assert 5.0 < freqs[np.argmax(power * (freqs < 20))] < 7.0  # at a violinist's 5-7 Hz
    # One player against a section: a bowed attack is far quicker than the section's swell...
    section = dry(one_note(48, 69, end=2.0))
    assert timbre.attack_seconds(note[: 2 * RATE], RATE) < 0.5 * timbre.attack_seconds(section[: 2 * RATE], RATE)
    # ...and the bow's hiss fills the gaps between the harmonics, where the section's saws leave silence.
    def hiss(samples: np.ndarray) -> float:
        freqs, power = spectrum(window(samples, 0.5, 1.5), pad=1)
        band = power[(freqs > 3000) & (freqs < 8000)]
        return float(np.exp(np.mean(np.log(band + 1e-30))) / np.mean(band))

    assert hiss(note) > 100 * hiss(section)


def tremolo(program: int, pitch: int = 65) -> tuple[float, float]:
    """(depth, rate in Hz) of the fundamental's amplitude wobble, once the decay is divided out."""
    f0 = 440.0 * 2 ** ((pitch - 69) / 12)
    level = np.abs(fundamental_band(dry(one_note(program, pitch, end=2.0)), f0))
    wobble = window(level / smoothed(level, 0.19), 0.3, 1.0)
    freqs, power = spectrum(wobble - wobble.mean())
    return float(np.percentile(wobble, 95) - np.percentile(wobble, 5)) / 2, float(freqs[np.argmax(power * (freqs < 20))])


def test_vibraphone_has_its_motor_tremolo_and_marimba_does_not():
    depth, rate = tremolo(11)
    assert depth > 0.15 and 4.0 < rate < 7.0
    assert tremolo(12)[0] < 0.08


@pytest.mark.parametrize("program, ratios", [(11, (4.0, 10.0)), (12, (4.0,)), (13, (3.0, 6.0)),
                                             (9, (2.76, 5.40)), (47, (1.5, 1.98))])
def test_mallets_ring_with_their_own_overtones(program, ratios):
    pitch = 48 if program == 47 else 60
    note = window(dry(one_note(program, pitch, end=1.0, velocity=127)), 0.0, 0.1)
    found = timbre.overtone_ratios(note, RATE, 440.0 * 2 ** ((pitch - 69) / 12), count=len(ratios))
    assert found == pytest.approx(list(ratios), rel=0.02)


def test_flute_breathes_and_an_organ_pipe_does_not():
    def noise_db(program: int, pitch: int = 72) -> float:
        """Share of the power that lies between the harmonics, 1-8 kHz, in dB."""
        samples = window(dry(one_note(program, pitch, end=1.5)), 0.3, 1.2)
        freqs, power = spectrum(samples, pad=1)
        f0 = 440.0 * 2 ** ((pitch - 69) / 12)
        between = np.abs(freqs / f0 - np.round(freqs / f0)) * f0 > 0.04 * f0 + 20
        band = (freqs > 1000) & (freqs < 8000) & between
        return float(10 * np.log10(power[band].sum() / power.sum() + 1e-30))

    assert noise_db(73) > -35.0 > -60.0 > noise_db(16)


def voice_fingerprint(program: int, pitch: int = 57) -> np.ndarray:
    """What a listener tells instruments by, in dB: 10 harmonic levels, the envelope at 7 moments, noisiness."""
    note = dry(one_note(program, pitch, end=1.5))
    f0 = 440.0 * 2 ** ((pitch - 69) / 12)
    freqs, power = spectrum(window(note, 0.05, 0.8), pad=4)
    harmonics = np.array([power[(freqs > 0.97 * k * f0) & (freqs < 1.03 * k * f0)].max() for k in range(1, 11)])
    envelope = timbre.envelope(note, RATE)
    moments = envelope[[int(t / timbre.HOP_SECONDS) for t in (0.01, 0.03, 0.1, 0.3, 0.6, 1.0, 1.4)]]
    band = power[(freqs > 3000) & (freqs < 8000)]
    noisiness = np.exp(np.mean(np.log(band + 1e-30))) / np.mean(band)
    levels = np.concatenate([harmonics / harmonics.max(), (moments / envelope.max()) ** 2, [noisiness]])
    return np.maximum(10 * np.log10(levels + 1e-12), -60.0)


def test_each_gm_family_has_a_voice_of_its_own():
    families = {"piano": 0, "electric piano": 4, "glockenspiel": 9, "vibraphone": 11, "marimba": 12,
                "xylophone": 13, "organ": 16, "church organ": 19, "accordion": 21, "guitar": 24, "bass": 33,
                "violin": 40, "string ensemble": 48, "choir": 52, "brass": 56, "sax": 65, "oboe": 68,
                "clarinet": 71, "flute": 73, "synth lead": 80, "synth pad": 89}
    prints = {name: voice_fingerprint(program) for name, program in families.items()}
    for a, b in itertools.combinations(prints, 2):
        distance = float(np.sqrt(np.mean((prints[a] - prints[b]) ** 2)))
        assert distance > 2.0, f"{a} and {b} sound alike ({distance:.1f} dB apart)"


@pytest.mark.parametrize("normalize, gain_db, peak_db", [(True, 0.0, -1.0), (False, 24.0, -1.0), (True, 0.0, 0.0)])
def test_peak_never_exceeds_the_ceiling(normalize, gain_db, peak_db):
    chord = [Note(p, 0.0, 1.0, 127) for p in (36, 43, 48, 52, 55, 60, 64, 67, 72, 76)]
    tracks = [Track(list(chord), program=program) for program in (0, 16, 33, 48, 80)]
    tracks.append(Track([Note(k, 0.01 * i, 0.1, 127) for i, k in enumerate((36, 38, 49, 42))], is_drum=True))
    audio = synthesize(Score(tracks=tracks), rate=RATE, reverb=0.3, normalize=normalize, gain_db=gain_db,
                       peak_db=peak_db)
    peak = float(np.abs(audio.samples).max())
    ceiling = 10 ** (peak_db / 20)
    assert peak <= ceiling + 1e-6
    assert peak <= 1.0
    if normalize:
        assert peak > ceiling - 0.01  # normalised up to the ceiling, not just clamped
    # The limiter turns loud passages down smoothly; a hard clip would flatten many samples.
    assert np.mean(np.abs(audio.samples) >= ceiling * 0.999) < 0.001


def periodicity(samples: np.ndarray) -> float:
    """Highest normalised autocorrelation at a lag of a 50-2000 Hz period: ~1 for a tone."""
    size = 2 * len(samples)
    power = np.abs(np.fft.rfft(samples - samples.mean(), size)) ** 2
    correlation = np.fft.irfft(power, size)[: len(samples)]
    lags = slice(RATE // 2000, RATE // 50)
    return float(correlation[lags].max() / correlation[0])


def centroid(samples: np.ndarray) -> float:
    freqs, power = spectrum(samples, pad=1)
    return float(np.sum(freqs * power) / np.sum(power))


def test_drum_channel_is_unpitched():
    def hit(key: int, is_drum: bool = True) -> np.ndarray:
        track = Track([Note(key, 0.0, 0.1, 110)], program=0, is_drum=is_drum)
        return window(dry(Score(tracks=[track])), 0.0, 0.15)

    for key in (38, 39, 42, 46, 49, 51, 70):  # snare, clap, hats, cymbals, maracas: no period
        assert periodicity(hit(key)) < 0.5, key
    assert periodicity(hit(69, is_drum=False)) > 0.9  # the same key on a pitched track is a tone
    assert centroid(hit(42)) > 5000 > 500 > centroid(hit(36))  # hats are bright, the kick is low


def test_a_three_track_score_renders_every_track():
    bands = {"bass": (36, 33, (55, 80)), "piano": (73, 0, (530, 580)), "flute": (90, 73, (1420, 1540))}
    tracks = [Track([Note(pitch, 0.0, 1.5, 100)], program=program) for pitch, program, _ in bands.values()]
    score = Score(tracks=tracks)

    def band_energy(samples: np.ndarray, low: float, high: float) -> float:
        freqs, power = spectrum(window(samples, 0.05, 1.4), pad=1)
        return float(power[(freqs >= low) & (freqs <= high)].sum())

    full = dry(score)
    for muted, (_, _, (low, high)) in enumerate(bands.values()):
        volumes = [0.0 if i == muted else 1.0 for i in range(3)]
        without = dry(score, volumes=volumes, normalize=False)
        with_it = dry(score, normalize=False)
        assert band_energy(with_it, low, high) > 100 * band_energy(without, low, high)
        assert band_energy(full, low, high) > 1e-3 * sum(band_energy(full, *b[2]) for b in bands.values())


def test_stereo_mono_rates_and_determinism():
    score = Score(tracks=[Track([Note(60, 0.0, 0.3, 90), Note(64, 0.3, 0.6, 90)], program=24),
                          Track([Note(67, 0.0, 0.6, 70)], program=48)])
    stereo = synthesize(score, rate=48000)
    assert stereo.rate == 48000 and stereo.channels == 2
    assert not np.allclose(stereo.samples[:, 0], stereo.samples[:, 1])  # tracks are panned apart
    assert synthesize(score, rate=48000).same_content(stereo, tolerance=0.0)
    mono = synthesize(score, rate=22050, stereo=False)
    assert mono.channels == 1 and mono.rate == 22050


def test_an_empty_score_is_a_moment_of_silence():
    audio = synthesize(Score(), rate=RATE)
    assert 0 < audio.duration <= 0.2 and not audio.samples.any()


def test_meta_of_the_score_travels_into_the_audio_file(tmp_path):
    import plugins.renderers.plugin as renderers
    import plugins.synth.plugin as synth

    eng = Engine(plugins=[renderers, synth])
    score = one_note(0, 60, end=0.3)
    score.meta = {"kind": "generator", "component": "melody", "seed": 3, "params": {"bars": 2}}
    path = eng.render(score, tmp_path / "x.wav", rate=22050, reverb=0.1)
    audio = eng.load(path)
    assert audio.rate == 22050 and audio.channels == 2
    assert audio.meta["component"] == "melody" and audio.meta["synth"]["reverb"] == 0.1


def test_audio_of_a_generated_score_reproduces(tmp_path):
    import types

    import plugins.renderers.plugin as renderers
    import plugins.synth.plugin as synth
    from engine import Generator, Param, hookimpl

    class Arpeggio(Generator):
        name = "arpeggio"
        description = "a rising arpeggio"
        output = Score
        params = (Param("root", int, 60, "lowest pitch"),)

        def generate(self, params, seed):
            notes = [Note(params["root"] + step, 0.25 * i, 0.25 * i + 0.2, 90) for i, step in enumerate((0, 4, 7, 12))]
            return Score(tracks=[Track(notes, program=24)])

    plugin = types.ModuleType("arpeggio_plugin")
    plugin.register_generators = hookimpl(lambda register: register(Arpeggio()))
    eng = Engine(plugins=[renderers, synth, plugin])
    path = eng.render(eng.generate("arpeggio", seed=1, root=57), tmp_path / "arp.flac")
    assert eng.info(path)["component"] == "arpeggio"
    assert eng.reproduce(path).identical


def test_muse_render_midi_to_audio(muse, in_tmp):
    score = Score(tracks=[Track([Note(60 + i, 0.2 * i, 0.2 * i + 0.18, 90) for i in range(5)], program=0),
                          Track([Note(36, 0.0, 0.1, 100), Note(38, 0.4, 0.5, 100)], is_drum=True)])
    score.to_midi().write("x.mid")
    result = muse("render", "x.mid", "-o", "x.wav")
    assert result.code == 0, result.err
    samples, rate = soundfile.read("x.wav")
    assert rate == 44100 and samples.shape[1] == 2 and np.abs(samples).max() > 0.5
    result = muse("render", "x.mid", "-o", "x.flac", "-p", "reverb=0.3", "-p", "rate=22050", "-p", "stereo=false")
    assert result.code == 0, result.err
    info = soundfile.info("x.flac")
    assert (info.samplerate, info.channels) == (22050, 1)
    result = muse("render", "x.mid", "-o", "y.wav", "-p", "pans=0,0,0")
    assert result.code != 0 and "pans" in result.out + result.err


def test_fluidsynth_backend_or_a_clear_install_message(monkeypatch):
    from plugins.synth.fluid import fluidsynth_missing

    score = one_note(0, 60, end=0.3)
    if fluidsynth_missing() is None:
        audio = synthesize(score, rate=RATE, backend="fluidsynth")
        assert audio.channels == 2 and np.abs(audio.samples).max() > 0.5
    monkeypatch.setitem(sys.modules, "fluidsynth", None)  # as if pyfluidsynth were not installed
    with pytest.raises(MuseError, match="pip install pyfluidsynth"):
        synthesize(score, rate=RATE, backend="fluidsynth")
