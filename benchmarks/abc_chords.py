"""A small ABC reader for the harmony benchmark: a tune's melody and its chord symbols, timed in beats.

Nottingham's ABC files carry human chord symbols ("G", "D7", "Em", "A7/c+"), each sounding from
the note it is written before until the next one. This reader keeps what the benchmark needs and
no more: meter (M:), unit length (L:), key signature (K:, with modes), notes with accidentals,
octaves, lengths, broken rhythm (> <), triplets, ties and chords in brackets (the top note), and
where the bar lines fall (a short first bar is the pickup). Repeats are read as written, not
expanded: melody and chords stay aligned either way, and a half bar before a repeat sign that
balances a pickup keeps the bar grid in phase. Decorations, grace notes and annotations are
skipped. Used only to read evaluation data; nothing of it is shipped with Muse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction

LETTERS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
SHARP_ORDER, FLAT_ORDER = "FCGDAEB", "BEADGCF"
#: Fifths above the major key's tonic a mode's signature sits (A dorian has G major's signature).
MODE_FIFTHS = {"": 0, "maj": 0, "ion": 0, "m": -3, "min": -3, "aeo": -3, "dor": -2, "mix": -1, "lyd": 1,
               "phr": -4, "loc": -5}
TONIC_FIFTHS = {"C": 0, "G": 1, "D": 2, "A": 3, "E": 4, "B": 5, "F#": 6, "C#": 7, "F": -1, "Bb": -2, "Eb": -3,
                "Ab": -4, "Db": -5, "Gb": -6, "Cb": -7}
_TOKEN = re.compile(r"""
    (?P<chord>"[^"]*")
  | (?P<deco>![^!]*!|\+[^+\s]*\+)
  | (?P<grace>\{[^}]*\})
  | (?P<field>\[[A-Za-z]:[^\]]*\])
  | (?P<ending>\[\d)
  | (?P<bar>:*\|+\]?:*\d?|:*\[\|:*|::)
  | (?P<tuplet>\((?P<n>\d)(?::\d?(?::\d?)?)?)
  | (?P<stack>\[(?P<inner>[^\]]*)\](?P<slen>[\d/]*))
  | (?P<note>(?P<acc>\^\^|\^|__|_|=)?(?P<letter>[A-Ga-g])(?P<oct>[,']*)(?P<len>\d*(?:/+\d*)?))
  | (?P<rest>[zx](?P<rlen>\d*(?:/+\d*)?))
  | (?P<broken>[<>]+)
  | (?P<tie>-)
""", re.VERBOSE)
_NOTE = re.compile(r"(\^\^|\^|__|_|=)?([A-Ga-g])([,']*)(\d*(?:/+\d*)?)")


@dataclass
class AbcNote:
    pitch: int | None  # None: a rest
    start: Fraction  # in quarter notes from the start of the tune
    length: Fraction


@dataclass
class AbcTune:
    number: int
    title: str
    meter: tuple[int, int]
    key: tuple[int, str]  # (tonic pitch class, "major" or "minor"): the key the K: field names
    notes: list[AbcNote] = field(default_factory=list)
    chords: list[tuple[Fraction, int, str]] = field(default_factory=list)  # (start, root, symbol)
    pickup: Fraction = Fraction(0)  # quarter notes before the first bar line, if that bar is short
    collection: str = ""  # the file the tune came from

    @property
    def end(self) -> Fraction:
        return max((n.start + n.length for n in self.notes), default=Fraction(0))


def read_abc_file(text: str) -> list[AbcTune]:
    """Every tune of an ABC file that has a meter and notes."""
    tunes = []
    for chunk in re.split(r"(?m)^(?=X:)", text):
        if chunk.startswith("X:"):
            tune = _read_tune(chunk)
            if tune is not None and tune.notes:
                tunes.append(tune)
    return tunes


def chord_root(symbol: str) -> int | None:
    """The root pitch class of a chord symbol ("F#m7" -> 6, "A7/c+" -> 9); None for text."""
    match = re.match(r"\(?([A-G])([#b]?)", symbol.strip())
    if not match:
        return None
    return (LETTERS[match.group(1)] + {"#": 1, "b": -1, "": 0}[match.group(2)]) % 12


def _length(text: str, unit: Fraction) -> Fraction:
    if not text:
        return unit
    if "/" not in text:
        return unit * int(text)
    numerator, _, rest = text.partition("/")
    slashes = 1 + len(rest) - len(rest.lstrip("/"))
    denominator = rest.lstrip("/")
    value = Fraction(int(numerator) if numerator else 1, int(denominator) if denominator else 2 ** slashes)
    return unit * value


def _meter(text: str) -> tuple[int, int] | None:
    text = text.strip()
    if text in ("C", "C|"):
        return (4, 4) if text == "C" else (2, 2)
    match = re.match(r"(\d+)/(\d+)", text)
    return (int(match.group(1)), int(match.group(2))) if match else None


def _signature(text: str) -> tuple[dict[int, int], tuple[int, str]]:
    """Accidentals by letter pitch class, and the key (tonic, major/minor) of a K: field."""
    match = re.match(r"\s*([A-G])([#b]?)\s*([A-Za-z]*)", text)
    if not match:
        return {}, (0, "major")
    tonic_name = match.group(1) + match.group(2)
    mode = match.group(3).lower()[:3]
    mode = "m" if mode == "m" or (mode and mode not in MODE_FIFTHS and mode.startswith("m")) else mode
    fifths = TONIC_FIFTHS.get(tonic_name, 0) + MODE_FIFTHS.get(mode, 0)
    accidentals = {}
    for letter in (SHARP_ORDER[:fifths] if fifths > 0 else FLAT_ORDER[:-fifths]):
        accidentals[LETTERS[letter]] = 1 if fifths > 0 else -1
    tonic = (LETTERS[match.group(1)] + {"#": 1, "b": -1, "": 0}[match.group(2)]) % 12
    minor = mode in ("m", "min", "aeo", "dor", "phr", "loc")
    return accidentals, (tonic, "minor" if minor else "major")


def _pitch(accidental: str | None, letter: str, octave: str, signature: dict[int, int], bar: dict[str, int]) -> int:
    base = LETTERS[letter.upper()] + (72 if letter.islower() else 60)
    base += 12 * octave.count("'") - 12 * octave.count(",")
    name = letter.upper() + str(octave.count("'") - octave.count(",") + (1 if letter.islower() else 0))
    if accidental is not None:
        bar[name] = {"^": 1, "^^": 2, "_": -1, "__": -2, "=": 0}[accidental]
    shift = bar.get(name, signature.get(LETTERS[letter.upper()], 0))
    return base + shift


def _read_tune(chunk: str) -> AbcTune | None:
    number = int(re.match(r"X:\s*(\d+)", chunk).group(1)) if re.match(r"X:\s*(\d+)", chunk) else 0
    title_match = re.search(r"(?m)^T:(.*)$", chunk)
    meter, unit, signature, key = None, None, {}, (0, "major")
    body_started = False
    tune: AbcTune | None = None
    time = Fraction(0)
    bar_start = Fraction(0)
    bars_seen = 0
    accidentals: dict[str, int] = {}
    pending_chord: str | None = None
    tuplet_left, tuplet_ratio = 0, Fraction(1)
    broken: Fraction | None = None
    tie = False
    last: AbcNote | None = None
    for raw in chunk.splitlines():
        line = raw.split("%", 1)[0].rstrip()
        field_match = re.match(r"^([A-Za-z]):(.*)$", line)
        if field_match:
            name, value = field_match.group(1), field_match.group(2)
            if name == "M":
                meter = _meter(value) or meter
            elif name == "L":
                unit = Fraction(value.strip()) if re.fullmatch(r"\s*\d+/\d+\s*", value) else unit
            elif name == "K":
                signature, key = _signature(value)
                body_started = True
            continue
        if not body_started or meter is None:
            continue
        if unit is None:
            unit = Fraction(1, 8) if meter[0] / meter[1] >= 0.75 else Fraction(1, 16)
        if tune is None:
            tune = AbcTune(number, title_match.group(1).strip() if title_match else "", meter, key)
        quarter_unit = unit * 4
        for token in _TOKEN.finditer(line.rstrip("\\")):
            if token.group("chord"):
                text = token.group("chord")[1:-1]
                if text and text[0] not in "^_<>@":
                    pending_chord = text
            elif token.group("bar"):
                if bars_seen == 0 and time > 0 and time < Fraction(4 * meter[0], meter[1]):
                    tune.pickup = time
                if time > bar_start:
                    bars_seen += 1
                bar_start = time
                accidentals = {}
            elif token.group("tuplet"):
                count = int(token.group("n"))
                tuplet_left = count
                tuplet_ratio = Fraction({2: 3, 3: 2, 4: 3, 6: 2}.get(count, count - 1), count)
            elif token.group("broken"):
                broken = Fraction(1) if token.group("broken")[0] == ">" else Fraction(-1)
                if last is not None:
                    factor = Fraction(3, 2) if broken > 0 else Fraction(1, 2)
                    change = last.length * factor - last.length
                    last.length += change
                    time += change
                    broken = -broken  # the next note gets the complement
            elif token.group("tie"):
                tie = True
            elif token.group("note") or token.group("stack") or token.group("rest"):
                if token.group("rest"):
                    pitch, length_text = None, token.group("rlen")
                elif token.group("stack"):
                    inner = _NOTE.findall(token.group("inner"))
                    if not inner:
                        continue
                    pitches = [_pitch(acc or None, name, octave, signature, accidentals) for acc, name, octave, _ in inner]
                    pitch, length_text = max(pitches), inner[0][3]
                    if token.group("slen"):
                        length_text = token.group("slen")
                else:
                    pitch = _pitch(token.group("acc"), token.group("letter"), token.group("oct"), signature, accidentals)
                    length_text = token.group("len")
                length = _length(length_text, quarter_unit)
                if tuplet_left:
                    length *= tuplet_ratio
                    tuplet_left -= 1
                if broken is not None and broken < 0:
                    length *= Fraction(1, 2)
                    broken = None
                elif broken is not None:
                    length *= Fraction(3, 2)
                    broken = None
                if pending_chord is not None:
                    root = chord_root(pending_chord)
                    if root is not None:
                        tune.chords.append((time, root, pending_chord))
                    pending_chord = None
                if tie and last is not None and last.pitch == pitch and pitch is not None:
                    last.length += length
                else:
                    last = AbcNote(pitch, time, length)
                    tune.notes.append(last)
                tie = False
                time += length
    if tune is None:
        return None
    tune.notes = [n for n in tune.notes if n.pitch is not None]
    return tune
