"""tropical.metrics.decision_metrics at the real dimension: digits (64 inputs), LeNet-300-100 shape.

Two networks of each shape (64-300-100-10 and 64-300-10) are trained on scikit-learn digits from two
seeds (full-batch Adam, a few seconds), then compared with ``decision_metrics`` on the padded plane through
three test points and on ``--planes`` data planes through test triplets. Reports the time of each section
(numba compiled beforehand) and the peak resident memory of the process. Usage::

    .venv/bin/python benchmarks/bench_decision_metrics.py --planes 10
"""

from __future__ import annotations

import argparse
import itertools
import resource
import time


def trained(widths, X, y, seed, epochs=200):
    import torch
    from torch import nn

    torch.manual_seed(seed)
    modules = []
    for n_in, n_out in itertools.pairwise(widths):
        modules += [nn.Linear(n_in, n_out), nn.ReLU()]
    model = nn.Sequential(*modules[:-1])
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    inputs, labels = torch.as_tensor(X, dtype=torch.float32), torch.as_tensor(y)
    for _ in range(epochs):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(inputs), labels).backward()
        optimizer.step()
    return model


def accuracy(model, X, y) -> float:
    import torch

    with torch.no_grad():
        return float((model(torch.as_tensor(X, dtype=torch.float32)).argmax(1).numpy() == y).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--planes", type=int, default=10)
    args = parser.parse_args()

    from sklearn.datasets import load_digits

    import tropical as tr

    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    train, test = slice(0, 1300), slice(1300, None)
    tr.linear_regions(trained([64, 8, 10], X[train], y[train], 0, epochs=1), plane=X[:3])  # compile numba
    for widths in ([64, 300, 100, 10], [64, 300, 10]):
        dense, other = (trained(widths, X[train], y[train], seed) for seed in (0, 1))
        name = "-".join(map(str, widths))
        scores = [accuracy(model, X[test], y[test]) for model in (dense, other)]
        print(f"{name}: test accuracy {scores[0]:.3f} / {scores[1]:.3f}")
        sections = {
            "polytope": {},
            "one plane": {"plane": X[test][:3]},
            f"{args.planes} data planes": {"data": (X[test], y[test]), "planes": args.planes},
        }
        for section, options in sections.items():
            start = time.perf_counter()
            row = tr.metrics.decision_metrics(dense, other, **options)
            seconds = time.perf_counter() - start
            shown = {
                "polytope": [
                    "polytope_method",
                    "polytope_hausdorff_lower",
                    "polytope_hausdorff_upper",
                    "generator_distance",
                    "projected_polytope_hausdorff",
                    "projected_polytope_iou",
                ],
                "one plane": [
                    "boundary_method",
                    "boundary_agreement",
                    "boundary_hausdorff",
                    "linear_regions",
                ],
            }.get(
                section,
                [
                    "plane_method",
                    "triangle_agreement_mean",
                    "triangle_agreement_std",
                    "box_agreement_mean",
                    "box_boundary_hausdorff_mean",
                    "box_regions_mean",
                    "local_radius",
                    "local_regions_mean",
                    "local_boundary_pieces_mean",
                ],
            )
            values = ", ".join(
                f"{key}={row[key]:.4g}" if isinstance(row[key], float) else f"{key}={row[key]}"
                for key in shown
            )
            print(f"  {section}: {seconds:.1f} s  ({values})")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of the process: {peak:.0f} MB")


if __name__ == "__main__":
    main()
