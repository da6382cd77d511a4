"""Gallery figures of decision polytopes (issues 3 and 7): Newton polygons through training and pruning, and
the dual subdivision, tropical curve and lifted polytope of a trained net."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lottery.criteria import prune
from lottery.gallery import held_out_accuracy, moons_net, save
from lottery.models import mlp

__all__ = ["FIGURES"]


def training(out_dir: Path, *, quick: bool = False) -> list[Path]:
    """Newton polygon and exact boundary of a 2-100-2 moons net at initialisation and after training."""
    import matplotlib.pyplot as plt

    from tropical.plot import classifier_geometry

    at_init, trained, data = moons_net([2, 100, 2], epochs=10 if quick else 40)
    figure, axes = plt.subplots(2, 2, figsize=(10, 9.5), constrained_layout=True)
    for row, (model, when) in enumerate(((at_init, "at initialisation"), (trained, "after training"))):
        classifier_geometry(model, data=data.x_test, labels=data.y_test, axes=axes[row])
        accuracy = 100 * held_out_accuracy(model, data)
        axes[row, 0].set_title(f"{when}: data and exact decision boundary ({accuracy:.0f}% test acc.)",
                               fontsize="medium")  # fmt: skip
        axes[row, 1].set_title(f"{when}: Newton polygon conv(Z1 ∪ Z2) (raw)", fontsize="medium")
    figure.suptitle("A 2-100-2 ReLU net on two moons: training grows and reshapes the decision polytope "
                    "(Alfarra et al. 2022)")  # fmt: skip
    return save(figure, out_dir, "moons_newton_polygon_training")


def pruning(out_dir: Path, *, quick: bool = False) -> list[Path]:
    """The trained 2-100-2 net, hidden layer pruned by magnitude at 50/75/90 % in place (no retraining)."""
    import matplotlib.pyplot as plt

    import tropical as tr
    from tropical.errors import DegenerateGeometryError
    from tropical.plot import decision_polygon

    _, trained, data = moons_net([2, 100, 2], epochs=10 if quick else 40)
    rates = (0.0, 0.5, 0.75, 0.9)
    models = []
    for rate in rates:
        model = mlp([2, 100, 2])
        model.load_state_dict(trained.state_dict())
        if rate:
            prune(trained, sparsity={"0.weight": rate, "2.weight": 0.0}, seed=0).apply(model)
        models.append(model.eval())
    dense_polytope = tr.decision_polytope(trained)
    figure, axes = plt.subplots(2, len(rates), figsize=(3.6 * len(rates), 5.4), constrained_layout=True)
    for column, (rate, model) in enumerate(zip(rates, models, strict=True)):
        polytope = tr.decision_polytope(model)
        for row, normalize in enumerate(("none", "centroid_diameter")):
            decision_polygon(
                model, axes[row, column], normalize=normalize, vertices=False, legend=False, title=""
            )
        name = "dense (trained)" if rate == 0 else f"{100 * rate:g}% pruned in place"
        axes[0, column].set_title(f"{name}\n{100 * held_out_accuracy(model, data):.0f}% test acc., "
                                  f"{len(polytope.vertices)} vertices", fontsize="small")  # fmt: skip
        try:
            distance = tr.metrics.hausdorff(polytope, dense_polytope, normalize="centroid_diameter")
        except DegenerateGeometryError:  # a polygon reduced to a point has no shape
            distance = float("nan")
        axes[1, column].set_title(f"Hausdorff to dense (normalised) {distance:.3f}", fontsize="small")
    for row in range(2):
        limits = np.array([ax.get_xlim() + ax.get_ylim() for ax in axes[row]])
        for ax in axes[row]:
            ax.set_xlim(limits[:, 0].min(), limits[:, 1].max())
            ax.set_ylim(limits[:, 2].min(), limits[:, 3].max())
            ax.set_aspect("equal", adjustable="box")
    axes[0, 0].set_ylabel("raw, shared axes\nexponent of $x_2$")
    axes[1, 0].set_ylabel("normalised: centroid at 0,\nunit diameter\nexponent of $x_2$")
    figure.suptitle("Magnitude pruning of the hidden layer (no retraining) shrinks the Newton polygon of a "
                    "2-100-2 moons net; normalised, its shape changes less")  # fmt: skip
    return save(figure, out_dir, "moons_newton_polygon_pruned")


def trained_geometry(out_dir: Path, *, quick: bool = False) -> list[Path]:
    """Figure 4: dual subdivision and tropical curve of a trained 2-12-2 net, and the lifted 3-D polytope."""
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection

    import tropical as tr
    from tropical.plot import curve, decision_polygon, lifted_polytope

    _, model, data = moons_net([2, 12, 2], epochs=30 if quick else 120)
    x = data.x_test.numpy()
    bounds = (-2.6, 2.6, -2.6, 2.6)
    subdivision = tr.decision_subdivision(model)
    figure = plt.figure(figsize=(16, 5.4), constrained_layout=True)
    axes = [
        figure.add_subplot(1, 3, 1),
        figure.add_subplot(1, 3, 2),
        figure.add_subplot(1, 3, 3, projection="3d"),
    ]
    axes[0].scatter(x[:, 0], x[:, 1], c=data.y_test.numpy(), cmap="coolwarm", s=6, alpha=0.5)
    curve(subdivision.polynomial(), axes[0], bounds=bounds, color="0.55", linewidth=0.8,
          label="tropical curve T(R)")  # fmt: skip
    boundary = subdivision.hypersurface(bounds=bounds)
    axes[0].add_collection(LineCollection(boundary.segments, colors="black", linewidths=2.2,
                                          label="mixed part = decision boundary"))  # fmt: skip
    axes[0].legend(loc="lower left", fontsize="x-small")
    axes[0].set_title(f"input space ({100 * held_out_accuracy(model, data):.0f}% test acc.)")
    decision_polygon(model, axes[1], title=f"dual subdivision δ(R): {len(subdivision)} cells (raw)")
    lifted_polytope(model, axes[2])
    figure.suptitle("A 2-12-2 net trained on two moons: R = H1 ⊙ Q2 ⊕ H2 ⊙ Q1. Each vertex of T(R) is dual "
                    "to a cell of δ(R), each edge to an edge; mixed cells give the boundary")  # fmt: skip
    return save(figure, out_dir, "trained_net_geometry")


FIGURES = {
    "moons_newton_polygon_training": training,
    "moons_newton_polygon_pruned": pruning,
    "trained_net_geometry": trained_geometry,
}
