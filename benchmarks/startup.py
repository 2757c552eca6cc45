"""How fast `muse` answers: `muse --help` and `muse list` against `python -c "import pluggy"`.

The floor is the cost of starting Python and importing the plugin library at all; the goal is
to stay within 2x of it, which is why no component imports torch or numpy until it runs.
Run: python benchmarks/startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def median_seconds(command: list[str], runs: int) -> float:
    subprocess.run(command, capture_output=True, check=True)  # warm the file cache
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    muse = shutil.which("muse") or str(Path(sys.executable).with_name("muse"))
    floor = median_seconds([sys.executable, "-c", "import pluggy"], args.runs)
    print(f"{'command':<28}{'median ms':>10}{'x floor':>10}")
    floor_label = 'python -c "import pluggy"'
    print(f"{floor_label:<28}{floor * 1000:>10.1f}{1.0:>10.2f}")
    for label, command in (("muse --help", [muse, "--help"]), ("muse list", [muse, "list"]),
                           ("muse plugins --all", [muse, "plugins", "--all"])):
        seconds = median_seconds(command, args.runs)
        print(f"{label:<28}{seconds * 1000:>10.1f}{seconds / floor:>10.2f}")


if __name__ == "__main__":
    main()
