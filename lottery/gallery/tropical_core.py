"""Gallery figures of the tropical core: a small net trained on two moons as a tropical rational map."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lottery.gallery import moons_net, save

__all__ = ["FIGURES", "moons_newton_polygons"]


def moons_newton_polygons(out_dir: Path, *, quick: bool = False) -> list[Path]:
    """Newton polygons and dual subdivisions of F_1 and G_1 of a 2-6-6-2 net, and its tropical curves."""
    import matplotlib.pyplot as plt

    import tropical as tr
    from tropical.plot import curve, newton_polygon

    _, model, data = moons_net([2, 6, 6, 2], epochs=60 if quick else 200, lr=0.02, n_samples=600)
    tropical_map = tr.from_torch(model)
    F1, G1 = tropical_map[0].numerator, tropical_map[0].denominator
    F2, G2 = tropical_map[1].numerator, tropical_map[1].denominator
    first, second = (F1 * G2).reduced(), (F2 * G1).reduced()
    boundary_polynomial = first + second  # R = F1 ⊙ G2 ⊕ F2 ⊙ G1 (docs/math.md §2)

    def mixed(monomials):  # a tie between one monomial of F1 ⊙ G2 and one of F2 ⊙ G1
        return (monomials < len(first)).sum(axis=1) == 1

    x = data.x_train.numpy()
    y = data.y_train.numpy()
    low, high = x.min(axis=0) - 0.5, x.max(axis=0) + 0.5
    bounds = (low[0], high[0], low[1], high[1])

    figure, axes = plt.subplots(1, 3, figsize=(15, 5))
    newton_polygon(F1, axes[0], color="tab:blue", title=f"Newton polygon of $F_1$ ({len(F1)} monomials)")
    newton_polygon(G1, axes[1], color="tab:orange", title=f"Newton polygon of $G_1$ ({len(G1)} monomials)")
    axes[2].scatter(*x.T, c=np.where(y == 1, "tab:purple", "tab:green"), s=6, alpha=0.5)
    curve(F1, axes[2], bounds=bounds, color="tab:blue", linewidth=0.7, label="$T(F_1)$")
    curve(G1, axes[2], bounds=bounds, color="tab:orange", linewidth=0.7, label="$T(G_1)$")
    curve(
        boundary_polynomial,
        axes[2],
        bounds=bounds,
        color="black",
        linewidth=2.2,
        keep=mixed,
        label="decision boundary",
    )
    axes[2].legend(loc="lower left", fontsize=8)
    axes[2].set_title("tropical curves over the training data")
    figure.suptitle(
        "A 2-6-6-2 ReLU net trained on two moons as a tropical rational map: output 1 = $F_1 - G_1$ "
        "(Zhang et al. 2018). Cells of the subdivisions are dual to the vertices of the curves.",
        fontsize=10,
    )
    return save(figure, out_dir, "tropical_core_moons")


FIGURES = {"tropical_core_moons": moons_newton_polygons}
