"""Where tunes come from: files and folders, music21's bundled corpora, and manifests of several.

A *source* is a MIDI or ABC file, a folder of them, or ``music21:NAME`` (optionally
``music21:NAME/GLOB``): a collection that ships inside the music21 package, read in place and
never copied. A *manifest* (a ``.sources`` file) lists sources one a line, ``#`` starting a
comment, relative paths read from the manifest's folder; ``muse train melody --data
corpus.sources`` then trains on all of them.

music21 parses ABC at about ten tunes a second, so the tunes parsed from each ABC file are
cached as JSON under ``$MUSE_CACHE`` (default ``~/.cache/muse``), keyed by the file's bytes and
the reader's version: the second run over the same files reads them in a second, and the result
is the same tunes either way.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from engine import BadInput
from engine.theory import Key
from engine.io import file_sha256
from engine.training import data_fingerprint

from .data import ABC_SUFFIXES, MIDI_SUFFIXES, MIN_EVENTS, read_abc, read_midi
from .events import PART_BARS, Meter, Tune
from .form import MAX_PARTS

MUSIC21_PREFIX = "music21:"
MANIFEST_SUFFIX = ".sources"
#: Bump when read_abc changes what it makes of a file, so stale cached tunes are never read.
READER_VERSION = 3
#: The longest tune read (the longest the generator writes). music21 sometimes expands nested
#: repeats and endings into thousands of bars (an O'Neill reel came out as 9,286 bars); padded
#: to such a length, a corpus's training tensors need tens of gigabytes.
MAX_TUNE_BARS = MAX_PARTS * PART_BARS


@dataclass
class Corpus:
    """Tunes read from one or more sources, with what was skipped or simplified on the way."""

    tunes: list[Tune]
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = [f"{len(self.tunes)} tunes"]
        if self.skipped:
            parts.append(f"{len(self.skipped)} skipped (first: {self.skipped[0]})")
        if self.notes:
            parts.append(f"{len(self.notes)} simplified (first: {self.notes[0]})")
        return "; ".join(parts)

    def extend(self, other: Corpus) -> None:
        self.tunes += other.tunes
        self.skipped += other.skipped
        self.notes += other.notes


# -- sources -------------------------------------------------------------------------------------
def source_files(spec: str | Path) -> list[Path]:
    """The files one source names (a manifest is not a source: see :func:`sources`)."""
    text = str(spec)
    if text.startswith(MUSIC21_PREFIX):
        return _music21_files(text[len(MUSIC21_PREFIX):])
    path = Path(text).expanduser()
    if path.is_file():
        return [path]
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")
                      and p.suffix.lower() in MIDI_SUFFIXES + ABC_SUFFIXES)
    raise BadInput(f"{text}: no such file or folder (nor a music21:NAME corpus)")


def _music21_files(name: str) -> list[Path]:
    try:
        import music21
    except ImportError:
        raise BadInput(f"music21:{name} needs music21 (pip install music21)") from None
    corpus_name, _, pattern = name.partition("/")
    root = Path(music21.__file__).parent / "corpus"
    folders = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("_"))
    if corpus_name not in folders:
        raise BadInput(f"music21:{corpus_name} is not a corpus bundled with music21; choose one of {', '.join(folders)}")
    files = sorted(p for p in (root / corpus_name).rglob("*.abc") if fnmatch.fnmatch(p.name, pattern or "*"))
    if not files:
        raise BadInput(f"music21:{name}: no ABC files match {pattern!r}")
    return files


def sources(path: str | Path) -> list[str]:
    """The sources a ``--data`` value names: the lines of a manifest, or the value itself."""
    text = str(path)
    if not text.endswith(MANIFEST_SUFFIX):
        return [text]
    manifest = Path(text).expanduser()
    if not manifest.is_file():
        raise BadInput(f"{manifest}: no such manifest")
    found = []
    for line in manifest.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        found.append(line if line.startswith(MUSIC21_PREFIX) else str(manifest.parent / Path(line).expanduser()))
    if not found:
        raise BadInput(f"{manifest}: lists no sources (one path or music21:NAME a line)")
    return found


def fingerprint(path: str | Path) -> str:
    """A sha256 over every file of every source, so a checkpoint says exactly what it saw."""
    digest = hashlib.sha256()
    for spec in sources(path):
        for file in source_files(spec):
            digest.update(data_fingerprint(file).encode())
    return digest.hexdigest()


# -- loading -------------------------------------------------------------------------------------
def load_corpus(path: str | Path) -> Corpus:
    """Tunes from a file, a folder, a ``music21:`` corpus or a ``.sources`` manifest of several."""
    corpus = Corpus([])
    for spec in sources(path):
        files = source_files(spec)
        single = len(files) == 1 and Path(spec).is_file()
        for file in files:
            suffix = file.suffix.lower()
            if suffix in MIDI_SUFFIXES:
                corpus.extend(_midi_corpus(file))
            elif suffix in ABC_SUFFIXES:
                corpus.extend(cached_abc(file))
            elif single:
                raise BadInput(f"{file}: not a MIDI (.mid) or ABC (.abc) file")
    too_long = [t for t in corpus.tunes if t.bars > MAX_TUNE_BARS]
    if too_long:
        corpus.tunes = [t for t in corpus.tunes if t.bars <= MAX_TUNE_BARS]
        corpus.skipped += [f"{t.name}: {t.bars} bars, over the {MAX_TUNE_BARS} a tune may have (its repeats expanded wrongly?)"
                           for t in too_long]
    if not corpus.tunes:
        why = f" ({corpus.skipped[0]})" if corpus.skipped else ""
        raise BadInput(f"{path}: no usable melodies in MIDI (.mid) or ABC (.abc) files{why}")
    return corpus


def _midi_corpus(file: Path) -> Corpus:
    try:
        tune = read_midi(file)
    except BadInput as error:
        return Corpus([], [str(error)])
    if len(tune.pitches) < MIN_EVENTS:
        return Corpus([], [f"{file}: fewer than {MIN_EVENTS} notes"])
    return Corpus([tune], [], list(tune.notes))


def cache_folder() -> Path:
    return Path(os.environ.get("MUSE_CACHE") or Path.home() / ".cache" / "muse") / "melody-abc"


def cached_abc(file: Path) -> Corpus:
    """The tunes of an ABC file, from the cache when this file was parsed before."""
    entry = cache_folder() / f"{file_sha256(file)}-v{READER_VERSION}.json"
    if entry.is_file():
        try:
            return _corpus_from_json(json.loads(entry.read_text(encoding="utf-8")))
        except (ValueError, KeyError, TypeError):
            pass  # a damaged cache entry is parsed again and rewritten
    tunes, skipped = read_abc(file)
    corpus = Corpus(tunes, skipped)
    entry.parent.mkdir(parents=True, exist_ok=True)
    partial = entry.with_suffix(f".{os.getpid()}.tmp")
    partial.write_text(json.dumps(_corpus_to_json(corpus)), encoding="utf-8")
    partial.replace(entry)
    return corpus


def _corpus_to_json(corpus: Corpus) -> dict:
    return {"skipped": corpus.skipped, "tunes": [
        {"name": t.name, "pitches": t.pitches, "durations": t.durations, "meter": [t.meter.numerator, t.meter.denominator],
         "key": [t.key.tonic, t.key.mode], "pickup": t.pickup} for t in corpus.tunes]}


def _corpus_from_json(data: dict) -> Corpus:
    tunes = [Tune(t["name"], list(t["pitches"]), list(t["durations"]), Meter(*t["meter"]), Key(*t["key"]), int(t["pickup"]))
             for t in data["tunes"]]
    return Corpus(tunes, list(data["skipped"]))
