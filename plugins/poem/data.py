"""Reading a UTF-8 corpus, its character vocabulary, the train/validation split and batches.

Any UTF-8 text works: a file, or a folder whose files matching ``pattern`` are read in name order.
Each file is split on its own (first 90% train, last 10% validation), so the validation part of
tiny Shakespeare is exactly "the last 10%" that char-rnn and nanoGPT report on.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Iterator

import torch

from engine import BadInput

#: Stands for characters too rare to learn; never sampled.
UNKNOWN = "\ufffd"


def read_text(path: Path) -> str:
    """One file as text with ``\\n`` line ends, or a clear error for empty or binary files."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise BadInput(f"{path}: cannot read ({error.strerror or error})") from None
    if not raw.strip():
        raise BadInput(f"{path}: the corpus file is empty")
    if b"\x00" in raw:
        raise BadInput(f"{path}: looks like a binary file (it contains NUL bytes); give UTF-8 text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise BadInput(f"{path}: not UTF-8 text (bad byte at offset {error.start}); give UTF-8 text") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def corpus_files(path: Path, pattern: str = "*.txt") -> list[Path]:
    """The files a ``--data`` path stands for: itself, or a folder's files matching ``pattern``."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise BadInput(f"{path}: no such file or folder")
    files = sorted(p for p in path.glob(pattern) if p.is_file())
    if not files:
        raise BadInput(f"{path}: no files match {pattern!r}")
    return files


@dataclass
class Split:
    """Training text (all files joined) and each file's held-out validation tail."""

    train: str
    validation: list[str]


def split_corpus(texts: list[str], holdout: float) -> Split:
    """First ``1 - holdout`` of every text trains; the rest validates."""
    train, validation = [], []
    for text in texts:
        cut = int(len(text) * (1.0 - holdout))
        train.append(text[:cut])
        if cut < len(text):
            validation.append(text[cut:])
    return Split("\n".join(train), validation)


class Vocabulary:
    """Characters <-> ids. Id 0 is :data:`UNKNOWN`, for characters seen fewer than ``min_count`` times."""

    def __init__(self, chars: str):
        if not chars or chars[0] != UNKNOWN:
            chars = UNKNOWN + chars.replace(UNKNOWN, "")
        self.chars = chars
        self.index = {c: i for i, c in enumerate(chars)}

    @classmethod
    def build(cls, text: str, min_count: int = 1) -> Vocabulary:
        counts = Counter(text)
        return cls(UNKNOWN + "".join(sorted(c for c, n in counts.items() if n >= min_count and c != UNKNOWN)))

    def __len__(self) -> int:
        return len(self.chars)

    def __contains__(self, char: str) -> bool:
        return char in self.index and char != UNKNOWN

    def encode(self, text: str) -> torch.Tensor:
        return torch.tensor([self.index.get(c, 0) for c in text], dtype=torch.long)

    def decode(self, ids: list[int]) -> str:
        return "".join(self.chars[i] for i in ids)

    def unseen(self, text: str) -> list[str]:
        """Characters of ``text`` this vocabulary cannot produce, in order of first appearance."""
        return list(dict.fromkeys(c for c in text if c not in self))

    def to_tensor(self) -> torch.Tensor:
        """The vocabulary as code points, to store inside a safetensors checkpoint."""
        return torch.tensor([ord(c) for c in self.chars], dtype=torch.int32)

    @classmethod
    def from_tensor(cls, codes: torch.Tensor) -> Vocabulary:
        return cls("".join(chr(int(c)) for c in codes.tolist()))


def corpus_words(text: str, min_count: int = 2) -> list[str]:
    """Lower-case words (letters only) seen at least ``min_count`` times, most frequent first."""
    counts = Counter(re.findall(r"[a-z]+", text.lower()))
    return [w for w, n in counts.most_common() if n >= min_count]


def window_batches(ids: torch.Tensor, seq_len: int, batch_size: int, steps: int, seed: int, epoch: int
                   ) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """``steps`` batches of random windows (inputs, next-character targets), the same for the same seed and epoch."""
    generator = torch.Generator().manual_seed(seed * 100_003 + epoch)
    span = torch.arange(seq_len + 1)
    for _ in range(steps):
        starts = torch.randint(0, len(ids) - seq_len, (batch_size,), generator=generator)
        windows = ids[starts[:, None] + span]
        yield windows[:, :-1], windows[:, 1:]
