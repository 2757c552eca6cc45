"""Where a sung vowel begins in the speech: the sound a note's onset lands on.

eSpeak's vowel phoneme can begin with sound that is not yet the vowel: the aspiration of the
consonant before it (eSpeak counts the release of tʰ, pʰ, tɕʰ in the vowel), and in Mandarin's
rising finals (iɛ, iou, ua, uo, yɛ ...) the medial glide from i, u or ü. A singer puts both
before the beat, with the consonants, and the vowel on it. So the sung vowel starts at the
phoneme's first voiced frame after a consonant (not after h, nor at a word's start: a breathy
or whispered start is already the vowel's sound) and, after a medial glide, where the glide
has arrived at the main vowel: where the spectral envelope has gone 80 % of the way from the
glide's sound to the farthest it goes in the phoneme. (The middle of the move, where
phoneticians put a glide-vowel boundary, was tried first: benchmarks/voice.py's onset ruler
then read 流 liu's vowel 35-55 ms late or early, as it does on eSpeak's unsung speech; with
the glide done before the beat it reads the vowel on it, in the speech too.) What is cut off
joins the syllable's onset.
"""

from __future__ import annotations

import numpy as np

from .phonemes import Span, SyllableSound
from .vocoder import FRAME_SECONDS, Analysis

#: The most of a spoken vowel that may move to the onset: the rest is the vowel the note holds.
MOST_MOVED = 0.5
#: What may come before a vowel whose unvoiced start is the vowel itself: nothing, or h.
BREATHY_STARTS = frozenset({"", "h", "ɦ"})
#: Share of its move into the main vowel after which a medial glide is done (the vowel reached).
GLIDE_DONE = 0.8
#: Seconds after voicing starts where the glide's own sound is taken (past the consonant's transition).
GLIDE_FROM = 0.015


def sung_nucleus(sound: SyllableSound, analysis: Analysis, rate: int) -> SyllableSound:
    """``sound`` with its vowel starting where the sung vowel does (see the module doc)."""
    if sound.held or sound.vowel.length <= 0:
        return sound
    start = vowel_start(analysis, sound.vowel, rate, sound.glide, sound.before not in BREATHY_STARTS)
    if start <= sound.vowel.start:
        return sound
    onset = Span(sound.onset.start if sound.onset.length else sound.vowel.start, start)
    return SyllableSound(onset, Span(start, sound.vowel.end), sound.tail, sound.held, sound.glide)


def vowel_start(analysis: Analysis, vowel: Span, rate: int, glide: bool, released: bool) -> int:
    """The sample of ``vowel`` (a span of the analysed speech) where the sung vowel begins."""
    frame = rate * FRAME_SECONDS
    first = int(np.ceil(vowel.start / frame))
    last = min(len(analysis.f0), int(vowel.end // frame))
    latest = vowel.start + int(MOST_MOVED * vowel.length)
    if last - first < 2:
        return vowel.start
    voiced = np.flatnonzero(analysis.f0[first:last] > 0)
    begin = first + (int(voiced[0]) if len(voiced) and released else 0)
    start = vowel.start if begin == first else int(round(begin * frame))  # voiced from its first frame: unmoved
    if glide:  # GLIDE_DONE of the way from the glide's sound (GLIDE_FROM after voicing) to the farthest it goes
        reference = begin + int(round(GLIDE_FROM / FRAME_SECONDS))
        if last - reference >= 3:
            spectrum = np.log(analysis.envelope[reference:last])
            distance = np.convolve(np.sqrt(((spectrum - spectrum[0]) ** 2).mean(axis=1)), np.ones(3) / 3, mode="same")
            start = int(round((reference + int(np.argmax(distance >= GLIDE_DONE * distance.max()))) * frame))
    return min(start, latest)
