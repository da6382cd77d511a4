"""Tropical curves: the hypersurface of a max-plus polynomial in two variables, exactly.

The tropical hypersurface ``T(f)`` is the set where the maximum of ``f(x) = max_i (c_i + <a_i, x>)`` is
attained at least twice (docs/math.md §1). In two variables it is a polyhedral curve, dual to the subdivision
of the Newton polygon induced by the coefficients: every cell of the subdivision is a point of the curve
(where the cell's monomials tie), every interior edge shared by two cells is a bounded segment between
their points, every edge on the boundary of the Newton polygon is a ray leaving its cell's point along the
edge's outward normal, and a flat (one-dimensional) Newton polygon gives parallel lines.

Which monomials tie and which cells are distinct is decided as written in ``docs/tolerances.md`` (by
:mod:`tropical.hull`): the curve's vertices and pieces come from the kept monomials only.

Reference: Maclagan & Sturmfels, *Introduction to Tropical Geometry*, AMS 2015, Prop. 3.1.6.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tropical._validation import box, positional_deprecated
from tropical.hull import RELATIVE_TOLERANCE, affine_frame, unique_rows, upper_faces

__all__ = ["TropicalCurve", "clip_to_box", "curve_from_cell_edges", "tropical_curve"]


@dataclass(frozen=True)
class TropicalCurve:
    """Pieces of a tropical curve clipped to a box.

    Attributes
    ----------
    segments : ndarray, shape (s, 2, 2)
        Clipped pieces, ``segments[k] = [start, end]``.
    monomials : ndarray of int, shape (s, 2)
        For each piece, the two monomials (indices into the polynomial's ``exponents``) that tie on it and
        are maximal there.
    kinds : ndarray of str, shape (s,)
        ``"segment"`` (bounded piece), ``"ray"`` or ``"line"``, before clipping.
    vertices : ndarray, shape (v, 2)
        Points where three or more monomials tie (one per two-dimensional cell of the dual subdivision),
        not clipped.
    bounds : tuple of float
        ``(xmin, xmax, ymin, ymax)``.
    """

    segments: np.ndarray
    monomials: np.ndarray
    kinds: np.ndarray
    vertices: np.ndarray
    bounds: tuple

    def __len__(self) -> int:
        return len(self.segments)

    @property
    def length(self) -> float:
        """Total length of the clipped curve."""
        return float(np.linalg.norm(self.segments[:, 1] - self.segments[:, 0], axis=1).sum())

    def select(self, keep: np.ndarray) -> TropicalCurve:
        """The pieces where the boolean mask ``keep`` (shape (s,)) is true."""
        keep = np.asarray(keep, dtype=bool)
        return TropicalCurve(
            self.segments[keep], self.monomials[keep], self.kinds[keep], self.vertices, self.bounds
        )


def clip_to_box(starts, directions, t_low, t_high, *legacy, bounds=None) -> tuple[np.ndarray, np.ndarray]:
    """Clip parametric pieces ``start + t * direction``, ``t in [t_low, t_high]``, to a box.

    Liang-Barsky clipping, vectorised over pieces; ``t_low``/``t_high`` may be infinite (rays, lines).

    Parameters
    ----------
    starts, directions : ndarray, shape (s, 2)
    t_low, t_high : ndarray, shape (s,)
    bounds : (xmin, xmax, ymin, ymax)
        Keyword-only (positionally: deprecated).

    Returns
    -------
    segments : ndarray, shape (s', 2, 2)
        The clipped pieces that keep a positive length.
    kept : ndarray of int, shape (s',)
        Index of each kept piece in the input.
    """
    bounds = positional_deprecated("clip_to_box", ("bounds",), legacy).get("bounds", bounds)
    xmin, xmax, ymin, ymax = box(bounds)
    starts = np.asarray(starts, dtype=float).reshape(-1, 2)
    directions = np.asarray(directions, dtype=float).reshape(-1, 2)
    low = np.array(t_low, dtype=float, copy=True).reshape(-1)
    high = np.array(t_high, dtype=float, copy=True).reshape(-1)
    inside = np.ones(len(starts), dtype=bool)
    for axis, lo, hi in ((0, xmin, xmax), (1, ymin, ymax)):
        d = directions[:, axis]
        p = starts[:, axis]
        moving = d != 0
        inside &= moving | ((p >= lo) & (p <= hi))
        with np.errstate(divide="ignore", invalid="ignore"):
            t1 = (lo - p) / d
            t2 = (hi - p) / d
        enter = np.where(moving, np.minimum(t1, t2), -np.inf)
        leave = np.where(moving, np.maximum(t1, t2), np.inf)
        low = np.maximum(low, enter)
        high = np.minimum(high, leave)
    scale = np.linalg.norm(directions, axis=1)
    extent = max(xmax - xmin, ymax - ymin)
    kept = np.flatnonzero(inside & ((high - low) * scale > 1e-12 * extent))
    segments = np.stack(
        [
            starts[kept] + low[kept, None] * directions[kept],
            starts[kept] + high[kept, None] * directions[kept],
        ],
        axis=1,
    )
    return segments, kept


def tropical_curve(polynomial, *legacy, bounds=None, tolerance: float = RELATIVE_TOLERANCE) -> TropicalCurve:
    """The tropical curve ``T(f)`` of a polynomial in two variables, clipped to ``bounds``.

    Parameters
    ----------
    polynomial : TropicalPolynomial
        In two variables; it need not be reduced (labels index its own monomials).
    bounds : (xmin, xmax, ymin, ymax)
        Keyword-only (positionally: deprecated).

    Returns
    -------
    TropicalCurve
        Exact pieces: their end points are intersections of tie lines (or box sides), computed from the
        supporting hyperplanes of the upper faces of the lifted points.
    """
    if polynomial.dimension != 2:
        raise ValueError(f"the tropical curve needs a polynomial in 2 variables, got {polynomial.dimension}")
    bounds = box(positional_deprecated("tropical_curve", ("bounds",), legacy).get("bounds", bounds))
    exponents = polynomial.exponents
    representatives, _ = unique_rows(exponents, tolerance)
    frame = affine_frame(exponents[representatives], tolerance)
    faces = upper_faces(polynomial.lifted, tolerance)
    empty = TropicalCurve(
        np.zeros((0, 2, 2)), np.zeros((0, 2), int), np.zeros(0, str), np.zeros((0, 2)), bounds
    )
    if frame.dimension == 0:
        return empty
    if frame.dimension == 1:  # parallel lines, one per edge of the upper chain
        starts = np.array([face.normal for face in faces])
        along = np.array([-frame.basis[0, 1], frame.basis[0, 0]])
        pairs = np.array([face.vertices for face in faces])
        n = len(faces)
        segments, kept = clip_to_box(
            starts, np.tile(along, (n, 1)), np.full(n, -np.inf), np.full(n, np.inf), bounds=bounds
        )
        return TropicalCurve(segments, pairs[kept], np.full(len(kept), "line"), np.zeros((0, 2)), bounds)

    tie_points = np.array([face.normal for face in faces])
    first = np.concatenate([face.vertices for face in faces])  # edges of every cell, counter-clockwise
    second = np.concatenate([np.roll(face.vertices, -1) for face in faces])
    owner = np.repeat(np.arange(len(faces)), [len(face.vertices) for face in faces])
    return curve_from_cell_edges(
        exponents, first, second, owner, tie_points, bounds=bounds, vertices=tie_points
    )


def curve_from_cell_edges(
    exponents, first, second, owner, tie_points, *legacy, bounds=None, vertices
) -> TropicalCurve:
    """Assemble a tropical curve from the edges of the cells of a dual subdivision in the plane.

    Every edge ``first[k] -> second[k]`` (counter-clockwise around cell ``owner[k]``) that two cells share
    becomes the segment between their tie points; an edge of a single cell becomes a ray from its tie point
    along the edge's outward normal. Passing a subset of the edges keeps only their pieces (e.g. the mixed
    ties of a decision boundary).

    Parameters
    ----------
    exponents : ndarray, shape (m, 2)
    first, second, owner : ndarray of int, shape (e,)
    tie_points : ndarray, shape (cells, 2)
    bounds : (xmin, xmax, ymin, ymax)
        Keyword-only (positionally: deprecated).
    vertices : ndarray, shape (v, 2)
        Stored as :attr:`TropicalCurve.vertices`.
    """
    bounds = box(positional_deprecated("curve_from_cell_edges", ("bounds",), legacy).get("bounds", bounds))
    key = np.sort(np.column_stack([first, second]), axis=1).astype(int)
    if len(key) == 0:
        return TropicalCurve(np.zeros((0, 2, 2)), np.zeros((0, 2), int), np.zeros(0, str), vertices, bounds)
    _, edge, counts = np.unique(key, axis=0, return_inverse=True, return_counts=True)
    edge = edge.reshape(-1)
    shared = counts[edge] == 2

    # bounded pieces: one per interior edge, between the tie points of its two cells
    order = np.argsort(edge[shared], kind="stable")
    interior_owner = owner[shared][order].reshape(-1, 2)
    seg_start = tie_points[interior_owner[:, 0]]
    seg_direction = tie_points[interior_owner[:, 1]] - seg_start
    # rays: one per boundary edge a -> b (counter-clockwise), along the outward normal of the edge
    delta = exponents[second[~shared]] - exponents[first[~shared]]
    ray_direction = np.column_stack([delta[:, 1], -delta[:, 0]])
    ray_start = tie_points[owner[~shared]]

    n_seg, n_ray = len(seg_start), len(ray_start)
    segments, kept = clip_to_box(
        np.vstack([seg_start, ray_start]),
        np.vstack([seg_direction, ray_direction]),
        np.zeros(n_seg + n_ray),
        np.concatenate([np.ones(n_seg), np.full(n_ray, np.inf)]),
        bounds=bounds,
    )
    pairs = np.vstack([key[shared][order][::2], key[~shared]])
    kinds = np.array(["segment"] * n_seg + ["ray"] * n_ray)
    return TropicalCurve(segments, pairs[kept], kinds[kept], vertices, bounds)
