"""Muse Studio through Starlette's test client: forms, validation, jobs, history, security.

One studio (one warm worker) serves most tests of this module; the gan is fast, so a job is
a few hundred milliseconds once the worker has loaded it.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
starlette = pytest.importorskip("starlette", reason="the studio needs starlette (pip install -e .)")
pytest.importorskip("httpx", reason="Starlette's test client needs httpx (the test extra)")

from starlette.testclient import TestClient  # noqa: E402

from engine import Engine  # noqa: E402
from engine.studio.app import create_app  # noqa: E402

H = {"x-muse-studio": "1"}


def start(workspace: Path, **options) -> tuple[TestClient, object]:
    app = create_app(workspace, extra_hosts=("testserver",), **options)
    return TestClient(app), app


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:  # as conftest does per test: no venv-installed plugins
        patch.setenv("MUSE_LOAD_PLUGINS", "")
        patch.setenv("MUSE_THREADS", "1")
        client, app = start(tmp_path_factory.mktemp("studio") / "ws")
        with client:
            client.app_state = app.state.studio
            yield client


def run(client, body: dict, timeout: float = 120) -> dict:
    response = client.post("/api/jobs", json=body, headers=H)
    assert response.status_code == 200, response.text
    job = client.app_state.queue.wait(response.json()["job"]["id"], timeout)
    return job.public()


def gan(client, seed=7, **params) -> dict:
    job = run(client, {"kind": "generator", "name": "gan", "params": params, "seed": seed})
    assert job["state"] == "done", job["error"]
    return client.get(f"/api/works/{job['works'][0]}").json()["work"]


# -- forms ---------------------------------------------------------------------------------------
def test_forms_match_what_muse_list_declares(studio):
    listed = {(c["kind"], c["name"]): c for c in studio.get("/api/components").json()["components"]}
    engine = Engine()
    for kind in ("generator", "stylizer", "composer"):
        for component in engine.components(kind):
            form = listed.pop((kind, component.name))
            assert form["description"] == component.description
            offered = [p for p in component.params if not p.writes]
            assert [f["name"] for f in form["params"]] == [p.name for p in offered]
            for field, param in zip(form["params"], offered):
                assert field["range"] == param.describe_range()
                assert field["default"] == (str(param.default) if isinstance(param.default, Path) else param.default)
    assert not listed
    widgets = {(c, f["name"]): f for (k, c), form in
               {(c["kind"], c["name"]): c for c in studio.get("/api/components").json()["components"]}.items() for f in form["params"]}
    assert widgets[("gan", "truncation")]["widget"] == "slider" and widgets[("gan", "truncation")]["max"] == 2.0
    assert widgets[("poem", "form")]["widget"] == "select" and "sonnet" in widgets[("poem", "form")]["choices"]
    assert widgets[("gan", "animate")]["widget"] == "toggle"
    assert widgets[("vae", "start")]["widget"] == "file"  # a Path parameter
    assert widgets[("style", "style")]["widget"] == "file"  # the plugin asked for it (studio_widgets)
    assert ("style", "snapshots") not in widgets  # writes files elsewhere: not offered


def test_invalid_values_get_the_cli_message_next_to_the_field(studio, muse, in_tmp):
    cli = muse("generate", "gan", "-p", "truncation=5", "-o", "x.png")
    assert cli.code == 1
    response = studio.post("/api/validate", json={"kind": "generator", "name": "gan", "params": {"truncation": "5"}}, headers=H)
    assert response.status_code == 200
    assert "muse: error: " + response.json()["errors"]["truncation"] == cli.err.strip()
    response = studio.post("/api/jobs", json={"kind": "generator", "name": "gan", "params": {"truncation": "5", "grid": "x"},
                                              "seed": "-1", "n": "0"}, headers=H)
    errors = response.json()["errors"]
    assert response.status_code == 400 and set(errors) == {"truncation", "grid", "seed", "n"}
    assert errors["grid"] == "gan: grid='x' is not an integer; valid: 0..32 (draw a GRIDxGRID contact sheet instead: cell j is the sample of seed+j)"
    unknown = studio.post("/api/validate", json={"kind": "generator", "name": "gan", "params": {"colour": "1"}}, headers=H).json()
    assert unknown["errors"]["colour"].startswith("unknown parameter of gan: 'colour'; valid: animate, class_check, grid")
    assert studio.post("/api/validate", json={"kind": "generator", "name": "gann"}, headers=H).json()["errors"]["_"].startswith(
        "unknown generator 'gann'")
    assert studio.get("/api/jobs").json()["jobs"] == [] or all(j["component"] != "gan" or j["state"] == "done"
                                                               for j in studio.get("/api/jobs").json()["jobs"])


# -- jobs ----------------------------------------------------------------------------------------
def test_a_studio_work_is_the_file_muse_generate_writes(studio, muse, in_tmp):
    work = gan(studio, seed=11, truncation="0.7")
    assert muse("generate", "gan", "--seed", "11", "-p", "truncation=0.7", "-o", "cli.png").code == 0
    studio_bytes = studio.get(f"/api/works/{work['id']}/files/{work['files']['main']}").content
    assert studio_bytes == (in_tmp / "cli.png").read_bytes()
    # a batch: item i is seed + i, as with -n
    job = run(studio, {"kind": "generator", "name": "gan", "params": {}, "seed": 20, "n": 2})
    assert muse("generate", "gan", "--seed", "20", "-n", "2", "-o", "batch.png").code == 0
    for index, work_id in enumerate(job["works"]):
        record = studio.get(f"/api/works/{work_id}").json()["work"]
        assert record["seed"] == 20 + index
        assert studio.get(f"/api/works/{work_id}/files/work.png").content == (in_tmp / f"batch-00{index}.png").read_bytes()


def test_a_failing_job_reports_one_line_and_the_worker_survives(studio):
    image = gan(studio, seed=1)
    job = run(studio, {"kind": "stylizer", "name": "style", "params": {}, "seed": 1, "inputs": [image["id"]]})
    assert job["state"] == "failed"
    assert "\n" not in job["error"] and "style" in job["error"], job["error"]
    again = run(studio, {"kind": "generator", "name": "gan", "params": {}, "seed": 2})
    assert again["state"] == "done" and again["worker"] == job["worker"]  # the same warm process


def _png(size=64) -> bytes:
    from PIL import Image as PILImage

    buffer = io.BytesIO()
    PILImage.new("RGB", (size, size), (200, 120, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_cancel_a_queued_and_a_running_job(studio):
    image = gan(studio, seed=3)
    painting = studio.post("/api/uploads?name=painting.png", content=_png(), headers=H).json()["work"]
    slow = {"kind": "stylizer", "name": "style", "seed": 1, "inputs": [image["id"]],
            "params": {"style": f"works/{painting['id']}/{painting['files']['main']}", "size": "512", "steps": "5000"}}
    running = studio.post("/api/jobs", json=slow, headers=H).json()["job"]
    queued = studio.post("/api/jobs", json={"kind": "generator", "name": "gan", "seed": 5}, headers=H).json()["job"]
    assert studio.post(f"/api/jobs/{queued['id']}/cancel", headers=H).json()["job"]["state"] == "cancelled"
    queue = studio.app_state.queue
    deadline = time.time() + 60
    while queue.get(running["id"]).progress is None and time.time() < deadline:  # style's tqdm reports steps
        time.sleep(0.05)
    progress = queue.get(running["id"]).progress
    assert progress is not None and progress["total"] > 0, "no progress from the running job"
    studio.post(f"/api/jobs/{running['id']}/cancel", headers=H)
    assert queue.wait(running["id"], 30).state == "cancelled"
    after = run(studio, {"kind": "generator", "name": "gan", "params": {}, "seed": 6})
    assert after["state"] == "done" and after["worker"] != queue.get(running["id"]).worker  # a fresh worker


def test_events_stream_the_queue(studio):
    text = studio.get("/api/events?once=1").text
    assert text.startswith("event: jobs\ndata: [") and "event: history" in text


# -- history -------------------------------------------------------------------------------------
def test_history_survives_a_restart_and_delete_removes(tmp_path):
    client, app = start(tmp_path / "ws")
    with client:
        client.app_state = app.state.studio
        first = gan(client, seed=4)
        second = gan(client, seed=5)
    client, app = start(tmp_path / "ws")
    with client:
        ids = [w["id"] for w in client.get("/api/works").json()["works"]]
        assert ids == [second["id"], first["id"]]
        assert client.get(f"/api/works/{first['id']}/files/work.png").content[:4] == b"\x89PNG"
        assert client.delete(f"/api/works/{first['id']}", headers=H).status_code == 200
        assert client.get(f"/api/works/{first['id']}").status_code == 404
        assert not (tmp_path / "ws" / "works" / first["id"]).exists()
    assert not list((tmp_path / "ws" / "tmp").iterdir())  # nothing half-made left


def test_download_in_another_format_keeps_provenance_and_reproduce_says_identical(studio, tmp_path):
    work = gan(studio, seed=9)
    response = studio.get(f"/api/works/{work['id']}/download?format=.jpg")
    assert response.status_code == 200 and response.headers["content-disposition"].endswith('gan-9.jpg"')
    (tmp_path / "x.jpg").write_bytes(response.content)
    assert Engine().info(tmp_path / "x.jpg")["seed"] == 9
    bad = studio.get(f"/api/works/{work['id']}/download?format=.mp3").json()["error"]
    assert bad.startswith("unknown file type for an image: '.mp3'; valid: .gif, .jpeg, .jpg, .png, .webp")
    job = studio.post(f"/api/works/{work['id']}/reproduce", headers=H).json()["job"]
    done = studio.app_state.queue.wait(job["id"], 60)
    assert done.state == "done" and done.result == {"identical": True, "detail": "identical"}


def test_a_melody_has_notes_and_audio_to_play(studio):
    job = run(studio, {"kind": "generator", "name": "melody", "params": {"bars": "4"}, "seed": 3})
    assert job["state"] == "done", job["error"]
    shown = studio.get(f"/api/works/{job['works'][0]}").json()
    work = studio.app_state.engine.load(studio.app_state.workspace.main_file(shown["work"]["id"]))
    # the shared fragment: a bar per note, a play button for the synthesized preview (a URL, not embedded)
    assert shown["html"].count("<rect x=") == sum(len(t.notes) for t in work.tracks) > 0
    assert 'class="muse-play"' in shown["html"] and f'src="/api/works/{shown["work"]["id"]}/files/work.ogg"' in shown["html"]
    assert "base64" not in shown["html"]
    work = shown["work"]
    assert work["files"] == {"main": "work.mid", "preview": "work.ogg"}
    # the job wrote the tune only; the player's first request renders the audio, later ones reuse it
    preview = studio.app_state.workspace.folder(work["id"]) / "work.ogg"
    assert not preview.exists()
    assert studio.get(f"/api/works/{work['id']}/files/work.ogg").content[:4] == b"OggS"
    made = preview.stat().st_mtime_ns
    assert studio.get(f"/api/works/{work['id']}/files/work.ogg").content[:4] == b"OggS"
    assert preview.stat().st_mtime_ns == made
    assert studio.get(f"/api/works/{work['id']}/files/work.wav").status_code == 404  # only the preview is made on request


def test_an_uploaded_midi_plays_once_asked(studio, tmp_path):
    from engine.works import Note, Score, Track

    tune = Score(tracks=[Track(notes=[Note(60 + i, i * 0.5, i * 0.5 + 0.4) for i in range(4)])])
    studio.app_state.engine.render(tune, tmp_path / "tune.mid")
    work = studio.post("/api/uploads?name=tune.mid", content=(tmp_path / "tune.mid").read_bytes(), headers=H).json()["work"]
    assert work["files"] == {"main": "tune.mid", "preview": "work.ogg"}
    assert not (studio.app_state.workspace.folder(work["id"]) / "work.ogg").exists()
    assert studio.get(f"/api/works/{work['id']}/files/work.ogg").content[:4] == b"OggS"


def test_a_chain_exports_a_recipe_that_muse_run_repeats(studio, muse, in_tmp):
    image = gan(studio, seed=8)
    job = run(studio, {"kind": "stylizer", "name": "vae-reconstruct", "params": {}, "seed": 2, "inputs": [image["id"]]})
    assert job["state"] == "done", job["error"]
    recipe = studio.get(f"/api/works/{job['works'][0]}/recipe")
    assert recipe.status_code == 200
    (in_tmp / "chain.toml").write_text(recipe.text)
    result = muse("run", "chain.toml", "-o", "out")
    assert result.code == 0, result.err
    from PIL import Image as PILImage
    import numpy as np

    remade = np.asarray(PILImage.open(in_tmp / "out" / "vae-reconstruct.png"))
    ours = np.asarray(PILImage.open(io.BytesIO(studio.get(f"/api/works/{job['works'][0]}/files/work.png").content)))
    assert np.array_equal(remade, ours)


def test_a_recipe_runs_from_the_page_and_stays_in_the_workspace(studio):
    image = gan(studio, seed=13)
    job = run(studio, {"kind": "stylizer", "name": "vae-reconstruct", "params": {}, "seed": 3, "inputs": [image["id"]]})
    recipe = studio.get(f"/api/works/{job['works'][0]}/recipe").text
    response = studio.post("/api/recipes?name=chain.toml", content=recipe.encode(), headers=H)
    assert response.status_code == 200, response.text
    done = studio.app_state.queue.wait(response.json()["job"]["id"], 120)
    assert done.state == "done" and len(done.works) == 2, done.error
    last = studio.get(f"/api/works/{done.works[1]}").json()["work"]
    assert last["component"] == "vae-reconstruct" and last["seed"] == 3
    import numpy as np
    from PIL import Image as PILImage

    def pixels(work_id):
        return np.asarray(PILImage.open(io.BytesIO(studio.get(f"/api/works/{work_id}/files/work.png").content)))

    assert np.array_equal(pixels(done.works[1]), pixels(job["works"][0]))  # the same art (inputs passed in memory)
    outside = '[[steps]]\nname = "x"\nload = "/etc/passwd.png"\n'
    refused = studio.post("/api/recipes", content=outside.encode(), headers=H)
    assert refused.status_code == 403 and "outside the studio's workspace" in refused.json()["error"]
    broken = studio.post("/api/recipes?name=r.toml", content=b"[[steps]]\nname = 1\n", headers=H).json()["error"]
    assert broken == "r.toml: step 1 needs a name"


def test_train_a_model_on_uploaded_images_and_use_it(studio):
    import numpy as np
    from PIL import Image as PILImage

    rng = np.random.default_rng(0)
    for index in range(24):
        buffer = io.BytesIO()
        PILImage.fromarray(rng.integers(0, 255, (28, 28), dtype=np.uint8)).save(buffer, format="PNG")
        response = studio.post(f"/api/datasets?dataset=my%20shoes&name=s{index}.png", content=buffer.getvalue(), headers=H)
        assert response.status_code == 200, response.text
    assert studio.get("/api/datasets").json()["datasets"] == [{"name": "my-shoes", "path": "datasets/my-shoes", "files": 24}]
    assert "a.exe: not a data file the readers know" in studio.post("/api/datasets?dataset=x&name=a.exe", content=b"MZ", headers=H).json()["error"]
    bad = studio.post("/api/train", json={"name": "gan", "data": "../..", "params": {"batch_size": "0"}}, headers=H).json()["errors"]
    assert set(bad) == {"data", "batch_size"}
    body = {"name": "gan", "data": "datasets/my-shoes", "params": {"batch_size": "8"}, "dry_run": True, "seed": 1}
    response = studio.post("/api/train", json=body, headers=H)
    assert response.status_code == 200, response.text
    done = studio.app_state.queue.wait(response.json()["job"]["id"], 300)
    assert done.state == "done", done.error
    model = done.result["model"]
    assert studio.get("/api/models?component=gan").json()["models"] == [model]
    work = gan(studio, seed=1, model=model)  # the trained model is a model= choice of gan's form
    assert work["meta"]["checkpoint"]


def png(seed: int) -> bytes:
    import numpy as np
    from PIL import Image as PILImage

    buffer = io.BytesIO()
    PILImage.fromarray(np.random.default_rng(seed).integers(0, 255, (28, 28), dtype=np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def zipped(members: dict[str, bytes], links: tuple[str, ...] = ()) -> bytes:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        for name in links:
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o120777 << 16)  # a symlink
            archive.writestr(info, "/etc/passwd")
    return buffer.getvalue()


def test_a_data_set_comes_as_an_archive_or_a_folder_and_is_checked(studio):
    def send(name, body, dataset="shoes"):
        return studio.post(f"/api/datasets?dataset={dataset}&name={name}", content=body, headers=H)

    # one shared top folder is dropped, class folders are kept, junk is skipped and counted
    archive = zipped({"shoes/boots/a.png": png(1), "shoes/sneakers/b.png": png(2), "shoes/README.exe": b"MZ",
                      "__MACOSX/shoes/._a.png": b"junk"})
    response = send("shoes.zip", archive)
    assert response.status_code == 200, response.text
    assert response.json()["dataset"] == {"name": "shoes", "path": "datasets/shoes", "files": 2, "added": 2, "skipped": 2}
    root = studio.app_state.workspace.root / "datasets" / "shoes"
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*.png")) == ["boots/a.png", "sneakers/b.png"]
    # a folder upload sends each file's path inside the folder
    assert send("sandals/c.png", png(3)).json()["dataset"]["files"] == 3
    tarred = io.BytesIO()
    import tarfile

    with tarfile.open(fileobj=tarred, mode="w:gz") as tar:
        info = tarfile.TarInfo("more/d.png")
        data = png(4)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    assert send("more.tar.gz", tarred.getvalue()).json()["dataset"]["files"] == 4
    # refused whole, nothing written: escapes, links, bombs, junk
    for name, body, message in [
        ("up.zip", zipped({"ok.png": png(5), "../../escape.png": png(6)}), "'..' leads outside"),
        ("abs.zip", zipped({"/etc/cron.d/x.png": png(7)}), "an absolute path"),
        ("link.zip", zipped({"ok.png": png(8)}, links=("l.png",)), "a link or a special file"),
        ("bomb.zip", zipped({"big.png": bytes(300 * 1024 * 1024 // 100)}), "decompression bomb"),
        ("x.zip", b"not a zip", "not a readable zip archive"),
        ("../x.png", png(9), "'..' leads outside"),
    ]:
        refused = send(name, body, dataset="other")
        assert refused.status_code in (400, 403) and message in refused.json()["error"], (name, refused.text)
    assert not (studio.app_state.workspace.root / "datasets" / "other").exists()
    assert not list(studio.app_state.workspace.tmp.iterdir())


def test_training_shows_previews_cancels_with_a_checkpoint_and_resumes(studio):
    for index in range(24):
        assert studio.post(f"/api/datasets?dataset=resume&name=s{index}.png", content=png(index), headers=H).status_code == 200
    body = {"name": "gan", "data": "datasets/resume", "seed": 2,
            "params": {"batch_size": "8", "epochs": "20", "sample_every": "2", "checkpoint_every": "1000"}}
    response = studio.post("/api/train", json=body, headers=H)
    assert response.status_code == 200, response.text
    job_id = response.json()["job"]["id"]
    queue = studio.app_state.queue
    deadline = time.time() + 120
    while not queue.get(job_id).samples() and time.time() < deadline:
        time.sleep(0.1)
    listed = studio.get(f"/api/jobs/{job_id}").json()["job"]
    assert listed["samples"], "no preview while training"
    preview = studio.get(f"/api/jobs/{job_id}/samples/{listed['samples'][-1]}")
    assert preview.status_code == 200 and preview.content[:4] == b"\x89PNG"
    assert studio.get(f"/api/jobs/{job_id}/samples/..%2Fresume.png").status_code == 404
    studio.post(f"/api/jobs/{job_id}/cancel", headers=H)
    stopped = queue.wait(job_id, 60)
    assert stopped.state == "cancelled" and stopped.public()["resumable"], (stopped.state, stopped.error)
    step = stopped.result["summary"]["step"]
    assert 0 < step < 60
    samples = queue.get(job_id).samples_dir
    first = (samples / "step-000002.png").stat().st_mtime_ns
    response = studio.post(f"/api/jobs/{job_id}/resume", headers=H)
    assert response.status_code == 200, response.text
    resumed = queue.wait(response.json()["job"]["id"], 600)
    assert resumed.state == "done", resumed.error
    assert resumed.result["summary"]["step"] == 60 and resumed.result["model"] == stopped.result["model"]
    assert (samples / "step-000002.png").stat().st_mtime_ns == first  # continued, not started over
    assert studio.post(f"/api/jobs/{resumed.id}/resume", headers=H).status_code == 400  # finished: nothing to resume


def test_jobs_waiting_in_the_queue_survive_a_restart(tmp_path):
    from engine.studio.history import Workspace
    from engine.studio.jobs import Queue

    workspace = Workspace(tmp_path / "ws")
    waiting = Queue(workspace, workers=0)  # nothing runs: the jobs wait in line
    for seed in (21, 22):
        waiting.submit({"action": "generate", "component": "gan", "kind": "generator", "params": {}, "seed": seed, "n": 1,
                        "inputs": [], "input_ids": [], "form": {}}, f"generate gan seed {seed}")
    saved = json.loads((tmp_path / "ws" / "queue.json").read_text())
    assert [job["spec"]["seed"] for job in saved["jobs"]] == [21, 22]
    waiting.close()  # a server stopping keeps them
    assert json.loads((tmp_path / "ws" / "queue.json").read_text()) == saved
    outside = {**saved["jobs"][0]["spec"], "action": "stylize", "inputs": ["/etc/passwd"]}
    tampered = {"jobs": [*saved["jobs"], {"label": "x", "spec": outside}, {"spec": {"action": "rm -rf"}}, 7]}
    (tmp_path / "ws" / "queue.json").write_text(json.dumps(tampered))  # what is not ours is not run
    client, app = start(tmp_path / "ws")
    with client:
        jobs = app.state.studio.queue.snapshot()
        assert sorted(job["label"] for job in jobs) == ["generate gan seed 21 (after a restart)", "generate gan seed 22 (after a restart)"]
        for job in jobs:
            assert app.state.studio.queue.wait(job["id"], 120).state == "done"
        assert sorted(w["seed"] for w in client.get("/api/works").json()["works"]) == [21, 22]
    assert json.loads((tmp_path / "ws" / "queue.json").read_text()) == {"jobs": []}


def test_every_renderer_format_downloads_with_provenance_and_the_history_filters(studio, tmp_path):
    made = {"image": gan(studio, seed=11)}
    for kind, name, params in (("score", "melody", {"bars": "2"}), ("text", "poem", {"form": "couplet"})):
        job = run(studio, {"kind": "generator", "name": name, "params": params, "seed": 5})
        assert job["state"] == "done", job["error"]
        made[kind] = studio.get(f"/api/works/{job['works'][0]}").json()["work"]
    wanted = {"image": {".png", ".jpg", ".webp", ".gif"}, "score": {".mid", ".wav", ".flac", ".ogg"}, "text": {".txt", ".md"}}
    engine = Engine()
    for kind, work in made.items():
        formats = studio.get(f"/api/works/{work['id']}").json()["formats"]
        renderers = {s for r in engine.components("renderer") if r.work_type.kind == kind for s in r.suffixes}
        assert set(formats) == renderers and wanted[kind] <= renderers
        for suffix in formats:
            response = studio.get(f"/api/works/{work['id']}/download?format={suffix}")
            assert response.status_code == 200, (kind, suffix, response.text)
            path = tmp_path / f"{kind}{suffix}"
            if response.headers["content-type"] == "application/zip":  # provenance in a sidecar: both come
                import zipfile

                with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
                    names = archive.namelist()
                    assert len(names) == 2 and names[1] == names[0] + ".muse.json", names
                    path.write_bytes(archive.read(names[0]))
                    (tmp_path / f"{path.name}.muse.json").write_bytes(archive.read(names[1]))
            else:
                path.write_bytes(response.content)
            if engine.renderer_for(type(engine.load(studio.app_state.workspace.main_file(work["id"]))), suffix).readable:
                assert engine.load(path).meta["component"] == work["component"], (kind, suffix)  # provenance embedded
    for kind in made:
        assert {w["kind"] for w in studio.get(f"/api/works?kind={kind}").json()["works"]} == {kind}
    assert {w["component"] for w in studio.get("/api/works?component=poem").json()["works"]} == {"poem"}


def test_plugins_page_shows_plugins_that_failed_to_load(tmp_path, monkeypatch):
    from conftest import enable_plugins, install_dist

    monkeypatch.syspath_prepend(str(install_dist(tmp_path / "site", "muse-missing", {"missing": "no_such_module_xyz"})))
    enable_plugins(monkeypatch, "missing")
    client, _ = start(tmp_path / "ws", workers=0)
    with client:
        data = client.get("/api/plugins").json()
    assert any(e.startswith("plugin 'missing': failed to load: ModuleNotFoundError") for e in data["errors"]), data["errors"]
    assert next(p for p in data["plugins"] if p["name"] == "missing")["errors"]


def test_plugins_page_lists_plugins(studio):
    data = studio.get("/api/plugins").json()
    names = {p["name"] for p in data["plugins"]}
    assert {"gan", "melody", "poem"} <= names and isinstance(data["errors"], list)


# -- security -------------------------------------------------------------------------------------
def test_paths_outside_the_workspace_are_refused(studio):
    image = gan(studio, seed=12)
    for value in ("../../etc/passwd", "/etc/passwd", "~/x.png", "works/../../x.png"):
        body = {"kind": "stylizer", "name": "style", "params": {"style": value}, "inputs": [image["id"]]}
        error = studio.post("/api/jobs", json=body, headers=H).json()["errors"]["style"]
        assert "workspace" in error or "'..'" in error, error
    for value in ("/etc/passwd.safetensors", "../weights.safetensors"):  # a str parameter naming a path
        body = {"kind": "generator", "name": "gan", "params": {"model": value}}
        assert "model" in studio.post("/api/jobs", json=body, headers=H).json()["errors"]
    meter = {"kind": "generator", "name": "melody", "params": {"time_signature": "6/8"}}  # a slash that is no path
    assert studio.post("/api/validate", json=meter, headers=H).json()["errors"] == {}
    assert studio.get(f"/api/works/{image['id']}/files/..%2F..%2Frecord.json").status_code in (403, 404)
    assert studio.get(f"/api/works/{image['id']}/files/record.json").status_code == 403
    assert studio.get("/api/works/..%2F..%2Fetc/files/passwd").status_code in (403, 404)
    assert studio.get("/static/../app.py").status_code == 404


def test_uploads_are_sanitised_checked_and_limited(tmp_path, studio):
    response = studio.post("/api/uploads?name=../../evil%20name.png", content=_png(), headers=H)
    record = response.json()["work"]
    assert record["files"]["main"] == "evil-name.png" and record["kind"] == "image"
    assert (studio.app_state.workspace.works / record["id"] / "evil-name.png").is_file()
    garbage = studio.post("/api/uploads?name=x.png", content=b"not a png at all", headers=H)
    assert garbage.status_code == 400 and garbage.json()["error"].startswith("x.png: not a readable image")
    unknown = studio.post("/api/uploads?name=x.exe", content=b"MZ", headers=H)
    assert unknown.status_code == 400 and unknown.json()["error"].startswith("unknown input file type '.exe'")
    client, app = start(tmp_path / "small", max_upload=1000)
    with client:
        big = client.post("/api/uploads?name=big.png", content=_png(256) + b"\0" * 2000, headers=H)
        assert big.status_code == 413 and "too large" in big.json()["error"]


def test_wrong_host_or_origin_is_refused(studio):
    assert studio.get("/api/components", headers={"host": "evil.example:7860"}).status_code == 403
    assert studio.get("/api/components", headers={"host": "127.0.0.1:7860"}).status_code == 200
    body = {"kind": "generator", "name": "gan"}
    assert studio.post("/api/validate", json=body).status_code == 403  # no X-Muse-Studio: not our page
    assert studio.post("/api/validate", json=body, headers={**H, "origin": "http://evil.example"}).status_code == 403
    assert studio.post("/api/validate", json=body, headers={**H, "origin": "http://127.0.0.1:7860"}).status_code == 200
    assert studio.post("/api/validate", json=body, headers={**H, "sec-fetch-site": "cross-site"}).status_code == 403
    embedded = {"sec-fetch-site": "cross-site", "sec-fetch-mode": "no-cors"}  # <img src> on another site
    assert studio.get("/api/works", headers=embedded).status_code == 403
    assert studio.get("/", headers={"sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate"}).status_code == 200
    page = studio.get("/")
    assert "script-src 'self'" in page.headers["content-security-policy"] and page.headers["x-frame-options"] == "DENY"


def test_a_token_is_required_when_set(tmp_path):
    client, _ = start(tmp_path / "ws", token="secret-token-123")
    with client:
        assert client.get("/api/components").status_code == 401
        assert client.get("/api/components", headers={"authorization": "Bearer wrong-token"}).status_code == 401
        assert client.get("/api/components", headers={"authorization": "Bearer secret-token-123"}).status_code == 200
        page = client.get("/?token=secret-token-123")
        assert page.status_code == 200 and "HttpOnly" in page.headers["set-cookie"]
        assert client.get("/api/components").status_code == 200  # the cookie from the URL


def test_other_addresses_need_a_token(monkeypatch, tmp_path):
    import engine.studio.app as app_module
    from engine.studio.cli import studio

    seen = {}
    monkeypatch.setattr(app_module, "serve", lambda workspace, **kw: seen.update(kw))
    lines: list[str] = []
    studio("0.0.0.0", 7860, tmp_path, None, 1, 32, lines.append)
    assert seen["token"] and len(seen["token"]) >= 20 and "needs a token" in lines[0]
    studio("127.0.0.1", 7860, tmp_path, None, 1, 32, lines.append)
    assert seen["token"] is None


def test_studio_errors_are_one_line(muse):
    result = muse("studio", "--token", "short")
    assert result.code == 1 and result.err.strip() == "muse: error: --token must be at least 8 characters (or `auto` for a generated one)"


def test_importing_engine_and_the_cli_does_not_load_the_web_stack():
    code = ("import sys, engine, engine.cli\nfor args in (['--help'], ['list']):\n    try:\n        engine.cli.main(args)\n"
            "    except SystemExit:\n        pass\n"
            "bad = [m for m in ('starlette', 'uvicorn', 'engine.studio.app') if m in sys.modules]\nprint(bad)\nsys.exit(bool(bad))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
