"""Registers the built-in composers: song, accompany, poster and sonify.

Declarations only: the craft lives in one module per composer (song.py, accompany.py,
poster.py, sonify.py), imported when a composer runs, so `muse list` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine import Composer, Image, Param, Score, Text, Work, hookimpl
from engine.theory import parse_key

KEY = Param("key", str, None, "key to harmonise in, e.g. 'D minor' (default: the score's key, else detected)",
            check=parse_key)
STYLE = Param("style", str, "arpeggio", "how the chords are played", choices=("block", "arpeggio", "strum"))
CHORD_RATE = Param("chord_rate", str, "auto", "how often chords may change: auto (per half bar where the melody asks, "
                   "else per bar), bar, or half", choices=("auto", "bar", "half"))
SEVENTHS = Param("sevenths", bool, False, "allow diatonic seventh chords as well as triads")
DRUMS = Param("drums", bool, True, "add a drum groove (General MIDI kit on channel 10) that fits the meter")
BASS_PROGRAM = Param("bass_program", int, 33, "General MIDI program of the bass (33 fingered bass, 32 acoustic)",
                     min=0, max=127)
CHORD_PROGRAM = Param("chord_program", int, 0, "General MIDI program of the chords (0 piano, 24 nylon guitar)",
                      min=0, max=127)
ACCOMPANIMENT = (STYLE, CHORD_RATE, SEVENTHS, DRUMS, BASS_PROGRAM, CHORD_PROGRAM)


class AccompanyComposer(Composer):
    name = "accompany"
    description = "adds chords (an HMM over the key's chords, on the tune's own bar lines), a bass line and a drum groove to a melody"
    inputs = (Score,)
    output = Score
    params = (KEY, *ACCOMPANIMENT)
    demo_params = [{"style": "strum", "chord_program": 24, "chord_rate": "half"}]
    demo_inputs = ("melody",)

    def compose(self, works: list[Work], params: dict[str, Any], seed: int) -> Work:
        from .accompany import accompany_score

        score = works[0]
        assert isinstance(score, Score)
        return accompany_score(score, params, seed)


class SongComposer(Composer):
    name = "song"
    description = "sets a poem to a melody: syllables fitted to phrases, karaoke lyrics, accompaniment"
    inputs = (Text, Score)
    output = Score
    params = (
        Param("phrase_bars", int, 0, "bars of melody per poem line (0: the shortest of 2, 4 or 8 that keeps "
              "max_rate)", min=0, max=16),
        # 3.5 syllables a second is a folk singer's brisk pace; faster, words blur into patter
        Param("max_rate", float, 3.5, "most syllables a second a line is sung at; lines get longer phrases to "
              "keep under it", min=1.0, max=10.0),
        Param("melisma", bool, False, "keep every melody note, letting a syllable span several (else merge them)"),
        Param("extend", str, "repeat", "when the poem outlasts the melody: reuse its phrases, or ask the melody "
              "generator for more", choices=("repeat", "melody")),
        Param("voice_program", int, None, "General MIDI program of the sung line (default: the melody's own)",
              min=0, max=127),
        Param("accompaniment", bool, True, "add bass, chords and drums (the accompany composer's parts)"),
        KEY, *ACCOMPANIMENT,
    )
    demo_params = [{"style": "arpeggio"}]
    demo_inputs = ("poem", "melody")

    def compose(self, works: list[Work], params: dict[str, Any], seed: int) -> Work:
        from .song import make_song

        text, score = works
        assert isinstance(text, Text) and isinstance(score, Score)
        return make_song(text, score, params, seed, self.context)


class PosterComposer(Composer):
    name = "poster"
    description = "typesets a poem beside, below or over an image (font fitted to the space; CJK needs a CJK font)"
    inputs = (Image, Text)
    output = Image
    params = (
        Param("layout", str, "beside", "where the poem goes", choices=("beside", "below", "over")),
        Param("size", int, 512, "enlarge the image smoothly until its longer side has this many pixels",
              min=16, max=4096),
        Param("font_size", int, None, "font size in pixels (default: the largest that fits)", min=6, max=400),
        Param("font", Path, None, "a TrueType/OpenType font file (default: DejaVu Serif, or a CJK font for Chinese)"),
    )
    demo_params = [{"layout": "beside"}]
    demo_inputs = ("gan", "poem")

    def compose(self, works: list[Work], params: dict[str, Any], seed: int) -> Work:
        from .poster import make_poster

        image, text = works
        assert isinstance(image, Image) and isinstance(text, Text)
        return make_poster(image, text, params)


class SonifyComposer(Composer):
    name = "sonify"
    description = "an image heard as a melody: mode, tempo, register and contour follow its light, colour and edges"
    inputs = (Image,)
    output = Score
    params = (
        Param("bars", int, 8, "length in 4/4 bars", min=1, max=128),
        Param("program", int, 11, "General MIDI program of the melody (11 vibraphone, 0 piano, 73 flute)",
              min=0, max=127),
        Param("accompaniment", bool, True, "add bass and chords (the accompany composer's parts)"),
        STYLE, CHORD_RATE, SEVENTHS,
        Param("drums", bool, False, "add a drum groove (General MIDI kit on channel 10)"),
        BASS_PROGRAM, CHORD_PROGRAM,
    )
    demo_params = [{}]
    demo_inputs = ("gan",)

    def compose(self, works: list[Work], params: dict[str, Any], seed: int) -> Work:
        from .sonify import sonify_image

        image = works[0]
        assert isinstance(image, Image)
        return sonify_image(image, params, seed)


@hookimpl
def register_composers(register):
    for composer in (AccompanyComposer, PosterComposer, SongComposer, SonifyComposer):
        register(composer())
