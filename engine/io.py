"""Writing files so that a crash, a full disk or a Ctrl-C never leaves half a file behind."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Iterator

from .errors import MuseError, OutputExists


@contextlib.contextmanager
def atomic_path(path: Path | str) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` (same suffix, so writers infer the format);
    it replaces ``path`` only when the block finishes without an exception."""
    path = Path(path)
    temporary = path.with_name(f".{path.stem}.{os.getpid()}.tmp{path.suffix}")
    try:
        yield temporary
        _apply_umask(temporary)
        os.replace(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()


def _apply_umask(path: Path) -> None:
    """Give a finished file the mode a plain ``open()`` would: some writers (safetensors among
    them) create private 0600 files, and outputs should follow the user's umask like any other."""
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(path, 0o666 & ~mask)


def check_output(path: Path | str, force: bool) -> Path:
    """Refuse a folder, or an existing file without ``force``; touches nothing."""
    path = Path(path)
    if path.is_dir():
        raise MuseError(f"{path} is a directory; give a file name such as {path / ('out' + (path.suffix or '.png'))}")
    if path.exists() and not force:
        raise OutputExists(path)
    return path


def prepare_output(path: Path | str, force: bool) -> Path:
    """Check that ``path`` may be written (see check_output) and create its folder."""
    path = check_output(path, force)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise MuseError(f"cannot create folder {path.parent}: {error.strerror or error}") from None
    if not os.access(path.parent, os.W_OK):
        raise MuseError(f"cannot write to {path.parent}: permission denied")
    return path


def numbered(path: Path, count: int) -> list[Path]:
    """Output names for a batch: ``out.png`` for one, ``out-000.png, out-001.png...`` for more,
    padded to the width of the last index so that names sort in batch order past 999."""
    if count == 1:
        return [path]
    width = max(3, len(str(count - 1)))
    return [path.with_name(f"{path.stem}-{i:0{width}d}{path.suffix}") for i in range(count)]


def resume_path(out: Path) -> Path:
    """Where the optimizer and RNG state of checkpoint ``out`` live, for `muse train` to resume."""
    return out.with_name(out.name.removesuffix(".safetensors") + ".resume.safetensors")


def file_sha256(path: Path | str) -> str:
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def shipped_model(value: str | Path, weights_dir: Path, component: str) -> Path:
    """Resolve a ``model`` parameter: a shipped checkpoint's name (``default``, ``en``...) from
    ``weights_dir``, or a path to a ``.safetensors`` file."""
    from .errors import BadInput, UnknownName

    shipped = {p.name.removesuffix(".safetensors"): p for p in sorted(Path(weights_dir).glob("*.safetensors"))}
    if str(value) in shipped:
        return shipped[str(value)]
    path = Path(value).expanduser()
    if path.suffix == ".safetensors" or path.exists() or path.parent != Path("."):
        if not path.is_file():
            raise BadInput(f"{path}: no such checkpoint file")
        return path
    if not shipped:
        raise BadInput(f"{component} has no shipped model; train one with `muse train {component}` and pass -p model=PATH")
    raise UnknownName(f"model of {component}:", str(value), [*shipped, "PATH.safetensors"])
