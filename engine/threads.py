"""How many threads a Muse process uses: computed here, one way, for training, `--workers N`
batches and `--nproc N` ranks.

``MUSE_THREADS``, when set, is the count for each process. Otherwise the cores this process
may run on (its CPU affinity, which containers and ``taskset`` narrow; else the machine's count)
are shared evenly between the ``share`` processes that run at once, at least one each.
"""

from __future__ import annotations

import os

from .errors import MuseError


def available_cores() -> int:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def thread_count(share: int = 1) -> int:
    """Threads for one of ``share`` processes running side by side (see the module docstring)."""
    wanted = os.environ.get("MUSE_THREADS", "").strip()
    if wanted:
        if not wanted.isdigit() or int(wanted) < 1:
            raise MuseError(f"MUSE_THREADS={wanted!r} must be a whole number of threads, at least 1")
        return int(wanted)
    return max(1, available_cores() // max(1, share))
