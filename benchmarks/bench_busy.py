"""Benchmark: ``tropical.from_torch`` on a quiet machine and next to a busy process, with and without the
thread limit, in one run.

The busy process is a child spinning numpy matrix products on one BLAS thread (one core's worth of work,
like a second job on a laptop), switched on and off between calls. ``from_torch`` runs on 2-32-32-2
(PyTorch's default init, seed 0) with ``threads=1`` (the default: one BLAS and torch thread in the oracle
loop) and ``threads=None`` (the libraries' default thread counts, one per core). Quiet and busy calls
alternate, so drifting load on a shared machine cancels out; the table reports the median of
``--repeats`` calls of each and the ratio busy/quiet (issue 13's target: under 1.3x with the limit).

Usage: ``python benchmarks/bench_busy.py [--repeats 5]``
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from bench_from_torch import make_net

from tropical import from_torch

WIDTHS = (2, 32, 32, 2)


def _spin(spin, stop):
    """Matrix products on one thread while ``spin`` is set, until ``stop`` is set."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        a = np.random.default_rng(0).standard_normal((300, 300))
        while not stop.is_set():
            if spin.wait(timeout=0.1):
                a = np.tanh(a @ a.T / 300.0)


def seconds(model, threads):
    start = time.perf_counter()
    from_torch(model, threads=threads)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    model = make_net(WIDTHS, seed=0)
    from_torch(make_net((2, 4, 2), seed=0))  # warm-up: first calls load scipy's Qhull
    context = multiprocessing.get_context("spawn")
    spin, stop = context.Event(), context.Event()
    busy_process = context.Process(target=_spin, args=(spin, stop))
    busy_process.start()
    times = {(threads, busy): [] for threads in (1, None) for busy in (False, True)}
    try:
        spin.set()
        time.sleep(3.0)  # the child imports numpy and starts spinning
        for _ in range(args.repeats):  # interleaved, so that drifting load on a shared machine cancels out
            for busy in (False, True):
                if busy:
                    spin.set()
                    time.sleep(0.2)
                else:
                    spin.clear()
                    time.sleep(0.2)
                for threads in (1, None):
                    times[threads, busy].append(seconds(model, threads))
    finally:
        stop.set()
        busy_process.join(timeout=10)
        if busy_process.is_alive():
            busy_process.terminate()
    quiet = {threads: float(np.median(times[threads, False])) for threads in (1, None)}
    busy = {threads: float(np.median(times[threads, True])) for threads in (1, None)}
    print(f"from_torch on {'-'.join(map(str, WIDTHS))}, {os.cpu_count()} cores, median of {args.repeats}")
    print("| threads= | quiet s | busy s | busy / quiet |")
    print("|---|---|---|---|")
    for threads in (1, None):
        name = "1 (default)" if threads == 1 else "None (library defaults)"
        print(
            f"| {name} | {quiet[threads]:.2f} | {busy[threads]:.2f} | {busy[threads] / quiet[threads]:.2f}x |"
        )


if __name__ == "__main__":
    main()
