"""Constrained decoding: the character model writes, the form decides what it may write.

English lines are sampled character by character. Each time a word ends, its syllables are
counted: a word that overshoots the line is taken back and resampled from where it began, and a
line may only end when its count is in range and its last word meets the rhyme. A line that must
rhyme with an earlier one ends on a word chosen from the dictionary words the model read in
training that rhyme and fit the syllables left, each scored by the model's own probability of
writing it there, then sampled with the same temperature/top-k/top-p. Chinese lines are sampled
with only Han characters allowed, and the rhyme position restricted to level-tone characters of
the anchor's rhyme group. The finished poem is re-checked by :func:`forms.check`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from engine import MuseError, ParamError

from . import chinese, english
from .checkpoint import LoadedModel
from .forms import LineSpec
from .model import State
from .sampling import filter_logits

LINE_ATTEMPTS = 25
WORD_REJECTIONS = 40
MAX_LINE_CHARS = 160
MAX_STEPS = 1500
FINAL_WORD_SYLLABLES = 2
MAX_CANDIDATES = 300
ENGLISH_PUNCTUATION = ",.;:!?"
SPEAKER_EXCEPTIONS = {"I", "O", "A"}


class LineFailed(Exception):
    """One attempt at a line ran out of room; the caller retries or reports the constraint."""


@dataclass(frozen=True)
class Cursor:
    """The model after some text: next-character logits and the recurrent state. Immutable, so a
    saved cursor is a free backtracking point."""

    logits: torch.Tensor
    state: State


@dataclass
class RhymeNeed:
    """What a line's last word must do: nothing, open a rhyme, or answer one."""

    anchor: str | None = None  # answer: rhyme with this word/character
    opens: bool = False  # open: the last word must have partners to rhyme with later
    used: set[str] = field(default_factory=set)  # words/characters already used as rhymes
    avoid: set[str] = field(default_factory=set)  # rhyme keys taken by other letters


class Decoder:
    """Samples constrained text from one loaded model with one random stream."""

    def __init__(self, loaded: LoadedModel, generator: torch.Generator, temperature: float, top_k: int, top_p: float):
        self.model, self.vocab = loaded.model, loaded.vocab
        self.lexicon = loaded.lexicon
        self.generator = generator
        self.temperature, self.top_k, self.top_p = temperature, top_k, top_p
        chars = self.vocab.chars
        size = len(chars)

        def mask(predicate) -> torch.Tensor:
            return torch.tensor([i > 0 and predicate(c) for i, c in enumerate(chars)], dtype=torch.bool)

        self.letters = mask(lambda c: c.isascii() and c.isalpha())
        self.word_chars = mask(lambda c: (c.isascii() and c.isalpha()) or c in "'")
        self.punctuation = mask(lambda c: c in ENGLISH_PUNCTUATION)
        self.space = mask(lambda c: c == " ")
        self.newline = mask(lambda c: c == "\n")
        self.han = mask(chinese.is_han)
        self.none = torch.zeros(size, dtype=torch.bool)
        self._rhyme_index: english.RhymeIndex | None = None

    # -- the model ---------------------------------------------------------------------------
    @torch.no_grad()
    def feed(self, cursor: Cursor | None, text: str) -> Cursor:
        ids = self.vocab.encode(text)
        logits, state = self.model(ids[None, :], cursor.state if cursor else None)
        return Cursor(logits[0, -1], state)

    def sample(self, cursor: Cursor, allowed: torch.Tensor) -> str | None:
        """One character among ``allowed`` (None when nothing is allowed)."""
        if not bool(allowed.any()):
            return None
        logits = cursor.logits.masked_fill(~allowed, float("-inf"))
        logits = filter_logits(logits, self.temperature, self.top_k, self.top_p)
        choice = int(torch.multinomial(torch.softmax(logits, dim=-1), 1, generator=self.generator))
        return self.vocab.chars[choice]

    @torch.no_grad()
    def score_words(self, cursor: Cursor, words: list[str]) -> torch.Tensor:
        """log P(word, then a non-letter) for each word, continuing from ``cursor``."""
        ids = [self.vocab.encode(w) for w in words]
        width = max(len(i) for i in ids)
        batch = torch.zeros(len(words), width, dtype=torch.long)
        for row, seq in enumerate(ids):
            batch[row, :len(seq)] = seq
        state = cursor.state
        state = tuple(s.expand(-1, len(words), -1).contiguous() for s in state) if isinstance(state, tuple) \
            else state.expand(-1, len(words), -1).contiguous()
        logits, _ = self.model(batch, state)
        logprobs = torch.log_softmax(torch.cat([cursor.logits.expand(len(words), 1, -1), logits], dim=1), dim=-1)
        ending = torch.logsumexp(logprobs[:, :, ~self.word_chars], dim=-1)
        scores = torch.empty(len(words))
        for row, seq in enumerate(ids):
            n = len(seq)
            scores[row] = logprobs[row, torch.arange(n), seq].sum() + ending[row, n]
        return scores

    def choose_word(self, cursor: Cursor, words: list[str]) -> str:
        """Sample one of ``words`` by the model's probability of writing it here."""
        scores = self.score_words(cursor, words[:MAX_CANDIDATES])
        logits = filter_logits(scores, self.temperature, self.top_k, self.top_p)
        return words[int(torch.multinomial(torch.softmax(logits, dim=-1), 1, generator=self.generator))]

    # -- English -------------------------------------------------------------------------------
    @property
    def rhyme_index(self) -> english.RhymeIndex:
        if self._rhyme_index is None:
            alphabet = {c for c in self.vocab.chars if c.isascii() and c.isalpha() and c.islower()}
            self._rhyme_index = english.RhymeIndex(alphabet, self.lexicon)
        return self._rhyme_index

    def _ends_well(self, word: str, need: RhymeNeed) -> bool:
        """May a line end on ``word`` given its rhyme duty?"""
        tokens = english.words_of(word)
        word = tokens[-1] if tokens else ""
        if not word:
            return need.anchor is None and not need.opens
        key = english.rhyme_key(word)
        if need.anchor is not None:
            return english.rhymes(need.anchor, word) and word.lower() not in need.used
        if need.opens:
            return key is not None and key not in need.avoid and self.rhyme_index.can_open(key, word.lower(), need.used)
        return True

    def english_line(self, start: Cursor, spec: LineSpec, need: RhymeNeed, prefix: str = "") -> tuple[str, Cursor]:
        """One line (without its newline) and the cursor after the newline; raises LineFailed."""
        cursor, text = start, prefix
        count = english.line_syllables(prefix)
        # A line answering a rhyme stops its free words where the shortest partner still fits,
        # so the walk always reaches a point where a rhyming last word can be placed.
        cap = spec.high - self._shortest_partner(need) if need.anchor is not None else spec.high
        word, word_cursor, word_at, rejections = "", cursor, len(text), 0
        ending_ok = False  # the line may end after the last finished word
        for _ in range(MAX_STEPS):
            if len(text) > MAX_LINE_CHARS:
                break
            at_word_start = word == "" and (text == "" or text.endswith(" "))
            if at_word_start and (need.anchor is not None or need.opens):
                choice = self._final_word(cursor, spec, need, count)
                if choice:
                    return self._close_english_line(self.feed(cursor, choice), text + choice)
            if at_word_start:
                allowed = self.word_chars if text else self.letters
            elif word:
                allowed = self.word_chars | self.space | self.punctuation | self.newline
            else:  # after a finished word or punctuation
                allowed = self.space | self.punctuation | (self.newline if ending_ok else self.none)
            char = self.sample(cursor, allowed)
            if char is None:
                raise LineFailed("no character fits")
            if char == "'" or (char.isascii() and char.isalpha()):
                if not word:
                    word_cursor, word_at = cursor, len(text)
                word += char
                text += char
                cursor = self.feed(cursor, char)
                continue
            if word:  # the word is finished: does it fit?
                total = count + english.line_syllables(word)
                speaker = word.isupper() and word.strip("'") not in SPEAKER_EXCEPTIONS  # play-script names
                fits = (total <= cap or (total <= spec.high and self._ends_well(word, need))) and not speaker
                ending_ok = fits and total >= spec.low and self._ends_well(word, need)
                if not fits or (total == spec.high and not ending_ok):
                    rejections += 1
                    if rejections > WORD_REJECTIONS:
                        raise LineFailed(f"no word fitted after {WORD_REJECTIONS} tries")
                    cursor, text, word, ending_ok = word_cursor, text[:word_at], "", False
                    continue
                count, word = total, ""
                if char == "\n" and not ending_ok:
                    continue  # finished the word but may not end the line: choose the boundary again
                if total == spec.high and char == " ":
                    return self._close_english_line(cursor, text)
            if char == "\n":
                return text, self.feed(cursor, "\n")
            text += char
            cursor = self.feed(cursor, char)
            if count == spec.high and char in ENGLISH_PUNCTUATION:
                return text, self.feed(cursor, "\n")
            if char == " ":
                ending_ok = False
        raise LineFailed(f"no line ending within {MAX_LINE_CHARS} characters")

    def _shortest_partner(self, need: RhymeNeed) -> int:
        key = english.rhyme_key(need.anchor)
        exclude = need.used | {need.anchor.lower()}
        for size in range(1, FINAL_WORD_SYLLABLES + 1):
            if key and self.rhyme_index.partners(key, range(size, size + 1), exclude):
                return size
        raise LineFailed(f"no word this model knows rhymes with {need.anchor!r}")

    def _close_english_line(self, cursor: Cursor, text: str) -> tuple[str, Cursor]:
        """After the last word: optional punctuation (the model's choice), then the newline."""
        char = self.sample(cursor, self.punctuation | self.newline)
        if char and char != "\n":
            text += char
            cursor = self.feed(cursor, char)
        return text, self.feed(cursor, "\n")

    def _final_word(self, cursor: Cursor, spec: LineSpec, need: RhymeNeed, count: int) -> str | None:
        """A last word that fills the line and meets the rhyme duty, chosen by the model among the
        dictionary words it read in training; None when none fits here (free sampling goes on)."""
        left = spec.high - count
        if not 1 <= left <= FINAL_WORD_SYLLABLES:
            return None
        sizes = range(max(1, spec.low - count), left + 1)
        if need.anchor is not None:
            key = english.rhyme_key(need.anchor)
            words = self.rhyme_index.partners(key, sizes, need.used | {need.anchor.lower()}) if key else []
        else:
            words = self.rhyme_index.openers(sizes, need.avoid, need.used)
        return self.choose_word(cursor, words[:MAX_CANDIDATES]) if words else None

    # -- Chinese -------------------------------------------------------------------------------
    def chinese_line(self, start: Cursor, spec: LineSpec, need: RhymeNeed, prefix: str = "",
                     free_length: bool = False) -> tuple[str, Cursor]:
        """One line of Han characters closed by its punctuation; the rhyme decides the last character."""
        cursor, text = start, prefix
        while len(text) < spec.high:
            allowed = self.han
            last = len(text) == spec.high - 1
            if free_length and len(text) >= spec.low:
                allowed = allowed | self._mask_of("，。")
            if last and need.anchor is not None:
                allowed = allowed & self._chinese_partners(need)
            elif last and need.opens:
                allowed = allowed & self._chinese_openers(need)
            char = self.sample(cursor, allowed)
            if char is None:
                raise LineFailed("no character fits the rhyme")
            cursor = self.feed(cursor, char)
            if char in "，。":
                return text + char, cursor
            text += char
        end = spec.end or "。"
        return text + end, self.feed(cursor, end)

    def _mask_of(self, chars: str) -> torch.Tensor:
        allowed = self.none.clone()
        for c in chars:
            if c in self.vocab:
                allowed[self.vocab.index[c]] = True
        return allowed

    def _chinese_partners(self, need: RhymeNeed) -> torch.Tensor:
        group = chinese.rhyme_group(need.anchor)
        return self._chinese_mask(lambda c: chinese.rhyme_group(c) == group and chinese.is_level(c)
                                  and c != need.anchor and c not in need.used)

    def _chinese_openers(self, need: RhymeNeed) -> torch.Tensor:
        sizes: dict[str, int] = {}
        for c in self.vocab.chars:
            if chinese.is_han(c) and chinese.is_level(c):
                group = chinese.rhyme_group(c)
                sizes[group] = sizes.get(group, 0) + 1
        return self._chinese_mask(lambda c: chinese.is_level(c) and sizes.get(chinese.rhyme_group(c), 0) >= 3
                                  and chinese.rhyme_group(c) not in need.avoid)

    def _chinese_mask(self, predicate) -> torch.Tensor:
        return torch.tensor([i > 0 and chinese.is_han(c) and predicate(c) for i, c in enumerate(self.vocab.chars)],
                            dtype=torch.bool)


def check_prime(loaded: LoadedModel, prime: str) -> None:
    """Refuse a prime the model cannot read, naming the characters."""
    unseen = loaded.vocab.unseen(prime)
    if unseen:
        shown = ", ".join(repr(c) for c in unseen[:10])
        raise ParamError(f"prime has characters this model never saw in training: {shown}")


def write_poem(decoder: Decoder, specs: tuple[LineSpec, ...], language: str, prime: str, form: str) -> list[str]:
    """All lines of the poem, each meeting its spec, or a MuseError naming the line and constraint."""
    cursor = decoder.feed(None, "\n")
    lines: list[str] = []
    anchors: dict[str, str] = {}
    for number, spec in enumerate(specs, 1):
        need = RhymeNeed()
        if spec.rhyme:
            if spec.rhyme in anchors:
                need.anchor = anchors[spec.rhyme]
            else:
                need.opens = True
            letters_used = {k: v for k, v in anchors.items() if k != spec.rhyme}
            need.used = {w.lower() for w in anchors.values()} | {_last_unit(l, language).lower() for l in lines}
            need.avoid = {(chinese.rhyme_group(w) if language == "zh" else english.rhyme_key(w)) for w in letters_used.values()}
        prefix = prime if number == 1 else ""
        last_error = ""
        for _ in range(LINE_ATTEMPTS):
            try:
                if language == "zh":
                    start = decoder.feed(cursor, prefix) if prefix else cursor
                    line, after = decoder.chinese_line(start, spec, need, prefix, free_length=form == "free")
                else:
                    start = decoder.feed(cursor, prefix) if prefix else cursor
                    line, after = decoder.english_line(start, spec, need, prefix)
                break
            except LineFailed as failure:
                last_error = str(failure)
        else:
            raise MuseError(f"form={form}: line {number} could not meet its constraint ({describe(spec, need, language)}) "
                            f"in {LINE_ATTEMPTS} tries: {last_error}; try another seed or a higher temperature")
        lines.append(line)
        cursor = after
        if spec.rhyme and spec.rhyme not in anchors:
            anchors[spec.rhyme] = _last_unit(line, language)
    if language != "zh" and lines and not lines[-1].endswith((".", "!", "?")):
        lines[-1] = lines[-1].rstrip(ENGLISH_PUNCTUATION) + "."  # a poem ends, it does not trail off on a comma
    return lines


def _last_unit(line: str, language: str) -> str:
    if language == "zh":
        han = [c for c in line if chinese.is_han(c)]
        return han[-1] if han else ""
    words = english.words_of(line)
    return words[-1] if words else ""


def describe(spec: LineSpec, need: RhymeNeed, language: str) -> str:
    unit = "characters" if language == "zh" else "syllables"
    size = str(spec.low) if spec.low == spec.high else f"{spec.low}-{spec.high}"
    rhyme = f", rhyming with {need.anchor!r}" if need.anchor else (", ending on a rhymable word" if need.opens else "")
    return f"{size} {unit}{rhyme}"
