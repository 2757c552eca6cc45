"""From a Score with lyrics to a sung vocal: eSpeak speaks each phrase, WORLD sings it.

The steps, each in its own module: :mod:`.lyrics` finds what is sung when; :mod:`.espeak`
speaks every phrase (English words, or Mandarin pinyin); :mod:`.phonemes` cuts each word's
phonemes into its sung syllables; :mod:`.timing` lays them on the notes; :mod:`.pitch` makes
the melody's F0 curve in the voice's range; :mod:`.vocoder` resynthesises it all at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine import Note, Score
from engine.theory import midi_to_hz

from .espeak import ESpeak, Speech
from .lyrics import Lyrics, read_lyrics
from .nucleus import sung_nucleus
from .phonemes import SyllableSound, split_word
from .pitch import SingerRange, octave_shift, pitch_curve
from .timing import Segment, group_syllables, place_phrase
from .vocoder import FRAME_SECONDS, Analysis, analyse, synthesize

#: Seconds of silence kept after the last note, for the last consonants and the vocoder's tail.
TAIL_SECONDS = 0.4


@dataclass(frozen=True)
class SingerVoice:
    """An eSpeak voice variant (its formants), the constant F0 it speaks on before WORLD re-pitches
    it, and the range it sings in. The variants are ones without eSpeak's echo and breath noise,
    which a stretched vowel would smear."""

    variant: str
    speaking_f0: int
    range: SingerRange


VOICES = {
    "higher": SingerVoice("f1", 200, SingerRange(60, 79)),  # C4-G5, an alto/soprano
    "lower": SingerVoice("m3", 110, SingerRange(45, 64)),  # A2-E4, a baritone
}
LANGUAGE_VOICES = {"en": "en-us", "zh": "cmn"}


@dataclass
class Vocal:
    """The sung track: mono samples at ``rate``, which score track it sings, how it was sung,
    and the notes it sang (moved into the voice's range)."""

    samples: np.ndarray
    rate: int
    track: int
    voice: str
    transpose: int
    language: str
    notes: list[Note] = field(default_factory=list)


def choose_voice(name: str, pitches: list[int]) -> str:
    """``auto``: the voice whose range is nearest the melody as written; else ``name`` itself."""
    if name != "auto":
        return name
    median = float(np.median(pitches)) if pitches else 60.0
    return min(VOICES, key=lambda key: abs(VOICES[key].range.centre - median))


def sing(score: Score, voice: str = "auto", rate: int = 44100) -> Vocal | None:
    """The score's lyrics sung on their notes (None when the score has no sung lyrics)."""
    lyrics = read_lyrics(score)
    if lyrics is None:
        return None
    pitches = [note.pitch for syllable in lyrics.syllables for note in syllable.notes]
    chosen = choose_voice(voice, pitches)
    singer = VOICES[chosen]
    shift = octave_shift(pitches, singer.range)
    engine = ESpeak()
    espeak_voice = f"{LANGUAGE_VOICES[lyrics.language]}+{singer.variant}"
    placed: list[tuple[Analysis, list[Segment]]] = []
    speech_rate = engine.rate
    for phrase in lyrics.phrases:
        sounds = _phrase_sounds(lyrics, phrase, engine, espeak_voice, singer.speaking_f0)
        if not sounds:
            continue
        speech, by_syllable = sounds
        speech_rate = speech.rate
        analysis = analyse(speech.samples, speech.rate)
        sung = sorted(by_syllable)
        groups = group_syllables([lyrics.syllables[k] for k in sung],
                                 [sung_nucleus(by_syllable[k], analysis, speech.rate) for k in sung])
        segments = place_phrase(groups, speech.rate)
        placed.append((analysis, segments))
    notes = [Note(n.pitch + shift, n.start, n.end, n.velocity) for s in lyrics.syllables for n in s.notes]
    frames = int(np.ceil((max(n.end for n in notes) + TAIL_SECONDS) / FRAME_SECONDS))
    curve = pitch_curve(notes, np.arange(frames) * FRAME_SECONDS)
    samples = synthesize(placed, midi_to_hz(curve), speech_rate)
    samples = resample(samples, speech_rate, rate)
    return Vocal(samples, rate, lyrics.track, chosen, shift, lyrics.language, notes)


def _phrase_sounds(lyrics: Lyrics, phrase: list[int], engine: ESpeak, voice: str,
                   f0: int) -> tuple[Speech, dict[int, SyllableSound]] | None:
    """eSpeak's speech of the phrase and each of its syllables' sound (by syllable index)."""
    tokens: list[str] = []
    first_token: list[int] = []
    for word_index in phrase:
        first_token.append(len(tokens))
        tokens += lyrics.words[word_index].tokens
    if not tokens:
        return None
    speech = engine.speak(tokens, voice, f0)
    by_syllable: dict[int, SyllableSound] = {}
    for position, word_index in enumerate(phrase):
        word = lyrics.words[word_index]
        low, high = first_token[position], first_token[position] + len(word.tokens)
        chosen = [k for k, phone in enumerate(speech.phones) if low <= phone.word < high]
        phones = [speech.phones[k] for k in chosen]
        ends = [speech.ends[k] for k in chosen]
        for syllable, sound in zip(word.syllables, split_word(phones, ends, len(word.syllables))):
            by_syllable[syllable] = sound
    return (speech, by_syllable) if by_syllable else None


def resample(samples: np.ndarray, source_rate: int, target_rate: int) -> np.ndarray:
    """Band-limited resampling of a whole signal by FFT (the vocal starts and ends in silence,
    so the FFT's wrap-around is harmless)."""
    if source_rate == target_rate or len(samples) == 0:
        return samples.astype(np.float32)
    count = int(round(len(samples) * target_rate / source_rate))
    spectrum = np.fft.rfft(samples.astype(np.float64))
    bins = count // 2 + 1
    if bins <= len(spectrum):
        spectrum = spectrum[:bins]
    else:
        spectrum = np.concatenate([spectrum, np.zeros(bins - len(spectrum), dtype=spectrum.dtype)])
    return (np.fft.irfft(spectrum, count) * (count / len(samples))).astype(np.float32)
