"""Convex polytopes given by points: vertices, facets, volume, support function.

A :class:`Polytope` is built from any finite point set (its convex hull); it may be lower-dimensional
(a segment in the plane, a flat polygon in 3-D). ``volume`` is always the ``d``-volume in the ambient
dimension (zero for a flat polytope); ``relative_volume`` is the volume inside the affine hull.

Vertices, flatness and coinciding points are decided relative to the extent of the point set, as written in
``docs/tolerances.md``: points on faces or edges of the hull of the others (up to rounding) are not
vertices. All arrays are read-only, so that cached answers (volume, facets) stay those of the vertices.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np
from scipy.linalg import null_space
from scipy.spatial import ConvexHull, QhullError

from tropical._validation import diameter, float_array, read_only_state
from tropical.errors import DegenerateGeometryError
from tropical.hull import RELATIVE_TOLERANCE, affine_frame, convex_hull_vertices, unique_rows

__all__ = ["Polytope"]


def _read_only(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array


class Polytope:
    """The convex hull of a finite point set, in any dimension.

    Parameters
    ----------
    points : array_like, shape (n, d)
        Points whose convex hull is the polytope; repeated and interior points are allowed. Torch tensors
        are accepted.

    Attributes
    ----------
    vertices : ndarray, shape (v, d)
        The vertices; counter-clockwise in 2-D (in the affine hull's frame when the polygon is flat).
        Read-only, like every array of the polytope: a changed polytope is a new ``Polytope``.
    dimension : int
        Dimension of the affine hull (0 for a point, 1 for a segment, ...).
    centroid : ndarray, shape (d,)
        Centre of mass (read-only).
    ambient_dimension : int
        ``d``.

    Examples
    --------
    >>> square = Polytope([[0, 0], [1, 0], [1, 1], [0, 1], [0.5, 0.5]])
    >>> len(square.vertices), square.volume, square.dimension
    (4, 1.0, 2)
    >>> Polytope([[0, 0], [2, 2], [1, 1]]).volume  # a segment has no area
    0.0
    """

    def __init__(self, points):
        points = float_array(points, "points")
        if points.ndim != 2 or len(points) == 0:
            raise ValueError(f"points must be a non-empty (n, d) array, got shape {points.shape}")
        self._ambient_dimension = points.shape[1]
        self._vertices = points[convex_hull_vertices(points)]
        self._vertices.setflags(write=False)  # the cached volume, facets... stay those of the vertices
        self._frame = affine_frame(self._vertices)

    __setstate__ = read_only_state

    @property
    def vertices(self) -> np.ndarray:
        """The vertices, shape (v, d), read-only."""
        return self._vertices

    @property
    def dimension(self) -> int:
        """Dimension of the affine hull."""
        return self._frame.dimension

    @property
    def ambient_dimension(self) -> int:
        """``d``."""
        return self._ambient_dimension

    def __repr__(self) -> str:
        return (
            f"Polytope(dimension={self.dimension}, ambient_dimension={self.ambient_dimension}, "
            f"vertices={len(self.vertices)})"
        )

    @cached_property
    def _hull(self) -> ConvexHull | None:
        """Qhull of the vertices in the affine hull's coordinates (None below dimension 2)."""
        if self.dimension < 2:
            return None
        coordinates = self._frame.coordinates(self.vertices)
        for options in (None, "QJ"):  # Qhull's joggle (1e-11 of the extent) where a merge fails
            try:
                return ConvexHull(coordinates, qhull_options=options)
            except QhullError:
                continue
        raise DegenerateGeometryError(
            f"Qhull cannot build the facets of this {self.dimension}-dimensional polytope with "
            f"{len(self.vertices)} vertices, even with a joggle; its vertices are exact, and "
            "Polytope(points + noise) with noise of about 1e-9 of the diameter gives facets and volume"
        )

    @cached_property
    def equations(self) -> np.ndarray:
        """Facets as rows ``[normal, offset]`` with unit ``normal``: ``normal @ x + offset <= 0`` inside.

        Shape ``(f, d + 1)``. For a flat polytope the normals lie in its affine hull; the equalities that
        define the affine hull are in :attr:`affine_equations`.
        """
        basis, origin = self._frame.basis, self._frame.origin
        if self.dimension == 0:
            return _read_only(np.zeros((0, self.ambient_dimension + 1)))
        if self.dimension == 1:
            coordinates = self._frame.coordinates(self.vertices)[:, 0]
            local = np.array([[1.0, -coordinates.max()], [-1.0, coordinates.min()]])
        else:
            # Qhull's triangles of one facet have the same equation (up to rounding): one row per facet
            local = self._hull.equations
            extent = max(float(np.ptp(self._frame.coordinates(self.vertices), axis=0).max()), 1e-300)
            first, _ = unique_rows(
                np.column_stack([local[:, :-1], local[:, -1] / extent]), 10 * RELATIVE_TOLERANCE
            )
            local = local[np.sort(first)]
        normals = local[:, :-1] @ basis
        return _read_only(np.column_stack([normals, local[:, -1] - normals @ origin]))

    @cached_property
    def affine_equations(self) -> np.ndarray:
        """Equalities ``normal @ x + offset == 0`` of the affine hull, shape (d - k, d + 1)."""
        normals = null_space(self._frame.basis).T if self.dimension else np.eye(self.ambient_dimension)
        return _read_only(np.column_stack([normals, -normals @ self._frame.origin]))

    @cached_property
    def relative_volume(self) -> float:
        """Volume inside the affine hull (length of a segment, area of a flat polygon; 1 for a point)."""
        if self.dimension == 0:
            return 1.0
        if self.dimension == 1:
            return float(np.ptp(self._frame.coordinates(self.vertices)[:, 0]))
        return float(self._hull.volume)

    @property
    def volume(self) -> float:
        """``d``-dimensional volume (area in 2-D); zero when the polytope is flat."""
        return self.relative_volume if self.dimension == self.ambient_dimension else 0.0

    @cached_property
    def centroid(self) -> np.ndarray:
        """Centre of mass of the polytope as a solid in its affine hull, shape (d,)."""
        if self.dimension <= 1:
            return _read_only(self.vertices.mean(axis=0))
        coordinates = self._frame.coordinates(self.vertices)
        inner = coordinates.mean(axis=0)
        simplices = coordinates[self._hull.simplices]  # (f, k, k): facets coned to an inner point
        edges = simplices - inner
        volumes = np.abs(np.linalg.det(edges))
        centres = (simplices.sum(axis=1) + inner) / (self.dimension + 1)
        return _read_only(self._frame.embed((volumes @ centres / volumes.sum())[None])[0])

    @cached_property
    def diameter(self) -> float:
        """Largest distance between two vertices (``O(v log v)`` in 2-D, blocks of pairs otherwise)."""
        return diameter(self.vertices)

    @property
    def reduced(self) -> Polytope:
        """The polytope described without redundancy: itself, since only its vertices are kept (for the
        protocol shared with :attr:`Zonotope.reduced`, whose generators are merged)."""
        return self

    def support(self, directions) -> np.ndarray:
        """Support function ``h(u) = max_v <u, v>`` for a batch of directions.

        Parameters
        ----------
        directions : array_like, shape (m, d) or (d,)

        Returns
        -------
        ndarray, shape (m,) (or a float for one direction)
        """
        directions = np.asarray(directions, dtype=float)
        values = (np.atleast_2d(directions) @ self.vertices.T).max(axis=1)
        return values if directions.ndim == 2 else float(values[0])

    def contains(self, points, tolerance: float = 1e-9) -> np.ndarray:
        """Whether each point lies in the polytope (up to ``tolerance`` times the diameter), shape (n,)."""
        points = np.atleast_2d(np.asarray(points, dtype=float))
        slack = tolerance * max(self.diameter, 1.0)
        inside = np.ones(len(points), dtype=bool)
        if len(self.equations):
            inside &= (points @ self.equations[:, :-1].T + self.equations[:, -1] <= slack).all(axis=1)
        if len(self.affine_equations):
            residual = points @ self.affine_equations[:, :-1].T + self.affine_equations[:, -1]
            inside &= (np.abs(residual) <= slack).all(axis=1)
        return inside

    def translated(self, offset) -> Polytope:
        """The polytope moved by ``offset`` (shape (d,))."""
        return Polytope(self.vertices + np.asarray(offset, dtype=float))

    def scaled(self, factor: float, *, about=None) -> Polytope:
        """The polytope scaled by ``factor`` about ``about`` (default: the origin)."""
        centre = np.zeros(self.ambient_dimension) if about is None else np.asarray(about, dtype=float)
        return Polytope(centre + factor * (self.vertices - centre))

    def minkowski_sum(self, other: Polytope) -> Polytope:
        """``{p + q}``: the hull of all pairwise vertex sums."""
        sums = self.vertices[:, None, :] + other.vertices[None, :, :]
        return Polytope(sums.reshape(-1, self.ambient_dimension))

    def convex_union(self, other: Polytope) -> Polytope:
        """Convex hull of the union of the two polytopes."""
        return Polytope(np.vstack([self.vertices, other.vertices]))

    def same_as(self, other: Polytope, tolerance: float = 1e-9) -> bool:
        """Whether both polytopes have the same vertices (order-insensitive, up to ``tolerance``)."""
        if self.vertices.shape != other.vertices.shape:
            return False
        scale = max(self.diameter, other.diameter, 1.0) * tolerance
        distances = np.abs(self.vertices[:, None, :] - other.vertices[None, :, :]).max(axis=-1)
        return bool((distances.min(axis=1) <= scale).all() and (distances.min(axis=0) <= scale).all())
