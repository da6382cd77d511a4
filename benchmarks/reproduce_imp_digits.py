"""Reproduction: lottery tickets by iterative magnitude pruning on scikit-learn digits.

A 64-300-100-10 ReLU MLP (LeNet-300-100 with a 64-D input) is pruned by IMP with the LeNet schedule of
Frankle & Carbin (2019): per round 20% of the surviving hidden weights and 10% of the surviving output
weights, biases not pruned, survivors rewound to θ0. At the rounds closest to about 50, 20, 10, 5 and 2% of
weights remaining, the ticket (rewind to θ0) is compared with two controls trained on the same mask:

* random_reinit   -- a fresh draw from the initial distribution (Frankle & Carbin 2019's control);
* signed_constant -- sign(θ0) · std of the layer's initial weights (Zhou et al. 2019).

Reported: test accuracy of the weights at the best validation accuracy (early stopping, as in the papers)
and the early-stopping iteration, mean ± std over seeds. Writes a PNG plot, a markdown table and the raw
numbers (JSON).

Usage::

    .venv/bin/python benchmarks/reproduce_imp_digits.py                  # 5 seeds, 50 epochs, ~2 min
    .venv/bin/python benchmarks/reproduce_imp_digits.py --seeds 3 --epochs 30
    .venv/bin/python benchmarks/reproduce_imp_digits.py --from-json benchmarks/imp_digits.json  # redraw
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import os
import time

import numpy as np
import torch

import lottery as lt

TARGETS = (50.0, 20.0, 10.0, 5.0, 2.0)
VARIANTS = ("ticket", "random_reinit", "signed_constant")


def schedule_density(rounds: int, widths=(64, 300, 100, 10)) -> float:
    """Weights remaining (%) after ``rounds`` rounds of the 20% hidden / 10% output schedule."""
    sizes = [a * b for a, b in itertools.pairwise(widths)]
    hidden, output = sum(sizes[:-1]), sizes[-1]
    return 100 * (0.8**rounds * hidden + 0.9**rounds * output) / (hidden + output)


def target_rounds(max_rounds: int) -> dict[float, int]:
    return {
        t: min(range(1, max_rounds + 1), key=lambda r: abs(np.log(schedule_density(r) / t))) for t in TARGETS
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=18)
    parser.add_argument("--lr", type=float, default=1.2e-3)
    parser.add_argument("--batch-size", type=int, default=60)
    parser.add_argument("--directory", default=None, help="save/resume the IMP rounds per seed here")
    parser.add_argument("--figure", default="figures/imp_digits.png")
    parser.add_argument("--table", default="benchmarks/imp_digits.md")
    parser.add_argument("--json", default="benchmarks/imp_digits.json")
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads (small MLPs: 1)")
    parser.add_argument("--from-json", default=None, help="only redraw the table and plot from saved numbers")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    data = lt.load_dataset("digits", seed=0)
    widths = [64, 300, 100, 10]
    model_fn = functools.partial(lt.mlp, widths)
    config = lt.TrainConfig(
        optimizer="adam", lr=args.lr, batch_size=args.batch_size, epochs=args.epochs, restore_best=True
    )
    rounds = target_rounds(args.rounds)
    print(f"{data}\ntarget rounds: {rounds}\nconfig: {config}", flush=True)

    records = []  # one per (seed, round, variant)
    started = time.perf_counter()
    if args.from_json:
        with open(args.from_json) as handle:
            saved = json.load(handle)
        records = saved["records"]
        rounds = {float(k): v for k, v in saved["rounds"].items()}
        args.seeds = len({r["seed"] for r in records})
        config = lt.TrainConfig.from_dict(saved["config"])
        args.epochs, args.lr, args.batch_size = config.epochs, config.lr, config.batch_size
    for seed in range(0 if args.from_json else args.seeds):
        directory = os.path.join(args.directory, f"seed_{seed}") if args.directory else None
        run = lt.iterative_magnitude_pruning(
            model_fn, data, args.rounds, train=config, seed=seed, directory=directory, progress=False
        )

        def record(index: int, variant: str, ticket: lt.Ticket, seed: int = seed) -> None:
            history = ticket.history
            records.append(
                dict(seed=seed, round=index, remaining=100 * ticket.density, variant=variant,
                     test=history.test_accuracy, best_step=history.best_step)
            )  # fmt: skip

        record(0, "dense", run.dense)
        for index, ticket in enumerate(run.tickets, start=1):
            record(index, "ticket", ticket)
            if index not in rounds.values():
                continue
            for strategy in VARIANTS[1:]:
                control = lt.retrain(
                    ticket, model_fn, data, reinit=strategy, train=config, seed=seed, progress=False
                )
                record(index, strategy, control)
        print(f"seed {seed} done after {time.perf_counter() - started:.0f} s", flush=True)

    def stats(variant: str, round_: int, key: str = "test"):
        values = [r[key] for r in records if r["variant"] == variant and r["round"] == round_]
        return float(np.mean(values)), float(np.std(values)), len(values)

    dense_mean, dense_std, _ = stats("dense", 0)
    dense_steps = stats("dense", 0, "best_step")[0]
    lines = [
        f"IMP on digits, 64-300-100-10 MLP, {args.seeds} seeds, Adam lr {args.lr}, batch {args.batch_size}, "
        f"{args.epochs} epochs, test accuracy at the best validation epoch (mean ± std over seeds).",
        "",
        f"Dense: {100 * dense_mean:.2f} ± {100 * dense_std:.2f}% (early-stopping step {dense_steps:.0f}).",
        "",
        "| weights remaining | round | ticket (rewind θ0) | random_reinit | signed_constant "
        "| ES step ticket / random |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for target, round_ in rounds.items():
        remaining = np.mean(
            [r["remaining"] for r in records if r["round"] == round_ and r["variant"] == "ticket"]
        )
        cells = []
        for variant in VARIANTS:
            mean, std, _ = stats(variant, round_)
            cells.append(f"{100 * mean:.2f} ± {100 * std:.2f}")
        es_ticket, es_random = (
            stats("ticket", round_, "best_step")[0],
            stats("random_reinit", round_, "best_step")[0],
        )
        steps = f"{es_ticket:.0f} / {es_random:.0f}"
        lines.append(f"| {remaining:.1f}% (~{target:g}%) | {round_} | " + " | ".join(cells) + f" | {steps} |")
    table = "\n".join(lines)
    print("\n" + table, flush=True)
    for path in (args.table, args.json, args.figure):
        if os.path.dirname(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(args.table, "w") as handle:
        handle.write(table + "\n")
    with open(args.json, "w") as handle:
        json.dump({"config": config.to_dict(), "rounds": {str(k): v for k, v in rounds.items()},
                   "records": records}, handle, indent=1)  # fmt: skip

    import matplotlib
    import matplotlib.ticker

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    all_rounds = sorted({r["round"] for r in records if r["variant"] == "ticket"})
    x = [
        np.mean([r["remaining"] for r in records if r["round"] == k and r["variant"] == "ticket"])
        for k in all_rounds
    ]
    mean = np.array([stats("ticket", k)[0] for k in all_rounds])
    std = np.array([stats("ticket", k)[1] for k in all_rounds])
    x, mean, std = [100.0, *x], np.array([dense_mean, *mean]), np.array([dense_std, *std])
    ax.plot(x, 100 * mean, "o-", color="C0", label="ticket (IMP, rewind to θ0)")
    ax.fill_between(x, 100 * (mean - std), 100 * (mean + std), color="C0", alpha=0.2)
    for variant, colour in (("random_reinit", "C3"), ("signed_constant", "C2")):
        ks = list(rounds.values())
        xs = [
            np.mean([r["remaining"] for r in records if r["round"] == k and r["variant"] == "ticket"])
            for k in ks
        ]
        m = np.array([stats(variant, k)[0] for k in ks])
        s = np.array([stats(variant, k)[1] for k in ks])
        ax.errorbar(xs, 100 * m, yerr=100 * s, fmt="s--", color=colour, capsize=3, label=variant)
    ax.axhline(100 * dense_mean, color="k", lw=1, ls=":", label=f"dense ({100 * dense_mean:.1f}%)")
    ax.set_xscale("log")
    ax.set_xticks([100, 50, 20, 10, 5, 2], labels=["100", "50", "20", "10", "5", "2"])
    ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    ax.set_xlim(110, 1.7)
    ax.set_xlabel("weights remaining (%)")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(f"IMP on digits, 64-300-100-10, mean ± std over {args.seeds} seeds")
    ax.legend(loc="lower left", fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(args.figure, dpi=150)
    print(f"wrote {args.figure}, {args.table}, {args.json} in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
