"""Benchmark: ``tropical.from_torch`` on a quiet machine and next to a busy process, with and without the
thread limit, in one run.

The busy process is a child spinning numpy matrix products on one BLAS thread (one core's worth of work,
like a second job on a laptop), switched on and off between calls. ``from_torch`` runs on 2-32-32-2
(PyTorch's default init, seed 0) with ``threads=1`` (the default: one BLAS and torch thread in the oracle
loop) and ``threads=None`` (the libraries' default thread counts, one per core).

The measurement is paired: each round times a quiet call and a busy call of each setting back to back
(which of the two goes first alternates between rounds), so that both see the same background load of a
shared machine, and the ratio busy/quiet is taken within each round. The table reports the median quiet and
busy seconds, the median of the per-round ratios (issue 13's target: under 1.3x with the limit) and their
spread (the lowest and the highest round), in wall-clock and in CPU seconds of this process: a CPU ratio
near 1 with a larger wall ratio means the calls did the same work and waited for a core (the machine's
other load), not that threads spun against each other. The load average is printed: on a machine loaded
beyond its cores the wall ratio measures the scheduler.

A control runs in the same rounds: a pure-Python loop on one thread (no BLAS, no torch), which no thread
setting can slow down. On an otherwise idle 2-core machine its busy/quiet ratio is ~1; when other jobs load
the machine, the scheduler shares the cores between them, the spinning child and this process, and every
single-threaded job is slower by that share (Linux autogroups: with one other busy job, 1 core -> 2/3 of
one). The last column divides each round's ratio by the control's of the same round: the slowdown beyond
what any one-thread job pays, i.e. what oversubscription by threads adds.

Usage: ``python benchmarks/bench_busy.py [--repeats 9] [--widths 2 32 32 2]``
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
CONTROL_STEPS = 1_000_000  # ~0.05-0.1 s of pure Python on one thread, like one call on 2-32-32-2
SETTINGS = ("control", 1, None)


def _spin(spin, stop):
    """Matrix products on one thread while ``spin`` is set, until ``stop`` is set.

    The child starts a session of its own, as a separate job would: Linux's scheduler (autogroups) shares
    the CPU between sessions first, so a child left in the benchmark's session would take its time from the
    benchmark's share on a machine loaded by other sessions (a busy/quiet ratio of ~2 whatever the threads).
    """
    if hasattr(os, "setsid"):
        os.setsid()
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        a = np.random.default_rng(0).standard_normal((300, 300))
        while not stop.is_set():
            if spin.wait(timeout=0.1):
                a = np.tanh(a @ a.T / 300.0)


def seconds(model, threads):
    """Wall-clock and CPU seconds (this process, all its threads) of one call; ``threads="control"``: the
    control loop instead."""
    start, cpu = time.perf_counter(), time.process_time()
    if threads == "control":
        sum(i * i for i in range(CONTROL_STEPS))
    else:
        from_torch(model, threads=threads)
    return time.perf_counter() - start, time.process_time() - cpu


def _set_busy(spin, busy: bool) -> None:
    """Switch the spinning child on or off, and give the scheduler time to follow."""
    if busy:
        spin.set()
    else:
        spin.clear()
    time.sleep(0.2)


def paired_rounds(model, spin, repeats: int) -> dict:
    """``times[threads, busy]``: (wall, CPU) seconds per round; the quiet and the busy calls of a round run
    back to back, the first of the two alternating between rounds."""
    times = {(threads, busy): [] for threads in SETTINGS for busy in (False, True)}
    for round_ in range(repeats):
        for busy in (False, True) if round_ % 2 == 0 else (True, False):
            _set_busy(spin, busy)
            for threads in SETTINGS:
                times[threads, busy].append(seconds(model, threads))
    return times


def table(times: dict) -> str:
    lines = [
        "| threads= | quiet s | busy s | busy / quiet (paired median) | lowest - highest round "
        "| CPU busy / quiet (paired median) | CPU lowest - highest "
        "| wall ratio / control's (paired median) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    control = np.array(times["control", True])[:, 0] / np.array(times["control", False])[:, 0]
    names = {"control": "control (pure Python)", 1: "1 (default)", None: "None (library defaults)"}
    for threads in SETTINGS:
        quiet, busy = np.array(times[threads, False]), np.array(times[threads, True])
        ratios = busy / quiet  # (rounds, 2): wall and CPU ratio of each round
        wall, cpu = np.median(ratios, axis=0)
        excess = np.median(ratios[:, 0] / control)
        lines.append(
            f"| {names[threads]} | {np.median(quiet[:, 0]):.3f} | {np.median(busy[:, 0]):.3f} | "
            f"{wall:.2f}x | {ratios[:, 0].min():.2f} - {ratios[:, 0].max():.2f} | {cpu:.2f}x | "
            f"{ratios[:, 1].min():.2f} - {ratios[:, 1].max():.2f} | {excess:.2f}x |"
        )
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9, help="paired rounds")
    parser.add_argument("--widths", type=int, nargs="+", default=list(WIDTHS))
    args = parser.parse_args()
    model = make_net(tuple(args.widths), seed=0)
    before_load = os.getloadavg()
    from_torch(make_net((2, 4, 2), seed=0))  # warm-up: first calls load scipy's Qhull
    context = multiprocessing.get_context("spawn")
    spin, stop = context.Event(), context.Event()
    busy_process = context.Process(target=_spin, args=(spin, stop))
    busy_process.start()
    try:
        spin.set()
        time.sleep(3.0)  # the child imports numpy and starts spinning
        times = paired_rounds(model, spin, args.repeats)
    finally:
        stop.set()
        busy_process.join(timeout=10)
        if busy_process.is_alive():
            busy_process.terminate()
    widths = "-".join(map(str, args.widths))
    print(f"from_torch on {widths}, {os.cpu_count()} cores, {args.repeats} paired rounds")
    print(f"load average before: {before_load}, after: {os.getloadavg()}")
    print(table(times))


if __name__ == "__main__":
    main()
