"""Writing files so that a crash, a full disk, a Ctrl-C or a second writer never costs a file.

Every file Muse writes goes through :func:`atomic_path`: the bytes go to a hidden temporary
beside the target (``.NAME.PID.tmp.EXT``) and only a finished, non-empty file takes the target's
name. Without ``force`` that last step is a hard link, which the kernel refuses when the name
exists: two `muse render` runs aimed at one file cannot both win, and a file (or a dangling
symlink) that appeared while the work ran is never replaced. Temporaries left by a process that
was killed are removed the next time Muse writes into that folder.
"""

from __future__ import annotations

import contextlib
import contextvars
import errno
import os
import re
from pathlib import Path
from collections.abc import Iterator

from .errors import BadInput, MuseError, OutputExists

#: Whether writers may replace an existing file: the user's ``--force`` for the command or render
#: in progress (see :func:`overwrite_policy`); never, by default. Writers that replace their own
#: files (checkpoints, training previews, the demo gallery) say so with ``replace=True``.
_may_replace: contextvars.ContextVar[bool] = contextvars.ContextVar("muse_may_replace", default=False)
_TEMPORARY = re.compile(r"^\..+\.(\d+)\.tmp(\.[^.]*)?$")
_swept: set[Path] = set()


@contextlib.contextmanager
def overwrite_policy(force: bool) -> Iterator[None]:
    """Within the block, :func:`atomic_path` replaces existing files only when ``force``.

    Engine.render wraps every renderer in it, and the CLI every command, so a renderer (and its
    sidecar) or a component's side files (style snapshots) get the user's ``--force`` without
    passing it around.
    """
    token = _may_replace.set(force)
    try:
        yield
    finally:
        _may_replace.reset(token)


def may_replace() -> bool:
    """The current :func:`overwrite_policy`: whether existing files may be replaced."""
    return _may_replace.get()


def temporary_for(path: Path) -> Path:
    """The hidden temporary :func:`atomic_path` writes before ``path`` gets its name."""
    return path.with_name(f".{path.stem}.{os.getpid()}.tmp{path.suffix}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def sweep_stale_temporaries(folder: Path) -> list[Path]:
    """Remove ``.NAME.PID.tmp.EXT`` files whose process is gone (once per folder and process)."""
    folder = Path(folder).resolve() if folder.exists() else Path(folder)
    if folder in _swept:
        return []
    _swept.add(folder)
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    for entry in entries:
        match = _TEMPORARY.match(entry.name)
        if match and int(match.group(1)) != os.getpid() and not _alive(int(match.group(1))):
            with contextlib.suppress(OSError):
                if entry.is_file(follow_symlinks=False):
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
    return removed


def _commit(temporary: Path, path: Path, replace: bool) -> None:
    if replace:
        os.replace(temporary, path)
        return
    try:
        os.link(temporary, path)  # atomic: fails if the name exists, even as a dangling symlink
    except FileExistsError:
        raise OutputExists(path) from None
    except OSError as error:
        if error.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV, errno.EMLINK, errno.ENOSYS):
            raise
        # A file system without hard links: claim the name exclusively, then fill it.
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
        except FileExistsError:
            raise OutputExists(path) from None
        os.replace(temporary, path)


@contextlib.contextmanager
def atomic_path(path: Path | str, *, replace: bool | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` (same suffix, so writers infer the format); a
    finished, non-empty file then takes ``path``'s name.

    ``replace`` says whether an existing ``path`` may be replaced; by default the current
    :func:`overwrite_policy`. When it may not, a file that exists by then is refused atomically
    (:class:`OutputExists`), however late it appeared.
    """
    path = Path(path)
    sweep_stale_temporaries(path.parent)
    temporary = temporary_for(path)
    try:
        yield temporary
        if not temporary.is_file() or temporary.stat().st_size == 0:
            raise BadInput(f"refusing to write {path}: the result is empty")
        _apply_umask(temporary)
        _commit(temporary, path, _may_replace.get() if replace is None else replace)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()


def _apply_umask(path: Path) -> None:
    """Give a finished file the mode a plain ``open()`` would: some writers (safetensors among
    them) create private 0600 files, and outputs should follow the user's umask like any other."""
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(path, 0o666 & ~mask)


def _name_limit(folder: Path) -> int:
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError):
        return 255


def check_output(path: Path | str, force: bool) -> Path:
    """Refuse an empty name, a folder, a name too long for the file system, or an existing file
    (a dangling symlink, or a Muse ``.muse.json`` sidecar of that name, included) without
    ``force``; touches nothing."""
    if str(path).strip() == "":
        raise MuseError("the output name is empty; give a file name such as out.png")
    path = Path(path)
    if path.is_dir():
        raise MuseError(f"{path} is a directory; give a file name such as {path / ('out' + (path.suffix or '.png'))}")
    limit = _name_limit(path.parent)
    longest = max(len(os.fsencode(temporary_for(path).name)), len(os.fsencode(sidecar_path(path).name)))
    if longest > limit:
        raise MuseError(f"output name {path.name[:40]}... is too long for the file system "
                        f"({len(os.fsencode(path.name))} bytes; at most {limit - (longest - len(os.fsencode(path.name)))})")
    if not force:
        for existing in (path, sidecar_path(path)):
            if os.path.lexists(existing):
                raise OutputExists(existing)
    return path


def sidecar_path(path: Path) -> Path:
    """Where the provenance of a format without room for it lives: ``FILE.muse.json``."""
    return path.with_name(path.name + ".muse.json")


def prepare_output(path: Path | str, force: bool) -> Path:
    """Check that ``path`` may be written (see check_output), create its folder, and prove that
    a file can be created there, so that a bad place fails before the work, not after it."""
    path = check_output(path, force)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise MuseError(f"cannot create folder {path.parent}: {error.strerror or error}") from None
    probe = temporary_for(path)
    try:
        os.close(os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
    except FileExistsError:
        pass  # our own temporary from this very process: the folder is writable
    except OSError as error:
        raise MuseError(f"cannot write to {path.parent}: {error.strerror or error}") from None
    else:
        with contextlib.suppress(OSError):
            probe.unlink()
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
