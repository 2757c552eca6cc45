"""Large batches to files, in fixed chunks, on one process or sharded over worker processes.

Work i always uses seed ``seed + i`` and is made inside chunk ``i // CHUNK`` with exactly the
same neighbours, whatever the number of workers: batched models (whose float results can depend
on the batch they run in) therefore write the same bytes for ``--workers 1`` and ``--workers 8``.
Chunks also bound memory for ``-n 10000`` and feed the progress bar.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Callable

CHUNK = 16

_worker_engine = None


def _chunks(count: int) -> list[tuple[int, int]]:
    return [(start, min(start + CHUNK, count)) for start in range(0, count, CHUNK)]


def _make_chunk(engine, name: str, params: dict[str, Any], seed: int, start: int, paths: list[Path],
                render_params: dict[str, Any], force: bool) -> int:
    works = engine.generate(name, seed=seed + start, n=len(paths), **params)
    for work, path in zip(works, paths):
        engine.render(work, path, force=force, **render_params)
    return len(paths)


def _worker_init(threads: int) -> None:
    global _worker_engine
    os.environ["MUSE_THREADS"] = str(threads)
    from .api import Engine

    _worker_engine = Engine()


def _worker_chunk(*args: Any) -> int:
    return _make_chunk(_worker_engine, *args)


def generate_files(engine, name: str, params: dict[str, Any], seed: int, paths: list[Path], *,
                   render_params: dict[str, Any] | None = None, force: bool = False, workers: int = 1,
                   progress: Callable[[int], None] | None = None) -> list[Path]:
    """Generate ``len(paths)`` works (seeds ``seed..``) and write one per path.

    With ``workers > 1`` the chunks are spread over that many processes, each with its own
    engine and ``cpu_count // workers`` threads.
    """
    render_params = dict(render_params or {})
    tasks = [(name, params, seed, start, paths[start:stop], render_params, force) for start, stop in _chunks(len(paths))]
    if workers <= 1 or len(tasks) == 1:
        for task in tasks:
            done = _make_chunk(engine, *task)
            if progress:
                progress(done)
        return paths
    threads = max(1, (os.cpu_count() or 1) // workers)
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"), initializer=_worker_init,
                             initargs=(threads,)) as pool:
        futures = [pool.submit(_worker_chunk, *task) for task in tasks]
        for future in as_completed(futures):
            done = future.result()
            if progress:
                progress(done)
    return paths
