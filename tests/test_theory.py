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
