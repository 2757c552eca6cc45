"""The README's tour, run line by line from the README's own text, so it cannot drift.

Only the lines that are long by nature are shortened, each by one named rule below (a training
run becomes a dry run, an evaluation compares fewer samples, ...); every other line runs exactly
as a reader would type it, in order, in a folder laid out like the checkout with the shared data
beside it.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"

#: (pattern, replacement) pairs applied to a tour line before it runs; one per long operation.
SHORTENINGS = [
    (r"^(muse train .*)$", r"\1 --dry-run"),               # training: a couple of steps
    (r"^(muse eval gan .*)$", r"\1 -p samples=200"),      # FID over 200 samples, not 10,000
    (r"-n 10000\b", "-n 12"),                               # a batch of 12, still over 2 workers
    (r"-p size=512\b", "-p size=64"),                       # optimisation at 64 px, not 512
]


def tour_lines(readme: str) -> list[str]:
    """The shell lines of the tour: code blocks between the ci:tour markers, comments dropped."""
    match = re.search(r"<!-- ci:tour -->(.*?)<!-- /ci:tour -->", readme, re.S)
    assert match, "README.md has no ci:tour block"
    lines = []
    for block in re.findall(r"```bash\n(.*?)```", match.group(1), re.S):
        for line in block.splitlines():
            words = shlex.split(line, comments=True)
            if words:
                lines.append(shlex.join(words))
    return lines


def shorten(line: str) -> str:
    for pattern, replacement in SHORTENINGS:
        line = re.sub(pattern, replacement, line)
    return line


def test_every_tour_line_is_a_muse_command():
    lines = tour_lines((ROOT / "README.md").read_text(encoding="utf-8"))
    assert len(lines) >= 20
    assert all(line.startswith("muse ") for line in lines), [line for line in lines if not line.startswith("muse ")]
    # Every shortening still applies to some line; a rule that matches nothing is stale.
    for pattern, _ in SHORTENINGS:
        assert any(re.search(pattern, line) for line in lines), f"no tour line matches {pattern!r}"


@pytest.mark.skipif(not (SHARED / "data").is_dir(), reason="needs the shared data beside the checkout (../shared/data)")
def test_readme_tour_runs_as_written(tmp_path):
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (checkout / "examples").symlink_to(ROOT / "examples")
    (tmp_path / "shared").symlink_to(SHARED)
    muse = Path(sys.executable).with_name("muse")
    program = [str(muse)] if muse.exists() else [sys.executable, "-m", "engine.cli"]
    # A reader has what the README installs: the built-ins and examples/muse-procedural.
    env = {**os.environ, "MUSE_THREADS": "1", "MUSE_LOAD_PLUGINS": "procedural"}
    for line in tour_lines((ROOT / "README.md").read_text(encoding="utf-8")):
        words = shlex.split(shorten(line))
        done = subprocess.run(program + words[1:], cwd=checkout, env=env, capture_output=True, text=True,
                              timeout=600)
        assert done.returncode == 0, f"tour line failed: {line}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
        assert "Traceback" not in done.stderr, line
    assert (checkout / "walk.gif").exists() and (checkout / "song" / "manifest.json").exists()
    from PIL import Image

    with Image.open(checkout / "walk.gif") as walk:
        assert walk.n_frames == 8, "the README promises an animated walk"
