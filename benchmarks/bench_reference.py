"""One ticket's geometry CPU seconds on digits: the dense net passed as is vs a shared Reference.

Trains the dense net of seed 0 (``--hidden``, default the LeNet-300-100 shape) and its lottery tickets at
50 %, 90 % and 75 %, then times ``lottery.experiments.ticket_metrics`` (the runner's comparison, 3 data
planes) for each ticket twice: with the dense network (everything recomputed) and with one
``tropical.metrics.Reference`` shared by the three tickets (the first ticket computes the dense geometry).
Checks that the rows are identical. Prints a JSON record. Usage::

    .venv/bin/python benchmarks/bench_reference.py --hidden 300 100
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


def main() -> None:
    from lottery.experiments import ComparisonConfig
    from lottery.experiments.config import load_data, network_fn
    from lottery.experiments.runner import _one_thread, ticket_metrics, train_dense, train_ticket
    from tropical.metrics import Reference

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hidden", type=int, nargs="+", default=[300, 100])
    args = parser.parse_args()
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
