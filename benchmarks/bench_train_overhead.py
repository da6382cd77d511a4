"""Overhead of masked training: dense vs ``lottery.train`` with a mask vs ``torch.nn.utils.prune``.

All three variants run the same loop (``lottery.train``, same data order, optimizer and evaluation), so the
ratios isolate the cost of keeping pruned weights at zero:

* dense      -- no mask;
* lottery    -- ``train(..., mask=mask)``: gradients masked, optimizer buffers zeroed, weights re-masked
                after every step (batched ``torch._foreach_mul_``);
* torch.prune -- ``torch.nn.utils.prune.custom_from_mask`` re-parametrisation (``weight = weight_orig *
                weight_mask`` in a forward pre-hook), trained without a lottery mask.

The variants are interleaved and repeated; the table reports medians and the ratios measured in the same
run. Usage::

    .venv/bin/python benchmarks/bench_train_overhead.py [--repeats 5] [--epochs 3] [--threads 1]
"""

from __future__ import annotations

import argparse
import functools
import statistics
import time

import torch
from torch.nn.utils import prune as torch_prune

from lottery import Mask, load_dataset, mlp, train
from lottery import prune as lottery_prune

CASES = [
    ("digits", [64, 300, 100, 10], 64),
    ("mnist1d", [40, 512, 512, 10], 128),
]


def timed(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def run_case(name: str, widths: list[int], batch_size: int, *, epochs: int, repeats: int, sparsity: float):
    data = load_dataset(name, seed=0)
    model_fn = functools.partial(mlp, widths)
    reference = model_fn(seed=0)
    mask: Mask = lottery_prune(reference, criterion="random", sparsity=sparsity, seed=0)
    options = dict(
        epochs=epochs, batch_size=batch_size, lr=0.05, momentum=0.9, weight_decay=1e-4, progress=False
    )

    def dense():
        train(model_fn(seed=0), data, **options)

    def masked():
        train(model_fn(seed=0), data, mask=mask, **options)

    def torch_pruned():
        net = model_fn(seed=0)
        modules = dict(net.named_modules())
        for parameter_name, keep in mask.items():
            module_name = parameter_name.rsplit(".", 1)[0]
            torch_prune.custom_from_mask(modules[module_name], "weight", keep.float())
        train(net, data, **options)

    variants = {"dense": dense, "lottery": masked, "torch.prune": torch_pruned}
    for function in variants.values():  # warm-up
        function()
    times: dict[str, list[float]] = {k: [] for k in variants}
    for _ in range(repeats):
        for key, function in variants.items():
            times[key].append(timed(function))
    steps = epochs * -(-len(data.y_train) // batch_size)
    medians = {k: statistics.median(v) for k, v in times.items()}
    return {
        "case": f"{name} {'-'.join(map(str, widths))}, batch {batch_size}, {steps} steps, "
        f"{100 * sparsity:.0f}% pruned",
        "dense": medians["dense"],
        "lottery": medians["lottery"],
        "torch.prune": medians["torch.prune"],
        "lottery/dense": medians["lottery"] / medians["dense"],
        "torch.prune/dense": medians["torch.prune"] / medians["dense"],
        "lottery/torch.prune": medians["lottery"] / medians["torch.prune"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--sparsity", type=float, default=0.9)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {args.threads} thread(s), median of {args.repeats} interleaved runs\n")
    print("| case | dense (s) | lottery (s) | torch.prune (s) | lottery / dense | torch.prune / dense |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, widths, batch_size in CASES:
        r = run_case(
            name, widths, batch_size, epochs=args.epochs, repeats=args.repeats, sparsity=args.sparsity
        )
        print(
            f"| {r['case']} | {r['dense']:.3f} | {r['lottery']:.3f} | {r['torch.prune']:.3f} | "
            f"{r['lottery/dense']:.3f} | {r['torch.prune/dense']:.3f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
