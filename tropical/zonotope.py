"""Zonotopes: Minkowski sums of segments, with exact vertices that never expand the ``2^p`` subset sums.

A zonotope with base ``b`` (shape ``(d,)``) and generators ``g_1, ..., g_p`` (rows of a ``(p, d)`` array) is

    Z = b + [0, g_1] + ... + [0, g_p] = { b + lambda^T G : lambda in [0, 1]^p }.

Its vertices are the points ``b + sum_{<u, g_j> > 0} g_j`` for the directions ``u`` of the open cells of the
central hyperplane arrangement ``{u : <u, g_j> = 0}`` (Ziegler, *Lectures on Polytopes*, §7.3); a zonotope in
``R^d`` with ``p`` generators in general position has ``2 sum_{i<d} C(p-1, i)`` vertices, far fewer than
``2^p``. How they are found:

- ``d = 1``: the two extreme sums.
- ``d = 2``: every generator is oriented into the half-plane ``angle in [0, pi)`` (replacing ``[0, g]`` by
  ``g + [0, -g]`` moves the base), the generators are sorted by angle and the prefix sums are walked:
  ``O(p log p)`` and at most ``2p`` vertices, counter-clockwise.
- ``d >= 3``: every facet normal is the normal ``r`` of ``d - 1`` independent generators; the facet it
  selects is ``b + sum_{<r, g> > 0} g + Z({g : <r, g> = 0})``, a parallelotope in general position and a
  lower-dimensional zonotope (recursively) otherwise. The ``C(q, d - 1)`` candidate normals (``q`` merged
  generators) are counted first, and :class:`~tropical.errors.ComputationTooLargeError` is raised above
  ``max_candidates``.

Zero generators are dropped and parallel generators (same or opposite direction) are merged exactly before
any of this, so repeated or pruned (zero) generators cost nothing. A zonotope that is not full-dimensional
is handled in the coordinates of the linear span of its generators.

The Newton polytopes of one-hidden-layer ReLU networks are zonotopes (Zhang, Naitzat & Lim, ICML 2018,
§5; Alfarra et al., TPAMI 2022, arXiv:2002.08838): see :mod:`tropical.decision`.
"""

from __future__ import annotations

import math
import warnings
from functools import cached_property
from itertools import combinations

import numpy as np

from tropical._validation import float_array, read_only_state
from tropical.budget import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_SECONDS,
    Cost,
    check_cost,
    count_text,
    hull_cost,
    single_threaded,
    zonotope_vertex_cost,
)
from tropical.errors import ComputationTooLargeError
from tropical.hull import RELATIVE_TOLERANCE, affine_frame, unique_rows
from tropical.polytope import Polytope

__all__ = ["Zonotope", "ZonotopeHull", "zonotope_vertex_bound"]

#: Default limit on the number of candidate facet normals of the general-dimension vertex enumeration.
DEFAULT_MAX_CANDIDATES = 2_000_000
#: Largest number of generator d-subsets summed by the closed volume formula before Qhull is used.
MAX_VOLUME_SUBSETS = 2_000_000
_CHUNK_ENTRIES = 4_000_000
#: What works in every dimension when the vertices cannot be enumerated (quoted by the size errors).
ALTERNATIVES = (
    "measure without vertices: the support(directions) method of Zonotope and ZonotopeHull is exact in any "
    "dimension, tropical.metrics.hausdorff_bracket(A, B) brackets the Hausdorff distance (models accepted) "
    "and tropical.metrics.projected_polygons(...) gives exact 2-D projections."
)
#: A fixed generic direction used to orient generators canonically (no global RNG).
_REFERENCE = np.array([1.0, 0.5773502691896258, 0.3183098861837907, 0.2718281828459045, 0.1414213562373095])


def zonotope_vertex_bound(p: int, d: int) -> int:
    """Largest number of vertices of a zonotope with ``p`` generators in ``R^d``: ``2 sum_{i<d} C(p-1, i)``.

    Reached exactly when every ``d`` generators are linearly independent.
    """
    if p <= 0:
        return 1
    return 2 * sum(math.comb(p - 1, i) for i in range(min(d, p)))


def _directions(directions, d: int) -> np.ndarray:
    """Directions as an ``(m, d)`` float array (one direction may be given as a ``(d,)`` vector)."""
    u = np.atleast_2d(float_array(directions, "directions"))
    if u.ndim != 2 or u.shape[1] != d:
        raise ValueError(f"directions must be an (m, {d}) array, got shape {np.shape(directions)}")
    return u


def largest_singular_value(rows: np.ndarray) -> float:
    """``||rows||_2``, from the eigenvalues of the smaller Gram matrix (size ``min(n, d)``), single-threaded
    (:func:`tropical.budget.single_threaded`)."""
    if rows.size == 0:
        return 0.0
    from scipy.linalg import eigh

    with single_threaded():
        gram = rows @ rows.T if len(rows) <= rows.shape[1] else rows.T @ rows
        top = len(gram) - 1
        largest = float(eigh(gram, eigvals_only=True, subset_by_index=[top, top])[0])
    return float(np.sqrt(max(largest, 0.0)))


def _linear_map(basis, d: int) -> np.ndarray:
    basis = np.atleast_2d(float_array(basis, "basis"))
    if basis.ndim != 2 or basis.shape[1] != d or len(basis) == 0:
        raise ValueError(f"basis must be a (k, {d}) array with k >= 1 rows, got shape {basis.shape}")
    return basis


def _orient(generators: np.ndarray, norms: np.ndarray) -> np.ndarray:
    """Signs (+1/-1) that turn every generator into a canonical half-space of its line."""
    d = generators.shape[1]
    reference = _REFERENCE[:d] if d <= len(_REFERENCE) else np.linspace(1.0, 0.1, d) ** 1.5
    key = generators @ reference
    # generators nearly orthogonal to the reference: decide by the first clearly non-zero coordinate
    unclear = np.abs(key) <= 1e-6 * norms * np.linalg.norm(reference)
    if np.any(unclear):
        rows = generators[unclear]
        first = np.argmax(np.abs(rows) > 1e-6 * norms[unclear, None], axis=1)
        key = key.copy()
        key[unclear] = rows[np.arange(len(rows)), first]
    return np.where(key < 0, -1.0, 1.0)


def _merge_2d(generators: np.ndarray, base: np.ndarray, tolerance: float):
    """Merged 2-D generators sorted by angle in ``[-tol, pi - tol)`` and the adjusted base."""
    norms = np.hypot(generators[:, 0], generators[:, 1])
    keep = norms > tolerance * max(norms.max(initial=0.0), 1e-300)
    g = generators[keep]
    angle = np.arctan2(g[:, 1], g[:, 0])  # (-pi, pi]
    flip = (angle < -tolerance) | (angle >= np.pi - tolerance)
    base = base + g[flip].sum(axis=0)
    g = np.where(flip[:, None], -g, g)
    angle = np.where(flip, angle - np.copysign(np.pi, angle), angle)
    order = np.argsort(angle, kind="stable")
    g, angle = g[order], angle[order]
    if len(g) == 0:
        return g, base
    starts = np.flatnonzero(np.concatenate([[True], np.diff(angle) > tolerance]))
    return np.add.reduceat(g, starts, axis=0), base


def _merge_nd(generators: np.ndarray, base: np.ndarray, tolerance: float):
    """Drop zero generators and merge parallel ones (any dimension); returns (generators, base)."""
    norms = np.linalg.norm(generators, axis=1)
    keep = norms > tolerance * max(norms.max(initial=0.0), 1e-300)
    g, norms = generators[keep], norms[keep]
    if len(g) == 0:
        return g, base
    signs = _orient(g, norms)
    base = base + g[signs < 0].sum(axis=0)
    g = g * signs[:, None]
    _, groups = unique_rows(g / norms[:, None], tolerance * 10)
    merged = np.zeros((groups.max() + 1, g.shape[1]))
    np.add.at(merged, groups, g)
    return merged, base


def _vertices_2d(generators: np.ndarray, base: np.ndarray) -> np.ndarray:
    """Counter-clockwise vertices from merged generators sorted by angle in a half-open range of length pi."""
    q = len(generators)
    if q == 0:
        return base[None].copy()
    prefix = base + np.cumsum(generators, axis=0)
    if q == 1:
        return np.vstack([base, prefix])
    top = prefix[-1]
    return np.vstack([base, prefix, top - np.cumsum(generators[:-1], axis=0)])


def _null_vectors(blocks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unit normals of ``(n, k-1, k)`` stacks of rows and the ratio of their smallest singular values."""
    k = blocks.shape[2]
    if k == 3:
        normal = np.cross(blocks[:, 0], blocks[:, 1])
        size = np.linalg.norm(normal, axis=1)
        scale = np.linalg.norm(blocks[:, 0], axis=1) * np.linalg.norm(blocks[:, 1], axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return normal / np.where(size > 0, size, 1.0)[:, None], size / scale
    _, singular, vt = np.linalg.svd(blocks, full_matrices=True)
    return vt[:, -1, :], singular[:, -1] / singular[:, 0]


def _orthogonal_complement(normal: np.ndarray) -> np.ndarray:
    """Orthonormal rows ``(k - 1, k)`` spanning the hyperplane orthogonal to the unit vector ``normal``."""
    return np.linalg.svd(normal[None, :], full_matrices=True)[2][1:]


def _vertices_general(generators, base, tolerance, max_candidates, max_bytes, max_seconds):
    """Vertices of a full-dimensional zonotope in ``R^k`` (``k >= 3``) from its facet normals."""
    q, k = generators.shape
    n_subsets = math.comb(q, k - 1)
    cost = zonotope_vertex_cost(q, k)
    what = (
        f"the vertices of a zonotope with {q} distinct generator directions spanning R^{k} "
        f"({count_text(n_subsets)} candidate facets, "
        f"up to {count_text(zonotope_vertex_bound(q, k))} vertices)"
    )
    if n_subsets > max_candidates:
        raise ComputationTooLargeError(
            f"{what}: {count_text(n_subsets)} candidate facets is above max_candidates={max_candidates:,}. "
            f"Instead: {ALTERNATIVES}",
            estimate=float(n_subsets),
            limit=float(max_candidates),
        )
    check_cost(cost, what=what, max_bytes=max_bytes, max_seconds=max_seconds, alternative=ALTERNATIVES)
    if k == 3:
        subsets = np.column_stack(np.triu_indices(q, 1))
    else:
        subsets = np.array(list(combinations(range(q), k - 1)), dtype=np.int64).reshape(-1, k - 1)
    normals, independence = _null_vectors(generators[subsets])
    good = independence > 1e-9
    normals, subsets = normals[good], subsets[good]
    norms = np.linalg.norm(generators, axis=1)
    # A generator lies in a candidate hyperplane when |<r, g>| <= coplanar |g|. The same threshold dedupes the
    # hyperplanes, so two subsets give one hyperplane only when every generator of both lies in it. Far below
    # the final vertex tolerance: a facet treated as degenerate moves its vertices by at most coplanar * |g|.
    coplanar = tolerance * 1e-3
    # one normal per facet pair (r, -r): canonical sign, then dedupe hyperplanes
    normals = normals * _orient(normals, np.ones(len(normals)))[:, None]
    first, _ = unique_rows(normals, coplanar)
    normals, subsets = normals[first], subsets[first]
    corners = np.array(list(np.ndindex(*(2,) * (k - 1))), dtype=float)  # (2^(k-1), k-1)
    candidates = []
    chunk = max(1, _CHUNK_ENTRIES // max(q, 1))
    for start in range(0, len(normals), chunk):
        r = normals[start : start + chunk]
        sub = subsets[start : start + chunk]
        products = r @ generators.T  # (c, q)
        zero = np.abs(products) <= coplanar * norms
        generic = zero.sum(axis=1) == k - 1
        for sign in (1.0, -1.0):
            positive = (sign * products > 0) & ~zero
            corner_sum = positive @ generators + base  # (c, k)
            # general position: the facet is a parallelotope on the k-1 generators of the subset
            face = generators[sub[generic]]  # (g, k-1, k)
            candidates.append(
                (corner_sum[generic][:, None, :] + np.einsum("ca,gak->gck", corners, face)).reshape(-1, k)
            )
            # degenerate facets: a lower-dimensional zonotope, recursively
            for row in np.flatnonzero(~generic):
                # in the facet's hyperplane (k - 1 coordinates): the recursion always lowers the dimension
                # (members within the tolerance of the hyperplane would otherwise span R^k again)
                plane = _orthogonal_complement(r[row])
                local = Zonotope(generators[zero[row]] @ plane.T, tolerance=tolerance)
                limits = {
                    "max_candidates": max_candidates,
                    "max_bytes": max_bytes,
                    "max_seconds": max_seconds,
                }
                inner = local.enumerate_vertices(**limits) @ plane
                candidates.append(corner_sum[row] + inner)
    points = np.vstack(candidates)
    representatives, _ = unique_rows(points, tolerance)  # every facet vertex is a vertex of Z
    return points[np.sort(representatives)]


def _read_only(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array


class _Vertices(np.ndarray):
    """A read-only vertex array that can still be called like the former method ``vertices()``.

    ``Z.vertices`` is an attribute now, as on :class:`~tropical.polytope.Polytope`; ``Z.vertices()`` and
    ``Z.vertices(max_bytes=...)`` keep working for one release, with a DeprecationWarning. Arithmetic on it
    gives plain arrays.
    """

    _enumerate = None

    @classmethod
    def of(cls, vertices: np.ndarray, enumerate_vertices) -> _Vertices:
        array = np.asarray(vertices).view(cls)
        array._enumerate = enumerate_vertices
        array.setflags(write=False)
        return array

    def __call__(self, **limits) -> np.ndarray:
        warnings.warn(
            "vertices is an attribute now, as on Polytope: write Z.vertices, or Z.enumerate_vertices(...) to "
            "give limits",
            DeprecationWarning,
            stacklevel=2,
        )
        if limits and self._enumerate is not None:
            return self._enumerate(**limits)
        return self.view(np.ndarray)

    def __array_wrap__(self, array, context=None, return_scalar=False):
        if return_scalar:
            return array[()]
        return array.view(np.ndarray) if isinstance(array, np.ndarray) else array

    def __repr__(self) -> str:
        return repr(self.view(np.ndarray))


class Zonotope:
    """A zonotope ``base + [0, g_1] + ... + [0, g_p]`` given by its generators.

    Parameters
    ----------
    generators : array_like, shape (p, d)
        One generator per row; zero and parallel rows are allowed (they are merged exactly). ``p = 0`` is a
        single point. Torch tensors are accepted.
    base : array_like, shape (d,), optional
        The vertex ``lambda = 0``; zeros by default.

    Attributes
    ----------
    generators : ndarray, shape (p, d)
        The generators as given (float64, not merged), read-only like every array of the zonotope: a changed
        zonotope is a new ``Zonotope`` (:meth:`scaled`, :meth:`translated`).
    base : ndarray, shape (d,)
    vertices : ndarray, shape (v, d)
        Read-only (see :meth:`enumerate_vertices`).
    centroid : ndarray, shape (d,)
        ``base + sum(g) / 2``, the centre of symmetry.
    dimension : int
        Dimension of the affine hull (rank of the generators), as :attr:`Polytope.dimension`.
    ambient_dimension : int
        ``d``.

    Notes
    -----
    The Newton polytopes of one-hidden-layer ReLU networks are zonotopes (Zhang, Naitzat & Lim, ICML 2018;
    Alfarra et al., TPAMI 2022, arXiv:2002.08838); see :func:`tropical.decision_zonotopes`. Misiakos et al.
    (ICLR 2022) bound the Hausdorff distance of two zonotopes by the matched generator distance, see
    :func:`tropical.metrics.generator_distance`.

    Examples
    --------
    >>> square = Zonotope([[1, 0], [0, 1]])
    >>> square.vertices
    array([[0., 0.],
           [1., 0.],
           [1., 1.],
           [0., 1.]])
    >>> Zonotope([[1, 0], [0, 1], [1, 1]]).volume  # a hexagon: |1| + |1| + |-1|
    3.0
    >>> float(Zonotope([[2, 0], [-1, 0]]).support([1.0, 0.0]))  # [0, 2] + [-1, 0] = [-1, 2]
    2.0
    """

    def __init__(self, generators, base=None, *, tolerance: float = RELATIVE_TOLERANCE):
        generators = float_array(generators, "generators")
        if generators.ndim == 1 and base is not None:
            generators = generators.reshape(-1, len(np.atleast_1d(float_array(base, "base"))))
        if generators.ndim != 2:
            raise ValueError(f"generators must be a (p, d) array, got shape {generators.shape}")
        d = generators.shape[1]
        if d == 0:
            raise ValueError("generators must have at least one column (d >= 1)")
        base = np.zeros(d) if base is None else float_array(base, "base").reshape(-1)
        if base.shape != (d,):
            raise ValueError(f"base must have shape ({d},) to match generators, got {base.shape}")
        if not tolerance > 0:
            raise ValueError(f"tolerance must be positive, got {tolerance!r}")
        self._generators = _read_only(np.array(generators, dtype=np.float64))  # a copy: the caller's is free
        self._base = _read_only(np.array(base, dtype=np.float64))
        self._tolerance = float(tolerance)

    __setstate__ = read_only_state

    @property
    def generators(self) -> np.ndarray:
        """The generators as given, shape (p, d), read-only."""
        return self._generators

    @property
    def base(self) -> np.ndarray:
        """The vertex ``lambda = 0``, shape (d,), read-only."""
        return self._base

    @property
    def ambient_dimension(self) -> int:
        """``d``."""
        return self._generators.shape[1]

    @property
    def tolerance(self) -> float:
        """Relative tolerance of merging and rank decisions."""
        return self._tolerance

    def __repr__(self) -> str:
        return f"Zonotope(generators={len(self.generators)}, ambient_dimension={self.ambient_dimension})"

    def __len__(self) -> int:
        return len(self.generators)

    # ------------------------------------------------------------------------------------ structure
    @cached_property
    def reduced(self) -> Zonotope:
        """The same zonotope with zero generators dropped and parallel ones merged.

        Generators are oriented canonically (``[0, g] = g + [0, -g]`` moves the base); in 2-D they are
        sorted by angle.
        """
        if self.ambient_dimension == 2:
            g, base = _merge_2d(self.generators, self.base, self.tolerance)
        else:
            g, base = _merge_nd(self.generators, self.base, self.tolerance)
        return Zonotope(g, base, tolerance=self.tolerance)

    @cached_property
    def centroid(self) -> np.ndarray:
        """Centre of mass, shape (d,), read-only: the centre of symmetry ``base + sum(g) / 2``."""
        return _read_only(self.base + self.generators.sum(axis=0) / 2)

    @cached_property
    def diameter(self) -> float:
        """Largest distance between two points, ``2 max_v |v - centroid|`` (a zonotope is centrally symmetric:
        the farthest point from a vertex ``v`` is ``2 centroid - v``), as :attr:`Polytope.diameter`."""
        return float(2 * np.linalg.norm(np.asarray(self.vertices) - self.centroid, axis=1).max())

    @property
    def center(self) -> np.ndarray:
        """Deprecated spelling of :attr:`centroid` (the same point)."""
        warnings.warn("Zonotope.center is renamed Zonotope.centroid, as on Polytope", DeprecationWarning, 2)
        return self.centroid

    @cached_property
    def dimension(self) -> int:
        """Dimension of the affine hull (rank of the generator matrix), as :attr:`Polytope.dimension`."""
        reduced = self.reduced.generators
        if len(reduced) == 0:
            return 0
        with single_threaded():  # an SVD of up to (p + 1) x d: threads only lose on a shared machine
            return affine_frame(
                np.vstack([np.zeros(self.ambient_dimension), reduced]), self.tolerance
            ).dimension

    def translated(self, offset) -> Zonotope:
        """The zonotope moved by ``offset`` (shape (d,))."""
        return Zonotope(self.generators, self.base + float_array(offset, "offset"), tolerance=self.tolerance)

    def scaled(self, factor: float, *, about=None) -> Zonotope:
        """The zonotope scaled by ``factor`` about ``about`` (default: the origin)."""
        centre = np.zeros(self.ambient_dimension) if about is None else float_array(about, "about")
        return Zonotope(
            factor * self.generators, centre + factor * (self.base - centre), tolerance=self.tolerance
        )

    # ------------------------------------------------------------------------------------- vertices
    @cached_property
    def vertices(self) -> np.ndarray:
        """The vertices, shape (v, d), read-only: :meth:`enumerate_vertices` with the default limits.

        Counter-clockwise in 2-D, starting at the lowest vertex (after orientation); in other dimensions in
        no particular order.
        """
        return _Vertices.of(self.enumerate_vertices(), self.enumerate_vertices)

    def enumerate_vertices(
        self,
        *,
        max_candidates: int = DEFAULT_MAX_CANDIDATES,
        max_bytes: float = DEFAULT_MAX_BYTES,
        max_seconds: float = DEFAULT_MAX_SECONDS,
    ) -> np.ndarray:
        """The vertices, exactly, without expanding the ``2^p`` subset sums.

        Parameters
        ----------
        max_candidates : int
            Limit on the number of candidate facet normals in dimension >= 3 (``C(q, d - 1)`` for ``q``
            distinct generator directions in the span of dimension ``d``).
        max_bytes, max_seconds : float
            Limits on the estimated peak memory and running time (:mod:`tropical.budget`), checked before
            anything is allocated: every candidate facet brings ``2^d`` candidate points.

        Returns
        -------
        ndarray, shape (v, d)
            Counter-clockwise in 2-D, starting at the lowest vertex (after orientation); in other
            dimensions in no particular order.

        Raises
        ------
        ComputationTooLargeError
            When the number of candidate facets, the memory or the time is above its limit; the message
            names what works instead (:meth:`support`, :meth:`projected`,
            :func:`tropical.metrics.hausdorff_bracket`).
        """
        reduced = self.reduced
        g, base = reduced.generators, reduced.base
        d = self.ambient_dimension
        if d == 2:
            return _vertices_2d(g, base)
        if len(g) == 0:
            return base[None].copy()
        if d == 1:
            return np.array([base + g[g < 0].sum(), base + g[g > 0].sum()]).reshape(2, 1)
        frame = affine_frame(np.vstack([np.zeros(d), g]), self.tolerance)
        k = frame.dimension
        if k == d:
            local, local_base, basis = g, base, None
        else:  # work in the linear span of the generators
            basis = frame.basis
            local, local_base = g @ basis.T, np.zeros(k)
        if k == 1:
            values = local[:, 0]
            points = np.array([[values[values < 0].sum()], [values[values > 0].sum()]])
        elif k == 2:
            merged, shifted = _merge_2d(local, local_base, self.tolerance)
            points = _vertices_2d(merged, shifted)
        else:
            points = _vertices_general(
                local, local_base, self.tolerance, max_candidates, max_bytes, max_seconds
            )
        if basis is None:
            return points
        return base + points @ basis

    def vertex_cost(self) -> Cost:
        """Estimated peak memory and time of :meth:`vertices` (see :mod:`tropical.budget`)."""
        return zonotope_vertex_cost(len(self.reduced), self.dimension)

    def to_polytope(
        self,
        *,
        max_candidates: int = DEFAULT_MAX_CANDIDATES,
        max_bytes: float = DEFAULT_MAX_BYTES,
        max_seconds: float = DEFAULT_MAX_SECONDS,
    ) -> Polytope:
        """The zonotope as a :class:`~tropical.polytope.Polytope` (built from :meth:`vertices`).

        The limits bound the vertex enumeration and the convex hull that :class:`Polytope` computes.
        """
        vertices = self.enumerate_vertices(
            max_candidates=max_candidates, max_bytes=max_bytes, max_seconds=max_seconds
        )
        check_cost(
            hull_cost(len(vertices), self.dimension),
            what=f"the convex hull of {len(vertices):,} zonotope vertices in dimension {self.dimension}",
            max_bytes=max_bytes,
            max_seconds=max_seconds,
            alternative=ALTERNATIVES,
        )
        return Polytope(vertices)

    def projected(self, basis) -> Zonotope:
        """The image under the linear map ``x -> basis @ x``: the zonotope of the mapped generators.

        Parameters
        ----------
        basis : array_like, shape (k, d)
            Rows spanning the target space; orthonormal rows give the orthogonal projection onto their span
            in its own coordinates (``k = 2``: an exact Newton polygon of a high-dimensional zonotope).

        Returns
        -------
        Zonotope
            In ``R^k``: ``basis @ base + [0, basis @ g_1] + ...``. Exact (Ziegler, *Lectures on Polytopes*,
            §7.3: a linear image of a zonotope is the zonotope of the images of its generators).

        Examples
        --------
        >>> cube = Zonotope([[1, 0, 0], [0, 1, 0], [0, 0, 1]])
        >>> cube.projected([[1, 0, 0], [0, 1, 0]]).vertices
        array([[0., 0.],
               [1., 0.],
               [1., 1.],
               [0., 1.]])
        """
        basis = _linear_map(basis, self.ambient_dimension)
        return Zonotope(self.generators @ basis.T, basis @ self.base, tolerance=self.tolerance)

    # ----------------------------------------------------------------------------- closed formulas
    def support(self, directions) -> np.ndarray:
        """Support function ``h(u) = <u, base> + sum_j max(0, <u, g_j>)`` for a batch of directions.

        Parameters
        ----------
        directions : array_like, shape (m, d) or (d,)

        Returns
        -------
        ndarray, shape (m,) (or a float for one direction)
        """
        directions = float_array(directions, "directions")
        single = directions.ndim == 1
        u = np.atleast_2d(directions)
        if u.shape[1] != self.ambient_dimension:
            raise ValueError(f"directions must have {self.ambient_dimension} columns, got shape {u.shape}")
        g = self.reduced.generators
        base = self.reduced.base
        values = u @ base
        chunk = max(1, _CHUNK_ENTRIES // max(len(g), 1))
        for start in range(0, len(u), chunk):
            values[start : start + chunk] += np.maximum(u[start : start + chunk] @ g.T, 0.0).sum(axis=1)
        return float(values[0]) if single else values

    def support_points(self, directions) -> np.ndarray:
        """A point of the zonotope maximising ``<u, x>`` for every direction ``u`` (a vertex for generic
        ``u``): ``base + sum_{<u, g_j> > 0} g_j``, the gradient of :meth:`support` at ``u``.

        Parameters
        ----------
        directions : array_like, shape (m, d)

        Returns
        -------
        ndarray, shape (m, d)
        """
        u = _directions(directions, self.ambient_dimension)
        g = self.generators
        points = np.empty_like(u)
        chunk = max(1, _CHUNK_ENTRIES // max(len(g), 1))
        for start in range(0, len(u), chunk):
            block = u[start : start + chunk]
            points[start : start + chunk] = self.base + (block @ g.T > 0) @ g
        return points

    @cached_property
    def radius(self) -> float:
        """An upper bound of ``max_{x in Z} |x - center|``: ``min(sum_j |g_j|, sqrt(p) ||G||_2) / 2``.

        ``max_x |x - c| = max_{s in {-1, 1}^p} |G^T s| / 2``; the first bound is the triangle inequality, the
        second ``|G^T s| <= ||G||_2 |s|``. It is the Lipschitz constant of the support function of the
        centred zonotope.
        """
        g = self.generators
        if len(g) == 0:
            return 0.0
        spectral = largest_singular_value(g) * np.sqrt(len(g))
        return float(min(np.linalg.norm(g, axis=1).sum(), spectral) / 2)

    @cached_property
    def volume(self) -> float:
        """``d``-volume by the closed formula ``sum over d-subsets S of |det G_S|`` (area in 2-D).

        In 2-D the sum over pairs is computed from angle-sorted generators with prefix sums (``O(p log p)``:
        after orientation every ``det(g_i, g_j)`` with ``i < j`` is non-negative). In higher dimension the
        ``C(q, d)`` determinants of the ``q`` merged generators are summed when there are at most
        ``MAX_VOLUME_SUBSETS`` of them, otherwise Qhull's volume of :meth:`vertices` is returned. Zero when
        the generators do not span ``R^d``. (Shephard 1974; Ziegler, *Lectures on Polytopes*, Ex. 7.19.)
        """
        g = self.reduced.generators
        d = self.ambient_dimension
        if len(g) < d:
            return 0.0
        if d == 1:
            return float(np.abs(g).sum())
        if d == 2:
            before = np.cumsum(g, axis=0) - g  # sum of the generators earlier in angle order
            return float(np.sum(before[:, 0] * g[:, 1] - before[:, 1] * g[:, 0]))
        if math.comb(len(g), d) > MAX_VOLUME_SUBSETS:
            return self.to_polytope().volume
        subsets = np.array(list(combinations(range(len(g)), d)), dtype=np.int64)
        total = 0.0
        chunk = 200_000
        for start in range(0, len(subsets), chunk):
            total += float(np.abs(np.linalg.det(g[subsets[start : start + chunk]])).sum())
        return total


class ZonotopeHull:
    """The convex hull of a union of zonotopes, ``conv(Z_1 ∪ ... ∪ Z_k)``, measured without its vertices.

    The decision polytope of a one-hidden-layer classifier is ``conv(Z1 ∪ Z2)`` (see
    :func:`tropical.decision_hull`); in tens or hundreds of input dimensions it has astronomically many
    vertices, but its support function ``h(u) = max_i h_{Z_i}(u)`` is exact and cheap, which is all the
    Hausdorff bracket (:func:`tropical.metrics.hausdorff_bracket`) and the projections need.

    Parameters
    ----------
    *zonotopes : Zonotope
        At least one, all in the same ambient dimension.

    Attributes
    ----------
    zonotopes : tuple of Zonotope
    ambient_dimension : int

    Examples
    --------
    >>> hull = ZonotopeHull(Zonotope([[1, 0]]), Zonotope([[0, 1]]))  # two unit segments from the origin
    >>> hull.support([[1.0, 1.0], [-1.0, 0.0]])
    array([1., 0.])
    >>> hull.vertices
    array([[0., 0.],
           [1., 0.],
           [0., 1.]])
    """

    def __init__(self, *zonotopes: Zonotope):
        if not zonotopes:
            raise ValueError("ZonotopeHull needs at least one Zonotope")
        for index, zonotope in enumerate(zonotopes):
            if not isinstance(zonotope, Zonotope):
                raise TypeError(f"argument {index} must be a Zonotope, got {type(zonotope).__name__}")
        dimensions = {zonotope.ambient_dimension for zonotope in zonotopes}
        if len(dimensions) != 1:
            raise ValueError(f"the zonotopes live in different dimensions: {sorted(dimensions)}")
        self.zonotopes = tuple(zonotopes)
        self.ambient_dimension = dimensions.pop()
        self._shared: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    @classmethod
    def _from_scaled_rows(cls, rows: np.ndarray, weights: np.ndarray, bases: np.ndarray) -> ZonotopeHull:
        """``conv(∪_k Z(Diag(weights_k) rows) + bases_k)`` with non-negative ``weights`` (k, p): the support
        function then needs one product ``U @ rows.T`` for all members (decision polytopes)."""
        hull = cls(*(Zonotope(w[:, None] * rows, base) for w, base in zip(weights, bases, strict=True)))
        if np.all(weights >= 0):
            hull._shared = (rows, weights, bases)
        return hull

    def __repr__(self) -> str:
        sizes = ", ".join(str(len(zonotope)) for zonotope in self.zonotopes)
        return f"ZonotopeHull(generators=({sizes}), ambient_dimension={self.ambient_dimension})"

    def _member_supports(self, u: np.ndarray) -> np.ndarray:
        """``h_{Z_i}(u)`` for every member and direction, shape (k, m)."""
        if self._shared is None:
            return np.array([zonotope.support(u) for zonotope in self.zonotopes])
        rows, weights, bases = self._shared
        values = np.empty((len(weights), len(u)))
        chunk = max(1, _CHUNK_ENTRIES // max(len(rows), 1))
        for start in range(0, len(u), chunk):
            block = u[start : start + chunk]
            positive = np.maximum(block @ rows.T, 0.0)  # one product for all members
            values[:, start : start + chunk] = (positive @ weights.T + block @ bases.T).T
        return values

    def support(self, directions) -> np.ndarray:
        """``h(u) = max_i h_{Z_i}(u)`` for a batch of directions, shape (m,) (a float for one ``(d,)``)."""
        values = self._member_supports(_directions(directions, self.ambient_dimension)).max(axis=0)
        return float(values[0]) if np.ndim(directions) == 1 else values

    def support_points(self, directions) -> np.ndarray:
        """A maximiser of ``<u, x>`` over the hull for every direction, shape (m, d) (see
        :meth:`Zonotope.support_points`)."""
        u = _directions(directions, self.ambient_dimension)
        best = np.argmax(self._member_supports(u), axis=0)
        points = np.empty_like(u)
        for index, zonotope in enumerate(self.zonotopes):
            chosen = best == index
            if chosen.any():
                points[chosen] = zonotope.support_points(u[chosen])
        return points

    def projected(self, basis) -> ZonotopeHull:
        """The image under ``x -> basis @ x`` (exact: the hull of the projected zonotopes), see
        :meth:`Zonotope.projected`."""
        if self._shared is not None:
            rows, weights, bases = self._shared
            basis = _linear_map(basis, self.ambient_dimension)
            return ZonotopeHull._from_scaled_rows(rows @ basis.T, weights, bases @ basis.T)
        return ZonotopeHull(*(zonotope.projected(basis) for zonotope in self.zonotopes))

    @cached_property
    def vertices(self) -> np.ndarray:
        """The vertices of the hull, shape (v, d), read-only: :meth:`enumerate_vertices` with the default
        limits (counter-clockwise in 2-D)."""
        return _Vertices.of(self.enumerate_vertices(), self.enumerate_vertices)

    @cached_property
    def centroid(self) -> np.ndarray:
        """Centre of mass of the hull, shape (d,), read-only (:attr:`Polytope.centroid` of its vertices)."""
        return self.to_polytope().centroid

    @cached_property
    def diameter(self) -> float:
        """Largest distance between two points of the hull (:attr:`Polytope.diameter` of its vertices)."""
        return self.to_polytope().diameter

    @cached_property
    def dimension(self) -> int:
        """Dimension of the affine hull of the union, as :attr:`Polytope.dimension`."""
        points = np.vstack([np.vstack([Z.base, Z.base + Z.generators]) for Z in self.zonotopes])
        return affine_frame(points, self.zonotopes[0].tolerance).dimension

    def enumerate_vertices(
        self,
        *,
        max_candidates: int = DEFAULT_MAX_CANDIDATES,
        max_bytes: float = DEFAULT_MAX_BYTES,
        max_seconds: float = DEFAULT_MAX_SECONDS,
    ) -> np.ndarray:
        """The vertices of the hull, shape (v, d) (counter-clockwise in 2-D), when affordable.

        The vertices of every zonotope are enumerated (:meth:`Zonotope.enumerate_vertices`), then the convex
        hull of all of them is taken. Both steps are estimated first (:mod:`tropical.budget`).

        Raises
        ------
        ComputationTooLargeError
            With the estimate, the limit and what works instead.
        """
        return self.to_polytope(
            max_candidates=max_candidates, max_bytes=max_bytes, max_seconds=max_seconds
        ).vertices

    def to_polytope(
        self,
        *,
        max_candidates: int = DEFAULT_MAX_CANDIDATES,
        max_bytes: float = DEFAULT_MAX_BYTES,
        max_seconds: float = DEFAULT_MAX_SECONDS,
    ) -> Polytope:
        """The hull as a :class:`~tropical.polytope.Polytope`, with the limits of :meth:`vertices`."""
        limits = {"max_candidates": max_candidates, "max_bytes": max_bytes, "max_seconds": max_seconds}
        # every estimate before any enumeration: a refusal never comes after minutes of work
        total = sum(self._vertex_bounds())
        dimension = max(zonotope.dimension for zonotope in self.zonotopes)
        hull = hull_cost(total, self.ambient_dimension if dimension else 0)
        enumerations = [zonotope.vertex_cost() for zonotope in self.zonotopes]
        cost = hull
        for enumeration in enumerations:
            cost = cost + enumeration
        check_cost(
            cost,
            what=(
                f"the vertices of the convex hull of {len(self.zonotopes)} zonotopes in "
                f"R^{self.ambient_dimension} (up to {count_text(total)} candidate vertices)"
            ),
            max_bytes=max_bytes,
            max_seconds=max_seconds,
            alternative=ALTERNATIVES,
        )
        points = np.vstack([zonotope.enumerate_vertices(**limits) for zonotope in self.zonotopes])
        return Polytope(points)

    def _vertex_bounds(self) -> list[int]:
        """Upper bounds of the vertex counts of the zonotopes (:func:`zonotope_vertex_bound`)."""
        return [
            zonotope_vertex_bound(len(zonotope.reduced), zonotope.dimension) for zonotope in self.zonotopes
        ]
