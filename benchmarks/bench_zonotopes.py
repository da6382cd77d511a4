"""Speed of zonotope vertices, decision subdivisions and polytope metrics (issue 3).

Run: ``.venv/bin/python benchmarks/bench_zonotopes.py`` (prints a markdown table; about a minute).
Targets: 2-D zonotope vertices with 10^6 generators < 1 s; lifted dual subdivision of a 2-1000-2 net
< 10 s; Hausdorff of two 2-D polygons with 10^4 vertices < 0.5 s. Side by side: the generator method vs
Qhull over all 2^p subset sums, and vs ``from_torch`` + reduce on the same net.
"""

from __future__ import annotations

import itertools
import time

import numpy as np
import torch
from scipy.spatial import ConvexHull
from torch import nn

import tropical as tr
from tropical.metrics import hausdorff
from tropical.zonotope import zonotope_vertex_bound


def best_of(function, repeat=3):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return min(times), result


def net(width, seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(2, width), nn.ReLU(), nn.Linear(width, 2)).double()


def main():
    rng = np.random.default_rng(0)
    rows = []
    G = rng.standard_normal((10**6, 2))
    seconds, V = best_of(lambda: tr.Zonotope(G).vertices)
    rows.append(
        ("2-D zonotope vertices, 10^6 generators", f"{seconds:.3f} s", f"{len(V):,} vertices; target < 1 s")
    )

    print(
        "| generator method vs Qhull over all 2^p subset sums | d | p "
        "| generators (s) | Qhull 2^p (s) | ratio |"
    )
    print("|---|---|---|---|---|---|")
    for d in (2, 3):
        for p in (10, 14, 18):
            G = rng.standard_normal((p, d))
            fast, V = best_of(lambda G=G: tr.Zonotope(G).vertices)
            corners = np.array(list(itertools.product([0.0, 1.0], repeat=p)))
            slow, hull = best_of(lambda G=G, corners=corners: ConvexHull(corners @ G), repeat=1)
            assert len(hull.vertices) == len(V)
            print(f"| | {d} | {p} | {fast:.5f} | {slow:.3f} | {slow / fast:,.0f}x |")
    print()

    print("| 3-D zonotope vertices, many generators | p | seconds | vertices | general-position count |")
    print("|---|---|---|---|---|")
    for p in (100, 200, 400, 800):
        G = rng.standard_normal((p, 3))
        seconds, V = best_of(lambda G=G: tr.Zonotope(G).vertices(), repeat=1)
        expected = zonotope_vertex_bound(p, 3)
        verdict = "equal" if len(V) == expected else "DIFFERENT"
        print(f"| | {p} | {seconds:.2f} | {len(V):,} | {expected:,} ({verdict}) |")
    print()

    model = net(1000)
    seconds, sub = best_of(lambda: tr.decision_subdivision(model), repeat=1)
    rows.append(("δ(R) of a 2-1000-2 net (line-arrangement sweep)", f"{seconds:.2f} s",
                 f"{len(sub):,} cells, {len(sub.exponents):,} monomials; target < 10 s"))  # fmt: skip
    seconds, polytope = best_of(lambda: tr.decision_polytope(model), repeat=1)
    rows.append(
        ("decision polytope of a 2-1000-2 net", f"{seconds:.4f} s", f"{len(polytope.vertices)} vertices")
    )

    P = tr.Polytope(np.column_stack([np.cos(a := np.sort(rng.uniform(0, 2 * np.pi, 10**4))), np.sin(a)]))
    Q = tr.Polytope(
        1.1 * np.column_stack([np.cos(b := np.sort(rng.uniform(0, 2 * np.pi, 10**4))), np.sin(b)])
    )
    seconds, _ = best_of(lambda: hausdorff(P, Q))
    rows.append(("hausdorff, two 2-D polygons with ~10^4 vertices", f"{seconds:.4f} s",
                 f"{len(P.vertices):,} and {len(Q.vertices):,} vertices; target < 0.5 s"))  # fmt: skip

    print(
        "| decision polytope + δ(R): zonotopes vs from_torch + reduce | p | zonotopes (s) "
        "| from_torch + R reduced (s) | ratio | same polytope | same cells |"
    )
    print("|---|---|---|---|---|---|---|")
    for p in (10, 25, 50):
        model = net(p, seed=p)

        def ours(model=model):
            return tr.decision_polytope(model), tr.decision_subdivision(model)

        def theirs(model=model):
            m = tr.from_torch(model)
            F1, G1, F2, G2 = m[0].numerator, m[0].denominator, m[1].numerator, m[1].denominator
            R = ((F1 * G2) + (F2 * G1)).reduced()
            return R.newton_polytope(), R

        fast, (polytope, sub) = best_of(ours)
        slow, (newton, R) = best_of(theirs, repeat=1)
        cells = [c for c in R.dual_subdivision() if len(c) >= 3]
        same = polytope.same_as(newton)
        print(
            f"| | {p} | {fast:.4f} | {slow:.3f} | {slow / fast:,.0f}x | {same} | {len(cells) == len(sub)} |"
        )
    print()
    print("| benchmark | time | notes |")
    print("|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
