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
    rows, pitches, _ = encode(tune)
    timeline = Timeline(tune.meter, tune.key.mode, tune.bars)
    for row, pitch, duration in zip(rows, tune.pitches, tune.durations):
        assert timeline.features() == row
        timeline.add(normalised_pitch_id(pitch, tune.key.shift), duration)
    bar = 8  # events per 4/4 bar of eighths: the lookback one bar back sees the previous bar's event
    assert rows[bar][COLUMN["back1_pitch"]] == pitches[0] and rows[bar][COLUMN["back1_duration"]] == 6
    assert rows[0][COLUMN["bars_to_end"]] == 7 and rows[-1][COLUMN["bars_to_end"]] == 0


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
    from plugins.melody.data import load_corpus, read_midi

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
    from plugins.melody.data import load_corpus, split

    loaded = load_corpus(corpus)
    train, held = split(loaded.tunes)
    assert held and train and not {t.name for t in train} & {t.name for t in held}
    assert {t.name for t in split(list(reversed(loaded.tunes)))[1]} == {t.name for t in held}


def test_abc_loader_when_music21_is_installed(tmp_path):
    pytest.importorskip("music21")
    from plugins.melody.data import load_corpus

    abc = tmp_path / "tunes.abc"
    abc.write_text("X:1\nT:Test Jig\nM:6/8\nL:1/8\nK:Em\nB|EGB dBG|A3 ABc|BGE DEG|E3 E2:|\n\n"
                   "X:2\nT:Test Reel\nM:4/4\nL:1/8\nK:D\nDEFG ABcd|\"G\"[Bd]AFA dAFA|DEFG ABcd|e2d2 d4|\n")
    tunes = load_corpus(abc).tunes
    assert [str(t.meter) for t in tunes] == ["6/8", "4/4"]
    assert tunes[0].pickup == 6 and tunes[0].key.name == "E minor" and tunes[0].pitches[-1] % 12 == 4
    assert tunes[1].pitches[8] == 74  # the chord [Bd] keeps its top note; the "G" symbol is not a note


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
                         ("time_signature=5/4", "not supported")]:
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
