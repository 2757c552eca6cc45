"""Large batches to files, in fixed chunks, on one process or sharded over worker processes.

Work i always uses seed ``seed + i`` and is made inside chunk ``i // CHUNK`` with exactly the
same neighbours, whatever the number of workers: batched models (whose float results can depend
on the batch they run in) therefore write the same bytes for ``--workers 1`` and ``--workers 8``.
Chunks also bound memory for ``-n 10000`` and feed the progress bar.

Workers are the caller's engine sent over (it pickles as its plugin set), so they see exactly the
plugins the caller sees under the same names. A worker's error comes back pickled and is raised
in the parent as it would have been with one process; the other workers are stopped at once.
Workers never outlive the parent: each watches its parent's sentinel and exits when the parent
is gone (even killed with SIGKILL), and ignores Ctrl-C, which the parent handles by stopping them.
"""

from __future__ import annotations

import os
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from multiprocessing import get_context
from pathlib import Path
from typing import TYPE_CHECKING, Any
from collections.abc import Callable

from .errors import MuseError

if TYPE_CHECKING:
    from .api import Engine
from .threads import thread_count

CHUNK = 16
#: How often the parent wakes to take its progress and a Ctrl-C while workers run.
POLL_SECONDS = 0.2

_worker_engine: Engine | None = None


def _chunks(count: int) -> list[tuple[int, int]]:
    return [(start, min(start + CHUNK, count)) for start in range(0, count, CHUNK)]


def _make_chunk(engine: Engine, name: str, params: dict[str, Any], seed: int, start: int, paths: list[Path],
                render_params: dict[str, Any], force: bool) -> int:
    works = engine.generate_batch(name, len(paths), seed=seed + start, **params)
    for work, path in zip(works, paths):
        engine.render(work, path, force=force, **render_params)
    return len(paths)


def _exit_with_parent() -> None:
    """A daemon thread that ends this worker as soon as its parent process is gone."""
    import multiprocessing
    import threading
    from multiprocessing.connection import wait as wait_for

    parent = multiprocessing.parent_process()
    if parent is None or parent.sentinel is None:
        return

    def watch() -> None:
        wait_for([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="muse-parent-watch", daemon=True).start()


def _worker_init(threads: int, engine: Any) -> None:
    import signal

    global _worker_engine
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _exit_with_parent()
    os.environ["MUSE_THREADS"] = str(threads)
    _worker_engine = engine


def _worker_chunk(*args: Any) -> int:
    assert _worker_engine is not None, "the pool's initializer sets the engine"
    return _make_chunk(_worker_engine, *args)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Cancel what has not started and end the workers now, not after their current chunk."""
    processes = list((getattr(pool, "_processes", None) or {}).values())  # shutdown forgets them
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        try:
            process.terminate()
        except Exception:  # already gone
            pass
    # Wait for the pool's own thread too: left running into interpreter exit, it can print an
    # "OSError: Bad file descriptor" traceback after Muse's one-line error.
    for process in processes:
        process.join(timeout=5)
    manager = getattr(pool, "_executor_manager_thread", None)
    if manager is not None and manager.is_alive():
        manager.join(timeout=5)


def _sendable(engine: Any) -> Any:
    import pickle

    try:
        pickle.dumps(engine)
    except Exception as error:
        raise MuseError(f"this engine's plugins cannot be sent to worker processes ({type(error).__name__}: "
                        f"{error}); use --workers 1") from None
    return engine


def generate_files(engine: Engine, name: str, params: dict[str, Any], seed: int, paths: list[Path], *,
                   render_params: dict[str, Any] | None = None, force: bool = False, workers: int = 1,
                   progress: Callable[[int], None] | None = None) -> list[Path]:
    """Generate ``len(paths)`` works (seeds ``seed..``) and write one per path.

    With ``workers > 1`` the chunks are spread over that many processes, each with a copy of
    ``engine`` (the same plugins) and ``thread_count(workers)`` threads each.
    """
    render_params = dict(render_params or {})
    tasks = [(name, params, seed, start, paths[start:stop], render_params, force) for start, stop in _chunks(len(paths))]
    if workers <= 1 or len(tasks) == 1:
        for task in tasks:
            done = _make_chunk(engine, *task)
            if progress:
                progress(done)
        return paths
    threads = thread_count(workers)
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"), initializer=_worker_init,
                               initargs=(threads, _sendable(engine)))
    try:
        pending = {pool.submit(_worker_chunk, *task) for task in tasks}
        while pending:
            # A short timeout, not a blocking wait: Linux may hand Ctrl-C to one of the pool's
            # threads, and Python only acts on it when the main thread next runs bytecode.
            finished, pending = wait(pending, timeout=POLL_SECONDS, return_when=FIRST_COMPLETED)
            for future in finished:
                done = future.result()  # a worker's error is raised here, as with one process
                if progress:
                    progress(done)
    except BaseException:
        _stop(pool)
        raise
    pool.shutdown(wait=True)
    return paths
