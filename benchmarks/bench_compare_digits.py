"""The digits comparison of initialisations end to end, with its time split into training and geometry.

``compare_initializations("digits", hidden=(300, 100))`` (the LeNet-300-100 shape, 64 inputs): 6
initialisations x 4 sparsities x ``--seeds`` seeds, every metric (``tropical.metrics.decision_metrics``
with ``--planes`` data planes), no cache. The geometry time is measured by wrapping the runner's
``ticket_metrics`` (serial run, so in this process); training is the rest (dense nets, pruning,
re-initialisation, retraining, evaluation). Wall and CPU seconds of this process are both reported (on a
shared machine the CPU seconds are the cost; serial runs use one core). Prints a JSON record. Usage::

    .venv/bin/python benchmarks/bench_compare_digits.py --seeds 1 --planes 3
"""

from __future__ import annotations

import argparse
import json
import resource
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--planes", type=int, default=3)
    parser.add_argument("--hidden", type=int, nargs="+", default=[300, 100])
    parser.add_argument("--dataset", default="digits")
    args = parser.parse_args()

    import lottery.experiments.runner as runner
    from lottery.experiments import compare_initializations

    geometry, geometry_cpu = [], []
    original = runner.ticket_metrics

    def timed(*a, **k):
        start, cpu = time.perf_counter(), time.process_time()
        try:
            return original(*a, **k)
        finally:
            geometry.append(time.perf_counter() - start)
            geometry_cpu.append(time.process_time() - cpu)

    runner.ticket_metrics = timed
    start, cpu = time.perf_counter(), time.process_time()
    result = compare_initializations(
        args.dataset, hidden=tuple(args.hidden), seeds=args.seeds, planes=args.planes, cache=False,
        progress=False,
    )  # fmt: skip
    total, total_cpu = time.perf_counter() - start, time.process_time() - cpu
    rows = result.rows
    record = {
        "dataset": args.dataset,
        "hidden": args.hidden,
        "seeds": args.seeds,
        "planes": args.planes,
        "tickets": len(rows),
        "total_s": round(total, 1),
        "geometry_s": round(sum(geometry), 1),
        "training_s": round(total - sum(geometry), 1),
        "geometry_per_ticket_s": round(sum(geometry) / len(geometry), 2),
        "cpu_s": round(total_cpu, 1),
        "geometry_cpu_s": round(sum(geometry_cpu), 1),
        "training_cpu_s": round(total_cpu - sum(geometry_cpu), 1),
        "methods": sorted(
            {(r["polytope_method"][:40], r["boundary_method"], r["plane_method"]) for r in rows}
        ),
        "columns": len(result.columns),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "mean_triangle_agreement": {
            init: round(
                sum(r["triangle_agreement_mean"] for r in rows if r["init"] == init)
                / sum(r["init"] == init for r in rows),
                4,
            )
            for init in result.config.inits
        },
        "mean_test_accuracy": round(sum(r["test_accuracy"] for r in rows) / len(rows), 4),
    }
    print(json.dumps(record, indent=1))


if __name__ == "__main__":
    main()
