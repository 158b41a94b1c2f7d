"""Start-up time of Firstline on this machine: `firstline demo` from an empty data dir (cold) and
again on the same data (warm) until the first 200 from /readyz, next to the embedded PostgreSQL's
own cold/warm start measured in the same run (the baseline). With --clone it also times `make run`
in a fresh clone of this repository (virtual environment created from uv's cache).

    uv run python -m bench.startup [--repeat 3] [--clone]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from bench.processes import free_port, wait_until_ready
from core.embedded_db import leave_embedded_postgres, start_embedded_postgres

ROOT = Path(__file__).resolve().parent.parent
READY_DEADLINE_SECONDS = 600.0


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--clone", action="store_true", help="also time `make run` in a fresh clone")
    args = parser.parse_args(argv)
    rows: list[tuple[str, float, float]] = []
    baseline_cold, baseline_warm = _median_pair(args.repeat, _embedded_postgres_start)
    rows.append(("embedded PostgreSQL alone (baseline)", baseline_cold, baseline_warm))
    command = [str(Path(sys.executable).parent / "firstline"), "demo"]
    cold, warm = _median_pair(args.repeat, lambda data_dir: _server_start(command, ROOT, data_dir))
    rows.append(("firstline demo -> /readyz 200", cold, warm))
    if args.clone:
        clone_cold, clone_warm = _median_pair(1, _make_run_in_clone)
        rows.append(("make run in a fresh clone -> /readyz 200", clone_cold, clone_warm))
    print(f"{'what':45} {'cold s':>8} {'warm s':>8} {'cold/base':>10} {'warm/base':>10}")
    for name, first, second in rows:
        print(f"{name:45} {first:8.2f} {second:8.2f} {first / baseline_cold:10.1f} {second / baseline_warm:10.1f}")


def _median_pair(repeat: int, measure: Callable[[Path], tuple[float, float]]) -> tuple[float, float]:
    pairs = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory(prefix="firstline-bench-") as scratch:
            pairs.append(measure(Path(scratch)))
    return statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)


def _embedded_postgres_start(data_dir: Path) -> tuple[float, float]:
    timings = []
    for _ in range(2):
        started = time.perf_counter()
        start_embedded_postgres(data_dir)
        timings.append(time.perf_counter() - started)
        leave_embedded_postgres(data_dir)
    return timings[0], timings[1]


def _server_start(command: Sequence[str], cwd: Path, data_dir: Path) -> tuple[float, float]:
    return _time_to_ready(command, cwd, data_dir), _time_to_ready(command, cwd, data_dir)


def _make_run_in_clone(scratch: Path) -> tuple[float, float]:
    clone = scratch / "firstline"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    command = ["make", "run"]
    try:
        return _time_to_ready(command, clone, clone / "var"), _time_to_ready(command, clone, clone / "var")
    finally:
        shutil.rmtree(clone, ignore_errors=True)


def _time_to_ready(command: Sequence[str], cwd: Path, data_dir: Path) -> float:
    port = free_port()
    environment = {
        **os.environ,
        "FIRSTLINE_DATA_DIR": str(data_dir),
        "FIRSTLINE_PORT": str(port),
        "FIRSTLINE_ADMIN_PASSWORD": "benchmark password",
        "FIRSTLINE_LOG_LEVEL": "WARNING",
    }
    environment.pop("VIRTUAL_ENV", None)
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_until_ready(f"http://127.0.0.1:{port}/readyz", process, deadline_seconds=READY_DEADLINE_SECONDS)
        return time.perf_counter() - started
    finally:
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=60)


if __name__ == "__main__":
    main()
