"""The studio's workspace on disk: every work it made or was given, with its provenance.

Layout (default ``./muse-studio/``)::

    works/ID/record.json    what the history shows: component, parameters, seed, files, provenance
    works/ID/work.png       the work in its default format (provenance embedded), plus previews
                            (a score's audio) and the downloads made so far in other formats
    tmp/                    works being made; a work appears in works/ only when complete

A work is made in ``tmp/`` and moved into ``works/`` with one rename after its ``record.json``
is written (itself written to a temporary file and renamed), so a crash or a kill leaves either
the whole work or none of it. ``tmp/`` is emptied when the studio starts. Uploads are works too
(``action: upload``), so a file a person brings and a work the studio made are picked alike.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import threading
import time
from pathlib import Path
from typing import Any

from ..errors import MuseError
from .security import Refused, inside

ID = re.compile(r"^[0-9]{8}-[0-9]{6}-[0-9a-f]{6}$")
RECORD = "record.json"


def write_json(path: Path, data: Any) -> None:
    """``data`` as JSON at ``path``, atomically: a temporary file beside it, fsynced, renamed."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1, ensure_ascii=False)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        if temporary.exists():
            temporary.unlink()


class Workspace:
    """The works in ``root``, kept in memory and on disk; safe to use from several threads."""

    def __init__(self, root: Path | str):
        self.root = Path(root).expanduser().resolve()
        self.works = self.root / "works"
        self.tmp = self.root / "tmp"
        try:
            self.works.mkdir(parents=True, exist_ok=True)
            if self.tmp.exists():
                shutil.rmtree(self.tmp)
            self.tmp.mkdir()
        except OSError as error:
            raise MuseError(f"cannot use {self.root} as the studio's workspace: {error.strerror or error}") from None
        self._lock = threading.Lock()
        self._records: dict[str, dict[str, Any]] = {}
        self.version = 0
        for folder in sorted(self.works.iterdir()):
            record = self._read(folder)
            if record is not None:
                self._records[record["id"]] = record

    @staticmethod
    def _read(folder: Path) -> dict[str, Any] | None:
        try:
            record = json.loads((folder / RECORD).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None  # not a work (or a damaged one): left alone, not shown
        if not isinstance(record, dict) or record.get("id") != folder.name or not ID.match(folder.name):
            return None
        return record

    # -- making ------------------------------------------------------------------------------
    @staticmethod
    def new_id() -> str:
        return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(3)

    def staging(self) -> Path:
        """A fresh private folder under tmp/ for a job to write its files into."""
        folder = self.tmp / f"job-{secrets.token_hex(6)}"
        folder.mkdir()
        return folder

    def commit(self, staging: Path, record: dict[str, Any]) -> dict[str, Any]:
        """Move a finished work from ``staging`` into the history under ``record['id']``."""
        work_id = record["id"]
        assert ID.match(work_id), work_id
        write_json(staging / RECORD, record)
        os.rename(staging, self.works / work_id)
        with self._lock:
            self._records[work_id] = record
            self.version += 1
        return record

    def delete(self, work_id: str) -> None:
        folder = self.folder(work_id)
        doomed = self.tmp / f"deleted-{work_id}-{secrets.token_hex(3)}"
        os.rename(folder, doomed)  # gone from works/ in one step; the files follow
        with self._lock:
            self._records.pop(work_id, None)
            self.version += 1
        shutil.rmtree(doomed, ignore_errors=True)

    # -- reading -----------------------------------------------------------------------------
    def get(self, work_id: str) -> dict[str, Any]:
        if not isinstance(work_id, str) or not ID.match(work_id):
            raise Refused(f"{work_id!r} is not a work id")
        with self._lock:
            record = self._records.get(work_id)
        if record is None:
            raise MuseError(f"no work {work_id} in the history (deleted?)")
        return record

    def folder(self, work_id: str) -> Path:
        self.get(work_id)
        return self.works / work_id

    def file(self, work_id: str, name: str) -> Path:
        """A file of a work, refused unless it is one (no other folder, no '..')."""
        folder = self.folder(work_id)
        if "/" in name or "\\" in name or name.startswith(".") or name == RECORD:
            raise Refused(f"{name!r} is not a file of work {work_id}")
        path = inside(self.root, f"works/{work_id}/{name}")
        if path.parent != folder.resolve() or not path.is_file():
            raise MuseError(f"work {work_id} has no file {name!r}")
        return path

    def main_file(self, work_id: str) -> Path:
        return self.file(work_id, self.get(work_id)["files"]["main"])

    def list(self, component: str | None = None, kind: str | None = None) -> list[dict[str, Any]]:
        """Works, newest first, optionally of one component or work kind."""
        with self._lock:
            records = list(self._records.values())
        if component:
            records = [r for r in records if r.get("component") == component]
        if kind:
            records = [r for r in records if r.get("kind") == kind]
        return sorted(records, key=lambda r: (r.get("created", 0), r["id"]), reverse=True)

    def by_file(self, path: Path | str) -> dict[str, Any] | None:
        """The work whose folder holds ``path``, if any (to link a provenance input to a work)."""
        try:
            relative = Path(path).resolve().relative_to(self.works)
        except ValueError:
            return None
        if not relative.parts:
            return None
        with self._lock:
            return self._records.get(relative.parts[0])


__all__ = ["Workspace", "write_json"]
