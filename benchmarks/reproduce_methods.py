"""Reproduction: the lottery-ticket methods side by side at matched sparsity (issue 6).

Two moons with a 2-100-2 ReLU MLP and scikit-learn digits with 64-300-100-10, several seeds. Every method of
``lottery.methods.METHODS`` that prunes to a given sparsity is run at the same overall sparsity of the
prunable weights (biases excluded), with the same training configuration (Adam, early stopping on the
validation split), and reports test accuracy and the sparsity it actually reached:

* ``imp``         -- IMP ticket, rewind to θ0 (Frankle & Carbin 2019), equal per-layer sparsity;
* ``snip``        -- SNIP at θ0, global (Lee et al. 2019);
* ``random``      -- random per-layer mask at θ0;
* ``rigl``        -- RigL, ERK distribution (Evci et al. 2020);
* ``gmp``         -- gradual magnitude pruning, cubic schedule (Zhu & Gupta 2017);
* ``supermask``   -- Bernoulli supermask on the untrained θ0 (Zhou et al. 2019; sparsity learned, starts at
  50%: it is *not* matched, its own sparsity is reported);
* ``edge_popup``  -- top-k supermask on the untrained θ0 at the matched sparsity (Ramanujan et al. 2020);
* ``scratch_e`` / ``scratch_b`` -- the magnitude-pruned architecture from a fresh init (Liu et al. 2019);
* on moons also ``tropical`` (Alfarra et al. 2022, fine-tuned) and ``tropical_cluster`` (Misiakos et al.
  2022, hidden width reduced to the same fraction of weights, fine-tuned);

plus the dense network. A second table compares magnitude pruning, tropical pruning and generator
clustering of the trained dense moons network *without* fine-tuning on the decision-polytope Hausdorff
distance (raw), the generator distance and accuracy.

Usage::

    .venv/bin/python benchmarks/reproduce_methods.py                    # 3 seeds, 40 epochs, a few minutes
    .venv/bin/python benchmarks/reproduce_methods.py --seeds 1 --epochs 10   # quick check
    .venv/bin/python benchmarks/reproduce_methods.py --from-json benchmarks/methods.json  # redraw tables
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import time

import numpy as np
import torch

import lottery as lt
from lottery.methods import METHODS, compare_with_magnitude

SETUPS = {
    "moons": dict(widths=[2, 100, 2], lr=1e-2),
    "digits": dict(widths=[64, 300, 100, 10], lr=1.2e-3),
}
COMMON = (
    "dense",
    "imp",
    "snip",
    "random",
    "rigl",
    "gmp",
    "supermask",
    "edge_popup",
    "scratch_e",
    "scratch_b",
)
MOONS_ONLY = ("tropical", "tropical_cluster")


def options(method: str) -> dict:
    if method == "supermask":
        return {"sparsity": 0.5}  # initial keep probability 1/2; the final sparsity is learned
    if method == "rigl":
        return {"distribution": "erk", "delta_t": 25}
    return {}


def score_config(method: str, epochs: int) -> dict | None:
    """Training of the scores for the supermask methods (their paper defaults, our length)."""
    if method == "supermask":
        return dict(optimizer="sgd", lr=100.0, momentum=0.9, epochs=epochs, batch_size=60, restore_best=True)
    if method == "edge_popup":
        return dict(
            optimizer="sgd", lr=0.1, momentum=0.9, weight_decay=5e-4, schedule="cosine", epochs=epochs,
            batch_size=60, restore_best=True,
        )  # fmt: skip
    return None


def run(args) -> list[dict]:
    records = []
    for dataset, setup in SETUPS.items():
        data = lt.load_dataset(dataset, seed=0)
        model_fn = functools.partial(lt.mlp, setup["widths"])
        train = dict(optimizer="adam", lr=setup["lr"], batch_size=60, epochs=args.epochs, restore_best=True)
        methods = COMMON + (MOONS_ONLY if dataset == "moons" else ())
        for seed in range(args.seeds):
            for method in methods:
                started = time.perf_counter()
                kwargs = {"sparsity": 0.0 if method == "dense" else args.sparsity, **options(method)}
                config = score_config(method, args.epochs) or train
                ticket = METHODS[method](model_fn, data, train=config, seed=seed, **kwargs)
                p = ticket.provenance
                sparsity = ticket.sparsity
                if method == "tropical_cluster":
                    sparsity = 1.0 - p["weight_fraction"]
                records.append(
                    {
                        "dataset": dataset, "method": method, "seed": seed,
                        "test_accuracy": p["test_accuracy"], "sparsity": sparsity,
                        "seconds": time.perf_counter() - started,
                        "pruned_test_accuracy": p.get("pruned_test_accuracy"),
                    }
                )  # fmt: skip
                print(
                    f"{dataset:7s} seed {seed} {method:17s} acc {100 * p['test_accuracy']:6.2f}% "
                    f"sparsity {100 * sparsity:5.1f}% ({records[-1]['seconds']:.1f}s)",
                    flush=True,
                )
    return records


def polytopes(args) -> list[dict]:
    data = lt.load_dataset("moons", seed=0)
    rows = []
    for seed in range(args.seeds):
        train = dict(optimizer="adam", lr=1e-2, batch_size=60, epochs=args.epochs, restore_best=True)
        ticket = METHODS["dense"](functools.partial(lt.mlp, [2, 100, 2]), data, train=train, seed=seed)
        net = ticket.build(functools.partial(lt.mlp, [2, 100, 2]), state="trained")
        for sparsity in (0.5, 0.8, 0.9, 0.95):
            result = compare_with_magnitude(net, data, sparsity=sparsity, seed=seed)
            for method, values in result.items():
                if method == "dense":
                    continue
                rows.append({"seed": seed, "sparsity": sparsity, "method": method, **values})
    return rows


def mean_std(values) -> str:
    values = np.asarray([v for v in values if v is not None], dtype=float)
    if values.size == 0:
        return "–"
    return f"{values.mean():.2f} ± {values.std():.2f}" if values.size > 1 else f"{values.mean():.2f}"


def tables(records: list[dict], rows: list[dict], args) -> str:
    lines = [
        f"Test accuracy (%) and reached sparsity (%) at target sparsity {100 * args.sparsity:.0f}%, "
        f"mean ± std over {args.seeds} seed(s), {args.epochs} epochs.",
        "",
        "| method | moons acc | moons sparsity | digits acc | digits sparsity |",
        "|---|---:|---:|---:|---:|",
    ]
    methods = list(dict.fromkeys(r["method"] for r in records))
    for method in methods:
        cells = []
        for dataset in SETUPS:
            chosen = [r for r in records if r["method"] == method and r["dataset"] == dataset]
            if not chosen:
                cells += ["–", "–"]
                continue
            cells.append(mean_std([100 * r["test_accuracy"] for r in chosen]))
            cells.append(mean_std([100 * r["sparsity"] for r in chosen]))
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    pruned = [r for r in records if r.get("pruned_test_accuracy") is not None]
    if pruned:
        lines += ["", "Before fine-tuning (moons): " + ", ".join(
            f"{m} {mean_std([100 * r['pruned_test_accuracy'] for r in pruned if r['method'] == m])}%"
            for m in dict.fromkeys(r["method"] for r in pruned)
        )]  # fmt: skip
    if rows:
        lines += [
            "",
            "Moons 2-100-2, trained dense net pruned *without* fine-tuning: test accuracy (%), Hausdorff "
            "distance of the decision polytopes to the dense one (raw, not normalised) and generator "
            "distance sqrt(||G̃1 - G1||² + ||G̃2 - G2||²); mean ± std over seeds.",
            "",
            "| sparsity | method | accuracy | Hausdorff | generator distance |",
            "|---:|---|---:|---:|---:|",
        ]
        for sparsity in dict.fromkeys(r["sparsity"] for r in rows):
            for method in ("magnitude", "tropical", "cluster"):
                chosen = [r for r in rows if r["sparsity"] == sparsity and r["method"] == method]
                distance = [r["generator_distance"] for r in chosen if not np.isnan(r["generator_distance"])]
                accuracy = mean_std([100 * r["test_accuracy"] for r in chosen])
                hausdorff = mean_std([r["hausdorff"] for r in chosen])
                lines.append(
                    f"| {100 * sparsity:.0f}% | {method} | {accuracy} | {hausdorff} | {mean_std(distance)} |"
                )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--sparsity", type=float, default=0.9)
    parser.add_argument("--table", default="benchmarks/methods.md")
    parser.add_argument("--json", default="benchmarks/methods.json")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--from-json", default=None)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.from_json:
        with open(args.from_json) as handle:
            saved = json.load(handle)
        records, rows = saved["records"], saved["polytopes"]
        for key in ("seeds", "epochs", "sparsity"):
            setattr(args, key, saved["settings"][key])
    else:
        started = time.perf_counter()
        records = run(args)
        rows = polytopes(args)
        print(f"total {time.perf_counter() - started:.0f}s")
        os.makedirs(os.path.dirname(args.json) or ".", exist_ok=True)
        with open(args.json, "w") as handle:
            settings = {"seeds": args.seeds, "epochs": args.epochs, "sparsity": args.sparsity}
            json.dump({"settings": settings, "records": records, "polytopes": rows}, handle, indent=1)
    text = tables(records, rows, args)
    with open(args.table, "w") as handle:
        handle.write(text)
    print(text)


if __name__ == "__main__":
    main()
