"""Training data a person brings to the studio: files, a folder, or an archive (zip or tar), kept
under ``datasets/NAME/`` in the workspace and checked at the door.

A folder's or an archive's sub-folders are kept (an image trainer reads them as class labels),
each part of a path reduced to safe characters; one shared top folder is dropped, so
``drawings.zip`` holding ``drawings/cats/a.png`` gives ``datasets/NAME/cats/a.png``. An archive
is refused whole when a member would land outside its folder (absolute, ``..``), is a link or a
device, when it holds more than :data:`MAX_MEMBERS` files or unpacks to more than the size cap,
or when a member expands more than :data:`MAX_RATIO` times (a decompression bomb). Files of a
type no reader knows, hidden files and ``__MACOSX`` are skipped and counted. Everything is
unpacked into ``tmp/`` first and moved in only when the whole archive passed.
"""

from __future__ import annotations

import io
import os
import shutil
import stat
import tarfile
import zipfile
from pathlib import Path, PurePosixPath
from typing import IO, Any
from collections.abc import Iterator

from ..errors import MuseError
from .security import Refused, safe_name

ARCHIVES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz")
MAX_MEMBERS = 20_000
#: The most bytes an archive may unpack to.
MAX_UNPACKED = 2 * 1024 ** 3
#: The most a member may expand (unpacked / packed) once it is larger than a megabyte.
MAX_RATIO = 200
MAX_DEPTH = 6
CHUNK = 1 << 20


def is_archive(name: str) -> bool:
    return name.lower().endswith(ARCHIVES)


def relative_path(name: str) -> PurePosixPath:
    """A member or upload name as a safe relative path; refused when it climbs out or is absolute."""
    text = name.replace("\\", "/")
    if text.startswith("/") or (len(text) > 1 and text[1] == ":"):
        raise Refused(f"{name!r}: an absolute path")
    parts = [part for part in text.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise Refused(f"{name!r}: '..' leads outside the data set")
    if not parts or len(parts) > MAX_DEPTH:
        raise Refused(f"{name!r}: not a file name, or nested deeper than {MAX_DEPTH} folders")
    return PurePosixPath(*[safe_name(part, "data") for part in parts])


def _junk(name: str) -> bool:
    """Hidden files and the resource forks macOS adds to zips (judged before names are cleaned)."""
    return any(part.startswith(".") and part not in (".", "..") or part == "__MACOSX" for part in name.replace("\\", "/").split("/"))


def _members(body: bytes, name: str) -> Iterator[tuple[str, int, int, Any]]:
    """``(name, unpacked size, packed size, open())`` per regular file; links and devices refused."""
    if name.lower().endswith(".zip"):
        try:
            archive = zipfile.ZipFile(io.BytesIO(body))
        except zipfile.BadZipFile as error:
            raise MuseError(f"{name}: not a readable zip archive ({error})") from None
        for info in archive.infolist():
            if info.is_dir():
                continue
            kind = stat.S_IFMT(info.external_attr >> 16)  # 0 when the archiver recorded no Unix type
            if kind and kind != stat.S_IFREG:
                raise Refused(f"{name}: {info.filename!r} is a link or a special file")
            yield info.filename, info.file_size, info.compress_size, lambda info=info: archive.open(info)
        return
    try:
        archive_tar = tarfile.open(fileobj=io.BytesIO(body), mode="r:*")
    except (tarfile.TarError, EOFError, OSError) as error:
        raise MuseError(f"{name}: not a readable tar archive ({error})") from None
    for member in archive_tar:
        if member.isdir():
            continue
        if not member.isfile():
            raise Refused(f"{name}: {member.name!r} is a link or a special file")
        yield member.name, member.size, 0, lambda member=member: archive_tar.extractfile(member)


def _copy(source: IO[bytes], target: Path, budget: int, where: str) -> int:
    """Copy at most ``budget`` bytes (counted as the data arrives, whatever the archive declares)."""
    written = 0
    with open(target, "wb") as handle:
        while chunk := source.read(CHUNK):
            written += len(chunk)
            if written > budget:
                raise Refused(f"{where}: unpacks to more than {MAX_RATIO} times its size or {MAX_UNPACKED:,} bytes "
                              "(a decompression bomb?)")
            handle.write(chunk)
    return written


def unpack(body: bytes, name: str, staging: Path, suffixes: set[str]) -> tuple[list[PurePosixPath], int]:
    """Unpack the archive ``body`` into ``staging``: the kept files' relative paths, and how many
    were skipped."""
    entries = []
    for count, (member, size, packed, opener) in enumerate(_members(body, name), 1):
        if count > MAX_MEMBERS:
            raise Refused(f"{name}: more than {MAX_MEMBERS:,} files")
        try:
            path = relative_path(member)
        except Refused as error:
            raise Refused(f"{name}: {error}") from None
        if packed and size > CHUNK and size > MAX_RATIO * packed:
            raise Refused(f"{name}: {member!r} expands {size // packed}x, a decompression bomb")
        entries.append((path, opener, _junk(member)))
    wanted = [path for path, _, junk in entries if not junk]
    strip = len({path.parts[0] for path in wanted}) == 1 and all(len(path.parts) > 1 for path in wanted)
    kept, skipped, total = [], 0, 0
    limit = min(MAX_UNPACKED, max(CHUNK, MAX_RATIO * len(body)))
    for path, opener, junk in entries:
        path = PurePosixPath(*path.parts[1:]) if strip else path
        if junk or path.suffix.lower() not in suffixes:
            skipped += 1
            continue
        target = staging / path
        target.parent.mkdir(parents=True, exist_ok=True)
        with opener() as source:
            total += _copy(source, target, limit - total, name)
        kept.append(path)
    return kept, skipped


def move_in(staging: Path, paths: list[PurePosixPath], folder: Path) -> None:
    """The checked files from ``staging`` into the data set ``folder`` (each with one rename)."""
    for path in paths:
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging / path, target)


def add(workspace_root: Path, staging: Path, dataset: str, name: str, body: bytes, suffixes: set[str]) -> dict[str, Any]:
    """One uploaded file (a relative path from a folder upload) or an archive into
    ``datasets/DATASET/``; returns the data set's summary with what was kept and skipped."""
    folder = workspace_root / "datasets" / safe_name(dataset or "data", "data")
    try:
        if is_archive(name):
            kept, skipped = unpack(body, safe_name(name), staging, suffixes)
            if not kept:
                raise MuseError(f"{safe_name(name)}: no file of a type the readers know "
                                f"({', '.join(sorted(suffixes))}); {skipped} skipped")
        else:
            path = relative_path(name or "file")
            if _junk(name) or path.suffix.lower() not in suffixes:
                raise MuseError(f"{path}: not a data file the readers know (valid: {', '.join(sorted(suffixes))}, "
                                f"or an archive: {', '.join(ARCHIVES)})")
            (staging / path).parent.mkdir(parents=True, exist_ok=True)
            (staging / path).write_bytes(body)
            kept, skipped = [path], 0
        move_in(staging, kept, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return {**summary(folder), "added": len(kept), "skipped": skipped}


def summary(folder: Path) -> dict[str, Any]:
    files = sum(1 for p in folder.rglob("*") if p.is_file())
    return {"name": folder.name, "path": f"datasets/{folder.name}", "files": files}


__all__ = ["add", "unpack", "summary", "relative_path", "is_archive", "ARCHIVES", "MAX_MEMBERS", "MAX_UNPACKED", "MAX_RATIO"]
