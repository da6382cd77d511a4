"""Similarity of convex polytopes and zonotopes: Hausdorff, IoU, volumes, support functions, generators.

Every metric takes two shapes -- :class:`~tropical.polytope.Polytope`, :class:`~tropical.zonotope.Zonotope`
or an ``(n, d)`` array of points (its convex hull) -- and a keyword ``normalize=`` (docs/math.md §4):

``"none"``
    The raw polytopes. Pruning shrinks generators, so raw metrics mix shape and size.
``"centroid_diameter"``
    Each polytope is translated so that its centroid is at the origin and scaled to diameter 1.
``"centroid_volume"``
    Each polytope is translated so that its centroid is at the origin and scaled to volume 1 (area in 2-D);
    undefined (:class:`~tropical.errors.DegenerateGeometryError`) for flat polytopes.

The two normalised modes compare shapes only: any translation and positive scaling of either input leaves
them unchanged. Report which mode a number uses (``compare_polytopes`` does).

Definitions: the Hausdorff distance of convex bodies is ``sup_{|u|=1} |h_P(u) - h_Q(u)|`` with ``h`` the
support function, and equals the largest distance of a vertex of one to the other. Misiakos, Smyrnis,
Retsinas & Maragos (ICLR 2022) bound ``|f(x) - f~(x)|`` by it and, for zonotopes, bound it by the matched
generator distance (:func:`generator_distance`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.optimize import linear_sum_assignment, linprog, nnls

from tropical._validation import diameter
from tropical.budget import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_SECONDS,
    Cost,
    check_cost,
    hull_cost,
    nearest_point_cost,
)
from tropical.errors import DegenerateGeometryError
from tropical.metrics._bodies import body_or_points
from tropical.polytope import Polytope
from tropical.zonotope import Zonotope, ZonotopeHull

__all__ = [
    "NORMALIZATIONS",
    "Normalization",
    "centroid_shift",
    "compare_polytopes",
    "generator_distance",
    "hausdorff",
    "iou",
    "normalization",
    "normalized",
    "support_distance",
    "vertex_count",
    "volume_ratio",
]

NORMALIZATIONS = ("none", "centroid_diameter", "centroid_volume")
_TWO_PI = 2 * np.pi


# --------------------------------------------------------------------------------------- inputs
_BRACKET = "tropical.metrics.hausdorff_bracket(P, Q) (any dimension, models accepted)"


def _shape(value, name: str):
    """A Polytope or Zonotope: models become their decision polytopes and ZonotopeHulls are enumerated (both
    only when the estimate allows it), arrays become a Polytope (hull cost checked first)."""
    value = body_or_points(value, name)
    if isinstance(value, ZonotopeHull):
        return value.to_polytope()
    if isinstance(value, np.ndarray):
        if value.shape[1] > 3:
            check_cost(
                hull_cost(*value.shape),
                what=f"the convex hull of {len(value):,} points in R^{value.shape[1]}",
                max_bytes=DEFAULT_MAX_BYTES,
                max_seconds=DEFAULT_MAX_SECONDS,
                alternative=_BRACKET,
            )
        return Polytope(value)
    return value


def _vertices(shape) -> np.ndarray:
    return shape.vertices


def _as_polytope(shape) -> Polytope:
    return shape.to_polytope() if isinstance(shape, Zonotope) else shape


def _pair(P, Q, normalize: str):
    P, Q = _shape(P, "P"), _shape(Q, "Q")
    if P.ambient_dimension != Q.ambient_dimension:
        raise ValueError(
            f"P and Q live in different dimensions: {P.ambient_dimension} and {Q.ambient_dimension}"
        )
    return normalized(P, normalize=normalize), normalized(Q, normalize=normalize)


# ------------------------------------------------------------------------------- 2-D machinery
def _normal_fan(vertices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted outer-normal angles of a ccw convex polygon (or segment / point) and the vertex supporting
    each angular interval ``[angle_k, angle_{k+1})``."""
    n = len(vertices)
    if n == 1:
        return np.zeros(1), np.zeros(1, dtype=int)
    edges = np.roll(vertices, -1, axis=0) - vertices
    angles = np.mod(np.arctan2(-edges[:, 0], edges[:, 1]), _TWO_PI)  # normal (e_y, -e_x) of edge k -> k+1
    supporting = (np.arange(n) + 1) % n
    order = np.argsort(angles, kind="stable")
    return angles[order], supporting[order]


def _support_index(angles: np.ndarray, supporting: np.ndarray, theta: np.ndarray) -> np.ndarray:
    position = np.searchsorted(angles, np.mod(theta, _TWO_PI), side="right") - 1
    return supporting[position]  # position -1 wraps to the last interval


def _hausdorff_2d(P: np.ndarray, Q: np.ndarray) -> float:
    """Exact ``sup_u |h_P(u) - h_Q(u)|`` for convex polygons: on every interval of the merged normal fans
    the support points ``p``, ``q`` are fixed and ``<u, p - q>`` peaks at the ends or at ``u ∝ ±(p - q)``."""
    fan_p, fan_q = _normal_fan(P), _normal_fan(Q)
    theta = np.unique(np.concatenate([fan_p[0], fan_q[0]]))
    width = np.diff(np.append(theta, theta[0] + _TWO_PI))
    difference = P[_support_index(*fan_p, theta)] - Q[_support_index(*fan_q, theta)]
    u = np.column_stack([np.cos(theta), np.sin(theta)])
    at_breaks = np.abs(np.einsum("ij,ij->i", u, difference))
    length = np.linalg.norm(difference, axis=1)
    peak = np.arctan2(difference[:, 1], difference[:, 0])
    inside = (np.mod(peak - theta, _TWO_PI) < width) | (np.mod(peak + np.pi - theta, _TWO_PI) < width)
    return float(max(at_breaks.max(), np.where(inside, length, 0.0).max()))


def _check_diameter_cost(vertices: np.ndarray) -> None:
    """Refuse the diameter of many vertices when it compares all pairs (not 2-D), before it starts."""
    n, d = vertices.shape
    if n > 1 and not (d == 2 and n > 64):
        check_cost(
            Cost(8.0 * 4_000_000 * (d + 1), 3e-9 * n * n * d),
            what=f"the diameter of a polytope with {n:,} vertices in R^{d} (all pairs)",
            max_bytes=DEFAULT_MAX_BYTES,
            max_seconds=DEFAULT_MAX_SECONDS,
            alternative="normalize='none' (raw polytopes), or tropical.metrics.hausdorff_bracket(P, Q)",
        )


def _diameter(vertices: np.ndarray) -> float:
    """Largest distance between two vertices, after a cost check when it compares all pairs (not 2-D)."""
    _check_diameter_cost(vertices)
    return diameter(vertices)


# ------------------------------------------------------------------------------- normalisation
class Normalization(NamedTuple):
    """A normalised body and the map that made it: ``body = (P - shift) * scale``.

    Attributes
    ----------
    body : Polytope or Zonotope
        The normalised body, of the same kind as the input (arrays become a Polytope).
    shift : ndarray, shape (d,), read-only
        The centroid of the input (zeros for ``normalize="none"``).
    scale : float
        ``1 / diameter``, ``volume ** (-1 / d)``, or 1 for ``normalize="none"``.
    """

    body: Polytope | Zonotope
    shift: np.ndarray
    scale: float

    def apply(self, points) -> np.ndarray:
        """``(points - shift) * scale`` for points of shape (..., d): move other objects of the input's
        space (zonotopes, a subdivision) with the body."""
        return (np.asarray(points, dtype=np.float64) - self.shift) * self.scale


def normalization(P, *, normalize: str = "centroid_diameter") -> Normalization:
    """``P`` translated to put its centroid at the origin and scaled to unit diameter or unit volume, with
    the map ``x -> (x - shift) * scale`` that does it.

    Parameters
    ----------
    P : Polytope, Zonotope or array_like (n, d)
    normalize : {"none", "centroid_diameter", "centroid_volume"}

    Returns
    -------
    Normalization
        ``(body, shift, scale)``; ``body`` is what :func:`normalized` returns.

    Raises
    ------
    DegenerateGeometryError
        Unit diameter of a point, unit volume of a flat polytope.

    Examples
    --------
    >>> square = normalization([[0, 0], [2, 0], [2, 2], [0, 2]], normalize="centroid_volume")
    >>> square.shift.tolist(), square.scale, square.body.volume
    ([1.0, 1.0], 0.5, 1.0)
    >>> square.apply([[1.0, 3.0]]).tolist()  # any point of the input's space, moved with the body
    [[0.0, 1.0]]
    """
    if normalize not in NORMALIZATIONS:
        raise ValueError(f"normalize must be one of {NORMALIZATIONS}, got {normalize!r}")
    P = _shape(P, "P")
    if normalize == "none":
        shift = np.zeros(P.ambient_dimension)
        shift.setflags(write=False)
        return Normalization(P, shift, 1.0)
    centre = P.centroid
    if normalize == "centroid_diameter":
        if isinstance(P, Polytope):
            _check_diameter_cost(P.vertices)
        size = P.diameter
        if size <= 0:
            raise DegenerateGeometryError("normalize='centroid_diameter' is undefined for a single point")
        factor = 1.0 / size
    else:
        volume = P.volume
        if volume <= 0:
            raise DegenerateGeometryError(
                f"normalize='centroid_volume' is undefined for a flat polytope (dimension {P.dimension} "
                f"in R^{P.ambient_dimension}); use 'centroid_diameter'"
            )
        factor = volume ** (-1.0 / P.ambient_dimension)
    if isinstance(P, Zonotope):
        body = Zonotope(factor * P.generators, factor * (P.base - centre))
    else:
        body = Polytope(factor * (P.vertices - centre))
    return Normalization(body, centre, float(factor))


def normalized(P, *, normalize: str = "centroid_diameter"):
    """``P`` translated to put its centroid at the origin and scaled to unit diameter or unit volume: the
    ``body`` of :func:`normalization` (same parameters and errors), a Polytope or Zonotope of the same kind
    as ``P`` (arrays become a Polytope).

    >>> round(normalized([[0, 0], [2, 0], [2, 2], [0, 2]], normalize="centroid_diameter").diameter, 12)
    1.0
    """
    return normalization(P, normalize=normalize).body


# ------------------------------------------------------------------------------------- metrics
def _distances_to_hull(points: np.ndarray, Q: Polytope) -> np.ndarray:
    """Euclidean distance of every point to ``conv(Q.vertices)``: 0 inside, else a min-norm-point problem.

    The nearest point of ``conv(V) - x`` to the origin is ``V^T lambda / sum(lambda)`` for the non-negative
    least-squares solution of ``[ (V - x)^T ; 1^T ] lambda = [0 ; 1]`` (exact: for fixed direction ``theta``
    in the simplex the objective is ``mu^2 a + (mu - 1)^2`` with ``a = |(V - x)^T theta|^2``, minimised at
    ``a / (1 + a)``, increasing in ``a``).
    """
    V = Q.vertices
    distances = np.zeros(len(points))
    outside = ~Q.contains(points, tolerance=1e-12)
    for index in np.flatnonzero(outside):  # one small NNLS per vertex outside Q
        x = points[index]
        scale = float(np.abs(V - x).max())  # > 0 since x is outside Q
        matrix = np.vstack([((V - x) / scale).T, np.ones(len(V))])
        target = np.zeros(len(x) + 1)
        target[-1] = 1.0
        weights, _ = nnls(matrix, target)
        nearest = weights @ V / weights.sum()
        distances[index] = np.linalg.norm(nearest - x)
    return distances


def hausdorff(
    P,
    Q,
    *,
    normalize: str = "none",
    max_bytes: float = DEFAULT_MAX_BYTES,
    max_seconds: float = DEFAULT_MAX_SECONDS,
) -> float:
    """Hausdorff distance of two convex polytopes (or zonotopes), exactly, in any dimension.

    Parameters
    ----------
    P, Q : Polytope, Zonotope, ZonotopeHull, torch.nn.Module or array_like (n, d)
        A one-hidden-layer classifier is read as its decision polytope for classes ``(0, 1)``
        (:func:`tropical.decision_polytope`).
    normalize : {"none", "centroid_diameter", "centroid_volume"}
        See the module docstring.
    max_bytes, max_seconds : float
        Limits on the estimated cost of the nearest-point problems in dimension >= 3 (the vertex
        enumerations check their own, with the default limits).

    Raises
    ------
    ComputationTooLargeError
        When the vertices or the distances are too expensive (typically from 5-6 dimensions on):
        :func:`hausdorff_bracket` bounds the same distance in any dimension.

    Returns
    -------
    float
        ``max(max_{v in vert P} dist(v, Q), max_{w in vert Q} dist(w, P))``. In 2-D by the merged normal
        fans of both polygons (``O((n + m) log(n + m))``, vectorised, exact); otherwise one non-negative
        least-squares problem per vertex outside the other polytope.

    Examples
    --------
    >>> hausdorff([[0, 0], [1, 0], [1, 1], [0, 1]], [[0, 0], [2, 0], [2, 2], [0, 2]])  # doctest: +ELLIPSIS
    1.414213562373...
    """
    P, Q = _pair(P, Q, normalize)
    VP, VQ = _vertices(P), _vertices(Q)
    if P.ambient_dimension == 2:
        return _hausdorff_2d(_ccw(VP), _ccw(VQ))
    if P.ambient_dimension == 1:
        return float(max(abs(VP.min() - VQ.min()), abs(VP.max() - VQ.max())))
    (n, d), m = VP.shape, len(VQ)
    check_cost(
        nearest_point_cost(n, m, d) + nearest_point_cost(m, n, d),
        what=f"the exact Hausdorff distance of polytopes with {n:,} and {m:,} vertices in R^{d}",
        max_bytes=max_bytes,
        max_seconds=max_seconds,
        alternative=_BRACKET,
    )
    PP, QQ = _as_polytope(P), _as_polytope(Q)
    return float(max(_distances_to_hull(VP, QQ).max(), _distances_to_hull(VQ, PP).max()))


def _ccw(vertices: np.ndarray) -> np.ndarray:
    """Counter-clockwise order of a convex polygon's vertices (Polytope / Zonotope already give it)."""
    if len(vertices) < 3:
        return vertices
    area = np.sum(vertices[:, 0] * np.roll(vertices[:, 1], -1) - np.roll(vertices[:, 0], -1) * vertices[:, 1])
    return vertices if area > 0 else vertices[::-1]


def _directions(d: int, directions, seed: int) -> np.ndarray:
    if directions is None:
        directions = 3600 if d == 2 else 4096
    if np.isscalar(directions):
        count = int(directions)
        if count < 1:
            raise ValueError(f"directions must be a positive count or an (m, d) array, got {directions!r}")
        if d == 2:
            angle = np.arange(count) * _TWO_PI / count
            return np.column_stack([np.cos(angle), np.sin(angle)])
        U = np.random.default_rng(seed).standard_normal((count, d))
    else:
        U = np.atleast_2d(np.asarray(directions, dtype=float))
        if U.shape[1] != d:
            raise ValueError(f"directions must have {d} columns, got shape {U.shape}")
    norms = np.linalg.norm(U, axis=1, keepdims=True)
    if np.any(norms == 0):
        raise ValueError("directions contains a zero vector")
    return U / norms


def _support(shape, U: np.ndarray) -> np.ndarray:
    return shape.support(U)


def support_distance(P, Q, *, p=2, directions=None, normalize: str = "none", seed: int = 0) -> float:
    """Distance of the support functions over unit directions: root mean square (``p=2``) or max (``p=inf``).

    Without normalisation only support functions are evaluated, so the distance is computed in any
    dimension: zonotopes, :class:`~tropical.zonotope.ZonotopeHull` and one-hidden-layer classifiers (their
    decision polytopes, :func:`tropical.decision_hull`) are never enumerated, and point sets never hulled.
    A normalisation needs the centroid and diameter or volume, hence the vertices (estimated first).

    Parameters
    ----------
    P, Q : torch.nn.Module, Polytope, Zonotope, ZonotopeHull or array_like (n, d)
    p : {2, inf, "inf"}
        ``2``: ``sqrt(mean_u (h_P(u) - h_Q(u))^2)`` (the L2 distance on the sphere divided by its measure);
        ``inf``: ``max_u |h_P(u) - h_Q(u)|``, a lower bound of :func:`hausdorff` that tends to it as the
        directions get dense.
    directions : int or array_like (m, d), optional
        Count of directions (2-D: equally spaced angles; else ``seed``-ed Gaussian directions, normalised)
        or explicit directions (normalised here). Default 3600 in 2-D, 4096 otherwise.
    normalize : {"none", "centroid_diameter", "centroid_volume"}
    seed : int
        For random directions in dimension > 2.

    Returns
    -------
    float
    """
    if p not in (2, np.inf, "inf"):
        raise ValueError(f"p must be 2 or inf, got {p!r}")
    if normalize == "none":
        from tropical.metrics.support import convex_body

        P, Q = convex_body(P, name="P"), convex_body(Q, name="Q")
        if P.ambient_dimension != Q.ambient_dimension:
            raise ValueError(
                f"P and Q live in different dimensions: {P.ambient_dimension} and {Q.ambient_dimension}"
            )
    else:
        P, Q = _pair(P, Q, normalize)
    U = _directions(P.ambient_dimension, directions, seed)
    difference = _support(P, U) - _support(Q, U)
    if p == 2:
        return float(np.sqrt(np.mean(difference**2)))
    return float(np.abs(difference).max())


def _area_polygon(vertices: np.ndarray):
    import shapely

    if len(vertices) < 3:
        return shapely.Polygon()
    return shapely.Polygon(vertices)


def _intersection_volume(P: Polytope, Q: Polytope) -> float:
    """Volume of ``P ∩ Q`` for full-dimensional polytopes by halfspace intersection (Qhull)."""
    from scipy.spatial import HalfspaceIntersection

    halfspaces = np.vstack([P.equations, Q.equations])
    normals, offsets = halfspaces[:, :-1], halfspaces[:, -1]
    d = P.ambient_dimension
    # Chebyshev centre: maximise r subject to normals @ x + r |normal| <= -offset
    objective = np.zeros(d + 1)
    objective[-1] = -1.0
    a_ub = np.column_stack([normals, np.linalg.norm(normals, axis=1)])
    result = linprog(
        objective, A_ub=a_ub, b_ub=-offsets, bounds=[(None, None)] * d + [(0, None)], method="highs"
    )
    scale = max(_diameter(P.vertices), _diameter(Q.vertices))
    if result.status != 0 or result.x[-1] <= 1e-9 * scale:
        return 0.0
    intersection = HalfspaceIntersection(halfspaces, result.x[:-1])
    return Polytope(intersection.intersections).volume


def iou(
    P,
    Q,
    *,
    normalize: str = "none",
    max_bytes: float = DEFAULT_MAX_BYTES,
    max_seconds: float = DEFAULT_MAX_SECONDS,
) -> float:
    """Intersection over union ``vol(P ∩ Q) / vol(P ∪ Q)`` (Jaccard index), in ``[0, 1]``.

    Intervals in 1-D; 2-D with shapely; higher dimensions by halfspace intersection and Qhull volumes.
    Accepts what :func:`hausdorff` accepts.

    Parameters
    ----------
    max_bytes, max_seconds : float
        Limits on the estimated cost of the hulls and the halfspace intersection (dimension >= 3).

    Raises
    ------
    DegenerateGeometryError
        When both polytopes have zero volume (the union has no volume).
    ComputationTooLargeError
        When the estimate is above a limit; project first (:func:`projected_polygons` gives exact 2-D
        Newton polygons and their IoU).

    Examples
    --------
    >>> iou([[0.0], [2.0]], [[1.0], [5.0]])  # overlap 1, union 5
    0.2
    """
    P, Q = _pair(P, Q, normalize)
    PP, QQ = _as_polytope(P), _as_polytope(Q)
    d = P.ambient_dimension
    if d >= 3:
        n = len(PP.vertices) + len(QQ.vertices)
        check_cost(
            hull_cost(n, d) + hull_cost(n, d) + hull_cost(n, d),
            what=f"the volume of the intersection of polytopes with {n:,} vertices in total in R^{d}",
            max_bytes=max_bytes,
            max_seconds=max_seconds,
            alternative="the exact IoU of 2-D projections: tropical.metrics.projected_polygons(...)",
        )
    volume_p, volume_q = PP.volume, QQ.volume
    if volume_p <= 0 and volume_q <= 0:
        raise DegenerateGeometryError("iou is undefined: both polytopes have zero volume")
    if volume_p <= 0 or volume_q <= 0:
        return 0.0
    if P.ambient_dimension == 1:  # intervals
        low = max(PP.vertices.min(), QQ.vertices.min())
        high = min(PP.vertices.max(), QQ.vertices.max())
        common = max(high - low, 0.0)
    elif P.ambient_dimension == 2:
        import shapely

        common = shapely.intersection(_area_polygon(_ccw(PP.vertices)), _area_polygon(_ccw(QQ.vertices))).area
    else:
        common = _intersection_volume(PP, QQ)
    return float(common / (volume_p + volume_q - common))


def volume_ratio(P, Q, *, normalize: str = "none") -> float:
    """``vol(P) / vol(Q)`` (areas in 2-D). It is 1 under ``normalize="centroid_volume"`` by construction.

    Raises
    ------
    DegenerateGeometryError
        When ``Q`` has zero volume.
    """
    P, Q = _pair(P, Q, normalize)
    volume_q = Q.volume
    if volume_q <= 0:
        raise DegenerateGeometryError("volume_ratio is undefined: Q has zero volume")
    return float(P.volume / volume_q)


def centroid_shift(P, Q, *, normalize: str = "none") -> float:
    """Distance between the centroids (zonotopes: centres of symmetry).

    Both normalised modes translate the centroids to the origin, so there the shift is 0 by construction;
    it is meaningful with ``normalize="none"``.
    """
    P, Q = _pair(P, Q, normalize)
    return float(np.linalg.norm(P.centroid - Q.centroid))


def vertex_count(P) -> int:
    """Number of vertices of a polytope or zonotope (no normalisation changes it)."""
    return len(_vertices(_shape(P, "P")))


def generator_distance(
    Z1,
    Z2,
    *,
    normalize: str = "none",
    include_base: bool = True,
    max_bytes: float = DEFAULT_MAX_BYTES,
    max_seconds: float = DEFAULT_MAX_SECONDS,
) -> float:
    """Matched generator distance of two zonotopes, an upper bound of their Hausdorff distance.

    ``min over matchings pi of sum_j |g_j - g~_pi(j)|`` (the shorter generator list padded with zero
    generators; optimal matching by :func:`scipy.optimize.linear_sum_assignment`), plus ``|b - b~|`` for the
    bases when ``include_base``. Since ``H(A + B, A' + B') <= H(A, A') + H(B, B')`` and
    ``H([0, g], [0, g~]) <= |g - g~|`` this bounds :func:`hausdorff` (Misiakos et al., ICLR 2022, Prop. 4).

    Parameters
    ----------
    Z1, Z2 : Zonotope
        Generators are used as given (not merged or re-oriented); the bound depends on that
        representation.
    normalize : {"none", "centroid_diameter", "centroid_volume"}
    include_base : bool
        Add the distance of the bases (needed for the bound; after a centroid normalisation the bases are
        ``-sum(g) / 2``).
    max_bytes, max_seconds : float
        Limits on the estimated memory (the ``p x p`` cost matrix, from :func:`scipy.spatial.distance.cdist`,
        and the assignment's work arrays) and time (``p^3`` assignment steps, measured 14 s at ``p = 3000``)
        of the matching, checked before it starts.

    Returns
    -------
    float

    Raises
    ------
    ComputationTooLargeError
        When the matching is estimated above a limit (tens of thousands of generators).

    Examples
    --------
    >>> generator_distance(Zonotope([[1.0, 0.0], [0.0, 2.0]]), Zonotope([[0.0, 2.0], [1.0, 1.0]]))
    1.0
    """
    if not (isinstance(Z1, Zonotope) and isinstance(Z2, Zonotope)):
        raise TypeError(
            f"generator_distance needs two Zonotope, got {type(Z1).__name__} and {type(Z2).__name__} (a "
            "polytope's vertices have no generators). For two networks: generator_distance("
            "tropical.decision_zonotopes(a)[k], tropical.decision_zonotopes(b)[k]) for k = 0, 1, or "
            "tropical.metrics.decision_metrics(a, b)['generator_distance'] (the larger of the two)"
        )
    Z1, Z2 = _pair(Z1, Z2, normalize)
    A, B = Z1.generators, Z2.generators
    size = max(len(A), len(B))
    d = Z1.ambient_dimension
    A = np.vstack([A, np.zeros((size - len(A), d))])
    B = np.vstack([B, np.zeros((size - len(B), d))])
    total = 0.0
    if size:
        check_cost(
            Cost(5 * 8.0 * size * size, 2e-9 * size * size * d + 1e-9 * float(size) ** 3),
            what=f"the matching of {size:,} generators in R^{d}",
            alternative="tropical.metrics.hausdorff_bracket(Z1, Z2) (certified bounds without a "
            "full assignment)",
            max_bytes=max_bytes,
            max_seconds=max_seconds,
        )
        from scipy.spatial.distance import cdist

        cost = cdist(A, B)  # (size, size): no (size, size, d) differences
        rows, cols = linear_sum_assignment(cost)
        total = float(cost[rows, cols].sum())
    if include_base:
        total += float(np.linalg.norm(Z1.base - Z2.base))
    return total


def compare_polytopes(P, Q, *, normalize: str = "none", directions=None, seed: int = 0) -> dict:
    """All metrics at once, for tables: a flat dict of floats (NaN where a metric is undefined).

    Keys: ``normalize``, ``hausdorff``, ``iou``, ``volume_ratio``, ``support_distance_l2``,
    ``support_distance_inf``, ``centroid_shift``, ``vertex_count_p``, ``vertex_count_q`` and
    ``generator_distance`` (NaN unless both are :class:`~tropical.zonotope.Zonotope`).
    """
    P, Q = _pair(P, Q, normalize)

    def guarded(function, *args, **kwargs):
        try:
            return function(*args, **kwargs)
        except DegenerateGeometryError:
            return float("nan")

    both_zonotopes = isinstance(P, Zonotope) and isinstance(Q, Zonotope)
    return {
        "normalize": normalize,
        "hausdorff": hausdorff(P, Q),
        "iou": guarded(iou, P, Q),
        "volume_ratio": guarded(volume_ratio, P, Q),
        "support_distance_l2": support_distance(P, Q, p=2, directions=directions, seed=seed),
        "support_distance_inf": support_distance(P, Q, p=np.inf, directions=directions, seed=seed),
        "centroid_shift": centroid_shift(P, Q),
        "vertex_count_p": vertex_count(P),
        "vertex_count_q": vertex_count(Q),
        "generator_distance": generator_distance(P, Q) if both_zonotopes else float("nan"),
    }
