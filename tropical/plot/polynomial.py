"""Figures of single tropical polynomials: Newton polygons with their dual subdivision, tropical curves.

matplotlib is imported inside the functions; every function takes ``ax=None`` (a new figure) and returns
the artists it drew; none calls ``plt.show()``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["newton_polygon", "tropical_curve"]


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


def tropical_curve(
    polynomial,
    bounds,
    ax=None,
    *,
    color: str = "tab:blue",
    keep=None,
    label: str | None = None,
    linewidth: float = 1.2,
    title: str | None = None,
):
    """The tropical curve (non-smooth locus) of a polynomial in two variables, clipped to ``bounds``.

    Parameters
    ----------
    polynomial : TropicalPolynomial
    bounds : (xmin, xmax, ymin, ymax)
        Input-space box of the figure.
    ax : matplotlib Axes, optional
    keep : callable, optional
        ``keep(monomials) -> bool mask`` over the ``(s, 2)`` array of tying monomial pairs, to draw only some
        pieces (e.g. the mixed ties that form a decision boundary).
    label, title : str, optional

    Returns
    -------
    matplotlib.collections.LineCollection
    """
    from matplotlib.collections import LineCollection

    ax = _axes(ax)
    curve = polynomial.hypersurface(bounds)
    if keep is not None:
        curve = curve.select(keep(curve.monomials))
    lines = ax.add_collection(LineCollection(curve.segments, colors=color, linewidths=linewidth, label=label))
    xmin, xmax, ymin, ymax = bounds
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_aspect("equal")
    if title:
        ax.set_title(title)
    return lines
