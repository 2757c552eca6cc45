"""Shared fixtures: an in-process CLI runner and engines made of chosen plugins."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).parent
sys.path.insert(0, str(TESTS / "fixtures"))


@pytest.fixture
def muse(monkeypatch):
    """Run the `muse` CLI in this process: ``muse("generate", "x", "-o", "a.png")`` -> CliResult
    (code, out, err), through the same runner plugin authors use (engine.testing.run_cli).
    ``env`` values stay set for the rest of the test."""
    from engine.testing import CliResult, run_cli

    def run(*args: str, env: dict[str, str] | None = None) -> CliResult:
        for key, value in (env or {}).items():
            monkeypatch.setenv(key, value)
        return run_cli(*args)

    return run


@pytest.fixture
def in_tmp(tmp_path, monkeypatch) -> Path:
    """Run the test inside a fresh temporary folder."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture(autouse=True)
def _quiet_and_single_threaded(monkeypatch):
    monkeypatch.setenv("MUSE_THREADS", os.environ.get("MUSE_THREADS", "1"))


@pytest.fixture(autouse=True)
def _no_installed_plugins(monkeypatch):
    """Tests see the built-in plugins and only the third-party ones they install or name, never
    whatever happens to be installed in the venv (as llm's tests skip installed plugins): a test
    that wants one calls :func:`enable_plugins` (or sets MUSE_LOAD_PLUGINS itself)."""
    monkeypatch.setenv("MUSE_LOAD_PLUGINS", "")


def enable_plugins(monkeypatch, *names: str) -> None:
    """Let the third-party plugins called ``names`` load, besides those already enabled."""
    current = [name for name in os.environ.get("MUSE_LOAD_PLUGINS", "").split(",") if name]
    monkeypatch.setenv("MUSE_LOAD_PLUGINS", ",".join(dict.fromkeys([*current, *names])))


def install_dist(folder: Path, dist: str, entry_points: dict[str, str], version: str = "0.1") -> Path:
    """Write a minimal installed distribution (dist-info with entry points) into ``folder``.

    Putting ``folder`` on sys.path makes it visible exactly as a pip-installed plugin is (to
    importlib.metadata and to Muse's own dist-info reader alike), so discovery is tested
    through the real entry-point layout.
    """
    info = folder / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
    lines = "\n".join(f"{name} = {target}" for name, target in entry_points.items())
    (info / "entry_points.txt").write_text(f"[muse]\n{lines}\n")
    return folder


@pytest.fixture
def test_plugin(tmp_path, monkeypatch) -> Path:
    """The tests' deterministic plugin, installed through a real `muse` entry point."""
    site = install_dist(tmp_path / "site", "muse-testplugin", {"testplugin": "muse_testplugin"})
    monkeypatch.syspath_prepend(str(site))
    enable_plugins(monkeypatch, "testplugin")
    return site
