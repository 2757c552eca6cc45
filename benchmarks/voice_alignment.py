"""The vowel-onset ruler: the sung vocal aligned (DTW) to the words spoken, whose vowel starts are known.

A note's vowel onset is read by forced alignment against a reference: eSpeak NG's own speech
of the phrase, in which every vowel's start is known (eSpeak's phoneme events, moved past
aspiration and a medial glide exactly as the singer's :mod:`plugins.singing.nucleus` does). The
vocal and the reference are described every 5 ms by their smoothed spectral envelope (WORLD's
pitch-adaptive CheapTrick on each signal's own F0, warped to 30 mel bands, levels more than
50 dB under the stretch's loudest clipped, cepstrally smoothed, the overall level weighted
down): the vowel's timbre. Dynamic time warping then finds the cheapest monotonic match of the
whole reference to the stretch of the vocal between the silences around the phrase (both
padded with silence, matched end to end), and a vowel's onset in the vocal is the first vocal
frame matched to the vowel's first reference frame. The reference is re-synthesised on the
vocal's own pitch before it is matched (see :func:`at_pitch`). The ruler reads only audio:
the singer's plan (its time map) is not used.

Known truth it is checked on (:func:`spoken_truth_errors`, :func:`shift_errors`): the same
words spoken by eSpeak at another speed and another pitch, whose own phoneme events say where
its vowels start; and the vocal moved by known offsets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from plugins.singing.singer import Vocal

RATE = 16000
HOP = 0.005
BANDS, KEPT_CEPSTRA, RANGE_DB = 30, 14, 50.0
FLOOR = -RANGE_DB / 10.0 * np.log(10.0)
LEVEL_WEIGHT = 0.3
#: Seconds of song before the first phrase's first note (consonants are sung before the beat,
#: at most 0.3 s) and after the last phrase's end that the references are matched in.
BEFORE, AFTER = 0.6, 0.3
#: Frames of silence put around both the reference and the song's stretch, so that the two are
#: aligned whole, silence to silence (a free start or end would let DTW skip a long sung vowel).
PAD = 20
#: Seconds of silence the shift check puts before the vocal.
LEAD = 0.1


def envelope_levels(samples: np.ndarray, rate: int) -> tuple[np.ndarray, np.ndarray]:
    """(frames, BANDS) log power of the spectral envelope in mel bands, and the F0 it was read
    with (0: unvoiced), frame k at k * HOP seconds."""
    from plugins.singing.singer import resample
    from plugins.singing.vocoder import load_world

    world = load_world()
    signal = resample(samples, rate, RATE).astype(np.float64)
    f0, times = world.dio(signal, RATE, f0_floor=60.0, f0_ceil=900.0, frame_period=HOP * 1000)
    f0 = world.stonemask(signal, f0, times, RATE)
    envelope = world.cheaptrick(signal, f0, times, RATE, f0_floor=60.0)
    level: np.ndarray = np.log(envelope @ _mel_bank(envelope.shape[1]).T + 1e-16)
    return level, f0


def features(levels: np.ndarray) -> np.ndarray:
    """Cepstra of ``levels`` (a stretch of :func:`envelope_levels`) taken relative to its loudest
    frame, with everything more than RANGE_DB under it on one floor (so silence, and a stop's
    closure, read the same in any signal) and the overall level weighted down by LEVEL_WEIGHT:
    the timbre decides, a sung note's loudness differs from the spoken word's."""
    return _cepstra(np.maximum(levels - levels.max(), FLOOR))


def silence_features(frames: int) -> np.ndarray:
    """``frames`` frames of silence as :func:`features` describes them (every band on the floor)."""
    return np.repeat(_cepstra(np.full((1, BANDS), FLOOR)), frames, axis=0)


def _cepstra(relative: np.ndarray) -> np.ndarray:
    cepstra = _dct(relative)[:, :KEPT_CEPSTRA]
    cepstra[:, 0] *= LEVEL_WEIGHT
    return cepstra


def _mel_bank(bins: int) -> np.ndarray:
    freqs = np.linspace(0.0, RATE / 2, bins)
    mel = 2595 * np.log10(1 + np.array([100.0, 7000.0]) / 700)
    edges = 700 * (10 ** (np.linspace(mel[0], mel[1], BANDS + 2) / 2595) - 1)
    bank = np.zeros((BANDS, bins))
    for b in range(BANDS):
        lo, mid, hi = edges[b: b + 3]
        bank[b] = np.clip(np.minimum((freqs - lo) / (mid - lo), (hi - freqs) / (hi - mid)), 0, None)
    return bank / bank.sum(axis=1, keepdims=True)


def _dct(values: np.ndarray) -> np.ndarray:
    """Orthonormal DCT-II along the last axis (distances between cepstra are those of smoothed spectra)."""
    n = values.shape[-1]
    k = np.arange(n)
    basis = np.cos(np.pi * (k[:, None] + 0.5) * k[None, :] / n) * np.sqrt(2.0 / n)
    basis[:, 0] /= np.sqrt(2.0)
    return values @ basis


def align(reference: np.ndarray, query: np.ndarray) -> np.ndarray:
    """For each reference frame, the first query frame DTW matches it to (both whole, first
    frames to first and last to last; steps (1,0), (0,1), (1,1))."""
    squared = (reference ** 2).sum(axis=1)[:, None] + (query ** 2).sum(axis=1)[None, :] - 2.0 * reference @ query.T
    cost = np.sqrt(np.maximum(squared, 0.0))
    rows, cols = cost.shape
    total = np.empty_like(cost)
    came = np.zeros((rows, cols), dtype=np.int8)  # 0: from the left, 1: diagonal, 2: from below
    total[0] = np.cumsum(cost[0])
    came[0, 1:] = 0
    came[0, 0] = 3
    for i in range(1, rows):
        diagonal = np.concatenate([[np.inf], total[i - 1, :-1]])
        below = total[i - 1]
        entry = np.minimum(diagonal, below)
        prefix = np.cumsum(cost[i])
        start = entry - np.concatenate([[0.0], prefix[:-1]])
        best = np.minimum.accumulate(start)
        total[i] = prefix + best
        came[i] = np.where(best < start, 0, np.where(diagonal <= below, 1, 2))
    i, j = rows - 1, cols - 1
    first = np.full(rows, -1)
    while True:
        first[i] = j
        step = came[i, j]
        if step == 3:
            break
        if step == 0:
            j -= 1
        elif step == 1:
            i, j = i - 1, j - 1
        else:
            i -= 1
    return first


@dataclass(frozen=True)
class Reference:
    """One phrase spoken: its samples and rate, and the sample where each sung syllable's vowel
    starts in it (by syllable index; held syllables, which sing on the previous vowel, have none)."""

    samples: np.ndarray
    rate: int
    vowel_starts: dict[int, int]


def spoken_phrases(song: object, voice: str, words_per_minute: int | None = None,
                   f0: int | None = None, sung: bool = True) -> list[Reference]:
    """eSpeak's speech of each of ``song``'s phrases, as the singer speaks them (or at another
    speed and constant pitch), with the sung vowels' starts (``sung=False``: eSpeak's vowel
    phonemes' own starts, before the singer moves them past aspiration and glides)."""
    from plugins.singing.espeak import ESpeak
    from plugins.singing.lyrics import read_lyrics
    from plugins.singing.nucleus import sung_nucleus
    from plugins.singing.singer import LANGUAGE_VOICES, VOICES, _phrase_sounds
    from plugins.singing.vocoder import analyse

    engine, lyrics = ESpeak(), read_lyrics(song)  # type: ignore[arg-type]
    assert lyrics is not None
    singer = VOICES[voice]
    if words_per_minute is not None:
        engine.words_per_minute = words_per_minute
    references = []
    for phrase in lyrics.phrases:
        sounds = _phrase_sounds(lyrics, phrase, engine, f"{LANGUAGE_VOICES[lyrics.language]}+{singer.variant}",
                                f0 or singer.speaking_f0)
        if sounds is None:
            continue
        speech, by_syllable = sounds
        analysis = analyse(speech.samples, speech.rate)
        starts = {k: (sung_nucleus(sound, analysis, speech.rate) if sung else sound).vowel.start
                  for k, sound in by_syllable.items() if not sound.held}
        references.append(Reference(speech.samples, speech.rate, starts))
    return references


def vowel_onsets(vocal: np.ndarray, rate: int, references: Sequence[Reference],
                 spans: Sequence[tuple[float, float]]) -> dict[int, float]:
    """Seconds into ``vocal`` where each syllable's vowel starts: reference p aligned to the
    stretch of the vocal around ``spans[p]`` (its phrase's first note onset, last note end),
    in two passes. The reference is first re-pitched to the median F0 of that stretch, then
    frame by frame to the F0 the vocal has where the frame was matched (see :func:`at_pitch`):
    only the audio decides, so the readings move with it."""
    sung, pitch = envelope_levels(vocal, rate)
    found: dict[int, float] = {}
    quiet = silence_features(PAD)
    for reference, (first, last) in zip(references, phrase_windows(sung, spans)):
        song = np.concatenate([quiet, features(sung[first:last]), quiet])
        voiced = pitch[first:last][pitch[first:last] > 0]
        typical = float(np.median(voiced)) if len(voiced) else 200.0
        hz = np.array([typical])
        for _ in range(2):
            spoken = features(envelope_levels(at_pitch(reference, hz), reference.rate)[0])
            matched = align(np.concatenate([quiet, spoken, quiet]), song)[PAD:-PAD] - PAD
            hz = folded(pitch[np.clip(first + matched, 0, len(pitch) - 1)], typical)
        for syllable, sample in reference.vowel_starts.items():
            frame = min(len(matched) - 1, int(round(sample / reference.rate / HOP)))
            found[syllable] = (first + matched[frame]) * HOP
    return found


#: Semitones from a phrase's median F0 beyond which a reading is taken for an octave error.
FOLD = 8.0


def folded(f0: np.ndarray, typical: float) -> np.ndarray:
    """``f0`` with unvoiced frames set to ``typical`` and each reading moved by whole octaves to
    within FOLD semitones of it: dio now and then reads a voice an octave low (eSpeak's Mandarin
    at 300 Hz read as 150 Hz at a phrase's ends), and a reference re-pitched an octave wrong
    matches nothing (one syllable read 82 ms late before this)."""
    hz = np.where(f0 > 0, f0, typical)
    distance = np.log2(hz / typical)
    result: np.ndarray = hz / 2.0 ** np.where(np.abs(distance) > FOLD / 12.0, np.round(distance), 0.0)
    return result


def at_pitch(reference: Reference, hz: np.ndarray) -> np.ndarray:
    """The reference resynthesised by WORLD on pitch ``hz`` (per 5 ms frame) where it is voiced,
    frame for frame (its phoneme boundaries do not move). Why: a spectral envelope read from a
    voice at 500 Hz has no detail under 500 Hz, so a high sung iː looks like a spoken ɪ, and DTW
    parks a long held vowel on the wrong reference frames; both at the same pitch look alike."""
    from plugins.singing.vocoder import FRAME_SECONDS, analyse, load_world

    analysis = analyse(reference.samples, reference.rate)
    count = len(analysis.f0)
    pitch = np.concatenate([hz, np.full(max(0, count - len(hz)), hz[-1])])[:count]
    f0 = np.where(analysis.f0 > 0, pitch, 0.0)
    samples: np.ndarray = load_world().synthesize(f0, analysis.envelope, analysis.aperiodicity, reference.rate,
                                                  FRAME_SECONDS * 1000.0)
    return samples


def phrase_windows(levels: np.ndarray, spans: Sequence[tuple[float, float]]) -> list[tuple[int, int]]:
    """Frames of the vocal each phrase is matched in: between two phrases, the cut is the middle
    of the longest silence (every band RANGE_DB under the vocal's loudest) in the rest; before
    the first phrase BEFORE, after the last one AFTER. Cutting in silence matters: a cut in the
    last sound of one phrase would be matched to the next phrase's first vowel."""
    silent = (levels - levels.max() <= FLOOR).all(axis=1)
    cuts = [max(0, _frame(spans[0][0] - BEFORE))]
    for (_, end), (start, _) in zip(spans[:-1], spans[1:]):
        low, high = _frame(end), max(_frame(end) + 1, _frame(start))
        runs = np.flatnonzero(np.diff(np.concatenate([[0], silent[low:high].astype(np.int8), [0]])))
        if len(runs):
            longest = int(np.argmax(runs[1::2] - runs[0::2]))
            cuts.append(low + (int(runs[2 * longest]) + int(runs[2 * longest + 1])) // 2)
        else:
            cuts.append((low + high) // 2)
    cuts.append(min(len(levels), _frame(spans[-1][1] + AFTER)))
    return list(zip(cuts[:-1], cuts[1:]))


def _frame(seconds: float) -> int:
    return int(round(seconds / HOP))


def phrase_spans(song: object) -> list[tuple[float, float]]:
    """Per phrase of ``song``'s lyrics: its first note's onset and its last note's end (seconds)."""
    from plugins.singing.lyrics import read_lyrics

    lyrics = read_lyrics(song)  # type: ignore[arg-type]
    assert lyrics is not None
    spans = []
    for phrase in lyrics.phrases:
        syllables = [lyrics.syllables[k] for w in phrase for k in lyrics.words[w].syllables]
        spans.append((syllables[0].start, max(s.end for s in syllables)))
    return spans


def onset_errors(vocal: Vocal, song: object) -> dict[int, float]:
    """Per syllable with a vowel of its own: measured vowel onset minus its note's onset (seconds)."""
    from plugins.singing.lyrics import read_lyrics

    lyrics = read_lyrics(song)  # type: ignore[arg-type]
    assert lyrics is not None
    found = vowel_onsets(vocal.samples, vocal.rate, spoken_phrases(song, vocal.voice), phrase_spans(song))
    return {k: at - lyrics.syllables[k].start for k, at in found.items()}


def spoken_truth_errors(song: object, voice: str, words_per_minute: int = 120, f0_ratio: float = 1.5) -> np.ndarray:
    """The ruler on known truth: the song's phrases spoken at ``words_per_minute`` on
    ``f0_ratio`` times the speaking pitch, read against the usual reference; signed error
    (seconds) against where eSpeak says that speech's vowel phonemes start."""
    from plugins.singing.singer import VOICES

    hz = VOICES[voice].speaking_f0 * f0_ratio
    references = spoken_phrases(song, voice, sung=False)
    others = spoken_phrases(song, voice, words_per_minute, int(round(hz)), sung=False)
    errors = []
    for reference, other in zip(references, others):
        found = vowel_onsets(other.samples, other.rate, [reference], [(0.0, len(other.samples) / other.rate)])
        errors += [found[k] - other.vowel_starts[k] / other.rate for k in other.vowel_starts if k in found]
    return np.array(errors)


def shift_errors(vocal: Vocal, song: object, shifts: tuple[float, ...] = (-0.04, 0.04)) -> np.ndarray:
    """The vocal moved by each of ``shifts`` seconds: how far (seconds) each reading moves
    other than by the shift. (The vocal is first given LEAD seconds of silence, which the
    spans follow, so that no shift cuts off its first consonant.)"""
    references = spoken_phrases(song, vocal.voice)
    spans = [(start + LEAD, end + LEAD) for start, end in phrase_spans(song)]
    padded = np.concatenate([np.zeros(int(round(LEAD * vocal.rate)), np.float32), vocal.samples])
    base = vowel_onsets(padded, vocal.rate, references, spans)
    errors = []
    for shift in shifts:
        count = int(round(abs(shift) * vocal.rate))
        moved = np.concatenate([np.zeros(count, np.float32), padded]) if shift > 0 else padded[count:]
        now = vowel_onsets(moved, vocal.rate, references, spans)
        errors += [now[k] - base[k] - shift for k in base if k in now]
    return np.array(errors)
