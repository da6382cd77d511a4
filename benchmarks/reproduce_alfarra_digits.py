"""Reproduction: does the lottery initialisation keep the dense net's decision polytope and boundary best?

Alfarra et al. (TPAMI 2022, section on the lottery ticket hypothesis) report that a pruned network
retrained from the lottery initialisation θ0 keeps the decision polytope ``conv(Z1 ∪ Z2)`` and the decision
boundary of the dense network better than the same mask retrained from a fresh initialisation. Re-measured
here on 64-D scikit-learn digits and 40-D MNIST-1D with :func:`lottery.experiments.compare_initializations`
(one hidden layer, so that the decision polytope exists; one-shot magnitude pruning of the hidden layer) and
every metric of :func:`tropical.metrics.decision_metrics`:

* polytopes (64-D / 40-D: never enumerated): the certified Hausdorff bracket to the dense polytope
  (``polytope_hausdorff_lower`` .. ``_upper``), the matched generator distance, and the exact Hausdorff
  distance and IoU of the polytopes projected on the dense net's principal generator plane;
* boundaries: the exact agreement with the dense net on the plane through three test points and on
  ``--planes`` planes through triplets of test points (triangles and padded boxes).

Writes the raw rows and the summary (mean ± std over seeds) as JSON next to this script and prints a
markdown table. Usage::

    .venv/bin/python benchmarks/reproduce_alfarra_digits.py                 # 3 seeds, about 5-10 min
    .venv/bin/python benchmarks/reproduce_alfarra_digits.py --from-json benchmarks/alfarra_digits.json
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

DATASETS = ("digits", "mnist1d")
INITS = ("lottery", "random_reinit", "xavier")
SPARSITIES = (0.5, 0.8, 0.9)
#: (column, label, whether larger is closer to the dense net)
METRICS = (
    ("test_accuracy", "test accuracy", True),
    ("polytope_hausdorff_lower", "Hausdorff to dense polytope, lower bound", False),
    ("polytope_hausdorff_upper", "Hausdorff to dense polytope, upper bound", False),
    ("generator_distance", "matched generator distance", False),
    ("projected_polytope_hausdorff", "projected Hausdorff", False),
    ("projected_polytope_iou", "projected IoU", True),
    ("boundary_agreement", "agreement, plane of 3 test points", True),
    ("triangle_agreement_mean", "agreement on data triangles", True),
    ("box_agreement_mean", "agreement on data boxes", True),
)
OUT = Path(__file__).with_name("alfarra_digits.json")


def run(args) -> dict:
    from lottery.experiments import compare_initializations

    record = {"config": {}, "rows": {}, "seconds": {}, "timing": {}}
    workers = min(args.workers, os.cpu_count() or 1)
    for dataset in DATASETS:
        options = dict(hidden=(args.hidden,), sparsities=SPARSITIES, inits=INITS, seeds=args.seeds,
                       epochs=args.epochs, planes=args.planes, cache=False)  # fmt: skip
        start = time.perf_counter()
        if workers > 1:
            with ProcessPoolExecutor(max_workers=workers) as pool:
                result = compare_initializations(dataset, executor=pool, **options)
        else:
            result = compare_initializations(dataset, **options)
        record["seconds"][dataset] = round(time.perf_counter() - start, 1)
        record["timing"][dataset] = result.timing  # training and geometry seconds of the tasks
        record["config"][dataset] = result.config.to_dict()
        keep = ["init", "sparsity", "seed", "polytope_method", "plane_method", "dense_test_accuracy"]
        keep += [m for m, _, _ in METRICS]
        record["rows"][dataset] = [
            {k: (None if isinstance(r[k], float) and math.isnan(r[k]) else r[k]) for k in keep}
            for r in result.rows
        ]
    return record


def summary(record: dict) -> list[dict]:
    """Mean and std over seeds per (dataset, sparsity, init, metric); rank of lottery among the inits."""
    out = []
    for dataset, rows in record["rows"].items():
        for sparsity in SPARSITIES:
            for metric, _, larger_better in METRICS:
                means = {}
                for init in INITS:
                    chosen = [r for r in rows if r["init"] == init and r["sparsity"] == sparsity]
                    values = np.array([r[metric] for r in chosen if r[metric] is not None], dtype=float)
                    means[init] = (float(values.mean()), float(values.std()), len(values))
                order = sorted(INITS, key=lambda i: means[i][0], reverse=larger_better)
                best_other = order[0] if order[0] != "lottery" else order[1]
                gap = means["lottery"][0] - means[best_other][0]
                spread = max(means["lottery"][1], means[best_other][1])
                out.append({
                    "dataset": dataset, "sparsity": sparsity, "metric": metric,
                    **{f"{i}_mean": means[i][0] for i in INITS}, **{f"{i}_std": means[i][1] for i in INITS},
                    "seeds": means["lottery"][2], "lottery_rank": order.index("lottery") + 1,
                    "lottery_minus_best_other": gap,
                    "gap_over_std": abs(gap) / spread if spread else math.inf,
                })  # fmt: skip
    return out


def table(record: dict, rows: list[dict]) -> str:
    labels = {m: label for m, label, _ in METRICS}
    lines = []
    for dataset in record["rows"]:
        config = record["config"][dataset]
        lines += [
            f"### {dataset}: {config['hidden']} hidden, {config['epochs']} epochs, "
            f"{len(config['seeds'])} seeds, {config['planes']} data planes "
            f"({record['seconds'][dataset]:.0f} s)",
            "",
            "| sparsity | metric | " + " | ".join(INITS) + " | lottery rank |",
            "|---:|---|" + "---:|" * len(INITS) + "---:|",
        ]
        for r in rows:
            if r["dataset"] != dataset:
                continue
            digits = (
                3 if "agreement" in r["metric"] or "iou" in r["metric"] or "accuracy" in r["metric"] else 2
            )
            cells = [f"{r[f'{i}_mean']:.{digits}f} ± {r[f'{i}_std']:.{digits}f}" for i in INITS]
            lines.append(f"| {100 * r['sparsity']:.0f}% | {labels[r['metric']]} | " + " | ".join(cells)
                         + f" | {r['lottery_rank']} |")  # fmt: skip
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--planes", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--from-json", type=Path, default=None)
    args = parser.parse_args()
    if args.from_json is not None:
        record = json.loads(args.from_json.read_text())
    else:
        record = run(args)
        record["summary"] = summary(record)
        OUT.write_text(json.dumps(record, indent=1) + "\n")
    print(table(record, summary(record)))


if __name__ == "__main__":
    main()
