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
* ``early_bird``  -- Early-Bird ticket (You et al. 2020) with unstructured magnitude masks at the matched
  sparsity, per layer; ``early_bird_unit`` -- the paper's unit (channel) pruning, hidden units scored by
  the norm of their incoming weights, the same fraction of units in every hidden layer, that fraction chosen
  so that the weight sparsity is as close to the target as the unit counts allow;
* ``transfer_data`` -- an IMP ticket found on another dataset of the same input size and trained here
  (Morcos et al. 2019): circles -> moons, left-right mirrored digits -> digits (same classes, so the output
  layer is transferred too); ``transfer_optimizer`` -- an IMP ticket found with SGD (momentum 0.9) on the
  same data, trained with Adam;
* on moons also ``tropical`` (Alfarra et al. 2022, fine-tuned) and ``tropical_cluster`` (Misiakos et al.
  2022, hidden width reduced to the same fraction of weights, fine-tuned);

plus the dense network. A second table compares magnitude pruning, tropical pruning and generator
clustering of the trained dense moons network *without* fine-tuning on the decision-polytope Hausdorff
distance (exact, :func:`tropical.metrics.hausdorff`; raw and shape-normalised), the IoU, the generator bound
and the Frobenius distance of the generators, and accuracy.

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
EXTRA = ("early_bird", "early_bird_unit", "transfer_data", "transfer_optimizer")
#: Source data of ``transfer_data`` for each target.
TRANSFER_SOURCE = {"moons": "circles", "digits": "digits-mirrored"}
#: SGD used to find the source ticket of ``transfer_optimizer``.
SOURCE_SGD = {"moons": dict(lr=0.05, momentum=0.9), "digits": dict(lr=0.02, momentum=0.9)}


def matched_unit_sparsity(model_fn, target: float) -> tuple[float, float]:
    """Per-layer unit sparsity whose weight sparsity is closest to ``target`` (bisection on the unit masks).

    Returns the unit sparsity and the weight sparsity it gives.
    """
    from lottery.methods import unit_mask, weight_mask_from_units

    model = model_fn(seed=0)

    def weight_sparsity(units: float) -> float:
        return weight_mask_from_units(model, unit_mask(model, sparsity=units, scope="layer")).sparsity

    low, high = 0.0, 0.999
    for _ in range(30):
        middle = (low + high) / 2
        low, high = (middle, high) if weight_sparsity(middle) < target else (low, middle)
    best = min((low, high), key=lambda u: abs(weight_sparsity(u) - target))
    return best, weight_sparsity(best)


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


def source_data(dataset: str):
    from lottery.methods import mirrored

    if dataset == "digits":
        return mirrored(lt.load_dataset("digits", seed=0))
    return lt.load_dataset(TRANSFER_SOURCE[dataset], seed=0)


def extra_options(label: str, dataset: str, model_fn, train: dict, args) -> tuple[str, dict]:
    """Registry name and keyword arguments of the Early-Bird and transfer rows."""
    if label == "early_bird":
        # per layer: one global magnitude threshold removes 99.5% of the moons output layer (a constant net)
        return "early_bird", {"sparsity": args.sparsity, "structure": "unstructured", "scope": "layer"}
    if label == "early_bird_unit":
        units, _ = matched_unit_sparsity(model_fn, args.sparsity)
        return "early_bird", {
            "sparsity": units,
            "structure": "unit",
            "scope": "layer",
            "source": "weight_norm",
        }
    if label == "transfer_data":
        return "transfer", {"sparsity": args.sparsity, "source": source_data(dataset)}
    source_train = {**train, "optimizer": "sgd", **SOURCE_SGD[dataset]}
    return "transfer", {"sparsity": args.sparsity, "source_train": source_train}


def run(args) -> list[dict]:
    records = []
    for dataset, setup in SETUPS.items():
        data = lt.load_dataset(dataset, seed=0)
        model_fn = functools.partial(lt.mlp, setup["widths"])
        train = dict(optimizer="adam", lr=setup["lr"], batch_size=60, epochs=args.epochs, restore_best=True)
        methods = COMMON + (MOONS_ONLY if dataset == "moons" else ()) + EXTRA
        if args.only:
            methods = tuple(m for m in methods if m in args.only)
        for seed in range(args.seeds):
            for label in methods:
                started = time.perf_counter()
                if label in EXTRA:
                    method, kwargs = extra_options(label, dataset, model_fn, train, args)
                else:
                    method = label
                    kwargs = {"sparsity": 0.0 if method == "dense" else args.sparsity, **options(method)}
                config = score_config(method, args.epochs) or train
                ticket = METHODS[method](model_fn, data, train=config, seed=seed, **kwargs)
                p = ticket.provenance
                sparsity = ticket.sparsity
                if method == "tropical_cluster":
                    sparsity = 1.0 - p["weight_fraction"]
                records.append(
                    {
                        "dataset": dataset, "method": label, "seed": seed,
                        "test_accuracy": p["test_accuracy"], "sparsity": sparsity,
                        "seconds": time.perf_counter() - started,
                        "pruned_test_accuracy": p.get("pruned_test_accuracy"),
                        "eb_epoch": p.get("eb_epoch"), "searched_epochs": p.get("searched_epochs"),
                        "unit_sparsity": p.get("unit_sparsity"),
                        "source": p["source"] if method == "transfer" else None,
                    }
                )  # fmt: skip
                print(
                    f"{dataset:7s} seed {seed} {label:18s} acc {100 * p['test_accuracy']:6.2f}% "
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


def mean_std(values, digits: int = 2) -> str:
    values = np.asarray([v for v in values if v is not None], dtype=float)
    if values.size == 0:
        return "–"
    if values.size == 1:
        return f"{values.mean():.{digits}f}"
    return f"{values.mean():.{digits}f} ± {values.std():.{digits}f}"


def notes(records: list[dict]) -> list[str]:
    """Early-Bird epochs and the transfer sources' own accuracy, one line each."""
    out = []
    groups = {}
    for r in records:
        groups.setdefault((r["dataset"], r["method"]), []).append(r)
    early = []
    for (dataset, method), chosen in groups.items():
        if not method.startswith("early_bird"):
            continue
        epochs = ", ".join(str(r["eb_epoch"]) if r.get("eb_epoch") is not None else "–" for r in chosen)
        units = chosen[0].get("unit_sparsity")
        suffix = f" (unit-sparsity parameter {100 * units:.1f}%)" if units is not None else ""
        early.append(f"{dataset} {method} {epochs}{suffix}")
    if early:
        out += ["", "Early-Bird epoch per seed ('–': the rule never fired, the last epoch was used): "]
        out[-1] += "; ".join(early) + "."
    sources = []
    for (dataset, method), chosen in groups.items():
        if not chosen[0].get("source"):
            continue
        source = chosen[0]["source"]
        accuracy = mean_std([100 * r["source"]["test_accuracy"] for r in chosen])
        sources.append(
            f"{dataset} {method} (found on {source['dataset']} with {source['optimizer']}) {accuracy}"
        )
    if sources:
        out += [
            "",
            "Transfer: test accuracy (%) of the source IMP ticket on its own data: " + "; ".join(sources),
        ]
    return out


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
    lines += notes(records)
    pruned = [r for r in records if r.get("pruned_test_accuracy") is not None]
    if pruned:
        lines += ["", "Before fine-tuning (moons): " + ", ".join(
            f"{m} {mean_std([100 * r['pruned_test_accuracy'] for r in pruned if r['method'] == m])}%"
            for m in dict.fromkeys(r["method"] for r in pruned)
        )]  # fmt: skip
    if rows:
        lines += [
            "",
            "Moons 2-100-2, trained dense net pruned *without* fine-tuning: test accuracy (%); decision "
            "polytope conv(Z(G1) ∪ Z(G2)) against the dense one by tropical.metrics: exact Hausdorff "
            "distance, raw and after normalize='centroid_diameter' (shape only), IoU (raw), the generator "
            "bound max_k generator_distance(Z_k, Z̃_k) (an upper bound of the raw Hausdorff distance); "
            "Frobenius distance of the generators sqrt(||G̃1 - G1||² + ||G̃2 - G2||²) (unit by unit; not "
            "defined for the clustered net); mean ± std over seeds.",
            "",
            "| sparsity | method | accuracy | Hausdorff | Hausdorff (shape) | IoU | generator bound "
            "| Frobenius |",
            "|---:|---|---:|---:|---:|---:|---:|---:|",
        ]
        columns = ("polytope_hausdorff", "polytope_hausdorff_normalized", "polytope_iou",
                   "generator_distance", "frobenius")  # fmt: skip
        renamed = {
            "polytope_hausdorff": "hausdorff",
            "polytope_hausdorff_normalized": "hausdorff_normalized",
            "polytope_iou": "iou",
            "generator_distance": "generator_bound",
        }  # fmt: skip (older JSON)
        rows = [{**r, **{new: r[old] for new, old in renamed.items() if old in r}} for r in rows]
        for sparsity in dict.fromkeys(r["sparsity"] for r in rows):
            for method in ("magnitude", "tropical", "cluster"):
                chosen = [r for r in rows if r["sparsity"] == sparsity and r["method"] == method]
                cells = [mean_std([100 * r["test_accuracy"] for r in chosen])]
                for column in columns:
                    values = [r[column] for r in chosen if r[column] is not None and not np.isnan(r[column])]
                    digits = 3 if column in ("polytope_hausdorff_normalized", "polytope_iou") else 2
                    cells.append(mean_std(values, digits))
                lines.append(f"| {100 * sparsity:.0f}% | {method} | " + " | ".join(cells) + " |")
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
    parser.add_argument("--only", nargs="*", default=None, help="run only these rows (quick checks)")
    parser.add_argument("--skip-polytopes", action="store_true", help="skip the polytope table")
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
        rows = [] if args.skip_polytopes else polytopes(args)
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
