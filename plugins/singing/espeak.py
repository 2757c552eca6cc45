"""eSpeak NG through ctypes: words in, speech out, with the sample where every phoneme starts.

The library and its voice data come from the ``espeakng-loader`` wheel (eSpeak NG is GPLv3;
the wheel bundles ``libespeak-ng`` and ``espeak-ng-data``), so nothing outside PyPI is needed.
eSpeak speaks on one constant F0 here: the melody replaces its intonation anyway, a steady
pitch gives the vocoder a clean spectral envelope to analyse, and it makes the speech
reproducible (eSpeak's pitch "flutter" otherwise carries over from one utterance to the next). Its phoneme events, in
IPA, are what :mod:`.phonemes` cuts into sung syllables.
"""

from __future__ import annotations

import ctypes
import threading
from dataclasses import dataclass
from collections.abc import Sequence

import numpy as np

_SYNCHRONOUS = 2  # AUDIO_OUTPUT_SYNCHRONOUS: espeak_Synth returns when the speech is made
_PHONEME_EVENTS_IPA = 0x0001 | 0x0002  # espeakINITIALIZE_PHONEME_EVENTS | _PHONEME_IPA
_DONT_EXIT = 0x8000  # report a missing data folder instead of exiting the process
_EVENT_WORD, _EVENT_PHONEME, _EVENT_END = 1, 7, 0
_RATE = 1  # espeak_PARAMETER
_POS_CHARACTER, _CHARS_UTF8 = 1, 1
#: Words a minute: a little slower than eSpeak's 175 keeps consonants distinct when sung fast.
SPEAKING_RATE = 150


class _Union(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("unique_identifier", ctypes.c_uint), ("text_position", ctypes.c_int),
                ("length", ctypes.c_int), ("audio_position", ctypes.c_int), ("sample", ctypes.c_int),
                ("user_data", ctypes.c_void_p), ("id", _Union)]


_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))


@dataclass(frozen=True)
class Phone:
    """One phoneme: its IPA symbol (stress marks included), first sample, and which word."""

    symbol: str
    start: int
    word: int


@dataclass
class Speech:
    """Mono speech (float32, -1..1) and its phonemes in time order; a phone ends where the next
    one (or a pause) starts, so ``ends[i]`` is kept alongside."""

    samples: np.ndarray
    rate: int
    phones: list[Phone]
    ends: list[int]


class ESpeak:
    """eSpeak NG, loaded afresh for every utterance.

    The library keeps state in static variables that no call resets (the phase of its glottal
    wave, its pitch flutter), so the same words spoken twice in one process would differ a
    little. A fresh load (dlopen after dlclose, then initialise: about a millisecond) makes
    every utterance depend on its words alone, which keeps renders reproducible.
    """

    _lock = threading.Lock()

    def __init__(self) -> None:
        import espeakng_loader

        self._path = espeakng_loader.get_library_path()
        self._data = espeakng_loader.get_data_path().encode()
        self._chunks: list[np.ndarray] = []
        self._events: list[tuple[int, int, int, str]] = []
        self._callback = _CALLBACK(self._collect)  # kept referenced: the library calls it back
        self.rate = 22050
        self.words_per_minute = SPEAKING_RATE

    def _collect(self, wav: ctypes._Pointer[ctypes.c_short], count: int, events: ctypes._Pointer[_Event]) -> int:
        if count > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(count,)).astype(np.float32) / 32768.0)
        index = 0
        while events[index].type != _EVENT_END:
            event = events[index]
            if event.type in (_EVENT_WORD, _EVENT_PHONEME):
                symbol = event.id.string.decode("utf-8", "replace") if event.type == _EVENT_PHONEME else ""
                self._events.append((event.type, event.sample, event.text_position, symbol))
            index += 1
        return 0

    def speak(self, words: Sequence[str], voice: str, f0: int = 150) -> Speech:
        """``words`` spoken as one phrase by eSpeak voice ``voice`` (e.g. ``en-us+m3``, ``cmn``)
        on a constant ``f0`` Hz."""
        import _ctypes

        text = " ".join(words)
        starts = []  # 1-based character position of each word, as eSpeak reports them
        position = 1
        for word in words:
            starts.append(position)
            position += len(word) + 1
        with self._lock:
            library = ctypes.CDLL(self._path)
            try:
                self.rate = int(library.espeak_Initialize(_SYNCHRONOUS, 0, self._data, _PHONEME_EVENTS_IPA | _DONT_EXIT))
                if self.rate <= 0:
                    raise RuntimeError(f"eSpeak NG could not start (data folder {self._data.decode()})")
                library.espeak_SetSynthCallback(self._callback)
                if library.espeak_SetVoiceByName(voice.encode()) != 0:
                    raise ValueError(f"eSpeak NG has no voice {voice!r}")
                library.espeak_SetParameter(_RATE, self.words_per_minute, 0)
                library.espeak_ng_SetConstF0(f0)
                library.espeak_ng_SetRandSeed(ctypes.c_long(1))  # breath noise: the same seed, the same speech
                self._chunks, self._events = [], []
                encoded = text.encode("utf-8")
                library.espeak_Synth(encoded, len(encoded) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
                library.espeak_Synchronize()
                library.espeak_Terminate()
            finally:
                _ctypes.dlclose(library._handle)
            chunks, events = self._chunks, self._events
        samples = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)
        phones, ends = [], []
        for kind, sample, text_position, symbol in events:
            if kind != _EVENT_PHONEME:
                continue
            if phones and len(ends) < len(phones):
                ends.append(sample)
            if symbol:
                word = max((k for k, s in enumerate(starts) if s <= text_position), default=0)
                phones.append(Phone(symbol, sample, word))
        if len(ends) < len(phones):
            ends.append(len(samples))
        return Speech(samples, self.rate, phones, ends)
