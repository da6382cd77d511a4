"""Benchmark: ``tropical.from_torch`` against the term-by-term baseline, in the same run.

Nets 2-16-16-2, 2-32-32-2, 2-64-64-2, 2-16-16-16-2, 3-16-16-2, 4-10-10-2 (``--nets`` picks some), with
PyTorch's default init ("random") and after training on two moons ("moons", ``--kinds``). For each: seconds
of both methods (wall-clock, and CPU seconds of ``from_torch``), their ratio, the monomial counts (F/G of
both outputs), and whether both give identical monomial sets (same counts, every monomial matched within
1e-7). The baseline is stopped after ``--baseline-limit`` seconds (its cost is reported as a lower
bound then). Everything runs with one BLAS thread (the baseline's child process too), so that the ratio
measures the algorithms. ``--before REV`` also times ``from_torch`` of ``tropical/network.py`` at git
revision ``REV`` (the rest of the package as checked out) in the same run, and compares its monomial sets
with the current ones. ``--baseline-nets`` runs the (slow) baseline on some nets only.

Usage: ``python benchmarks/bench_from_torch.py [--quick] [--nets 2-32-32-2 4-10-10-2] [--kinds random]
[--baseline-limit 600] [--before REV] [--baseline-nets 2-32-32-2]``
"""

from __future__ import annotations

import argparse
import importlib.util
import multiprocessing
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.datasets import make_moons
from threadpoolctl import threadpool_limits
from torch import nn

sys.path.insert(0, str(Path(__file__).parent))
from baseline_recursion import baseline_from_torch

from tropical import from_torch

NETS = [(2, 16, 16, 2), (2, 32, 32, 2), (2, 64, 64, 2), (2, 16, 16, 16, 2), (3, 16, 16, 2), (4, 10, 10, 2)]


def make_net(widths, seed):
    torch.manual_seed(seed)
    layers = []
    for i in range(len(widths) - 1):
        layers.append(nn.Linear(widths[i], widths[i + 1]))
        if i < len(widths) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers).double()


def train_on_moons(model, seed, epochs=300):
    X, y = make_moons(n_samples=512, noise=0.15, random_state=seed)
    X, y = torch.tensor(X, dtype=torch.float64), torch.tensor(y)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(epochs):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(X), y).backward()
        optimizer.step()
    return model


def _baseline_worker(model, queue):
    torch.set_num_threads(1)
    with threadpool_limits(limits=1):
        start = time.perf_counter()
        result = baseline_from_torch(model)
    queue.put((time.perf_counter() - start, [(r.numerator.lifted, r.denominator.lifted) for r in result]))


def run_baseline(model, limit):
    """The baseline in a child process, stopped after ``limit`` seconds (returns None then)."""
    context = multiprocessing.get_context("spawn")  # a forked child runs Qhull and BLAS far slower here
    queue = context.Queue()
    process = context.Process(target=_baseline_worker, args=(model, queue))
    process.start()
    try:
        return queue.get(timeout=limit)
    except Exception:
        return None
    finally:
        process.terminate()
        process.join()


def from_torch_at(revision):
    """``from_torch`` of ``tropical/network.py`` at a git revision (the rest of the package as it is)."""
    root = Path(__file__).resolve().parent.parent
    source = subprocess.run(
        ["git", "show", f"{revision}:tropical/network.py"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "network_before.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("tropical._network_before", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.from_torch


def best_seconds(function, model, repeats=3):
    """Best of ``repeats`` calls (the machine is shared): wall-clock seconds, CPU seconds, the last result."""
    seconds = cpu = np.inf
    for _ in range(repeats):
        start, cpu_start = time.perf_counter(), time.process_time()
        result = function(model)
        seconds = min(seconds, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - cpu_start)
    return seconds, cpu, result


def same_sets(ours, lifted_pairs):
    from tropical import TropicalPolynomial

    for rational, (f, g) in zip(ours, lifted_pairs, strict=True):
        for mine, theirs in ((rational.numerator, f), (rational.denominator, g)):
            if not mine.same_function(TropicalPolynomial(theirs[:, :-1], theirs[:, -1]), tolerance=1e-7):
                return False
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only 2-16-16-2 and 2-16-16-16-2")
    parser.add_argument("--nets", nargs="*", help="widths like 2-32-32-2 (default: all)")
    parser.add_argument("--kinds", nargs="*", default=["random", "moons"], choices=["random", "moons"])
    parser.add_argument("--repeats", type=int, default=3, help="best of this many from_torch calls")
    parser.add_argument(
        "--baseline-limit", type=float, default=600.0, help="seconds before the baseline is stopped"
    )
    parser.add_argument("--before", help="git revision whose tropical/network.py is timed too")
    parser.add_argument(
        "--baseline-nets", nargs="*", help="run the baseline on these nets only (default: every net)"
    )
    args = parser.parse_args()
    nets = NETS[:1] + NETS[3:4] if args.quick else NETS
    if args.nets:
        nets = [tuple(int(w) for w in name.split("-")) for name in args.nets]
    before = from_torch_at(args.before) if args.before else None
    torch.set_num_threads(1)
    with threadpool_limits(limits=1):
        from_torch(make_net((2, 4, 2), seed=0))  # warm-up: first calls load scipy's Qhull and HiGHS
        print(
            "| net | weights | from_torch s | before s | same as before | baseline s | ratio to baseline | "
            "monomials F/G (out 1; out 2) | same as baseline |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
        for widths in nets:
            for kind in args.kinds:
                row(widths, kind, before, args)


def row(widths, kind, before, args):
    model = make_net(widths, seed=0)
    if kind == "moons":
        if widths[0] != 2:
            return
        train_on_moons(model, seed=0)
    seconds, cpu, ours = best_seconds(from_torch, model, args.repeats)
    before_seconds, same_before = "-", "-"
    if before:
        before_wall, before_cpu, theirs = best_seconds(before, model, args.repeats)
        before_seconds = f"{before_wall:.2f} (CPU {before_cpu:.2f})"
        lifted = [(r.numerator.lifted, r.denominator.lifted) for r in theirs]
        same_before = same_sets(ours, lifted) and np.array_equal(
            ours.monomial_counts(), theirs.monomial_counts()
        )
    X = np.random.default_rng(0).normal(size=(1000, widths[0])) * 5
    with torch.no_grad():
        error = np.abs(ours(X) - model(torch.tensor(X)).numpy()).max()
    assert error < 1e-8, error
    name = "-".join(map(str, widths))
    skip = args.baseline_nets is not None and name not in args.baseline_nets
    baseline = None if skip else run_baseline(model, args.baseline_limit)
    counts = "; ".join(f"{f}/{g}" for f, g in ours.monomial_counts())
    start = f"| {name} | {kind} | {seconds:.2f} (CPU {cpu:.2f}) | {before_seconds} | {same_before} | "
    if skip:
        print(f"{start}not run | - | {counts} | n/a |", flush=True)
    elif baseline is None:
        limit = args.baseline_limit
        print(f"{start}> {limit:.0f} (stopped) | > {limit / seconds:.0f}x | {counts} | n/a |", flush=True)
    else:
        base_seconds, lifted = baseline
        ratio = base_seconds / seconds
        print(
            f"{start}{base_seconds:.2f} | {ratio:.1f}x | {counts} | {same_sets(ours, lifted)} |", flush=True
        )


if __name__ == "__main__":
    main()
