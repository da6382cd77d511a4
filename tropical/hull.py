"""Convex and upper hulls on top of ``scipy.spatial`` (Qhull), with the degenerate cases handled.

Qhull needs full-dimensional input with at least ``d + 1`` affinely independent points. Everything here
first finds the affine hull of the points (by an SVD), works in coordinates of that affine subspace, and
treats dimensions 0 and 1 without Qhull. Coordinates are rescaled before Qhull so that badly scaled
inputs (exponents of order 1, coefficients of order 10^4) do not lose precision.

The tolerance contract is written once, in ``docs/tolerances.md``, and decided here: points *coincide*
within ``RELATIVE_TOLERANCE`` times the scale of the set (:func:`unique_rows`), a direction is *flat* when
the set's spread along it is below that (:func:`affine_frame`), a point is a *vertex* when it is farther
than that from the hull of the others (:func:`convex_hull_vertices`), and a monomial is kept when it beats
every other one by more than the tolerance relative to the size of the terms somewhere
(:func:`upper_hull_vertices`). Each point gets one decision, certified by a witness from Qhull's facets or
made by a linear program, so reductions are idempotent and do not depend on Qhull's triangulation. No
``QhullError`` escapes this module.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import ConvexHull, QhullError, cKDTree

from tropical._validation import corner_mask
from tropical.errors import DegenerateGeometryError

__all__ = [
    "RELATIVE_TOLERANCE",
    "AffineFrame",
    "UpperFace",
    "affine_frame",
    "convex_hull_vertices",
    "normalise",
    "unique_rows",
    "upper_faces",
    "upper_hull_vertices",
    "upper_simplices",
    "upper_vertices_with_witnesses",
]

RELATIVE_TOLERANCE = 1e-9
#: Beyond this dimension Qhull's output grows too fast; redundancy is decided by linear programs.
MAX_QHULL_DIMENSION = 7
#: A facet is upper when the last component of its unit normal (in rescaled coordinates) exceeds this.
UPPER_NORMAL_THRESHOLD = 1e-12
#: Upper simplices whose exponent volume is below this (relative, rescaled coordinates) are flat to rounding.
FLAT_SIMPLEX_TOLERANCE = 1e-13


@dataclass(frozen=True)
class AffineFrame:
    """Orthonormal frame of the affine hull of a point set: ``x = origin + coordinates @ basis``.

    Attributes
    ----------
    origin : ndarray, shape (d,)
    basis : ndarray, shape (k, d)
        Orthonormal rows spanning the directions of the affine hull; ``k`` is its dimension.
    """

    origin: np.ndarray
    basis: np.ndarray

    @property
    def dimension(self) -> int:
        return self.basis.shape[0]

    def coordinates(self, points: np.ndarray) -> np.ndarray:
        """Coordinates ``(n, k)`` of points (assumed in the affine hull) in this frame."""
        return (np.asarray(points, dtype=float) - self.origin) @ self.basis.T

    def embed(self, coordinates: np.ndarray) -> np.ndarray:
        """Points ``(n, d)`` with the given frame coordinates ``(n, k)``."""
        return self.origin + np.asarray(coordinates, dtype=float) @ self.basis


def _scale(points: np.ndarray) -> float:
    extent = np.ptp(points, axis=0).max(initial=0.0) if len(points) else 0.0
    return max(float(extent), float(np.abs(points).max(initial=0.0)) * 1e-3, 1e-300)


def affine_frame(points: np.ndarray, tolerance: float = RELATIVE_TOLERANCE) -> AffineFrame:
    """Affine hull of a point set.

    Parameters
    ----------
    points : array_like, shape (n, d)
    tolerance : float
        Singular values below ``tolerance * diameter`` are treated as zero.

    Returns
    -------
    AffineFrame
        ``origin`` is the mean of the points; ``basis`` has one row per non-degenerate direction.
    """
    points = np.asarray(points, dtype=float)
    origin = points.mean(axis=0)
    centred = points - origin
    if len(points) < 2 or not np.any(centred):
        return AffineFrame(origin, np.zeros((0, points.shape[1])))
    _, singular, vt = np.linalg.svd(centred, full_matrices=False)
    rank = int(np.count_nonzero(singular > tolerance * _scale(points) * np.sqrt(len(points))))
    return AffineFrame(origin, vt[:rank])


def unique_rows(points: np.ndarray, tolerance: float = RELATIVE_TOLERANCE) -> tuple[np.ndarray, np.ndarray]:
    """Group rows that coincide up to ``tolerance`` times the extent of the set (docs/tolerances.md).

    Two rows coincide when they differ by at most ``tolerance * scale`` in every coordinate; groups are the
    connected components of that relation (single linkage), so two rows of different groups are always
    farther apart than the tolerance, wherever they lie (a grid of buckets would split close pairs that
    straddle a bucket boundary).

    Returns
    -------
    representatives : ndarray of int, shape (u,)
        Index of the first row of each group.
    inverse : ndarray of int, shape (n,)
        Group of every row.
    """
    points = np.asarray(points, dtype=float)
    if len(points) == 0:
        return np.zeros(0, dtype=int), np.zeros(0, dtype=int)
    if points.shape[1] == 0:  # rows of no coordinates all coincide
        return np.zeros(1, dtype=int), np.zeros(len(points), dtype=int)
    order = np.lexsort(points.T[::-1])  # the rows in np.unique(axis=0)'s order, several times faster
    ordered = points[order]
    change = np.ones(len(points), dtype=bool)
    change[1:] = np.any(ordered[1:] != ordered[:-1], axis=1)
    distinct = ordered[change]
    inverse = np.empty(len(points), dtype=np.int64)
    inverse[order] = np.cumsum(change) - 1
    pairs = _close_pairs(distinct, tolerance * _scale(points))
    if len(pairs):
        graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(len(distinct),) * 2)
        _, labels = connected_components(graph, directed=False)
    else:  # every distinct row is a group of its own (the common case: skips the sparse graph)
        labels = np.arange(len(distinct))
    groups = labels[inverse.reshape(-1)]
    representatives = np.full(labels.max() + 1, len(points))
    np.minimum.at(representatives, groups, np.arange(len(points)))
    return representatives, groups


#: Largest number of pairs :func:`_close_pairs` checks per row before it asks a k-d tree instead.
_MAX_WINDOW_PAIRS = 4


def _close_pairs(ordered: np.ndarray, radius: float) -> np.ndarray:
    """Pairs ``(i, j)``, ``i < j``, of rows within ``radius`` of each other in every coordinate, shape
    (p, 2): the pairs of ``cKDTree(ordered).query_pairs(radius, p=np.inf)``.

    ``ordered`` is sorted by its first column (as :func:`unique_rows` sorts it): the rows within
    ``radius`` of row ``i`` in that column follow it, so the pairs to check are a window after every row
    (usually empty), found by one ``searchsorted`` (twice as wide, so that the rounding of
    ``first + radius`` loses no pair; the test itself is the tree's). Sets with many rows of nearly equal
    first coordinates (lattices) would make the windows quadratic; they go to the k-d tree.
    """
    first = ordered[:, 0]
    ends = np.searchsorted(first, first + 2 * radius, side="right")
    counts = ends - np.arange(len(first)) - 1
    if counts.sum() > _MAX_WINDOW_PAIRS * len(first):
        return cKDTree(ordered).query_pairs(radius, p=np.inf, output_type="ndarray")
    left = np.repeat(np.arange(len(first)), counts)
    right = left + 1 + (np.arange(len(left)) - np.repeat(np.cumsum(counts) - counts, counts))
    close = np.all(np.abs(ordered[right] - ordered[left]) <= radius, axis=1)
    return np.column_stack([left[close], right[close]])


def _qhull(coordinates: np.ndarray, *, joggle: bool = False) -> ConvexHull:
    """Qhull on rescaled coordinates; equations are returned in the rescaled coordinates.

    With ``joggle`` the input is perturbed by Qhull's joggle (about 1e-11 of the extent, far inside the
    tolerance): the facets are then simplicial and Qhull cannot meet a topology error. The callers merge
    facets and decide vertices with the tolerance, so the answer is the same.
    """
    if joggle:
        return ConvexHull(coordinates, qhull_options="QJ")
    return ConvexHull(coordinates, qhull_options="Qt Q12" if coordinates.shape[1] > 4 else "Qt")


def normalise(coordinates: np.ndarray, *, lifted: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Centre and rescale points for Qhull; returns the scaled points and the per-coordinate scales.

    The scaling is isotropic, so that thin sets are not stretched (stretching magnifies rounding and can
    make a vertical facet look upper); with ``lifted=True`` the last coordinate (the coefficient) gets its
    own scale, as exponents and coefficients have unrelated units.
    """
    spread = np.ptp(coordinates, axis=0)
    if lifted:
        spread[:-1] = spread[:-1].max(initial=0.0)
    else:
        spread[:] = spread.max(initial=0.0)
    spread[spread == 0] = 1.0
    return (coordinates - coordinates.mean(axis=0)) / spread, spread


def upper_simplices(
    hull: ConvexHull, exponents: np.ndarray, tolerance: float = RELATIVE_TOLERANCE
) -> np.ndarray:
    """Which facets of a Qhull hull of lifted points ``(y, c)`` are upper facets, shape (facets,).

    A facet is upper when the last component of its normal is positive (beyond rounding) *and* its
    exponents ``y`` span a full-dimensional simplex. The second test rejects vertical facets whose normal
    passed the first by rounding (thin Newton polygons are stretched by the rescaling before Qhull) and
    the zero-volume simplices of Qhull's triangulation. It asks whether the simplex's height over its base
    (its volume over the product of its longest edges but one) is at the rounding level of the whole set,
    so that small but genuine cells are kept (a volume compared with ``extent**k`` dropped cells of
    relative size 4e-4 in four variables).

    Parameters
    ----------
    hull : scipy.spatial.ConvexHull
        Of points whose last coordinate is the coefficient.
    exponents : ndarray, shape (n, k)
        The first ``k`` coordinates of the same points (any positive per-coordinate scaling).
    """
    upper = hull.equations[:, -2] > UPPER_NORMAL_THRESHOLD
    corners = exponents[hull.simplices[upper]]  # (f, k + 1, k)
    edges = corners[:, 1:] - corners[:, :1]
    extent = max(float(np.ptp(exponents, axis=0).max(initial=0.0)), 1e-300)
    # only simplices flat to rounding are rejected: genuine cells of the dual subdivision can be very thin
    # or very small; the base is bounded by the product of all edges but the shortest
    base = np.prod(np.sort(np.linalg.norm(edges, axis=2), axis=1)[:, 1:], axis=1)
    upper[np.flatnonzero(upper)] = np.abs(np.linalg.det(edges)) > FLAT_SIMPLEX_TOLERANCE * extent * base
    return upper


#: HiGHS's default feasibility tolerances (1e-7) are coarser than RELATIVE_TOLERANCE; these are its finest.
_LP_OPTIONS = {"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10}
#: Candidates per block when margins are evaluated (a block is at most this many values).
_BLOCK_VALUES = 4_000_000


def _best_rival(values: np.ndarray, candidates: np.ndarray, rivals: np.ndarray) -> np.ndarray:
    """Row-wise maximum of ``values`` (candidates x rivals, overwritten) over the rivals other than the
    candidate (``rivals`` are distinct)."""
    if len(rivals):
        order = np.argsort(rivals, kind="stable")
        column = order[np.minimum(np.searchsorted(rivals[order], candidates), len(rivals) - 1)]
        row = np.flatnonzero(rivals[column] == candidates)
        values[row, column[row]] = -np.inf
    return values.max(axis=1, initial=-np.inf)


def _distance_to_others(points: np.ndarray, i: int, rivals: np.ndarray) -> float:
    """L-infinity distance from ``points[i]`` to the convex hull of ``points[rivals]`` (one LP)."""
    others = points[rivals[rivals != i]]
    m, k = others.shape
    if m == 0:
        return np.inf
    a_ub = np.block([[others.T, -np.ones((k, 1))], [-others.T, -np.ones((k, 1))]])
    b_ub = np.concatenate([points[i], -points[i]])
    a_eq = np.append(np.ones(m), 0.0)[None]
    objective = np.append(np.zeros(m), 1.0)
    result = linprog(
        objective,
        A_ub=a_ub,
        b_ub=b_ub,
        A_eq=a_eq,
        b_eq=[1.0],
        bounds=(0, None),
        method="highs",
        options=_LP_OPTIONS,
    )
    return float(result.fun) if result.status == 0 else np.inf


def _strict_vertices(
    points: np.ndarray, candidates: np.ndarray, directions: np.ndarray, rivals: np.ndarray, tolerance: float
) -> np.ndarray:
    """The candidates farther than ``tolerance`` (L-infinity) from the convex hull of all other points.

    This is the module's one definition of a vertex (docs/tolerances.md), decided once per point: a
    candidate is certified by its witness direction ``u`` when ``<u, v> - max_p <u, p>`` exceeds
    ``tolerance * ||u||_1`` (a lower bound of the distance); the others are decided by a linear program.

    Parameters
    ----------
    points : ndarray, shape (n, k)
        Centred and divided by the set's scale (so that ``tolerance`` is relative).
    candidates : ndarray of int, shape (c,)
        Points that may be vertices (every true vertex among them).
    directions : ndarray, shape (c, k)
        A witness direction per candidate (e.g. the mean of the normals of its facets).
    rivals : ndarray of int
        Points whose hull is that of all points (every true vertex among them).

    Returns
    -------
    ndarray of int, the kept candidates in their given order.
    """
    margins = np.empty(len(candidates))
    block = max(1, _BLOCK_VALUES // max(len(rivals), 1))
    for start in range(0, len(candidates), block):
        chosen, u = candidates[start : start + block], directions[start : start + block]
        best = _best_rival(u @ points[rivals].T, chosen, rivals)
        norms = np.maximum(np.abs(u).sum(axis=1), 1e-300)
        margins[start : start + block] = (np.einsum("ck,ck->c", u, points[chosen]) - best) / norms
    keep = margins > tolerance
    for j in np.flatnonzero(~keep):
        keep[j] = _distance_to_others(points, candidates[j], rivals) > tolerance
    return candidates[keep]


def _winning_margin(lifted: np.ndarray, i: int, rivals: np.ndarray, tolerance: float) -> float:
    """``max_x min_p (c_i - c_p + <a_i - a_p, x>) - tolerance * ||x||_1`` over the rivals ``p != i`` (an LP).

    ``lifted`` is scaled (exponents and coefficients by their own scales); the margin is capped at 1.
    """
    others = lifted[rivals[rivals != i]]
    m, k = len(others), lifted.shape[1] - 1
    if m == 0:
        return 1.0
    # variables: x (k), z >= |x| (k), t; maximise t
    a_ub = np.block(
        [
            [others[:, :-1] - lifted[i, :-1], np.full((m, k), tolerance), np.ones((m, 1))],
            [np.eye(k), -np.eye(k), np.zeros((k, 1))],
            [-np.eye(k), -np.eye(k), np.zeros((k, 1))],
        ]
    )
    b_ub = np.concatenate([lifted[i, -1] - others[:, -1], np.zeros(2 * k)])
    objective = np.zeros(2 * k + 1)
    objective[-1] = -1.0
    bounds = [(None, None)] * k + [(0, None)] * k + [(None, 1.0)]
    result = linprog(objective, A_ub=a_ub, b_ub=b_ub, bounds=bounds, method="highs", options=_LP_OPTIONS)
    return -float(result.fun) if result.status == 0 else -np.inf


def _scaled_lifted(projected: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Lifted points with exponents and coefficients centred and divided by their own scales."""
    exponent_scale, coefficient_scale = _scale(projected[:, :-1]), _scale(projected[:, -1:])
    scaled = np.column_stack(
        [
            (projected[:, :-1] - projected[:, :-1].mean(axis=0)) / exponent_scale,
            (projected[:, -1] - projected[:, -1].mean()) / coefficient_scale,
        ]
    )
    return scaled, exponent_scale, coefficient_scale


def _strict_upper(
    projected: np.ndarray,
    candidates: np.ndarray,
    witnesses: np.ndarray | None,
    rivals: np.ndarray,
    tolerance: float,
    neighbours: tuple[np.ndarray, np.ndarray] | None = None,
    second_witnesses: np.ndarray | None = None,
) -> np.ndarray:
    """The candidates that win by more than the tolerance somewhere: the module's one definition of an
    upper vertex (docs/tolerances.md), decided once per monomial.

    Monomial ``i`` is kept iff for some ``x``::

        c_i + <a_i, x>  >  max_{p != i} (c_p + <a_p, x>) + tolerance * (s_c + s_a * ||x||_1)

    with ``s_a``, ``s_c`` the scales of the exponents and coefficients: it beats every other monomial by
    more than the rounding of terms of that size. A witness ``x`` per candidate (from Qhull's facets)
    certifies most candidates; the others are decided by a linear program. The scales only grow with the
    point set, so a monomial kept from a set is kept from any subset that contains it: the reduction is
    idempotent.

    Parameters
    ----------
    projected : ndarray, shape (n, k + 1)
        Lifted points ``(y, c)`` with distinct exponents ``y``.
    candidates : ndarray of int
        Every upper vertex is among them.
    witnesses : ndarray, shape (c, k), or None
        A point ``x`` (in the units of ``projected``) per candidate where it is expected to win.
    rivals : ndarray of int
        Every upper vertex is among them.
    neighbours : (ndarray of int, ndarray of int) or (ndarray of int, ndarray of int, ndarray of int)
        Pairs ``(k, p)``: candidate ``candidates[k]`` and a rival ``p`` of its own faces (see
        :func:`upper_vertices_with_witnesses`), or the faces themselves, ``(k, p, f)`` per entry (candidate
        position or -1, point, face; faces sorted), every entry of a face a rival of every candidate of it.
        When given, the witnesses are checked against these rivals only; the linear programs still use all
        ``rivals``.
    second_witnesses : ndarray, shape (c, k), optional
        Another point per candidate, tried (against the same rivals) for the candidates that the first
        witness leaves undecided, before their linear programs. Needs ``neighbours``.
    """
    scaled, exponent_scale, coefficient_scale = _scaled_lifted(projected)
    keep = np.zeros(len(candidates), dtype=bool)
    if witnesses is not None and neighbours is not None:
        x = witnesses * (exponent_scale / coefficient_scale)  # the same points in scaled units
        x[~np.isfinite(x)] = 0.0
        margins = _face_margins if len(neighbours) == 3 else _neighbour_margins
        keep = margins(scaled, candidates, x, *neighbours, tolerance) > tolerance
        if second_witnesses is not None and not keep.all():
            undecided = np.flatnonzero(~keep)
            x = second_witnesses[undecided] * (exponent_scale / coefficient_scale)
            x[~np.isfinite(x)] = 0.0
            position = np.full(len(candidates), -1)
            position[undecided] = np.arange(len(undecided))
            owner, rival = neighbours[:2]
            if len(neighbours) == 3:  # the faces with an undecided candidate
                face = neighbours[2]
                touched = np.zeros(face.max(initial=-1) + 1, dtype=bool)
                touched[face[(owner >= 0) & (position[owner] >= 0)]] = True
                entries = touched[face]
                subset = (np.where(owner[entries] >= 0, position[owner[entries]], -1), rival[entries])
                subset += (face[entries],)
            else:
                pairs = position[owner] >= 0
                subset = (position[owner[pairs]], rival[pairs])
            keep[undecided] = margins(scaled, candidates[undecided], x, *subset, tolerance) > tolerance
    elif witnesses is not None:
        x = witnesses * (exponent_scale / coefficient_scale)  # the same points in scaled units
        x[~np.isfinite(x)] = 0.0
        block = max(1, _BLOCK_VALUES // max(len(rivals), 1))
        for start in range(0, len(candidates), block):
            chosen, at = candidates[start : start + block], x[start : start + block]
            values = scaled[rivals, -1] + at @ scaled[rivals, :-1].T
            own = scaled[chosen, -1] + np.einsum("ck,ck->c", at, scaled[chosen, :-1])
            margin = own - _best_rival(values, chosen, rivals) - tolerance * np.abs(at).sum(axis=1)
            keep[start : start + block] = margin > tolerance
    for j in np.flatnonzero(~keep):
        keep[j] = _winning_margin(scaled, candidates[j], rivals, tolerance) > tolerance
    return candidates[keep]


def _neighbour_margins(
    scaled: np.ndarray,
    candidates: np.ndarray,
    x: np.ndarray,
    owner: np.ndarray,
    rival: np.ndarray,
    tolerance: float,
) -> np.ndarray:
    """The margin of every candidate at its witness over the rivals paired with it (``owner`` indexes
    the candidates, ``rival`` the points; pairs of a point with itself are ignored), as in
    :func:`_strict_upper`: ``own - best rival - tolerance * ||x||_1`` before the last comparison.

    Pairs of one candidate usually come in runs (all rivals of one face of it): each run is reduced at
    once (``maximum.reduceat``), and only the runs' maxima are scattered (``maximum.at`` is several times
    slower per element; 4-10-10-2's largest polynomial has 1.35 million pairs in 85,000 runs)."""
    values = scaled[rival, -1] + np.einsum("pk,pk->p", x[owner], scaled[rival, :-1])
    values[candidates[owner] == rival] = -np.inf
    best = np.full(len(candidates), -np.inf)
    if len(values):
        starts = np.flatnonzero(np.diff(owner, prepend=-1))
        np.maximum.at(best, owner[starts], np.maximum.reduceat(values, starts))
    own = scaled[candidates, -1] + np.einsum("ck,ck->c", x, scaled[candidates, :-1])
    return own - best - tolerance * np.abs(x).sum(axis=1)


def _face_margins(
    scaled: np.ndarray,
    candidates: np.ndarray,
    x: np.ndarray,
    slot: np.ndarray,
    rival: np.ndarray,
    face: np.ndarray,
    tolerance: float,
) -> np.ndarray:
    """:func:`_neighbour_margins` with the rivals given by faces: entry ``e`` is point ``rival[e]`` of face
    ``face[e]`` (sorted) and candidate ``slot[e]`` (-1 when it is none), and every point of a face is a
    rival of every candidate of it. The faces of one size are one batched product ``(f, s, k) @ (f, k, s)``
    (a loop over the few sizes, not over faces): the entries are gathered once each, not once per pair."""
    best = np.full(len(candidates), -np.inf)
    if len(face):
        starts = np.flatnonzero(np.diff(face, prepend=-1))
        sizes = np.diff(np.append(starts, len(face)))
        for size in np.unique(sizes):
            index = starts[sizes == size][:, None] + np.arange(size)  # (f, s) entries of these faces
            slots, rivals = slot[index], rival[index]
            points = scaled[rivals]
            at = x[np.maximum(slots, 0)]
            values = points[:, None, :, -1] + at @ points[..., :-1].transpose(0, 2, 1)  # (f, s, s)
            values[candidates[np.maximum(slots, 0)][:, :, None] == rivals[:, None, :]] = -np.inf
            top, valid = values.max(axis=2), slots >= 0
            np.maximum.at(best, slots[valid], top[valid])
    own = scaled[candidates, -1] + np.einsum("ck,ck->c", x, scaled[candidates, :-1])
    return own - best - tolerance * np.abs(x).sum(axis=1)


def _vertex_witnesses(
    hull: ConvexHull, facets: np.ndarray, n: int, vertices: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Vertices of the given facets of a Qhull hull (or the given ``vertices``) and the sum of the unit
    normals of their facets among ``facets``, shape (v, D)."""
    simplices = hull.simplices[facets]
    normals = np.zeros((n, hull.equations.shape[1] - 1))
    np.add.at(normals, simplices.ravel(), np.repeat(hull.equations[facets, :-1], simplices.shape[1], axis=0))
    vertices = np.unique(simplices) if vertices is None else vertices
    return vertices, normals[vertices]


def convex_hull_vertices(points: np.ndarray, tolerance: float = RELATIVE_TOLERANCE) -> np.ndarray:
    """Indices of the vertices of ``conv(points)``, in any dimension and for degenerate sets.

    A point is a vertex when its max-norm distance to the hull of the other points exceeds ``tolerance``
    times the set's scale (docs/tolerances.md): points on faces and edges of the hull of the others, up to
    rounding, are not vertices. Coinciding points are merged (the first index is reported). In 2-D the
    vertices are returned in counter-clockwise order (in the frame of the affine hull when the set is flat).

    Parameters
    ----------
    points : array_like, shape (n, d)

    Returns
    -------
    ndarray of int, shape (v,)
    """
    points = np.asarray(points, dtype=float)
    representatives, _ = unique_rows(points, tolerance)
    frame = affine_frame(points[representatives], tolerance)
    k = frame.dimension
    if k == 0:
        return representatives[:1]
    coordinates = frame.coordinates(points[representatives])
    if k == 1:
        line = coordinates[:, 0]
        return representatives[[int(np.argmin(line)), int(np.argmax(line))]]
    # the decision is made on coordinates divided by the set's scale, so that the tolerance is relative
    unit = (coordinates - coordinates.mean(axis=0)) / _scale(points[representatives])
    everyone = np.arange(len(unit))
    hull = None if k > MAX_QHULL_DIMENSION else _qhull_or_none(normalise(coordinates)[0])
    if hull is None:  # too many dimensions, or input that Qhull cannot merge: decide point by point
        return representatives[_strict_vertices(unit, everyone, np.zeros_like(unit), everyone, tolerance)]
    vertices, directions = _vertex_witnesses(hull, np.arange(len(hull.simplices)), len(unit))
    kept = _strict_vertices(unit, vertices, directions, vertices, tolerance)
    vertices = hull.vertices[np.isin(hull.vertices, kept)]  # counter-clockwise in 2-D
    if k == 2 and points.shape[1] == 2 and np.linalg.det(frame.basis) < 0:
        vertices = vertices[::-1]
    return representatives[vertices]


def _qhull_or_none(coordinates: np.ndarray) -> ConvexHull | None:
    """Qhull of full-dimensional scaled coordinates, retried with a joggle where Qhull gives up on nearly
    degenerate sets (a "wide merge" topology error); None when that fails too. No QhullError escapes."""
    for joggle in (False, True):
        try:
            return _qhull(coordinates, joggle=joggle)
        except QhullError:
            continue
    return None


@dataclass(frozen=True)
class UpperFace:
    """A maximal upper face (a cell of the dual subdivision) of a lifted point set.

    Attributes
    ----------
    vertices : ndarray of int
        Indices of the lifted points that are vertices of the face (counter-clockwise in 2-D).
    normal : ndarray, shape (d,)
        The point ``x`` at which all monomials of the face tie: for every lifted point
        ``(a, c)``, ``c + <a, x> <= value`` with equality exactly on the face.
    value : float
        The common value at ``normal``.
    """

    vertices: np.ndarray
    normal: np.ndarray
    value: float


def _lifted_frame(lifted: np.ndarray, tolerance: float, *, groups: np.ndarray | None = None):
    """Representatives (best coefficient per exponent; ``representatives[g]`` of group ``g`` of coinciding
    exponents, ``groups`` computed when not given) and the exponents' affine frame."""
    exponents, coefficients = lifted[:, :-1], lifted[:, -1]
    if groups is None:
        _, groups = unique_rows(exponents, tolerance)
    order = np.lexsort((-coefficients, groups))
    first = np.ones(len(order), dtype=bool)
    first[1:] = groups[order][1:] != groups[order][:-1]
    representatives = order[first]
    frame = affine_frame(exponents[representatives], tolerance)
    return representatives, frame


def _on_one_hyperplane(projected: np.ndarray, tolerance: float) -> bool:
    """Whether lifted points ``(y, c)`` (``y`` spanning R^k) lie on one hyperplane ``c = <w, y> + b``.

    Decided after rescaling exponents and coefficients separately (as for Qhull): they have unrelated
    units, and a coefficient spread of 1e6 must not hide exponent directions of size 1e-7.
    """
    k = projected.shape[1] - 1
    return (
        len(projected) <= k + 1
        or affine_frame(normalise(projected, lifted=True)[0], tolerance).dimension <= k
    )


def upper_hull_vertices(lifted: np.ndarray, tolerance: float = RELATIVE_TOLERANCE) -> np.ndarray:
    """Indices of the vertices of the upper hull of lifted points ``(a_i, c_i)``.

    These are exactly the monomials ``c_i + <a_i, x>`` of a max-plus polynomial that are the unique
    maximum for some ``x`` (docs/math.md §1), by more than ``tolerance`` relative to the size of the terms
    (docs/tolerances.md, "Tie"); see :func:`_strict_upper`. The reduction is idempotent. Degenerate inputs
    are exact: duplicate exponents keep the largest coefficient, flat exponent sets are handled in their
    affine hull, coplanar lifted points reduce to the vertices of the Newton polytope, and ``d = 1`` or
    fewer than ``d + 2`` points need no Qhull. Above ``MAX_QHULL_DIMENSION`` an LP decides redundancy
    point by point.

    Parameters
    ----------
    lifted : array_like, shape (m, d + 1)
        Exponents in the first ``d`` columns, coefficients in the last.

    Returns
    -------
    ndarray of int, shape (v,), sorted
    """
    lifted = np.asarray(lifted, dtype=float)
    representatives, frame = _lifted_frame(lifted, tolerance)
    if frame.dimension == 0:
        return representatives[:1]
    projected = np.column_stack(
        [frame.coordinates(lifted[representatives, :-1]), lifted[representatives, -1]]
    )
    k = frame.dimension
    if _on_one_hyperplane(projected, tolerance):
        local = convex_hull_vertices(projected[:, :-1], tolerance)
    elif k == 1:
        local = np.concatenate(
            [face.vertices for face in _faces_1d(projected, np.arange(len(projected)), frame)]
        )
    else:
        hull, upper = _upper_hull(projected)
        if hull is None:  # too many dimensions, or input that Qhull cannot merge: decide point by point
            everyone = np.arange(len(projected))
            local = _strict_upper(projected, everyone, None, everyone, tolerance)
        else:
            candidates, witnesses = _upper_witnesses(hull, upper, projected)
            local = _strict_upper(projected, candidates, witnesses, hull.vertices, tolerance)
    return np.sort(representatives[np.unique(local)])


def upper_vertices_with_witnesses(
    lifted: np.ndarray,
    candidates: np.ndarray,
    witnesses: np.ndarray,
    tolerance: float = RELATIVE_TOLERANCE,
    *,
    neighbours: tuple[np.ndarray, np.ndarray] | None = None,
    groups: np.ndarray | None = None,
    second_witnesses: np.ndarray | None = None,
    faces: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """:func:`upper_hull_vertices` when a superset of the vertices and a witness per candidate are known.

    The same decision as :func:`upper_hull_vertices` (docs/tolerances.md, "Tie"): a candidate is kept when
    it beats every other candidate by more than the tolerance at its witness, or else by a linear program.
    Used by :func:`tropical.from_torch`, whose growing hull already knows the upper faces.

    Parameters
    ----------
    lifted : array_like, shape (m, d + 1)
        Exponents in the first ``d`` columns, coefficients in the last.
    candidates : ndarray of int, shape (c,)
        Every upper vertex is among them.
    witnesses : ndarray, shape (c, d)
        A point ``x`` per candidate where it is expected to be the unique maximum.
    neighbours : (ndarray of int, ndarray of int), optional
        Pairs ``(k, p)``: position ``k`` in ``candidates`` and index ``p`` of a lifted point that shares an
        upper face with ``candidates[k]``. The witnesses are then compared with these rivals only (the
        cost follows the faces' sizes, not candidates x candidates), which decides the same: the rivals
        of a candidate's faces cut out its region ``{x : it is the maximum}`` (every facet of the region
        is a tie with one of them), so a candidate that beats them at its witness has its witness inside
        its region, where no other candidate is larger than the best of them (the second-best vertex of a
        linear function on a polytope is adjacent to the best). Undecided candidates go to the linear
        program over all candidates, as without ``neighbours``.
    groups : ndarray of int, shape (m,), optional
        The groups of coinciding exponents (``unique_rows(lifted[:, :-1])[1]``), if known.
    second_witnesses : ndarray, shape (c, d), optional
        Another point per candidate, tried with ``neighbours`` for the candidates that their first witness
        leaves undecided, before the linear program (a candidate that wins somewhere is kept either way).
    faces : (ndarray of int, ndarray of int), optional
        ``(members, owner)``: the points of the upper faces (concatenated) and the face of every entry
        (sorted), every candidate among them. The same rivals as ``neighbours`` with every pair of points
        of a face, without forming the pairs (instead of ``neighbours``).

    Returns
    -------
    ndarray of int, shape (v,), sorted
    """
    lifted = np.asarray(lifted, dtype=float)
    if groups is None:
        _, groups = unique_rows(lifted[:, :-1], tolerance)
    representatives, frame = _lifted_frame(lifted, tolerance, groups=groups)
    d = lifted.shape[1] - 1
    projected = np.column_stack(
        [frame.coordinates(lifted[representatives, :-1]), lifted[representatives, -1]]
    )
    if frame.dimension < max(d, 2) or _on_one_hyperplane(projected, tolerance):
        return upper_hull_vertices(lifted, tolerance)
    position = np.full(len(lifted), -1)
    position[representatives] = np.arange(len(representatives))
    local = position[candidates]
    chosen = local >= 0  # a repeated exponent with a smaller coefficient is never kept
    x = np.asarray(witnesses, dtype=float)[chosen] @ frame.basis.T  # the same points in frame coordinates
    second = None
    if second_witnesses is not None and (neighbours is not None or faces is not None):
        second = np.asarray(second_witnesses, dtype=float)[chosen] @ frame.basis.T
    pairs = None
    if (
        neighbours is not None
    ):  # positions among the chosen candidates; rivals by their groups' representatives
        owner, rival = (np.asarray(a, dtype=np.int64) for a in neighbours)
        renumber = np.cumsum(chosen) - 1
        valid = chosen[owner]
        pairs = renumber[owner[valid]], groups[rival[valid]]
    elif faces is not None:  # per entry: its candidate among the chosen (or -1), its point's group, its face
        members, owner = (np.asarray(a, dtype=np.int64) for a in faces)
        index = np.full(len(lifted), -1)
        index[candidates] = np.arange(len(candidates))
        renumber = np.where(chosen, np.cumsum(chosen) - 1, -1)
        entry = index[members]
        pairs = np.where(entry >= 0, renumber[entry], -1), groups[members], owner
    kept = _strict_upper(projected, local[chosen], x, local[chosen], tolerance, pairs, second)
    return np.sort(representatives[kept])


def _upper_hull(projected: np.ndarray) -> tuple[ConvexHull | None, np.ndarray]:
    """Qhull of lifted points (rescaled) and its upper facets; ``(None, [])`` where Qhull is not used."""
    if projected.shape[1] > MAX_QHULL_DIMENSION:
        return None, np.zeros(0, dtype=int)
    scaled, _ = normalise(projected, lifted=True)
    hull = _qhull_or_none(scaled)
    if hull is None:
        return None, np.zeros(0, dtype=int)
    return hull, np.flatnonzero(upper_simplices(hull, scaled[:, :-1]))


def _upper_witnesses(hull: ConvexHull, upper: np.ndarray, projected: np.ndarray):
    """The vertices of the upper facets, and for each a point ``x`` inside its region (shape (v, k)).

    The point comes from a positive combination of the unit normals of all the vertex's facets (in Qhull's
    rescaled coordinates): an interior direction of its normal cone. The facets that are not upper get a
    weight small enough to keep the combination upward, so that it is a finite point ``x``.
    """
    _, spread = normalise(projected, lifted=True)
    candidates, upward = _vertex_witnesses(hull, upper, len(projected))
    lateral = np.setdiff1d(np.arange(len(hull.simplices)), upper)
    _, sideways = _vertex_witnesses(hull, lateral, len(projected), candidates)
    descent = np.maximum(-sideways[:, -1], 0.0)
    weight = np.minimum(1.0, 0.5 * upward[:, -1] / np.maximum(descent, 1e-300))
    normals = (upward + weight[:, None] * sideways) / spread
    return candidates, normals[:, :-1] / normals[:, -1:]


def _merged_facets(hull: ConvexHull, upper: np.ndarray, tolerance: float) -> list[np.ndarray]:
    """Group the upper facets ``upper`` (indices into Qhull's facets) into maximal faces.

    Qhull triangulates: adjacent facets with the same supporting hyperplane (up to ``10 * tolerance`` in
    rescaled coordinates) form one face. Returns one array of facet indices per face.
    """
    equations = hull.equations[upper]
    position = -np.ones(len(hull.equations), dtype=int)
    position[upper] = np.arange(len(upper))
    neighbours = position[hull.neighbors[upper]]
    rows, cols = np.nonzero(neighbours >= 0)
    other = neighbours[rows, cols]
    same = np.abs(equations[rows] - equations[other]).max(axis=1) < 10 * tolerance
    graph = coo_matrix((np.ones(int(same.sum())), (rows[same], other[same])), shape=(len(upper),) * 2)
    _, labels = connected_components(graph, directed=False)
    order = np.argsort(labels, kind="stable")
    boundaries = np.flatnonzero(np.diff(labels[order])) + 1
    return [upper[group] for group in np.split(order, boundaries)] if len(upper) else []


def _face_vertices(projected: np.ndarray, simplices: np.ndarray, tolerance: float) -> np.ndarray:
    """The vertices of a merged face given by its simplices (indices into ``projected``).

    When Qhull merges nearly coplanar facets, points inside the merged facet (or in the middle of one of
    its edges) stay vertices of its triangles; they are not vertices of the upper hull and are dropped
    here by the convex hull of the face's exponents (a full-dimensional cell).
    """
    members = np.unique(simplices)
    if len(members) <= projected.shape[1]:  # a simplex: k + 1 points, all vertices
        return members
    y = projected[members, :-1]
    if y.shape[1] == 2:  # the common case (cells of plane curves): a monotone chain, no Qhull call
        return members[_polygon_corners(y, tolerance)]
    hull = _qhull_or_none(normalise(y)[0])  # distinct points spanning R^k (a full-dimensional cell)
    return members[hull.vertices if hull is not None else convex_hull_vertices(y, tolerance)]


def _polygon_corners(y: np.ndarray, tolerance: float) -> np.ndarray:
    """Indices of the corners of the convex hull of distinct points in the plane (Andrew's monotone chain).

    A point is dropped when it lies within ``tolerance`` times the extent of the line through its
    neighbours on the hull (the module's convention), so points in the middle of an edge are not corners.
    """
    scale = max(float(np.ptp(y, axis=0).max()), 1e-300)
    points = [tuple(row) for row in (y - y.mean(axis=0)) / scale]
    order = sorted(range(len(points)), key=points.__getitem__)

    def chain(indices):
        kept: list[int] = []
        for i in indices:
            while len(kept) >= 2:
                (ax, ay), (bx, by), (cx, cy) = points[kept[-2]], points[kept[-1]], points[i]
                cross = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax)
                if cross <= tolerance * np.hypot(cx - ax, cy - ay):  # not a strict left turn
                    kept.pop()
                else:
                    break
            kept.append(i)
        return kept[:-1]

    return np.array(chain(order) + chain(order[::-1]), dtype=int)


def upper_faces(lifted: np.ndarray, tolerance: float = RELATIVE_TOLERANCE) -> list[UpperFace]:
    """Maximal upper faces of the lifted point set: the cells of the dual subdivision.

    Qhull's triangles are merged into true cells: adjacent facets with the same supporting hyperplane
    form one face.

    Parameters
    ----------
    lifted : array_like, shape (m, d + 1)

    Returns
    -------
    list of UpperFace
    """
    lifted = np.asarray(lifted, dtype=float)
    representatives, frame = _lifted_frame(lifted, tolerance)
    if frame.dimension == 0:
        normal = np.zeros(lifted.shape[1] - 1)
        return [UpperFace(representatives[:1], normal, float(lifted[representatives[0], -1]))]
    projected = np.column_stack(
        [frame.coordinates(lifted[representatives, :-1]), lifted[representatives, -1]]
    )
    return _faces(projected, representatives, frame, tolerance)


def _faces(projected: np.ndarray, representatives: np.ndarray, frame: AffineFrame, tolerance: float):
    """Upper faces of projected lifted points ``(y, c)`` with ``y`` full-dimensional in R^k.

    A face is returned with the point ``x`` (in the original exponent space) where its monomials tie:
    if the face lies on the hyperplane ``c = <w, y> + b`` then ``c + <a, x>`` is constant on it for
    ``x = -basis.T @ w``, and the face is upper exactly when every other lifted point lies below.
    """
    k = frame.dimension
    if _on_one_hyperplane(projected, tolerance):
        # every lifted point lies on one hyperplane c = <w, y> + b: one face, the Newton polytope
        y, c = projected[:, :-1], projected[:, -1]
        w = np.linalg.lstsq(np.column_stack([y, np.ones(len(y))]), c, rcond=None)[0][:-1]
        vertices = convex_hull_vertices(y, tolerance)
        if frame.basis.shape == (2, 2) and np.linalg.det(frame.basis) < 0:
            vertices = vertices[::-1]
        return [_face(projected, representatives[vertices], vertices, frame, -frame.basis.T @ w)]
    if k == 1:
        return _faces_1d(projected, representatives, frame)
    scaled, spread = normalise(projected, lifted=True)
    hull = _qhull_or_none(scaled)
    if hull is None:
        # Nearly degenerate input that Qhull cannot merge. The upper faces are those of the upper vertices
        # alone (every vertex of the Newton polytope lifts to one), found exactly by linear programs; Qhull
        # is retried on those.
        everyone = np.arange(len(projected))
        kept = _strict_upper(projected, everyone, None, everyone, tolerance)
        if len(kept) == len(projected):
            raise DegenerateGeometryError(
                f"Qhull cannot resolve the upper hull of {len(projected)} nearly degenerate lifted points in "
                f"dimension {k + 1}, and every point is an upper vertex, so no smaller set can be tried. "
                "Perturbing the polynomial's coefficients by about 1e-9 of their size separates the faces."
            )
        return _faces(projected[kept], representatives[kept], frame, tolerance)
    upper = np.flatnonzero(upper_simplices(hull, scaled[:, :-1]))
    candidates, witnesses = _upper_witnesses(hull, upper, projected)
    strict = _strict_upper(projected, candidates, witnesses, hull.vertices, tolerance)
    faces = []
    for group in _merged_facets(hull, upper, tolerance):  # Qhull's triangles merged into true cells
        members = _face_vertices(projected, hull.simplices[group], tolerance)
        members = members[np.isin(members, strict)]  # points inside a face are no vertices of it
        normal = hull.equations[group[0], :-1] / spread  # hyperplane normal in unscaled (y, c) coordinates
        x = frame.basis.T @ (normal[:-1] / normal[-1])
        if k == 2:
            members = _counter_clockwise(projected[members, :-1], members, frame)
        faces.append(_face(projected, representatives[members], members, frame, x))
    return faces


def _face(projected, vertices, local, frame: AffineFrame, x: np.ndarray) -> UpperFace:
    a0 = frame.embed(projected[local[:1], :-1])[0]
    return UpperFace(vertices, x, float(projected[local[0], -1] + a0 @ x))


def _counter_clockwise(y: np.ndarray, members: np.ndarray, frame: AffineFrame) -> np.ndarray:
    """Order a convex cell's points counter-clockwise and drop points in the middle of an edge."""
    centred = y - y.mean(axis=0)
    order = np.argsort(np.arctan2(centred[:, 1], centred[:, 0]))
    order = order[corner_mask(centred[order], RELATIVE_TOLERANCE)]
    if frame.basis.shape == (2, 2) and np.linalg.det(frame.basis) < 0:
        order = order[::-1]
    return members[order]


def _faces_1d(projected: np.ndarray, representatives: np.ndarray, frame: AffineFrame):
    """Upper chain of points ``(y, c)`` in the plane; its edges are the faces.

    The tie of consecutive monomials ``j, k`` is the hyperplane ``<direction, x> = -slope``; the face
    carries its point closest to the origin.
    """
    y, c = projected[:, 0], projected[:, 1]
    # the module's convention: k is dropped when its distance to the line through j and i is below the
    # tolerance, in coordinates rescaled by the extents (an area test would merge short genuine edges)
    y_scale = max(float(np.ptp(y)), 1e-300)
    c_scale = max(float(np.ptp(c)), RELATIVE_TOLERANCE * y_scale)
    Y, C = y / y_scale, c / c_scale
    chain: list[int] = []
    for i in np.argsort(y):  # monotone chain (exponents are distinct here); collinear points dropped
        while len(chain) >= 2:
            j, k = chain[-2], chain[-1]
            cross = (Y[k] - Y[j]) * (C[i] - C[j]) - (C[k] - C[j]) * (Y[i] - Y[j])
            if cross >= -RELATIVE_TOLERANCE * np.hypot(Y[i] - Y[j], C[i] - C[j]):
                chain.pop()
            else:
                break
        chain.append(int(i))
    faces = []
    for j, k in itertools.pairwise(chain):
        x = -(c[k] - c[j]) / (y[k] - y[j]) * frame.basis[0]
        faces.append(_face(projected, representatives[[j, k]], np.array([j, k]), frame, x))
    return faces
