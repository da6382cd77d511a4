"""Comparing decision boundaries and linear regions of networks on a 2-D domain.

All functions work on the exact geometry of :mod:`tropical.regions` (segments and polygons), not on
samples: the Hausdorff distance between two boundaries is exact for segments, and agreement and IoU are
areas of exact polygon overlays (shapely / GEOS).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tropical._validation import as_regions, float_array

__all__ = [
    "RegionStatistics",
    "boundary_hausdorff",
    "class_iou",
    "region_agreement",
    "region_statistics",
]


# ---------------------------------------------------------------------------------------------- Hausdorff
def _segments(segments, name: str) -> np.ndarray:
    array = float_array(segments, name)
    if array.size == 0:
        return array.reshape(0, 2, 2)
    if array.ndim != 3 or array.shape[1:] != (2, 2):
        raise ValueError(f"{name} must be segments of shape (n, 2, 2), got {array.shape}")
    return array  # a zero-length segment is a point of the set, and counts as one


def _distance_to_segments(points: np.ndarray, segments: np.ndarray) -> np.ndarray:
    """Euclidean distance from each point (m, 2) to each segment (k, 2, 2): shape (m, k)."""
    start = segments[:, 0]
    direction = segments[:, 1] - start
    length2 = np.einsum("kj,kj->k", direction, direction)
    offset = points[:, None, :] - start[None]
    t = np.einsum("mkj,kj->mk", offset, direction) / np.where(length2 > 0, length2, 1.0)
    t = np.clip(t, 0.0, 1.0)
    nearest = start[None] + t[..., None] * direction[None]
    return np.linalg.norm(points[:, None, :] - nearest, axis=2)


def _quadratics(p: np.ndarray, d: np.ndarray, segments: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Squared distances from ``p + t d`` to the features of ``segments`` as quadratics in t.

    Features: both end points, and the supporting line of each non-degenerate segment. Returns the
    (f, 3) coefficients ``(a, b, c)`` of ``a t^2 + b t + c`` and the t where a line feature stops being
    the nearest (the perpendicular foot passes an end point), which are breakpoints too.
    """
    ends = segments.reshape(-1, 2)
    offset = p - ends
    points = np.stack(
        [np.full(len(ends), d @ d), 2 * offset @ d, np.einsum("fj,fj->f", offset, offset)], axis=1
    )
    direction = segments[:, 1] - segments[:, 0]
    length = np.linalg.norm(direction, axis=1)
    proper = length > 0
    unit = direction[proper] / length[proper, None]
    normal = np.stack([-unit[:, 1], unit[:, 0]], axis=1)
    along = normal @ d
    height = np.einsum("fj,fj->f", p - segments[proper, 0], normal)
    lines = np.stack([along**2, 2 * height * along, height**2], axis=1)
    # the foot of the perpendicular from p + t d is at an end point when (p + t d - q0) . u in {0, length}
    speed = unit @ d
    base = np.einsum("fj,fj->f", p - segments[proper, 0], unit)
    with np.errstate(divide="ignore", invalid="ignore"):
        switches = np.concatenate([-base / speed, (length[proper] - base) / speed])
    return np.concatenate([points, lines]), switches[np.isfinite(switches)]


def _shared(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Which segments of ``a`` are also segments of ``b`` (same end points, either order): shape (n,)."""

    def keys(segments):
        segments = segments + 0.0  # -0.0 and 0.0 compare equal, but their bytes differ
        x0, y0, x1, y1 = segments[:, 0, 0], segments[:, 0, 1], segments[:, 1, 0], segments[:, 1, 1]
        swap = (x0 > x1) | ((x0 == x1) & (y0 > y1))
        ordered = np.where(swap[:, None, None], segments[:, ::-1], segments).reshape(-1, 4)
        return np.ascontiguousarray(ordered).view(np.dtype((np.void, 32))).ravel()

    return np.isin(keys(a), keys(b))


def _directed_hausdorff(a: np.ndarray, b: np.ndarray) -> float:
    """max over the points x of the segments ``a`` of the distance from x to the union of ``b``."""
    from shapely import STRtree, linestrings, points

    a = a[~_shared(a, b)]  # a segment of b is at distance 0 from b (exactly, not up to rounding)
    if len(a) == 0:
        return 0.0
    # zero-length segments as points: GEOS neither finds them nor finds with them as linestrings
    degenerate = np.all(b[:, 0] == b[:, 1], axis=1)
    tree = STRtree(np.where(degenerate, points(b[:, 0]), linestrings(b)))
    ends = _distance_to_segments(a.reshape(-1, 2), b).min(axis=1).reshape(-1, 2)
    lengths = np.linalg.norm(a[:, 1] - a[:, 0], axis=1)
    # distance to b is 1-Lipschitz along a segment: it cannot exceed this bound anywhere on it
    bound = 0.5 * (ends[:, 0] + ends[:, 1] + lengths)
    result = float(ends.max())
    order = np.argsort(-bound)
    for index in order:
        if bound[index] <= result:
            break  # no later segment can raise the maximum
        p, q = a[index]
        d = q - p
        # the slack is relative (coordinates of 1e6 round above an absolute 1e-12)
        probe = points(p) if np.all(p == q) else linestrings([[p, q]])[0]
        slack = 1e-9 * (bound[index] + np.abs(a[index]).max())
        near = tree.query(probe, predicate="dwithin", distance=bound[index] + slack)
        features, switches = _quadratics(p, d, b[near])
        i, j = np.triu_indices(len(features), k=1)
        diff = features[i] - features[j]
        qa, qb, qc = diff[:, 0], diff[:, 1], diff[:, 2]
        scale = np.abs(diff).max(axis=1) + 1e-300
        quadratic = np.abs(qa) > 1e-14 * scale
        disc = qb**2 - 4 * qa * qc
        roots = [np.array([0.0, 1.0]), switches]
        ok = quadratic & (disc >= 0)
        sq = np.sqrt(np.where(ok, disc, 0.0))
        with np.errstate(divide="ignore", invalid="ignore"):
            roots.append(((-qb - sq) / (2 * qa))[ok])
            roots.append(((-qb + sq) / (2 * qa))[ok])
            linear = ~quadratic & (np.abs(qb) > 1e-14 * scale)
            roots.append((-qc / qb)[linear])
        t = np.concatenate(roots)
        t = np.unique(t[(t >= 0.0) & (t <= 1.0)])
        candidates = p + t[:, None] * d
        result = max(result, float(_distance_to_segments(candidates, b[near]).min(axis=1).max()))
    return result


def boundary_hausdorff(a, b) -> float:
    """Exact Hausdorff distance between two finite unions of segments (e.g. two decision boundaries).

    ``H(A, B) = max(sup_{x in A} d(x, B), sup_{y in B} d(y, A))``. Along a segment of ``A``, ``d(., B)`` is
    the lower envelope of the distances to the end points and supporting lines of the segments of ``B``;
    each piece is convex, so the supremum is attained at an end of the segment or at a breakpoint of the
    envelope: where two squared distances (quadratics in the segment parameter) are equal, or where a
    perpendicular foot passes an end point. All of these candidates are evaluated, after discarding the
    segments of ``B`` that are farther than a Lipschitz bound; the result is exact up to rounding.

    Parameters
    ----------
    a, b : array_like, shape (n, 2, 2) and (m, 2, 2)
        Segments ``[[x0, y0], [x1, y1]]``, as returned by :func:`tropical.decision_boundary`.

    Returns
    -------
    float
        The distance, in the units of the coordinates. ``0.0`` if both sets are empty, ``inf`` if exactly
        one is (a classifier with a boundary against one without).

    Examples
    --------
    >>> boundary_hausdorff([[[0, 0], [1, 0]]], [[[0, 1], [3, 1]]])  # (3, 1) is sqrt(5) from (1, 0)
    2.23606797749979
    """
    a = _segments(a, "a")
    b = _segments(b, "b")
    if len(a) == 0 and len(b) == 0:
        return 0.0
    if len(a) == 0 or len(b) == 0:
        return float("inf")
    return max(_directed_hausdorff(a, b), _directed_hausdorff(b, a))


# ---------------------------------------------------------------------------------------------- areas
def _class_regions(model, bounds, plane, polygon, name):
    from tropical.metrics.reference import Reference

    if isinstance(model, Reference):  # its regions and class regions on this domain: computed once
        picture = model.picture(bounds=bounds, plane=plane, polygon=polygon)
        return picture.regions, picture.classes
    regions = as_regions(model, bounds=bounds, plane=plane, polygon=polygon, name=name)
    return regions, regions.decision_regions()


def _two_classifications(a, b, bounds, plane, polygon):
    import shapely

    regions_a, classes_a = _class_regions(a, bounds, plane, polygon, "model_a")
    regions_b, classes_b = _class_regions(b, bounds, plane, polygon, "model_b")
    if len(classes_a) != len(classes_b):
        raise ValueError(
            f"model_a predicts {len(classes_a)} classes but model_b predicts {len(classes_b)}; "
            "they cannot be compared class by class"
        )
    domain_a, domain_b = shapely.Polygon(regions_a.domain), shapely.Polygon(regions_b.domain)
    if domain_a.symmetric_difference(domain_b).area > 1e-9 * domain_a.area:
        raise ValueError("model_a and model_b were computed on different domains")
    return classes_a, classes_b, domain_a.area


def region_agreement(model_a, model_b, *, bounds=None, plane=None, polygon=None) -> float:
    """Fraction of the domain's area where two classifiers predict the same class (exact).

    Parameters
    ----------
    model_a, model_b : torch.nn.Module, Regions or tropical.metrics.Reference
        Two classifiers with the same number of outputs, or their :class:`~tropical.regions.Regions`
        (then give no domain arguments). A :class:`~tropical.metrics.Reference` (for many models compared
        with one network) computes its network's regions on each domain once.
    bounds, plane, polygon
        The domain, as for :func:`tropical.linear_regions`.

    Returns
    -------
    float
        ``sum_c area(A_c & B_c) / area(domain)`` in [0, 1], with ``A_c`` and ``B_c`` the exact class regions
        of :func:`tropical.decision_regions`.
    """
    classes_a, classes_b, area = _two_classifications(model_a, model_b, bounds, plane, polygon)
    return _class_agreement(classes_a, classes_b, area)


def _class_agreement(classes_a, classes_b, area: float, *, window=None) -> float:
    """``1 - sum_c area(A_c - B_c) / area``: the agreement of two lists of class regions.

    Exactly 1 for identical class regions (a difference of identical geometries is empty, whereas an
    intersection's area carries rounding). ``window`` (a shapely polygon of area ``area``) restricts both.
    """
    import shapely

    disagreement = 0.0
    for ga, gb in zip(classes_a, classes_b, strict=True):
        if window is not None:
            ga, gb = shapely.intersection(ga, window), shapely.intersection(gb, window)
        disagreement += shapely.difference(ga, gb).area
    return float(max(0.0, 1.0 - disagreement / area))


def class_iou(model_a, model_b, *, bounds=None, plane=None, polygon=None) -> np.ndarray:
    """Intersection over union of the region of each class predicted by two classifiers (exact).

    Parameters
    ----------
    model_a, model_b, bounds, plane, polygon
        As for :func:`region_agreement`.

    Returns
    -------
    ndarray, shape (n_classes,)
        ``area(A_c & B_c) / area(A_c | B_c)`` per class; ``nan`` for a class neither model predicts
        anywhere in the domain. For a 1-output network the classes are ``[output <= 0, output > 0]``.
    """
    classes_a, classes_b, _ = _two_classifications(model_a, model_b, bounds, plane, polygon)
    result = []
    for ga, gb in zip(classes_a, classes_b, strict=True):
        inter = ga.intersection(gb).area
        union = ga.area + gb.area - inter
        result.append(inter / union if union > 0 else np.nan)
    return np.array(result)


# ---------------------------------------------------------------------------------------------- statistics
@dataclass(frozen=True)
class RegionStatistics:
    """Count and size summary of the linear regions on a domain.

    Attributes
    ----------
    count : int
        Number of linear regions.
    domain_area : float
        Area of the domain.
    density : float
        Regions per unit area.
    mean_area, median_area, min_area, max_area : float
        Region areas.
    area_quantiles : ndarray, shape (5,)
        Area quantiles at 0.05, 0.25, 0.5, 0.75, 0.95.
    area_entropy : float
        Shannon entropy (nats) of the area fractions; ``exp(area_entropy)`` is an effective count
        (equal to ``count`` when all regions have the same area).
    mean_vertices : float
        Mean number of vertices per region.
    """

    count: int
    domain_area: float
    density: float
    mean_area: float
    median_area: float
    min_area: float
    max_area: float
    area_quantiles: np.ndarray
    area_entropy: float
    mean_vertices: float


def region_statistics(model, *, bounds=None, plane=None, polygon=None) -> RegionStatistics:
    """Region count and region-size statistics of a network on a 2-D domain.

    Parameters
    ----------
    model : torch.nn.Module or Regions
        A network (with the domain arguments) or its :class:`~tropical.regions.Regions`.
    bounds, plane, polygon
        The domain, as for :func:`tropical.linear_regions`.

    Returns
    -------
    RegionStatistics
    """
    regions = as_regions(model, bounds=bounds, plane=plane, polygon=polygon)
    areas = regions.areas
    total = float(areas.sum())
    fractions = areas / total
    fractions = fractions[fractions > 0]
    return RegionStatistics(
        count=len(regions),
        domain_area=total,
        density=len(regions) / total,
        mean_area=float(areas.mean()),
        median_area=float(np.median(areas)),
        min_area=float(areas.min()),
        max_area=float(areas.max()),
        area_quantiles=np.quantile(areas, [0.05, 0.25, 0.5, 0.75, 0.95]),
        area_entropy=float(-(fractions * np.log(fractions)).sum()),
        mean_vertices=float(np.diff(regions.offsets).mean()),
    )
