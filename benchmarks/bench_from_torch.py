"""Benchmark: ``tropical.from_torch`` against the term-by-term baseline, in the same run.

Nets 2-16-16-2, 2-32-32-2, 2-64-64-2, 2-16-16-16-2, with PyTorch's default init ("random") and after
training on two moons ("moons"). For each: seconds of both methods, their ratio, the monomial counts
(F/G of both outputs), and whether both give identical monomial sets. The baseline is skipped above
``--baseline-limit`` seconds of estimated work (its cost is reported as a lower bound then).

Usage: ``python benchmarks/bench_from_torch.py [--quick] [--baseline-limit 600]``
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.datasets import make_moons
from torch import nn

sys.path.insert(0, str(Path(__file__).parent))
from baseline_recursion import baseline_from_torch

from tropical import from_torch

NETS = [(2, 16, 16, 2), (2, 32, 32, 2), (2, 64, 64, 2), (2, 16, 16, 16, 2)]


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


def same_sets(ours, lifted_pairs):
    from tropical import TropicalPolynomial

    for rational, (f, g) in zip(ours, lifted_pairs, strict=True):
        for mine, theirs in ((rational.numerator, f), (rational.denominator, g)):
            if not mine.same_function(TropicalPolynomial(theirs[:, :-1], theirs[:, -1]), tolerance=1e-7):
                return False
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only the two smallest nets")
    parser.add_argument(
        "--baseline-limit", type=float, default=600.0, help="seconds before the baseline is stopped"
    )
    args = parser.parse_args()
    nets = NETS[:1] + NETS[3:] if args.quick else NETS
    from_torch(make_net((2, 4, 2), seed=0))  # warm-up: first calls load scipy's Qhull and HiGHS
    print("| net | weights | from_torch s | baseline s | ratio | monomials F/G (out 1; out 2) | identical |")
    print("|---|---|---|---|---|---|---|")
    for widths in nets:
        for kind in ("random", "moons"):
            model = make_net(widths, seed=0)
            if kind == "moons":
                train_on_moons(model, seed=0)
            seconds = np.inf
            for _ in range(3):  # best of three: the machine is shared
                start = time.perf_counter()
                ours = from_torch(model)
                seconds = min(seconds, time.perf_counter() - start)
            X = np.random.default_rng(0).normal(size=(1000, 2)) * 5
            with torch.no_grad():
                error = np.abs(ours(X) - model(torch.tensor(X)).numpy()).max()
            assert error < 1e-8, error
            baseline = run_baseline(model, args.baseline_limit)
            counts = "; ".join(f"{f}/{g}" for f, g in ours.monomial_counts())
            name = "-".join(map(str, widths))
            if baseline is None:
                print(
                    f"| {name} | {kind} | {seconds:.2f} | > {args.baseline_limit:.0f} (stopped) | "
                    f"> {args.baseline_limit / seconds:.0f}x | {counts} | n/a |"
                )
            else:
                base_seconds, lifted = baseline
                print(
                    f"| {name} | {kind} | {seconds:.2f} | {base_seconds:.2f} | "
                    f"{base_seconds / seconds:.1f}x | "
                    f"{counts} | {same_sets(ours, lifted)} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
