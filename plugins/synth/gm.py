"""General MIDI program -> built-in voice, and GM drum key -> drum sound.

Plain tables with no numpy, so `muse list` and the docs can read them cheaply. docs/synth.md
shows the same mapping for people; a test checks that every program 0-127 has a voice.
"""

from __future__ import annotations

#: (first program, last program, voice) in General MIDI order; later rows refine earlier ones.
PROGRAM_RANGES: tuple[tuple[int, int, str], ...] = (
    (0, 3, "piano"),            # grand, bright, electric grand, honky-tonk
    (4, 5, "electric_piano"),   # tine and FM electric pianos
    (6, 7, "pluck"),            # harpsichord, clavinet: plucked/struck strings with a bright attack
    (8, 8, "celesta"),
    (9, 9, "glockenspiel"),
    (10, 10, "tines"),          # music box
    (11, 11, "vibraphone"),
    (12, 12, "marimba"),
    (13, 13, "xylophone"),
    (14, 14, "tubular_bells"),
    (15, 15, "pluck"),          # dulcimer
    (16, 18, "organ"),          # drawbar, percussive, rock organ
    (19, 20, "pipe_organ"),     # church organ, reed organ
    (21, 23, "accordion"),      # accordion, harmonica, tango accordion
    (24, 31, "guitar"),         # nylon, steel, jazz, clean, muted, overdriven, distortion, harmonics
    (32, 35, "string_bass"),    # acoustic, finger, pick, fretless bass
    (36, 39, "bass"),           # slap and synth basses
    (40, 40, "violin"),
    (41, 41, "viola"),
    (42, 42, "cello"),
    (43, 43, "contrabass"),
    (44, 44, "strings"),        # tremolo strings (a section)
    (45, 46, "pluck"),          # pizzicato strings, harp
    (47, 47, "timpani"),
    (48, 51, "strings"),        # string ensembles, synth strings
    (52, 52, "choir"),          # choir aahs
    (53, 53, "oohs"),           # voice oohs
    (54, 54, "choir"),          # synth voice
    (55, 63, "brass"),          # orchestra hit, trumpet ... synth brass
    (64, 67, "sax"),            # soprano, alto, tenor, baritone sax
    (68, 70, "double_reed"),    # oboe, english horn, bassoon
    (71, 71, "clarinet"),
    (72, 79, "flute"),          # piccolo ... ocarina
    (80, 87, "lead"),           # synth leads
    (88, 103, "pad"),           # synth pads and effects
    (98, 98, "bell"),           # FX 3 (crystal)
    (104, 107, "pluck"),        # sitar, banjo, shamisen, koto
    (108, 108, "tines"),        # kalimba
    (109, 109, "double_reed"),  # bagpipe
    (110, 110, "violin"),       # fiddle
    (111, 111, "double_reed"),  # shanai
    (112, 113, "bell"),         # tinkle bell, agogo
    (114, 114, "steel_drum"),
    (115, 119, "knock"),        # woodblock, taiko, melodic tom, synth drum, reverse cymbal
    (120, 127, "pad"),          # sound effects: a soft pad keeps them musical
)

#: Voices that sit under the others and stay in the middle of the stereo image.
BASS_VOICES = frozenset({"bass", "string_bass", "contrabass"})


def voice_for_program(program: int) -> str:
    """The built-in voice that plays GM ``program`` (0-127); out-of-range programs play piano."""
    voice = "piano"
    for first, last, name in PROGRAM_RANGES:
        if first <= program <= last:
            voice = name
    return voice


#: GM percussion key (channel 10) -> drum sound; keys not listed play a short "shaker" hit.
DRUM_KEYS: dict[int, str] = {
    35: "kick", 36: "kick",
    37: "stick", 38: "snare", 39: "clap", 40: "snare",
    41: "tom", 43: "tom", 45: "tom", 47: "tom", 48: "tom", 50: "tom",
    42: "hat_closed", 44: "hat_pedal", 46: "hat_open",
    49: "crash", 57: "crash", 52: "crash", 55: "splash",
    51: "ride", 59: "ride", 53: "ride_bell",
    54: "shaker", 69: "shaker", 70: "shaker", 73: "shaker", 74: "shaker", 82: "shaker",
    56: "cowbell", 67: "cowbell", 68: "cowbell",
    60: "tom", 61: "tom", 62: "tom", 63: "tom", 64: "tom", 65: "tom", 66: "tom",
    75: "stick", 76: "stick", 77: "stick",
    80: "triangle", 81: "triangle",
}

#: Tuning of the pitched drums (Hz at the end of the pitch drop), low floor tom to high timbale.
TOM_HZ: dict[int, float] = {
    41: 78.0, 43: 92.0, 45: 110.0, 47: 130.0, 48: 155.0, 50: 185.0,
    60: 420.0, 61: 310.0, 62: 330.0, 63: 260.0, 64: 210.0, 65: 390.0, 66: 300.0,
}


def drum_for_key(key: int) -> str:
    return DRUM_KEYS.get(key, "shaker")
