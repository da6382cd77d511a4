"""The digits comparison of initialisations end to end, with its time split into training and geometry.

``compare_initializations("digits", hidden=(300, 100))`` (the LeNet-300-100 shape, 64 inputs): 6
initialisations x 4 sparsities x ``--seeds`` seeds, every metric (``tropical.metrics.decision_metrics``
with ``--planes`` data planes), no cache, on ``--workers`` processes. The runner records each task's wall and
CPU seconds of training (data, pruning, re-initialisation, training, evaluation) and of geometry (the
comparison with the dense net): ``result.timing``. The CPU seconds of this process and of its worker
processes (``resource.getrusage``) are reported next to the wall time: on a shared machine the CPU seconds
are the cost. Progress lines go to stderr. Prints a JSON record.

``--sections``: where the geometry time of one ticket goes. One dense net and its lottery ticket at every
sparsity; the CPU seconds of each section of ``decision_metrics`` (polytope, boundary on one plane, data
planes) and of the dense net's own linear regions on the same planes, which every ticket of a seed
recomputes (what a cache of the reference's geometry would save). Usage::

    .venv/bin/python benchmarks/bench_compare_digits.py --seeds 3 --workers 2
    .venv/bin/python benchmarks/bench_compare_digits.py --sections
"""

from __future__ import annotations

import argparse
import json
import resource
import time


def _cpu() -> float:
    """CPU seconds (user + system) of this process and of its finished children."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def sweep(args) -> dict:
    from concurrent.futures import ProcessPoolExecutor

    from lottery.experiments import compare_initializations

    options = dict(hidden=tuple(args.hidden), seeds=args.seeds, planes=args.planes, cache=False)
    start, cpu = time.perf_counter(), _cpu()
    if args.workers > 1:
        with ProcessPoolExecutor(max_workers=args.workers) as pool:
            result = compare_initializations(args.dataset, executor=pool, **options)
    else:
        result = compare_initializations(args.dataset, **options)
    total, total_cpu = time.perf_counter() - start, _cpu() - cpu
    rows, timing = result.rows, result.timing
    return {
        "dataset": args.dataset,
        "hidden": args.hidden,
        "seeds": args.seeds,
        "planes": args.planes,
        "workers": args.workers,
        "tickets": len(rows),
        "wall_s": round(total, 1),
        "cpu_s": round(total_cpu, 1),
        "timing": timing,
        "geometry_share_of_task_cpu": round(
            timing["geometry_cpu_s"] / (timing["geometry_cpu_s"] + timing["train_cpu_s"]), 3
        ),
        "peak_rss_mb_main": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "peak_rss_mb_workers": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
        "methods": sorted(
            {(r["polytope_method"][:40], r["boundary_method"], r["plane_method"]) for r in rows}
        ),
        "mean_test_accuracy": round(sum(r["test_accuracy"] for r in rows) / len(rows), 4),
    }


def sections(args) -> dict:
    import numpy as np

    import tropical as tr
    from lottery.experiments import ComparisonConfig
    from lottery.experiments.config import domain, load_data, network_fn
    from lottery.experiments.runner import train_dense, train_ticket
    from tropical.metrics import plane_triplets

    config = ComparisonConfig(dataset=args.dataset, hidden=tuple(args.hidden), seeds=(0,), planes=args.planes)
    data = load_data(config)
    build = network_fn(config, data)
    dense_ticket = train_dense(config.to_dict(), 0)
    dense = dense_ticket.build(build, state="trained").eval()
    X, y = data.x_test.double().numpy(), data.y_test.numpy()
    plane = domain(config, data)["plane"]
    planes = [plane, *X[plane_triplets(X, y, count=args.planes, seed=0)]]

    def cpu(function, *a, **k) -> float:
        start = time.process_time()
        function(*a, **k)
        return round(time.process_time() - start, 2)

    out = {"dense_regions_per_plane": [len(tr.linear_regions(dense, plane=p)) for p in planes]}
    out["dense_regions_cpu_s"] = round(sum(cpu(tr.linear_regions, dense, plane=p) for p in planes), 2)
    out["dense_pictures_cpu_s"] = round(
        sum(cpu(lambda p: tr.linear_regions(dense, plane=p).decision_regions(), p) for p in planes), 2
    )
    for sparsity in config.sparsities:
        ticket = train_ticket(config.to_dict(), 0, sparsity, "lottery", dense_ticket)
        model = ticket.build(build, state="trained").eval()
        out[f"{100 * sparsity:g}%"] = {
            "polytope_cpu_s": cpu(tr.metrics.decision_metrics, dense, model),
            "boundary_cpu_s": cpu(tr.metrics.decision_metrics, dense, model, plane=plane),
            "planes_cpu_s": cpu(tr.metrics.decision_metrics, dense, model, data=(X, y), planes=args.planes),
            "ticket_regions_per_plane": [len(tr.linear_regions(model, plane=p)) for p in planes],
            "recorded": ticket.provenance["seconds"],
        }
    out["note"] = "boundary/planes include the (small) polytope section; regions recomputed per ticket"
    out["mean_ticket_geometry_cpu_s"] = round(
        float(np.mean([v["recorded"]["geometry_cpu_s"] for k, v in out.items() if k.endswith("%")])), 2
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--planes", type=int, default=3)
    parser.add_argument("--hidden", type=int, nargs="+", default=[300, 100])
    parser.add_argument("--dataset", default="digits")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sections", action="store_true", help="profile one ticket's geometry by section")
    args = parser.parse_args()
    print(json.dumps(sections(args) if args.sections else sweep(args), indent=1))


if __name__ == "__main__":
    main()
