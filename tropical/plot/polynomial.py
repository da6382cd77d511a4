"""Figures of single tropical polynomials: Newton polygons with their dual subdivision, tropical curves.

matplotlib is imported inside the functions; every function takes ``ax=None`` (a new figure) as its second
parameter and returns a dict of the artists it drew; none calls ``plt.show()``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["curve", "newton_polygon", "tropical_curve"]


def _axes(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(4.5, 4.5))
    return ax


def newton_polygon(
    polynomial,
    ax=None,
    *,
    color: str = "tab:blue",
    subdivision: bool = True,
    vertices: bool = True,
    label: str | None = None,
    title: str | None = None,
):
    """Newton polygon of a polynomial in two variables, with the dual subdivision induced by its coefficients.

    Parameters
    ----------
    polynomial : TropicalPolynomial
        In two variables (exponent space is the plane of the figure).
    ax : matplotlib Axes, optional
    color : str
        Fill (light) and edge colour.
    subdivision : bool
        Draw the edges of the cells of the dual subdivision (projected upper faces of the lifted points).
    vertices : bool
        Mark the monomials that are vertices of the subdivision (the non-redundant ones).
    label : str, optional
        Legend entry of the polygon.
    title : str, optional

    Returns
    -------
    dict
        ``{"polygon": Polygon, "edges": LineCollection or None, "vertices": PathCollection or None}``.
    """
    from matplotlib.collections import LineCollection
    from matplotlib.patches import Polygon as PolygonPatch

    from tropical.polynomial import TropicalPolynomial

    if not isinstance(polynomial, TropicalPolynomial):
        raise TypeError(
            f"newton_polygon draws a TropicalPolynomial, got {type(polynomial).__name__}; for a network use "
            "tropical.plot.decision_polygon(model) (its decision polytope) or newton_polygon of a polynomial "
            "of tropical.from_torch(model) (e.g. from_torch(model)[0].numerator)"
        )
    if polynomial.dimension != 2:
        raise ValueError(f"newton_polygon needs a polynomial in 2 variables, got {polynomial.dimension}")
    ax = _axes(ax)
    newton = polynomial.newton_polytope()
    artists = {"edges": None, "vertices": None}
    if newton.dimension == 2:
        patch = PolygonPatch(
            newton.vertices, closed=True, facecolor=color, alpha=0.15, edgecolor=color, lw=1.5
        )
        patch.set_label(label)
        artists["polygon"] = ax.add_patch(patch)
    else:
        (artists["polygon"],) = ax.plot(*newton.vertices.T, color=color, lw=1.5, label=label)
    cells = polynomial.dual_subdivision()
    if subdivision:
        exponents = polynomial.exponents
        edges = [exponents[np.r_[cell, cell[:1]]] for cell in cells if len(cell) >= 2]
        artists["edges"] = ax.add_collection(LineCollection(edges, colors=color, linewidths=0.6, alpha=0.8))
    if vertices:
        used = np.unique(np.concatenate(cells))
        artists["vertices"] = ax.scatter(*polynomial.exponents[used].T, s=6, color=color, zorder=3)
    ax.set_xlabel("exponent of $x_1$")
    ax.set_ylabel("exponent of $x_2$")
    ax.set_aspect("equal", adjustable="datalim")
    ax.autoscale_view()
    if title:
        ax.set_title(title)
    return artists


def curve(
    curve,
    ax=None,
    *,
    bounds=None,
    color: str = "tab:blue",
    keep=None,
    label: str | None = None,
    linewidth: float = 1.2,
    title: str | None = None,
):
    """A tropical curve in the plane: the non-smooth locus of a polynomial in two variables.

    Parameters
    ----------
    curve : TropicalCurve, TropicalPolynomial or DecisionSubdivision
        A computed :class:`~tropical.curve.TropicalCurve` (drawn as it is, on its own ``bounds``), or an
        object with a ``hypersurface(bounds=)`` method: a polynomial in two variables (its whole curve) or a
        :class:`~tropical.decision.DecisionSubdivision` (the mixed part: the decision boundary).
    ax : matplotlib Axes, optional
        A new figure when omitted.
    bounds : (xmin, xmax, ymin, ymax), optional
        Input-space box the curve is clipped to; required unless ``curve`` is a TropicalCurve (whose
        ``bounds`` it must then equal, if given).
    color : str
    keep : callable, optional
        ``keep(monomials) -> bool mask`` over the ``(s, 2)`` array of tying monomial pairs, to draw only some
        pieces (e.g. the mixed ties that form a decision boundary).
    label : str, optional
        Legend entry.
    linewidth : float
    title : str, optional

    Returns
    -------
    dict
        ``{"curve": LineCollection, "result": TropicalCurve}`` (the pieces drawn, after ``keep``).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from tropical import TropicalPolynomial
    >>> p = TropicalPolynomial([[0, 0], [1, 0], [0, 1]], [0.0, 0.0, 0.0])  # max(0, x1, x2)
    >>> drawn = curve(p, bounds=(-1, 1, -1, 1))
    >>> len(drawn["result"])  # three rays from the origin
    3
    """
    from matplotlib.collections import LineCollection

    from tropical._validation import box
    from tropical.curve import TropicalCurve

    if isinstance(curve, TropicalCurve):
        if bounds is not None and box(bounds) != tuple(curve.bounds):
            raise ValueError(
                f"the curve was clipped to {curve.bounds}, not to bounds={bounds}; omit bounds= or compute "
                "the curve on the box you want"
            )
        pieces = curve
    elif hasattr(curve, "hypersurface"):
        if bounds is None:
            raise ValueError(
                f"bounds=(xmin, xmax, ymin, ymax) is needed to draw the curve of a {type(curve).__name__}"
            )
        pieces = curve.hypersurface(bounds=bounds)
    else:
        raise TypeError(
            "curve must be a TropicalCurve, a TropicalPolynomial or a DecisionSubdivision, "
            f"got {type(curve).__name__}"
        )
    if keep is not None:
        pieces = pieces.select(keep(pieces.monomials))
    ax = _axes(ax)
    lines = ax.add_collection(
        LineCollection(pieces.segments, colors=color, linewidths=linewidth, label=label)
    )
    xmin, xmax, ymin, ymax = pieces.bounds
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_aspect("equal")
    if title:
        ax.set_title(title)
    return {"curve": lines, "result": pieces}


def tropical_curve(polynomial, bounds, ax=None, **options):
    """Deprecated: ``curve(polynomial, ax, bounds=bounds, ...)["curve"]`` (the same LineCollection).

    ``tropical.plot.tropical_curve`` drew what :func:`tropical.curve.tropical_curve` computes; the figure is
    now :func:`curve`, which also takes a computed curve and returns a dict like every plot function.
    """
    import warnings

    warnings.warn(
        "tropical.plot.tropical_curve(p, bounds, ax) is renamed tropical.plot.curve(p, ax, bounds=bounds), "
        "which returns a dict ({'curve': LineCollection, 'result': TropicalCurve})",
        DeprecationWarning,
        stacklevel=2,
    )
    return curve(polynomial, ax, bounds=bounds, **options)["curve"]
