"""The studio's web application (Starlette) and ``serve`` (uvicorn).

The page is plain HTML, CSS and JavaScript shipped in ``static/`` (no build step, no CDN): it
asks ``/api/components`` for every component's form, posts jobs to ``/api/jobs``, follows the
queue and the history through server-sent events (``/api/events``) and shows works from
``/api/works``. Every request passes :class:`engine.studio.security.Guard` first.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import os
import shutil
import threading
import time
from pathlib import Path
from urllib.parse import quote
from typing import Any
from collections.abc import AsyncIterator, Awaitable, Callable

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..api import Engine, new_seed
from ..errors import MuseError, UnknownName
from ..fragments import ASSETS as FRAGMENT_ASSETS
from ..io import atomic_path, sidecar_path
from . import datasets, forms
from .export import recipe_toml
from .history import Workspace
from .jobs import Queue, preview_name
from .security import COOKIE, Guard, Refused, check_values, inside, safe_name

STATIC = Path(__file__).parent / "static"
DEFAULT_PORT = 7860
#: Uploads larger than this are refused while they arrive (``--max-upload`` changes it).
MAX_UPLOAD = 32 * 1024 * 1024
MAX_JSON = 1024 * 1024
#: Works whose HTML fragment the server keeps made (a score's piano roll is up to ~300 KB).
FRAGMENTS_KEPT = 200
CSP = ("default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; style-src 'self'; "
       "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


class GuardMiddleware:
    """Host, Origin and token checks before any route, for plain and streaming responses."""

    def __init__(self, app: Any, guard: Guard):
        self.app, self.guard = app, guard

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        try:
            self.guard.check_host(request.headers.get("host"))
            self.guard.check_origin(request.method, request.headers)
        except Refused as error:
            await PlainTextResponse(str(error), status_code=403)(scope, receive, send)
            return
        if not self.guard.check_token(request.headers, request.query_params, request.cookies):
            await PlainTextResponse("this studio needs its token: open the URL `muse studio` printed", status_code=401)(scope, receive, send)
            return
        set_cookie = self.guard.token is not None and request.query_params.get("token") is not None

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(b"content-security-policy", CSP.encode()), (b"x-frame-options", b"DENY"),
                            (b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"),
                            (b"cache-control", b"no-store")]
                if set_cookie:
                    headers.append((b"set-cookie", f"{COOKIE}={self.guard.token}; HttpOnly; SameSite=Strict; Path=/".encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _zip(files: dict[str, Path]) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, path in files.items():
            archive.write(path, name)
    return buffer.getvalue()


def _error(message: str, status: int = 400, field: str = "_") -> JSONResponse:
    return JSONResponse({"error": message, "errors": {field: message}}, status_code=status)


async def _json(request: Request) -> dict[str, Any]:
    body = await request.body()
    if len(body) > MAX_JSON:
        raise MuseError(f"request of {len(body):,} bytes is too large (at most {MAX_JSON:,})")
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        raise MuseError("the request is not JSON") from None
    if not isinstance(data, dict):
        raise MuseError("the request must be a JSON object")
    return data


class Studio:
    """The state behind the routes: one Engine (forms, checks, downloads), the workspace, the queue."""

    def __init__(self, workspace: Path | str, *, workers: int = 1, max_upload: int = MAX_UPLOAD,
                 engine: Engine | None = None):
        self.workspace = Workspace(workspace)
        self.workers = workers
        self.max_upload = max_upload
        self._engine = engine
        self.queue: Queue | None = None
        self._fragments: collections.OrderedDict[str, str] = collections.OrderedDict()
        self._fragments_lock = threading.Lock()
        self._renders: dict[Path, threading.Lock] = {}  # one render per file at a time
        self._renders_lock = threading.Lock()

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self._engine = Engine()
                self._engine.components()
        return self._engine

    def component(self, kind: str, name: str) -> Any:
        if kind not in ("generator", "stylizer", "composer"):
            raise UnknownName("component kind", str(kind), ["composer", "generator", "stylizer"])
        return self.engine.get(kind, name)

    # -- checking a submission ---------------------------------------------------------------
    def plan(self, data: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, str]]:
        """A job spec from a submitted form, or the errors to show beside its fields."""
        try:
            component = self.component(str(data.get("kind")), str(data.get("name")))
        except MuseError as error:
            return None, {"_": str(error)}
        params = data.get("params") or {}
        if not isinstance(params, dict):
            return None, {"_": "params must be an object"}
        values = forms.values_from(params)
        checked: dict[str, Any] = {}
        path_errors: dict[str, str] = {}
        files = forms.file_params(component)
        for key, value in values.items():
            try:
                checked.update(check_values(self.workspace.root, {key: value}, files))
            except Refused as error:
                path_errors[key] = f"{component.name}: {error}"
        given = {k: v for k, v in checked.items() if k not in path_errors}
        _, errors = forms.validate(component, given, data.get("seed"), data.get("n") if component.kind == "generator" else None)
        errors = {**path_errors, **errors}
        inputs, input_ids = [], []
        wanted = forms.describe(component)["inputs"]
        chosen = data.get("inputs") or []
        if not isinstance(chosen, list):
            chosen = []
        if len(chosen) != len(wanted):
            errors["inputs"] = f"{component.kind} {component.name!r} takes ({', '.join(wanted)}), got {len(chosen)} input(s)"
        else:
            for index, (work_id, kind) in enumerate(zip(chosen, wanted)):
                try:
                    record = self.workspace.get(str(work_id))
                    if record["kind"] != kind:
                        raise MuseError(f"{component.kind} {component.name!r} takes {kind} as input {index + 1}, not {record['kind']}")
                    inputs.append(str(self.workspace.main_file(record["id"])))
                    input_ids.append(record["id"])
                except MuseError as error:
                    errors[f"input{index}"] = str(error)
        if errors:
            return None, errors
        n = int(data["n"]) if component.kind == "generator" and data.get("n") not in (None, "") else 1
        seed = int(str(data["seed"])) if data.get("seed") not in (None, "") else new_seed()
        action = {"generator": "generate", "stylizer": "stylize", "composer": "compose"}[component.kind]
        return {"action": action, "component": component.name, "kind": component.kind, "params": checked,
                "form": values, "seed": seed, "n": n, "inputs": inputs, "input_ids": input_ids}, {}

    # -- files ---------------------------------------------------------------------------------
    def formats(self, record: dict[str, Any]) -> list[str]:
        suffixes: list[str] = []
        for renderer in self.engine.components("renderer"):
            if renderer.work_type.kind == record["kind"]:
                suffixes += [s for s in renderer.suffixes if s not in suffixes]
        return suffixes

    def download(self, work_id: str, suffix: str) -> Path:
        """The work in format ``suffix`` (made on first request, kept beside the work)."""
        record = self.workspace.get(work_id)
        suffix = suffix.lower() if suffix.startswith(".") else f".{suffix.lower()}"
        if suffix not in self.formats(record):
            from ..works import a_kind

            raise UnknownName(f"file type for {a_kind(record['kind'])}:", suffix, self.formats(record))
        folder = self.workspace.folder(work_id)
        target = folder / f"work{suffix}"
        with self._renders_lock:
            lock = self._renders.setdefault(target, threading.Lock())
        with lock:  # a second request for the same file waits for the first render, then reads it
            if target.is_file():
                return target
            staging = self.workspace.staging()
            try:
                work = self.engine.load(self.workspace.main_file(work_id))
                made = self.engine.render(work, staging / target.name)
                for path in staging.iterdir():  # the file and any sidecar it has
                    os.replace(path, folder / path.name)
                return folder / made.name
            finally:
                shutil.rmtree(staging, ignore_errors=True)

    def work_file(self, work_id: str, name: str) -> Path:
        """A file of a work. A score's audio preview is rendered here, when the player first asks
        for it, not in the job that made the score (see `jobs.preview_name`)."""
        if name == self.workspace.get(work_id)["files"].get("preview"):  # made once, then read
            return self.download(work_id, Path(name).suffix)
        return self.workspace.file(work_id, name)

    def upload(self, name: str, body: bytes) -> dict[str, Any]:
        """An uploaded file checked by the readers `muse stylize` uses, kept as a work."""
        clean = safe_name(name or "upload")
        staging = self.workspace.staging()
        try:
            path = staging / clean
            path.write_bytes(body)
            try:
                work = self.engine.load(path)  # size limits, bomb guard, clear errors: the readers'
            except MuseError as error:
                raise MuseError(str(error).replace(str(path), clean)) from None
            from ..works import describe

            record: dict[str, Any] = {"id": self.workspace.new_id(), "created": time.time(), "job": None, "action": "upload",
                      "component": "upload", "kind": work.kind, "params": {}, "seed": None, "inputs": [],
                      "files": {"main": clean, "preview": None}, "describe": describe(work), "meta": {}, "name": clean, "seconds": 0}
            record["files"]["preview"] = preview_name(self.engine, work)
            return self.workspace.commit(staging, record)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def fragment(self, work_id: str) -> str:
        """The work as the gallery and Jupyter show it (engine.fragments), its files by URL."""
        record = self.workspace.get(work_id)
        with self._fragments_lock:
            cached = self._fragments.get(work_id)
        if cached is None:
            from ..fragments import work_html

            def url(name: str | None) -> str | None:
                return None if name is None else f"/api/works/{work_id}/files/{quote(name)}"

            work = self.engine.load(self.workspace.main_file(work_id))
            cached = work_html(work, src=url(record["files"]["main"]), audio_src=url(record["files"].get("preview")),
                               embed_audio=False)
            with self._fragments_lock:
                self._fragments[work_id] = cached
                while len(self._fragments) > FRAGMENTS_KEPT:
                    self._fragments.popitem(last=False)
        return cached

    def delete(self, work_id: str) -> None:
        self.workspace.delete(work_id)
        with self._fragments_lock:
            self._fragments.pop(work_id, None)

    def recipe(self, name: str, body: bytes) -> dict[str, Any]:
        """A recipe file checked like `muse run --check`, and its files and values held to the
        workspace; returns the job spec that runs it (one history work per step)."""
        from ..recipes import MAX_RECIPE_BYTES, Recipe

        if len(body) > MAX_RECIPE_BYTES:
            raise MuseError(f"a recipe of {len(body):,} bytes is too large (at most {MAX_RECIPE_BYTES:,})")
        # kept in the workspace (not tmp/, emptied at start), so a queued recipe survives a restart
        folder = self.workspace.root / "recipes"
        folder.mkdir(exist_ok=True)
        clean = safe_name(name or "recipe.toml")
        path = folder / f"{self.workspace.new_id()}-{clean}"
        with atomic_path(path) as temporary:
            temporary.write_bytes(body)
        try:
            plan = Recipe.load(path)
        except MuseError as error:
            path.unlink()
            raise MuseError(str(error).replace(str(path), clean)) from None
        try:
            self._check_recipe(plan, path)
        except MuseError:
            path.unlink()
            raise
        return {"action": "recipe", "component": "recipe", "seed": 0, "n": len(plan.steps),
                "inputs": [str(path)], "input_ids": [], "params": {}, "recipe": clean}

    def _check_recipe(self, plan: Any, path: Path) -> None:
        """Every file a recipe loads, and every path in its values, inside the workspace (relative
        names are relative to the recipe, in recipes/); then `muse run --check`."""
        root = self.workspace.root
        for step in plan.steps:
            where = f"step {step.name!r}"
            if step.action == "load":
                target = Path(step.target).expanduser()
                target = (target if target.is_absolute() else path.parent / target).resolve()
                if not target.is_relative_to(root):
                    raise Refused(f"{where}: load {step.target!r} is outside the studio's workspace "
                                  "(upload the file, then load ../works/ID/NAME)")
                continue
            component = self.engine.get({"generate": "generator", "stylize": "stylizer", "compose": "composer"}[step.action], step.target)
            writes = [p.name for p in component.params if p.writes and step.params.get(p.name) is not None]
            if writes:
                raise Refused(f"{where}: {writes[0]} writes files outside the studio's workspace")
            texts = {k: v for k, v in step.params.items() if isinstance(v, str)}
            step.params.update(check_values(root, texts, forms.file_params(component)))
        staging = self.workspace.staging()
        try:
            plan.check(self.engine, staging / "out", force=True)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    # -- training ------------------------------------------------------------------------------
    def datasets(self) -> list[dict[str, Any]]:
        folder = self.workspace.root / "datasets"
        if not folder.is_dir():
            return []
        return [datasets.summary(d) for d in sorted(folder.iterdir()) if d.is_dir()]

    def add_to_dataset(self, dataset: str, name: str, body: bytes) -> dict[str, Any]:
        """A file (a relative path, from a folder upload) or an archive added to datasets/NAME/."""
        suffixes = {s for r in self.engine.components("renderer") if r.readable for s in r.suffixes}
        return datasets.add(self.workspace.root, self.workspace.staging(), dataset, name, body, suffixes)

    def models(self, component: str) -> list[str]:
        folder = self.workspace.root / "models"
        if not folder.is_dir():
            return []
        return sorted(f"models/{p.name}" for p in folder.glob(f"{safe_name(component)}-*.safetensors"))

    def plan_training(self, data: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, str]]:
        try:
            component = self.engine.find_trainable(str(data.get("name")))
        except MuseError as error:
            return None, {"_": str(error)}
        values = forms.values_from(data.get("params") or {})
        errors: dict[str, str] = {}
        owner = f"train {component.name}"
        declared = {p.name for p in component.train_params}
        for key, value in values.items():
            if key not in declared:
                errors[key] = str(UnknownName(f"parameter of {owner}:", key, declared))
                continue
            try:
                values.update(check_values(self.workspace.root, {key: value}, []))
                from ..params import resolve

                resolve(component.train_params, {key: values[key]}, owner)
            except Refused as error:
                errors[key] = f"{owner}: {error}"
            except MuseError as error:
                errors[key] = str(error)
        folder = None
        if data.get("data"):
            try:
                folder = inside(self.workspace.root, str(data["data"]))
                if not folder.is_relative_to(self.workspace.root / "datasets") or not folder.is_dir():
                    raise Refused(f"{data['data']!r} is not a data set of this studio (upload one)")
            except Refused as error:
                errors["data"] = str(error)
        seed = data.get("seed") or 0
        try:
            from ..params import check_seed

            seed = check_seed(int(str(seed)))
        except (ValueError, MuseError) as error:
            errors["seed"] = str(error) if isinstance(error, MuseError) else f"seed={seed!r} is not an integer"
        if errors:
            return None, errors
        model = f"models/{safe_name(component.name)}-{self.workspace.new_id()}.safetensors"
        (self.workspace.root / "models").mkdir(exist_ok=True)
        return {"action": "train", "component": component.name, "params": values, "seed": seed, "n": 1,
                "data": str(folder) if folder else None, "dry_run": bool(data.get("dry_run")),
                "out": str(self.workspace.root / model), "model": model, "inputs": [], "input_ids": []}, {}

    def plugins(self) -> dict[str, Any]:
        host = self.engine.host
        infos = [{"name": i.name, "version": i.version, "source": i.source, "builtin": i.builtin, "hooks": i.hooks,
                  "components": i.components, "errors": i.errors} for i in host.plugins.values()]
        return {"plugins": infos, "errors": list(host.errors)}


def create_app(workspace: Path | str = "muse-studio", *, host: str = "127.0.0.1", port: int = DEFAULT_PORT,
               token: str | None = None, workers: int = 1, max_upload: int = MAX_UPLOAD,
               extra_hosts: tuple[str, ...] = (), engine: Engine | None = None) -> Starlette:
    """The studio as an ASGI app; its worker processes start with the app (lifespan)."""
    studio = Studio(workspace, workers=workers, max_upload=max_upload, engine=engine)
    guard = Guard(host, port, token, extra_hosts)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        studio.queue = Queue(studio.workspace, workers=workers)
        await run_in_threadpool(lambda: studio.engine)
        try:
            yield
        finally:
            queue, studio.queue = studio.queue, None
            await run_in_threadpool(queue.close)

    def queue() -> Queue:
        if studio.queue is None:
            raise MuseError("the studio is not running")
        return studio.queue

    async def index(request: Request) -> Response:
        return FileResponse(STATIC / "index.html", media_type="text/html")

    async def components(request: Request) -> Response:
        listed = await run_in_threadpool(lambda: [forms.describe(c) for kind in ("generator", "stylizer", "composer")
                                                  for c in studio.engine.components(kind)])
        return JSONResponse({"components": listed, "workspace": str(studio.workspace.root)})

    async def validate(request: Request) -> Response:
        try:
            data = await _json(request)
        except MuseError as error:
            return _error(str(error))
        _, errors = await run_in_threadpool(studio.plan, data)
        return JSONResponse({"errors": errors})  # the check itself succeeded; the page shows them

    async def submit(request: Request) -> Response:
        try:
            data = await _json(request)
        except MuseError as error:
            return _error(str(error))
        spec, errors = await run_in_threadpool(studio.plan, data)
        if errors or spec is None:
            return JSONResponse({"errors": errors, "error": next(iter(errors.values()))}, status_code=400)
        label = f"{spec['action']} {spec['component']}" + (f" ×{spec['n']}" if spec["n"] > 1 else "") + f" seed {spec['seed']}"
        job = queue().submit(spec, label)
        return JSONResponse({"job": job.public()})

    async def jobs(request: Request) -> Response:
        return JSONResponse({"jobs": queue().snapshot()})

    async def job(request: Request) -> Response:
        try:
            return JSONResponse({"job": queue().get(request.path_params["job_id"]).public()})
        except MuseError as error:
            return _error(str(error), 404)

    async def resume(request: Request) -> Response:
        try:
            return JSONResponse({"job": queue().resume(request.path_params["job_id"]).public()})
        except MuseError as error:
            return _error(str(error), 404 if "no job" in str(error) else 400)

    async def sample(request: Request) -> Response:
        """A preview a training job wrote (one of the names its ``samples`` lists)."""
        try:
            job = queue().get(request.path_params["job_id"])
        except MuseError as error:
            return _error(str(error), 404)
        name, folder = request.path_params["name"], job.samples_dir
        if folder is None or name not in job.samples():
            return _error(f"job {job.id} has no preview {name!r}", 404)
        try:
            return FileResponse(inside(studio.workspace.root, folder.relative_to(studio.workspace.root) / name))
        except (Refused, ValueError):
            return _error(f"job {job.id} has no preview {name!r}", 404)

    async def cancel(request: Request) -> Response:
        try:
            return JSONResponse({"job": queue().cancel(request.path_params["job_id"]).public()})
        except MuseError as error:
            return _error(str(error), 404)

    async def events(request: Request) -> Response:
        once = request.query_params.get("once") is not None

        async def stream() -> AsyncIterator[str]:
            seen_jobs = seen_works = -1
            quiet = 0.0
            while True:
                q = studio.queue
                if q is None:
                    return
                if q.version != seen_jobs:
                    seen_jobs = q.version
                    yield f"event: jobs\ndata: {json.dumps(q.snapshot())}\n\n"
                    quiet = 0
                if studio.workspace.version != seen_works:
                    seen_works = studio.workspace.version
                    yield f"event: history\ndata: {json.dumps({'version': seen_works})}\n\n"
                    quiet = 0
                if once:
                    return
                await asyncio.sleep(0.1)
                quiet += 0.1
                if quiet > 15:
                    quiet = 0
                    yield ": keep-alive\n\n"
                if await request.is_disconnected():
                    return

        return StreamingResponse(stream(), media_type="text/event-stream", headers={"x-accel-buffering": "no"})

    async def works(request: Request) -> Response:
        records = studio.workspace.list(request.query_params.get("component"), request.query_params.get("kind"))
        return JSONResponse({"works": records, "version": studio.workspace.version})

    def _work_route(handler: Callable[[Request, str], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
        async def route(request: Request) -> Response:
            try:
                return await handler(request, request.path_params["work_id"])
            except Refused as error:
                return _error(str(error), 403)
            except MuseError as error:
                return _error(str(error), 404 if "no work" in str(error) or "has no file" in str(error) else 400)
        return route

    async def work(request: Request, work_id: str) -> Response:
        record = studio.workspace.get(work_id)
        return JSONResponse({"work": record, "formats": await run_in_threadpool(studio.formats, record),
                             "html": await run_in_threadpool(studio.fragment, work_id)})

    async def delete(request: Request, work_id: str) -> Response:
        await run_in_threadpool(studio.delete, work_id)
        return JSONResponse({"deleted": work_id})

    async def work_file(request: Request, work_id: str) -> Response:
        return FileResponse(await run_in_threadpool(studio.work_file, work_id, request.path_params["name"]))

    async def download(request: Request, work_id: str) -> Response:
        suffix = request.query_params.get("format", "")
        path = await run_in_threadpool(studio.download, work_id, suffix)
        record = studio.workspace.get(work_id)
        stem = safe_name(f"{record['component']}-{record['seed']}" if record.get("seed") is not None else Path(record["files"]["main"]).stem)
        sidecar = sidecar_path(path)
        if not sidecar.is_file():
            return FileResponse(path, filename=f"{stem}{path.suffix}")
        # a format with no room for provenance (plain text) keeps it in FILE.muse.json: both travel, zipped
        name = f"{stem}{path.suffix}"
        body = await run_in_threadpool(_zip, {name: path, sidecar_path(Path(name)).name: sidecar})
        return Response(body, media_type="application/zip",
                        headers={"content-disposition": f'attachment; filename="{name}.zip"'})

    async def reproduce(request: Request, work_id: str) -> Response:
        record = studio.workspace.get(work_id)
        if record["action"] == "upload":
            raise MuseError("an uploaded file was not made here; there is nothing to reproduce")
        spec = {"action": "reproduce", "component": record["component"], "seed": record["seed"],
                "inputs": [str(studio.workspace.main_file(work_id))], "input_ids": [work_id], "n": 1}
        return JSONResponse({"job": queue().submit(spec, f"reproduce {record['component']} ({work_id})").public()})

    async def recipe(request: Request, work_id: str) -> Response:
        record = studio.workspace.get(work_id)
        if record["action"] == "upload":
            raise MuseError("an uploaded file has no recipe; it is a recipe's input (a load step)")
        main = record["files"]["main"]
        save = f"{safe_name(record['component'])}{Path(main).suffix}"
        text = recipe_toml(record["meta"], save, f"{record['describe']}, made by {record['component']} seed {record['seed']}")
        return Response(text, media_type="application/toml",
                        headers={"content-disposition": f'attachment; filename="{safe_name(record["component"])}-recipe.toml"'})

    async def upload(request: Request) -> Response:
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > studio.max_upload:
            return _error(f"an upload of {int(length):,} bytes is too large (at most {studio.max_upload:,})", 413)
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > studio.max_upload:
                return _error(f"an upload of more than {studio.max_upload:,} bytes is too large", 413)
            chunks.append(chunk)
        if not size:
            return _error("the upload is empty")
        try:
            record = await run_in_threadpool(studio.upload, request.query_params.get("name", "upload"), b"".join(chunks))
        except MuseError as error:
            return _error(str(error))
        return JSONResponse({"work": record})

    async def run_recipe(request: Request) -> Response:
        body = await request.body()
        try:
            spec = await run_in_threadpool(studio.recipe, request.query_params.get("name", "recipe.toml"), body)
        except Refused as error:
            return _error(str(error), 403)
        except MuseError as error:
            return _error(str(error))
        return JSONResponse({"job": queue().submit(spec, f"recipe {spec['recipe']} ({spec['n']} steps)").public()})

    async def train(request: Request) -> Response:
        try:
            data = await _json(request)
        except MuseError as error:
            return _error(str(error))
        spec, errors = await run_in_threadpool(studio.plan_training, data)
        if errors or spec is None:
            return JSONResponse({"errors": errors, "error": next(iter(errors.values()))}, status_code=400)
        label = f"train {spec['component']}" + (" (dry run)" if spec["dry_run"] else "")
        return JSONResponse({"job": queue().submit(spec, label).public()})

    async def datasets(request: Request) -> Response:
        return JSONResponse({"datasets": await run_in_threadpool(studio.datasets)})

    async def add_data(request: Request) -> Response:
        chunks, size = [], 0
        async for chunk in request.stream():  # refused while it arrives, as uploads are
            size += len(chunk)
            if size > studio.max_upload:
                return _error(f"a file of more than {studio.max_upload:,} bytes is too large", 413)
            chunks.append(chunk)
        body = b"".join(chunks)
        try:
            dataset = await run_in_threadpool(studio.add_to_dataset, request.query_params.get("dataset", ""),
                                              request.query_params.get("name", ""), body)
        except MuseError as error:
            return _error(str(error))
        return JSONResponse({"dataset": dataset})

    async def models(request: Request) -> Response:
        return JSONResponse({"models": studio.models(request.query_params.get("component", ""))})

    async def plugins(request: Request) -> Response:
        return JSONResponse(await run_in_threadpool(studio.plugins))

    routes = [
        Route("/", index),
        Route("/api/components", components),
        Route("/api/validate", validate, methods=["POST"]),
        Route("/api/jobs", jobs),
        Route("/api/jobs", submit, methods=["POST"]),
        Route("/api/jobs/{job_id}", job),
        Route("/api/jobs/{job_id}/cancel", cancel, methods=["POST"]),
        Route("/api/jobs/{job_id}/resume", resume, methods=["POST"]),
        Route("/api/jobs/{job_id}/samples/{name}", sample),
        Route("/api/events", events),
        Route("/api/works", works),
        Route("/api/works/{work_id}", _work_route(work)),
        Route("/api/works/{work_id}", _work_route(delete), methods=["DELETE"]),
        Route("/api/works/{work_id}/files/{name}", _work_route(work_file)),
        Route("/api/works/{work_id}/download", _work_route(download)),
        Route("/api/works/{work_id}/reproduce", _work_route(reproduce), methods=["POST"]),
        Route("/api/works/{work_id}/recipe", _work_route(recipe)),
        Route("/api/uploads", upload, methods=["POST"]),
        Route("/api/recipes", run_recipe, methods=["POST"]),
        Route("/api/plugins", plugins),
        Route("/api/train", train, methods=["POST"]),
        Route("/api/datasets", datasets),
        Route("/api/datasets", add_data, methods=["POST"]),
        Route("/api/models", models),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
        Mount("/fragments", StaticFiles(directory=FRAGMENT_ASSETS), name="fragments"),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.studio = studio
    app.add_middleware(GuardMiddleware, guard=guard)
    return app


def serve(workspace: Path, *, host: str, port: int, token: str | None, workers: int, max_upload: int,
          echo: Any = print) -> None:
    """Run the studio until Ctrl+C; refuses a busy port in one line before anything starts."""
    import socket

    import uvicorn

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise MuseError(f"cannot listen on {host}:{port}: {error.strerror or error} (try --port)") from None
    app = create_app(workspace, host=host, port=port, token=token, workers=workers, max_upload=max_upload)
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/" + (f"?token={token}" if token else "")
    echo(f"Muse Studio: {url}")
    echo(f"workspace: {app.state.studio.workspace.root}  (Ctrl+C stops)")
    # open event streams end with the server: a short grace period, not a wait for every tab to close
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False, timeout_graceful_shutdown=2)


__all__ = ["create_app", "serve", "Studio", "DEFAULT_PORT", "MAX_UPLOAD"]
