import numpy as np
import pretty_midi
import pytest

from engine import Audio, Image, Lyric, Note, Score, Track


def make_score() -> Score:
    melody = Track([Note(62, 0.0, 0.5, 90), Note(65, 0.5, 1.0, 80), Note(69, 1.0, 1.75, 100)], program=73, name="flute")
    drums = Track([Note(36, 0.0, 0.1, 110), Note(38, 0.5, 0.6, 100)], is_drum=True, name="kit")
    return Score(tracks=[melody, drums], tempo=97.0, time_signature=(3, 4), key="D minor",
                 lyrics=[Lyric(0.0, "Shall"), Lyric(0.5, "I")], meta={"component": "test", "seed": 3})


def test_score_survives_a_midi_file_round_trip(tmp_path):
    score = make_score()
    path = tmp_path / "x.mid"
    score.to_midi().write(str(path))
    back = Score.from_midi(pretty_midi.PrettyMIDI(str(path)))
    assert back.same_content(score)
    assert back.tempo == pytest.approx(97.0, abs=1e-3)
    assert (back.time_signature, back.key, back.meta) == ((3, 4), "D minor", score.meta)
    assert [t.name for t in back.tracks] == ["flute", "kit"] and back.tracks[1].is_drum
    assert [(lyric.text, round(lyric.time, 3)) for lyric in back.lyrics] == [("Shall", 0.0), ("I", 0.5)]
    # A second trip through the file changes nothing at all.
    again = tmp_path / "y.mid"
    back.to_midi().write(str(again))
    assert again.read_bytes() == path.read_bytes()


def test_score_timing_helpers():
    score = Score(tempo=120, time_signature=(6, 8))
    assert score.seconds_per_beat == pytest.approx(0.25)
    assert score.seconds_per_bar == pytest.approx(1.5)


@pytest.mark.parametrize(("meter", "pickup", "short_bar"), [((6, 8), 1.0, (1, 8)), ((4, 4), 1.0, (1, 4)),
                                                             ((3, 4), 1.5, (3, 8)), ((2, 4), 0.5, (1, 8))])
def test_a_pickup_is_written_as_a_short_first_bar_and_read_back(tmp_path, meter, pickup, short_bar):
    score = Score(tracks=[Track([Note(60, 0.0, 0.2), Note(62, 0.25, 0.5)])], tempo=120, time_signature=meter,
                  pickup=pickup)
    path = tmp_path / "pickup.mid"
    score.to_midi().write(str(path))
    midi = pretty_midi.PrettyMIDI(str(path))
    assert [(t.numerator, t.denominator) for t in midi.time_signature_changes] == [short_bar, meter]
    back = Score.from_midi(midi)
    assert (back.time_signature, back.pickup) == (meter, pickup)
    assert back.first_downbeat == pytest.approx(score.first_downbeat)


def test_bars_are_counted_from_the_first_downbeat():
    score = Score(tempo=120, time_signature=(6, 8), pickup=1.0)  # an eighth is 0.25 s
    assert score.first_downbeat == pytest.approx(0.25)
    assert score.bar_and_beat(0.0) == (-1, pytest.approx(5.0))
    assert score.bar_and_beat(0.25) == (0, pytest.approx(0.0))
    assert score.bar_and_beat(1.75 + 0.5) == (1, pytest.approx(2.0))


def test_a_meter_change_that_is_not_a_short_first_bar_is_no_pickup():
    midi = pretty_midi.PrettyMIDI(initial_tempo=120)
    midi.time_signature_changes = [pretty_midi.TimeSignature(3, 4, 0.0), pretty_midi.TimeSignature(2, 4, 1.5)]
    assert (Score.from_midi(midi).pickup, Score.from_midi(midi).time_signature) == (0.0, (3, 4))


def test_a_pickup_of_a_bar_or_more_is_refused():
    with pytest.raises(ValueError, match="pickup must be 0 to less than a bar"):
        Score(time_signature=(3, 4), pickup=3)


def test_unknown_key_is_explained():
    with pytest.raises(ValueError, match="key='H major' is not a key"):
        Score(key="H major")
    assert Score(key="bb MINOR").key == "Bb minor"


def test_image_accepts_greyscale_and_rejects_bad_arrays():
    assert Image(np.zeros((4, 5), np.uint8)).channels == 1
    with pytest.raises(ValueError, match="uint8"):
        Image(np.zeros((4, 4, 3), np.float32))
    with pytest.raises(ValueError, match="C in 1, 3, 4"):
        Image(np.zeros((4, 4, 2), np.uint8))


def test_audio_is_float32_frames_by_channels():
    audio = Audio(np.zeros(441), 44100)
    assert audio.samples.shape == (441, 1) and audio.samples.dtype == np.float32
    assert audio.duration == pytest.approx(0.01)
