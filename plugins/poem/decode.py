"""Constrained decoding: the character model writes, the form decides what it may write.

**English.** Lines are sampled character by character, but only letters that continue a word of
the lexicon (english.Lexicon: the training words the CMU dictionary pronounces) *and* lead to a
word that fits the metre where it would stand are allowed; a word may only end where it is a
whole word that fits. The line's position in its metre is a set of live states (template,
syllables so far), one per licence still possible (feminine ending, initial inversion) and per
pronunciation, so no word is ever taken back. A line that rhymes ends on a word chosen from the
lexicon words that rhyme (a true rhyme, or a slant one with ``rhyme=slant``) and fill exactly the
positions left, scored by the model's own probability of writing each there, then sampled with
the same temperature/top-k/top-p. Free words stop where such a rhyme word still fits.

**Chinese.** Lines are sampled with only Han characters allowed that keep one of the four tonal
patterns still open (格律: 平起/仄起, first line rhymed or not; the first line's choices settle
the pattern, and the pattern holds 粘 and 对), on free positions (一三五不論) any tone, and on
rhyme positions level characters of the anchor's rhyme group (中華新韻).

**Bounded search.** A line gets ``LINE_ATTEMPTS`` tries, a poem ``POEM_ATTEMPTS``; then the
decoder gives up with one line saying which line and which constraint. The finished poem is
re-checked by :func:`forms.check`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from engine import MuseError, ParamError

from . import chinese, english
from .checkpoint import LoadedModel
from .forms import LineSpec, weak_mask
from .model import State
from .sampling import filter_logits

LINE_ATTEMPTS = 10
POEM_ATTEMPTS = 3
MAX_LINE_CHARS = 160
FINAL_WORD_SYLLABLES = 3
MAX_CANDIDATES = 200
OPENER_POOL = 600
ENGLISH_PUNCTUATION = ",.;:!?"
LOWER_FORBIDDEN = {"i", "o"}  # written I and O


class LineFailed(Exception):
    """One attempt at a line ran out of room; the caller retries or reports the constraint.
    ``final``: no retry of this line can do better (nothing rhymes), so the poem starts over."""

    def __init__(self, message: str, final: bool = False):
        super().__init__(message)
        self.final = final


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
    used: set[str] = field(default_factory=set)  # words/characters already used as line ends
    avoid: list[str] = field(default_factory=list)  # the anchors of other rhyme letters
    partners_needed: int = 1  # lines still to answer this rhyme after this one
    mode: str = "perfect"


class EnglishTables:
    """What one model's English decoding reuses across poems: the lexicon with its patterns as
    tensors, and the fit tables per metrical state (cached)."""

    def __init__(self, lexicon: english.Lexicon):
        self.lexicon = lexicon
        self.pattern_word = torch.tensor(lexicon.pattern_word, dtype=torch.long)
        self.pattern_length = torch.tensor(lexicon.pattern_length, dtype=torch.long)
        self.pattern_strong = torch.tensor(lexicon.pattern_strong, dtype=torch.long)
        self.patterns: dict[str, tuple[tuple[int, int], ...]] = {}
        for i, n, strong in zip(lexicon.pattern_word, lexicon.pattern_length, lexicon.pattern_strong):
            word = lexicon.words[i]
            self.patterns[word] = self.patterns.get(word, ()) + ((n, strong),)
        self._fit: dict[frozenset, list[int]] = {}
        self._tails: dict[str, list[str]] = {}
        self._openers: dict[tuple[str, str, int], list[tuple[str, list[str]]]] = {}

    def fit_table(self, states: frozenset) -> list[int]:
        """Prefix counts of the lexicon words that fit one of ``states`` ((template, syllables so
        far, furthest the word may reach)): words [lo, hi) hold a fitting one iff t[hi] > t[lo]."""
        table = self._fit.get(states)
        if table is None:
            ok = torch.zeros(len(self.pattern_word), dtype=torch.bool)
            for template, at, limit in states:
                shifted = torch.bitwise_left_shift(self.pattern_strong, at)
                ok |= (self.pattern_length + at <= limit) & (torch.bitwise_and(shifted, weak_mask(template)) == 0)
            words = torch.zeros(len(self.lexicon), dtype=torch.long).index_add_(0, self.pattern_word, ok.long()) > 0
            table = [0] + torch.cumsum(words.long(), 0).tolist()
            if len(self._fit) > 5000:
                self._fit.clear()
            self._fit[states] = table
        return table

    def tail_words(self, tail: str) -> list[str]:
        """Lexicon words (most frequent first) that fill exactly the positions ``tail``."""
        if tail not in self._tails:
            ok = (self.pattern_length == len(tail)) & (torch.bitwise_and(self.pattern_strong, weak_mask(tail)) == 0)
            indices = sorted(set(self.pattern_word[ok].tolist()), key=lambda i: self.lexicon.rank[i])
            self._tails[tail] = [self.lexicon.words[i] for i in indices if self.fills(self.lexicon.words[i], tail)]
        return self._tails[tail]

    def openers(self, tail: str, mode: str, needed: int) -> list[tuple[str, list[str]]]:
        """Words that can open a rhyme on ``tail`` (most frequent first, at most OPENER_POOL), each
        with its partners that can end an answering line on the same positions (at least
        ``needed`` + 1 of them, so one may be used up elsewhere)."""
        key = (tail, mode, needed)
        if key not in self._openers:
            found = []
            for word in self.tail_words(tail):
                if not english.endings(word) or word in english.FUNCTION_WORDS:
                    continue
                partners = [p for p in self.lexicon.partners(word, mode)
                            if self.fills(p, tail) and p not in english.FUNCTION_WORDS]
                if len(partners) >= needed:
                    found.append((word, partners))
                    if len(found) >= OPENER_POOL:
                        break
            self._openers[key] = found
        return self._openers[key]

    def fills(self, word: str, tail: str) -> bool:
        """May ``word`` end a line on the positions ``tail`` (english.ends_line)?"""
        return any(english.ends_line(p, tail) for p in english.stress_patterns(word)[:1])


_TABLES: dict[tuple[str, str], EnglishTables] = {}
_CHINESE: dict[str, dict[str, torch.Tensor]] = {}


def english_tables(loaded: LoadedModel) -> EnglishTables:
    alphabet = "".join(sorted({c for c in loaded.vocab.chars if c.isascii() and c.isalpha() and c.islower()}))
    key = (loaded.sha256, alphabet)
    if key not in _TABLES:
        _TABLES[key] = EnglishTables(english.Lexicon(loaded.lexicon, set(alphabet)))
    return _TABLES[key]


class Decoder:
    """Samples constrained text from one loaded model with one random stream."""

    def __init__(self, loaded: LoadedModel, generator: torch.Generator, temperature: float, top_k: int, top_p: float):
        self.loaded = loaded
        self.model, self.vocab = loaded.model, loaded.vocab
        self.generator = generator
        self.temperature, self.top_k, self.top_p = temperature, top_k, top_p
        chars = self.vocab.chars
        size = len(chars)

        def mask(predicate) -> torch.Tensor:
            return torch.tensor([i > 0 and predicate(c) for i, c in enumerate(chars)], dtype=torch.bool)

        self.punctuation = mask(lambda c: c in ENGLISH_PUNCTUATION)
        self.space = mask(lambda c: c == " ")
        self.newline = mask(lambda c: c == "\n")
        self.none = torch.zeros(size, dtype=torch.bool)
        self.letter_id = {c: i for i, c in enumerate(chars) if i > 0 and c.isascii() and c.isalpha()}
        self._tables: EnglishTables | None = None

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
        word_chars = torch.zeros(len(self.vocab), dtype=torch.bool)
        word_chars[list(self.letter_id.values())] = True
        ending = torch.logsumexp(logprobs[:, :, ~word_chars], dim=-1)
        scores = torch.empty(len(words))
        for row, seq in enumerate(ids):
            n = len(seq)
            scores[row] = logprobs[row, torch.arange(n), seq].sum() + ending[row, n]
        return scores

    def choose_word(self, cursor: Cursor, words: list[str]) -> str:
        """Sample one of ``words`` by the model's probability of writing it here."""
        words = words[:MAX_CANDIDATES]
        scores = self.score_words(cursor, words)
        logits = filter_logits(scores, self.temperature, self.top_k, self.top_p)
        return words[int(torch.multinomial(torch.softmax(logits, dim=-1), 1, generator=self.generator))]

    # -- English -------------------------------------------------------------------------------
    @property
    def tables(self) -> EnglishTables:
        if self._tables is None:
            self._tables = english_tables(self.loaded)
        return self._tables

    def _final_candidates(self, tail: str, need: RhymeNeed) -> list[str]:
        """Words that may end a rhyming line on the positions ``tail``: partners of the anchor, or
        openers (words with enough unused partners, on a sound no other rhyme letter uses)."""
        tables, lexicon = self.tables, self.tables.lexicon
        if need.anchor is not None:
            return [w for w in lexicon.partners(need.anchor, need.mode)
                    if w not in need.used and w not in english.FUNCTION_WORDS and tables.fills(w, tail)]
        found = []
        for word, partners in tables.openers(tail, need.mode, need.partners_needed):
            if word in need.used or len([p for p in partners if p not in need.used]) < need.partners_needed:
                continue
            if any(english.rhymes(word, other, need.mode) or english.rhyme_key(word) == english.rhyme_key(other)
                   for other in need.avoid):
                continue
            found.append(word)
            if len(found) >= MAX_CANDIDATES:
                break
        return found

    def english_line(self, start: Cursor, spec: LineSpec, need: RhymeNeed, prefix: str = "") -> tuple[str, Cursor]:
        """One line (without its newline) and the cursor after the newline; raises LineFailed."""
        tables, lexicon = self.tables, self.tables.lexicon
        duty = need.anchor is not None or need.opens
        candidates: dict[str, list[str]] = {}

        def finals(tail: str) -> list[str]:
            if tail not in candidates:
                candidates[tail] = self._final_candidates(tail, need)
            return candidates[tail]

        limits: dict[str, int] = {}
        good: dict[str, set[int]] = {}
        for template in spec.templates:
            if duty:
                offsets = {k for k in range(max(0, len(template) - FINAL_WORD_SYLLABLES), len(template))
                           if finals(template[k:])}
                if offsets:
                    limits[template], good[template] = max(offsets), offsets
            else:
                limits[template] = len(template)
        if not limits:
            what = f"rhymes with {need.anchor!r}" if need.anchor else "can open a rhyme"
            raise LineFailed(f"no word this model knows {what} and ends the metre", final=True)
        states = {(t, 0) for t in limits}
        for word in english.words_of(prefix):
            states = {(t, k + n) for t, k in states for n, strong in english.metrical_patterns(word)
                      if k + n <= limits[t] and not (strong << k) & weak_mask(t)}
        if not states:
            raise LineFailed("the prime does not fit the metre", final=True)

        cursor, text, word = start, prefix, ""
        for _ in range(4 * MAX_LINE_CHARS):
            if len(text) > MAX_LINE_CHARS:
                break
            at_start = word == "" and (text == "" or text.endswith(" "))
            sentence = text.rstrip() == "" or text.rstrip()[-1] in ".!?"  # the next word takes a capital
            if at_start and duty:
                tails = {t[k:] for t, k in states if k in good[t]}
                # at the furthest rhyme point the rhyme word comes; before it, a coin decides, so
                # long rhyme words are not favoured just by being reachable first
                last = any(k == limits[t] for t, k in states if k in good[t])
                if tails and (last or torch.rand((), generator=self.generator) < 0.5):
                    words = list(dict.fromkeys(w for tail in sorted(tails) for w in finals(tail)))
                    choice = self.choose_word(cursor, words)
                    choice = choice.capitalize() if sentence else choice
                    return self._close_english_line(self.feed(cursor, choice), text + choice)
            if at_start or word:
                fit = tables.fit_table(frozenset((t, k, limits[t]) for t, k in states))
                allowed = self.none.clone()
                for letter, lo, hi in lexicon.children(word.lower()):
                    if fit[hi] > fit[lo]:
                        if not word:
                            upper = self.letter_id.get(letter.upper())
                            if upper is not None:
                                allowed[upper] = True
                            if not sentence and letter in self.letter_id:
                                allowed[self.letter_id[letter]] = True
                        elif letter in self.letter_id:
                            allowed[self.letter_id[letter]] = True
                after: set[tuple[str, int]] = set()
                if word and word.lower() in lexicon and word not in LOWER_FORBIDDEN:
                    after = {(t, k + n) for t, k in states for n, strong in tables.patterns[word.lower()]
                             if k + n <= limits[t] and not (strong << k) & weak_mask(t)}
                if after:
                    complete = any(k == len(t) for t, k in after)
                    if any(k < len(t) for t, k in after):
                        allowed |= self.space
                    allowed |= self.punctuation
                    if complete:
                        allowed |= self.newline
            else:  # after punctuation
                allowed = (self.space if any(k < len(t) for t, k in states) else self.none) | \
                    (self.newline if any(k == len(t) for t, k in states) else self.none)
            char = self.sample(cursor, allowed)
            if char is None:
                raise LineFailed("no word fits the metre here")
            cursor = self.feed(cursor, char)
            if char.isalpha():
                word += char
                text += char
                continue
            if word:
                states, word = after, ""
            if char == "\n":
                return text, cursor
            text += char
            if char == " ":
                states = {(t, k) for t, k in states if k < len(t)}
        raise LineFailed(f"no line ending within {MAX_LINE_CHARS} characters")

    def _close_english_line(self, cursor: Cursor, text: str) -> tuple[str, Cursor]:
        """After the last word: optional punctuation (the model's choice), then the newline."""
        char = self.sample(cursor, self.punctuation | self.newline)
        if char and char != "\n":
            text += char
            cursor = self.feed(cursor, char)
        return text, self.feed(cursor, "\n")

    # -- Chinese -------------------------------------------------------------------------------
    @property
    def masks(self) -> dict[str, torch.Tensor]:
        """Han characters of the vocabulary by tone (平, 仄) and all with a reading (any)."""
        key = self.vocab.chars
        if key not in _CHINESE:
            chars = self.vocab.chars
            tones = [chinese.tone(c) if i > 0 and chinese.is_han(c) else None for i, c in enumerate(chars)]
            _CHINESE.clear()
            _CHINESE[key] = {"平": torch.tensor([t == "平" for t in tones]), "仄": torch.tensor([t == "仄" for t in tones]),
                             "any": torch.tensor([t is not None for t in tones]),
                             "han": torch.tensor([i > 0 and chinese.is_han(c) for i, c in enumerate(chars)])}
        return _CHINESE[key]

    def chinese_line(self, start: Cursor, spec: LineSpec, need: RhymeNeed, prefix: str = "",
                     free_length: bool = False) -> tuple[str, Cursor]:
        """A line of free Chinese verse: Han characters closed by its punctuation, no tones."""
        cursor, text = start, prefix
        while len(text) < spec.high:
            allowed = self.masks["han"]
            if free_length and len(text) >= spec.low:
                allowed = allowed | self._mask_of("，。")
            char = self.sample(cursor, allowed)
            if char is None:
                raise LineFailed("no character fits")
            cursor = self.feed(cursor, char)
            if char in "，。":
                return text + char, cursor
            text += char
        end = spec.end or "。"
        return text + end, self.feed(cursor, end)

    def jueju_line(self, start: Cursor, number: int, patterns: list[chinese.TonalPattern], anchor: str | None,
                   used: set[str], prefix: str = "") -> tuple[str, Cursor, list[chinese.TonalPattern]]:
        """Line ``number`` (0-3) of a jueju in one of ``patterns``; returns the line with its
        punctuation, the cursor after it, and the patterns it keeps."""
        size = len(patterns[0].lines[0])
        cursor, text, live = start, prefix, list(patterns)
        for i, char in enumerate(prefix):
            live = [p for p in live if p.free[number][i] or chinese.tone(char) == p.lines[number][i]]
        if not live:
            raise LineFailed("the prime keeps none of the tonal patterns")
        while len(text) < size:
            i = len(text)
            options = [(p, self._position_mask(p, number, i, anchor, used)) for p in live]
            allowed = self.none.clone()
            for _, m in options:
                allowed |= m
            char = self.sample(cursor, allowed)
            if char is None:
                raise LineFailed("no character keeps the tonal pattern and the rhyme")
            index = self.vocab.index[char]
            live = [p for p, m in options if m[index]]
            cursor = self.feed(cursor, char)
            text += char
        end = "，" if number % 2 == 0 else "。"
        return text + end, self.feed(cursor, end), live

    def _position_mask(self, pattern: chinese.TonalPattern, number: int, i: int, anchor: str | None,
                       used: set[str]) -> torch.Tensor:
        masks = self.masks
        last = i == len(pattern.lines[number]) - 1
        rhymes = last and (number in (1, 3) or (number == 0 and pattern.first_rhymes))
        if rhymes:
            return self._chinese_partners(anchor, used) if anchor else self._chinese_openers(used)
        if pattern.free[number][i]:
            return masks["any"]
        return masks[pattern.lines[number][i]]

    def _mask_of(self, chars: str) -> torch.Tensor:
        allowed = self.none.clone()
        for c in chars:
            if c in self.vocab:
                allowed[self.vocab.index[c]] = True
        return allowed

    def _chinese_partners(self, anchor: str, used: set[str]) -> torch.Tensor:
        group = chinese.rhyme_group(anchor)
        return self._chinese_mask(lambda c: chinese.rhyme_group(c) == group and chinese.is_level(c)
                                  and c != anchor and c not in used)

    def _chinese_openers(self, used: set[str]) -> torch.Tensor:
        sizes: dict[str, int] = {}
        for c in self.vocab.chars:
            if chinese.is_han(c) and chinese.is_level(c):
                group = chinese.rhyme_group(c)
                sizes[group] = sizes.get(group, 0) + 1
        return self._chinese_mask(lambda c: chinese.is_level(c) and sizes.get(chinese.rhyme_group(c), 0) >= 3
                                  and c not in used)

    def _chinese_mask(self, predicate) -> torch.Tensor:
        return torch.tensor([i > 0 and chinese.is_han(c) and predicate(c) for i, c in enumerate(self.vocab.chars)],
                            dtype=torch.bool)


def check_prime(loaded: LoadedModel, prime: str) -> None:
    """Refuse a prime the model cannot read, naming the characters."""
    unseen = loaded.vocab.unseen(prime)
    if unseen:
        shown = ", ".join(repr(c) for c in unseen[:10])
        raise ParamError(f"prime has characters this model never saw in training: {shown}")


def _line_needs(specs: tuple[LineSpec, ...], lines: list[str], anchors: dict[str, str], number: int,
                mode: str) -> RhymeNeed:
    spec = specs[number]
    need = RhymeNeed(mode=mode)
    if spec.rhyme:
        if spec.rhyme in anchors:
            need.anchor = anchors[spec.rhyme]
        else:
            need.opens = True
            need.partners_needed = sum(1 for s in specs[number + 1:] if s.rhyme == spec.rhyme)
        need.used = {w.lower() for w in anchors.values()} | {_last_unit(line, "en").lower() for line in lines}
        need.avoid = [w for k, w in anchors.items() if k != spec.rhyme]
    return need


def write_poem(decoder: Decoder, specs: tuple[LineSpec, ...], language: str, prime: str, form: str,
               rhyme: str = "perfect") -> list[str]:
    """All lines of the poem, each meeting its spec, or a MuseError naming the line and constraint."""
    if form in ("jueju5", "jueju7"):
        return write_jueju(decoder, 5 if form == "jueju5" else 7, prime, form)
    failure = ""
    for _ in range(POEM_ATTEMPTS):
        try:
            return _write_once(decoder, specs, language, prime, form, rhyme)
        except _PoemFailed as failed:
            failure = str(failed)
    raise MuseError(f"form={form}: {failure} (gave up after {POEM_ATTEMPTS} poems of {LINE_ATTEMPTS} tries a line); "
                    f"try another seed or a higher temperature")


class _PoemFailed(Exception):
    pass


def _write_once(decoder: Decoder, specs: tuple[LineSpec, ...], language: str, prime: str, form: str,
                rhyme: str) -> list[str]:
    cursor = decoder.feed(None, "\n")
    lines: list[str] = []
    anchors: dict[str, str] = {}
    for number, spec in enumerate(specs):
        need = _line_needs(specs, lines, anchors, number, rhyme) if language != "zh" else RhymeNeed()
        prefix = prime if number == 0 else ""
        last_error = ""
        for _ in range(LINE_ATTEMPTS):
            try:
                start = decoder.feed(cursor, prefix) if prefix else cursor
                if language == "zh":
                    line, after = decoder.chinese_line(start, spec, need, prefix, free_length=True)
                else:
                    line, after = decoder.english_line(start, spec, need, prefix)
                break
            except LineFailed as failure:
                last_error = str(failure)
                if failure.final:
                    raise _PoemFailed(f"line {number + 1} could not meet its constraint "
                                      f"({describe(spec, need, language)}): {last_error}") from None
        else:
            raise _PoemFailed(f"line {number + 1} could not meet its constraint ({describe(spec, need, language)}): "
                              f"{last_error}")
        lines.append(line)
        cursor = after
        if spec.rhyme and spec.rhyme not in anchors:
            anchors[spec.rhyme] = _last_unit(line, language)
    if language != "zh" and lines and not lines[-1].endswith((".", "!", "?")):
        lines[-1] = lines[-1].rstrip(ENGLISH_PUNCTUATION) + "."  # a poem ends, it does not trail off on a comma
    return lines


def write_jueju(decoder: Decoder, size: int, prime: str, form: str) -> list[str]:
    """Four lines in one of the four tonal patterns, the rhyme on level characters of one group."""
    failure = ""
    for _ in range(POEM_ATTEMPTS):
        cursor = decoder.feed(None, "\n")
        live = list(chinese.tonal_patterns(size))
        lines: list[str] = []
        anchor: str | None = None
        try:
            for number in range(4):
                start = decoder.feed(cursor, prime) if number == 0 and prime else cursor
                last_error = ""
                for _ in range(LINE_ATTEMPTS):
                    try:
                        line, after, kept = decoder.jueju_line(start, number, live, anchor, set(lines_ends(lines)),
                                                               prime if number == 0 else "")
                        break
                    except LineFailed as failed:
                        last_error = str(failed)
                else:
                    raise _PoemFailed(f"line {number + 1} could not keep its tonal pattern and rhyme: {last_error}")
                lines.append(line)
                live, cursor = kept, after
                if anchor is None and (number == 1 or (number == 0 and all(p.first_rhymes for p in live))):
                    anchor = line[-2]
            return lines
        except _PoemFailed as failed:
            failure = str(failed)
    raise MuseError(f"form={form}: {failure} (gave up after {POEM_ATTEMPTS} poems of {LINE_ATTEMPTS} tries a line); "
                    f"try another seed or a higher temperature")


def lines_ends(lines: list[str]) -> list[str]:
    return [line[-2] for line in lines if len(line) >= 2]


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
