"""engine.theory: the one home of keys, key parsing, key finding and note names."""

import pytest

from engine import Note, ParamError, Score
from engine.theory import MAJOR, MINOR, Key, find_key, key_correlations, parse_key, pitch_class_durations, pitch_class_histogram


def test_key_names_are_the_spelling_midi_files_have_always_had():
    import pretty_midi

    for number in range(24):
        key = Key.from_midi_number(number)
        tonic, mode = pretty_midi.key_number_to_key_name(number).split()
        assert key.name == f"{tonic} {mode.lower()}" and key.midi_number == number
        assert parse_key(key.name) == key


@pytest.mark.parametrize("text, tonic, mode", [
    ("D minor", 2, MINOR), ("Bb major", 10, MAJOR), ("f# min", 6, MINOR), ("F#m", 6, MINOR), ("G", 7, MAJOR),
    ("bb MINOR", 10, MINOR), ("Db Maj", 1, MAJOR), ("C#minor", 1, MINOR), ("E♭ major", 3, MAJOR), ("fis", 6, MAJOR),
])
def test_parse_key_reads_every_accepted_spelling(text, tonic, mode):
    assert parse_key(text) == Key(tonic, mode)


def test_parse_key_explains_what_is_wrong():
    with pytest.raises(ParamError, match="key='H major' is not a key"):
        parse_key("H major")
    with pytest.raises(ParamError, match="tonic='D lydian'.*major or minor"):
        parse_key("D lydian", what="tonic")
    assert Score(key="a# MINOR").key == "Bb minor"


def test_shift_is_the_smallest_move_from_c():
    assert [Key(tonic, MAJOR).shift for tonic in range(12)] == [0, 1, 2, 3, 4, 5, 6, -5, -4, -3, -2, -1]


def test_key_finder_hears_scales_and_defaults_to_c_major():
    a_minor = [69, 71, 72, 74, 76, 77, 79, 81, 69, 76, 69]
    assert find_key(pitch_class_histogram(a_minor, [1.0] * len(a_minor))) == Key(9, MINOR)
    d_major = [Note(p, i * 0.5, i * 0.5 + 0.5) for i, p in enumerate([62, 64, 66, 67, 69, 71, 73, 74, 69, 62])]
    assert find_key(pitch_class_durations(d_major)) == Key(2, MAJOR)
    assert find_key([0.0] * 12) == Key(0, MAJOR)
    ranked = key_correlations(pitch_class_histogram(a_minor, [1.0] * len(a_minor)))
    assert len(ranked) == 24 and [r for r, _ in ranked] == sorted((r for r, _ in ranked), reverse=True)


# -- the downbeat finder -------------------------------------------------------------------------
from engine import Track  # noqa: E402
from engine.downbeat import find_downbeat, score_downbeat  # noqa: E402

# Four bars of 4/4 that lean on their downbeats (a half note, then two quarters) and end on a whole note.
LEANING = [[(2, 60), (1, 62), (1, 64)], [(2, 65), (1, 64), (1, 62)], [(2, 64), (1, 62), (1, 60)],
           [(2, 62), (1, 64), (1, 62)], [(4, 60)]]


def leaning_notes(start: float, seconds_per_beat: float = 0.5) -> list[Note]:
    notes, time = [], start
    for bar in LEANING:
        for beats, pitch in bar:
            notes.append(Note(pitch, time, time + beats * seconds_per_beat * 0.95, 90))
            time += beats * seconds_per_beat
    return notes


@pytest.mark.parametrize("shift_beats", [0, 1, 2, 3])
def test_a_tune_shifted_with_no_meter_information_is_realigned(shift_beats):
    score = Score([Track(leaning_notes(shift_beats * 0.5))], tempo=120)
    downbeat = score_downbeat(score, score.tracks[0].notes)
    assert downbeat.first == pytest.approx(shift_beats * 0.5)
    assert downbeat.source == ("score" if shift_beats == 0 else "estimated")


def test_a_stated_pickup_is_trusted_and_counted_in_beats():
    notes = [Note(67, 0.0, 0.45)] + leaning_notes(0.5)  # one beat of pickup before the first bar
    score = Score([Track(notes)], tempo=120, pickup=1.0)
    downbeat = score_downbeat(score, notes)
    assert (downbeat.first, downbeat.pickup, downbeat.source) == (pytest.approx(0.5), pytest.approx(1.0), "score")


def test_accents_and_long_notes_pull_the_downbeat_in_compound_meter():
    # 6/8 at an eighth of 0.25 s: a dotted quarter then three eighths, bar after bar, started two eighths in
    notes, time = [], 0.5
    for _ in range(4):
        for eighths, velocity in ((3, 110), (1, 80), (1, 80), (1, 80)):
            notes.append(Note(62, time, time + eighths * 0.25 * 0.9, velocity))
            time += eighths * 0.25
    found = find_downbeat(notes, 0.25, (6, 8))
    assert found.phase == pytest.approx(0.5) and found.pickup == 0.0
