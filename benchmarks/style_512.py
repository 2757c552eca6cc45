"""Wall time of each shipped fast style on a 512 px picture: best of 3 in one warm process.

    MUSE_THREADS=1 python benchmarks/style_512.py [--data ../shared/data]

The goal (issue 18) is under 1 s per picture; the first call of each model loads it and is not
counted, as in a warm studio worker.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from engine import Engine

MODELS = ("default", "great-wave", "shipwreck")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    engine = Engine()
    photo = engine.load(sorted((args.data / "content").glob("*.jpg"))[0])
    for model in MODELS:
        engine.stylize("style", photo, model=model, size=512)
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            engine.stylize("style", photo, model=model, size=512)
            times.append(time.perf_counter() - started)
        print(f"{model:<11} best {min(times):.3f} s  (runs: {', '.join(f'{t:.3f}' for t in times)})")


if __name__ == "__main__":
    main()
