"""Benchmark: `nc-excel demo` end to end without the PDF, step by step.

Run: python benchmarks/bench_demo.py [--runs 3]

Reports the wall time of each step of the demo (median over the runs) and the
peak memory reached by the end of it (this process and its reader workers:
VmHWM, which only grows). Target: the whole demo under 10 s on 2 cores.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import PeakMemory  # noqa: E402

from nc_excel.demo import STEPS, run_demo  # noqa: E402


def one_run(folder: Path) -> tuple[dict[str, float], dict[str, float], float]:
    times: dict[str, float] = {}
    peaks: dict[str, float] = {}
    state = {"label": None, "t": time.perf_counter()}
    with PeakMemory() as peak:
        def progress(done: int, total: int, label: str) -> None:
            now = time.perf_counter()
            if state["label"] is not None:
                times[state["label"]] = now - state["t"]
                peak._sample()
                peaks[state["label"]] = peak.total_mib()
            state["label"], state["t"] = (label if label != "done" else None), now

        t0 = time.perf_counter()
        run_demo(folder, pdf=False, progress=progress)
        total = time.perf_counter() - t0
    return times, peaks, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    runs = []
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as tmp:
        for i in range(args.runs):
            runs.append(one_run(Path(tmp) / f"demo{i}"))
    print(f"nc-excel demo without PDF, median of {args.runs} runs")
    print(f"{'step':<20}{'wall s':>8}{'peak MiB':>10}")
    for step in STEPS:
        wall = statistics.median(r[0].get(step, 0.0) for r in runs)
        peak = max(r[1].get(step, 0.0) for r in runs)
        print(f"{step:<20}{wall:>8.2f}{peak:>10.0f}")
    print(f"{'total':<20}{statistics.median(r[2] for r in runs):>8.2f}{max(max(r[1].values()) for r in runs):>10.0f}")


if __name__ == "__main__":
    main()
