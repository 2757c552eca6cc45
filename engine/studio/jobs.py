"""The studio's queue and the warm worker processes that run it.

Each worker is a separate process with its own :class:`engine.Engine`, started once: a model a
component loads (and caches) on its first job stays loaded for the next, which is what makes a
studio call fast. The web server never runs a component itself, so a crash, a runaway job or a
cancel cannot take it down: a cancelled running job is stopped by ending its worker, and a fresh
worker takes its place. A component that fails sends back its one-line message (as the CLI
prints it) and the worker goes on with the next job.

Progress: a worker reports every tqdm bar a component shows (style transfer's steps, a batch's
works) to the page; jobs without a bar show their elapsed time.

A job runs exactly what the CLI runs: ``Engine.generate`` / ``stylize`` / ``compose`` with the
same string values and seed, then ``Engine.render`` to the work's default format, so a studio
file equals the file `muse generate ... --seed S` writes, byte for byte.
"""

from __future__ import annotations

import collections
import os
import threading
import time
import traceback
from pathlib import Path
from typing import Any
from collections.abc import Callable

from ..errors import MuseError
from .history import Workspace, write_json

#: How many finished jobs the queue remembers for the page.
KEEP_FINISHED = 200
#: The jobs not yet finished, kept in the workspace so that a restart runs them.
QUEUE_FILE = "queue.json"
#: How long a cancelled training job has to save its checkpoint before its worker is ended.
TRAIN_STOP_GRACE = 30.0
#: Preview files a training job shows: the newest few of its samples folder.
SAMPLE_SUFFIXES = (".png", ".gif", ".txt", ".log", ".mid")


# -- the worker process -------------------------------------------------------------------------
def _install_progress(report: Callable[[dict[str, Any]], None]) -> None:
    """Make every tqdm bar created from now on report its count (and print nothing)."""
    import tqdm

    base = tqdm.tqdm
    null = open(os.devnull, "w")

    class StudioBar(base):  # type: ignore[misc, valid-type]
        _last = 0.0

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["disable"] = False
            kwargs["file"] = null
            super().__init__(*args, **kwargs)
            self._send(force=True)

        def update(self, n: float | None = 1) -> bool | None:
            result: bool | None = super().update(n)
            self._send()
            return result

        def _send(self, force: bool = False) -> None:
            now = time.monotonic()
            if force or now - self._last > 0.1 or (self.total and self.n >= self.total):
                self._last = now
                report({"n": self.n, "total": self.total, "desc": str(self.desc or "")})

    tqdm.tqdm = StudioBar
    try:
        import tqdm.auto

        tqdm.auto.tqdm = StudioBar
    except ImportError:
        pass


def preview_name(eng: Any, work: Any) -> str | None:
    """The file a score plays from (``work.ogg``, else ``work.wav``), or None for other works.

    Only the name: the studio renders it when the play button first asks for it
    (`Studio.work_file`), because synthesizing a tune takes longer than writing it and most
    tunes in a history are never played."""
    from ..errors import UnknownName
    from ..works import Score

    if not isinstance(work, Score):
        return None
    for suffix in (".ogg", ".wav"):
        try:
            eng.renderer_for(Score, suffix)
        except UnknownName:
            continue
        return f"work{suffix}"
    return None


def save_work(eng: Any, work: Any, folder: Path) -> dict[str, Any]:
    """Write ``work`` into ``folder`` in its default format and describe it for the history."""
    from ..works import describe

    main = eng.render(work, folder / f"work{work.default_suffix}")
    meta = eng._read(main).meta
    return {"kind": work.kind, "files": {"main": main.name, "preview": preview_name(eng, work)},
            "describe": describe(work), "meta": meta}


def run_job(eng: Any, job: dict[str, Any]) -> dict[str, Any]:
    """One job, as the CLI would run it; returns what the history records."""
    action, name, params, seed = job["action"], job.get("component"), job.get("params", {}), job.get("seed")
    if action == "generate":
        n = job.get("n", 1)
        works = eng.generate_batch(name, n, seed=seed, **params) if n > 1 else [eng.generate(name, seed=seed, **params)]
    elif action == "stylize":
        works = [eng.stylize(name, eng.load(job["inputs"][0]), seed=seed, **params)]
    elif action == "compose":
        works = [eng.compose(name, *[eng.load(path) for path in job["inputs"]], seed=seed, **params)]
    elif action == "recipe":
        return {"works": _run_recipe(eng, job)}
    elif action == "train":
        from ..training import TrainingInterrupted

        try:  # a cancel is a Ctrl-C (SIGINT): the trainer saves a checkpoint and stops
            summary = eng.train(name, data=job.get("data"), out=job["out"], seed=seed, dry_run=job.get("dry_run", False),
                                progress=True, **params)
        except TrainingInterrupted as stopped:
            summary = {**stopped.summary, "interrupted": True}
        import json

        return {"summary": json.loads(json.dumps(summary, default=str)), "model": job["model"]}
    elif action == "reproduce":
        result = eng.reproduce(job["inputs"][0], allow_paths=[job["root"]])
        return {"identical": result.identical, "detail": result.detail}
    else:
        raise MuseError(f"unknown job action {action!r}")
    return {"works": [save_work(eng, work, Path(folder)) for work, folder in zip(works, job["staging"])]}


def _run_recipe(eng: Any, job: dict[str, Any]) -> list[dict[str, Any]]:
    """Every step of a recipe (checked by the server), each step's work saved for the history."""
    from ..recipes import Recipe

    plan = Recipe.load(job["inputs"][0])
    works: dict[str, Any] = {}
    saved = []
    for step, folder in zip(plan.steps, job["staging"]):
        work = plan._run_step(eng, step, [works[name] for name in step.inputs])
        works[step.name] = work
        made = save_work(eng, work, Path(folder))
        if step.action == "load":
            made.update(action="upload", component="upload", seed=None, params={}, name=Path(step.target).name)
        else:
            made.update(action=step.action, component=step.target, seed=step.seed, params=step.params)
        made["step"] = step.name
        saved.append(made)
    return saved


def worker_main(conn: Any, root: str) -> None:
    """A worker process: one Engine, jobs in, ("progress" | "done" | "error", data) out."""
    import signal
    import warnings

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C stops the server, which ends us
    os.chdir(root)  # a relative name in a parameter means a file in the workspace
    _install_progress(lambda data: conn.send(("progress", data)))
    from ..api import Engine

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # plugin load errors are on the plugins page
        eng = Engine()
        eng.components()
    conn.send(("ready", os.getpid()))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        try:
            conn.send(("done", run_job(eng, job)))
        except MuseError as error:
            conn.send(("error", str(error)))
        except Exception as error:  # a bug: one line for the page, the traceback for the terminal
            traceback.print_exc()
            conn.send(("error", f"{type(error).__name__}: {error} (a bug: the traceback is in the studio's terminal)"))


def _stop(proc: Any, grace: float) -> None:
    """End a worker: wait ``grace`` seconds for it to exit, then kill it."""
    import subprocess

    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


# -- the queue in the server -------------------------------------------------------------------
class Job:
    def __init__(self, job_id: str, spec: dict[str, Any], label: str):
        self.id, self.spec, self.label = job_id, spec, label
        self.state = "queued"
        self.created = time.time()
        self.started: float | None = None
        self.finished: float | None = None
        self.error: str | None = None
        self.progress: dict[str, Any] | None = None
        self.works: list[str] = []
        self.result: dict[str, Any] | None = None
        self.worker: int | None = None
        self.cancel_requested = False
        self.interrupted = 0.0  # when a cancelled training run was sent its Ctrl-C
        self.done = threading.Event()

    @property
    def samples_dir(self) -> Path | None:
        """Where a training job's Trainer writes its previews (``OUT-samples/``)."""
        if self.spec["action"] != "train":
            return None
        out = Path(self.spec["out"])
        return out.with_name(out.name.removesuffix(".safetensors") + "-samples")

    def samples(self) -> list[str]:
        folder = self.samples_dir
        if folder is None or not folder.is_dir():
            return []
        found = sorted((p for p in folder.iterdir() if p.suffix in SAMPLE_SUFFIXES and not p.name.startswith(".")),
                       key=lambda p: (p.stat().st_mtime, p.name))
        return [p.name for p in found[-4:]]

    @property
    def resumable(self) -> bool:
        """A training job stopped before its end, whose checkpoint has resume state beside it."""
        from ..io import resume_path

        return (self.spec["action"] == "train" and self.state in ("cancelled", "failed")
                and resume_path(Path(self.spec["out"])).is_file())

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "samples": self.samples(), "resumable": self.resumable, "label": self.label, "action": self.spec["action"], "component": self.spec.get("component"),
                "state": self.state, "created": self.created, "started": self.started, "finished": self.finished,
                "error": self.error, "progress": self.progress, "works": self.works, "result": self.result,
                "worker": self.worker, "seed": self.spec.get("seed"), "n": self.spec.get("n", 1)}


class Queue:
    """Jobs in order, run by ``workers`` warm processes; every tab of the page sees the same."""

    def __init__(self, workspace: Workspace, workers: int = 1):
        self.workspace = workspace
        self._cond = threading.Condition()
        self._pending: collections.deque[Job] = collections.deque()
        self._jobs: collections.OrderedDict[str, Job] = collections.OrderedDict()
        self._counter = 0
        self.version = 0
        self._closed = False
        self._procs: dict[int, Any] = {}
        self._restore()
        self._threads = [threading.Thread(target=self._slot, args=(i,), name=f"studio-worker-{i}", daemon=True)
                         for i in range(workers)]
        for thread in self._threads:
            thread.start()

    # -- the page's side -----------------------------------------------------------------------
    def submit(self, spec: dict[str, Any], label: str) -> Job:
        with self._cond:
            if self._closed:
                raise MuseError("the studio is shutting down")
            job = self._enqueue({**spec, "root": str(self.workspace.root)}, label)
            self._persist()
            self._cond.notify()
        return job

    def resume(self, job_id: str) -> Job:
        """A stopped training job again, continuing from its checkpoint (the trainer resumes)."""
        job = self.get(job_id)
        if not job.resumable:
            raise MuseError(f"job {job_id} is not a stopped training run with a checkpoint to continue")
        label = job.label.removesuffix(" (resumed)") + " (resumed)"
        return self.submit({k: v for k, v in job.spec.items() if k != "root"}, label)

    def cancel(self, job_id: str) -> Job:
        with self._cond:
            job = self.get(job_id)
            if job.state == "queued":
                self._pending.remove(job)
                self._finish(job, "cancelled")
            elif job.state == "running":
                job.cancel_requested = True
            self._changed()
        return job

    def get(self, job_id: str) -> Job:
        job = self._jobs.get(job_id)
        if job is None:
            raise MuseError(f"no job {job_id!r}")
        return job

    def snapshot(self) -> list[dict[str, Any]]:
        with self._cond:
            jobs = list(self._jobs.values())
            positions = {job.id: index + 1 for index, job in enumerate(self._pending)}
        return [{**job.public(), "position": positions.get(job.id)} for job in reversed(jobs)]

    def wait(self, job_id: str, timeout: float = 120.0) -> Job:
        job = self.get(job_id)
        if not job.done.wait(timeout):
            raise TimeoutError(f"job {job_id} still {job.state} after {timeout} s")
        return job

    def close(self) -> None:
        with self._cond:
            self._closed = True
            for job in list(self._pending):
                self._finish(job, "cancelled")
            self._pending.clear()
            self._cond.notify_all()
        for _proc, conn in list(self._procs.values()):
            try:
                conn.send(None)
            except (OSError, ValueError):
                pass
        for proc, _ in list(self._procs.values()):
            _stop(proc, 2)

    # -- internals -----------------------------------------------------------------------------
    def _changed(self) -> None:
        self.version += 1

    def _enqueue(self, spec: dict[str, Any], label: str) -> Job:
        self._counter += 1
        job = Job(f"j{self._counter}-{os.urandom(3).hex()}", spec, label)
        self._jobs[job.id] = job
        self._pending.append(job)
        self._forget_old()
        self._changed()
        return job

    def _persist(self) -> None:
        """Write the jobs not yet finished (running first, then the line) to the workspace,
        atomically; called under the lock at every change of state. A server that is closing
        keeps the file as it was, so what was waiting runs after the restart."""
        if self._closed:
            return
        waiting = [{"label": job.label, "spec": job.spec, "created": job.created}
                   for job in self._jobs.values() if job.state in ("queued", "running")]
        write_json(self.workspace.root / QUEUE_FILE, {"jobs": waiting})

    def _restore(self) -> None:
        """Put the jobs a previous server left unfinished back in the line, in their order (a job
        that was running starts again; a training run continues from its checkpoint)."""
        import json

        path = self.workspace.root / QUEUE_FILE
        try:
            saved = json.loads(path.read_text(encoding="utf-8"))["jobs"]
        except FileNotFoundError:
            return
        except (OSError, ValueError, KeyError, TypeError) as error:
            print(f"muse studio: {path} is damaged ({error}); its jobs were not restored", flush=True)
            return
        actions = ("generate", "stylize", "compose", "recipe", "train", "reproduce")
        for entry in saved if isinstance(saved, list) else []:
            spec = entry.get("spec") if isinstance(entry, dict) else None
            if not isinstance(spec, dict) or spec.get("action") not in actions or spec.get("root") != str(self.workspace.root):
                continue
            inputs = spec.get("inputs", [])
            paths = [*(inputs if isinstance(inputs, list) else [inputs]), spec.get("out"), spec.get("data")]
            if not all(p is None or (isinstance(p, str) and Path(p).resolve().is_relative_to(self.workspace.root)) for p in paths):
                continue  # edited to point outside the workspace: not run
            label = str(entry.get("label", spec["action"])).removesuffix(" (after a restart)")
            self._enqueue(spec, f"{label} (after a restart)")
        self._persist()

    def _forget_old(self) -> None:
        finished = [j for j in self._jobs.values() if j.state not in ("queued", "running")]
        for job in finished[: max(0, len(finished) - KEEP_FINISHED)]:
            del self._jobs[job.id]

    def _finish(self, job: Job, state: str, error: str | None = None) -> None:
        job.state, job.error, job.finished = state, error, time.time()
        self._persist()
        job.done.set()

    def _spawn(self, index: int) -> tuple[Any, Any]:
        """A fresh worker: ``python -m engine.studio.worker`` on one end of a socket pair (a
        plain subprocess, so it never re-imports whatever script started the studio)."""
        import socket
        import subprocess
        import sys
        from multiprocessing.connection import Connection

        mine, theirs = socket.socketpair()
        try:
            proc = subprocess.Popen([sys.executable, "-m", "engine.studio.worker", str(theirs.fileno()), str(self.workspace.root)],
                                    pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL,
                                    env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)})
        finally:
            theirs.close()
        conn = Connection(mine.detach())
        self._procs[index] = (proc, conn)
        return proc, conn

    def _slot(self, index: int) -> None:
        proc, conn = self._spawn(index)
        while True:
            if proc.poll() is not None:  # died between jobs: a new one before the next job
                proc, conn = self._spawn(index)
            with self._cond:
                while not self._pending and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                job = self._pending.popleft()
                job.state, job.started, job.worker = "running", time.time(), proc.pid
                self._persist()
                self._changed()
            staging: list[Path] = []
            try:
                if job.spec["action"] in ("generate", "stylize", "compose", "recipe"):
                    staging = [self.workspace.staging() for _ in range(job.spec.get("n", 1))]
                conn.send({**job.spec, "staging": [str(s) for s in staging]})
                proc, conn = self._follow(index, job, proc, conn, staging)
            except Exception as error:  # the studio's own bug: the job says so, the slot goes on
                traceback.print_exc()
                with self._cond:
                    if job.state == "running":
                        self._finish(job, "failed", f"{type(error).__name__}: {error}")
                    self._changed()
            finally:
                for folder in staging:
                    if folder.exists():
                        import shutil

                        shutil.rmtree(folder, ignore_errors=True)

    def _follow(self, index: int, job: Job, proc: Any, conn: Any, staging: list[Path]) -> tuple[Any, Any]:
        """Relay the worker's messages for ``job`` until it ends; returns the (new) worker."""
        while True:
            if job.cancel_requested and job.spec["action"] == "train" and not job.interrupted:
                import signal

                job.interrupted = time.monotonic()  # Ctrl-C: the trainer saves a checkpoint and stops
                proc.send_signal(signal.SIGINT)
            if job.cancel_requested and (job.spec["action"] != "train" or time.monotonic() - job.interrupted > TRAIN_STOP_GRACE):
                _stop(proc, 0)
                with self._cond:
                    self._finish(job, "cancelled")
                    self._changed()
                return self._spawn(index)
            try:
                ready = conn.poll(0.05)
                message: tuple[str, Any] | None = conn.recv() if ready else None
            except (EOFError, OSError):
                message = ("died", None)
            if message is None:
                if proc.poll() is None:
                    continue
                message = ("died", None)
            kind: str
            data: Any  # the worker's payload: its pid, a progress dict, an error line or the result
            kind, data = message
            if kind == "ready":
                job.worker = data
                continue
            if kind == "progress":
                job.progress = data
                self._changed()
                continue
            if kind == "died":
                _stop(proc, 1)
                with self._cond:
                    self._finish(job, "failed", f"the worker process stopped (exit code {proc.returncode}); a new one was started")
                    self._changed()
                return self._spawn(index)
            if kind == "error":
                with self._cond:
                    self._finish(job, "failed", data)
                    self._changed()
                return proc, conn
            self._record(job, data, staging)
            return proc, conn

    def _record(self, job: Job, data: dict[str, Any], staging: list[Path]) -> None:
        spec = job.spec
        ids = []
        for offset, (made, folder) in enumerate(zip(data.get("works", []), staging)):
            record = {
                "id": self.workspace.new_id(),
                "created": time.time(),
                "job": job.id,
                "action": made.get("action", spec["action"]),
                "component": made.get("component", spec["component"]),
                "kind": made["kind"],
                "params": made.get("params", spec.get("form", spec.get("params", {}))),
                "seed": made["seed"] if "seed" in made else spec["seed"] + offset,
                "inputs": spec.get("input_ids", []) if spec["action"] != "recipe" else [],
                "files": made["files"],
                "describe": made["describe"],
                "meta": made["meta"],
                "seconds": round(time.time() - (job.started or time.time()), 3),
            }
            for extra in ("name", "step"):
                if extra in made:
                    record[extra] = made[extra]
            self.workspace.commit(folder, record)
            ids.append(record["id"])
        with self._cond:
            job.works = ids
            job.result = {k: v for k, v in data.items() if k != "works"} or None
            stopped = job.cancel_requested and bool((job.result or {}).get("summary", {}).get("interrupted"))
            self._finish(job, "cancelled" if stopped else "done")
            self._changed()


__all__ = ["Queue", "Job", "run_job", "worker_main", "save_work", "preview_name"]
