"""The result of a comparison: a tidy table, the tickets and models, summaries and figures."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import textwrap
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from lottery.experiments.config import (
    COLUMNS,
    METHOD_COLUMNS,
    ComparisonConfig,
    domain,
    load_data,
    model_widths,
    network_fn,
)

__all__ = ["HIGH_DIMENSIONAL_METRICS", "METRIC_LABELS", "ComparisonResult"]

#: Axis labels of the metrics in figures (raw or normalised is always said).
METRIC_LABELS = {
    "test_accuracy": "test accuracy",
    "polytope_hausdorff": "Hausdorff distance to dense polytope (raw)",
    "polytope_hausdorff_normalized": "Hausdorff distance to dense polytope\n"
    "(normalised: centroid, unit diameter)",
    "polytope_iou": "IoU with dense polytope (raw)",
    "polytope_iou_normalized": "IoU with dense polytope\n(normalised: centroid, unit diameter)",
    "polytope_volume_ratio": "area of polytope / dense (raw)",
    "polytope_vertices": "vertices of decision polytope",
    "generator_distance": "matched generator distance to dense (raw)",
    "boundary_agreement": "area where ticket and dense agree (fraction)",
    "boundary_hausdorff": "Hausdorff distance of decision boundaries",
    "linear_regions": "linear regions on the domain",
    "polytope_hausdorff_lower": "Hausdorff distance to dense polytope,\ncertified lower bound (raw)",
    "polytope_hausdorff_upper": "Hausdorff distance to dense polytope,\ncertified upper bound (raw)",
    "projected_polytope_hausdorff": "Hausdorff distance of projected polytopes\n(dense principal plane, raw)",
    "projected_polytope_iou": "IoU of projected polytopes\n(dense principal plane)",
    "triangle_agreement_mean": "agreement with dense on data planes\n(fraction of test-point triangles)",
    "box_agreement_mean": "agreement with dense on data planes\n(fraction of padded boxes)",
    "triangle_boundary_hausdorff_mean": "Hausdorff distance of boundaries\non data triangles (input units)",
    "triangle_regions_mean": "linear regions per data triangle",
}

#: The default metrics of :meth:`ComparisonResult.plot_metrics` for inputs above 2-D (data-plane columns).
HIGH_DIMENSIONAL_METRICS = (
    "test_accuracy",
    "polytope_hausdorff_upper",
    "projected_polytope_iou",
    "boundary_agreement",
    "triangle_agreement_mean",
    "box_agreement_mean",
)


def _json_value(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else ("inf" if value > 0 else "-inf")
    return value


@dataclass
class ComparisonResult:
    """What :func:`~lottery.experiments.compare_initializations` returns.

    Attributes
    ----------
    config : ComparisonConfig
    rows : list of dict
        One per (init, sparsity, seed), in that nesting order, with the keys of :data:`COLUMNS`.
    dense : dict of int to lottery.Ticket
        The trained dense network of every seed (its mask keeps everything).
    tickets : dict of (str, float, int) to lottery.Ticket
        The retrained ticket of every (init, sparsity, seed), with mask, start and trained weights.
    cache_info : dict
        ``hits`` and ``misses`` of the task cache (a second identical run has no misses) and its directory.
    timing : dict
        Where this run's time went: ``wall_s`` (the whole run), ``train_s`` / ``train_cpu_s`` (wall and CPU
        seconds of data loading, pruning, re-initialisation, training and evaluation) and ``geometry_s`` /
        ``geometry_cpu_s`` (the comparisons with the dense nets), summed over the ``tasks_computed`` tasks
        (cached ones, ``tasks_cached``, cost nothing here); each task's own seconds are in its ticket's
        ``provenance["seconds"]``. Task seconds add up over parallel workers, so they can exceed ``wall_s``.
    """

    config: ComparisonConfig
    rows: list[dict]
    dense: dict
    tickets: dict
    cache_info: dict = field(default_factory=dict)
    timing: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        c = self.config
        network = f"model={c.model!r}" if c.model is not None else f"widths={self.widths}"
        return (
            f"ComparisonResult({c.dataset}, {network}, inits={list(c.inits)}, "
            f"sparsities={list(c.sparsities)}, seeds={list(c.seeds)}, rows={len(self.rows)})"
        )

    # ------------------------------------------------------------------------------------------ data
    @property
    def columns(self) -> list[str]:
        """Column names, in order (:data:`COLUMNS`)."""
        return list(COLUMNS)

    @cached_property
    def data(self):
        """The dataset (regenerated from the configuration)."""
        return load_data(self.config)

    @cached_property
    def widths(self) -> list[int]:
        """Layer widths of every network."""
        return model_widths(self.config, self.data)

    @cached_property
    def domain(self) -> dict:
        """``{"bounds": ...}`` or ``{"plane": ...}``: where the boundaries were compared."""
        return domain(self.config, self.data)

    def model(self, init: str, sparsity: float, seed: int | None = None):
        """The retrained ticket as a model (eval mode); ``seed`` defaults to the first seed."""
        seed = self.config.seeds[0] if seed is None else seed
        key = (init, float(sparsity), seed)
        if key not in self.tickets:
            raise ValueError(
                f"no ticket for init={init!r}, sparsity={sparsity!r}, seed={seed!r}; inits "
                f"{list(self.config.inits)}, sparsities {list(self.config.sparsities)}, "
                f"seeds {list(self.config.seeds)}"
            )
        return self.tickets[key].build(network_fn(self.config, self.data), state="trained").eval()

    def dense_model(self, seed: int | None = None):
        """The trained dense network of ``seed`` (default: the first seed), eval mode."""
        seed = self.config.seeds[0] if seed is None else seed
        if seed not in self.dense:
            raise ValueError(f"no dense net for seed={seed!r}; seeds {list(self.config.seeds)}")
        return self.dense[seed].build(network_fn(self.config, self.data), state="trained").eval()

    # ---------------------------------------------------------------------------------------- tables
    def to_csv(self, path: str | os.PathLike | None = None) -> str:
        """The table as CSV (header = :data:`COLUMNS`); written to ``path`` if given, and returned."""
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=self.columns, lineterminator="\n")
        writer.writeheader()
        for row in self.rows:
            writer.writerow({k: repr(v) if isinstance(v, float) else v for k, v in row.items()})
        text = buffer.getvalue()
        if path is not None:
            with open(path, "w", newline="") as handle:
                handle.write(text)
        return text

    def to_json(self, path: str | os.PathLike | None = None) -> str:
        """``{"config", "columns", "column_descriptions", "rows", "summary", "timing"}`` as strict JSON (NaN
        as null, infinities as the strings ``"inf"``); written to ``path`` if given, and returned."""
        payload = {
            "config": self.config.to_dict(),
            "widths": self.widths,
            "domain": {k: np.asarray(v, dtype=float).tolist() for k, v in self.domain.items()},
            "columns": self.columns,
            "column_descriptions": COLUMNS,
            "rows": [{k: _json_value(v) for k, v in row.items()} for row in self.rows],
            "summary": [{k: _json_value(v) for k, v in row.items()} for row in self.summary()],
            "timing": self.timing,
        }
        text = json.dumps(payload, indent=1, allow_nan=False)
        if path is not None:
            with open(path, "w") as handle:
                handle.write(text)
        return text

    def to_pandas(self):
        """The table as a ``pandas.DataFrame`` (needs pandas)."""
        try:
            import pandas as pd
        except ImportError as error:  # pragma: no cover - pandas is in the dev extra
            raise ImportError("to_pandas() needs pandas: pip install pandas") from error
        return pd.DataFrame(self.rows, columns=self.columns)

    def values(self, metric: str, init: str, sparsity: float) -> np.ndarray:
        """The values of ``metric`` over the seeds for one (init, sparsity), shape (n_seeds,)."""
        if metric not in COLUMNS or metric in ("init", *METHOD_COLUMNS):
            numeric = [c for c in COLUMNS if c not in ("init", *METHOD_COLUMNS)]
            raise ValueError(f"unknown metric {metric!r}; known: {', '.join(numeric)}")
        return np.array(
            [r[metric] for r in self.rows if r["init"] == init and r["sparsity"] == sparsity], dtype=float
        )

    def summary(self, metrics=None) -> list[dict]:
        """Mean and standard deviation (over seeds, ``ddof=0``) of every numeric column per (init, sparsity).

        The text columns ``polytope_method`` and ``boundary_method`` are left out; a metric skipped for some
        seed has a NaN mean.

        Returns
        -------
        list of dict
            Keys ``init``, ``sparsity``, ``n_seeds`` and ``<metric>_mean``, ``<metric>_std``.
        """
        metrics = (
            [m for m in COLUMNS if m not in ("init", "sparsity", "seed", *METHOD_COLUMNS)]
            if metrics is None
            else metrics
        )
        out = []
        for init in self.config.inits:
            for sparsity in self.config.sparsities:
                entry = {"init": init, "sparsity": sparsity, "n_seeds": len(self.config.seeds)}
                for metric in metrics:
                    v = self.values(metric, init, sparsity)
                    entry[f"{metric}_mean"] = float(v.mean())
                    entry[f"{metric}_std"] = float(v.std())
                out.append(entry)
        return out

    # --------------------------------------------------------------------------------------- figures
    def plot_metrics(
        self,
        metrics=None,
        *,
        axes=None,
        title: str | None = None,
    ):  # fmt: skip
        """Metric vs sparsity, mean ± std over seeds, one curve per initialisation.

        ``metrics`` defaults to the polytope and boundary columns for 2-D inputs and to
        :data:`HIGH_DIMENSIONAL_METRICS` (bounds of the polytope distance, data-plane agreement) above.

        Returns
        -------
        (Figure, ndarray of Axes)
        """
        import matplotlib.pyplot as plt

        if metrics is None:
            metrics = (
                ("test_accuracy", "polytope_hausdorff", "polytope_hausdorff_normalized",
                 "polytope_iou_normalized", "polytope_volume_ratio", "boundary_agreement")
                if self.widths[0] == 2 else HIGH_DIMENSIONAL_METRICS
            )  # fmt: skip
        metrics = [m for m in metrics if m in COLUMNS]
        if axes is None:
            columns = min(3, len(metrics))
            rows = -(-len(metrics) // columns)
            figure, axes = plt.subplots(rows, columns, figsize=(4.3 * columns, 3.4 * rows), squeeze=False,
                                        constrained_layout=True)  # fmt: skip
        else:
            axes = np.atleast_2d(np.asarray(axes, dtype=object))
            figure = axes.flat[0].figure
        sparsities = np.array(self.config.sparsities)
        colours = plt.get_cmap("tab10")
        for ax, metric in zip(axes.flat, metrics, strict=False):
            for k, init in enumerate(self.config.inits):
                values = [self.values(metric, init, s) for s in sparsities]
                mean = np.array([v.mean() for v in values])
                std = np.array([v.std() for v in values])
                ax.errorbar(100 * sparsities, mean, yerr=std, marker="o", ms=3.5, capsize=2.5, lw=1.3,
                            color=colours(k % 10), label=init)  # fmt: skip
            if metric == "test_accuracy":
                dense = np.mean([self.dense[s].provenance["test_accuracy"] for s in self.config.seeds])
                ax.axhline(dense, color="black", ls="--", lw=1, label="dense")
            ax.set_xlabel(self._sparsity_label())
            ax.set_ylabel(METRIC_LABELS.get(metric, metric), fontsize="small")
            ax.grid(alpha=0.3)
            reason = self._not_computed(metric)
            if reason is not None:  # an empty panel with meaningless ticks would read as "no difference"
                ax.set_yticks([])
                ax.set_xlim(100 * sparsities.min() - 5, 100 * sparsities.max() + 5)
                ax.text(0.5, 0.5, textwrap.fill(f"not computed: {reason}", 42), transform=ax.transAxes,
                        ha="center", va="center", fontsize="x-small", wrap=True)  # fmt: skip
        for ax in list(axes.flat)[len(metrics) :]:
            ax.set_axis_off()
        axes.flat[0].legend(fontsize="x-small", loc="best")
        n = len(self.config.seeds)
        seeds = f"{n} seed" if n == 1 else f"{n} seeds"
        figure.suptitle(
            title or f"{self._network_text()}: retrained tickets vs the dense net (mean ± std over {seeds})",
            fontsize="medium",
        )
        return figure, axes

    def _not_computed(self, metric: str) -> str | None:
        """Why ``metric`` is NaN in every row (its section's ``*_method`` text); None if any value exists."""
        values = np.array([row[metric] for row in self.rows], dtype=float)
        if values.size == 0 or not np.isnan(values).all():
            return None
        section, columns = None, list(COLUMNS)
        for column in columns[: columns.index(metric)]:
            if column in METHOD_COLUMNS:
                section = column
        reasons = sorted({str(row[section]) for row in self.rows}) if section else []
        return "; ".join(reasons) or "no value in any row"

    def _sparsity_label(self) -> str:
        if self.config.prune_output:
            pruned = "weights"
        elif self.config.model is None:
            pruned = "hidden-layer weights"
        else:  # a user's model: every prunable weight but the last one (its output layer)
            pruned = "weights before the output layer"
        return f"sparsity (% of {pruned} pruned)"

    def _network_text(self) -> str:
        if self.config.model is not None:
            return f"{self.config.model} net on {self.config.dataset}"
        return f"{'-'.join(map(str, self.widths))} net on {self.config.dataset}"

    def _grid(self, seed, inits, sparsities):
        seed = self.config.seeds[0] if seed is None else seed
        inits = list(self.config.inits if inits is None else inits)
        sparsities = list(self.config.sparsities if sparsities is None else sparsities)
        models = [[self.model(i, s, seed) for s in sparsities] for i in inits]
        return seed, inits, sparsities, models

    def plot_polygons(self, *, seed=None, inits=None, sparsities=None, normalize: str = "none", title=None):
        """Newton polygons (decision polytopes) of the dense net and of every ticket, with shared axes.

        Row 0 is the dense net; then one row per initialisation, one column per sparsity (one hidden layer
        only). Returns ``(Figure, ndarray of Axes)``.
        """
        from tropical.plot import decision_polygon_grid

        if self.config.model is not None or len(self.config.hidden) != 1:
            instead = (
                "plot_projected_polygons() (each decision polytope projected on the dense net's plane) or "
                "plot_boundaries()"
            )
            raise ValueError(
                "plot_polygons draws the exact decision polytopes of MLPs with one hidden layer, not of "
                f"this {self._network_text()}; use {instead}"
            )
        seed, inits, sparsities, models = self._grid(seed, inits, sparsities)
        grid = [[self.dense_model(seed)] + [None] * (len(sparsities) - 1), *models]
        text = "raw, shared axes" if normalize == "none" else f"normalised ({normalize})"
        import matplotlib.pyplot as plt

        rows, columns = len(grid), len(sparsities)
        figure, axes = plt.subplots(rows, columns, figsize=(2.9 * columns, 1.75 * rows + 0.9), squeeze=False,
                                    sharex=True, sharey=True, constrained_layout=True)  # fmt: skip
        drawn = decision_polygon_grid(
            grid, axes=axes, row_labels=["dense (trained)", *inits],
            normalize=normalize,
            title=title or f"Newton polygons conv(Z1 ∪ Z2) of a {self._network_text()}, retrained from each "
            f"initialisation (seed {seed}; {text})",
        )  # fmt: skip
        figure, axes = drawn["figure"], drawn["axes"]
        axes[0, 0].set_title(f"dense: {100 * self.dense[seed].provenance['test_accuracy']:.1f}% test acc.",
                             fontsize="small")  # fmt: skip
        for column, sparsity in enumerate(sparsities):  # above the first row of tickets
            axes[1, column].set_title(f"{100 * sparsity:g}% pruned", fontsize="small")
        return figure, axes

    def plot_projected_polygons(self, *, seed=None, inits=None, sparsities=None, axes=None, title=None):
        """Decision polytopes of every ticket projected on the dense net's principal plane, any input size.

        One row per initialisation, one column per sparsity; every panel shows the dense net's projected
        polytope (grey) and the ticket's (outlined) with shared axes (:func:`tropical.plot.
        projected_newton_polygon_grid`). The polytopes are those of ``polytope_method``: Alfarra et al.'s
        ``conv(Z1 ∪ Z2)`` for a one-hidden-layer net (a conv or custom first layer included, read with the
        networks' input shape); for a deeper net, those of its first hidden layer with the later layers read
        as their linear part (``rest="linear"``, :data:`tropical.decision.FIRST_LAYER`) -- a stand-in, not
        the deep net's exact polytope, and the title and legend say so. Where no decision polytope exists
        (e.g. max-pooling right after the first layer), the axes say why instead of drawing.

        Returns
        -------
        (Figure, ndarray of Axes)
        """
        import textwrap

        import matplotlib.pyplot as plt

        from tropical.plot import projected_newton_polygon_grid

        seed, inits, sparsities, models = self._grid(seed, inits, sparsities)
        dense, construction = _decision_polytope(self.dense_model(seed), self.config.classes,
                                                 self._input_shape(seed))  # fmt: skip
        if dense is None:
            return _no_polytope(construction, axes, self._network_text())
        read = [[_decision_polytope(m, self.config.classes, self._input_shape(seed)) for m in row]
                for row in models]  # fmt: skip
        bodies = [[body for body, _ in row] for row in read]
        first_layer = construction != "one hidden layer"
        what = f"{construction}: not the exact polytope of the deep net" if first_layer else "raw units"
        if axes is None:
            size = (max(6.0, 2.9 * len(sparsities)), 2.6 * len(inits) + 1.3)
            _, axes = plt.subplots(len(inits), len(sparsities), figsize=size, squeeze=False, sharex=True,
                                   sharey=True, constrained_layout=True)  # fmt: skip
        title = title or textwrap.fill(
            f"Decision polytopes{' of the first hidden layer' * first_layer} of a {self._network_text()} "
            f"(seed {seed}), projected on the dense net's principal generator plane: dense in grey, ticket "
            f"outlined ({what})", int(12 * max(6.0, 2.9 * axes.shape[1])))  # fmt: skip
        drawn = projected_newton_polygon_grid(
            dense, bodies, row_labels=list(inits), axes=axes,
            column_labels=[f"{100 * s:g}% pruned" for s in sparsities], classes=self.config.classes,
            title=title,
        )  # fmt: skip
        drawn["figure"].suptitle(title, fontsize="medium")
        for r, row in enumerate(read):
            for c, (body, why) in enumerate(row):
                if body is None:  # the panel is switched off: say why on it
                    drawn["axes"][r, c].text(0.5, 0.5, textwrap.fill(f"no decision polytope: {why}", 30),
                                             ha="center", va="center", fontsize="x-small",
                                             transform=drawn["axes"][r, c].transAxes)  # fmt: skip
        if first_layer:
            from matplotlib.patches import Patch

            drawn["axes"][0, 0].legend(
                handles=[Patch(facecolor="0.85", edgecolor="0.3", label=f"dense net ({construction})"),
                         Patch(facecolor="none", edgecolor="C0", label=f"ticket ({construction})")],
                loc="best", fontsize="x-small", framealpha=0.8,
            )  # fmt: skip
        return drawn["figure"], drawn["axes"]

    def _input_shape(self, seed) -> tuple | None:
        """The per-sample input shape the networks of ``seed`` were trained with (None: not recorded).

        A flat shape is returned too: a custom model that reshapes flat inputs itself (``x.view(-1, 1, 8,
        8)``, a first ``Unflatten``) cannot be read without it."""
        shape = self.dense[seed].provenance.get("input_shape") or self.config.input_shape
        return tuple(shape) if shape is not None else None

    def plot_boundaries(self, *, seed=None, inits=None, sparsities=None, points: int = 300, title=None):
        """Exact decision boundaries of every ticket, the dense boundary dashed and the area where the ticket
        disagrees with the dense net shaded, on the domain of the ``boundary_*`` columns: the input box with
        the test data (2 inputs), else the plane through three test points (``domain["plane"]``, in plane
        coordinates, the three points starred). Returns ``(Figure, ndarray of Axes)``."""
        import matplotlib.pyplot as plt
        import shapely
        from matplotlib.collections import LineCollection
        from matplotlib.patches import PathPatch

        import tropical as tr

        seed, inits, sparsities, models = self._grid(seed, inits, sparsities)
        if "bounds" in self.domain:
            where = {"bounds": self.domain["bounds"]}
            x, y = self.data.x_test.numpy()[:points], self.data.y_test.numpy()[:points]
            labels = "$x_1$", "$x_2$"
        else:
            where = {"plane": self.domain["plane"], "input_shape": self._input_shape(seed)}
            labels = "$u$ (plane coordinate)", "$v$ (plane coordinate)"
        dense_regions = tr.linear_regions(self.dense_model(seed), **where)
        dense_classes = dense_regions.decision_regions()
        dense_lines = dense_regions.decision_boundary()
        (xmin, ymin), (xmax, ymax) = dense_regions.domain.min(axis=0), dense_regions.domain.max(axis=0)
        if "plane" in where:  # the three test points (the first three of the test split) in plane coordinates
            corners = np.reshape(np.asarray(where["plane"], dtype=float), (3, -1))
            x, y = (corners - dense_regions.origin) @ dense_regions.frame.T, self.data.y_test.numpy()[:3]
        size = (2.9 * len(sparsities), 2.9 * len(inits))
        figure, axes = plt.subplots(len(inits), len(sparsities), figsize=size, squeeze=False, sharex=True,
                                    sharey=True, constrained_layout=True)  # fmt: skip
        for r, init in enumerate(inits):
            for c, sparsity in enumerate(sparsities):
                ax = axes[r, c]
                regions = tr.linear_regions(models[r][c], **where)
                classes = regions.decision_regions()
                differ = shapely.union_all(
                    [a.difference(b) for a, b in zip(classes, dense_classes, strict=True)]
                )
                path = _shapely_path(differ)
                if path is not None:
                    ax.add_patch(PathPatch(path, facecolor="crimson", alpha=0.35, lw=0, zorder=1))
                marker = {"marker": "*", "s": 90, "edgecolors": "black"} if "plane" in where else {"s": 4}
                ax.scatter(x[:, 0], x[:, 1], c=y, cmap="coolwarm", alpha=0.6, zorder=2, **marker)
                for point, label in zip(x, y, strict=True) if "plane" in where else ():
                    ax.annotate(f"class {label}", point, xytext=(4, 4), textcoords="offset points",
                                fontsize="x-small", zorder=5)  # fmt: skip
                ax.add_collection(LineCollection(dense_lines, colors="0.35", linewidths=1.0, linestyles="--",
                                                 zorder=3))  # fmt: skip
                ax.add_collection(LineCollection(regions.decision_boundary(), colors="black", linewidths=1.4,
                                                 zorder=4))  # fmt: skip
                row = next(
                    q for q in self.rows if (q["init"], q["sparsity"], q["seed"]) == (init, sparsity, seed)
                )
                text = f"agree {100 * row['boundary_agreement']:.1f}%\nacc {100 * row['test_accuracy']:.1f}%"
                ax.text(0.02, 0.02, text,
                        transform=ax.transAxes, fontsize="x-small", va="bottom",
                        bbox={"facecolor": "white", "alpha": 0.7, "lw": 0})  # fmt: skip
                ax.set_xlim(xmin, xmax)
                ax.set_ylim(ymin, ymax)
                ax.set_aspect("equal")
                if r == 0:
                    ax.set_title(f"{100 * sparsity:g}% pruned", fontsize="small")
                if c == 0:
                    ax.set_ylabel(f"{init}\n{labels[1]}", fontsize="small")
                if r == len(inits) - 1:
                    ax.set_xlabel(labels[0], fontsize="small")
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch

        figure.legend(
            handles=[Line2D([], [], color="black", lw=1.4, label="ticket's exact decision boundary"),
                     Line2D([], [], color="0.35", lw=1.0, ls="--", label="dense net's boundary"),
                     Patch(color="crimson", alpha=0.35, label="ticket and dense disagree")],
            loc="outside lower center", ncol=3 if len(sparsities) > 2 else 1, fontsize="small",
        )  # fmt: skip
        text = title or (
            f"Exact decision boundaries of a {self._network_text()}, tickets retrained from each "
            f"initialisation (seed {seed}; "
            + ("test data)" if "bounds" in where else "on the plane through the first three test points)")
        )
        figure.suptitle(textwrap.fill(text, max(40, int(14 * size[0]))), fontsize="medium")  # fits the width
        return figure, axes


def _decision_polytope(model, classes, input_shape):
    """``(conv(Z1 ∪ Z2) as a ZonotopeHull, its construction)`` of ``model`` as ``decision_metrics`` reads it
    (``rest="linear"``), or ``(None, why there is none)``."""
    from tropical.decision import decision_weights
    from tropical.errors import ComputationTooLargeError, UnsupportedLayerError
    from tropical.zonotope import ZonotopeHull

    try:
        weights = decision_weights(model, classes, rest="linear", input_shape=input_shape)
    except (UnsupportedLayerError, ComputationTooLargeError) as error:
        return None, f"{type(error).__name__}: {str(error).strip().split('. ')[0].rstrip('.')}"
    return ZonotopeHull(*weights.zonotopes()), weights.construction


def _no_polytope(reason: str, axes, network: str):
    """A figure whose axes say why no decision polytope is drawn (instead of an empty or missing figure)."""
    import textwrap

    import matplotlib.pyplot as plt

    if axes is None:
        figure, axes = plt.subplots(figsize=(7, 2.6), squeeze=False, constrained_layout=True)
    else:
        axes = np.atleast_2d(np.asarray(axes, dtype=object))
        figure = axes.flat[0].figure
    for ax in axes.flat:
        ax.set_axis_off()
    text = f"No decision polytope to draw for this {network}:\n{textwrap.fill(reason, 80)}"
    if "max" in reason:
        hint = (
            "Decision polytopes (Alfarra et al.) need an affine first layer and an activation whose outputs "
            "reach the logits through layers read as affine maps; a max (max-pooling) in between has no "
            "such form."
        )
        text += "\n\n" + textwrap.fill(hint, 80)
    axes.flat[0].text(0.5, 0.5, text, ha="center", va="center", fontsize="small",
                      transform=axes.flat[0].transAxes)  # fmt: skip
    figure.suptitle("Projected decision polytopes: none (see the reason)", fontsize="medium")
    return figure, axes


def _shapely_path(geometry):
    """A matplotlib Path of a shapely (Multi)Polygon with its holes, or None when it is empty."""
    import shapely
    from matplotlib.path import Path

    if geometry.is_empty:
        return None
    vertices, codes = [], []
    for polygon in shapely.get_parts(geometry):
        if not isinstance(polygon, shapely.Polygon):
            continue
        for ring in [polygon.exterior, *polygon.interiors]:
            ring_xy = np.asarray(ring.coords)
            if len(ring_xy) < 3:
                continue
            vertices.append(ring_xy)
            codes.append([Path.MOVETO] + [Path.LINETO] * (len(ring_xy) - 2) + [Path.CLOSEPOLY])
    if not vertices:
        return None
    return Path(np.concatenate(vertices), np.concatenate(codes))
