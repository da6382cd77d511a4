"""Gallery figures of the headline experiment (issue 7): tickets retrained from different initialisations.

One :func:`lottery.experiments.compare_initializations` run on two moons (2-100-2, magnitude pruning of the
hidden layer at 50/75/90/95 %) feeds three figures: Newton polygons, exact decision boundaries, and metric
curves.
"""

from __future__ import annotations

import functools
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from lottery.gallery import save

__all__ = ["FIGURES", "comparison"]

#: The initialisations drawn in the polygon and boundary grids (all of the run appear in the metric curves).
GRID_INITS = ("lottery", "random_reinit", "signed_constant", "reshuffle")


@functools.lru_cache(maxsize=2)
def comparison(quick: bool = False):
    """The comparison behind the figures (computed once per process; ``quick``: 1 seed, 10 epochs)."""
    from lottery.experiments import compare_initializations

    options = dict(seeds=1, epochs=10, inits=GRID_INITS) if quick else dict(seeds=3, epochs=40)
    workers = min(2, os.cpu_count() or 1)
    if workers > 1 and not quick:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            return compare_initializations("moons", hidden=100, executor=pool, cache=False, **options)
    return compare_initializations("moons", hidden=100, cache=False, **options)


def newton_polygons(out_dir: Path, *, quick: bool = False) -> list[Path]:
    """Figure 1: Newton polygons of the dense net and of the tickets, initialisations x sparsities."""
    figure, _ = comparison(quick).plot_polygons(inits=GRID_INITS)
    return save(figure, out_dir, "initializations_newton_polygons")


def boundaries(out_dir: Path, *, quick: bool = False) -> list[Path]:
    """Figure 2: data and exact decision boundaries, disagreement with the dense net shaded."""
    figure, _ = comparison(quick).plot_boundaries(inits=GRID_INITS)
    return save(figure, out_dir, "initializations_boundaries")


def metrics(out_dir: Path, *, quick: bool = False) -> list[Path]:
    """Figure 3: metric vs sparsity, mean ± std over seeds, one curve per initialisation."""
    figure, _ = comparison(quick).plot_metrics()
    return save(figure, out_dir, "initializations_metrics")


FIGURES = {
    "initializations_newton_polygons": newton_polygons,
    "initializations_boundaries": boundaries,
    "initializations_metrics": metrics,
}
