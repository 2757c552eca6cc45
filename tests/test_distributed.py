"""Data-parallel training on loopback and sharded batch generation."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from engine import Engine
from engine.training import load_checkpoint

from conftest import TESTS


@pytest.fixture
def child_env(test_plugin, monkeypatch):
    """Ranks are new processes: they find the test plugin through PYTHONPATH."""
    paths = [str(test_plugin), str(TESTS / "fixtures"), *os.environ.get("PYTHONPATH", "").split(os.pathsep)]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in paths if p))  # "" would be the working folder
    monkeypatch.setenv("MUSE_THREADS", "1")


def read_log(path: Path) -> list[tuple[int, float]]:
    return [(int(a), float(b)) for a, b in (line.split() for line in path.read_text().splitlines())]


@pytest.fixture(scope="module")
def two_rank_runs(tmp_path_factory):
    """Two identical 2-rank trainings of the test plugin's toy model (process start-up is the cost)."""
    from conftest import install_dist

    folder = tmp_path_factory.mktemp("ddp")
    site = install_dist(folder / "site", "muse-testplugin", {"testplugin": "muse_testplugin"})
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(TESTS / "fixtures")]), "MUSE_THREADS": "1"}
    env["MUSE_LOAD_PLUGINS"] = "testplugin"
    for run in ("a", "b"):
        env["MUSE_TEST_WEIGHT_LOG"] = str(folder / f"{run}-weights")
        subprocess.run([sys.executable, "-m", "engine.cli", "train", "line", "--nproc", "2", "--out",
                        str(folder / f"{run}.safetensors"), "--steps", "12"], env=env, check=True, capture_output=True)
    return folder


def test_two_ranks_agree_on_the_weights_after_every_step(two_rank_runs):
    rank0, rank1 = read_log(two_rank_runs / "a-weights.rank0"), read_log(two_rank_runs / "a-weights.rank1")
    assert len(rank0) == 6  # 12 batches over 2 ranks
    assert rank0 == rank1
    info = load_checkpoint(two_rank_runs / "a.safetensors", model="line").info
    assert (info["step"], info["position"], info["world_size"]) == (6, 12, 2)


def test_same_seed_and_world_size_give_the_same_weights(two_rank_runs):
    a = load_checkpoint(two_rank_runs / "a.safetensors", model="line").tensors
    b = load_checkpoint(two_rank_runs / "b.safetensors", model="line").tensors
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_two_process_checkpoint_resumes_in_one_process(two_rank_runs, muse, child_env, in_tmp):
    for name in ("a.safetensors", "a.resume.safetensors"):
        shutil.copy(two_rank_runs / name, in_tmp / name)
    result = muse("train", "line", "--out", "a.safetensors", "--steps", "20")
    assert result.code == 0, result.err
    info = load_checkpoint("a.safetensors", model="line").info
    assert (info["step"], info["position"], info["world_size"]) == (14, 20, 1)  # 6 steps of 2 ranks, then 8 of one


def test_sharded_generation_writes_the_same_bytes(muse, child_env, in_tmp):
    assert muse("generate", "noise", "-n", "40", "--seed", "5", "-o", "one/", "--workers", "1").code == 0
    result = muse("generate", "noise", "-n", "40", "--seed", "5", "-o", "two/", "--workers", "2")
    assert result.code == 0, result.err
    ones, twos = sorted(Path("one").iterdir()), sorted(Path("two").iterdir())
    assert [p.name for p in ones] == [p.name for p in twos] and len(ones) == 40
    assert all(a.read_bytes() == b.read_bytes() for a, b in zip(ones, twos))
    assert Engine().load("two/noise-039.png").meta["seed"] == 44


def launched(monkeypatch, *args):
    """What `muse ARGS` would start each rank with, invoked through click's own CliRunner."""
    from click.testing import CliRunner

    import engine.distributed as distributed
    from engine.cli import cli

    seen = {}

    def fake_launch(argv, nproc, *rest):
        seen["argv"], seen["nproc"] = argv, nproc
        return 0

    monkeypatch.setattr(distributed, "launch", fake_launch)
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return seen


def test_ranks_get_the_parsed_command_not_sys_argv(test_plugin, monkeypatch, tmp_path):
    """A CliRunner (or run_cli) invocation relaunches with its own arguments (it used sys.argv)."""
    monkeypatch.setattr(sys, "argv", ["pytest", "-q"])
    out = tmp_path / "x.safetensors"
    seen = launched(monkeypatch, "--debug", "train", "line", "--nproc", "2", "--master-port=29500", "--steps", "3",
                    "--out", str(out), "--no-resume", "-p", "hidden=4", "--dry-run")
    assert seen["nproc"] == 2
    assert seen["argv"] == ["--debug", "train", "line", "--out", str(out), "--dry-run", "--no-resume", "-p", "hidden=4",
                            "--steps", "3"]


def test_ranks_cannot_import_the_working_folder(child_env, in_tmp):
    """A ./plugins package where `muse train --nproc 2` runs must not run in the ranks."""
    Path("plugins").mkdir()
    Path("plugins/__init__.py").write_text("open('IMPORTED', 'w').write('yes')\nraise SystemExit('hijacked')\n")
    done = subprocess.run([sys.executable, "-P", "-m", "engine.cli", "train", "line", "--nproc", "2", "--steps", "2",
                           "--out", "x.safetensors"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert not Path("IMPORTED").exists() and Path("x.safetensors").is_file()


def test_a_bad_path_is_reported_once_with_two_ranks(muse, child_env, in_tmp):
    result = muse("train", "line", "--nproc", "2", "--data", "nosuch", "--out", "x.safetensors")
    assert result.code == 1 and result.err.count("nosuch: no such file or folder") == 1, result.err


def test_a_dry_run_over_a_real_checkpoint_is_refused_once(two_rank_runs, muse, child_env, in_tmp):
    shutil.copy(two_rank_runs / "a.safetensors", in_tmp / "a.safetensors")
    result = muse("train", "line", "--nproc", "2", "--dry-run", "--out", "a.safetensors")
    assert result.code == 1 and result.err.count("a dry run never replaces one") == 1, result.err


def test_an_error_in_every_rank_is_printed_once(child_env, in_tmp, capfd):
    from engine.distributed import launch

    assert launch(["generate", "nosuch", "-o", "x.png"], 2) == 1
    err = capfd.readouterr().err
    assert err.count("muse: error: unknown generator 'nosuch'") == 1, err


def test_multi_node_needs_a_port(muse, child_env, in_tmp):
    result = muse("train", "line", "--nnodes", "2", "--nproc", "1", "--out", "x.safetensors")
    assert result.code == 1 and "--master-port is required" in result.err
