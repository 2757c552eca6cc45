"""The singing voice: phoneme timing, pitch following, and the missing-dependency message.

The planning steps (syllables, timing, pitch curve) run everywhere; the tests that synthesise
need the optional extra (``pip install 'muse-engine[sing]'``) and are skipped without it.
"""

from __future__ import annotations

import numpy as np
import pytest

from engine import Lyric, Note, Score, Track
from plugins.singing import INSTALL_HINT, SingingUnavailable, missing_dependency, sing
from plugins.singing.espeak import Phone
from plugins.singing.lyrics import espeak_spelling, read_lyrics, sung_track
from plugins.singing.nucleus import MOST_MOVED, sung_nucleus
from plugins.singing.phonemes import Span, SyllableSound, split_word
from plugins.singing.vocoder import FRAME_SECONDS, Analysis
from plugins.singing.pitch import PORTAMENTO, VIBRATO_CENTS, SingerRange, octave_shift, pitch_curve
from plugins.singing.timing import Group, place_phrase, source_time

RATE = 22050
needs_extra = pytest.mark.skipif(missing_dependency() is not None, reason="the singing extra is not installed")


def phones(*pairs: tuple[str, int]) -> tuple[list[Phone], list[int]]:
    """Phones from (symbol, length in ms) pairs, back to back, all in word 0."""
    found, ends, at = [], [], 0
    for symbol, ms in pairs:
        found.append(Phone(symbol, at, 0))
        at += ms * RATE // 1000
        ends.append(at)
    return found, ends


def song(lyrics: list[tuple[float, str]], notes: list[tuple[int, float, float]], band: bool = False) -> Score:
    tracks = [Track([Note(p, s, e, 90) for p, s, e in notes], program=40, name="voice")]
    if band:
        tracks.append(Track([Note(48, 0.0, notes[-1][2], 70)], program=0))
    return Score(tracks, tempo=120.0, lyrics=[Lyric(t, text) for t, text in lyrics])


# --- planning, no extra needed ------------------------------------------------------------

def test_a_word_splits_into_onset_vowel_and_tail_per_syllable():
    river, ends = phones(("ɹ", 60), ("ˈɪ", 80), ("v", 50), ("ɚ", 90))
    first, second = split_word(river, ends, 2)
    assert (first.onset.length, first.vowel.length, first.tail.length) == (1323, 1764, 0)
    assert second.onset.start == first.vowel.end and second.onset.length == 1102  # the v begins "ver"
    winds, ends = phones(("w", 60), ("ˈɪ", 80), ("n", 50), ("d", 20), ("z", 70))
    (only,) = split_word(winds, ends, 1)
    assert only.tail.start == only.vowel.end and only.tail.end == ends[-1]  # "nds" ends the note


def test_a_syllable_without_its_own_vowel_holds_the_previous_one():
    hours, ends = phones(("ˈaʊɚ", 200), ("z", 80))  # one eSpeak vowel, two dictionary syllables
    first, second = split_word(hours, ends, 2)
    assert second.held and second.vowel == first.vowel
    assert first.tail.length == 0 and second.tail.end == ends[-1]  # the z waits for the last note


def test_vowels_start_on_the_note_and_consonants_before_it():
    the, e1 = phones(("ð", 50), ("ə", 60))
    sea, e2 = phones(("s", 90), ("ˈiː", 120))
    sounds = split_word(the, e1, 1) + split_word([Phone(p.symbol, p.start + e1[-1], 0) for p in sea],
                                                 [e + e1[-1] for e in e2], 1)
    groups = [Group(1.0, 1.5, sounds[0]), Group(1.5, 2.5, sounds[1])]
    segments = place_phrase(groups, RATE)
    vowels = [s for s in segments if s.vowel]
    assert [round(v.start, 6) for v in vowels] == [1.0, 1.5]
    consonants = [s for s in segments if not s.vowel]
    assert consonants[0].end == pytest.approx(vowels[0].start) and consonants[0].end - consonants[0].start == pytest.approx(0.05, abs=1e-3)
    assert consonants[1].end == pytest.approx(vowels[1].start) and consonants[1].end - consonants[1].start == pytest.approx(0.09, abs=1e-3)
    assert vowels[1].end == pytest.approx(2.5)  # the last vowel holds to the end of its note


def test_a_vowel_sung_straight_after_another_is_reattacked():
    the, e1 = phones(("ð", 50), ("ɪ", 60))
    eve, e2 = phones(("ˈiː", 120), ("v", 60))
    shift = e1[-1]
    sounds = split_word(the, e1, 1) + split_word([Phone(p.symbol, p.start + shift, 0) for p in eve], [e + shift for e in e2], 1)
    legato = [s for s in place_phrase([Group(1.0, 1.5, sounds[0]), Group(1.5, 2.5, sounds[1])], RATE) if s.vowel]
    assert [v.reattacked for v in legato] == [False, True]  # "the | eve": no consonant between the vowels
    apart = [s for s in place_phrase([Group(1.0, 1.4, sounds[0]), Group(1.5, 2.5, sounds[1])], RATE) if s.vowel]
    assert not any(v.reattacked for v in apart)  # after a rest there is nothing to mark


def test_fast_notes_shorten_consonants_so_the_vowel_keeps_half_the_note():
    word, ends = phones(("s", 200), ("ˈɪ", 60), ("ŋ", 150))
    (sound,) = split_word(word, ends, 1)
    segments = place_phrase([Group(0.0, 0.12, sound), Group(0.12, 0.3, sound)], RATE)
    first_vowel = [s for s in segments if s.vowel][0]
    assert first_vowel.end - first_vowel.start >= 0.06 - 1e-9


def test_a_held_vowel_plays_its_ends_at_speaking_speed_and_drifts_in_between():
    word, ends = phones(("ˈa", 100))
    (sound,) = split_word(word, ends, 1)
    (vowel,) = place_phrase([Group(0.0, 1.0, sound)], RATE)
    times = np.linspace(vowel.start, vowel.end - 0.001, 400)
    sources = np.array([source_time(vowel, t) for t in times])
    assert sources.min() >= 0.0 and sources.max() <= 0.1 + 1e-9
    assert source_time(vowel, vowel.start + 0.02) == pytest.approx(0.02)  # the attack as spoken
    assert source_time(vowel, vowel.end - 0.01) == pytest.approx(0.09, abs=1e-6)  # the release as spoken
    assert np.abs(np.diff(sources)).max() < 0.005  # no jumps: the drift meets the release


def test_the_pitch_curve_follows_the_notes_with_short_glides_and_gentle_vibrato():
    notes = [Note(60, 0.0, 0.3), Note(64, 0.3, 1.5), Note(62, 1.5, 1.7)]
    times = np.arange(0.0, 1.7, 0.005)
    curve = pitch_curve(notes, times)
    assert np.allclose(curve[(times > 0.05) & (times < 0.25)], 60.0)
    settled = (times >= 0.3) & (times < 0.5)
    assert np.allclose(curve[settled], 64.0)  # on the new note from its onset, where its vowel starts
    gliding = (times >= 0.3 - PORTAMENTO + 0.004) & (times < 0.3)
    assert np.all((curve[gliding] > 60.0) & (curve[gliding] < 64.0))  # the slide is in the consonant before it
    held = (times > 0.8) & (times < 1.45)  # before the glide into the last note
    assert np.abs(curve[held] - 64.0).max() == pytest.approx(VIBRATO_CENTS / 100, abs=0.01)  # vibrato on the long note
    assert np.allclose(curve[(times > 1.52) & (times < 1.7)], 62.0)  # none on the short one


def test_melodies_move_by_octaves_into_the_voice_range():
    assert octave_shift([84, 86, 88], SingerRange(60, 79)) == -12
    assert octave_shift([40, 43, 47], SingerRange(45, 64)) == 12
    assert octave_shift([62, 65, 67], SingerRange(60, 79)) == 0


def test_lyrics_find_their_track_join_words_and_extend_melismas():
    score = song([(0.0, "ri-"), (0.5, "ver"), (1.0, "flows")],
                 [(60, 0.0, 0.5), (62, 0.5, 1.0), (64, 1.0, 1.5), (65, 1.5, 2.0)])
    score.tracks.insert(0, Track([Note(40, 0.25, 2.0, 80)], program=33))  # a bass with no onsets at the lyrics
    assert sung_track(score) == 1
    lyrics = read_lyrics(score)
    assert lyrics is not None and lyrics.language == "en"
    assert [w.tokens for w in lyrics.words] == [["river"], ["flows"]]
    assert [len(s.notes) for s in lyrics.syllables] == [1, 1, 2]  # "flows" holds over the last note
    assert sung_track(Score([Track([Note(60, 0.0, 1.0)])])) is None  # no lyrics, nothing sung


def test_chinese_lyrics_are_sung_from_pinyin_read_in_context():
    score = song([(0.0, "长"), (0.5, "江")], [(60, 0.0, 0.5), (62, 0.5, 1.0)])
    lyrics = read_lyrics(score)
    assert lyrics is not None and lyrics.language == "zh"
    assert [w.tokens for w in lyrics.words] == [["chang2"], ["jiang1"]]


def test_pinyin_finals_espeak_cannot_read_are_respelt():
    assert [espeak_spelling(r) for r in ("qiong2", "jiong3", "xiong1", "wong4", "m2", "hng5")] == \
        ["qong2", "jong3", "xong1", "weng4", "mu2", "heng5"]
    assert [espeak_spelling(r) for r in ("ming2", "yong3", "liang2", "ba4")] == ["ming2", "yong3", "liang2", "ba4"]


def test_rising_finals_and_the_consonant_before_the_vowel_are_marked():
    qian, ends = phones(("tɕh", 100), ("ˈiɛ", 150), ("n", 90))
    (sound,) = split_word(qian, ends, 1)
    assert sound.glide and sound.before == "tɕh"
    hai, ends = phones(("ˈai", 180),)
    (sound,) = split_word(hai, ends, 1)
    assert not sound.glide and sound.before == ""  # ai falls: its nucleus comes first


def analysis_of(voiced: list[bool], spectra: list[float]) -> Analysis:
    """A WORLD analysis of 5 ms frames: F0 where ``voiced``, a flat envelope at each ``spectra`` level."""
    f0 = np.array([200.0 if v else 0.0 for v in voiced])
    envelope = np.array([[level] * 8 for level in spectra])
    return Analysis(f0, envelope, np.zeros_like(envelope))


def frames(count: int) -> int:
    return int(round(count * FRAME_SECONDS * RATE))


def test_the_sung_vowel_starts_at_its_voicing_after_a_consonant_but_not_after_h():
    analysis = analysis_of([False] * 24 + [True] * 36, [1.0] * 60)  # 20 frames of consonant, 4 of aspiration
    aspirated = SyllableSound(Span(0, frames(20)), Span(frames(20), frames(60)), Span(frames(60), frames(60)), before="tʰ")
    sung = sung_nucleus(aspirated, analysis, RATE)
    assert sung.vowel == Span(frames(24), frames(60)) and sung.onset == Span(0, frames(24))  # aspiration before the beat
    breathy = SyllableSound(aspirated.onset, aspirated.vowel, aspirated.tail, before="h")
    assert sung_nucleus(breathy, analysis, RATE) == breathy  # a whispered start is the vowel already


def test_a_medial_glide_goes_before_the_beat_and_the_main_vowel_on_it():
    levels = [1.0] * 20 + [1.0] * 10 + list(np.geomspace(1.0, 100.0, 6)) + [100.0] * 44  # i ... glide ... ɛ
    analysis = analysis_of([False] * 20 + [True] * 60, levels)
    qian = SyllableSound(Span(0, frames(20)), Span(frames(20), frames(80)), Span(frames(80), frames(80)),
                         glide=True, before="tɕh")
    sung = sung_nucleus(qian, analysis, RATE)
    assert frames(33) <= sung.vowel.start <= frames(36)  # the glide has (nearly) arrived at the main vowel
    assert sung.onset.end == sung.vowel.start and sung.vowel.end == qian.vowel.end
    whispered = analysis_of([False] * 70 + [True] * 10, [1.0] * 80)  # voicing starts late in the vowel
    assert sung_nucleus(qian, whispered, RATE).vowel.start == qian.vowel.start + int(MOST_MOVED * qian.vowel.length)


# --- the missing extra ----------------------------------------------------------------------

def test_without_the_extra_one_line_says_how_to_install_it(monkeypatch, capsys):
    import importlib.util

    from plugins.synth import synthesize

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "pyworld" else real(name, *a))
    message = missing_dependency()
    assert message is not None and "pyworld" in message and INSTALL_HINT in message and "\n" not in message
    score = song([(0.0, "la"), (0.5, "la")], [(60, 0.0, 0.5), (62, 0.5, 1.0)])
    with pytest.raises(SingingUnavailable, match="muse-engine\\[sing\\]"):
        sing(score)
    sung = synthesize(score, rate=RATE, stereo=False, reverb=0.0, vocals="sing")
    played = synthesize(score, rate=RATE, stereo=False, reverb=0.0, vocals="instrument")
    assert np.array_equal(sung.samples, played.samples)  # the instrument stays the fallback
    note = capsys.readouterr().err.strip().splitlines()
    assert len(note) == 1 and INSTALL_HINT in note[0]


def test_vocals_off_leaves_the_band_alone():
    from plugins.synth import synthesize

    score = song([(0.0, "la")], [(72, 0.0, 1.0)], band=True)
    off = synthesize(score, rate=RATE, stereo=False, reverb=0.0, vocals="off").samples[:, 0]
    band = synthesize(Score(score.tracks[1:], tempo=120.0), rate=RATE, stereo=False, reverb=0.0).samples[:, 0]
    assert np.allclose(off[: len(band)], band, atol=1e-6)


# --- synthesis (needs the extra) -------------------------------------------------------------

def harvest(samples: np.ndarray, rate: int) -> tuple[np.ndarray, np.ndarray]:
    from plugins.singing.vocoder import load_world

    f0, times = load_world().harvest(samples.astype(np.float64), rate, f0_floor=100.0, f0_ceil=800.0,
                                     frame_period=5.0)
    return f0, times


@needs_extra
@pytest.mark.parametrize("singer", ["higher", "lower"])
def test_the_sung_pitch_follows_the_notes(singer):
    score = song([(0.2, "sing"), (0.7, "a"), (1.2, "song")], [(67, 0.2, 0.7), (71, 0.7, 1.2), (74, 1.2, 2.0)])
    vocal = sing(score, singer, rate=RATE)
    assert vocal is not None and vocal.transpose == (0 if singer == "higher" else -12)
    f0, times = harvest(vocal.samples, RATE)
    for note in vocal.notes:  # the middle of each note, where the vowel is held
        middle = (times > note.start + 0.1) & (times < note.end - 0.1) & (f0 > 0)
        cents = 1200 * np.log2(f0[middle] / (440 * 2 ** ((note.pitch - 69) / 12)))
        assert middle.sum() >= 10 and np.median(np.abs(cents)) < 20, (note, cents)


@needs_extra
def test_vowels_begin_on_their_notes_and_rests_are_silent():
    onsets = [0.5, 1.3, 2.1]
    score = song([(t, w) for t, w in zip(onsets, ["two", "tea", "cups"])], [(69, t, t + 0.5) for t in onsets])
    vocal = sing(score, rate=RATE)
    assert vocal is not None
    f0, times = harvest(vocal.samples, RATE)
    hop = int(0.005 * RATE)
    padded = np.pad(vocal.samples, (0, hop))
    level = np.array([np.sqrt(np.mean(padded[int(t * RATE): int(t * RATE) + hop] ** 2) + 1e-20) for t in times])
    for onset in onsets:  # each word starts with an unvoiced consonant: the vowel is the first loud voiced sound
        near = (times > onset - 0.15) & (times < onset + 0.25)
        vowel = times[near & (f0 > 0) & (level > 0.2 * level[near].max())]  # within 14 dB of the note's loudest
        assert abs(vowel.min() - onset) <= 0.03, (onset, vowel.min())
    samples = vocal.samples
    rest = samples[int(1.03 * RATE): int(1.15 * RATE)]  # after "two" has faded, before the t of "tea"
    assert np.abs(rest).max() < 1e-3 * np.abs(samples).max()


@needs_extra
def test_a_reattacked_vowel_dips_in_level_before_its_onset():
    score = song([(0.3, "the"), (0.8, "eve")], [(67, 0.3, 0.8), (67, 0.8, 1.6)])
    vocal = sing(score, rate=RATE)
    assert vocal is not None
    level = [np.sqrt(np.mean(vocal.samples[int(a * RATE): int(b * RATE)] ** 2)) for a, b in
             ((0.6, 0.75), (0.785, 0.8), (0.85, 1.0))]
    assert level[1] < 0.5 * min(level[0], level[2])  # a soft glottal onset marks "eve" on its beat


@needs_extra
def test_espeak_speaks_every_respelt_final_in_mandarin():
    from plugins.singing.espeak import ESpeak

    engine = ESpeak()
    for reading in ("qiong2", "jiong3", "xiong1", "wong4", "m2"):
        speech = engine.speak([espeak_spelling(reading)], "cmn+f1", 200)
        assert speech.phones and not any("(" in phone.symbol for phone in speech.phones), (reading, speech.phones)


@needs_extra
def test_a_sung_render_is_balanced_limited_and_reproducible():
    from plugins.synth import synthesize

    score = song([(0.0, "白"), (0.5, "日"), (1.0, "依"), (1.5, "山")],
                 [(64, 0.0, 0.5), (67, 0.5, 1.0), (69, 1.0, 1.5), (67, 1.5, 2.0)], band=True)
    first = synthesize(score, rate=RATE, reverb=0.2)
    again = synthesize(score, rate=RATE, reverb=0.2)
    assert np.array_equal(first.samples, again.samples)
    assert np.abs(first.samples).max() <= 10 ** (-1 / 20) + 1e-6
    played = synthesize(score, rate=RATE, reverb=0.2, vocals="instrument")
    assert not np.allclose(first.samples[: len(played.samples)], played.samples[: len(first.samples)])


@needs_extra
def test_espeak_speaks_slower_when_asked_and_keeps_its_phonemes():
    from plugins.singing.espeak import ESpeak

    engine = ESpeak()
    usual = engine.speak(["the", "river"], "en-us+f1", 200)
    engine.words_per_minute = 90
    slow = engine.speak(["the", "river"], "en-us+f1", 200)
    assert [p.symbol for p in slow.phones] == [p.symbol for p in usual.phones]
    assert len(slow.samples) > 1.3 * len(usual.samples)  # the benchmark's known-truth speech at another speed
