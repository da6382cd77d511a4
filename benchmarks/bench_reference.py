"""One ticket's geometry CPU seconds on digits: the dense net passed as is vs a shared Reference.

Trains the dense net of seed 0 (``--hidden``, default the LeNet-300-100 shape) and its lottery tickets at
50 %, 90 % and 75 %, then times ``lottery.experiments.ticket_metrics`` (the runner's comparison, 3 data
planes) for each ticket twice: with the dense network (everything recomputed) and with one
``tropical.metrics.Reference`` shared by the three tickets (the first ticket computes the dense geometry).
Checks that the rows are identical. Prints a JSON record.

``--end-to-end``: a comparison through the runner (``compare_initializations("digits", hidden=...,
seeds=1, planes=3, inits=("lottery", "xavier"), sparsities=(0.5, 0.9), cache=False)``, serial), with each
ticket's geometry CPU seconds (``provenance["seconds"]``) and the rows' digest, to run once on the code
before a change and once after (``PYTHONPATH=<checkout>``; the rows must be identical).

``--dense-side``: the CPU seconds of what a warm Reference saves each ticket on the data planes beyond the
dense net's regions: its view of each plane (``Reference.plane_view``: region counts in the triangle, the
boundary and class regions clipped to it, local complexity), recomputed 5 times per plane. Usage::

    .venv/bin/python benchmarks/bench_reference.py --hidden 300 100
    PYTHONPATH=. .venv/bin/python benchmarks/bench_reference.py --end-to-end
    PYTHONPATH=. .venv/bin/python benchmarks/bench_reference.py --dense-side
"""

from __future__ import annotations

import argparse
import json
import math
import time


def _cpu(function, *args) -> tuple:
    start = time.process_time()
    value = function(*args)
    return value, round(time.process_time() - start, 2)


def _same(a: dict, b: dict) -> bool:
    return all(a[k] == b[k] or (isinstance(a[k], float) and math.isnan(a[k]) and math.isnan(b[k])) for k in a)


def end_to_end(hidden) -> dict:
    import hashlib

    from lottery.experiments import compare_initializations

    start = time.process_time()
    result = compare_initializations(
        "digits", hidden=tuple(hidden), seeds=1, planes=3, inits=("lottery", "xavier"),
        sparsities=(0.5, 0.9), cache=False, progress=False,
    )  # fmt: skip
    tickets = result.tickets.values()
    return {
        "hidden": hidden,
        "total_cpu_s": round(time.process_time() - start, 2),
        "geometry_cpu_s": [t.provenance["seconds"]["geometry_cpu_s"] for t in tickets],
        "train_cpu_s": round(result.timing["train_cpu_s"], 2),
        "rows_digest": hashlib.sha256(json.dumps(result.rows, default=str).encode()).hexdigest()[:16],
    }


def dense_side(hidden) -> dict:
    import numpy as np

    from lottery.experiments import ComparisonConfig
    from lottery.experiments.config import load_data, network_fn
    from lottery.experiments.runner import _one_thread, train_dense
    from tropical.metrics import Reference
    from tropical.metrics.planes import _PlaneView, plane_triplets

    config = ComparisonConfig(dataset="digits", hidden=tuple(hidden), seeds=(0,), planes=3)
    data = load_data(config)
    dense = train_dense(config.to_dict(), 0).build(network_fn(config, data), state="trained").eval()
    X, y = data.x_test.double().numpy(), data.y_test.numpy()
    corners = X[plane_triplets(X, y, count=config.planes, seed=0)]  # the planes of decision_metrics(seed=0)
    radius = 0.1 * float(np.median(np.linalg.norm(corners - np.roll(corners, 1, axis=1), axis=2)))
    seconds, regions = [], []
    with _one_thread():
        reference = Reference(dense)
        for points in corners:
            picture = reference.picture(plane=points, max_regions=2_000_000)
            _PlaneView.of(picture, radius, points=points)  # the picture's own lazy parts, once
            start = time.process_time()
            for _ in range(5):
                _PlaneView.of(picture, radius, points=points)
            seconds.append(round((time.process_time() - start) / 5, 3))
            regions.append(len(picture.regions))
    return {"hidden": hidden, "plane_view_cpu_s": seconds, "per_ticket_cpu_s": round(sum(seconds), 3),
            "dense_regions": regions}  # fmt: skip


def main() -> None:
    from lottery.experiments import ComparisonConfig
    from lottery.experiments.config import load_data, network_fn
    from lottery.experiments.runner import _one_thread, ticket_metrics, train_dense, train_ticket
    from tropical.metrics import Reference

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hidden", type=int, nargs="+", default=[300, 100])
    parser.add_argument("--end-to-end", action="store_true", help="a comparison through the runner")
    parser.add_argument("--dense-side", action="store_true", help="what Reference.plane_view saves a ticket")
    args = parser.parse_args()
    if args.dense_side:
        print(json.dumps(dense_side(args.hidden), indent=1))
        return
    if args.end_to_end:
        print(json.dumps(end_to_end(args.hidden), indent=1))
        return
    config = ComparisonConfig(dataset="digits", hidden=tuple(args.hidden), seeds=(0,), planes=3)
    data = load_data(config)
    build = network_fn(config, data)
    dense_ticket = train_dense(config.to_dict(), 0)
    dense = dense_ticket.build(build, state="trained").eval()
    out: dict = {"hidden": args.hidden}
    with _one_thread():
        reference = Reference(dense)
        for sparsity in (0.5, 0.9, 0.75):
            ticket = train_ticket(config.to_dict(), 0, sparsity, "lottery", dense_ticket)
            model = ticket.build(build, state="trained").eval()
            uncached, uncached_s = _cpu(ticket_metrics, dense, model, config, data)
            cached, cached_s = _cpu(ticket_metrics, reference, model, config, data)
            out[f"{100 * sparsity:g}%"] = {
                "uncached_cpu_s": uncached_s,
                "reference_cpu_s": cached_s,
                "identical": _same(uncached, cached),
                "methods": [cached[k] for k in ("polytope_method", "boundary_method", "plane_method")],
            }
        out["reference_computed"] = reference.computed
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
