"""Muse Studio: a warm studio call against the same `muse generate` in a cold process.

For `gan` (1 image), `melody` (16 bars) and `poem` (quatrain): the p50 of the studio's job
latency (submit to file in the history, through the HTTP API and one warm worker) against the
p50 of `muse generate` run as a new process (Python start, plugin load, model load, generate,
write). Then 4 clients submit 20 `gan` jobs each at once: every job must complete, none lost,
each file equal to the one a serial run with the same seed made; throughput and p50/p95 latency.
Ratios, never asserted (the machine is shared). Run: python benchmarks/studio.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

CASES = {"gan": {}, "melody": {"bars": "16"}, "poem": {"form": "quatrain"}}
H = {"x-muse-studio": "1"}


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--jobs", type=int, default=20)
    args = parser.parse_args()
    os.environ.setdefault("MUSE_THREADS", "1")
    from starlette.testclient import TestClient

    from engine.studio.app import create_app

    folder = Path(tempfile.mkdtemp(prefix="muse-studio-bench-"))
    app = create_app(folder / "ws", extra_hosts=("testserver",))
    with TestClient(app) as client:
        queue = app.state.studio.queue

        def job(name: str, params: dict, seed: int) -> tuple[float, str]:
            started = time.perf_counter()
            response = client.post("/api/jobs", json={"kind": "generator", "name": name, "params": params, "seed": seed}, headers=H)
            done = queue.wait(response.json()["job"]["id"], 300)
            assert done.state == "done", done.error
            return time.perf_counter() - started, done.works[0]

        print(f"{'component':<10} {'studio p50':>11} {'cli p50':>9} {'ratio':>7}")
        for name, params in CASES.items():
            job(name, params, 0)  # first use loads the model; the studio keeps it warm
            warm = [job(name, params, seed)[0] for seed in range(1, args.runs + 1)]
            cold = []
            for seed in range(1, args.runs + 1):
                flags = [x for key, value in params.items() for x in ("-p", f"{key}={value}")]
                out = folder / f"cli-{name}-{seed}"
                started = time.perf_counter()
                subprocess.run([sys.executable, "-m", "engine.cli", "generate", name, *flags, "--seed", str(seed), "-o", f"{out}/"],
                               check=True, capture_output=True)
                cold.append(time.perf_counter() - started)
            print(f"{name:<10} {statistics.median(warm):>10.3f}s {statistics.median(cold):>8.2f}s "
                  f"{statistics.median(cold) / statistics.median(warm):>6.0f}x")

        # several clients at once
        serial = {}
        for seed in range(1000, 1000 + args.clients * args.jobs):
            serial[seed] = client.get(f"/api/works/{job('gan', {}, seed)[1]}/files/work.png").content
        latencies: list[float] = []
        results: dict[int, bytes] = {}
        lock = threading.Lock()

        def one_client(index: int) -> None:
            for k in range(args.jobs):
                seed = 1000 + index * args.jobs + k
                seconds, work = job("gan", {}, seed)
                data = client.get(f"/api/works/{work}/files/work.png").content
                with lock:
                    latencies.append(seconds)
                    results[seed] = data

        started = time.perf_counter()
        threads = [threading.Thread(target=one_client, args=(i,)) for i in range(args.clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        total = args.clients * args.jobs
        same = sum(results.get(seed) == data for seed, data in serial.items())
        print(f"{args.clients} clients x {args.jobs} gan jobs: {len(results)}/{total} completed, {same}/{total} identical to serial; "
              f"{total / elapsed:.1f} jobs/s, latency p50 {p(latencies, 0.5):.3f} s, p95 {p(latencies, 0.95):.3f} s")


if __name__ == "__main__":
    main()
