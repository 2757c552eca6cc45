"""Data-parallel training on loopback and sharded batch generation."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from engine import Engine
from engine.cli import _without_launch_options
from engine.training import load_checkpoint

from conftest import TESTS


@pytest.fixture
def child_env(test_plugin, monkeypatch):
    """Ranks are new processes: they find the test plugin through PYTHONPATH."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(test_plugin), str(TESTS / "fixtures"), os.environ.get("PYTHONPATH", "")]))
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
    env.pop("MUSE_LOAD_PLUGINS", None)
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


def test_launch_options_are_not_passed_to_ranks():
    args = ["train", "x", "--nproc", "2", "--master-port=29500", "--nnodes", "1", "--steps", "3"]
    assert _without_launch_options(args) == ["train", "x", "--steps", "3"]


def test_multi_node_needs_a_port(muse, child_env, in_tmp):
    result = muse("train", "line", "--nnodes", "2", "--nproc", "1", "--out", "x.safetensors")
    assert result.code == 1 and "--master-port is required" in result.err
