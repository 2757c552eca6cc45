"""The melody plugin: representation, loaders, bad input, training (dry run), generation, eval."""

from __future__ import annotations

from pathlib import Path

import pytest

SCALE = [62, 64, 66, 67, 69, 71, 73, 74]  # D major


def write_tune(path: Path, pitches, *, meter=(4, 4), key="D major", step=0.25, start=0.0, velocities=None,
               chord_at=None, drums=False, program=0):
    """A small MIDI file: eighth notes at 120 qpm (step seconds each), optional accents and a chord."""
    import pretty_midi

    midi = pretty_midi.PrettyMIDI(initial_tempo=120)
    midi.time_signature_changes.append(pretty_midi.TimeSignature(*meter, 0))
    if key:
        midi.key_signature_changes.append(pretty_midi.KeySignature(pretty_midi.key_name_to_key_number(key), 0))
    track = pretty_midi.Instrument(program=program, is_drum=drums)
    for i, pitch in enumerate(pitches):
        velocity = velocities[i] if velocities else 90
        track.notes.append(pretty_midi.Note(velocity, pitch, start + i * step, start + (i + 1) * step))
        if chord_at == i:
            track.notes.append(pretty_midi.Note(velocity, pitch - 4, start + i * step, start + (i + 1) * step))
    midi.instruments.append(track)
    midi.write(str(path))
    return path


def folk_tune(seed: int, bars: int = 8) -> list[int]:
    """A repetitive scale tune: two 4-bar halves, the second a copy, ending on D."""
    import random

    rng = random.Random(seed)
    half = [rng.choice(SCALE) for _ in range(4 * bars - 1)]
    return (half + [62]) * 2


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("tunes")
    for i in range(12):
        write_tune(folder / f"tune{chr(97 + i)}.mid", folk_tune(i, bars=4), meter=(6, 8) if i % 3 == 0 else (4, 4))
    (folder / "notes.txt").write_text("not music")
    return folder


@pytest.fixture(scope="module")
def checkpoint(corpus, tmp_path_factory) -> Path:
    from engine import Engine

    out = tmp_path_factory.mktemp("ckpt") / "melody.safetensors"
    Engine().train("melody", data=corpus, out=out, dry_run=True, progress=False, hidden=16, layers=1,
                   batch_size=4, window=32, sample_every=1)
    return out


# -- representation ---------------------------------------------------------------------------------
def test_meters_and_keys_parse_and_reject_clearly():
    from engine import ParamError
    from engine.theory import parse_key
    from plugins.melody.events import parse_meter

    assert (parse_meter("6/8").bar_units, parse_meter("6/8").beat_units, parse_meter("6/8").beats_per_bar) == (36, 18, 2)
    assert (parse_meter("3/4").bar_units, parse_meter("3/4").beats_per_bar) == (36, 3)
    assert parse_key("D minor").name == "D minor" and parse_key("D minor").shift == 2
    assert parse_key("Bb major").tonic == 10 and parse_key("F#m").mode == "minor" and parse_key("G").shift == -5
    for bad, words in [("7/0", "impossible"), ("5/4", "not supported"), ("waltz", "not a meter")]:
        with pytest.raises(ParamError, match=words):
            parse_meter(bad)
    for bad, words in [("H major", "not a key"), ("D lydian", "major or minor")]:
        with pytest.raises(ParamError, match=words):
            parse_key(bad)


def test_features_are_the_same_in_training_and_generation(tmp_path):
    from plugins.melody.data import read_midi
    from plugins.melody.events import COLUMN, Timeline, encode, normalised_pitch_id

    tune = read_midi(write_tune(tmp_path / "t.mid", folk_tune(3)))
    rows, pitches, _ = encode(tune, "A")
    timeline = Timeline(tune.meter, tune.key.mode, tune.bars, plan="A")
    for row, pitch, duration in zip(rows, tune.pitches, tune.durations):
        assert timeline.features() == row
        timeline.add(normalised_pitch_id(pitch, tune.key.shift), duration)
    bar = 8  # events per 4/4 bar of eighths: the lookback one bar back sees the previous bar's event
    assert rows[bar][COLUMN["back1_pitch"]] == pitches[0] and rows[bar][COLUMN["back1_duration"]] == 6
    assert rows[0][COLUMN["part_bars_left"]] == 7 and rows[-1][COLUMN["part_bars_left"]] == 0
    assert rows[0][COLUMN["part_letter"]] == 1 and rows[0][COLUMN["parts_left"]] == 0


# -- loaders and bad input --------------------------------------------------------------------------
def test_midi_loader_finds_pickup_from_accents_and_reduces_chords(tmp_path):
    from plugins.melody.data import read_midi

    pitches = [69] + folk_tune(1)
    accents = [105 if (i - 1) % 8 == 0 else 80 for i in range(len(pitches))]
    tune = read_midi(write_tune(tmp_path / "pickup.mid", pitches, velocities=accents, chord_at=5))
    assert tune.pickup == 6 and tune.bars == 8 and tune.key.name == "D major"
    assert tune.pitches[5] == pitches[5] and any("top line" in note for note in tune.notes)


def test_bad_midi_files_get_clear_messages(tmp_path):
    from engine import BadInput
    from plugins.melody.corpora import load_corpus
    from plugins.melody.data import read_midi

    (tmp_path / "text.mid").write_text("hello")
    empty = tmp_path / "empty.mid"
    write_tune(empty, [])
    drums = write_tune(tmp_path / "drums.mid", [36, 38, 36, 38], drums=True)
    with pytest.raises(BadInput, match="not a readable MIDI file"):
        read_midi(tmp_path / "text.mid")
    with pytest.raises(BadInput, match="no notes"):
        read_midi(empty)
    with pytest.raises(BadInput, match="only drum notes"):
        read_midi(drums)
    with pytest.raises(BadInput, match="no usable melodies"):
        load_corpus(tmp_path)


def test_split_is_by_tune_and_stable(corpus):
    from plugins.melody.corpora import load_corpus
    from plugins.melody.data import split

    loaded = load_corpus(corpus)
    train, held = split(loaded.tunes)
    assert held and train and not {t.name for t in train} & {t.name for t in held}
    assert {t.name for t in split(list(reversed(loaded.tunes)))[1]} == {t.name for t in held}


def test_abc_loader_when_music21_is_installed(tmp_path):
    pytest.importorskip("music21")
    from plugins.melody.corpora import load_corpus

    abc = tmp_path / "tunes.abc"
    abc.write_text("X:1\nT:Test Jig\nM:6/8\nL:1/8\nK:Em\nB|EGB dBG|A3 ABc|BGE DEG|E3 E2:|\n\n"
                   "X:2\nT:Test Reel\nM:4/4\nL:1/8\nK:D\nDEFG ABcd|\"G\"[Bd]AFA dAFA|DEFG ABcd|e2d2 d4|\n")
    tunes = load_corpus(abc).tunes
    assert [str(t.meter) for t in tunes] == ["6/8", "4/4"]
    assert tunes[0].pickup == 6 and tunes[0].key.name == "E minor" and tunes[0].pitches[-1] % 12 == 4
    assert tunes[1].pitches[8] == 74  # the chord [Bd] keeps its top note; the "G" symbol is not a note


def test_a_header_line_that_wrapped_no_longer_loses_the_tune(tmp_path):
    from plugins.melody.data import join_wrapped_header

    wrapped = "X:7\nT:Wrapped Reel\nN:Other sources show this tune in Am.\nI prefer Am.\nM:C\nL:1/8\nK:D\nABcd efge|\n"
    joined = join_wrapped_header(wrapped)
    assert "N:Other sources show this tune in Am. I prefer Am.\nM:C" in joined and joined.endswith("K:D\nABcd efge|\n")
    body_only = "X:8\nT:No Key\nABcd efge|\n"  # no K: line: nothing to tell header from body, left alone
    assert join_wrapped_header(body_only) == body_only
    pytest.importorskip("music21")
    from plugins.melody.corpora import load_corpus

    abc = tmp_path / "wrapped.abc"
    abc.write_text(wrapped.replace("ABcd efge|", "ABcd efge|fedc BAGF|EDCB, A,2A2|d8|") + "\n")
    corpus = load_corpus(abc)
    assert len(corpus.tunes) == 1 and not corpus.skipped and str(corpus.tunes[0].meter) == "4/4"


# -- baselines and metrics --------------------------------------------------------------------------
def test_ngram_distributions_sum_to_one():
    from plugins.melody.ngram import KneserNey

    tunes = [[1, 2, 3, 1, 2, 3, 4], [2, 3, 1, 2, 5]]
    for order in (1, 2, 3, 4):
        model = KneserNey(order, vocabulary_size=10).fit(tunes)
        for context in [(), (1,), (2, 3), (9, 9, 9)][:order]:
            distribution = model._distribution(context[-(order - 1):] if order > 1 else ())
            unseen = 10 - len(model.index)
            assert abs(distribution[:-1].sum() + unseen * distribution[-1] - 1) < 1e-9
        nll, correct, count = model.score([[1, 2, 3, 9]])
        assert count == 4 and nll > 0


def test_metrics_of_a_known_melody():
    from plugins.melody.events import Meter
    from plugins.melody.metrics import Melody, melody_metrics

    bar = [(0, 60, 12), (12, 62, 12), (24, 64, 12), (36, 65, 12)]
    melody = Melody(bar + [(o + 48, p, d) for o, p, d in bar] + [(96, 67, 12)], Meter(4, 4), 12 * 12)
    values = melody_metrics(melody)
    assert values["pitch_range"] == 7 and values["pitch_classes"] == 5 and values["scale_consistency"] == 1.0
    assert values["bar_repetition"] == 0.5 and abs(values["empty_beat_rate"] - 3 / 12) < 1e-9
    assert values["groove_consistency"] == 1 - (3 / 48) / 2


# -- training and generation ------------------------------------------------------------------------
def test_dry_run_training_writes_a_checkpoint(checkpoint):
    from engine.training import read_metadata

    meta = read_metadata(checkpoint)
    assert meta["model"] == "melody" and meta["info"]["step"] == 2 and meta["config"]["hidden"] == 16
    assert "held_out_nll" in meta["info"]["metrics"]
    assert (checkpoint.parent / "melody-samples" / "held_out.log").read_text().startswith("step 1")


def test_generated_midi_has_meter_key_tempo_instrument_and_ends_on_tonic(muse, in_tmp, checkpoint):
    import pretty_midi

    result = muse("generate", "melody", "-p", f"model={checkpoint}", "-p", "bars=6", "-p", "time_signature=3/4",
                  "-p", "key=Bb minor", "-p", "tempo=90", "-p", "instrument=73", "-p", "top_k=5", "-p", "top_p=0.9",
                  "--seed", "3", "-o", "tune.mid")
    assert result.code == 0, result.err
    midi = pretty_midi.PrettyMIDI("tune.mid")
    notes = midi.instruments[0].notes
    assert (midi.time_signature_changes[0].numerator, midi.time_signature_changes[0].denominator) == (3, 4)
    assert pretty_midi.key_number_to_key_name(midi.key_signature_changes[0].key_number) == "Bb minor"
    assert abs(midi.get_tempo_changes()[1][0] - 90) < 1e-3 and midi.instruments[0].program == 73
    assert abs(notes[-1].end - 6 * 3 * 60 / 90) < 1e-3  # exactly six bars of 3/4
    assert notes[-1].pitch % 12 == 10 and notes[-1].end - notes[-1].start >= 60 / 90 - 1e-3
    assert "checkpoint" in muse("info", "tune.mid").out
    assert muse("reproduce", "tune.mid", "--allow-path", str(checkpoint)).code == 0  # the checkpoint lies outside the work's folder


def test_batch_item_equals_single_and_beam_search(muse, in_tmp, checkpoint):
    from engine import Engine

    engine = Engine()
    model = str(checkpoint)
    many = engine.generate_batch("melody", 3, seed=10, model=model, bars=4)
    one = engine.generate("melody", seed=12, model=model, bars=4)
    assert many[2].same_content(one) and not many[0].same_content(one)
    beamed = engine.generate("melody", seed=1, model=model, bars=4, beam=3, time_signature="6/8")
    assert abs(beamed.duration - 4 * 3 * 0.5) < 1e-6


def test_primers_continue_and_bad_primers_are_refused(muse, in_tmp, checkpoint):
    from engine import BadInput, Engine, ParamError

    engine = Engine()
    model = str(checkpoint)
    tune = engine.generate("melody", seed=1, model=model, bars=2, primer="60 62 64 65", key="C major")
    assert [n.pitch for n in tune.notes[:4]] == [60, 62, 64, 65] and tune.notes[1].start == 0.25
    chords = write_tune(in_tmp / "chords.mid", [60, 64, 67], chord_at=1)
    result = muse("generate", "melody", "-p", f"model={model}", "-p", f"primer={chords}", "-p", "bars=2", "-o", "c.mid")
    assert result.code == 0 and "top line" in result.err
    with pytest.raises(BadInput, match="shorter primer"):
        engine.generate("melody", seed=1, model=model, bars=1, primer=" ".join(["60"] * 9))
    with pytest.raises(ParamError, match="MIDI pitch"):
        engine.generate("melody", seed=1, model=model, primer="60 200")
    (in_tmp / "photo.mid").write_bytes(b"\x89PNG\r\n")
    for primer, words in [("photo.mid", "not a readable MIDI"), ("nowhere.mid", "no such file"),
                          (str(write_tune(in_tmp / "d.mid", [36, 38], drums=True)), "only drum notes")]:
        result = muse("generate", "melody", "-p", f"model={model}", "-p", f"primer={primer}", "-o", "x.mid")
        assert result.code == 1 and words in result.err and "Traceback" not in result.err


def test_impossible_key_and_meter_are_one_line_errors(muse, in_tmp, checkpoint):
    for param, words in [("key=Q major", "not a key"), ("time_signature=7/3", "impossible meter"),
                         ("time_signature=5/4", "not supported"), ("rhythm=swing", "auto, plain, light, lively, busy, dense, running")]:
        result = muse("generate", "melody", "-p", f"model={checkpoint}", "-p", param, "-o", "x.mid")
        assert result.code == 1 and words in result.err and len(result.err.strip().splitlines()) == 1


def test_eval_reports_baselines_and_metrics(muse, corpus, checkpoint):
    result = muse("eval", "melody", "--data", str(corpus), "-p", f"model={checkpoint}", "-p", "samples=3", "--json")
    assert result.code == 0, result.err
    import json

    report = json.loads(result.out)
    best_ngram = min(report[f"ngram{n}_nll_per_event"] for n in (1, 2, 3, 4) if f"ngram{n}_nll_per_event" in report)
    assert report["nll_ratio_vs_best_ngram"] == pytest.approx(report["lstm_nll_per_event"] / best_ngram, rel=1e-3)
    assert report["ngram1_nll_per_event"] > 0 and 0 <= report["lstm_accuracy"] <= 1
    assert report["bar_repetition_rel_diff"] >= 0 and report["pitch_class_entropy_generated"] > 0
    assert 0 <= report["empty_beat_rate_held_out"] <= 1


def test_eval_draws_each_meter_its_own_tunes_beside_a_real_floor(muse, corpus, checkpoint):
    """Every held-out meter gets ``meter_samples`` generated tunes and a floor from as many real
    training tunes of that meter (all of them when there are fewer)."""
    import json

    from plugins.melody.corpora import load_corpus
    from plugins.melody.data import split

    train, held = split(load_corpus(corpus).tunes)
    assert held and train
    result = muse("eval", "melody", "--data", str(corpus), "-p", f"model={checkpoint}", "-p", "samples=1",
                  "-p", "meter_samples=5", "-p", "form_samples=0", "-p", "beam_samples=0", "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    for meter in {str(t.meter) for t in held}:
        key = meter.replace("/", "_")
        assert report[f"meter_{key}_generated_tunes"] == 5
        assert report[f"meter_{key}_held_out_tunes"] == sum(str(t.meter) == meter for t in held)
        assert report[f"meter_{key}_floor_tunes"] == min(5, sum(str(t.meter) == meter for t in train))
        assert 0 <= report[f"meter_{key}_onset_tvd_floor"] <= 1 and 0 <= report[f"meter_{key}_onset_tvd"] <= 1
    result = muse("eval", "melody", "--data", str(corpus), "-p", f"model={checkpoint}", "-p", "meter_samples=0")
    assert result.code == 1 and "meter_samples" in result.err and len(result.err.strip().splitlines()) == 1


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """Parsed ABC goes to a cache of the test's own, never the user's."""
    monkeypatch.setenv("MUSE_CACHE", str(tmp_path / "cache"))


def waltz(seed: int, bars: int = 8, pickup: bool = False) -> list[tuple[int, float]]:
    """(pitch, beats) of a 3/4 tune in quarters and halves, with a quarter-note pickup if asked."""
    import random

    rng = random.Random(seed)
    notes = [(69, 1.0)] if pickup else []
    for _ in range(bars):
        notes += [(rng.choice(SCALE), 2.0), (rng.choice(SCALE), 1.0)] if rng.random() < 0.5 else [(rng.choice(SCALE), 1.0)] * 3
    return notes


def write_notes(path: Path, notes, *, meter=(3, 4), pickup_beats=0.0, key="D major"):
    """A MIDI file of (pitch, beats) at 120 qpm, its pickup written as a short first bar (as Muse does)."""
    from engine import Note, Score, Track
    from engine.formats import score_to_midi

    t, out = 0.0, []
    for pitch, beats in notes:
        out.append(Note(pitch, t * 0.5, (t + beats) * 0.5, 90))
        t += beats
    score = Score(tracks=[Track(notes=out)], tempo=120, time_signature=meter, key=key, pickup=pickup_beats)
    score_to_midi(score).write(str(path))
    return path


# -- form -----------------------------------------------------------------------------------------
def test_form_letters_treat_a_second_ending_as_the_same_part():
    from plugins.melody.form import letters, similarity

    a = [{(0, 60 + bar), (6, 62)} for bar in range(8)]
    a_second_ending = a[:7] + [{(0, 50), (6, 52)}]
    b = [{(0, 72 + bar), (12, 70)} for bar in range(8)]
    assert similarity(a, a_second_ending) == 14 / 16 and similarity(a, b) == 0
    assert letters([a, a_second_ending, b, b]) == "AABB"
    assert letters([a, b, a, b]) == "ABAB" and letters([a, a, a, a]) == "AAAA"


def test_form_plans_are_checked_against_the_length():
    from engine import ParamError
    from plugins.melody.form import check_form, fit_plan

    assert check_form("aabb") == "AABB" and check_form("Free") == "free" and check_form("ABCA") == "ABCA"
    for bad, words in [("BA", "comes before"), ("A1B", "not a form"), ("A" * 40, "not a form")]:
        with pytest.raises(ParamError, match=words):
            check_form(bad)
    assert fit_plan("AABB", 30) == "AABB"
    with pytest.raises(ParamError, match=r"bars=25\.\.32"):
        fit_plan("AABB", 16)


def test_a_form_plan_points_each_repeat_at_its_first_time():
    from plugins.melody.events import COLUMN, PITCH_NONE, Meter, Timeline

    timeline = Timeline(Meter(4, 4), "major", 32, plan="ABAB")
    for bar in range(32):
        for _ in range(4):
            timeline.add(10 + bar, 12)  # one pitch per bar: bar b plays pitch id 10 + b
        row = timeline.features()  # the first event of bar + 1
        following = bar + 1
        if following < 32:
            part, letter = following // 8, "ABAB"[following // 8]
            expected = PITCH_NONE if part < 2 else 10 + following - 16
            assert row[COLUMN["part_back_pitch"]] == expected, following
            assert row[COLUMN["part_letter"]] == ord(letter) - 64 and row[COLUMN["part_repeat"]] == int(part >= 2)


def test_generation_takes_a_form_and_refuses_one_that_does_not_fit(muse, in_tmp, checkpoint):
    from engine import Engine

    engine = Engine()
    tune = engine.generate("melody", seed=2, model=str(checkpoint), bars=32, form="ABAB")
    assert tune.meta["form"] == "ABAB" and abs(tune.duration - 32 * 2.0) < 1e-6
    assert engine.generate("melody", seed=2, model=str(checkpoint), bars=8, form="free").meta["form"] == "free"
    result = muse("generate", "melody", "-p", f"model={checkpoint}", "-p", "bars=16", "-p", "form=AABB", "-o", "x.mid")
    assert result.code == 1 and "bars=25..32" in result.err and len(result.err.strip().splitlines()) == 1


# -- corpus habits and pickups ---------------------------------------------------------------------
def test_habits_follow_the_corpus_and_survive_the_checkpoint(tmp_path):
    from engine import BadInput
    from engine.theory import Key
    from plugins.melody.events import Meter, Tune
    from plugins.melody.habits import Habits

    def tune(name, pickup, bars, meter=None, new_parts=False):
        meter = meter or Meter(4, 4)
        pitches = [60 + (bar if new_parts else bar % 8) for bar in range(bars) for _ in range(4)]
        return Tune(name, pitches, [meter.bar_units // 4] * (bars * 4), meter, Key(2, "major"), pickup)

    habits = Habits.of([tune("a", 0, 32), tune("b", 6, 32), tune("c", 6, 32), tune("d", 12, 32, new_parts=True),
                        *(tune(f"w{i}", 0, 16, Meter(3, 4)) for i in range(3))])
    assert habits.pickups["4/4"] == {0: 1, 6: 2, 12: 1} and habits.pickup_rate(Meter(4, 4)) == 0.75
    assert [habits.draw_pickup(Meter(4, 4), u) for u in (0.1, 0.3, 0.6, 0.9)] == [0, 6, 6, 12]
    assert {habits.draw_pickup(Meter(3, 4), u / 10) for u in range(10)} == {0}  # per meter: these waltzes had none
    assert habits.draw_pickup(Meter(6, 8), 0.5) == 0  # a meter the corpus never had: no pickup
    assert habits.forms[("4/4", 4)] == {"AAAA": 3, "ABCD": 1}  # counted, commonest first
    assert [habits.form_for(Meter(4, 4), 32, u) for u in (0.1, 0.7, 0.8)] == ["AAAA", "AAAA", "ABCD"]
    assert habits.form_for(Meter(6, 8), 30, 0.9) == "ABCD"  # no 6/8 tune of four parts: any meter's
    assert habits.form_for(Meter(4, 4), 8, 0.5) is None  # no tune of one part: a free form
    # 4/4 in quarters is plain; 3/4 in dotted eighths (9 units) has every other onset on an off-beat sixteenth
    assert habits.rhythms == {("4/4", 4): {0: 4}, ("3/4", 2): {5: 3}}
    assert habits.draw_rhythm(Meter(4, 4), 32, 0.99) == 0 and habits.draw_rhythm(Meter(3, 4), 16, 0.1) == 5
    assert habits.draw_rhythm(Meter(3, 4), 64, 0.1) == 5  # no 3/4 tune of 8 parts: the meter's tunes of any length
    assert habits.draw_rhythm(Meter(2, 4), 16, 0.5) == 0  # a meter the corpus never had: plain
    assert Habits.from_config(habits.to_config(), tmp_path) == habits
    older = Habits.from_config({"forms": ["4/4 4 AABB"]}, tmp_path)  # a checkpoint that kept the commonest alone
    assert older.form_for(Meter(4, 4), 32, 0.99) == "AABB"
    for config in ({"pickups": ["4/4 60:1"]}, {"forms": ["4/4 4 AAB:3"]}, {"forms": ["4/4 4 AABB:0"]},
                   {"rhythms": ["2/4 2 7:3"]}, {"rhythms": ["2/4 0:3"]}):
        with pytest.raises(BadInput, match="corpus habit"):
            Habits.from_config(config, tmp_path)  # a pickup longer than the bar, a form of the wrong length, no count,
            # a rhythm style that does not exist


def test_a_repeated_part_is_played_back_with_an_ending_of_its_own():
    """AABA as a player reads it: the second and last A replay the first bar for bar, all but the
    last bar; the B and the endings are written. The same with beam search and with a primer."""
    import torch

    from engine.theory import Key
    from plugins.melody.events import Meter
    from plugins.melody.form import ENDING_BARS, bar_onsets
    from plugins.melody.generate import Settings, sample_events
    from plugins.melody.model import MelodyLSTM

    torch.manual_seed(1)
    model = MelodyLSTM(hidden=16, layers=1).eval()
    meter = Meter(6, 8)
    for beam, primer in ((1, []), (2, []), (1, [(30, 6), (32, 9), (33, 9)])):
        settings = Settings(meter, Key(2, "minor"), 32, 1.0, 0, 1.0, beam, True)
        timelines = sample_events(model, settings, primer, [4, 5], [6, 6], ["AABA", "AABA"])
        for timeline in timelines:
            bars = bar_onsets(timeline.onsets, timeline.pitch_ids, meter, 32)
            replayed = 8 - ENDING_BARS
            assert bars[8:8 + replayed] == bars[:replayed] and bars[24:24 + replayed] == bars[:replayed]
            assert bars[16:24] != bars[:8] and bars[31] and sum(timeline.durations) == 6 + 32 * meter.bar_units
        assert timelines[0].onsets != timelines[1].onsets  # the seeds still write different tunes


def test_a_pickup_is_written_and_a_primer_keeps_it(muse, in_tmp, checkpoint):
    import pretty_midi

    from engine import Engine

    result = muse("generate", "melody", "-p", f"model={checkpoint}", "-p", "bars=4", "-p", "time_signature=6/8",
                  "-p", "pickup=1", "-p", "key=E minor", "--seed", "5", "-o", "jig.mid")
    assert result.code == 0, result.err
    signatures = pretty_midi.PrettyMIDI("jig.mid").time_signature_changes
    assert [(s.numerator, s.denominator) for s in signatures] == [(1, 8), (6, 8)]  # the pickup bar, then the jig
    jig = Engine().load("jig.mid")
    assert jig.pickup == 1 and abs(jig.duration - (0.25 + 4 * 1.5)) < 1e-6
    # A primer in E minor written as Muse writes a pickup (a dry-run model's own notes sound in no key
    # in particular): its pickup is kept, its key found from its notes, its notes played as written.
    notes = [(71, 0.5)] + [(p, 0.5) for p in (64, 67, 71, 76, 71, 67, 63, 66, 71, 66, 63)] + [(64, 1.5)]
    opening = Engine().load(write_notes(in_tmp / "opening.mid", notes, meter=(6, 8), pickup_beats=1.0, key=None))
    more = Engine().generate("melody", seed=1, model=str(checkpoint), primer="opening.mid", bars=8, time_signature="6/8")
    assert more.pickup == 1 and more.key == "E minor"
    assert [(n.pitch, round(n.start, 6)) for n in more.notes[:len(opening.notes)]] == [(n.pitch, round(n.start, 6)) for n in opening.notes]


def test_pickups_are_drawn_as_often_as_the_corpus_has_them(tmp_path):
    from engine import Engine

    folder = tmp_path / "waltzes"
    folder.mkdir()
    for i in range(8):
        write_notes(folder / f"w{i}.mid", waltz(i, pickup=True), pickup_beats=1.0)
    out = tmp_path / "w.safetensors"
    Engine().train("melody", data=folder, out=out, dry_run=True, progress=False, hidden=16, layers=1, batch_size=4, window=32)
    tunes = Engine().generate_batch("melody", 6, seed=0, model=str(out), bars=4, time_signature="3/4")
    assert {t.pickup for t in tunes} == {1.0}  # every waltz of the corpus had a one-beat pickup
    none = Engine().generate("melody", seed=0, model=str(out), bars=4, time_signature="3/4", pickup="none")
    assert none.pickup == 0 and none.notes[0].start == 0


def test_a_primer_is_continued_in_its_own_key_unless_one_is_asked(checkpoint):
    from engine import Engine

    engine = Engine()
    g_major = "67 71 74 79 78 74 71 67 72 76 74 72 71 69 67 66 67"
    found = engine.generate("melody", seed=1, model=str(checkpoint), bars=4, primer=g_major)
    asked = engine.generate("melody", seed=1, model=str(checkpoint), bars=4, primer=g_major, key="D major")
    assert found.key == "G major" and asked.key == "D major"
    assert [n.pitch for n in found.notes[:17]] == [int(p) for p in g_major.split()]
    plain = engine.generate("melody", seed=1, model=str(checkpoint), bars=4)
    assert plain.key == "D major"  # no primer, no key: the default


# -- meters and loops -----------------------------------------------------------------------------
def test_each_meter_gets_its_own_rhythm(tmp_path):
    """A model that saw quarter-note waltzes and eighth-note reels writes each in its own rhythm:
    the meter reaches the model (a short plain training loop over the real encoding)."""
    import torch

    from engine.theory import Key
    from plugins.melody.corpora import load_corpus
    from plugins.melody.data import encode_tunes
    from plugins.melody.events import Meter
    from plugins.melody.generate import Settings, one_thread, sample_events
    from plugins.melody.model import MelodyLSTM
    from plugins.melody.train import event_loss

    for i in range(4):
        write_notes(tmp_path / f"waltz{i}.mid", waltz(i))
        write_tune(tmp_path / f"reel{i}.mid", folk_tune(i, bars=4))
    data = encode_tunes(load_corpus(tmp_path).tunes)
    torch.manual_seed(0)
    model = MelodyLSTM(hidden=16, layers=1, dropout=0.0)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.03)
    with one_thread():  # tiny tensors: a thread pool would only wait for the other core
        for _ in range(60):
            loss, count = event_loss(model, data.features, data.pitches, data.durations)
            optimizer.zero_grad()
            (loss / count).backward()
            optimizer.step()
    model.eval()

    def quarter_share(meter: Meter) -> float:
        settings = Settings(meter, Key(2, "major"), 4, 0.5, 0, 1.0, 1, False)
        durations = [d for t in sample_events(model, settings, [], [0, 1, 2], [0, 0, 0], [None] * 3) for d in t.durations]
        return sum(d >= 12 for d in durations) / len(durations)

    assert quarter_share(Meter(3, 4)) > 0.8 and quarter_share(Meter(4, 4)) < 0.2


def polka(seed: int, bars: int = 8, busy: bool = True) -> list[tuple[int, float]]:
    """(pitch, beats) of a 2/4 tune: each beat two sixteenths and an eighth when busy, else two eighths."""
    import random

    rng = random.Random(seed)
    beat = [0.25, 0.25, 0.5] if busy else [0.5, 0.5]
    return [(rng.choice(SCALE), length) for _ in range(2 * bars) for length in beat]


def test_rhythm_styles_are_counted_and_a_busy_tune_is_asked_for(tmp_path):
    """A corpus of eighth-note and sixteenth-note 2/4 tunes: each tune's style is read from its
    onsets, and a model trained on them writes more off-beat sixteenths when asked for a dense
    tune than for a plain one (a short plain training loop over the real encoding)."""

    from engine.theory import Key
    from plugins.melody.corpora import load_corpus
    from plugins.melody.data import encode_tunes
    from plugins.melody.events import RHYTHMS, Meter, off_beat_sixteenth, rhythm_of, tune_rhythm
    from plugins.melody.generate import Settings, sample_events

    assert [RHYTHMS[rhythm_of(onsets)] for onsets in ([0, 6, 12, 18], [0, 3, 6, 12, 18, 24, 30, 36],
                                                      [0, 3, 6, 12, 15, 18], [-3, 0, 6])] == ["plain", "lively", "dense", "dense"]
    for i in range(4):
        write_notes(tmp_path / f"polka{i}.mid", polka(i), meter=(2, 4))
        write_notes(tmp_path / f"march{i}.mid", polka(i, busy=False), meter=(2, 4))
    tunes = load_corpus(tmp_path).tunes
    assert sorted(RHYTHMS[tune_rhythm(t)] for t in tunes) == ["dense"] * 4 + ["plain"] * 4
    model = fitted_tiny_model(encode_tunes(tunes))

    def sixteenth_share(style: str) -> float:
        settings = Settings(Meter(2, 4), Key(2, "major"), 4, 1.0, 0, 1.0, 1, False)
        timelines = sample_events(model, settings, [], [0, 1, 2], [0, 0, 0], [None] * 3, [RHYTHMS.index(style)] * 3)
        onsets = [o for t in timelines for o in t.onsets]
        return sum(map(off_beat_sixteenth, onsets)) / len(onsets)

    assert sixteenth_share("dense") > 0.25 and sixteenth_share("plain") < 0.1


def test_generation_records_the_rhythm_it_drew_or_was_given(checkpoint):
    from engine import Engine

    engine = Engine()
    assert engine.generate("melody", seed=1, model=str(checkpoint), bars=2, rhythm="busy").meta["rhythm"] == "busy"
    assert engine.generate("melody", seed=1, model=str(checkpoint), bars=2).meta["rhythm"] == "plain"  # the corpus's eighths


def test_beam_search_does_not_settle_in_a_loop():
    """A model that loves to play the bar before last again loops when sampled; the beam does not."""
    import torch

    from engine.theory import Key
    from plugins.melody.events import COLUMN, Meter
    from plugins.melody.generate import Settings, loop_similarity, sample_events
    from plugins.melody.model import MelodyLSTM

    class LoopLover(MelodyLSTM):
        def forward(self, features, state=None):
            hidden, logits, state = super().forward(features, state)
            back2 = features[..., COLUMN["back2_pitch"]]
            bonus = torch.zeros_like(logits).scatter(-1, back2[..., None], 6.0) * (back2[..., None] > 1)
            return hidden, logits + bonus, state

        def duration_logits(self, hidden, pitch_ids):
            return torch.zeros(*hidden.shape[:-1], 73).index_fill(-1, torch.tensor([12]), 9.0)

    torch.manual_seed(0)
    model = LoopLover(hidden=8, layers=1).eval()
    meter = Meter(4, 4)

    def looping_bars(beam: int) -> int:
        settings = Settings(meter, Key(2, "major"), 16, 1.0, 0, 1.0, beam, False)
        [timeline] = sample_events(model, settings, [], [3], [0], [None])
        count = 0
        for end in range(4, 17):
            partial = timeline.copy()
            cut = sum(1 for onset in partial.onsets if onset < end * meter.bar_units)
            partial.onsets, partial.pitch_ids, partial.durations = partial.onsets[:cut], partial.pitch_ids[:cut], partial.durations[:cut]
            partial.now = end * meter.bar_units
            count += loop_similarity(partial).loop == 1.0
        return count

    assert looping_bars(1) >= 5 and looping_bars(4) == 0


def test_a_beam_pays_for_coming_back_to_a_bar_of_its_part():
    from plugins.melody.events import Meter, Timeline
    from plugins.melody.generate import RECURRENCE_PENALTY, loop_penalty, loop_similarity

    timeline = Timeline(Meter(4, 4), "major", 16, plan="AB")
    found, paid = [], []
    for pitch in (20, 22, 24, 22, 26, 28, 20, 30, 32, 24):  # bars of four quarters, one pitch each
        for _ in range(4):
            timeline.add(pitch, 12)
        found.append(loop_similarity(timeline).recurrences)
        paid.append(loop_penalty(timeline))
    # bar 4 comes back to bar 2, bar 7 to bar 1; bar 10 is bar 3's too, but in part B, where A's bars do not count
    assert found == [0, 0, 0, 1, 0, 0, 1, 0, 0, 0]
    assert paid[3] == paid[6] == RECURRENCE_PENALTY and paid[9] == 0


# -- sources --------------------------------------------------------------------------------------
def test_a_tune_longer_than_the_generator_writes_is_skipped(tmp_path):
    """music21 can expand nested repeats into thousands of bars; such a tune is left out, said why."""
    from plugins.melody.corpora import MAX_TUNE_BARS, load_corpus

    write_tune(tmp_path / "reel.mid", folk_tune(1, bars=4))
    write_tune(tmp_path / "endless.mid", SCALE * (MAX_TUNE_BARS + 1))  # eighth notes: a bar per 8
    corpus = load_corpus(tmp_path)
    assert [t.name for t in corpus.tunes] == ["reel"]
    assert len(corpus.skipped) == 1 and f"{MAX_TUNE_BARS + 1} bars" in corpus.skipped[0]


def test_a_manifest_reads_several_sources_and_abc_is_parsed_once(tmp_path, monkeypatch):
    pytest.importorskip("music21")
    from engine import BadInput
    from plugins.melody import corpora

    (tmp_path / "midi").mkdir()
    write_tune(tmp_path / "midi" / "reel.mid", folk_tune(1))
    (tmp_path / "jig.abc").write_text("X:1\nT:Jig\nM:6/8\nL:1/8\nK:G\nD|GAB dBG|A3 ABc|BGE DEG|G3 G2:|\n")
    manifest = tmp_path / "mine.sources"
    manifest.write_text("# two sources\nmidi\njig.abc   # a jig with a pickup\n")
    tunes = corpora.load_corpus(manifest).tunes
    assert [t.name for t in tunes] == ["reel", "jig-1-Jig"] and tunes[1].pickup == 6
    monkeypatch.setattr(corpora, "read_abc", lambda path: pytest.fail("parsed again instead of read from the cache"))
    assert [t.pitches for t in corpora.load_corpus(manifest).tunes] == [t.pitches for t in tunes]
    assert corpora.fingerprint(manifest) != corpora.fingerprint(tmp_path / "midi")
    for spec, words in [("music21:nowhere", "not a corpus bundled with music21"), ("music21:oneills1850/zz*.abc", "no ABC files"),
                        (str(tmp_path / "missing"), "no such file")]:
        with pytest.raises(BadInput, match=words):
            corpora.load_corpus(spec)
    (tmp_path / "empty.sources").write_text("# nothing\n")
    with pytest.raises(BadInput, match="lists no sources"):
        corpora.load_corpus(tmp_path / "empty.sources")


def test_style_adherence_holds_a_tune_to_its_rhythm_range(tmp_path):
    """The nudge is signed by which side of the style's range the tune's share of off-beat-sixteenth
    onsets is on, bounded, and off before a few events; a model that learnt only tunes with one
    sixteenth pair a bar (20% of onsets), asked for a dense one, comes closer to dense's 30-40%
    with it than without."""
    import random


    from engine.theory import Key
    from plugins.melody.corpora import load_corpus
    from plugins.melody.data import encode_tunes
    from plugins.melody.events import RHYTHMS, Meter, Timeline, rhythm_range
    from plugins.melody.generate import ADHERENCE, ADHERENCE_AFTER, Settings, sample_events, style_bias

    dense = RHYTHMS.index("dense")
    low, high = rhythm_range(dense)
    assert (low, high) == (0.30, 0.40) and rhythm_range(0) == (0.0, 0.02) and rhythm_range(len(RHYTHMS) - 1)[1] == 1.0

    def timeline(lengths: list[int], rhythm: int) -> Timeline:
        made = Timeline(Meter(2, 4), "major", 8, rhythm=rhythm)
        for length in lengths:
            made.add(30, length)
        return made

    eighths, sixteenths = [6] * ADHERENCE_AFTER, [3] * ADHERENCE_AFTER  # 0% and 50% off-beat onsets
    assert style_bias(timeline(eighths, dense), 1.0) == 1.0 and style_bias(timeline(sixteenths, dense), 1.0) == -1.0
    assert style_bias(timeline(sixteenths, 0), 0.5) == -0.5 and style_bias(timeline(eighths, 0), 1.0) == 0.0
    assert style_bias(timeline(eighths[1:], dense), 1.0) == 0.0 and style_bias(timeline(eighths, dense), 0.0) == 0.0

    for i in range(4):
        rng = random.Random(i)
        bars = [(rng.choice(SCALE), beats) for _ in range(8) for beats in (0.25, 0.25, 0.5, 0.5, 0.5)]
        write_notes(tmp_path / f"busy{i}.mid", bars, meter=(2, 4))
    model = fitted_tiny_model(encode_tunes(load_corpus(tmp_path).tunes))

    def share(adherence: float) -> float:
        settings = Settings(Meter(2, 4), Key(2, "major"), 8, 1.0, 0, 1.0, 1, False, adherence)
        timelines = sample_events(model, settings, [], [0, 1, 2, 3], [0] * 4, [None] * 4, [dense] * 4)
        return sum(t.off_beat_onsets for t in timelines) / sum(len(t.onsets) for t in timelines)

    free, held = share(0.0), share(3 * ADHERENCE)  # a firmer hold than shipped, for a clear effect in 8 bars
    assert free < low - 0.02 and low - held < (low - free) / 2  # short of the range alone; half as short held to it


def fitted_tiny_model(data):
    """A 32-wide one-layer LSTM fitted to a few fixture tunes in seconds (at 16 wide its duration
    head often stalls on the average rhythm), for tests of what generation does with a style."""
    import torch

    from plugins.melody.generate import one_thread
    from plugins.melody.model import MelodyLSTM
    from plugins.melody.train import event_loss

    torch.manual_seed(0)
    model = MelodyLSTM(hidden=32, layers=1, dropout=0.0)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    with one_thread():
        for _ in range(120):
            loss, count = event_loss(model, data.features, data.pitches, data.durations)
            optimizer.zero_grad()
            (loss / count).backward()
            optimizer.step()
    return model.eval()
