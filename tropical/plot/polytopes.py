"""Figures of decision-boundary polytopes of one-hidden-layer classifiers (Alfarra et al., TPAMI 2022).

The Newton polygon of a 2-D classifier is ``conv(Z1 ∪ Z2)`` with Alfarra et al.'s zonotopes (see
:mod:`tropical.decision`): filled in grey, ``Z1`` (class ``i`` side) and ``Z2`` (class ``j`` side) outlined in
two colours, the dual subdivision ``δ(R)`` drawn inside, monomials marked. Next to it, the data and the exact
decision boundary (the mixed part of ``T(R)``). Every figure says whether the polygon is raw or normalised.

Every function draws a model or what was computed from it (a :class:`~tropical.decision.DecisionSubdivision`,
zonotopes, polytopes), so nothing is computed twice. matplotlib is imported inside the functions; one-panel
functions take ``ax=None`` as their second parameter and several-panel ones ``axes=None``; every function
returns a dict of what it drew and never calls ``plt.show()``.
"""

from __future__ import annotations

import warnings

import numpy as np

from tropical._validation import box, float_array
from tropical.decision import DecisionSubdivision, decision_subdivision, decision_weights, decision_zonotopes
from tropical.metrics.polytope import normalization
from tropical.plot._layout import fitted_legend, fitted_suptitle
from tropical.polytope import Polytope

__all__ = [
    "classifier_geometry",
    "decision_polygon",
    "decision_polygon_grid",
    "lifted_polytope",
    "projected_newton_polygon_grid",
    "projected_newton_polygons",
]

_NORMALIZE_TEXT = {
    "none": "raw",
    "centroid_diameter": "normalised: centroid at 0, unit diameter",
    "centroid_volume": "normalised: centroid at 0, unit area",
}


def _exponent_label(coordinate: int, normalize: str) -> str:
    """Axis label of a Newton polygon panel: raw exponents, or their normalised coordinates."""
    text = f"exponent of $x_{coordinate}$"
    return text if normalize == "none" else f"normalised {text}"


def _axes(ax, projection=None):
    if ax is None:
        import matplotlib.pyplot as plt

        figure = plt.figure(figsize=(4.5, 4.5))
        ax = figure.add_subplot(projection=projection)
    return ax


def _two_inputs(model, classes, what: str) -> None:
    """Refuse a model or DecisionSubdivision without 2 inputs before anything is enumerated, naming the plots
    that work in any dimension (the subdivision of a 64-input net used to be estimated, and refused, at
    1.7e3 years first; a 3-input one crashed inside matplotlib)."""
    if isinstance(model, DecisionSubdivision):
        n_in = model.exponents.shape[1]
    else:  # the one-hidden-layer reader (cheap: no enumeration); it refuses other models by itself
        n_in = decision_weights(model, classes).weight.shape[1]
    if n_in != 2:
        raise ValueError(
            f"{what} draws classifiers with 2 inputs, this one has {n_in}. In any dimension, "
            "tropical.plot.projected_newton_polygons([model]) draws the exact 2-D projection of the decision "
            "polytope (docs/high_dimensions.md) and tropical.plot.regions(model, plane=(x0, x1, x2)) the "
            "linear regions and decision boundary on the plane through three inputs"
        )


def _decision_parts(model, classes, zonotopes, subdivision: bool):
    """``(Z1, Z2)`` (or None) and the DecisionSubdivision (or None when not needed) of a model or of a
    DecisionSubdivision; nothing given is computed again."""
    if isinstance(model, DecisionSubdivision):
        sub = model
        if zonotopes is None:
            return None, sub
    else:
        sub = decision_subdivision(model, classes) if subdivision else None
        if zonotopes is None:
            zonotopes = decision_zonotopes(model, classes)
    Z1, Z2 = zonotopes
    if Z1.ambient_dimension != 2:
        raise ValueError(f"a decision polygon needs a model with 2 inputs, got {Z1.ambient_dimension}")
    return (Z1, Z2), sub


def decision_polygon(
    model,
    ax=None,
    *,
    classes=(0, 1),
    subdivision: bool = True,
    vertices: bool = True,
    normalize: str = "none",
    colors=("tab:orange", "tab:blue"),
    title: str | None = None,
    legend: bool = True,
    zonotopes=None,
):
    """Newton polygon ``conv(Z1 ∪ Z2)`` of a one-hidden-layer classifier with 2 inputs.

    Parameters
    ----------
    model : torch.nn.Module or DecisionSubdivision
        ``Linear(2, p) -> ReLU -> Linear(p, m)``, or its :func:`~tropical.decision_subdivision` (not
        computed again).
    ax : matplotlib Axes, optional
    classes : (int, int)
        The pair of classes (``Z1`` belongs to ``classes[0]``); only labels when ``model`` is computed.
    subdivision : bool
        Draw the edges of the dual subdivision ``δ(R)`` (grey; edges mixing both sides in black).
    vertices : bool
        Mark the monomials (vertices of the cells), coloured by side.
    normalize : {"none", "centroid_diameter", "centroid_volume"}
        Translate the whole picture to the centroid of the polygon and scale it to unit diameter / area.
    colors : (str, str)
        Colours of ``Z1`` and ``Z2``.
    title : str, optional
        Defaults to ``"Newton polygon (raw)"`` or ``"... (normalised: ...)"``.
    legend : bool
    zonotopes : (Zonotope, Zonotope), optional
        ``Z1, Z2`` from :func:`~tropical.decision_zonotopes`, when already computed. A DecisionSubdivision
        does not carry them: without ``zonotopes=`` the polygon is then the hull of its monomials and the
        outlines of ``Z1`` and ``Z2`` are not drawn.

    Returns
    -------
    dict
        Artists ``"hull"``, ``"Z1"``, ``"Z2"``, ``"subdivision"``, ``"mixed"``, ``"vertices"`` (None where not
        drawn) and ``"result"``: the DecisionSubdivision drawn (None when neither subdivision nor vertices).
    """
    from matplotlib.collections import LineCollection
    from matplotlib.patches import Polygon as PolygonPatch

    _two_inputs(model, classes, "decision_polygon")
    zonotopes, sub = _decision_parts(model, classes, zonotopes, subdivision or vertices)
    if zonotopes is None:
        if sub.exponents.shape[1] != 2:
            raise ValueError(f"a decision polygon needs a 2-D subdivision, got {sub.exponents.shape[1]}-D")
        V1 = V2 = None
        hull = Polytope(sub.exponents)
    else:
        V1, V2 = zonotopes[0].vertices, zonotopes[1].vertices
        hull = Polytope(np.vstack([V1, V2]))
    move = normalization(hull, normalize=normalize).apply  # the whole picture moves with the hull
    ax = _axes(ax)
    artists = dict.fromkeys(("Z1", "Z2", "subdivision", "mixed", "vertices"))
    artists["result"] = sub
    artists["hull"] = ax.add_patch(
        PolygonPatch(move(hull.vertices), closed=True, facecolor="0.85", edgecolor="0.3", lw=1.0,
                     label="conv(Z1 ∪ Z2)", zorder=1)
    )  # fmt: skip
    for name, V, color, cls in (("Z1", V1, colors[0], classes[0]), ("Z2", V2, colors[1], classes[1])):
        if V is None:
            continue
        closed = move(np.vstack([V, V[:1]]))
        (artists[name],) = ax.plot(closed[:, 0], closed[:, 1], color=color, lw=1.6, zorder=3,
                                   label=f"{name} (class {cls} side)")  # fmt: skip
    if subdivision or vertices:
        points = move(sub.exponents)
        if subdivision and len(sub):
            edges = sub.edges()
            mixed = sub.sides[edges[:, 0]] != sub.sides[edges[:, 1]]
            artists["subdivision"] = ax.add_collection(
                LineCollection(points[edges[~mixed]], colors="0.45", linewidths=0.4, zorder=2,
                               label="dual subdivision δ(R)")
            )  # fmt: skip
            artists["mixed"] = ax.add_collection(
                LineCollection(points[edges[mixed]], colors="black", linewidths=0.8, zorder=2,
                               label="mixed edges (dual to the boundary)")
            )  # fmt: skip
        if vertices and len(sub.exponents):
            side_colors = np.where(sub.sides == 1, colors[0], colors[1])
            artists["vertices"] = ax.scatter(points[:, 0], points[:, 1], s=6, c=side_colors, zorder=4)
    ax.set_aspect("equal", adjustable="datalim")
    ax.autoscale_view()
    ax.set_xlabel(_exponent_label(1, normalize))
    ax.set_ylabel(_exponent_label(2, normalize))
    ax.set_title(title if title is not None else f"Newton polygon ({_NORMALIZE_TEXT[normalize]})")
    if legend:
        ax.legend(loc="best", fontsize="x-small")
    return artists


def _default_bounds(data):
    """The data's box plus 10 %, or ``[-3, 3]^2`` without data."""
    if data is None:
        return (-3.0, 3.0, -3.0, 3.0)
    low, high = data.min(axis=0), data.max(axis=0)
    pad = 0.1 * (high - low).max()
    return (low[0] - pad, high[0] + pad, low[1] - pad, high[1] + pad)


def _is_axes_pair(axes) -> bool:
    try:
        return len(axes) == 2 and all(hasattr(ax, "add_collection") for ax in axes)
    except TypeError:
        return False


def classifier_geometry(
    model,
    *positional,
    axes=None,
    data=None,
    labels=None,
    classes=(0, 1),
    bounds=None,
    normalize: str = "none",
    title: str | None = None,
):
    """Two panels: the data with the exact decision boundary, and the Newton polygon of the classifier.

    The dual subdivision is computed once (one arrangement sweep) and gives both the boundary (its mixed
    part, :meth:`DecisionSubdivision.hypersurface`) and the polygon panel (:func:`decision_polygon`).

    Parameters
    ----------
    model : torch.nn.Module or DecisionSubdivision
        ``Linear(2, p) -> ReLU -> Linear(p, m)``, or its :func:`~tropical.decision_subdivision` (then the
        outlines of ``Z1`` and ``Z2`` are not drawn: see :func:`decision_polygon`).
    axes : pair of matplotlib Axes, optional
        The second positional parameter (or ``axes=``); a new 1 x 2 figure when omitted.
    data : array_like or tensor (n, 2), optional
        Points to scatter (input space). Formerly the second positional argument ``X``: passing it (and
        ``labels``) positionally still works, with a DeprecationWarning.
    labels : array_like or tensor (n,), optional
        Classes colouring the data.
    classes : (int, int)
    bounds : (xmin, xmax, ymin, ymax), optional
        Input-space box; default: the data's box plus 10 %, or ``[-3, 3]^2``.
    normalize : str
        For the Newton polygon panel (see :func:`decision_polygon`).
    title : str, optional
        Figure title.

    Returns
    -------
    dict
        ``"boundary"`` (LineCollection of the exact boundary), ``"data"`` (scatter or None), the artists of
        :func:`decision_polygon` under ``"polygon"``, ``"result"`` (the DecisionSubdivision), ``"figure"``
        and ``"axes"``.
    """
    from matplotlib.collections import LineCollection

    legacy = positional
    if positional and _is_axes_pair(positional[0]):
        if axes is not None:
            raise TypeError("classifier_geometry() got axes twice (positionally and as axes=)")
        axes, legacy = positional[0], positional[1:]
    if legacy:  # the former signature (model, X, y, *, ...)
        if len(legacy) > 2 or axes is positional[0]:
            raise TypeError(
                f"classifier_geometry() takes 2 positional arguments (model, axes), got {len(positional) + 1}"
            )
        warnings.warn(
            "classifier_geometry(model, X, y) is deprecated; write "
            "classifier_geometry(model, data=X, labels=y) (the second parameter is axes=)",
            DeprecationWarning,
            stacklevel=2,
        )
        data, labels = (*legacy, None)[:2] if data is None and labels is None else (data, labels)
    _two_inputs(model, classes, "classifier_geometry")
    if axes is None:
        import matplotlib.pyplot as plt

        _, axes = plt.subplots(1, 2, figsize=(9, 4.5))
    left, right = axes
    data = None if data is None else float_array(data, "data")
    if data is not None and (data.ndim != 2 or data.shape[1] != 2):
        raise ValueError(f"data must have shape (n, 2), got {data.shape}")
    bounds = box(bounds) if bounds is not None else _default_bounds(data)
    zonotopes = None
    if isinstance(model, DecisionSubdivision):
        sub = model
    else:  # one subdivision (the sweep) for both panels; the zonotopes cost O(p log p)
        sub = decision_subdivision(model, classes)
        zonotopes = decision_zonotopes(model, classes)
    artists = {"data": None}
    if data is not None:
        colours = None if labels is None else float_array(labels, "labels")
        artists["data"] = left.scatter(data[:, 0], data[:, 1], c=colours, s=6, alpha=0.6,
                                       cmap=None if colours is None else "coolwarm",
                                       zorder=1)  # fmt: skip
    curve = sub.hypersurface(bounds=bounds)
    artists["boundary"] = left.add_collection(
        LineCollection(curve.segments, colors="black", linewidths=1.5, zorder=2,
                       label=f"exact decision boundary f{classes[0]} = f{classes[1]}")
    )  # fmt: skip
    left.set_xlim(bounds[0], bounds[1])
    left.set_ylim(bounds[2], bounds[3])
    left.set_aspect("equal", adjustable="box")
    left.set_xlabel("$x_1$")
    left.set_ylabel("$x_2$")
    left.set_title("exact decision boundary" if data is None else "data and exact decision boundary")
    left.legend(loc="upper right", fontsize="x-small")
    artists["polygon"] = decision_polygon(
        sub, right, classes=classes, normalize=normalize, zonotopes=zonotopes
    )
    if title:
        left.figure.suptitle(title)
    artists.update(result=sub, figure=left.figure, axes=[left, right])
    return artists


class _GridArtists(dict):
    """What the grid functions return: a dict with ``"figure"``, ``"axes"`` and ``"panels"``.

    They returned the pair ``(figure, axes)`` before; unpacking ``figure, axes = ...`` still works for one
    release, with a DeprecationWarning (iterating gives that pair; use ``.keys()`` for the keys).
    """

    def __iter__(self):
        warnings.warn(
            "the grid plot functions return a dict now; write result['figure'] and result['axes'] instead of "
            "unpacking figure, axes = ...",
            DeprecationWarning,
            stacklevel=2,
        )
        return iter((self["figure"], self["axes"]))


#: Smallest width (inches) of a new grid figure: its title and legend stay readable with one column.
_MIN_WIDTH = 5.0


def _grid(models, axes, share: bool, *, below: float = 0.0):
    """Panels for ``models`` (a list, or a list of rows): (rows of models, columns, figure, axes); a new
    figure gets ``below`` inches more height (for a legend)."""
    import matplotlib.pyplot as plt

    if len(models) and not isinstance(models[0], list | tuple):
        models = [list(models)]
    rows, columns = len(models), max(len(row) for row in models)
    if axes is None:
        size = (max(3.2 * columns, _MIN_WIDTH), 3.2 * rows + below)
        figure, axes = plt.subplots(rows, columns, figsize=size, squeeze=False, sharex=share, sharey=share,
                                    layout="constrained")  # fmt: skip
    else:
        axes = np.atleast_2d(axes)
        figure = axes[0, 0].figure
    return models, columns, figure, axes


def _panels(models, columns: int, axes):
    """``(row, column, ax, model)`` for every panel that has a model; panels without one are switched off."""
    for r, row in enumerate(models):
        for c in range(columns):
            model = row[c] if c < len(row) else None
            if model is None:
                axes[r, c].set_axis_off()
            else:
                yield r, c, axes[r, c], model


def decision_polygon_grid(
    models,
    axes=None,
    *,
    row_labels=None,
    column_labels=None,
    classes=(0, 1),
    normalize: str = "none",
    subdivision: bool = True,
    share_axes: bool = True,
    title: str | None = None,
):
    """Newton polygons of several models laid out in a grid (e.g. initialisations x sparsities).

    Parameters
    ----------
    models : sequence of sequences of torch.nn.Module or DecisionSubdivision (None for an empty panel)
        ``models[r][c]`` is drawn in row ``r``, column ``c``; a flat sequence gives one row.
    axes : 2-D array of matplotlib Axes, optional
        A new figure when omitted.
    row_labels, column_labels : sequence of str, optional
        Written on the left of each row / above each column (e.g. ``"rewind"``, ``"sparsity 75%"``).
    classes : (int, int)
    normalize : str
        Applied to every panel (see :func:`decision_polygon`); said in the figure title.
    subdivision : bool
        Draw the dual subdivisions.
    share_axes : bool
        The same axis limits in every panel, so that sizes are comparable (pruning shrinks polygons).
    title : str, optional
        Defaults to ``"Newton polygons (raw)"`` / ``"(normalised: ...)"``.

    Returns
    -------
    dict
        ``"figure"``, ``"axes"`` (2-D ndarray of Axes) and ``"panels"`` (``{(row, column): dict}``, the
        returns of :func:`decision_polygon`). ``figure, axes = decision_polygon_grid(...)``, the former
        return, still works with a DeprecationWarning.
    """
    models, columns, figure, axes = _grid(models, axes, share_axes, below=0.8)
    titled = set()  # a column's label goes above its top-most drawn panel
    handles = None
    panels = {}
    for r, c, ax, model in _panels(models, columns, axes):
        panels[r, c] = decision_polygon(
            model, ax, classes=classes, normalize=normalize, subdivision=subdivision, vertices=False,
            legend=False, title="",
        )  # fmt: skip
        handles = handles or ax.get_legend_handles_labels()
        ax.set_xlabel("")
        ax.set_ylabel("")
        if c not in titled and column_labels is not None and c < len(column_labels):
            ax.set_title(str(column_labels[c]), fontsize="small")
            titled.add(c)
    for r, row in enumerate(
        axes[: len(models)]
    ):  # y label beside the left-most drawn panel of each row, row label first
        drawn = [ax for ax in row if ax.axison]
        if drawn:
            label = _exponent_label(2, normalize)
            if row_labels is not None and r < len(row_labels):
                label = f"{row_labels[r]}\n{label}"
            drawn[0].set_ylabel(label, fontsize="small")
    for ax in axes.ravel():  # shared axes cannot adjust their limits for the aspect ratio
        ax.set_aspect("equal", adjustable="box" if share_axes else "datalim")
    if handles and handles[0]:
        constrained = type(figure.get_layout_engine()).__name__ == "ConstrainedLayoutEngine"
        place = (
            {"loc": "outside lower center"}
            if constrained
            else {"loc": "upper center", "bbox_to_anchor": (0.5, 0)}
        )
        fitted_legend(figure, *handles, fontsize="small", frameon=False, **place)
    fitted_suptitle(figure, title if title is not None else f"Newton polygons ({_NORMALIZE_TEXT[normalize]})")
    for c in range(columns):  # x label under the bottom-most drawn panel of each column
        drawn = [r for r in range(len(models)) if axes[r, c].axison]
        if drawn:
            axes[drawn[-1], c].set_xlabel(_exponent_label(1, normalize), fontsize="small")
            axes[drawn[-1], c].tick_params(labelbottom=True)  # shared x axes: ticks on the bottom row only
    return _GridArtists(figure=figure, axes=axes, panels=panels)


def lifted_polytope(model, ax=None, *, classes=(0, 1), colors=("tab:orange", "tab:blue"), title=None):
    """3-D view of the lifted decision polytope's upper faces (the cells of ``δ(R)`` at their heights).

    Cells of ``T1 = H_i ⊙ Q_j`` only, of ``T2`` only, and mixed cells (on the decision boundary) get
    three colours; the lifted monomials are marked.

    Parameters
    ----------
    model : torch.nn.Module or DecisionSubdivision
        A one-hidden-layer classifier with 2 inputs, or its :func:`~tropical.decision_subdivision`.
    ax : matplotlib Axes with ``projection="3d"``, optional
    classes : (int, int)
        The pair of classes (only labels when ``model`` is a DecisionSubdivision).
    colors : (str, str)
        Colours of the two sides.
    title : str, optional

    Returns
    -------
    dict
        ``"faces"`` (Poly3DCollection), ``"vertices"`` (scatter) and ``"result"`` (the DecisionSubdivision).
    """
    from matplotlib.patches import Patch
    from mpl_toolkits.mplot3d.art3d import Poly3DCollection

    _two_inputs(model, classes, "lifted_polytope")
    sub = model if isinstance(model, DecisionSubdivision) else decision_subdivision(model, classes)
    ax = _axes(ax, projection="3d")
    lifted = sub.lifted
    cells = sub.cells
    first_side = sub.sides[sub.cell_vertices[sub.cell_offsets[:-1]]] if len(sub) else np.zeros(0, int)
    face_colors = np.where(sub.mixed, "0.2", np.where(first_side == 1, colors[0], colors[1]))
    faces = Poly3DCollection([lifted[cell] for cell in cells], facecolors=face_colors, edgecolors="0.3",
                             linewidths=0.3, alpha=0.75)  # fmt: skip
    ax.add_collection3d(faces)
    side_colors = np.where(sub.sides == 1, colors[0], colors[1])
    points = ax.scatter(lifted[:, 0], lifted[:, 1], lifted[:, 2], s=5, c=side_colors, depthshade=False)
    if len(lifted):
        for axis, values in zip("xyz", lifted.T, strict=True):
            low, high = values.min(), values.max()
            pad = 0.05 * (high - low + 1e-12)
            getattr(ax, f"set_{axis}lim")(low - pad, high + pad)
    ax.set_xlabel("exponent of $x_1$")
    ax.set_ylabel("exponent of $x_2$")
    ax.set_zlabel("coefficient (lifted bias)")
    ax.set_title(title if title is not None else "upper faces of the lifted decision polytope (raw)")
    ax.legend(
        handles=[Patch(color=colors[0], label=f"class {classes[0]} side"),
                 Patch(color=colors[1], label=f"class {classes[1]} side"),
                 Patch(color="0.2", label="mixed (boundary vertex)")],
        loc="upper left", fontsize="x-small",
    )  # fmt: skip
    return {"faces": faces, "vertices": points, "result": sub}


def projected_newton_polygons(
    bodies,
    ax=None,
    *,
    labels=None,
    basis=None,
    classes=(0, 1),
    zonotopes: bool = False,
    colors=None,
    title: str | None = None,
    legend: bool = True,
):
    """Exact projections of several decision polytopes (a dense net and its tickets) on shared axes.

    The first body is the reference: it is filled in grey and, unless ``basis`` is given, its two leading
    principal directions span the plane (:func:`tropical.metrics.projected_polygons`). Works in any input
    dimension: the projection of ``conv(Z1 ∪ Z2)`` is computed from the projected generators, exactly.

    Parameters
    ----------
    bodies : sequence of torch.nn.Module, Zonotope, ZonotopeHull, Polytope or array_like (n, d)
        Models are read as their decision polytopes for ``classes``.
    ax : matplotlib Axes, optional
    labels : sequence of str, optional
        Legend entries (default ``"reference"``, ``"1"``, ``"2"``...).
    basis : array_like, shape (2, d), optional
        Orthonormal rows of the plane.
    classes : (int, int)
    zonotopes : bool
        Also draw the projected ``Z1`` (dashed) and ``Z2`` (dotted) of every body.
    colors : sequence of colours, optional
        One per body after the reference (default: the matplotlib cycle).
    title : str, optional
        Defaults to ``"Projected Newton polygons"``.
    legend : bool

    Returns
    -------
    dict
        ``"polygons"``: the artists of the projected hulls, in order; ``"parts"``: those of the zonotopes
        (empty unless ``zonotopes``); ``"projections"``: the :class:`~tropical.metrics.ProjectedPolygon`
        objects (with the common ``basis``).
    """
    from matplotlib.patches import Polygon as PolygonPatch

    from tropical.metrics.projection import projected_polygons

    projections = projected_polygons(bodies, basis=basis, classes=classes)
    ax = _axes(ax)
    labels = list(labels) if labels is not None else ["reference"] + [str(k) for k in range(1, len(bodies))]
    if len(labels) != len(projections):
        raise ValueError(f"labels has {len(labels)} entries for {len(projections)} bodies")
    cycle = colors or [f"C{k % 10}" for k in range(len(projections))]
    artists = {"polygons": [], "parts": [], "projections": projections}
    for k, (projection, label) in enumerate(zip(projections, labels, strict=True)):
        reference = k == 0
        color = "0.3" if reference else cycle[(k - 1) % len(cycle)]
        patch = PolygonPatch(
            projection.hull, closed=True, facecolor="0.85" if reference else "none", edgecolor=color,
            lw=1.0 if reference else 1.5, label=label, zorder=1 if reference else 3,
        )  # fmt: skip
        artists["polygons"].append(ax.add_patch(patch))
        if zonotopes:
            for part, style in zip(projection.parts, ("--", ":"), strict=False):
                closed = np.vstack([part, part[:1]])
                (line,) = ax.plot(closed[:, 0], closed[:, 1], ls=style, lw=0.8, color=color, zorder=2)
                artists["parts"].append(line)
    ax.set_aspect("equal", adjustable="datalim")
    ax.autoscale_view()
    ax.set_xlabel("principal direction 1" if basis is None else "basis row 1")
    ax.set_ylabel("principal direction 2" if basis is None else "basis row 2")
    ax.set_title(title if title is not None else "Projected Newton polygons")
    if legend:
        ax.legend(loc="best", fontsize="x-small")
    return artists


def projected_newton_polygon_grid(
    reference,
    models,
    axes=None,
    *,
    row_labels=None,
    column_labels=None,
    classes=(0, 1),
    basis=None,
    title: str | None = None,
):
    """Projected Newton polygons of tickets in a grid (e.g. initialisations x sparsities), any input size.

    Every panel shows the reference's projected decision polytope (grey) and one model's (outlined), all on
    one plane -- by default the reference's principal plane (:func:`tropical.metrics.principal_plane`) -- and
    with shared axis limits, so that shrinking and reshaping under pruning are comparable across panels.

    Parameters
    ----------
    reference : torch.nn.Module, Zonotope, ZonotopeHull, Polytope or array_like
        Usually the dense network.
    models : sequence of sequences (or a flat sequence) of models, None for an empty panel
    axes : 2-D array of matplotlib Axes, optional
        A new figure when omitted.
    row_labels, column_labels : sequence of str, optional
    classes : (int, int)
    basis : array_like, shape (2, d), optional
    title : str, optional
        Defaults to ``"Projected Newton polygons (reference in grey)"``.

    Returns
    -------
    dict
        ``"figure"``, ``"axes"`` (2-D ndarray of Axes) and ``"panels"`` (``{(row, column): dict}``, the
        returns of :func:`projected_newton_polygons`). ``figure, axes = projected_newton_polygon_grid(...)``,
        the former return, still works with a DeprecationWarning.
    """
    from tropical.metrics.projection import principal_plane

    models, columns, figure, axes = _grid(models, axes, True)
    plane = principal_plane(reference, classes=classes) if basis is None else basis
    panels = {}
    for r, c, ax, model in _panels(models, columns, axes):
        panels[r, c] = projected_newton_polygons(
            [reference, model], ax, labels=["reference", "model"], basis=plane, classes=classes, title="",
            legend=False,
        )  # fmt: skip
        ax.set_xlabel("")
        ax.set_ylabel("")
        if r == 0 and column_labels is not None and c < len(column_labels):
            ax.set_title(str(column_labels[c]), fontsize="small")
        if c == 0 and row_labels is not None and r < len(row_labels):
            ax.set_ylabel(str(row_labels[r]), fontsize="small")
    for ax in axes.ravel():
        ax.set_aspect("equal", adjustable="box")
    fitted_suptitle(figure, title if title is not None else "Projected Newton polygons (reference in grey)")
    figure.supxlabel(
        "principal direction 1 of the reference" if basis is None else "basis row 1", fontsize="small"
    )
    figure.supylabel(
        "principal direction 2 of the reference" if basis is None else "basis row 2", fontsize="small"
    )
    return _GridArtists(figure=figure, axes=axes, panels=panels)
