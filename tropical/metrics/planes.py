"""Comparing decision boundaries where the data lives: planes through triplets of test points.

A network with a high-dimensional input has a 2-D picture on every plane through three inputs. Somepalli,
Singla, Goldblum, Geiping & Goldstein ("Can neural nets learn the same model twice? Investigating
reproducibility and double descent from the decision boundary perspective", CVPR 2022) compare the decision
regions of different networks on planes through triplets of test images. Here the comparison on each plane
is exact (:func:`tropical.linear_regions`): agreement areas, boundary Hausdorff distances, region counts and
boundary lengths, inside the triangle of the three points and inside the padded box around it (the default
domain of ``linear_regions(model, plane=...)``).

Local complexity (Humayun, Balestriero & Baraniuk, "Deep networks always grok and here is why", 2024) counts
the linear regions near a data point; here it is counted exactly on the point's plane: the regions and the
decision-boundary pieces (maximal straight segments) that meet the open disk of radius ``r`` around it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from tropical.metrics.boundary import _class_agreement, _distance_to_segments, boundary_hausdorff
from tropical.metrics.reference import as_reference

__all__ = ["PlaneMetrics", "boundary_pieces", "local_complexity", "plane_metrics", "plane_triplets"]

TRIPLETS = ("mixed", "same", "any")
_NAN = float("nan")
_ATTEMPTS = 100  # draws per plane before collinear or duplicate triplets are declared unavoidable


# ---------------------------------------------------------------------------------------------- triplets
def _spans_plane(points: np.ndarray) -> bool:
    """Whether three points span a plane (the test of :func:`tropical.linear_regions`'s ``plane=``)."""
    d1, d2 = points[1] - points[0], points[2] - points[0]
    n1 = np.linalg.norm(d1)
    if n1 == 0:
        return False
    d2_perp = d2 - (d2 @ d1) / n1**2 * d1
    return bool(np.linalg.norm(d2_perp) > 1e-9 * max(n1, np.linalg.norm(d2)))


def plane_triplets(X, y=None, *, count: int = 10, triplets: str = "mixed", seed: int = 0) -> np.ndarray:
    """Indices of ``count`` triplets of points of ``X`` that span planes (Somepalli et al., CVPR 2022).

    Parameters
    ----------
    X : array_like, shape (n, d)
        Points (test inputs), ``d >= 2``.
    y : array_like, shape (n,), optional
        Labels; required unless ``triplets="any"``.
    count : int
        Number of triplets.
    triplets : {"mixed", "same", "any"}
        ``"mixed"``: three points of three different classes (of two different classes when ``y`` has only
        two); ``"same"``: three points of one class (a class drawn uniformly among those with at least three
        points); ``"any"``: three distinct points.
    seed : int
        Seed of the draw (``numpy.random.default_rng``).

    Returns
    -------
    ndarray of int, shape (count, 3)
        Row ``k`` indexes the three points of plane ``k``; collinear or repeated points are redrawn.

    Examples
    --------
    >>> X = [[0, 0], [1, 0], [0, 1], [1, 1], [2, 0], [0, 2]]
    >>> plane_triplets(X, [0, 0, 0, 1, 1, 1], count=2, triplets="same", seed=0).shape
    (2, 3)
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] < 2 or len(X) < 3:
        raise ValueError(f"X must have shape (n, d) with n >= 3 points and d >= 2, got {X.shape}")
    if triplets not in TRIPLETS:
        raise ValueError(f"triplets must be one of {TRIPLETS}, got {triplets!r}")
    if int(count) < 1:
        raise ValueError(f"count must be a positive integer, got {count!r}")
    rng = np.random.default_rng(seed)
    if triplets == "any":
        groups = [np.arange(len(X))]
    else:
        if y is None:
            raise ValueError(f"triplets={triplets!r} needs the labels y; pass y or triplets='any'")
        y = np.asarray(y).ravel()
        if len(y) != len(X):
            raise ValueError(f"y has {len(y)} labels for {len(X)} points")
        groups = [np.flatnonzero(y == label) for label in np.unique(y)]
    result = np.empty((int(count), 3), dtype=np.int64)
    for k in range(int(count)):
        for _ in range(_ATTEMPTS):
            indices = _draw(rng, groups, triplets)
            if _spans_plane(X[indices]):
                result[k] = indices
                break
        else:
            raise ValueError(
                f"could not draw {triplets!r} triplets of X spanning a plane in {_ATTEMPTS} attempts "
                "(too few distinct points or classes); try triplets='any'"
            )
    return result


def _draw(rng, groups: list[np.ndarray], triplets: str) -> np.ndarray:
    if triplets == "any":
        return rng.choice(groups[0], 3, replace=False)
    if triplets == "same":
        large = [group for group in groups if len(group) >= 3]
        if not large:
            raise ValueError("triplets='same' needs a class with at least three points")
        return rng.choice(large[rng.integers(len(large))], 3, replace=False)
    if len(groups) < 2:
        raise ValueError("triplets='mixed' needs at least two classes in y")
    if len(groups) >= 3:
        chosen = rng.choice(len(groups), 3, replace=False)
        return np.array([rng.choice(groups[c]) for c in chosen])
    first, second = rng.choice(groups[0]), rng.choice(groups[1])
    rest = np.setdiff1d(np.concatenate(groups), [first, second])
    return np.array([first, second, rng.choice(rest)])


# ---------------------------------------------------------------------------------------------- geometry
def _clip_segments(segments: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """The parts of segments (n, 2, 2) inside a counter-clockwise convex polygon (k, 2) (Cyrus-Beck)."""
    if len(segments) == 0:
        return segments
    start, direction = segments[:, 0], segments[:, 1] - segments[:, 0]
    edges = np.roll(polygon, -1, axis=0) - polygon  # (k, 2); inside: cross(edge, x - vertex) >= 0
    offset = start[:, None, :] - polygon[None]  # (n, k, 2)
    value = edges[None, :, 0] * offset[..., 1] - edges[None, :, 1] * offset[..., 0]  # at t = 0
    rate = edges[None, :, 0] * direction[:, None, 1] - edges[None, :, 1] * direction[:, None, 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        t = -value / rate
    low = np.max(np.where(rate > 0, t, 0.0), axis=1, initial=0.0)
    high = np.min(np.where(rate < 0, t, 1.0), axis=1, initial=1.0)
    parallel_outside = np.any((rate == 0) & (value < 0), axis=1)
    keep = (low <= high) & ~parallel_outside
    low, high = low[keep, None], high[keep, None]
    return np.stack([start[keep] + low * direction[keep], start[keep] + high * direction[keep]], axis=1)


def boundary_pieces(segments) -> np.ndarray:
    """Group boundary segments into pieces: maximal straight stretches of the boundary.

    :func:`tropical.decision_boundary` splits a straight stretch at every region edge it crosses; two
    segments belong to one piece when they share an end point that no other segment touches and are
    collinear there.

    Parameters
    ----------
    segments : array_like, shape (n, 2, 2)

    Returns
    -------
    ndarray of int, shape (n,)
        The piece of each segment, numbered from 0.

    Examples
    --------
    >>> boundary_pieces([[[0, 0], [1, 0]], [[1, 0], [2, 0]], [[2, 0], [2, 1]]])
    array([0, 0, 1])
    """
    from scipy.sparse import coo_array
    from scipy.sparse.csgraph import connected_components

    segments = np.asarray(segments, dtype=np.float64).reshape(-1, 2, 2)
    n = len(segments)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    ends = segments.reshape(-1, 2)  # end 2 i + e of segment i
    _, point, degree = np.unique(ends, axis=0, return_inverse=True, return_counts=True)
    point = point.ravel()
    order = np.argsort(point, kind="stable")
    shared = np.flatnonzero(degree[point[order[:-1]]] == 2)  # runs of exactly two ends at one point
    shared = shared[point[order[shared]] == point[order[shared + 1]]]
    first, second = order[shared] // 2, order[shared + 1] // 2
    direction = segments[:, 1] - segments[:, 0]
    a, b = direction[first], direction[second]
    cross = np.abs(a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0])
    straight = cross <= 1e-9 * np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    graph = coo_array((np.ones(int(straight.sum())), (first[straight], second[straight])), shape=(n, n))
    return connected_components(graph, directed=False)[1].astype(np.int64)


def _pieces_near(segments: np.ndarray, pieces: np.ndarray, centers: np.ndarray, radius: float) -> np.ndarray:
    """Number of pieces with a segment at distance < radius from each center: shape (m,)."""
    if len(segments) == 0:
        return np.zeros(len(centers), dtype=np.int64)
    hit = np.zeros((len(centers), pieces.max() + 1), dtype=bool)
    chunk = max(1, 2_000_000 // len(segments))  # (chunk, n, 2) temporaries of at most ~100 MB
    for start in range(0, len(centers), chunk):
        rows, cols = np.nonzero(_distance_to_segments(centers[start : start + chunk], segments) < radius)
        hit[start + rows, pieces[cols]] = True
    return hit.sum(axis=1)


def _region_polygons(regions):
    from tropical.regions import _shapely_polygons

    return _shapely_polygons(regions.vertices[regions.region_vertices], regions.offsets)


def local_complexity(regions, centers, *, radius: float) -> tuple[np.ndarray, np.ndarray]:
    """Linear regions and decision-boundary pieces within ``radius`` of points of a 2-D domain (exact).

    The local complexity of Humayun et al. (2024) around a data point, counted exactly on a plane: a region
    (a convex polygon) meets the open disk of radius ``r`` around ``c`` iff its distance to ``c`` is below
    ``r``; so does a boundary piece (:func:`boundary_pieces`).

    Parameters
    ----------
    regions : Regions
        The linear regions of a network, :func:`tropical.linear_regions`.
    centers : array_like, shape (m, 2)
        Points in the domain coordinates of ``regions``.
    radius : float
        Radius of the disks, in domain (input-space) units. Only the part of the disk inside the domain
        is seen.

    Returns
    -------
    regions_near : ndarray of int, shape (m,)
        Number of linear regions meeting each disk.
    pieces_near : ndarray of int, shape (m,)
        Number of decision-boundary pieces meeting each disk.

    Examples
    --------
    >>> import torch
    >>> import tropical as tr
    >>> net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU(), torch.nn.Linear(2, 2))
    >>> with torch.no_grad():
    ...     _ = net[0].weight.copy_(torch.eye(2)), net[0].bias.zero_()
    ...     _ = net[2].weight.copy_(torch.eye(2)), net[2].bias.zero_()
    >>> R = tr.linear_regions(net, bounds=(-1, 1, -1, 1))  # the four quadrants
    >>> # boundary: the diagonal in x, y > 0 and the negative x-axis (a tie at 0, 0 goes to class 0)
    >>> local_complexity(R, [[0.0, 0.0], [0.5, -0.5], [-0.5, 0.1]], radius=0.25)
    (array([4, 1, 2]), array([2, 0, 1]))
    """

    from tropical.regions import Regions

    if not isinstance(regions, Regions):
        raise TypeError(f"regions must be a tropical.Regions (tropical.linear_regions), got {type(regions)}")
    centers = np.asarray(centers, dtype=np.float64)
    if centers.ndim != 2 or centers.shape[1] != 2 or not np.all(np.isfinite(centers)):
        raise ValueError(f"centers must be finite points of shape (m, 2), got {centers.shape}")
    radius = float(radius)
    if not (radius > 0 and np.isfinite(radius)):
        raise ValueError(f"radius must be a positive number, got {radius}")
    return _Picture(regions).local_complexity(centers, radius)


# ---------------------------------------------------------------------------------------------- one plane
class _Picture:
    """One network's exact geometry on one plane: regions, their shapely polygons, boundary, class regions."""

    def __init__(self, regions):
        import shapely

        self.regions = regions
        self.boundary = regions.decision_boundary()
        self.tree = shapely.STRtree(_region_polygons(regions))

    @cached_property
    def classes(self) -> list:
        return self.regions.decision_regions()

    def regions_in(self, window) -> int:
        """Regions overlapping a convex window with positive area (more than 1e-12 of the window's);
        ``None``: the whole domain."""
        import shapely

        if window is None:
            return len(self.regions)
        polygons = self.tree.geometries[self.tree.query(window, predicate="intersects")]
        inside = shapely.within(polygons, window)
        overlap = shapely.area(shapely.intersection(polygons[~inside], window))
        return int(inside.sum() + np.count_nonzero(overlap > 1e-12 * window.area))

    def local_complexity(self, centers: np.ndarray, radius: float) -> tuple[np.ndarray, np.ndarray]:
        import shapely

        points = shapely.points(centers)
        which, hit = self.tree.query(points, predicate="dwithin", distance=radius)
        distances = shapely.distance(points[which], self.tree.geometries[hit])
        counts = np.bincount(which[distances < radius], minlength=len(centers))
        return counts, _pieces_near(self.boundary, self.pieces, centers, radius)

    @cached_property
    def pieces(self) -> np.ndarray:
        """The maximal straight piece of each boundary segment (:func:`boundary_pieces`)."""
        return boundary_pieces(self.boundary)


def _length(segments: np.ndarray) -> float:
    return float(np.linalg.norm(segments[:, 1] - segments[:, 0], axis=1).sum())


def _plane_corners(regions, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The three points in ``regions``' plane coordinates (3, 2), and as a counter-clockwise triangle."""
    corners = (points - regions.origin) @ regions.frame.T
    (ux, uy), (vx, vy) = corners[1] - corners[0], corners[2] - corners[0]
    return corners, (corners if ux * vy - uy * vx > 0 else corners[::-1])


@dataclass(frozen=True)
class _Window:
    """One network's geometry inside one window of a data plane: what a comparison reads of it."""

    boundary: np.ndarray  # (n, 2, 2): the decision boundary clipped to the window
    classes: list  # the class regions clipped to the window (shapely geometries)
    regions: int  # linear regions overlapping the window with positive area
    length: float  # length of the clipped boundary


@dataclass(frozen=True)
class _PlaneView:
    """One network's geometry on one data plane: its triangle and box windows and its local complexity.

    The reference's view of each plane is computed once (:meth:`tropical.metrics.Reference.plane_view`);
    a compared model's view is computed with the reference's corners, so both are in the same coordinates.
    """

    corners: np.ndarray  # (3, 2): the three points in plane coordinates
    triangle: np.ndarray  # (3, 2): the same, counter-clockwise
    areas: dict  # window name -> area
    windows: dict  # window name -> _Window
    local: tuple  # (regions near each corner (3,), boundary pieces near each corner (3,))

    @classmethod
    def of(cls, picture: _Picture, radius: float, *, points=None, like: _PlaneView | None = None):
        """The view of ``picture`` (a network's :class:`_Picture` on the plane through ``points``); with
        ``like`` (another network's view of the same plane) instead of ``points``: in its coordinates."""
        import shapely

        if like is None:
            corners, triangle = _plane_corners(picture.regions, points)
        else:
            corners, triangle = like.corners, like.triangle
        window = shapely.Polygon(triangle)
        box, clipped = picture.boundary, _clip_segments(picture.boundary, triangle)
        classes = [shapely.intersection(region, window) for region in picture.classes]
        windows = {
            "triangle": _Window(clipped, classes, picture.regions_in(window), _length(clipped)),
            "box": _Window(box, picture.classes, len(picture.regions), _length(box)),
        }
        areas = {"triangle": window.area, "box": shapely.Polygon(picture.regions.domain).area}
        return cls(corners, triangle, areas, windows, picture.local_complexity(corners, radius))


def _one_plane(reference, model, points, radius, max_regions, input_shape) -> tuple[dict, dict]:
    from tropical.regions import linear_regions

    shape = {"input_shape": input_shape} if input_shape is not None else {}
    dense = reference.plane_view(points, radius=radius, max_regions=max_regions, **shape)
    picture = _Picture(linear_regions(model, plane=points, max_regions=max_regions, **shape))
    other = _PlaneView.of(picture, radius, like=dense)
    row = {}
    for name, area in dense.areas.items():  # the box is the domain of both networks
        mine, theirs = other.windows[name], dense.windows[name]
        row[f"{name}_agreement"] = _class_agreement(mine.classes, theirs.classes, area)
        row[f"{name}_boundary_hausdorff"] = boundary_hausdorff(mine.boundary, theirs.boundary)
        row[f"{name}_regions"] = mine.regions
        row[f"{name}_dense_regions"] = theirs.regions
        row[f"{name}_boundary_length"] = mine.length
        row[f"{name}_dense_boundary_length"] = theirs.length
    local = {}
    for prefix, view in (("", other), ("dense_", dense)):
        local[f"local_{prefix}regions"], local[f"local_{prefix}boundary_pieces"] = view.local
    return row, local


# ---------------------------------------------------------------------------------------------- all planes
@dataclass(frozen=True)
class PlaneMetrics:
    """Exact comparisons of two classifiers on planes through triplets of test points.

    Attributes
    ----------
    triplets : ndarray of int, shape (K, 3)
        Indices of the three test points of each plane.
    radius : float
        Radius of the local-complexity disks (input units).
    per_plane : dict of str to ndarray, shape (K,)
        ``{window}_{metric}`` for window ``triangle`` / ``box`` and metric ``agreement``,
        ``boundary_hausdorff``, ``regions``, ``dense_regions``, ``boundary_length``,
        ``dense_boundary_length`` (``dense_`` = the reference); see
        :data:`tropical.metrics.DECISION_METRICS`.
    per_point : dict of str to ndarray, shape (K, 3)
        ``local_regions``, ``local_dense_regions``, ``local_boundary_pieces``,
        ``local_dense_boundary_pieces`` around each of the three points of each plane.
    """

    triplets: np.ndarray
    radius: float
    per_plane: dict
    per_point: dict

    def summary(self) -> dict:
        """Mean and standard deviation (``ddof=0``) of every metric, keyed ``<metric>_mean``/``_std``.

        A boundary Hausdorff distance is infinite on a plane where one network has a decision boundary in
        the window and the other has none; its mean and std are taken over the other planes (NaN if
        there are none) and ``<window>_boundary_hausdorff_infinite`` is the fraction of such planes. Keys
        as in :data:`tropical.metrics.DECISION_METRICS`, with ``planes`` and ``local_radius``.
        """
        result: dict = {"planes": float(len(self.triplets))}
        for name, values in (*self.per_plane.items(), ("local_radius", None), *self.per_point.items()):
            if values is None:
                result[name] = self.radius
                continue
            finite = values[np.isfinite(values)]
            result[f"{name}_mean"] = float(np.mean(finite)) if len(finite) else _NAN
            result[f"{name}_std"] = float(np.std(finite)) if len(finite) else _NAN
            if name.endswith("boundary_hausdorff"):
                result[f"{name}_infinite"] = float(np.mean(np.isinf(values)))
        return result


def plane_metrics(
    reference,
    model,
    X,
    y=None,
    *,
    planes: int = 10,
    triplets: str = "mixed",
    radius: float | None = None,
    seed: int = 0,
    max_regions: int = 2_000_000,
    input_shape=None,
    progress: bool | None = None,
) -> PlaneMetrics:
    """Compare two classifiers exactly on planes through triplets of test points.

    For each of ``planes`` planes (:func:`plane_triplets`), both networks' linear regions are computed on
    the padded box of the three points (:func:`tropical.linear_regions` with ``plane=``); inside the
    triangle of the points and inside the box: the exact agreement area fraction, the exact Hausdorff
    distance of the two decision boundaries, the region counts (regions overlapping the window with
    positive area) and the boundary lengths; around each of the three points: :func:`local_complexity`.

    Parameters
    ----------
    reference, model : torch.nn.Module
        Two ReLU classifiers with the same input size ``d`` and number of outputs. ``reference`` may be a
        :class:`tropical.metrics.Reference`: its regions on each plane, and what the comparison reads of
        them (region counts, the boundary clipped to the triangle, local complexity), are then computed once
        for all the models compared with it (:meth:`~tropical.metrics.Reference.plane_view`).
    X : array_like, shape (n, d)
        Test inputs.
    y : array_like, shape (n,), optional
        Test labels (see ``triplets``).
    planes : int
        Number of planes ``K``.
    triplets : {"mixed", "same", "any"}
        See :func:`plane_triplets`.
    radius : float, optional
        Local-complexity radius in input units; default a tenth of the median side of the K triangles.
    seed : int
        Seed of the triplets.
    max_regions : int
        Passed to :func:`tropical.linear_regions`.
    input_shape : tuple of int, optional
        The shape one input has for the networks (e.g. ``(1, 8, 8)`` for a conv net on digits); ``X`` may
        then be ``(n, *input_shape)`` or flat ``(n, d)``. Passed to :func:`tropical.linear_regions`.
    progress : bool or None
        Progress over the planes on stderr, as for :func:`tropical.from_torch`: a tqdm bar on a terminal,
        otherwise a plain line every few seconds (``plane_metrics: 3/10 planes, last plane 2, 41.0 s``).
        ``None`` (default) shows it only once the call has run a while (2 s on a terminal, 10 s elsewhere:
        a conv net on 28x28 images takes minutes per plane); ``True`` from the start; ``False`` never.

    Returns
    -------
    PlaneMetrics
        Per plane and per point arrays; ``.summary()`` gives mean and std.

    Raises
    ------
    ComputationTooLargeError
        When a network has more than ``max_regions`` regions on a plane.

    References
    ----------
    Somepalli et al., "Can neural nets learn the same model twice?", CVPR 2022. Humayun, Balestriero &
    Baraniuk, "Deep networks always grok and here is why", 2024.
    """
    if isinstance(planes, bool) or not isinstance(planes, int | np.integer) or planes < 1:
        raise ValueError(f"planes must be a positive integer (the number of data planes), got {planes!r}")
    if progress not in (None, True, False):
        raise ValueError(f"progress must be True, False or None (auto), got {progress!r}")
    X = np.asarray(X, dtype=np.float64)
    if X.ndim > 2:  # images (n, *input_shape): the planes live in the flat input space
        input_shape = X.shape[1:] if input_shape is None else input_shape
        X = X.reshape(len(X), -1)
    chosen = plane_triplets(X, y, count=planes, triplets=triplets, seed=seed)
    corners = X[chosen]  # (K, 3, d)
    if radius is None:
        sides = np.linalg.norm(corners - np.roll(corners, 1, axis=1), axis=2)
        radius = 0.1 * float(np.median(sides))
    radius = float(radius)
    if not (radius > 0 and np.isfinite(radius)):
        raise ValueError(f"radius must be a positive number, got {radius}")
    from tropical._progress import Progress

    reference = as_reference(reference)
    bar = Progress(len(corners), progress, unit="planes", name="plane_metrics")
    rows, locals_ = [], []
    try:
        for index, points in enumerate(corners):
            row, local = _one_plane(reference, model, points, radius, max_regions, input_shape)
            rows.append(row)
            locals_.append(local)
            bar.update(f"plane {index}")
    finally:
        bar.close()
    per_plane = {key: np.array([row[key] for row in rows], dtype=np.float64) for key in rows[0]}
    per_point = {key: np.stack([local[key] for local in locals_]) for key in locals_[0]}
    return PlaneMetrics(chosen, radius, per_plane, per_point)
