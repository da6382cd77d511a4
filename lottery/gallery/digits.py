"""Gallery figure of the comparison of initialisations on scikit-learn digits (64 inputs, 10 classes).

A small :func:`lottery.experiments.compare_initializations` run (a 64-32-10 one-hidden-layer net, so that
decision polytopes exist; magnitude pruning of the hidden layer at 50/80/90 %) drawn two ways: the decision
polytopes of the tickets projected on the dense net's principal generator plane, and the agreement with the
dense net on planes through triplets of test digits against sparsity.
"""

from __future__ import annotations

import functools
from pathlib import Path

from lottery.gallery import save

__all__ = ["FIGURES", "digits_comparison"]

#: The initialisations, sparsities and hidden width of the figure.
INITS = ("lottery", "random_reinit", "xavier")
SPARSITIES = (0.5, 0.8, 0.9)
HIDDEN = (32,)


@functools.lru_cache(maxsize=2)
def digits_comparison(quick: bool = False):
    """The comparison behind the figure (computed once per process; ``quick``: 1 seed, 5 epochs, 2 planes)."""
    from lottery.experiments import compare_initializations

    options = dict(seeds=1, epochs=5, planes=2) if quick else dict(seeds=3, epochs=20, planes=3)
    return compare_initializations(
        "digits", hidden=HIDDEN, sparsities=SPARSITIES, inits=INITS, cache=False, **options
    )


def digits_initializations(out_dir: Path, *, quick: bool = False) -> list[Path]:
    """Projected decision polytopes (initialisations x sparsities) and data-plane agreement vs sparsity."""
    import matplotlib.pyplot as plt

    result = digits_comparison(quick)
    columns = len(SPARSITIES)
    figure = plt.figure(figsize=(2.6 * columns + 4.6, 2.5 * len(INITS) + 0.9), layout="constrained")
    left, right = figure.subfigures(1, 2, width_ratios=[2.6 * columns, 4.6])
    grid = left.subplots(len(INITS), columns, squeeze=False, sharex=True, sharey=True)
    result.plot_projected_polygons(
        axes=grid,
        title="Decision polytopes conv(Z1 ∪ Z2), classes 0 vs 1, projected on the dense net's\nprincipal "
        f"generator plane (seed {result.config.seeds[0]}; grey: dense, outlined: ticket; raw units)",
    )
    curves = right.subplots(2, 1, squeeze=False)
    n = len(result.config.seeds)
    result.plot_metrics(
        ("triangle_agreement_mean", "test_accuracy"),
        axes=curves,
        title=f"Against sparsity (mean ± std over {n} seed{'s' * (n > 1)},\n"
        f"{result.config.planes} planes through test triplets each)",
    )
    curves[1, 0].legend(fontsize="x-small", loc="best")  # with the dense net's accuracy (dashed)
    figure.suptitle(
        f"Tickets of a {'-'.join(map(str, result.widths))} ReLU net on scikit-learn digits, retrained "
        f"({result.config.epochs} epochs) from each initialisation after one-shot magnitude pruning",
        fontsize="medium",
    )
    return save(figure, out_dir, "digits_initializations")


FIGURES = {"digits_initializations": digits_initializations}
