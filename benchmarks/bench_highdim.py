"""Hausdorff bracket and projected Newton polygons of 784-300-10 decision polytopes (issue 12).

Run: ``PYTHONPATH=. .venv/bin/python benchmarks/bench_highdim.py`` (prints markdown; about half a minute).
Target: the bracket between the decision polytopes (classes 0, 1) of two 784-300-10 one-hidden-layer nets
under 2 s with peak memory under 500 MB (tracemalloc, numpy allocations), bracket width reported. Pairs: a
net and its 80% magnitude-pruned ticket (same weights elsewhere), a net and its 20% ticket, two
independently initialised nets, a net and a copy with 1e-3 Gaussian noise. Also: the bracket between the
first-hidden-layer decision polytopes (``rest="linear"``) of two LeNet-300-100-shaped nets (ReLU and
LeakyReLU), and the refusals of the exact methods on 6-24-2, 8-32-2 and 64-16-10 nets (time to refuse and
peak memory).
"""

from __future__ import annotations

import time
import tracemalloc

import torch
from torch import nn

import tropical as tr
from tropical.metrics import hausdorff_bracket, projected_hausdorff, projected_iou


def net(n_in, width, n_out, seed):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(n_in, width), nn.ReLU(), nn.Linear(width, n_out)).double()


def lenet(seed, slope=None):
    """LeNet-300-100 shape; ``slope``: LeakyReLU activations instead of ReLU."""
    torch.manual_seed(seed)
    activation = nn.ReLU if slope is None else (lambda: nn.LeakyReLU(slope))
    layers = [nn.Linear(784, 300), activation(), nn.Linear(300, 100), activation(), nn.Linear(100, 10)]
    return nn.Sequential(*layers).double()


def pruned(model, sparsity):
    """Global magnitude pruning of both layers (a ticket with the dense net's surviving weights)."""
    ticket = net(784, 300, 10, 0)
    ticket.load_state_dict(model.state_dict())
    with torch.no_grad():
        for layer in (ticket[0], ticket[2]):
            threshold = layer.weight.abs().flatten().kthvalue(int(sparsity * layer.weight.numel())).values
            layer.weight.mul_(layer.weight.abs() > threshold)
    return ticket


def measured(function):
    tracemalloc.start()
    start = time.perf_counter()
    try:
        result = function()
    finally:
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return result, seconds, peak


def main():
    dense = net(784, 300, 10, 0)
    noisy = net(784, 300, 10, 0)
    with torch.no_grad():
        for parameter in noisy.parameters():
            parameter.add_(1e-3 * torch.randn_like(parameter))
    pairs = [
        ("dense vs 80% magnitude ticket", dense, pruned(dense, 0.8)),
        ("dense vs 20% magnitude ticket", dense, pruned(dense, 0.2)),
        ("two independent initialisations", dense, net(784, 300, 10, 1)),
        ("dense vs dense + 1e-3 noise", dense, noisy),
    ]
    print("| 784-300-10, classes (0, 1) | lower | upper | width / upper | bound | time (s) | peak (MB) |")
    print("|---|---:|---:|---:|---|---:|---:|")
    for name, a, b in pairs:
        hausdorff_bracket(a, b)  # warm-up (imports, caches)
        bracket, seconds, peak = measured(lambda a=a, b=b: hausdorff_bracket(a, b))
        print(
            f"| {name} | {bracket.lower:.4g} | {bracket.upper:.4g} | {bracket.relative_width:.2f} "
            f"| {bracket.bound} | {seconds:.2f} | {peak / 1e6:.0f} |"
        )
    print()
    print("| projected Newton polygons (dense's principal plane) | Hausdorff | IoU | time (s) | peak (MB) |")
    print("|---|---:|---:|---:|---:|")
    for name, a, b in pairs:
        (value, overlap), seconds, peak = measured(
            lambda a=a, b=b: (projected_hausdorff(a, b), projected_iou(a, b))
        )
        print(f"| {name} | {value:.4g} | {overlap:.3f} | {seconds:.2f} | {peak / 1e6:.0f} |")
    print()
    print("| first hidden layer, rest linear (0, 1) | lower | upper | width / upper | time (s) | peak (MB) |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, slope in (("784-300-100-10 ReLU", None), ("784-300-100-10 LeakyReLU(0.1)", 0.1)):
        deep = [lenet(seed, slope) for seed in (0, 1)]
        hulls = [tr.decision_hull(model, rest="linear") for model in deep]
        hausdorff_bracket(*hulls)  # warm-up
        bracket, seconds, peak = measured(
            lambda deep=deep: hausdorff_bracket(*[tr.decision_hull(model, rest="linear") for model in deep])
        )
        print(
            f"| {name}, two initialisations | {bracket.lower:.4g} | {bracket.upper:.4g} "
            f"| {bracket.relative_width:.2f} | {seconds:.2f} | {peak / 1e6:.0f} |"
        )
    print()
    print("| exact method on a one-hidden-layer net | outcome | time to answer (s) | peak (MB) |")
    print("|---|---|---:|---:|")
    for shape in ((6, 24, 2), (8, 32, 2), (64, 16, 10)):
        model = net(*shape, seed=0)
        for function in (tr.decision_polytope, tr.decision_subdivision):

            def attempt(function=function, model=model):
                try:
                    return f"{function(model)!r}"
                except tr.ComputationTooLargeError as error:
                    return f"refused: estimate {error.estimate:.3g} > limit {error.limit:.3g}"

            outcome, seconds, peak = measured(attempt)
            label = "-".join(map(str, shape))
            print(f"| {function.__name__}({label}) | {outcome} | {seconds:.3f} | {peak / 1e6:.1f} |")


if __name__ == "__main__":
    main()
