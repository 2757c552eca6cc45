"""How fast `muse` answers: `muse --help`, `muse list`, `muse plugins --all` against `python -c "import pluggy"`.

The floor is the cost of starting Python and importing the plugin library at all; the goal is
to stay within 2x of it, which is why no component imports torch or numpy until it runs.

Both sides run with their bytecode compiled once and cached, as in any installed copy (pip
compiles packages when it installs them). A PYTHONDONTWRITEBYTECODE=1 environment would
otherwise compile muse's modules from source on every run while pluggy's came precompiled from
pip; the cache goes to a temporary folder, so nothing is written beside the sources.
``--no-bytecode-cache`` keeps the environment as it is, to see that compile cost.
Runs take turns (floor, then each command) so that background load hits all sides alike.
Run: python benchmarks/startup.py [--runs 15] [--no-bytecode-cache]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def median_seconds(commands: dict[str, list[str]], runs: int, env: dict[str, str] | None) -> dict[str, float]:
    """Median wall time of each command. Runs take turns, so a change in background load while
    the benchmark runs hits the floor and the muse commands alike."""
    for command in commands.values():
        subprocess.run(command, capture_output=True, check=True, env=env)  # warm the file and bytecode caches
    times: dict[str, list[float]] = {label: [] for label in commands}
    for _ in range(runs):
        for label, command in commands.items():
            started = time.perf_counter()
            subprocess.run(command, capture_output=True, check=True, env=env)
            times[label].append(time.perf_counter() - started)
    return {label: statistics.median(values) for label, values in times.items()}


def cached_bytecode_env(folder: str) -> dict[str, str]:
    """This environment, but writing and reading bytecode in ``folder`` (like an installed copy)."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = folder
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--no-bytecode-cache", action="store_true",
                        help="Inherit PYTHONDONTWRITEBYTECODE and friends instead of caching bytecode.")
    args = parser.parse_args()
    muse = shutil.which("muse") or str(Path(sys.executable).with_name("muse"))
    with tempfile.TemporaryDirectory(prefix="muse-startup-") as cache:
        env = None if args.no_bytecode_cache else cached_bytecode_env(cache)
        source_only = (env or os.environ).get("PYTHONDONTWRITEBYTECODE")
        print("bytecode:", "compiled from source on every run (PYTHONDONTWRITEBYTECODE)" if source_only
              else "compiled once and cached, as in an installed copy")
        floor_label = 'python -c "import pluggy"'
        medians = median_seconds({floor_label: [sys.executable, "-c", "import pluggy"],
                                  "muse --help": [muse, "--help"], "muse list": [muse, "list"],
                                  "muse plugins --all": [muse, "plugins", "--all"]}, args.runs, env)
        print(f"{'command':<28}{'median ms':>10}{'x floor':>10}")
        for label, seconds in medians.items():
            print(f"{label:<28}{seconds * 1000:>10.1f}{seconds / medians[floor_label]:>10.2f}")


if __name__ == "__main__":
    main()
