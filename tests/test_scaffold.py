"""`muse plugin new`: the package it writes is complete, installs with pip, and passes its tests.

The install test is real: a throw-away virtual environment layered over this one (so it sees
muse-engine and pytest without copying them) gets ``pip install -e`` of the new package, and
the package's own tests run there. The shared environment is never modified.
"""

from __future__ import annotations

import os
import site
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest

from engine.testing import make_engine, run_cli

ROOT = Path(__file__).resolve().parent.parent


def new_plugin(*args):
    return run_cli("plugin", "new", *args, engine=make_engine("plugins.scaffold.plugin", renderers=False))


def test_new_writes_a_complete_package(tmp_path):
    result = new_plugin("muse-flow-field", "--dir", tmp_path / "pkg")
    assert result.code == 0, result.err
    written = sorted(str(p.relative_to(tmp_path / "pkg")) for p in (tmp_path / "pkg").rglob("*") if p.is_file())
    assert written == [".gitignore", "README.md", "muse_flow_field/__init__.py", "muse_flow_field/plugin.py",
                       "pyproject.toml", "tests/test_muse_flow_field.py"]
    project = tomllib.loads((tmp_path / "pkg" / "pyproject.toml").read_text())
    assert project["project"]["name"] == "muse-flow-field"
    assert project["project"]["entry-points"]["muse"] == {"flow-field": "muse_flow_field.plugin"}
    assert project["project"]["dependencies"] == ["muse-engine>=0.1"]
    for source in (tmp_path / "pkg").rglob("*.py"):
        compile(source.read_text(), str(source), "exec")
    assert "muse generate flow-field" in (tmp_path / "pkg" / "README.md").read_text()
    assert "pip install -e ." in result.out


def test_default_folder_is_named_after_the_distribution(in_tmp):
    assert new_plugin("sunset").code == 0
    assert (in_tmp / "muse-sunset" / "muse_sunset" / "plugin.py").is_file()


@pytest.mark.parametrize("name", ["Sunset", "9lives", "flow--field", "flow_field", "sunset-", ""])
def test_bad_names_are_refused_in_one_line(tmp_path, name):
    result = new_plugin(name, "--dir", tmp_path / "pkg")
    assert result.code == 1 and "is not valid; use lower-case letters" in result.err
    assert not (tmp_path / "pkg").exists()


def test_a_folder_in_use_is_never_overwritten(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "notes.txt").write_text("mine")
    result = new_plugin("sunset", "--dir", tmp_path / "pkg")
    assert result.code == 1 and "already exists and is not an empty folder" in result.err
    assert [p.name for p in (tmp_path / "pkg").iterdir()] == ["notes.txt"]


def test_scaffold_is_a_builtin_plugin_using_register_commands():
    result = run_cli("plugins", "--all", "--hook", "register_commands")
    assert result.code == 0, result.err
    assert "scaffold" in result.out and "hooks: register_commands" in result.out


def overlay_venv(folder: Path) -> Path:
    """A venv that also sees this environment's packages (pip, setuptools, muse-engine, pytest)
    after its own; returns its python. What pip installs there stays there."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    purelib = Path(sysconfig.get_path("purelib", vars={"base": str(folder), "platbase": str(folder)}))
    user = [site.getusersitepackages()] if site.ENABLE_USER_SITE else []
    parents = [p for p in [*site.getsitepackages(), *user] if Path(p).is_dir()]
    purelib.joinpath("_muse_parent_env.pth").write_text(
        "import site; " + "; ".join(f"site.addsitedir({p!r})" for p in parents) + "\n")
    return folder / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def test_generated_package_passes_its_own_tests_after_pip_install_e(tmp_path):
    assert new_plugin("sunset", "--dir", tmp_path / "muse-sunset").code == 0
    python = overlay_venv(tmp_path / "venv")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INDEX": "1"}
    env.pop("MUSE_LOAD_PLUGINS", None)
    install = subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                              "-e", str(tmp_path / "muse-sunset")],
                             capture_output=True, text=True, env=env)
    assert install.returncode == 0, install.stderr[-2000:]
    tests = subprocess.run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path / "muse-sunset")],
                           capture_output=True, text=True, env=env, cwd=tmp_path / "muse-sunset")
    assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-1000:]
    assert "5 passed" in tests.stdout
